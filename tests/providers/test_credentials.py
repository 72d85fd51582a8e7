"""Admin-set provider credentials on every backend: stored encrypted, overriding configuration in this
process at once and in another within a second, deleted to fall back; admin only; bad input 422,
unknown providers 404; the key is never shown or logged."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select

from backend.common.secrets import REGISTRY, decrypt
from backend.extensions import db as _db
from backend.extensions import integrations
from backend.integrations import ProviderSpec, RetryPolicy, client_for, credentials
from backend.integrations.credentials import ProviderCredential
from backend.integrations.fakes import FakeProvider
from tests.conftest import make_app

API = "/api/v1/admin/providers"
ADMIN_KEY = "sk-admin-set-" + "A" * 20
CONFIG_KEY = "sk-from-config-" + "B" * 20


@pytest.fixture
def provider():
    """A freshly declared provider (a name of its own per test: specs are process-wide)."""
    name = f"pcred{uuid.uuid4().hex[:8]}"
    integrations.declare(ProviderSpec(name=name, prefix=name.upper(),
                                      retry=RetryPolicy(attempts=1, backoff=0.0, jitter=0.0, max_retry_after=0.0)))
    return name


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def configured_app(database_url, tmp_path, name: str, fake, **extra):
    """An app whose configuration gives the provider the fake's URL and CONFIG_KEY."""
    return make_app(database_url, tmp_path, **{f"{name.upper()}_BASE_URL": fake.url,
                                               f"{name.upper()}_API_KEY": CONFIG_KEY}, **extra)


def call(application, name: str) -> None:
    with application.app_context():
        client_for(name).request_json("GET", "/v1/ping")


def entry(client, headers, name: str) -> dict:
    items = client.get(API, headers=headers).get_json()["items"]
    return next(i for i in items if i["name"] == name)


def test_an_admin_key_overrides_configuration_until_deleted(database_url, tmp_path, app, make_user, provider, fake,
                                                            caplog):
    caplog.set_level(logging.INFO)
    _, admin = make_user("admin")
    web = configured_app(database_url, tmp_path, provider, fake)
    client = web.test_client()
    before = entry(client, admin, provider)
    assert (before["key_source"], before["has_api_key"], before["configured"]) == ("config", True, True)
    assert before["env_prefix"] == provider.upper() and before["credential_updated_at"] is None
    call(web, provider)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {CONFIG_KEY}"

    response = client.put(f"{API}/{provider}/credentials", headers=admin, json={"api_key": ADMIN_KEY})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["key_source"] == "admin" and body["credential_updated_at"] and body["credential_updated_by"]
    assert ADMIN_KEY not in response.get_data(as_text=True)
    call(web, provider)  # this process reloaded at once
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {ADMIN_KEY}"
    with web.app_context():
        token = _db.session.execute(select(ProviderCredential.api_key)
                                    .where(ProviderCredential.provider == provider)).scalar_one()
        assert ADMIN_KEY not in token and decrypt(token) == ADMIN_KEY  # a Fernet token at rest
        _db.session.remove()

    deleted = client.delete(f"{API}/{provider}/credentials", headers=admin)
    assert deleted.status_code == 200 and deleted.get_json()["key_source"] == "config"
    call(web, provider)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {CONFIG_KEY}"
    assert client.delete(f"{API}/{provider}/credentials", headers=admin).status_code == 404
    assert ADMIN_KEY not in caplog.text and "provider credential set" in caplog.text


def test_another_process_picks_the_change_up_within_a_second(database_url, tmp_path, app, make_user, provider,
                                                             fake, monkeypatch):
    monkeypatch.setattr(credentials, "CHECK_SECONDS", 0.0)
    _, admin = make_user("admin")
    web = configured_app(database_url, tmp_path, provider, fake)
    worker = configured_app(database_url, tmp_path, provider, fake)  # same database and generations file
    call(worker, provider)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {CONFIG_KEY}"
    assert web.test_client().put(f"{API}/{provider}/credentials", headers=admin,
                                 json={"api_key": ADMIN_KEY}).status_code == 200
    call(worker, provider)
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {ADMIN_KEY}"


def test_a_stored_base_url_goes_with_the_stored_key(database_url, tmp_path, app, make_user, provider, fake):
    _, admin = make_user("admin")
    web = make_app(database_url, tmp_path)  # the provider is not configured here at all
    client = web.test_client()
    assert entry(client, admin, provider)["configured"] is False
    with FakeProvider() as elsewhere:
        response = client.put(f"{API}/{provider}/credentials", headers=admin,
                              json={"api_key": ADMIN_KEY, "base_url": elsewhere.url + "/"})
        assert response.status_code == 200
        assert response.get_json()["base_url"] == elsewhere.url and response.get_json()["configured"] is True
        call(web, provider)
        assert elsewhere.requests[-1].headers["Authorization"] == f"Bearer {ADMIN_KEY}"
        assert elsewhere.requests[-1].path == "/v1/ping"


def test_admin_only(app, client, make_user, provider):
    assert client.get(API).status_code == 401
    _, user = make_user()
    assert client.get(API, headers=user).status_code == 403
    assert client.put(f"{API}/{provider}/credentials", headers=user, json={"api_key": "x"}).status_code == 403
    assert client.delete(f"{API}/{provider}/credentials", headers=user).status_code == 403


BAD_KEYS = ["", "has space", "line\nbreak", "nul\u0000", "k" * 4097]
BAD_URLS = ["ftp://host", "http://u:p@host", "https://host/?a=1", "https://:99999", "not a url"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "api_key"), *[({"api_key": k}, "api_key") for k in BAD_KEYS],
    *[({"api_key": "k", "base_url": u}, "base_url") for u in BAD_URLS], ({"api_key": "k", "colour": "red"}, "colour"),
])
def test_bad_input_is_a_422_naming_the_field(client, make_user, provider, body, field):
    _, admin = make_user("admin")
    response = client.put(f"{API}/{provider}/credentials", headers=admin, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]


def test_unknown_providers_are_404(client, make_user):
    _, admin = make_user("admin")
    for name in ("nosuchprovider", "x" * 300, "%00"):
        assert client.put(f"{API}/{name}/credentials", headers=admin, json={"api_key": "k"}).status_code == 404
        assert client.delete(f"{API}/{name}/credentials", headers=admin).status_code == 404


def test_stored_credentials_are_rotated_with_the_other_secrets():
    assert "provider_credentials.api_key" in REGISTRY

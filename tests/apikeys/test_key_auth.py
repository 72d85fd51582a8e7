"""`X-API-Key` authentication: scope boundaries, the owner's role as ceiling, hostile keys 401, throttling keys."""

from __future__ import annotations

import uuid

import pytest

from backend.throttling.keys import token_key
from tests.apikeys.conftest import ADMIN_GET, ADMIN_POST, KEYS, ME, SNS_ACCOUNTS
from tests.conftest import make_app, wipe

ACCOUNT = {"platform": "x", "handle": "me", "credential": "c"}


def code(response) -> str:
    """The house error code of a response."""
    return response.get_json()["error"]["code"]


def test_read_scope_reads_only(client, make_user, make_key):
    _, headers = make_user()
    _, key = make_key(headers, ("read",))
    assert client.get(SNS_ACCOUNTS, headers=key).status_code == 200
    refused = client.post(SNS_ACCOUNTS, json=ACCOUNT, headers=key)
    assert refused.status_code == 403 and code(refused) == "insufficient_scope"
    assert refused.get_json()["error"]["details"] == {"required_scope": "write"}


def test_write_scope_changes_only(client, make_user, make_key):
    _, headers = make_user()
    _, key = make_key(headers, ("write",))
    created = client.post(SNS_ACCOUNTS, json=ACCOUNT, headers=key)
    assert created.status_code == 201, created.get_json()
    assert client.delete(f"{SNS_ACCOUNTS}/{created.get_json()['id']}", headers=key).status_code == 204
    refused = client.get(SNS_ACCOUNTS, headers=key)
    assert refused.status_code == 403 and code(refused) == "insufficient_scope"


def test_read_write_key_does_both(client, make_user, make_key):
    _, headers = make_user()
    _, key = make_key(headers, ("read", "write"))
    assert client.post(SNS_ACCOUNTS, json=ACCOUNT, headers=key).status_code == 201
    assert client.get(SNS_ACCOUNTS, headers=key).get_json()["total"] == 1


def test_admin_routes_need_the_admin_scope_and_an_admin_owner(client, make_user, make_key):
    _, admin = make_user("admin")
    _, admin_key = make_key(admin, ("admin",))
    assert client.get(ADMIN_GET, headers=admin_key).status_code == 200
    assert client.post(ADMIN_POST, headers=admin_key).status_code == 200
    assert client.get(ME, headers=admin_key).status_code == 403  # admin scope is for admin-only routes
    _, admin_rw = make_key(admin, ("read", "write"))
    refused = client.get(ADMIN_GET, headers=admin_rw)
    assert refused.status_code == 403 and code(refused) == "insufficient_scope"
    _, user = make_user()
    _, user_rw = make_key(user, ("read", "write"))
    assert client.get(ADMIN_GET, headers=user_rw).status_code == 403  # the owner's role is the ceiling
    assert client.post(KEYS, json={"name": "x", "scopes": ["admin"]}, headers=user).status_code == 422


def test_key_follows_the_owners_current_role(client, db, make_user, make_key):
    from sqlalchemy import update

    from backend.auth.models import User

    admin_user, admin = make_user("admin")
    _, key = make_key(admin, ("admin",))
    db.session.execute(update(User).where(User.id == admin_user["id"]).values(role="user"))
    db.session.commit()
    assert client.get(ADMIN_GET, headers=key).status_code == 403


def test_key_management_and_account_changes_need_a_bearer_token(client, make_user, make_key):
    _, headers = make_user()
    created, key = make_key(headers, ("read", "write"))
    for response in (client.post(KEYS, json={"name": "more", "scopes": ["read", "write"]}, headers=key),
                     client.get(KEYS, headers=key),
                     client.post(f"{KEYS}/{created['id']}/rotate", headers=key),
                     client.delete(f"{KEYS}/{created['id']}", headers=key),
                     client.post("/api/v1/auth/logout", headers=key),
                     client.post("/api/v1/auth/password", json={"current_password": "password-123",
                                                                "new_password": "another-Passw0rd!"}, headers=key)):
        assert response.status_code == 403 and code(response) == "bearer_required", response.get_json()
    assert client.get(ME, headers=key).status_code == 200


def test_both_credentials_at_once_are_refused(client, make_user, make_key):
    _, headers = make_user()
    _, key = make_key(headers)
    response = client.get(ME, headers={**headers, **key})
    assert response.status_code == 401 and code(response) == "ambiguous_credentials"


@pytest.mark.parametrize("value", [
    "", " ", "sfk_", "\x00", "sfk_0123456789ab_" + "\x00" * 43, "x" * 10_240,
    "sfk_0123456789ab_" + "é" * 43, "sfk_0123456789ab_" + "A" * 43, "sfk_ZZZZZZZZZZZZ_" + "A" * 43,
    "Bearer sfk_0123456789ab_" + "A" * 43, "sfk_0123456789ab_" + "A" * 42 + "=",
])
def test_hostile_or_unknown_keys_are_401_not_500(client, value):
    response = client.get(ME, headers={"X-API-Key": value})
    assert response.status_code == 401, (value[:40], response.get_json())
    assert code(response) == "invalid_api_key" and "X-API-Key" in response.headers["WWW-Authenticate"]


def test_right_prefix_wrong_secret_is_401(client, make_user, make_key):
    _, headers = make_user()
    created, _ = make_key(headers)
    forged = f"sfk_{created['prefix']}_" + "A" * 43
    assert client.get(ME, headers={"X-API-Key": forged}).status_code == 401


def test_public_routes_ignore_no_key_and_reject_a_bad_one_only_where_auth_runs(client):
    assert client.get("/api/v1/coocook/chefs", headers={"X-API-Key": "junk"}).status_code == 200


def test_an_api_key_client_has_its_own_bucket_keyed_by_a_hash(database_url, tmp_path):
    app = make_app(database_url, tmp_path / uuid.uuid4().hex, THROTTLE_DEFAULT="3 per minute",
                   THROTTLE_PER_IP="6 per minute")
    try:
        client = app.test_client()
        key = {"X-API-Key": "sfk_0123456789ab_" + "A" * 43}
        assert [client.get("/api/v1/health", headers=key).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert client.get("/api/v1/health").status_code == 200  # the IP's own bucket is separate
        assert token_key(key["X-API-Key"]).startswith("tok:") and key["X-API-Key"] not in token_key(key["X-API-Key"])
    finally:
        wipe(app)

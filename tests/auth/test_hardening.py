"""Accounts as an attacker would try them: look-alike emails, weak passwords, token lifecycle."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from backend.auth.emails import InvalidEmail, normalise_email
from backend.auth.models import AuthToken, User
from backend.auth.passwords import password_problem
from backend.extensions import db as _db

API = "/api/v1/auth"
GOOD = "correct-horse-battery"


def register(client, email="ann@example.com", password=GOOD, name="Ann"):
    return client.post(f"{API}/register", json={"email": email, "password": password, "name": name})


def login(client, email="ann@example.com", password=GOOD):
    return client.post(f"{API}/login", json={"email": email, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def fields(response) -> dict:
    return response.get_json()["error"]["details"]["fields"]


# --- one email normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("ＵＳＥＲ@example.com", "user@example.com"),  # fullwidth forms (NFKC)
    ("User@Example.COM", "user@example.com"),
    ("user@bücher.example", "user@xn--bcher-kva.example"),  # IDNA
    ("user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example"),
    ("u\u0308ser@example.com", "\u00fcser@example.com"),  # NFD -> composed
    ("  ann@example.com ", "ann@example.com"),
])
def test_every_spelling_of_an_address_normalises_to_one(spelling, canonical):
    assert normalise_email(spelling) == canonical


@pytest.mark.parametrize("bad", ["nope", "a@", "@example.com", "a b@example.com", "a@exa mple.com"])
def test_invalid_addresses_are_refused(bad):
    with pytest.raises(InvalidEmail):
        normalise_email(bad)


@pytest.mark.parametrize(("first", "look_alike"), [
    ("user@example.com", "ＵＳＥＲ@example.com"),
    ("user@bücher.example", "user@xn--bcher-kva.example"),
    ("\u00fcser@example.com", "u\u0308ser@example.com"),
])
def test_look_alike_duplicates_are_409_and_any_spelling_signs_in(client, first, look_alike):
    assert register(client, email=first).status_code == 201
    duplicate = register(client, email=look_alike)
    assert duplicate.status_code == 409
    assert "email" in fields(duplicate)
    assert login(client, email=look_alike).status_code == 200
    assert login(client, email=first).status_code == 200


def test_the_cli_uses_the_same_normalisation(app, client):
    runner = CliRunner()
    with app.app_context():
        result = runner.invoke(app.cli, ["users", "create", "ＯＰＳ@Example.com", "--password", GOOD],
                               catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ops@example.com" in result.output
    assert register(client, email="ops@example.com").status_code == 409


# --- the password policy -----------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "why"), [
    ("password", "common"), ("PASSWORD", "common"), ("12345678", "digits"), ("00000000000", "digits"),
    ("qwertyuiop", "common"), ("\x00" * 8, "control"), ("abc\ndefgh1", "control"),
    ("ann@example.com", "email"), ("my-annabelle-pass", "email"), ("ANNABELLE-x1", "email"),
    ("annabelle@example.com", "email"),
])
def test_policy_refuses_common_numeric_control_and_email_like(password, why):
    problem = password_problem(password, "annabelle@example.com")
    assert problem is not None and why in problem, (password, problem)


def test_a_reasonable_password_passes():
    assert password_problem("correct-horse-battery", "ann@example.com") is None


@pytest.mark.parametrize("password", ["password", "12345678", "\x00" * 8, "ann@example.com1"])
def test_registration_refuses_weak_passwords_with_422_on_the_field(client, password):
    response = register(client, password=password)
    assert response.status_code == 422
    assert "password" in fields(response)
    with client.application.app_context():
        assert _db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


# --- 401s, no-store, logout, purge, password change -------------------------------------------------


def test_401s_carry_the_bearer_challenge(client):
    missing = client.get(f"{API}/me")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    bad = client.get(f"{API}/me", headers=bearer("not-a-token"))
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    register(client)
    wrong = login(client, password="wrong-password-1")
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = login(client, email="nobody@example.com")
    assert unknown.status_code == 401 and unknown.get_json() == wrong.get_json()  # no account oracle


def test_token_responses_are_no_store(client):
    register(client)
    response = login(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_logout_revokes_only_that_token(client):
    register(client)
    first, second = login(client).get_json()["token"], login(client).get_json()["token"]
    out = client.post(f"{API}/logout", headers=bearer(first))
    assert out.status_code == 204 and out.data == b""
    assert client.get(f"{API}/me", headers=bearer(first)).status_code == 401
    assert client.get(f"{API}/me", headers=bearer(second)).status_code == 200
    assert client.post(f"{API}/logout", headers=bearer(first)).status_code == 401


def test_expired_tokens_are_refused_and_purged(app, client):
    register(client)
    token = login(client).get_json()["token"]
    with app.app_context():
        _db.session.execute(update(AuthToken).values(expires_at=dt.datetime(2000, 1, 1)))
        _db.session.commit()
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401
    login(client)  # a login removes the account's expired tokens
    with app.app_context():
        assert _db.session.execute(select(func.count()).select_from(AuthToken)).scalar_one() == 1
        _db.session.execute(update(AuthToken).values(expires_at=dt.datetime(2000, 1, 1)))
        _db.session.commit()
        result = CliRunner().invoke(app.cli, ["users", "purge-tokens"], catch_exceptions=False)
        assert "purged 1 " in result.output
        assert _db.session.execute(select(func.count()).select_from(AuthToken)).scalar_one() == 0


def test_password_change_checks_the_current_one_and_revokes_other_tokens(client):
    register(client)
    mine, other = login(client).get_json()["token"], login(client).get_json()["token"]
    wrong = client.post(f"{API}/password", headers=bearer(mine),
                        json={"current_password": "not-it-at-all", "new_password": "another-horse-staple"})
    assert wrong.status_code == 422 and "current_password" in fields(wrong)
    weak = client.post(f"{API}/password", headers=bearer(mine),
                       json={"current_password": GOOD, "new_password": "password"})
    assert weak.status_code == 422 and "new_password" in fields(weak)
    changed = client.post(f"{API}/password", headers=bearer(mine),
                          json={"current_password": GOOD, "new_password": "another-horse-staple"})
    assert changed.status_code == 204
    assert client.get(f"{API}/me", headers=bearer(mine)).status_code == 200
    assert client.get(f"{API}/me", headers=bearer(other)).status_code == 401
    assert login(client).status_code == 401
    assert login(client, password="another-horse-staple").status_code == 200


def test_password_change_needs_a_token(client):
    response = client.post(f"{API}/password", json={"current_password": GOOD, "new_password": "x" * 12})
    assert response.status_code == 401

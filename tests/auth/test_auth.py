"""Registration, login, tokens, roles and the operator command."""

import hashlib

from sqlalchemy import select

from backend.auth.models import AuthToken, User
from backend.extensions import db as _db


def register(client, email="ann@example.com", password="correct-horse", name="Ann"):
    return client.post("/api/v1/auth/register", json={"email": email, "password": password, "name": name})


def test_register_login_me(client, app):
    response = register(client)
    assert response.status_code == 201
    assert response.get_json()["role"] == "user"
    login = client.post("/api/v1/auth/login", json={"email": "ANN@example.com", "password": "correct-horse"})
    assert login.status_code == 200
    token = login.get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "ann@example.com"
    assert me.headers["Cache-Control"].startswith("private")


def test_passwords_are_argon2id_and_tokens_stored_hashed(client, app):
    register(client)
    token = client.post("/api/v1/auth/login", json={"email": "ann@example.com",
                                                     "password": "correct-horse"}).get_json()["token"]
    with app.app_context():
        user = _db.session.execute(select(User)).scalar_one()
        assert user.password_hash.startswith("$argon2id$")
        stored = _db.session.execute(select(AuthToken.token_hash)).scalars().all()
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_duplicate_email_is_409_naming_the_field(client):
    register(client)
    response = register(client, email="Ann@Example.com")
    assert response.status_code == 409
    assert "email" in response.get_json()["error"]["details"]["fields"]


def test_bad_registration_names_each_field(client):
    response = client.post("/api/v1/auth/register", json={"email": "nope", "password": "short"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"email", "password", "name"} <= set(fields)


def test_unknown_fields_are_refused(client):
    response = client.post("/api/v1/auth/register", json={"email": "a@example.com", "password": "long-enough",
                                                          "name": "A", "role": "admin"})
    assert response.status_code == 422
    assert "role" in response.get_json()["error"]["details"]["fields"]


def test_wrong_password_and_unknown_email_are_the_same_401(client):
    register(client)
    wrong = client.post("/api/v1/auth/login", json={"email": "ann@example.com", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"email": "bob@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_missing_and_bad_tokens_are_401(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    bad = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "invalid_token"
    basic = client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_expired_token_is_401(client, app, make_user):
    _, headers = make_user()
    with app.app_context():
        token = _db.session.execute(select(AuthToken)).scalar_one()
        token.expires_at = token.created_at.replace(year=2000)
        _db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_cli_creates_any_role_and_a_chef_owns_a_profile(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "boss@example.com", "--role", "admin",
                                 "--password", "admin-secret"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "cook@example.com", "--role", "chef", "--password",
                                 "chef-secret", "--cuisine", "thai", "--location", "Bangkok"])
    assert result.exit_code == 0, result.output
    token = client.post("/api/v1/auth/login", json={"email": "cook@example.com",
                                                     "password": "chef-secret"}).get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["role"] == "chef" and me["chef_id"]
    chef = client.get(f"/api/v1/coocook/chefs/{me['chef_id']}").get_json()
    assert chef["cuisine_type"] == "thai" and chef["location"] == "Bangkok"
    dup = runner.invoke(args=["users", "create", "cook@example.com", "--password", "another-one"])
    assert dup.exit_code != 0 and "already registered" in dup.output

"""Secrets at rest: MultiFernet from SECRETS_KEYS, production refusal, `flask keys rotate` on both databases."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from backend import create_app
from backend.common import secrets
from backend.sns.models import SnsAccount
from tests.conftest import make_app

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_and_development_default_is_derived_from_secret_key(app):
    with app.app_context():
        token = secrets.encrypt("tok-123")
        assert token != "tok-123" and secrets.decrypt(token) == "tok-123"
        derived = Fernet(secrets.derived_dev_key(app.config["SECRET_KEY"]))
        assert derived.decrypt(token.encode()) == b"tok-123"  # the offline default, stable across restarts


def test_malformed_keys_are_a_start_up_error_naming_the_item():
    with pytest.raises(RuntimeError, match="SECRETS_KEYS item 2"):
        secrets.parse_keys(f"{NEW}, not-a-key", "s")


def test_production_refuses_missing_secrets_keys(tmp_path):
    base = {"APP_ENV": "production", "SECRET_KEY": "s3cret-" * 6, "CACHE_GENERATIONS_PATH": str(tmp_path / "g"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}
    with pytest.raises(RuntimeError, match="SECRETS_KEYS"):
        create_app(base)
    assert create_app({**base, "SECRETS_KEYS": NEW}).config["SECRETS_KEYS"] == NEW


def test_unreadable_secret_is_an_error_not_garbage(app):
    with app.app_context():
        token = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
        with pytest.raises(secrets.SecretUnreadable):
            secrets.decrypt(token)


def _accounts(app, user_id: int, n: int) -> list[int]:
    with app.app_context():
        from backend.extensions import db

        ids = [db.session.execute(insert(SnsAccount).values(owner_id=user_id, platform="x", handle=f"h{i}",
                                                            credential=secrets.encrypt(f"cred-{i}"))
                                  .returning(SnsAccount.id)).scalar_one() for i in range(n)]
        db.session.commit()
        db.session.remove()
        return ids


def _stored(app) -> dict[int, str]:
    with app.app_context():
        from backend.extensions import db

        rows = dict(db.session.execute(select(SnsAccount.id, SnsAccount.credential)).all())
        db.session.remove()
        return rows


def test_flask_keys_rotate_reencrypts_in_batches_then_the_old_key_can_go(database_url, tmp_path, make_user):
    user, _ = make_user()
    old_app = make_app(database_url, tmp_path, SECRETS_KEYS=OLD)
    ids = _accounts(old_app, user["id"], 7)
    before = _stored(old_app)
    both = make_app(database_url, tmp_path, SECRETS_KEYS=f"{NEW},{OLD}")
    result = both.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "3"])  # 3 batches: 3 + 3 + 1
    assert result.exit_code == 0, result.output
    assert "sns_accounts.credential: 7 re-encrypted" in result.output
    after = _stored(both)
    assert all(after[i] != before[i] for i in ids)
    new_only = make_app(database_url, tmp_path, SECRETS_KEYS=NEW)
    with new_only.app_context():
        assert [secrets.decrypt(after[i]) for i in ids] == [f"cred-{n}" for n in range(7)]
    with old_app.app_context(), pytest.raises(secrets.SecretUnreadable):
        old_app.extensions.pop(secrets.EXTENSION_KEY, None)
        secrets.decrypt(after[ids[0]])  # the old key alone no longer opens them


def test_rotate_refuses_rows_no_configured_key_opens(database_url, tmp_path, make_user):
    user, _ = make_user()
    _accounts(make_app(database_url, tmp_path, SECRETS_KEYS=OLD), user["id"], 1)
    wrong = make_app(database_url, tmp_path, SECRETS_KEYS=NEW)
    result = wrong.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0 and isinstance(result.exception, secrets.SecretUnreadable)


def test_keys_generate_prints_a_usable_key(app):
    result = app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())

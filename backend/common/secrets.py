"""Secrets at rest: third-party credentials encrypted with MultiFernet, keys from configuration.

`SECRETS_KEYS` is a comma-separated list of Fernet keys (32 url-safe base64 bytes each), newest
first: the first encrypts, every one decrypts. Rotating keys: put a new key in front, run
`flask keys rotate` (re-encrypts every registered column in batches under the newest key), then
drop the old key. Production refuses to start without `SECRETS_KEYS` (backend/app.py); elsewhere
an unset value falls back to a key derived from SECRET_KEY so `make run` works offline.

Domains register the columns they encrypt (`register_encrypted(Model.column)`) so rotation finds
them without a central list. API keys are *not* here: they are stored as hashes only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from backend.database import write_transaction
from backend.errors import APIError

EXTENSION_KEY = "secrets.box"
DEV_KEY_SALT = b"softfactory-secrets-dev-key:"


class SecretUnreadable(APIError):
    """A stored secret no configured key decrypts (keys dropped before `flask keys rotate` ran)."""

    status = 503  # an operator must restore the key; the request itself was fine
    code = "secret_unreadable"


def derived_dev_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY: the development default (never accepted in production)."""
    return base64.urlsafe_b64encode(hashlib.sha256(DEV_KEY_SALT + secret_key.encode()).digest())


def parse_keys(raw: str | None, secret_key: str) -> list[bytes]:
    """The configured keys, newest first; the derived development key when none are set.

    A malformed key is a start-up error naming its position, never a silent fallback.
    """
    items = [k.strip() for k in (raw or "").split(",") if k.strip()]
    if not items:
        return [derived_dev_key(secret_key)]
    keys = []
    for n, item in enumerate(items, start=1):
        try:
            Fernet(item.encode())
        except (ValueError, TypeError):
            raise RuntimeError(f"SECRETS_KEYS item {n} is not a Fernet key (32 url-safe base64 bytes)") from None
        keys.append(item.encode())
    return keys


def box() -> MultiFernet:
    """This app's MultiFernet, built once from its configuration."""
    built = current_app.extensions.get(EXTENSION_KEY)
    if built is None:
        keys = parse_keys(current_app.config.get("SECRETS_KEYS"), current_app.config["SECRET_KEY"])
        built = current_app.extensions[EXTENSION_KEY] = MultiFernet([Fernet(k) for k in keys])
    return built


def encrypt(plaintext: str) -> str:
    """The Fernet token (text) of `plaintext` under the newest key."""
    return box().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a stored token; SecretUnreadable when no configured key opens it."""
    try:
        return box().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored secret cannot be decrypted with the configured SECRETS_KEYS") from None


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding Fernet tokens, and the primary key rotation pages through."""

    column: InstrumentedAttribute
    pk: InstrumentedAttribute

    @property
    def name(self) -> str:
        """`table.column`, for reports."""
        return f"{self.column.class_.__tablename__}.{self.column.key}"


REGISTRY: dict[str, EncryptedColumn] = {}


def register_encrypted(column: InstrumentedAttribute, pk: InstrumentedAttribute | None = None) -> None:
    """Declare a model column that stores `encrypt()` output (pk defaults to the model's `id`)."""
    entry = EncryptedColumn(column, pk if pk is not None else column.class_.id)
    REGISTRY[entry.name] = entry


def rotate_all(session, batch: int = 500, only: Iterable[str] | None = None) -> dict[str, int]:
    """Re-encrypt every registered column under the newest key; returns rows rewritten per column.

    Keyset pages of `batch` rows, each page one short write transaction (the table is never locked
    for the whole run). A row is rewritten only if its token is unchanged since it was read, so a
    concurrent update (a user replacing a credential) is never overwritten with an older value.
    Rotating twice is harmless (MultiFernet.rotate re-encrypts under the newest key again).
    """
    fernet = box()
    done: dict[str, int] = {}
    for name, entry in sorted(REGISTRY.items()):
        if only is not None and name not in set(only):
            continue
        done[name] = 0
        last = 0
        while True:
            with write_transaction(session) as tx:
                rows = tx.execute(select(entry.pk, entry.column).where(entry.pk > last, entry.column.is_not(None))
                                  .order_by(entry.pk).limit(batch)).all()
                for pk, token in rows:
                    try:
                        fresh = fernet.rotate(token.encode()).decode()
                    except InvalidToken:
                        raise SecretUnreadable(f"{name} row {pk} cannot be decrypted with any configured key; "
                                               "put the key it was written with back in SECRETS_KEYS") from None
                    done[name] += tx.execute(update(entry.column.class_).where(entry.pk == pk, entry.column == token)
                                             .values({entry.column.key: fresh})).rowcount
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return done

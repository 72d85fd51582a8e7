"""Provider credentials set by administrators: encrypted at rest, overriding configuration.

An admin stores an API key (and optionally a base URL) for a declared provider
(`PUT /api/v1/admin/providers/<name>/credentials`, backend/providers); from then on every process
calls that provider with it instead of `<PREFIX>_API_KEY`, until the admin deletes it. The key is
a Fernet token (backend/common/secrets.py, rotated by `flask keys rotate` like SNS credentials);
it is never returned, only whether one is set and when.

A stored base URL applies only together with its stored key: pointing a provider elsewhere never
sends the configured key to the new address.

Every process keeps the overrides it loaded (one statement) and reloads them when the shared
generation GENERATION moves (bumped after each change: the mmap file, or Redis across hosts),
looking at most every CHECK_SECONDS; a process that changed them forgets its own clients at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import utcnow
from backend.common.secrets import SecretUnreadable, decrypt, register_encrypted
from backend.database import read_connection
from backend.extensions import db

log = logging.getLogger(__name__)
GENERATION = "integrations:credentials"
CHECK_SECONDS = 1.0  # how stale another worker's change may be here
RETRY_SECONDS = 5.0  # after a failed load (database down), configuration alone until then


class ProviderCredential(db.Model):
    """An admin-set credential of one provider."""

    __tablename__ = "provider_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    api_key: Mapped[str] = mapped_column(Text, nullable=False)  # Fernet token
    base_url: Mapped[str | None] = mapped_column(String(500))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


register_encrypted(ProviderCredential.api_key)


@dataclass(frozen=True)
class Override:
    """What an admin set for one provider (the key decrypted, never shown)."""

    api_key: str = field(repr=False)
    base_url: str | None
    updated_at: dt.datetime


def load() -> dict[str, Override]:
    """Every stored override, decrypted (one statement).

    A token no configured key opens is skipped with an error log: the provider falls back to
    configuration rather than sending garbage.
    """
    # A connection of its own: this runs inside whatever request or job first calls out, whose
    # session may hold a transaction that is not ours to end.
    with read_connection(db.engine) as conn:
        rows = conn.execute(select(ProviderCredential.provider, ProviderCredential.api_key,
                                   ProviderCredential.base_url, ProviderCredential.updated_at)).all()
    out = {}
    for row in rows:
        try:
            out[row.provider] = Override(decrypt(row.api_key), row.base_url, row.updated_at)
        except SecretUnreadable:
            log.error("the stored credential of provider %s cannot be decrypted with SECRETS_KEYS; "
                      "using its configuration instead", row.provider)
    return out

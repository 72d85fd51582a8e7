"""Provider credentials as admins manage them: list, set (encrypted, overriding configuration), delete.

After each change commits, the shared generation is bumped (every worker reloads within
credentials.CHECK_SECONDS) and this process reloads at once. Changes are logged with the
admin's id and never the key; the key is never returned.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.caching import invalidate
from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.secrets import encrypt
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.integrations import Integrations
from backend.integrations.credentials import GENERATION, ProviderCredential

log = logging.getLogger(__name__)


def _known(name: str) -> None:
    if name not in Integrations.state().specs:
        raise NotFound("no such provider", {"provider": name[:64]}, code="provider_not_found")


def providers(only: str | None = None) -> list[dict[str, Any]]:
    """Each declared provider as the outbound client now calls it (reloaded first), with who set its key."""
    state = Integrations.state()
    state.sync_overrides(force=True)
    stored = {r.provider: r for r in db.session.execute(
        select(ProviderCredential.provider, ProviderCredential.updated_at, ProviderCredential.updated_by))}
    db.session.commit()
    out = []
    for entry in state.status():
        if only is not None and entry["name"] != only:
            continue
        row = stored.get(entry["name"]) if entry["key_source"] == "admin" else None
        out.append({**entry, "env_prefix": state.specs[entry["name"]].prefix,
                    "credential_updated_at": row.updated_at if row else None,
                    "credential_updated_by": row.updated_by if row else None})
    return out


def set_credential(actor: Actor, name: str, api_key: str, base_url: str | None) -> dict[str, Any]:
    """Store (or replace) the provider's credential; from now on it overrides configuration."""
    _known(name)
    values = {"provider": name, "api_key": encrypt(api_key), "base_url": base_url, "updated_by": actor.id,
              "updated_at": utcnow()}
    with write_transaction(db.session) as tx:
        make = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = make(ProviderCredential).values(**values)
        tx.execute(statement.on_conflict_do_update(
            index_elements=[ProviderCredential.provider],
            set_={k: statement.excluded[k] for k in ("api_key", "base_url", "updated_by", "updated_at")}))
    invalidate(GENERATION)
    log.info("provider credential set", extra={"provider": name, "admin_id": actor.id,
                                               "base_url_set": base_url is not None})
    return providers(only=name)[0]


def delete_credential(actor: Actor, name: str) -> dict[str, Any]:
    """Delete the provider's stored credential (404 when none is stored): configuration applies again."""
    _known(name)
    with write_transaction(db.session) as tx:
        gone = tx.execute(delete(ProviderCredential).where(ProviderCredential.provider == name)).rowcount
    if not gone:
        raise NotFound("no stored credential for this provider", {"provider": name}, code="credential_not_found")
    invalidate(GENERATION)
    log.info("provider credential deleted", extra={"provider": name, "admin_id": actor.id})
    return providers(only=name)[0]

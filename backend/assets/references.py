"""How other domains reference an asset (CooCook chef avatars, campaign images, ...).

A referencing table holds a nullable `<name>_asset_id` String(36) column with
`ForeignKey("assets.id", ondelete="SET NULL")` (and an index: PostgreSQL scans the referencing
table on every asset delete otherwise); its write service calls `check_reference` inside its
transaction, and listens to the `asset_deleted` event (`on_asset_deleted(asset_id, owner_id)`)
to invalidate the caches that showed the asset. Reads turn the id into URLs with `asset_urls`
(no query: URLs are a function of the id).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app
from sqlalchemy import select

from backend.assets.models import Asset
from backend.common.actor import Actor
from backend.errors import ValidationFailed

API_PATH = "/api/v1/assets"


def asset_path(asset_id: str) -> str:
    """The API path of an asset's stored image."""
    return f"{API_PATH}/{asset_id}/content"


def asset_urls(asset_id: str | None) -> dict[str, str | None]:
    """`url` and `optimized_url` of an asset id (ASSETS_PUBLIC_URL in front when set); None for None."""
    if asset_id is None:
        return {"url": None, "optimized_url": None}
    base = str(current_app.config.get("ASSETS_PUBLIC_URL") or "").rstrip("/")
    return {"url": f"{base}{asset_path(asset_id)}", "optimized_url": f"{base}{API_PATH}/{asset_id}/optimized"}


def check_reference(session: Any, actor: Actor, asset_id: str | None, owner_id: int | None,
                    field: str) -> str | None:
    """The canonical id when `asset_id` may be referenced by a row of `owner_id`, else a 422 on `field`.

    The asset must exist and belong to the referencing row's owner: a chef's avatar is an image that
    chef uploaded (an admin editing the profile may pick any of that chef's assets, not their own).
    A row without an owner account (seeded chefs) takes the acting account's assets. None (clearing
    the reference) is always allowed.
    """
    if asset_id is None:
        return None
    try:
        canonical = str(UUID(str(asset_id)))
    except ValueError:
        raise ValidationFailed("not an asset id", {"fields": {field: "not an asset id (uuid)"}}) from None
    # FOR KEY SHARE (PostgreSQL; nothing on SQLite, whose writers are serialised): a delete of the
    # asset committing before this transaction's write would otherwise fail its foreign key (a 500).
    owner = session.execute(select(Asset.owner_id).where(Asset.id == canonical)
                            .with_for_update(key_share=True)).scalar()
    expected = owner_id if owner_id is not None else actor.id
    if owner is None or owner != expected:
        raise ValidationFailed("no such asset of this account", {"fields": {field: "no such asset of this account"}})
    return canonical

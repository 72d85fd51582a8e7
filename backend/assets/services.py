"""Assets rules: upload (validated, stored content-addressed), read, variants, delete (owner only).

Visibility: an asset is public to whoever has its id (a random UUID: not guessable, not listed
publicly), because avatars and campaign images are shown to anonymous visitors; only its owner
(or an admin) may delete it, and anyone else's delete is a 404 like an unknown id.
Blobs are shared by identical uploads, so a delete removes the bytes (and variants) only when no
other asset has the same hash, decided under the same host lock the upload holds for that hash.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select

from backend.assets import cdn, variants
from backend.assets.models import Asset
from backend.assets.references import API_PATH, asset_urls
from backend.assets.storage import storage
from backend.caching import invalidate
from backend.caching.l1 import etag_in
from backend.common.actor import Actor
from backend.common.events import publish
from backend.common.images import ValidatedImage
from backend.database import read_connection, write_transaction
from backend.errors import NotFound
from backend.extensions import db

ASSETS = Asset.__table__.c
COLUMNS = (ASSETS.id, ASSETS.owner_id, ASSETS.content_hash, ASSETS.format, ASSETS.width, ASSETS.height,
           ASSETS.size_bytes, ASSETS.filename, ASSETS.created_at)
BY_ID = select(*COLUMNS).where(ASSETS.id == bindparam("asset_id"))
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def asset_out(row: Any) -> dict:
    """An asset row as the API shows it."""
    return {"id": row.id, "format": row.format, "width": row.width, "height": row.height,
            "size_bytes": row.size_bytes, "content_hash": row.content_hash, "filename": row.filename,
            "created_at": row.created_at, **asset_urls(row.id)}


def _clean_filename(name: str | None) -> str:
    """The client's file name for display only: last path part, no control characters, 255 chars."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return UNSAFE_NAME.sub("", base).strip()[:255]


def _lock_dir() -> str:
    return current_app.config["ASSETS_LOCK_DIR"]


def create_asset(actor: Actor, image: ValidatedImage, filename: str | None) -> dict:
    """Store a validated image for `actor`: the row, then its bytes (under the hash's host lock)."""
    content_hash = hashlib.sha256(image.data).hexdigest()
    asset_id = str(uuid.uuid4())
    store = storage()
    with variants.host_lock(_lock_dir(), f"blob:{content_hash}"):
        store.put(variants.original_key(content_hash, image.format), image.data,
                  variants.CONTENT_TYPES[image.format])
        with write_transaction(db.session) as session:
            session.execute(insert(Asset).values(
                id=asset_id, owner_id=actor.id, content_hash=content_hash, format=image.format,
                width=image.width, height=image.height, size_bytes=len(image.data),
                filename=_clean_filename(filename)))
    return get_asset(asset_id)


def _row(asset_id: str) -> Any:
    with read_connection(db.engine) as conn:
        row = conn.execute(BY_ID, {"asset_id": asset_id}).first()
    if row is None:
        raise NotFound("asset not found", code="asset_not_found")
    return row


def get_asset(asset_id: str) -> dict:
    """An asset's metadata and URLs (404 for an unknown id)."""
    return asset_out(_row(asset_id))


def content(asset_id: str, if_none_match: str | None = None) -> tuple[bytes | None, str, str]:
    """(bytes, etag, content type) of the stored image; bytes None when `if_none_match` names the ETag.

    The ETag is the stored hash, known from the row, so a revalidation costs no storage read.
    """
    row = _row(asset_id)
    etag = row.content_hash[:32]
    if if_none_match and etag_in(if_none_match, etag):
        return None, etag, variants.CONTENT_TYPES[row.format]
    data = storage().get(variants.original_key(row.content_hash, row.format))
    if data is None:  # the row outlived its blob (a storage outage or manual cleanup)
        raise NotFound("asset content is missing", code="asset_content_missing")
    return data, etag, variants.CONTENT_TYPES[row.format]


def optimized(asset_id: str, width: int | None, fmt: str, quality: int) -> tuple[bytes, str, str, bool]:
    """(bytes, etag, content type, encoded now) of a variant; never wider than the original."""
    row = _row(asset_id)
    target = min(width or row.width, row.width)
    fmt = fmt.upper()
    try:
        data, created = variants.get_or_create(storage(), _lock_dir(), row.content_hash, row.format, target,
                                               fmt, quality)
    except FileNotFoundError:
        raise NotFound("asset content is missing", code="asset_content_missing") from None
    return data, variants.etag_of(data), variants.CONTENT_TYPES[fmt], created


def variant_paths(asset_id: str, content_hash: str) -> list[str]:
    """The API paths (canonical query spelling) of an asset's stored content and variants, for a CDN purge."""
    paths = [f"{API_PATH}/{asset_id}/content"]
    for key in storage().list_prefix(variants.variants_prefix(content_hash)):
        match = re.search(r"/(\d+)w-q(\d+)\.(webp|jpg)$", key)
        if match:
            fmt = "webp" if match.group(3) == "webp" else "jpeg"
            paths.append(f"{API_PATH}/{asset_id}/optimized?format={fmt}&q={match.group(2)}&w={match.group(1)}")
    return paths


def delete_asset(actor: Actor, asset_id: str) -> str:
    """Delete the owner's asset (404 for anyone else); returns what the CDN purge did."""
    with read_connection(db.engine) as conn:
        row = conn.execute(BY_ID, {"asset_id": asset_id}).first()
    if row is None or (row.owner_id != actor.id and not actor.is_admin):
        raise NotFound("asset not found", code="asset_not_found")
    paths = variant_paths(asset_id, row.content_hash)
    store = storage()
    with variants.host_lock(_lock_dir(), f"blob:{row.content_hash}"):
        with write_transaction(db.session) as session:
            gone = session.execute(delete(Asset).where(Asset.id == asset_id)).rowcount
            shared = session.execute(select(func.count()).select_from(Asset)
                                     .where(Asset.content_hash == row.content_hash)).scalar_one()
        if gone and not shared:
            store.delete(variants.original_key(row.content_hash, row.format))
            store.delete_prefix(variants.variants_prefix(row.content_hash))
    if not gone:  # deleted by a concurrent request meanwhile
        raise NotFound("asset not found", code="asset_not_found")
    invalidate(f"asset:{asset_id}")
    publish("asset_deleted", asset_id=asset_id, owner_id=row.owner_id)
    return cdn.purge(paths)

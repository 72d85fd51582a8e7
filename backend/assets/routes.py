"""Assets HTTP layer: the multipart upload, metadata, bytes and variants, delete.

Bytes and variants are immutable (their URLs name content that never changes), so they are
served with `Cache-Control: public, max-age=31536000, immutable` and a content-hash ETag; a
matching If-None-Match is a 304. The bytes come from storage (local disk or S3); the database
gives only the asset's row (one primary-key read).
"""

from __future__ import annotations

from uuid import UUID

from flask import Response, current_app, request

from backend.assets import bp, listing, services
from backend.assets.schemas import AssetListQuery, AssetOut, AssetPage, OptimizedQuery
from backend.caching.l1 import etag_in
from backend.caching.view import cached_response
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.common.images import read_upload, validate_image
from backend.errors import UnsupportedMediaType

IMMUTABLE = "public, max-age=31536000, immutable"


def _immutable(data: bytes | None, etag: str, content_type: str, extra: dict[str, str] | None = None) -> Response:
    """200 with the bytes, or 304 when the client's If-None-Match names this ETag (or no bytes were read)."""
    header = request.headers.get("If-None-Match")
    matched = data is None or (bool(header) and etag_in(header or "", etag))
    response = Response(status=304) if matched else Response(data, mimetype=content_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers.update(extra or {})
    return response


@api_route(bp, "", "POST", summary="Upload an image (multipart `file`: JPEG, PNG or WebP; EXIF removed)",
           response=AssetOut, status=201, roles=ROLES, errors=[400, 413, 415, 503], idempotency=False,
           max_body="ASSETS_MAX_BODY", upload="file")
def upload_asset():
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the image as multipart/form-data with a `file` part",
                                   {"content_type": request.mimetype or None})
    limits = current_app.config
    part = request.files.get("file")
    data = read_upload(part, limits["ASSETS_MAX_BYTES"])
    image = validate_image(data, max_bytes=limits["ASSETS_MAX_BYTES"], max_side=limits["ASSETS_MAX_SIDE"],
                           max_pixels=limits["ASSETS_MAX_PIXELS"])
    return services.create_asset(current_actor(), image, part.filename if part else None)


@api_route(bp, "", summary="My assets, newest first (offset or cursor pages; private)", query=AssetListQuery,
           response=AssetPage, roles=ROLES)
def list_assets(query: AssetListQuery):
    return listing.list_assets(current_actor(), **query.model_dump())


@api_route(bp, "/<uuid:asset_id>", summary="An asset's metadata and URLs (public to whoever has the id)",
           response=AssetOut, errors=[404])
@cached_response(lambda kw: (f"asset:{kw['asset_id']}",))
def get_asset(asset_id: UUID):
    return services.get_asset(str(asset_id))


@api_route(bp, "/<uuid:asset_id>/content", summary="The stored image (immutable; content-hash ETag)",
           errors=[404, 503], produces=("image/jpeg", "image/png", "image/webp"))
def asset_content(asset_id: UUID):
    return _immutable(*services.content(str(asset_id), request.headers.get("If-None-Match")))


@api_route(bp, "/<uuid:asset_id>/optimized", summary="A resized variant, encoded once then served from "
           "storage (immutable; content-hash ETag)", query=OptimizedQuery, errors=[404, 503],
           produces=("image/webp", "image/jpeg"))
def asset_optimized(asset_id: UUID, query: OptimizedQuery):
    data, etag, content_type, created = services.optimized(str(asset_id), query.w, query.format, query.q)
    return _immutable(data, etag, content_type, {"X-Asset-Variant": "created" if created else "stored"})


@api_route(bp, "/<uuid:asset_id>", "DELETE", summary="Delete my asset (its owner or an admin); purges the CDN "
           "when configured", status=204, roles=ROLES, errors=[404, 503])
def delete_asset(asset_id: UUID):
    purge = services.delete_asset(current_actor(), str(asset_id))
    # A header value: one printable ASCII line, whatever a provider's message held.
    return None, {"X-CDN-Purge": "".join(c if " " <= c <= "~" else "?" for c in purge)[:200]}

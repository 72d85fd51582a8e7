"""Seed data of assets: the demo chef's avatar and two images of the demo user (every scale).

The images are drawn here (gradients, deterministic), validated like uploads and stored through
the configured storage, so `make run` serves real bytes and variants. Assets are not a hot list:
the same handful at every scale.
"""

from __future__ import annotations

import hashlib
import io
import uuid

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import insert, update

from backend.assets import variants
from backend.assets.models import Asset
from backend.assets.storage import storage
from backend.common.actor import Role
from backend.common.images import validate_image
from backend.coocook.models import Chef
from backend.extensions import db

DEMO_IMAGES = (("chef-avatar.jpg", (512, 512), (200, 80, 40)), ("market.jpg", (1200, 800), (40, 120, 200)),
               ("dish.png", (640, 480), (60, 160, 90)))


def _drawn(size: tuple[int, int], colour: tuple[int, int, int], fmt: str) -> bytes:
    """A gradient with a circle: a stand-in photo (deterministic bytes, so re-seeding shares blobs)."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(image, Image.new("RGB", size, colour), 0.6)
    ImageDraw.Draw(image).ellipse([size[0] // 4, size[1] // 4, 3 * size[0] // 4, 3 * size[1] // 4],
                                  fill=tuple(255 - c for c in colour))
    out = io.BytesIO()
    image.save(out, format=fmt, quality=90)
    return out.getvalue()


def seed_assets(ctx) -> list[str]:
    """Store the demo images, insert their rows, set the demo chef's avatar; returns namespaces to bump."""
    demo = ctx.shared["demo"]
    owners = (demo[Role.CHEF.value], demo[Role.USER.value], demo[Role.USER.value])
    store = storage(current_app)
    ids = []
    for (name, size, colour), owner in zip(DEMO_IMAGES, owners, strict=True):
        image = validate_image(_drawn(size, colour, "PNG" if name.endswith(".png") else "JPEG"),
                               max_bytes=current_app.config["ASSETS_MAX_BYTES"])
        content_hash = hashlib.sha256(image.data).hexdigest()
        store.put(variants.original_key(content_hash, image.format), image.data, variants.CONTENT_TYPES[image.format])
        asset_id = str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))
        db.session.execute(insert(Asset).values(id=asset_id, owner_id=owner, content_hash=content_hash,
                                                format=image.format, width=image.width, height=image.height,
                                                size_bytes=len(image.data), filename=name, created_at=ctx.now))
        ids.append(asset_id)
    db.session.execute(update(Chef).where(Chef.user_id == demo[Role.CHEF.value]).values(avatar_asset_id=ids[0]))
    return ["chefs", "chef:1", *(f"asset:{i}" for i in ids)]

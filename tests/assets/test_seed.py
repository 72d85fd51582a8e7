"""The assets seed: the demo chef's avatar and the demo user's images are served as real bytes."""

from __future__ import annotations

import io

from PIL import Image

from tests.assets.conftest import ASSETS


def test_the_seed_gives_the_demo_chef_an_avatar(assets_app):
    from backend.seeding import seed

    with assets_app.app_context():
        result = seed("small")
    assert result["assets"] == 3
    client = assets_app.test_client()
    chef = client.get("/api/v1/coocook/chefs/1").get_json()
    assert chef["name"] == "Charlie Chef" and chef["avatar_url"]
    avatar = client.get(chef["avatar_url"])
    assert avatar.status_code == 200 and Image.open(io.BytesIO(avatar.data)).size == (512, 512)
    variant = client.get(f"{ASSETS}/{chef['avatar_asset_id']}/optimized?w=64")
    assert variant.status_code == 200 and Image.open(io.BytesIO(variant.data)).size == (64, 64)

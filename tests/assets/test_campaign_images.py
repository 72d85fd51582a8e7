"""Campaigns reference image assets: set on create or PATCH (the owner's own images only), shown on the
public list and page, cleared by PATCH null and by deleting the asset (cached pages invalidated)."""

from __future__ import annotations

from tests.assets.conftest import ASSETS, upload
from tests.campaigns.conftest import API, new_campaign
from tests.common import images_factory as make


def test_a_campaign_sets_shows_clears_and_loses_its_image(assets_app, make_user):
    client = assets_app.test_client()
    _, owner = make_user()
    _, stranger = make_user()
    mine = upload(client, owner, make.jpeg_with_exif()).get_json()
    theirs = upload(client, stranger, make.webp_with_exif()).get_json()

    refused = client.post(API, headers=owner, json={"title": "T", "brand": "B", "product": "P", "reward": 1,
                                                    "slots": 1, "deadline": "2099-01-01T00:00:00Z",
                                                    "image_asset_id": theirs["id"]})
    assert refused.status_code == 422 and "image_asset_id" in refused.get_json()["error"]["details"]["fields"]
    created = new_campaign(client, owner, image_asset_id=mine["id"])
    assert created["image_asset_id"] == mine["id"] and created["image_url"] == mine["url"]
    detail = f"{API}/{created['id']}"
    assert client.get(detail).get_json()["image_url"] == mine["url"]  # cached now
    assert client.get(API).get_json()["items"][0]["image_asset_id"] == mine["id"]

    for bad in ("nope", theirs["id"], "00000000-0000-4000-8000-000000000000"):
        response = client.patch(detail, headers=owner, json={"image_asset_id": bad})
        assert response.status_code == 422, bad
        assert "image_asset_id" in response.get_json()["error"]["details"]["fields"]
    cleared = client.patch(detail, headers=owner, json={"image_asset_id": None})
    assert cleared.status_code == 200 and cleared.get_json()["image_url"] is None
    assert client.get(detail).get_json()["image_asset_id"] is None
    assert client.patch(detail, headers=owner, json={"image_asset_id": mine["id"]}).status_code == 200
    assert client.get(API).get_json()["items"][0]["image_asset_id"] == mine["id"]

    # Deleting the asset clears the reference (FK SET NULL) and the cached campaign pages.
    assert client.delete(f"{ASSETS}/{mine['id']}", headers=owner).status_code == 204
    assert client.get(detail).get_json()["image_asset_id"] is None
    assert client.get(API).get_json()["items"][0]["image_url"] is None


def test_an_admin_may_set_only_the_owners_image(assets_app, make_user):
    client = assets_app.test_client()
    _, owner = make_user()
    _, admin = make_user("admin")
    owners = upload(client, owner, make.jpeg_with_exif()).get_json()
    admins = upload(client, admin, make.jpeg_with_exif()).get_json()
    detail = f"{API}/{new_campaign(client, owner)['id']}"
    assert client.patch(detail, headers=admin, json={"image_asset_id": admins["id"]}).status_code == 422
    assert client.patch(detail, headers=admin, json={"image_asset_id": owners["id"]}).status_code == 200

"""Chef avatars reference assets: set through the chef PATCH, shown on list and detail, cleared on delete."""

from __future__ import annotations

from backend.caching.extension import response_cache
from tests.assets.conftest import ASSETS, upload
from tests.common import images_factory as make
from tests.conftest import statements

CHEFS = "/api/v1/coocook/chefs"


def test_a_chef_sets_clears_and_loses_an_avatar(assets_app, make_user):
    client = assets_app.test_client()
    chef, chef_headers = make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=100.0)
    _, stranger = make_user()
    mine = upload(client, chef_headers, make.jpeg_with_exif()).get_json()
    theirs = upload(client, stranger, make.webp_with_exif()).get_json()
    detail = f"{CHEFS}/{chef['chef_id']}"
    assert client.get(detail).get_json()["avatar_url"] is None  # cached now: the PATCH must invalidate it
    assert client.get(CHEFS).get_json()["items"][0]["avatar_asset_id"] is None

    refused = client.patch(detail, headers=chef_headers, json={"avatar_asset_id": theirs["id"]})
    assert refused.status_code == 422 and "avatar_asset_id" in refused.get_json()["error"]["details"]["fields"]
    unknown = client.patch(detail, headers=chef_headers, json={"avatar_asset_id": "00000000-0000-4000-8000-0000000"
                                                                                    "00000"})
    assert unknown.status_code == 422
    assert client.patch(detail, headers=chef_headers, json={"avatar_asset_id": "nope"}).status_code == 422

    done = client.patch(detail, headers=chef_headers, json={"avatar_asset_id": mine["id"]})
    assert done.status_code == 200 and done.get_json()["avatar_url"] == mine["url"]
    assert client.get(detail).get_json()["avatar_asset_id"] == mine["id"]
    assert client.get(CHEFS).get_json()["items"][0]["avatar_url"] == mine["url"]

    cleared = client.patch(detail, headers=chef_headers, json={"avatar_asset_id": None})
    assert cleared.status_code == 200 and cleared.get_json()["avatar_asset_id"] is None
    assert client.patch(detail, headers=chef_headers, json={"avatar_asset_id": mine["id"]}).status_code == 200
    assert client.get(detail).get_json()["avatar_asset_id"] == mine["id"]

    # Deleting the asset clears the reference (FK SET NULL) and the cached chef pages.
    assert client.delete(f"{ASSETS}/{mine['id']}", headers=chef_headers).status_code == 204
    assert client.get(detail).get_json()["avatar_asset_id"] is None
    assert client.get(CHEFS).get_json()["items"][0]["avatar_asset_id"] is None


def test_an_admin_may_set_only_the_chefs_own_asset(assets_app, make_user):
    client = assets_app.test_client()
    chef, chef_headers = make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=100.0)
    _, admin = make_user("admin")
    chefs_own = upload(client, chef_headers, make.jpeg_with_exif()).get_json()
    admins_own = upload(client, admin, make.jpeg_with_exif()).get_json()
    detail = f"{CHEFS}/{chef['chef_id']}"
    assert client.patch(detail, headers=admin, json={"avatar_asset_id": admins_own["id"]}).status_code == 422
    assert client.patch(detail, headers=admin, json={"avatar_asset_id": chefs_own["id"]}).status_code == 200


def test_chef_list_and_detail_keep_constant_statement_counts_with_avatars(assets_app, make_user):
    client = assets_app.test_client()
    chefs = [make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=100.0 + i) for i in range(3)]
    for chef, headers in chefs:
        asset = upload(client, headers, make.jpeg_with_exif()).get_json()
        assert client.patch(f"{CHEFS}/{chef['chef_id']}", headers=headers,
                            json={"avatar_asset_id": asset["id"]}).status_code == 200
    bare, _ = make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=1.0)
    response_cache(assets_app).enabled = False
    for params in ({}, {"cuisine": "thai"}, {"sort": "price"}):
        one = client.get(CHEFS, query_string={**params, "per_page": 1})
        hundred = client.get(CHEFS, query_string={**params, "per_page": 100})
        assert len(hundred.get_json()["items"]) == 4 and sum(bool(i["avatar_url"]) for i in
                                                             hundred.get_json()["items"]) == 3
        assert statements(one) == statements(hundred)
    with_avatar = client.get(f"{CHEFS}/{chefs[0][0]['chef_id']}")
    without = client.get(f"{CHEFS}/{bare['chef_id']}")
    assert with_avatar.get_json()["avatar_url"] and without.get_json()["avatar_url"] is None
    assert statements(with_avatar) == statements(without)

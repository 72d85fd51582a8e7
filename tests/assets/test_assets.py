"""Assets: upload validation, metadata, immutable bytes and variants (ETag/304), delete and visibility."""

from __future__ import annotations

import io
import threading

from PIL import Image

from backend.assets import variants
from backend.assets.storage import storage
from tests.assets.conftest import ASSETS, upload
from tests.common import images_factory as make

IMMUTABLE = "public, max-age=31536000, immutable"


def test_upload_stores_a_clean_upright_copy(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, headers = make_user()
    response = upload(client, headers, photo_jpeg, "../../etc/IMG_0001.JPG")
    assert response.status_code == 201, response.get_data(as_text=True)
    asset = response.get_json()
    assert (asset["format"], asset["width"], asset["height"]) == ("JPEG", 300, 400)
    assert asset["filename"] == "IMG_0001.JPG"
    assert asset["url"] == f"{ASSETS}/{asset['id']}/content" and asset["optimized_url"].endswith("/optimized")
    meta = client.get(f"{ASSETS}/{asset['id']}")
    assert meta.status_code == 200 and meta.get_json() == asset
    assert client.get(f"{ASSETS}/{asset['id']}").headers.get("ETag") == meta.headers["ETag"]
    content = client.get(asset["url"])
    assert content.status_code == 200 and content.mimetype == "image/jpeg"
    assert content.headers["Cache-Control"] == IMMUTABLE
    assert content.headers["ETag"] == f'"{asset["content_hash"][:32]}"'
    image = Image.open(io.BytesIO(content.data))
    assert image.size == (300, 400) and not image.getexif()
    again = client.get(asset["url"], headers={"If-None-Match": content.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_uploads_are_refused_with_the_reason(assets_app, make_user):
    client = assets_app.test_client()
    _, headers = make_user()
    cases = [
        (upload(client, {}, make.jpeg_with_exif()), 401, "missing_token"),
        (client.post(ASSETS, headers=headers, json={"file": "x"}), 415, "unsupported_media_type"),
        (upload(client, headers, make.jpeg_with_exif(), field="photo"), 400, "missing_file"),
        (upload(client, headers, make.encode(make.two_halves(), "GIF"), "a.jpg"), 415, "unsupported_image_type"),
        (upload(client, headers, b"<svg onload=alert(1)/>", "a.svg"), 415, "unsupported_image_type"),
        (upload(client, headers, make.jpeg_with_exif()[:300]), 400, "invalid_image"),
        (upload(client, headers, make.png_bomb(10_000, 10_000), "bomb.png"), 413, "image_too_many_pixels"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == code
    assets_app.config["ASSETS_MAX_BYTES"] = 1000
    big = upload(client, headers, make.encode(make.two_halves(400, 300), "PNG"), "big.png")
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "file_too_large"


def test_a_body_over_the_global_limit_is_accepted_on_the_upload_route(assets_app, make_user):
    _, headers = make_user()
    data = make.encode(make.two_halves(), "PNG") + b"\x00" * (3 * 1024 * 1024)  # 3 MiB > MAX_CONTENT_LENGTH
    response = upload(assets_app.test_client(), headers, data, "padded.png")
    assert response.status_code == 201, response.get_data(as_text=True)


def test_variants_are_made_once_and_served_immutable(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, headers = make_user()
    asset = upload(client, headers, photo_jpeg).get_json()
    url = f"{ASSETS}/{asset['id']}/optimized"
    first = client.get(f"{url}?w=100&format=webp&q=70")
    assert first.status_code == 200 and first.mimetype == "image/webp", first.get_data(as_text=True)
    assert first.headers["X-Asset-Variant"] == "created" and first.headers["Cache-Control"] == IMMUTABLE
    assert Image.open(io.BytesIO(first.data)).size == (100, 133)
    second = client.get(f"{url}?w=100&format=webp&q=70")
    assert second.headers["X-Asset-Variant"] == "stored" and second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"] == f'"{variants.etag_of(first.data)}"'
    assert client.get(f"{url}?w=100&format=webp&q=70", headers={"If-None-Match": first.headers["ETag"]}).status_code \
        == 304
    jpeg = client.get(f"{url}?w=4000&format=jpeg")  # wider than the original: the original's width
    assert jpeg.mimetype == "image/jpeg" and Image.open(io.BytesIO(jpeg.data)).size == (300, 400)
    assert client.get(url).mimetype == "image/webp"  # defaults: original width, webp, q=80


def test_variant_parameters_are_bounded(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, headers = make_user()
    url = f"{ASSETS}/{upload(client, headers, photo_jpeg).get_json()['id']}/optimized"
    for query in ("w=0", "w=15", "w=4097", f"w={2**63}", "w=abc", "q=29", "q=96", "q=-1", "format=gif",
                  "format=png", "format=\x00"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422, (query, response.status_code)
        assert response.get_json()["error"]["code"] == "validation_error"


def test_concurrent_first_requests_encode_once(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, headers = make_user()
    url = f"{ASSETS}/{upload(client, headers, photo_jpeg).get_json()['id']}/optimized?w=120&format=jpeg&q=60"
    before = variants.ENCODED["count"]
    results: list = []
    start = threading.Barrier(8)

    def fetch():
        start.wait()
        response = assets_app.test_client().get(url)
        results.append((response.status_code, response.headers.get("X-Asset-Variant"), response.data))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert variants.ENCODED["count"] - before == 1
    assert sorted(r[1] for r in results) == ["created"] + ["stored"] * 7
    assert {r[0] for r in results} == {200} and len({r[2] for r in results}) == 1


def test_unknown_ids_are_404(assets_app):
    client = assets_app.test_client()
    missing = "00000000-0000-4000-8000-000000000000"
    for path in ("", "/content", "/optimized?w=100"):
        response = client.get(f"{ASSETS}/{missing}{path}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "asset_not_found"
    assert client.get(f"{ASSETS}/not-a-uuid").status_code == 404


def test_only_the_owner_or_an_admin_deletes(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, owner = make_user()
    _, stranger = make_user()
    _, admin = make_user("admin")
    asset = upload(client, owner, photo_jpeg).get_json()
    assert client.delete(f"{ASSETS}/{asset['id']}", headers=stranger).status_code == 404
    assert client.delete(f"{ASSETS}/{asset['id']}").status_code == 401
    client.get(f"{ASSETS}/{asset['id']}")  # cached metadata must not outlive the delete
    client.get(f"{ASSETS}/{asset['id']}/optimized?w=50")
    gone = client.delete(f"{ASSETS}/{asset['id']}", headers=owner)
    assert gone.status_code == 204
    assert gone.headers["X-CDN-Purge"].startswith("skipped: CDN purge not configured")
    for path in ("", "/content", "/optimized?w=50"):
        assert client.get(f"{ASSETS}/{asset['id']}{path}").status_code == 404
    with assets_app.app_context():
        store = storage()
        assert store.get(variants.original_key(asset["content_hash"], "JPEG")) is None
        assert store.list_prefix(variants.variants_prefix(asset["content_hash"])) == []
    other = upload(client, owner, photo_jpeg).get_json()
    assert client.delete(f"{ASSETS}/{other['id']}", headers=admin).status_code == 204


def test_identical_uploads_share_a_blob_until_the_last_is_deleted(assets_app, make_user, photo_jpeg):
    client = assets_app.test_client()
    _, alice = make_user()
    _, bob = make_user()
    first = upload(client, alice, photo_jpeg).get_json()
    second = upload(client, bob, photo_jpeg).get_json()
    assert first["id"] != second["id"] and first["content_hash"] == second["content_hash"]
    assert client.delete(f"{ASSETS}/{first['id']}", headers=alice).status_code == 204
    assert client.get(second["url"]).status_code == 200  # bob's copy still has its bytes
    assert client.delete(f"{ASSETS}/{second['id']}", headers=bob).status_code == 204
    with assets_app.app_context():
        assert storage().get(variants.original_key(first["content_hash"], "JPEG")) is None

"""The Cloudflare purge adapter against a loopback fake, and S3 storage against a local moto server."""

from __future__ import annotations

import json
import socket

import pytest

from backend.assets import variants
from backend.integrations.fakes import FakeProvider, ok, status
from tests.assets.conftest import ASSETS, upload
from tests.common import images_factory as make


@pytest.fixture
def cdn_app(assets_app):
    with FakeProvider(default=ok({"success": True, "errors": [], "result": {"id": "zone"}})) as fake:
        assets_app.config.update(CLOUDFLARE_BASE_URL=fake.url, CLOUDFLARE_ZONE_ID="zone123",
                                 CLOUDFLARE_API_KEY="cf-token", ASSETS_PUBLIC_URL="https://cdn.example.com",
                                 CLOUDFLARE_BACKOFF=0.01)
        yield assets_app, fake


def test_deleting_an_asset_purges_its_urls_at_cloudflare(cdn_app, make_user):
    app, fake = cdn_app
    client = app.test_client()
    _, headers = make_user()
    asset = upload(client, headers, make.jpeg_with_exif()).get_json()
    assert asset["url"].startswith("https://cdn.example.com/api/v1/assets/")
    client.get(f"{ASSETS}/{asset['id']}/optimized?w=20&format=jpeg&q=70")
    response = client.delete(f"{ASSETS}/{asset['id']}", headers=headers)
    assert response.status_code == 204 and response.headers["X-CDN-Purge"] == "purged"
    (call,) = fake.requests
    assert (call.method, call.path) == ("POST", "/client/v4/zones/zone123/purge_cache")
    assert call.headers["Authorization"] == "Bearer cf-token"
    base = f"https://cdn.example.com/api/v1/assets/{asset['id']}"
    assert json.loads(call.body) == {"files": [f"{base}/content", f"{base}/optimized?format=jpeg&q=70&w=20"]}


def test_a_failing_cdn_does_not_fail_the_delete(cdn_app, make_user):
    app, fake = cdn_app
    fake.default = status(500)
    client = app.test_client()
    _, headers = make_user()
    asset = upload(client, headers, make.jpeg_with_exif()).get_json()
    response = client.delete(f"{ASSETS}/{asset['id']}", headers=headers)
    assert response.status_code == 204 and response.headers["X-CDN-Purge"].startswith("failed:")
    assert len(fake.requests) == 3  # retried like every provider call (purging is idempotent)
    assert client.get(f"{ASSETS}/{asset['id']}").status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url():
    """A moto S3 server on a free loopback port (skipped, visibly, when moto is not installed)."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements-dev.txt)")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_s3_storage_round_trip(assets_app, make_user, moto_url, backend):
    import boto3

    bucket = f"assets-{backend}"
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    s3.create_bucket(Bucket=bucket)
    assets_app.config.update(ASSETS_STORAGE="s3", ASSETS_S3_BUCKET=bucket, ASSETS_S3_ENDPOINT_URL=moto_url,
                             ASSETS_S3_ACCESS_KEY_ID="test", ASSETS_S3_SECRET_ACCESS_KEY="test",
                             ASSETS_S3_PREFIX="sf")
    client = assets_app.test_client()
    _, headers = make_user()
    asset = upload(client, headers, make.jpeg_with_exif()).get_json()
    key = f"sf/{variants.original_key(asset['content_hash'], 'JPEG')}"
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "image/jpeg" and stored["CacheControl"].endswith("immutable")
    assert client.get(asset["url"]).data == stored["Body"].read()
    first = client.get(f"{ASSETS}/{asset['id']}/optimized?w=16")
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.headers["X-Asset-Variant"] == "created"
    assert client.get(f"{ASSETS}/{asset['id']}/optimized?w=16").headers["X-Asset-Variant"] == "stored"
    assert len(s3.list_objects_v2(Bucket=bucket, Prefix="sf/variants/")["Contents"]) == 1
    assert client.delete(f"{ASSETS}/{asset['id']}", headers=headers).status_code == 204
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_an_unreachable_s3_is_a_503_not_a_500(assets_app, make_user):
    from backend.integrations.fakes import refused_url

    assets_app.config.update(ASSETS_STORAGE="s3", ASSETS_S3_BUCKET="nowhere", ASSETS_S3_ENDPOINT_URL=refused_url(),
                             ASSETS_S3_ACCESS_KEY_ID="test", ASSETS_S3_SECRET_ACCESS_KEY="test")
    _, headers = make_user()
    response = upload(assets_app.test_client(), headers, make.jpeg_with_exif())
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "storage_unavailable" and response.headers["Retry-After"]

"""Assets fixtures: every app stores under its own temporary directory and lock directory."""

from __future__ import annotations

import io

import pytest

from tests.common import images_factory as make

ASSETS = "/api/v1/assets"


@pytest.fixture
def assets_app(app, tmp_path):
    """The test app with ASSETS_DIR / ASSETS_LOCK_DIR under tmp_path (set before the storage is built)."""
    app.config.update(ASSETS_DIR=str(tmp_path / "assets"), ASSETS_LOCK_DIR=str(tmp_path / "locks"))
    return app


def upload(client, headers, data: bytes, name: str = "photo.jpg", field: str = "file"):
    """POST the bytes as a multipart file part."""
    return client.post(ASSETS, headers=headers, data={field: (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def photo_jpeg() -> bytes:
    """A 400x300 JPEG with EXIF orientation 6 and GPS (displayed 300x400)."""
    return make.encode(make.two_halves(400, 300), "JPEG", quality=90, exif=make.exif_with_gps(6))

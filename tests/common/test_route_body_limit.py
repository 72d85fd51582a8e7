"""Per-route body limits (backend.common.http ROUTE_BODY_LIMITS): uploads over MAX_CONTENT_LENGTH.

A probe view registered on a fresh app stands for an upload route (menu recognize, assets): it
declares 3 MiB while every other route keeps the global 1 MiB, for Content-Length and chunked bodies.
"""

from __future__ import annotations

import io

import pytest
from flask import jsonify, request
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.common import http
from backend.common.images import read_upload, validate_image
from tests.common import images_factory as make

MB = 1024 * 1024
PROBE = "/api/v1/probe-upload"
FILE_LIMIT = 2 * MB + 512 * 1024


@pytest.fixture
def probe_app(app, monkeypatch):
    """The test app plus an upload view limited to 3 MiB through a config key."""
    monkeypatch.setitem(http.ROUTE_BODY_LIMITS, "probe_upload", "PROBE_MAX_BODY")
    app.config["PROBE_MAX_BODY"] = 3 * MB

    def probe_upload():
        data = read_upload(request.files.get("file"), FILE_LIMIT)
        image = validate_image(data, max_bytes=FILE_LIMIT)
        return jsonify({"format": image.format, "size_bytes": image.size_bytes})

    app.add_url_rule(PROBE, "probe_upload", probe_upload, methods=["POST"])
    return app


def multipart(size: int) -> tuple[str, bytes]:
    """A multipart body whose file part is a real PNG padded to `size` bytes (trailing bytes are ignored)."""
    png = make.encode(make.two_halves(), "PNG")
    part = FileStorage(io.BytesIO(png + b"\x00" * (size - len(png))), "photo.png", content_type="image/png")
    return encode_multipart({"file": part})


def post(app, url: str, size: int, chunked: bool = False):
    boundary, body = multipart(size)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
        return app.test_client().post(url, input_stream=io.BytesIO(body), headers=headers)
    return app.test_client().post(url, data=body, headers=headers)


@pytest.mark.parametrize("chunked", [False, True])
def test_the_upload_route_takes_a_body_over_the_global_limit(probe_app, chunked):
    response = post(probe_app, PROBE, 2 * MB, chunked)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"format": "PNG", "size_bytes": 2 * MB}


@pytest.mark.parametrize("chunked", [False, True])
def test_other_routes_keep_the_global_limit(probe_app, chunked):
    response = post(probe_app, "/api/v1/auth/login", 2 * MB, chunked)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_routes_own_limit_is_413(probe_app, chunked):
    response = post(probe_app, PROBE, 4 * MB, chunked)
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_a_file_over_its_limit_inside_an_accepted_body_is_file_too_large(probe_app):
    response = post(probe_app, PROBE, FILE_LIMIT + 1)
    assert response.status_code == 413
    assert response.get_json()["error"] == {"code": "file_too_large", "message": f"the file is larger than "
                                            f"{FILE_LIMIT} bytes", "details": {"max_bytes": FILE_LIMIT}}


def test_no_file_part_is_400_missing_file(probe_app):
    response = probe_app.test_client().post(PROBE, data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "missing_file"


def test_the_limit_follows_the_config_key(probe_app):
    probe_app.config["PROBE_MAX_BODY"] = MB // 2
    assert post(probe_app, PROBE, MB // 2 + 1000).status_code == 413
    assert http.route_body_limit("probe_upload", probe_app.config) == MB // 2
    assert http.route_body_limit("auth.login", probe_app.config) is None
    assert http.upload_body_limit(10 * MB) == 10 * MB + http.MULTIPART_ROOM

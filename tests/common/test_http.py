"""Security headers on every response (L1 hits and errors too), the Server-Timing policy, CORS and the body limit."""

import io
import json

import pytest

from backend.caching import response_cache
from backend.common.http import SECURITY_HEADERS
from tests.conftest import make_app, wipe

CHEFS = "/api/v1/coocook/chefs"
REGISTER = "/api/v1/auth/register"
ORIGIN = "https://app.example.com"


@pytest.fixture
def app_with(database_url, tmp_path):
    """Build apps with config overrides on the test database; its tables are emptied afterwards."""
    made = []

    def build(**overrides):
        folder = tmp_path / f"app{len(made)}"
        folder.mkdir()
        made.append(make_app(database_url, folder, **overrides))
        return made[-1]

    yield build
    if made:
        wipe(made[0])


def assert_secured(response):
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name) == value, (name, dict(response.headers))


def flask_counter(app):
    """How many requests reached Flask (L1 hits do not)."""
    seen = []
    app.before_request(lambda: seen.append(1))
    return seen


def test_security_headers_on_success_errors_and_l1_hits(app, client, make_user):
    assert {n for n, _ in SECURITY_HEADERS} == {"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                                                "Content-Security-Policy"}
    seen = flask_counter(app)
    responses = [client.get(CHEFS), client.get(f"{CHEFS}/999"), client.get("/api/v1/nope"),
                 client.delete(CHEFS), client.post(REGISTER, data="x", content_type="text/plain"),
                 client.get("/api/v1/coocook/bookings"), client.get("/api/v1/health")]
    for response in responses:
        assert_secured(response)
    before = len(seen)
    hit = client.get(CHEFS)  # answered by the L1, before Flask
    assert hit.status_code == 200 and len(seen) == before
    assert_secured(hit)
    assert 'cache;desc="hit"' in hit.headers["Server-Timing"]  # testing keeps SERVER_TIMING=all
    not_modified = client.get(CHEFS, headers={"If-None-Match": hit.headers["ETag"]})
    assert not_modified.status_code == 304 and len(seen) == before
    assert_secured(not_modified)


def test_unhandled_error_is_secured_json_without_traceback(app, client):
    @app.get("/api/v1/boom-test")
    def boom():
        raise RuntimeError("secret detail")

    response = client.get("/api/v1/boom-test")
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    assert "secret detail" not in response.get_data(as_text=True)
    assert_secured(response)


@pytest.mark.parametrize(("mode", "anonymous", "admin", "l1_hit"), [
    ("all", True, True, True), ("admin", False, True, False), ("off", False, False, False)])
def test_server_timing_policy(app_with, make_user_for, mode, anonymous, admin, l1_hit):
    app = app_with(SERVER_TIMING=mode)
    client = app.test_client()
    _, admin_headers = make_user_for(app, "admin")
    _, user_headers = make_user_for(app, "user")
    seen = flask_counter(app)
    assert ("Server-Timing" in client.get(CHEFS).headers) is anonymous
    before = len(seen)
    hit = client.get(CHEFS)
    assert len(seen) == before  # an L1 hit
    assert ("Server-Timing" in hit.headers) is l1_hit
    assert ("Server-Timing" in client.get("/api/v1/auth/me", headers=user_headers).headers) is anonymous
    response = client.get("/api/v1/admin/db/performance", headers=admin_headers)
    assert response.status_code == 200 and ("Server-Timing" in response.headers) is admin


def test_server_timing_defaults(database_url, tmp_path):
    from backend.config import ProductionConfig, TestingConfig

    assert TestingConfig.SERVER_TIMING == "all" and ProductionConfig.SERVER_TIMING == "off"
    with pytest.raises(RuntimeError, match="SERVER_TIMING"):
        make_app(database_url, tmp_path, SERVER_TIMING="sometimes")


@pytest.fixture
def make_user_for():
    """Create a user on a given app (the `make_user` fixture is bound to the `app` fixture)."""
    from backend.auth import services
    from backend.extensions import db

    counter = iter(range(1, 1000))

    def make(app, role):
        n = next(counter)
        with app.app_context():
            user = services.create_user(f"st-{role}{n}@example.com", "Kq8#vT2m!pZ7wX4r", f"{role} {n}", role, None)
            token = services.issue_token(user["id"])["token"]
            db.session.remove()
        return user, {"Authorization": f"Bearer {token}"}

    return make


def test_no_cors_headers_by_default(client):
    response = client.get(CHEFS, headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options(CHEFS, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


@pytest.fixture
def cors_app(app_with):
    return app_with(CORS_ORIGINS=f"{ORIGIN}, https://admin.example.com/")


def test_cors_allow_list_preflight_and_no_credentials(cors_app, make_user_for):
    client = cors_app.test_client()
    _, headers = make_user_for(cors_app, "user")
    preflight = client.options("/api/v1/coocook/bookings", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed_headers = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    assert_secured(preflight)
    for response in (preflight, client.get("/api/v1/auth/me", headers={**headers, "Origin": ORIGIN}),
                     client.get(CHEFS, headers={"Origin": "https://admin.example.com"})):
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] != "*"
    evil = client.get(CHEFS, headers={"Origin": "https://evil.example.com"})
    assert evil.status_code == 200 and "Access-Control-Allow-Origin" not in evil.headers
    evil_preflight = client.options(CHEFS, headers={"Origin": "https://evil.example.com",
                                                    "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in evil_preflight.headers
    # Errors carry the header too, so a browser can read the 4xx body.
    error = client.get(f"{CHEFS}/999", headers={"Origin": ORIGIN})
    assert error.status_code == 404 and error.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_on_cached_responses_the_l1_would_answer(cors_app):
    client = cors_app.test_client()
    seen = flask_counter(cors_app)
    assert client.get(CHEFS).status_code == 200  # remembered by the L1
    before = len(seen)
    plain = client.get(CHEFS)
    assert len(seen) == before and "Origin" in plain.headers["Vary"]  # an L1 hit; caches must key on Origin
    for _ in range(2):
        cross = client.get(CHEFS, headers={"Origin": ORIGIN})
        assert cross.status_code == 200 and cross.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in cross.headers["Vary"]
    assert response_cache(cors_app).l1.decline_origin


# --- request body limit -------------------------------------------------------------------------

@pytest.fixture
def small_limit_app(app_with):
    return app_with(MAX_CONTENT_LENGTH=4096)


def padded_registration(size: int) -> bytes:
    """A valid registration followed by whitespace: still valid JSON if cut anywhere in the padding."""
    body = json.dumps({"email": "pad@example.com", "password": "Kq8#vT2m!pZ7wX4r", "name": "Pad"}).encode()
    return body + b" " * (size - len(body))


def test_chunked_body_over_the_limit_is_413_not_cut(small_limit_app):
    client = small_limit_app.test_client()
    response = client.post(REGISTER, input_stream=io.BytesIO(padded_registration(4096 + 500)),
                           headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    assert response.status_code == 413, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert_secured(response)
    # Nothing was created from the cut body.
    login = client.post("/api/v1/auth/login", json={"email": "pad@example.com", "password": "Kq8#vT2m!pZ7wX4r"})
    assert login.status_code == 401


def test_chunked_body_within_the_limit_is_read_whole(small_limit_app):
    client = small_limit_app.test_client()
    response = client.post(REGISTER, input_stream=io.BytesIO(padded_registration(4096)),
                           headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("url", [REGISTER, CHEFS, "/api/v1/coocook/bookings"])
def test_content_length_over_the_limit_is_413_json_on_any_route(small_limit_app, url):
    response = small_limit_app.test_client().post(url, data=padded_registration(5000),
                                                  content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"

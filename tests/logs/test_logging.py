"""JSON log lines in-process: their fields, the request id in and out (L1 hits included), the house 500
with the request id, and the masking sentinel through every log path of the app: a request carrying
it in headers, query and body, an error whose traceback has it in a local variable, a provider's
retry warnings, a failing job."""

from __future__ import annotations

import logging

import orjson
import pytest

from backend.extensions import integrations
from backend.integrations import ProviderSpec, RetryPolicy, client_for
from backend.integrations.fakes import FakeProvider, ok, status
from backend.jobs import services as job_services
from backend.jobs.registry import job_handler
from backend.logs.masking import mask_text, mask_value
from backend.logs.middleware import request_id_from
from tests.conftest import make_app

SENTINEL = "SENTINEL-s3cr3t-7f4e9a"
PROVIDER = "logsentinel"


def lines(text: str) -> list[dict]:
    """Every line of `text` as JSON (a line that is not JSON fails the test: one event = one JSON line)."""
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


@job_handler("tests.logs_leak", max_attempts=1)
def _leaky_job(ctx, payload):
    api_key = SENTINEL  # noqa: F841  (a local variable a traceback with locals would print)
    raise RuntimeError("the job broke")


@pytest.fixture
def log_app(database_url, tmp_path, app):
    """An app with a provider secret configured (the `app` fixture empties the tables afterwards)."""
    integrations.declare(ProviderSpec(name=PROVIDER, prefix=PROVIDER.upper(),
                                  retry=RetryPolicy(attempts=3, backoff=0.01, jitter=0.0), deadline=3.0))
    fake = FakeProvider()
    application = make_app(database_url, tmp_path, LOG_STORE_ENABLED=True, **{
        f"{PROVIDER.upper()}_BASE_URL": fake.url, f"{PROVIDER.upper()}_API_KEY": SENTINEL})

    def boom():
        password = SENTINEL  # noqa: F841
        raise ValueError("an unexpected bug")

    application.add_url_rule("/api/v1/test-boom", "test_boom", boom, methods=["GET", "POST"])
    yield application, fake
    fake.close()


def test_a_request_writes_one_json_line_with_the_request_fields(log_app, capsys, make_user):
    application, _ = log_app
    user, auth = make_user()
    client = application.test_client()
    capsys.readouterr()
    response = client.get("/api/v1/coocook/bookings", headers={**auth, "X-Request-ID": "req-abc.123"})
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "req-abc.123"
    (line,) = [e for e in lines(capsys.readouterr().err) if e["logger"] == "backend.request"]
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]
    assert line["message"] == "request" and line["level"] == "info" and line["timestamp"].endswith("Z")
    assert line["request_id"] == "req-abc.123" and line["user_id"] == user["id"]
    assert line["method"] == "GET" and line["path"] == "/api/v1/coocook/bookings" and line["status"] == 200
    assert isinstance(line["duration_ms"], float)


@pytest.mark.parametrize("header", [None, "", "a" * 129, 'x"y', "bad id", "-leading", "a\nb", "é"])
def test_a_malformed_request_id_is_replaced(header):
    generated = request_id_from(header)
    assert generated != header and len(generated) == 32 and generated.isalnum()


def test_the_id_is_returned_on_l1_hits_errors_and_generated_when_absent(log_app):
    application, _ = log_app
    client = application.test_client()
    first = client.get("/api/v1/coocook/chefs", headers={"X-Request-ID": "one"})
    hit = client.get("/api/v1/coocook/chefs", headers={"X-Request-ID": "two"})
    assert 'cache;desc="hit"' in hit.headers["Server-Timing"]  # answered by the L1, before Flask
    assert (first.headers["X-Request-ID"], hit.headers["X-Request-ID"]) == ("one", "two")
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404 and len(missing.headers["X-Request-ID"]) == 32


def test_an_unexpected_error_is_the_house_500_with_the_request_id_and_a_logged_traceback(log_app, capsys):
    application, _ = log_app
    capsys.readouterr()
    response = application.test_client().get("/api/v1/test-boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error", "message": "internal server error",
                                             "details": {"request_id": "boom-1"}}}
    (error,) = [e for e in lines(capsys.readouterr().err) if e["level"] == "error" and e["logger"] == "backend.errors"]
    assert error["request_id"] == "boom-1" and error["exception"][0]["exc_type"] == "ValueError"
    frames = error["exception"][0]["frames"]
    assert frames[-1]["name"] == "boom" and all("locals" not in f for f in frames)


def test_masking_by_key_value_and_shape():
    assert mask_text("mail john.doe@example.com now") == "mail j***@example.com now"
    assert mask_text("sent Bearer abc.def-ghi") == "sent Bearer [masked]"
    assert SENTINEL not in mask_text(f"Authorization: Bearer {SENTINEL}")
    assert mask_text("/login?password=hunter2&next=/") == "/login?password=[masked]&next=/"
    assert mask_text('{"api_key": "k-123", "name": "x"}') == '{"api_key": "[masked]", "name": "x"}'
    assert mask_value({"headers": {"X-API-Key": "k", "Cookie": "s=1", "Accept": "*/*"}}) == \
        {"headers": {"X-API-Key": "[masked]", "Cookie": "[masked]", "Accept": "*/*"}}


def test_the_sentinel_never_appears_on_any_log_path(log_app, capsys, make_user):
    application, fake = log_app
    _, auth = make_user()
    client = application.test_client()
    capsys.readouterr()
    # 1. A request carrying the secret everywhere a client can put it.
    client.post(f"/api/v1/auth/login?token={SENTINEL}&api_key={SENTINEL}",
                json={"email": "j@example.com", "password": SENTINEL},
                headers={"Authorization": f"Bearer {SENTINEL}", "X-API-Key": SENTINEL, "Cookie": f"s={SENTINEL}"})
    # 2. An error whose traceback frame holds the secret in a local variable.
    assert client.get("/api/v1/test-boom", headers={"X-API-Key": SENTINEL}).status_code == 500
    # 3. A provider failing twice then answering: one warning per failed attempt (the key is configured).
    fake.then(status(503), status(502), ok())
    with application.app_context():
        assert client_for(PROVIDER).request_json("GET", f"/v1/thing?key={SENTINEL}") == {"ok": True}
    # 4. A job whose handler fails with the secret in a local variable (JOBS_IMMEDIATE: runs in enqueue).
    with application.app_context():
        job_services.enqueue("tests.logs_leak", {"api_key": SENTINEL}, None)
    # 5. A line that quotes the configured provider secret itself and an email.
    logging.getLogger("tests.logs").warning("calling with %s for jane@example.com", SENTINEL)
    output = capsys.readouterr().err
    events = lines(output)
    assert sum("attempt" in e["message"] and PROVIDER in e["message"] for e in events) == 2
    assert any(e["message"].startswith("job ") and "failed" in e["message"] and e.get("exception") for e in events)
    assert any(e["logger"] == "backend.errors" and e.get("exception") for e in events)
    assert any(e["message"] == "calling with [masked] for j***@example.com" for e in events)
    assert SENTINEL not in output and "jane@example.com" not in output

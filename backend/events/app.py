"""`create_events_app()`: the event server's Flask app (stream route + health, nothing else)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from uuid import UUID

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy import select
from werkzeug.wsgi import ClosingIterator

from backend.common.domain import discover_domains
from backend.common.http import register_http
from backend.common.json import OrjsonProvider
from backend.config import INSTANCE_DIR
from backend.database import engine_options, read_connection, tune_engine
from backend.errors import NotFound, TooManyRequests, Unauthorized, ValidationFailed, register_error_handlers
from backend.events.hub import Hub
from backend.events.stream import Limits, events_body
from backend.extensions import db
from backend.jobs.links import STREAM_PATH, read_stream_token
from backend.jobs.models import FINAL, Job
from backend.logs.extension import install_request_log
from backend.logs.setup import configure_logging

bp = Blueprint("events", __name__)
KEY = "events.hub"
MAX_SEQ = 2**31 - 1


def create_events_app(config: Mapping[str, Any] | str | None = None) -> Flask:
    """The event server app; `config` as for `backend.create_app` (tests pass overrides)."""
    from backend.app import load_config

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    load_config(app, config)
    app.json = OrjsonProvider(app)
    # Streams read in short bursts: a small pool serves hundreds of them (each read is ~1 ms).
    app.config["DB_POOL_SIZE"] = app.config.get("EVENTS_DB_POOL_SIZE", 4)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    tune_engine(engine, app.config)
    app.extensions[KEY] = Hub(engine, app.config["EVENTS_POLL_SECONDS"])
    app.register_blueprint(bp)
    for domain in discover_domains():  # domains that stream something of their own (notifications)
        if "events_app" in domain.hooks:
            domain.hooks["events_app"](app)
    register_error_handlers(app)
    register_http(app)
    # The API's JSON lines and request ids here too (no log store: stream lines are not kept).
    configure_logging(app.config)
    install_request_log(app)
    return app


def parse_cursor(raw: str | None, name: str) -> int:
    """A Last-Event-ID / ?after= value: empty is 0, anything but 0..MAX_SEQ is a 422 naming it."""
    if raw is None or raw == "":
        return 0
    if not raw.isdigit() or int(raw) > MAX_SEQ:
        raise ValidationFailed(f"{name} must be an event seq (0..{MAX_SEQ})", {"fields": {name: "not a seq"}})
    return int(raw)


def stream_format() -> str:
    """The stream format: ndjson when the client prefers application/x-ndjson, else sse."""
    accept = request.accept_mimetypes
    if accept.quality("application/x-ndjson") > accept.quality("text/event-stream"):
        return "ndjson"
    return "sse"


@bp.get(STREAM_PATH.replace("{job_id}", "<uuid:job_id>"))
def stream(job_id: UUID):
    """Stream a job's events after Last-Event-ID (or ?after=); the token comes from the job's stream_url."""
    job_id = str(job_id)
    config = current_app.config
    token = request.args.get("token", "")
    claims = read_stream_token(config["SECRET_KEY"], token, job_id, config["EVENTS_TOKEN_TTL"]) if token else None
    if claims is None:
        raise Unauthorized("a valid stream token is required (take stream_url from the job again)")
    after = max(parse_cursor(request.headers.get("Last-Event-ID"), "Last-Event-ID"),
                parse_cursor(request.args.get("after"), "after"))
    hub: Hub = current_app.extensions[KEY]
    with read_connection(hub.engine) as conn:
        row = conn.execute(select(Job.owner_id, Job.last_seq, Job.status).where(Job.id == job_id)).first()
    if row is None or row.owner_id != claims.get("o"):
        raise NotFound("job not found")
    fmt = stream_format()
    if row.status in FINAL and after >= row.last_seq and fmt == "sse":
        return Response(status=204)  # EventSource stops reconnecting on 204
    limits = Limits(config["EVENTS_STREAM_SECONDS"], config["EVENTS_HEARTBEAT_SECONDS"])
    return stream_response(("user", row.owner_id), fmt, lambda sock: events_body(
        hub, hub.engine, job_id, after, row.last_seq, row.status, fmt, limits, sock))


def stream_response(owner: Any, fmt: str, make_body: Callable[[Any], Iterable[bytes]]) -> Response:
    """The streaming response, if `owner` has a stream left (EVENTS_MAX_STREAMS_PER_USER, else 429).

    A stream holds one of the server's threads for minutes, so one account (one leaked token)
    must not take them all. The count is released when the server closes the response, whether
    the body ran to its end, its client left or it never started.
    """
    hub: Hub = current_app.extensions[KEY]
    limit = current_app.config["EVENTS_MAX_STREAMS_PER_USER"]
    if not hub.admit(owner, limit):
        raise TooManyRequests(f"at most {limit} open streams per account", {"limit": limit},
                              code="too_many_streams")
    body = ClosingIterator(make_body(request.environ.get("gunicorn.socket")), [lambda: hub.leave(owner)])
    mimetype = "text/event-stream" if fmt == "sse" else "application/x-ndjson"
    return Response(body, mimetype=mimetype, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@bp.get("/api/v1/events/health")
def health():
    """Liveness of the event server, with the streams this process holds."""
    return {"status": "ok", "streams": current_app.extensions[KEY].watching}

"""The application factory: a short list of register_* / init_app calls."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from backend.common.domain import discover_domains, register_domains
from backend.common.http import register_http
from backend.common.json import OrjsonProvider
from backend.common.sessions import LazyCookieSessionInterface
from backend.common.validation import IdConverter
from backend.config import DEFAULT_SECRET, INSTANCE_DIR, ROOT, config_for, normalise_database_url
from backend.database import engine_options, is_sqlite, tune_engine
from backend.errors import register_error_handlers
from backend.extensions import caching, db, insight, integrations, metrics, migrate, throttling, timing
from backend.logs.extension import install_request_log


def create_app(config: Mapping[str, Any] | str | None = None) -> Flask:
    """Build the app; `config` is an APP_ENV name or a mapping of overrides (tests use both)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    load_config(app, config)
    app.json = OrjsonProvider(app)
    app.session_interface = LazyCookieSessionInterface()  # no per-request serializer when no cookie came
    register_extensions(app)
    app.url_map.converters["id"] = IdConverter  # `<id:x>`: row ids 1..2^31-1, else 404 (before the routes)
    register_domains(app, discover_domains())
    register_error_handlers(app)
    register_http(app)  # security headers, Server-Timing policy, CORS, body limit (after the extensions)
    throttling.init_app(app)  # last: its middleware counts every request, L1 cache hits included
    metrics.init_app(app)  # outside the throttling: counts and times everything, its 429s included
    if app.config.get("ENABLE_OPENTELEMETRY"):  # imported only when on: zero cost when off
        from backend.observability.tracing import tracing

        tracing.init_app(app)
    install_request_log(app)  # outermost: a request id and a request line for every answer, 429s included
    register_cli(app)
    return app


def load_config(app: Flask, config: Mapping[str, Any] | str | None) -> None:
    """Config class from APP_ENV (or the given name), then overrides; refuse a default secret in production."""
    overrides = dict(config) if isinstance(config, Mapping) else {}
    name = config if isinstance(config, str) else overrides.pop("APP_ENV", None)
    app.config.from_object(config_for(name))
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["APP_ENV"] = (name or os.environ.get("APP_ENV") or "development").lower()
    if app.config["APP_ENV"] == "production" and app.config["SECRET_KEY"] in (None, "", DEFAULT_SECRET):
        raise RuntimeError("production refuses the default SECRET_KEY: set SECRET_KEY in the environment")
    if app.config["APP_ENV"] == "production" and not app.config.get("SECRETS_KEYS"):
        raise RuntimeError("production refuses the derived development SECRETS_KEYS: set SECRETS_KEYS (Fernet keys)")


def register_extensions(app: Flask) -> None:
    """Database (tuned engine), statement timing, migrations, response caching and DB insight."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if is_sqlite(url) and ":memory:" not in url:
        os.makedirs(os.path.dirname(url.split("///", 1)[1]) or ".", exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    tune_engine(engine, app.config)
    timing.init_app(app, engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    caching.init_app(app)
    insight.init_app(app, engine)
    integrations.init_app(app)


def register_cli(app: Flask) -> None:
    """Core operator commands (domains add their own through their Domain declaration)."""
    from backend.idempotency.cli import idempotency_cli
    from backend.seeding import seed_command

    app.cli.add_command(seed_command)
    app.cli.add_command(idempotency_cli)

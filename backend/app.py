"""The application factory: a short list of register_* / init_app calls."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from backend.common.cache import init_cache
from backend.common.insight import init_insight
from backend.common.json import OrjsonProvider
from backend.common.timing import install_query_timing, register_server_timing
from backend.config import DEFAULT_SECRET, INSTANCE_DIR, ROOT, config_for, normalise_database_url
from backend.database import engine_options, is_sqlite, tune_engine
from backend.errors import register_error_handlers
from backend.extensions import compress, db, migrate

API = "/api/v1"


def create_app(config: Mapping[str, Any] | str | None = None) -> Flask:
    """Build the app; `config` is an APP_ENV name or a mapping of overrides (tests use both)."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    load_config(app, config)
    app.json = OrjsonProvider(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_server_timing(app)
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


def register_extensions(app: Flask) -> None:
    """Database (tuned engine, statement timing), migrations, caches, compression and DB insight."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if is_sqlite(url) and ":memory:" not in url:
        os.makedirs(os.path.dirname(url.split("///", 1)[1]) or ".", exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine, app.config)
        install_query_timing(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    init_cache(app)
    compress.init_app(app)
    init_insight(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per domain, all under /api/v1."""
    from backend.admin import bp as admin_bp
    from backend.auth import bp as auth_bp
    from backend.coocook import bp as coocook_bp
    from backend.health import bp as health_bp
    from backend.openapi import bp as openapi_bp
    from backend.products import bp as products_bp

    app.register_blueprint(health_bp, url_prefix=f"{API}/health")
    app.register_blueprint(auth_bp, url_prefix=f"{API}/auth")
    app.register_blueprint(coocook_bp, url_prefix=f"{API}/coocook")
    app.register_blueprint(products_bp, url_prefix=f"{API}/products")
    app.register_blueprint(admin_bp, url_prefix=f"{API}/admin")
    app.register_blueprint(openapi_bp, url_prefix=API)


def register_cli(app: Flask) -> None:
    """Operator commands: `flask users create`, `flask seed`."""
    from backend.auth.cli import users_cli
    from backend.seed import seed_command

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_command)

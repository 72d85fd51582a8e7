"""Binding the logs to an app: JSON logging, the log store's buffer and the request-log middleware."""

from __future__ import annotations

import logging

from flask import Flask

from backend.extensions import db
from backend.logs.buffer import KEY, LogBuffer, StoreHandler, register
from backend.logs.middleware import RequestLog
from backend.logs.models import FTS_TABLE
from backend.logs.setup import configure_logging, json_formatter

STORE_HANDLER = "sf-log-store"


def _not_fts(name: str | None, type_: str, _parents: dict) -> bool:
    """Autogenerate filter: SQLite's FTS5 table for log search (and its shadow tables) is the migration's own."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


def init_logs(app: Flask) -> None:
    """The domain's init hook: JSON lines for every logger, and (LOG_STORE_ENABLED) the store's buffer."""
    configure_logging(app.config)
    migrate = app.extensions.get("migrate")
    if migrate is not None:
        previous = migrate.configure_args.get("include_name")
        migrate.configure_args["include_name"] = _not_fts if previous is None else (
            lambda name, type_, parents: _not_fts(name, type_, parents) and previous(name, type_, parents))
    if not app.config.get("LOG_STORE_ENABLED", True):
        return
    with app.app_context():
        engine = db.engine
    buffer = app.extensions[KEY] = LogBuffer(engine, app.config)
    register(buffer)
    root = logging.getLogger()
    if not any(h.get_name() == STORE_HANDLER for h in root.handlers):
        handler = StoreHandler(json_formatter())
        handler.set_name(STORE_HANDLER)
        root.addHandler(handler)


def install_request_log(app: Flask) -> None:
    """Wrap the whole WSGI stack (create_app calls it last): ids and request lines for every answer."""
    buffer = app.extensions.get(KEY)
    app.wsgi_app = RequestLog(app.wsgi_app, log_requests=bool(app.config.get("LOG_REQUESTS", True)),
                              on_done=buffer.record_request if buffer is not None else None)

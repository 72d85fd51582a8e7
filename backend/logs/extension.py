"""Binding the logs to an app: JSON logging, the log store's buffer and the request-log middleware."""

from __future__ import annotations

import logging

from flask import Flask

from backend.extensions import db
from backend.logs.buffer import KEY, LogBuffer, StoreHandler, register
from backend.logs.middleware import RequestLog
from backend.logs.setup import configure_logging, json_formatter

STORE_HANDLER = "sf-log-store"


def init_logs(app: Flask) -> None:
    """The domain's init hook: JSON lines for every logger, and (LOG_STORE_ENABLED) the store's buffer."""
    configure_logging(app.config)
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

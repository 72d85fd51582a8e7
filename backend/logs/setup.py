"""One JSON line per event: structlog's renderer behind the stdlib root logger.

Every logger in the process (our `logging.getLogger(__name__)` calls, libraries, gunicorn's own
through backend.logs.gunicorn, structlog loggers) ends in the same `ProcessorFormatter`, so an
existing `log.warning("...", x)` comes out as one JSON object:

    {"timestamp", "level", "logger", "message", "request_id", "user_id", "method", "path", ...}

plus `exception` (structlog's dict traceback: type, value, frames with file/line/function and
*no local variables* — `show_locals=False`, locals are where secrets sit) when one is attached.
Masking (backend.logs.masking) is the last step before rendering, so nothing reaches the stream
or the log store unmasked.

`configure_logging(config)` is idempotent: every app built in the process (tests build many)
shares the one root handler; the last config sets the level.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from structlog.tracebacks import ExceptionDictTransformer

from backend.common.request_context import REQUEST
from backend.logs.masking import mask_processor, register_config_secrets

HANDLER_NAME = "sf-json"
MAX_FRAMES = 30  # a deep recursion would otherwise write a megabyte line


def add_request_context(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Request id, user id, method and path of the request being served (explicit fields win)."""
    info = REQUEST.get()
    if info is not None:
        for key, value in info.items():
            if value is not None:
                event.setdefault(key, value)
    return event


FIRST = ("timestamp", "level", "logger", "message")


def order_fields(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """The fixed fields first, so lines read alike (orjson keeps insertion order)."""
    return {**{key: event[key] for key in FIRST if key in event}, **event}


def _dumps(obj: Any, **kw: Any) -> str:
    return orjson.dumps(obj, default=kw.get("default", repr), option=orjson.OPT_NON_STR_KEYS).decode()


def pre_chain() -> list:
    """Processors that turn a stdlib record (or a structlog call) into the event dict."""
    return [
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_request_context,
    ]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter every handler of the process uses (stream, gunicorn's logs)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.ExceptionRenderer(
                ExceptionDictTransformer(show_locals=False, max_frames=MAX_FRAMES, use_rich=False)),
            structlog.processors.EventRenamer("message"),
            mask_processor,
            order_fields,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
    )


class StderrHandler(logging.StreamHandler):
    """A stream handler that writes to whatever `sys.stderr` is at emit time (test capture swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(config: Mapping[str, Any]) -> None:
    """Route the root logger (and structlog) through the JSON formatter at LOG_LEVEL."""
    register_config_secrets(config)
    root = logging.getLogger()
    level = logging.getLevelName(str(config.get("LOG_LEVEL") or "INFO").upper())
    if not isinstance(level, int):
        raise RuntimeError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {config.get('LOG_LEVEL')!r}")
    root.setLevel(level)
    if not any(h.get_name() == HANDLER_NAME for h in root.handlers):
        handler = StderrHandler()
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(json_formatter())
        root.addHandler(handler)
    if not structlog.is_configured():
        structlog.configure(
            processors=[*(p for p in pre_chain() if not isinstance(p, structlog.stdlib.ExtraAdder)),
                        structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )

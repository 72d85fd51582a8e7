"""orjson as Flask's JSON provider (about 10x faster than the default for list payloads)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import orjson
from flask.json.provider import JSONProvider

# OPT_NON_STR_KEYS: SQLAlchemy row keys are str subclasses, which orjson rejects without it.
OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def _default(value: Any) -> Any:
    """Types orjson does not know natively."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _default_slow(value: Any) -> Any:
    """`_default` for the stdlib fallback, which also lacks dates and times."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # as orjson's OPT_NAIVE_UTC | OPT_UTC_Z writes it
            return value.isoformat() + "Z"
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return _default(value)


def dumps_bytes(obj: Any) -> bytes:
    """Serialise to UTF-8 bytes (what responses and caches store)."""
    try:
        return orjson.dumps(obj, default=_default, option=OPTIONS)
    except TypeError:
        # orjson refuses integers beyond 64 bits, which a 422 may echo back from absurd input
        # (e.g. {"guests": 2**70}); the stdlib has no such limit. Anything truly unserialisable
        # raises TypeError here as well.
        return json.dumps(obj, default=_default_slow, ensure_ascii=False, separators=(",", ":")).encode()


class OrjsonProvider(JSONProvider):
    """Flask JSON provider backed by orjson."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise to text."""
        return dumps_bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON text or bytes."""
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any):
        """A JSON response of the serialised bytes (no str round trip)."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(dumps_bytes(obj), mimetype="application/json")


def isoformat(value: dt.datetime | dt.date | None) -> str | None:
    """ISO-8601 text for a date/datetime (None stays None)."""
    return value.isoformat() if value is not None else None

"""Masking: what a log line may never carry (secrets) or carries only in part (emails).

Three nets, applied to every value of every event (nested dicts and lists included, exception
text and traceback frames too), because a secret can reach a log by any of them:
- by key: a field named like a secret (password, token, authorization, api_key, secret, cookie,
  ...) has its whole value replaced;
- by value: the configured secrets themselves (SECRET_KEY and every `*_API_KEY`, `*_SECRET`,
  `*_PASSWORD`, `*_TOKEN` value from the app config or the environment) are replaced wherever they
  occur inside any text, e.g. in an exception message that quotes a provider's request;
- by shape: `Bearer <token>` / `Basic <...>`, `password=...`-style pairs in query strings or
  bodies, and email addresses (kept as `j***@example.com`: enough to tell accounts apart).

The value net is one compiled alternation of the known secrets, rebuilt only when a new app adds
secrets, so a clean line costs a few regex scans, not a loop over secrets.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

MASK = "[masked]"
SECRET_KEY_RE = re.compile(
    r"pass(word|wd)?|secret|token|authori[sz]ation|api[-_]?key|cookie|credential|private[-_]?key|signature",
    re.IGNORECASE)
SECRET_SUFFIXES = ("_API_KEY", "_SECRET", "_PASSWORD", "_TOKEN", "SECRET_KEY")
MIN_SECRET = 6  # shorter configured values would mask ordinary words
# `Bearer abc`, `Basic abc=`, `Token abc`: the credential after an auth scheme.
SCHEME_RE = re.compile(r"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# key=value or "key": "value" pairs whose key looks like a secret (query strings, form and JSON bodies).
# Anchored on the keyword (no leading `[\w-]*`: that backtracks at every position of a long line);
# `access_token=` still matches at `token=`.
PAIR_RE = re.compile(
    r"""(?P<key>(?:pass(?:word|wd)?|secret|token|api[-_]?key|authorization)[\w-]*["']?)"""
    r"""(?P<sep>\s*[=:]\s*)(?P<quote>["']?)(?P<value>[^"'&\s,;}]+)""",
    re.IGNORECASE)
PAIR_WORDS = ("pass", "secret", "token", "key", "authorization")
SCHEME_WORDS = ("bearer", "basic", "token", "digest")
EMAIL_RE = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
MAX_DEPTH = 8

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None


def is_secret_name(name: str) -> bool:
    """True for a config variable whose value is a secret by its name."""
    upper = name.upper()
    return any(upper.endswith(suffix) for suffix in SECRET_SUFFIXES)


def register_secrets(values: Iterable[Any]) -> None:
    """Add values to the set masked wherever they appear (short or empty values are ignored)."""
    global _secret_re
    fresh = {str(v) for v in values if isinstance(v, str) and len(v.strip()) >= MIN_SECRET} - _secrets
    if not fresh:
        return
    with _lock:
        _secrets.update(fresh)
        # Longest first: a secret that contains another is masked whole.
        _secret_re = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def register_config_secrets(config: Mapping[str, Any]) -> None:
    """Register every secret-named value of `config` and of the environment."""
    register_secrets(value for name, value in config.items() if isinstance(name, str) and is_secret_name(name))
    register_secrets(value for name, value in os.environ.items() if is_secret_name(name))


def _pair(match: re.Match[str]) -> str:
    return f"{match['key']}{match['sep']}{match['quote']}{MASK}"


def mask_text(text: str) -> str:
    """`text` with known secrets, credentials after an auth scheme, secret pairs and emails masked."""
    if _secret_re is not None:
        text = _secret_re.sub(MASK, text)
    if "@" in text:
        text = EMAIL_RE.sub(lambda m: f"{m[1]}***@{m[2]}", text)
    lower = text.lower()  # cheap substring checks first: most lines hold none of these words
    if any(word in lower for word in SCHEME_WORDS):
        text = SCHEME_RE.sub(lambda m: f"{m[1]} {MASK}", text)
    if ("=" in text or ":" in text) and any(word in lower for word in PAIR_WORDS):
        text = PAIR_RE.sub(_pair, text)
    return text


@lru_cache(maxsize=4096)
def secret_name(key: str) -> bool:
    """True for a field name that holds a secret (cached: log lines reuse a few field names)."""
    return bool(SECRET_KEY_RE.search(key))


def mask_value(value: Any, depth: int = 0) -> Any:
    """Mask a value of any JSON-like shape (dicts by key and value, lists, text)."""
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth > MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, Mapping):
        return {k: (MASK if isinstance(k, str) and secret_name(k) and v not in (None, "") else
                    mask_value(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return mask_text(bytes(value).decode("utf-8", "replace"))
    return value


def mask_processor(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Structlog processor: mask the whole event dict (the last step before rendering)."""
    return mask_value(event)

"""Menu names as people type them, made comparable: NFKC, invisible characters removed, spaces collapsed.

`display_name` is what is logged and shown ("김치 찌개"); `name_key` is what every lookup and cache
uses ("김치찌개"): Korean menus write the same dish with and without spaces, and full-width or
compatibility forms (ｋｉｍｃｈｉ, ㈜) fold to one spelling under NFKC.
"""

from __future__ import annotations

import re
import unicodedata

MAX_KEY = 100
_SPACES = re.compile(r"\s+")


def display_name(raw: str) -> str:
    """NFKC, format characters (zero-width spaces, joiners, BOM) dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
    return _SPACES.sub(" ", text).strip()


def name_key(raw: str) -> str:
    """The lookup key: the display name without any whitespace."""
    return _SPACES.sub("", display_name(raw))

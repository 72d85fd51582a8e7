"""URL normalisation for caching: equal pages get one `normalise_url`, hence one `url_hash`.

Scheme and host lower-case (IDNA for international names, no trailing dot), default ports
dropped, userinfo refused (such a URL is never fetched), dot segments removed, percent-encoding
made canonical (unreserved characters decoded, hex upper-case), fragment dropped, tracking
parameters dropped (`utm_*` and the click ids in TRACKING_PARAMS), the remaining query sorted.
The path keeps its case: servers may treat /A and /a as different pages.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

from backend.integrations.safefetch.errors import FetchRefused

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid"})
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_SAFE_QUERY = ":@!$'()*+,;/?-._~"  # & and = separate pairs, so they stay encoded inside keys/values


def _canonical(part: str, safe: str) -> str:
    """Decode, then encode exactly what must be: %7e and ~ both become ~, %2f stays encoded in a segment."""
    return quote(unquote(part), safe=safe)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 (unlike posixpath.normpath, `//` is kept: it can be a different page)."""
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if len(out) > 0:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.rsplit("/", 1)[-1] in (".", ".."):
        out.append("")  # /a/b/.. is the directory /a/
    return "/" + "/".join(out)


def _path(path: str) -> str:
    if not path:
        return "/"
    # Dot segments first, on the raw path, so an encoded %2F is not mistaken for a separator.
    segments = _remove_dot_segments(path if path.startswith("/") else "/" + path).split("/")
    return "/".join(_canonical(segment, _SAFE_PATH.replace("/", "")) for segment in segments)


def _query(query: str) -> str:
    """Tracking parameters dropped, the rest sorted; `a` and `a=` stay distinct, `+` means a space."""
    kept = []
    for piece in query.split("&"):
        key, sep, value = piece.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        if not piece or key.lower().startswith("utm_") or key.lower() in TRACKING_PARAMS:
            continue
        kept.append((key, sep, value))
    return "&".join(quote(k, safe=_SAFE_QUERY) + sep + quote(v, safe=_SAFE_QUERY) for k, sep, v in sorted(kept))


def _host(parts) -> str:
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused("bad_host", "the URL has no host")
    if ":" in host:
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchRefused("bad_host", "the URL's host is not a valid domain name") from None


def normalise_url(url: str) -> str:
    """The canonical form of an http(s) URL (FetchRefused for other schemes, userinfo or a bad port)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused("bad_scheme", f"only http and https URLs are analysed, not {scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise FetchRefused("userinfo", "URLs with credentials (user:password@) are refused")
    host = _host(parts)
    try:
        port = parts.port
    except ValueError:
        raise FetchRefused("bad_port", "the URL's port is not a number from 0 to 65535") from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, _path(parts.path), _query(parts.query), ""))


def url_hash(url: str) -> str:
    """SHA-256 (hex) of the normalised URL: the cache key and the id in /links/<url_hash>."""
    return hashlib.sha256(normalise_url(url).encode()).hexdigest()

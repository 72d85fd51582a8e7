"""`fetch`: GET a user-supplied URL without letting it reach anything the user could not.

Each hop is vetted (`addresses.vet`: scheme, port, userinfo, every resolved address) and then
connected to *by address*: a urllib3 pool is built for the vetted IP, the original name is sent
as the Host header and, for https, used for SNI (`server_hostname`) and certificate checking
(`assert_hostname`), so the name is never looked up a second time (no DNS rebinding). Redirects
are followed here, not by urllib3, so each Location is vetted the same way (at most
`max_redirects`). The whole call, redirects included, runs under one deadline: the watchdog from
`backend.integrations.watchdog` shuts the sockets down when it passes, so a trickling server
cannot hold a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import certifi
from flask import current_app, has_app_context
from urllib3 import BaseHTTPResponse, Timeout
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError, SSLError

from backend.integrations import watchdog
from backend.integrations.safefetch.addresses import Resolver, Target, vet
from backend.integrations.safefetch.body import read_capped, too_large
from backend.integrations.safefetch.errors import FetchFailed, FetchRefused
from backend.integrations.settings import config_value

log = logging.getLogger(__name__)
PAGE_BYTES = 5 * 1024 * 1024
PAGE_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
CHUNK = 65536
USER_AGENT = "SoftFactoryLinkFetcher/1.0 (+https://softfactory.example/bot)"


@dataclass(frozen=True)
class FetchResult:
    """A fetched page: `final_url` after `redirects` (the hops' URLs, in order)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content_type: str  # the media type, lower-case, without parameters
    body: bytes
    redirects: tuple[str, ...]


def _config() -> Mapping[str, Any]:
    return current_app.config if has_app_context() else {}


def allowed_ports() -> frozenset[int]:
    """Extra ports from `SAFE_FETCH_ALLOWED_PORTS` (app config, else environment): "8080,8443" or a list."""
    raw = config_value(_config(), "SAFE_FETCH_ALLOWED_PORTS")
    if raw is None:
        return frozenset()
    items = raw.split(",") if isinstance(raw, str) else raw
    try:
        return frozenset(int(p) for p in items if str(p).strip())
    except ValueError:
        raise RuntimeError(f"SAFE_FETCH_ALLOWED_PORTS must list port numbers, got {raw!r}") from None


def test_allowance(requested: bool | Collection[int]) -> bool | Collection[int]:
    """The loopback allowance in force: what the caller asked for, only if app config TESTING is true."""
    if not requested:
        return False
    if has_app_context() and current_app.config.get("TESTING") is True:
        return requested
    log.warning("safe_fetch: allow_loopback_for_tests ignored outside a TESTING app")
    return False


def _timeout() -> FetchFailed:
    return FetchFailed("fetch_timeout", "the page did not arrive within the deadline", status=504)


def ca_bundle() -> str:
    """The CA file https hops are verified against: `SAFE_FETCH_CA_BUNDLE`, else certifi's bundle."""
    return config_value(_config(), "SAFE_FETCH_CA_BUNDLE") or certifi.where()


def _pool(target: Target, address: str, left: float):
    timeout = Timeout(connect=min(CONNECT_TIMEOUT, left), read=min(READ_TIMEOUT, left))
    if target.scheme == "https":
        # Connect to the vetted address, but do SNI and check the certificate against the *name*.
        return watchdog.WatchedHTTPSPool(address, target.port, maxsize=1, retries=False, timeout=timeout,
                                         cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle(),
                                         assert_hostname=target.host, server_hostname=target.host)
    return watchdog.WatchedHTTPPool(address, target.port, maxsize=1, retries=False, timeout=timeout)


def _open(target: Target, ends: float, headers: dict[str, str]) -> tuple[BaseHTTPResponse, Any]:
    """Send the GET to the first vetted address that accepts a connection."""
    error: Exception | None = None
    for address in target.addresses:
        left = ends - time.monotonic()
        if left <= 0:
            raise _timeout()
        pool = _pool(target, address, left)
        try:
            response = pool.urlopen("GET", target.request_target, headers={**headers, "Host": target.host_header},
                                    redirect=False, retries=False, preload_content=False, decode_content=False,
                                    assert_same_host=False)
            return response, pool
        except (NewConnectionError, ConnectTimeoutError) as exc:  # this address is down: try the next
            pool.close()
            error = exc
        except SSLError as exc:
            pool.close()
            raise FetchFailed("tls_error", f"TLS with {target.host} failed: {exc}") from None
        except (HTTPError, OSError) as exc:
            pool.close()
            raise _failure(exc, ends, target) from None
    raise _failure(error, ends, target)


def _failure(exc: Exception | None, ends: float, target: Target) -> FetchFailed:
    if time.monotonic() >= ends - 0.01 or isinstance(exc, ReadTimeoutError) or (
            isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError)):
        return _timeout()
    return FetchFailed("connection_failed", f"could not fetch from {target.host}: {type(exc).__name__}",
                       {"host": target.host})


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _type_allowed(media_type: str, allowed: Collection[str]) -> bool:
    return any(a == "*/*" or a == media_type or (a.endswith("/*") and media_type.startswith(a[:-1]))
               for a in allowed)


def _vet_hop(url: str, hop: int, **vet_kw: Any) -> Target:
    try:
        return vet(url, **vet_kw)
    except FetchRefused as exc:
        if not hop:
            raise
        raise FetchRefused(f"redirect_to_{exc.reason}", f"a redirect led somewhere refused: {exc.message}",
                           {**exc.details, "hop": hop, "location": url}) from None


def fetch(url: str, *, max_bytes: int = PAGE_BYTES, deadline: float = 15.0,
          allowed_types: Collection[str] = PAGE_TYPES, max_redirects: int = 5, resolver: Resolver | None = None,
          allow_loopback_for_tests: bool | Collection[int] = False) -> FetchResult:
    """GET `url` safely; FetchRefused (422) or FetchFailed (502/504) when it cannot.

    `allowed_types` are media types (`image/*` and `*/*` wildcards allowed); `deadline` covers the
    whole call in seconds. `resolver(host, port) -> [address, ...]` replaces getaddrinfo (tests).
    `allow_loopback_for_tests` lets loopback addresses through (True: any port; a collection: only
    those ports) *only* when app config TESTING is true; otherwise it is ignored and loopback is
    refused like any internal address.
    """
    vet_kw = {"allowed_ports": allowed_ports(), "loopback_ports": test_allowance(allow_loopback_for_tests),
              "resolver": resolver}
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(allowed_types), "Accept-Encoding": "gzip, deflate, br"}
    ends = time.monotonic() + deadline
    redirects: list[str] = []
    current = url
    with watchdog.deadline(deadline):
        while True:
            target = _vet_hop(current, len(redirects), **vet_kw)
            response, pool = _open(target, ends, headers)
            try:
                if response.status in REDIRECT_STATUSES:
                    current = _next_hop(response, current, redirects, max_redirects)
                    continue
                return _result(url, target, response, redirects, max_bytes, allowed_types, ends)
            except (HTTPError, OSError) as exc:
                raise _failure(exc, ends, target) from None
            finally:
                response.release_conn()
                pool.close()


def _next_hop(response: BaseHTTPResponse, current: str, redirects: list[str], max_redirects: int) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FetchFailed("bad_redirect", f"HTTP {response.status} without a Location")
    if len(redirects) >= max_redirects:
        raise FetchRefused("too_many_redirects", f"more than {max_redirects} redirects",
                           {"max_redirects": max_redirects})
    following = urljoin(current, location.strip())
    redirects.append(following)
    return following


def _result(url: str, target: Target, response: BaseHTTPResponse, redirects: list[str], max_bytes: int,
            allowed_types: Collection[str], ends: float) -> FetchResult:
    if not 200 <= response.status < 300:
        raise FetchFailed("http_error", f"{target.host} answered HTTP {response.status}",
                          {"upstream_status": response.status})
    media_type = _media_type(response.headers.get("Content-Type"))
    if not _type_allowed(media_type, allowed_types):
        raise FetchFailed("unsupported_content_type", f"content type {media_type or 'none'!r} is not accepted",
                          {"content_type": media_type, "allowed": list(allowed_types)})
    length = response.headers.get("Content-Length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise too_large(max_bytes)  # refused before reading a byte of it
    body = read_capped(response.stream(CHUNK, decode_content=False), response.headers.get("Content-Encoding", ""),
                       max_bytes, ends, _timeout)
    return FetchResult(url=url, final_url=redirects[-1] if redirects else url, status=response.status,
                       headers=dict(response.headers), content_type=media_type, body=body,
                       redirects=tuple(redirects))

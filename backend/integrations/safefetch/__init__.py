"""Fetching user-supplied URLs safely (SSRF-proof): `fetch(url, ...) -> FetchResult`.

Library decision: `requests-hardened` (1.3.0, installable here) does the core trick this package
uses (connect to the vetted IP, original name as Host/SNI/assert_hostname), but it checks only the
first address getaddrinfo returns, has no injectable resolver, relies on `ipaddress.is_private`
(whose answers differ between CPython patch releases; 3.11.7 calls 192.0.0.9 global), lets
requests follow redirects (so no per-hop reason codes) and reports refusals as a bare
`InvalidIPAddress`. Its technique fits in a few lines on urllib3 pools, which also lets the
deadline watchdog (`backend.integrations.watchdog`) cut the sockets, so we build on urllib3
directly: `addresses` vets a URL, `body` reads a capped, incrementally decoded body, `fetch`
connects to vetted addresses and follows redirects itself.

User URLs never go through `OutboundClient`: it trusts its configured base URL.

Test-only allowance: `allow_loopback_for_tests` reaches loopback fakes only when app config
`TESTING` is true; in production (or with no app context) it is ignored and loopback is refused.
"""

from backend.integrations.safefetch.addresses import Resolver, deny_kind, vet
from backend.integrations.safefetch.errors import FetchFailed, FetchRefused
from backend.integrations.safefetch.fetch import PAGE_BYTES, PAGE_TYPES, FetchResult, fetch

__all__ = ["PAGE_BYTES", "PAGE_TYPES", "FetchFailed", "FetchRefused", "FetchResult", "Resolver", "deny_kind",
           "fetch", "vet"]

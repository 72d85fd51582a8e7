"""Vetting a URL before anything connects: its shape, its port, and every address its host resolves to.

The host is parsed the way the OS would: an IPv4 literal in any spelling `inet_aton` accepts
(decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`) becomes the address it
denotes and is never handed to a resolver; a bracketed IPv6 literal is parsed by `ipaddress`; any
other host is resolved once. Every resolved address must pass `deny_kind`; the fetch then connects
to those vetted addresses, so a second lookup (DNS rebinding) never happens.

The deny list is written out here rather than taken from `ipaddress.is_private`/`is_global`,
whose answers changed between CPython patch releases (3.11.7 here calls 192.0.0.9 global).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from backend.integrations.safefetch.errors import FetchFailed, FetchRefused

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]  # (host, port) -> address strings

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = frozenset({80, 443})
SCHEMES = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}"
                       r"[a-z0-9_])?)*\.?$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def _nets(kind: str, *cidrs: str) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]]:
    return [(ipaddress.ip_network(c), kind) for c in cidrs]


# Order matters only for the name reported: the first match wins.
DENIED_V4 = [
    *_nets("unspecified", "0.0.0.0/8"),  # "this network": 0.0.0.0 reaches the local host on Linux
    *_nets("loopback", "127.0.0.0/8"),
    *_nets("private", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    *_nets("link_local", "169.254.0.0/16"),  # includes the cloud metadata address 169.254.169.254
    *_nets("cgnat", "100.64.0.0/10"),  # carrier-grade NAT: often routes to a provider's internal hosts
    *_nets("documentation", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"),
    *_nets("reserved", "192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15", "240.0.0.0/4"),
    *_nets("multicast", "224.0.0.0/4"),
    *_nets("broadcast", "255.255.255.255/32"),
]
DENIED_V6 = [
    *_nets("unspecified", "::/128"),
    *_nets("loopback", "::1/128"),
    *_nets("reserved", "::/96"),  # deprecated IPv4-compatible forms ::a.b.c.d
    *_nets("unique_local", "fc00::/7"),
    *_nets("link_local", "fe80::/10"),
    *_nets("reserved", "fec0::/10", "100::/64", "64:ff9b:1::/48", "2001:10::/28", "2001:20::/28", "5f00::/16"),
    *_nets("teredo", "2001::/32"),  # a tunnel whose client address is obfuscated: never a web host
    *_nets("documentation", "2001:db8::/32", "3fff::/20"),
    *_nets("multicast", "ff00::/8"),
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def deny_kind(ip: IP) -> str | None:
    """Why `ip` must not be reached (`loopback`, `private`, `link_local`, ...), or None if it is global."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Forms that carry an IPv4 address reach that address: judge the embedded one.
        embedded = ip.ipv4_mapped or (ip.sixtofour) or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        if embedded is not None:
            return deny_kind(embedded)
        table = DENIED_V6
    else:
        table = DENIED_V4
    for net, kind in table:
        if ip in net:
            return kind
    if isinstance(ip, ipaddress.IPv6Address) and ip not in ipaddress.ip_network("2000::/3"):
        return "reserved"  # outside global unicast: nothing public lives there
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """The OS resolver (getaddrinfo), TCP results only; scope ids dropped."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


def literal_address(host: str) -> IP | None:
    """The address a literal host denotes, as the OS would read it; None for a name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise FetchRefused("bad_host", f"{host!r} is not a valid IPv6 address") from None
    bare = host[:-1] if host.endswith(".") else host
    if bare and re.fullmatch(r"[0-9a-fx.]+", bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))  # the C parser: octal, hex, short forms
        except OSError:
            return None  # e.g. 1.2.3.4.5: a (strange) name
    return None


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (`addresses`, all checked) and what to send."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA) name or IP literal, no brackets
    port: int
    host_header: str
    request_target: str  # path and query, percent-encoded; never the fragment
    addresses: tuple[str, ...]


def _split(url: str):
    if not isinstance(url, str) or not url.strip():
        raise FetchRefused("bad_url", "the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise FetchRefused("bad_url", f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):  # urlsplit would silently drop tabs and newlines
        raise FetchRefused("bad_url", "the URL contains control characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise FetchRefused("bad_scheme", f"only http and https URLs can be fetched, not {parts.scheme or 'none'!r}")
    if "@" in parts.netloc or parts.username is not None:
        raise FetchRefused("userinfo", "URLs with credentials (user:password@) are refused")
    return parts


def _host(parts) -> str:
    if "\\" in parts.netloc or "%" in parts.netloc:
        raise FetchRefused("bad_host", "the URL's host contains characters a host cannot have")
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchRefused("bad_host", "the URL has no host")
    if ":" in host:
        return host  # an IPv6 literal, checked by literal_address
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused("bad_host", "the URL's host is not a valid domain name") from None
    if not _HOSTNAME.match(host):
        raise FetchRefused("bad_host", "the URL's host is not a valid domain name")
    return host


def parse(url: str, allowed_ports: Collection[int], loopback_ports: Collection[int] | bool) -> tuple:
    """Split and check `url` without resolving: (scheme, host, port, port_needs_loopback, host_header, target)."""
    parts = _split(url)
    host = _host(parts)
    try:
        explicit = parts.port
    except ValueError:
        raise FetchRefused("bad_port", "the URL's port is not a number from 0 to 65535") from None
    port = explicit if explicit is not None else SCHEMES[parts.scheme]
    needs_loopback = False
    if port not in DEFAULT_PORTS and port not in allowed_ports:
        if loopback_ports is True or (loopback_ports and port in loopback_ports):
            needs_loopback = True  # the test allowance: fine only if the host turns out to be loopback
        else:
            raise FetchRefused("bad_port", f"port {port} is not allowed (only 80 and 443 unless configured)",
                               {"port": port})
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if explicit is None or port == SCHEMES[parts.scheme] else f"{shown}:{port}"
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
    return parts.scheme, host, port, needs_loopback, host_header, target


def vet(url: str, *, allowed_ports: Collection[int] = (), loopback_ports: Collection[int] | bool = False,
        resolver: Resolver | None = None) -> Target:
    """Check `url` and resolve its host once; raise FetchRefused naming the first rule it breaks.

    `loopback_ports` is the (already authorised) test allowance: True lets loopback addresses through
    on any port, a collection only on those ports, False never.
    """
    scheme, host, port, needs_loopback, host_header, target = parse(url, allowed_ports, loopback_ports)
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IP] = [literal]
    else:
        try:
            found = list((resolver or system_resolver)(host, port))
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchRefused("unresolvable_host", f"{host} does not resolve", {"host": host}) from exc
        except OSError as exc:
            raise FetchFailed("dns_error", f"resolving {host} failed: {exc}", {"host": host}) from exc
        try:
            addresses = [ipaddress.ip_address(a) for a in found]
        except ValueError:
            raise FetchFailed("dns_error", f"the resolver answered a bad address for {host}") from None
        if not addresses:
            raise FetchRefused("unresolvable_host", f"{host} does not resolve", {"host": host})
    loopback_ok = loopback_ports is True or bool(loopback_ports and port in loopback_ports)
    for address in addresses:
        kind = deny_kind(address)
        if kind == "loopback" and loopback_ok:
            continue
        if kind is not None:
            raise FetchRefused("private_address", f"{host} is a {kind.replace('_', ' ')} address, which is not "
                                                  "reachable from here", {"host": host, "kind": kind})
        if needs_loopback:
            raise FetchRefused("bad_port", f"port {port} is not allowed (only 80 and 443 unless configured)",
                               {"port": port})
    return Target(url=url, scheme=scheme, host=host, port=port, host_header=host_header, request_target=target,
                  addresses=tuple(str(a) for a in addresses))

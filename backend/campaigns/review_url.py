"""A completed application's review URL, checked by the link analyzer's URL rules, without fetching it.

The same rules as safefetch.addresses.parse (scheme http/https, no userinfo, no control
characters, a valid host name or IP literal, ports 80/443 plus SAFE_FETCH_ALLOWED_PORTS, at most
2,048 characters), then what can be judged without a DNS lookup: an IP literal in any spelling the
OS accepts (`127.1`, `0x7f.1`, `[::ffff:10.0.0.1]`) must be global (safefetch.deny_kind), and names
that only exist on private networks (localhost, *.local, *.internal, *.home.arpa, single labels)
are refused. Nothing resolves or connects: the URL is shown to people, and whoever fetches it
later (the link analyzer) vets it again at that moment. Stored in its normalised form
(urlnorm.normalise_url: tracking parameters and fragment dropped).
"""

from __future__ import annotations

from backend.errors import ValidationFailed
from backend.integrations.safefetch.addresses import deny_kind, literal_address, parse
from backend.integrations.safefetch.errors import FetchRefused
from backend.integrations.safefetch.fetch import allowed_ports
from backend.integrations.urlnorm import normalise_url

PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain")


def _refuse(reason: str, message: str) -> ValidationFailed:
    return ValidationFailed("request body is invalid", {"location": "body", "reason": reason,
                                                        "fields": {"review_url": message}})


def validate_review_url(url: str) -> str:
    """The normalised URL if it may be published as a review link; a 422 naming `review_url` if not."""
    try:
        _scheme, host, _port, _loopback, _host_header, _target = parse(url, allowed_ports(), False)
        literal = literal_address(host)
        if literal is not None:
            kind = deny_kind(literal)
            if kind is not None:
                raise FetchRefused(f"{kind}_address", f"{host} is a {kind.replace('_', ' ')} address")
        else:
            name = host.rstrip(".")
            if name == "localhost" or name.endswith(PRIVATE_SUFFIXES) or "." not in name:
                raise FetchRefused("private_host", f"{name} is not a public host name")
        return normalise_url(url)
    except FetchRefused as exc:
        raise _refuse(exc.reason, exc.message) from None

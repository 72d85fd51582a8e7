"""integrations.safefetch against real loopback servers: hostile URLs refused, good pages fetched within caps.

The "internal" site stands for what a user must never reach (a metadata service, an admin port):
SAFE_FETCH_ALLOWED_PORTS includes its port, so only the address rules stand between a hostile URL
and it, and its hit counter must stay 0 through every case.
"""

from __future__ import annotations

import functools
import gzip
import shutil
import socket
import ssl
import subprocess
import time
import zlib
from urllib.parse import unquote

import brotli
import pytest
from flask import Flask

from backend.errors import register_error_handlers
from backend.integrations.safefetch import FetchFailed, FetchRefused, fetch, vet
from backend.integrations.safefetch.fetch import allowed_ports
from tests.integrations.fake_site import FakeSite, Page, redirect

NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "internal.test": ["127.0.0.1"],
    "origin.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "127.0.0.1"],  # one bad address among good ones is enough
    "ula.test": ["fd12:3456::1"],
    "mapped.test": ["::ffff:10.1.2.3"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
    "cgnat.test": ["100.100.1.1"],
    "sixtofour.test": ["2002:c0a8:0101::1"],
    "example.com": ["93.184.216.34"],
}


class Resolver:
    """A test DNS: fixed answers, every lookup recorded."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return NAMES[host]


@pytest.fixture(scope="module")
def internal():
    with FakeSite() as site:
        yield site


def make_app(testing: bool, internal_port: int) -> Flask:
    app = Flask("safefetch-test")
    app.config.update(TESTING=testing, SAFE_FETCH_ALLOWED_PORTS=str(internal_port))
    register_error_handlers(app)
    return app


@pytest.fixture
def app(internal):
    app = make_app(True, internal.port)
    with app.app_context():
        yield app


P = "private_address"
HOSTILE = [
    ("http://127.0.0.1:{I}/", P),
    ("http://2130706433:{I}/", P),  # decimal
    ("http://0177.0.0.1:{I}/", P),  # octal
    ("http://0x7f.1:{I}/", P),  # hex, short
    ("http://0x7f000001:{I}/", P),
    ("http://017700000001:{I}/", P),
    ("http://127.1:{I}/", P),
    ("http://127.0.0.1.:{I}/", P),  # trailing dot
    ("http://[::1]:{I}/", P),
    ("http://[::ffff:127.0.0.1]:{I}/", P),  # IPv4-mapped
    ("http://[::ffff:7f00:1]:{I}/", P),
    ("http://[0:0:0:0:0:ffff:127.0.0.1]:{I}/", P),
    ("http://localhost:{I}/", P),
    ("http://LocalHost:{I}/", P),
    ("http://internal.test:{I}/admin", P),  # a name resolving to loopback
    ("https://127.0.0.1:{I}/", P),
    ("http://0.0.0.0:{I}/", P),
    ("http://0:{I}/", P),
    ("http://[::]:{I}/", P),
    ("http://169.254.169.254/latest/meta-data/", P),
    ("http://[::ffff:169.254.169.254]/", P),
    ("http://metadata.test/computeMetadata/v1/", P),
    ("http://[fd00::1]/", P),  # ULA
    ("http://ula.test/", P),
    ("http://[fe80::1]/", P),  # link-local
    ("http://100.64.0.1/", P),  # CGNAT
    ("http://cgnat.test/", P),
    ("http://10.0.0.1/", P),
    ("http://172.16.0.1/", P),
    ("http://192.168.1.1/", P),
    ("http://mapped.test/", P),
    ("http://[64:ff9b::7f00:1]/", P),  # NAT64 with loopback inside
    ("http://nat64.test/", P),
    ("http://[2002:7f00:1::]/", P),  # 6to4 with loopback inside
    ("http://sixtofour.test/", P),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", P),  # Teredo
    ("http://224.0.0.1/", P),
    ("http://255.255.255.255/", P),
    ("http://192.0.2.1/", P),  # documentation
    ("http://192.0.0.9/", P),  # IETF protocol assignments (is_global says True on 3.11.7)
    ("http://240.0.0.1/", P),
    ("http://mixed.test/", P),
    ("http://127.0.0.1#@example.com/", P),
    ("http://127.0.0.1:{I}#@example.com/", P),
    ("http://example.com@127.0.0.1:{I}/", "userinfo"),
    ("http://user:pass@example.com/", "userinfo"),
    ("http://example.com\\@127.0.0.1:{I}/", "userinfo"),
    ("http://example.com:{I}@127.0.0.1:{I}/", "userinfo"),
    ("http://@127.0.0.1:{I}/", "userinfo"),
    ("file:///etc/passwd", "bad_scheme"),
    ("gopher://127.0.0.1:{I}/_GET%20/", "bad_scheme"),
    ("ftp://example.com/", "bad_scheme"),
    ("dict://127.0.0.1:11211/stat", "bad_scheme"),
    ("javascript:alert(1)", "bad_scheme"),
    ("//127.0.0.1:{I}/", "bad_scheme"),
    ("http://example.com:22/", "bad_port"),
    ("http://example.com:6379/", "bad_port"),
    ("http://example.com:0/", "bad_port"),
    ("http://example.com:99999/", "bad_port"),
    ("http://example.com:abc/", "bad_port"),
    ("http:///etc/passwd", "bad_host"),
    ("http://:80/", "bad_host"),
    ("http://exa mple.com/", "bad_host"),
    ("http://[fe80::1%25eth0]/", "bad_host"),
    ("http://example.com/" + "a" * 2100, "bad_url"),
    ("http://example.com/\r\nX-Injected: 1", "bad_url"),
    ("", "bad_url"),
    ("http://no-such-host.test/", "unresolvable_host"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE, ids=[u[:60] for u, _ in HOSTILE])
def test_hostile_url_is_refused_with_its_reason(app, internal, url, reason):
    url = url.replace("{I}", str(internal.port))
    with pytest.raises(FetchRefused) as caught:
        fetch(url, resolver=Resolver(), deadline=3)
    assert caught.value.reason == reason
    assert caught.value.status == 422 and caught.value.code == reason
    assert internal.hits == 0


def test_the_table_is_big_enough():
    assert len(HOSTILE) >= 40


def test_the_system_resolver_is_checked_too(app, internal):
    with pytest.raises(FetchRefused) as caught:
        fetch(f"http://localhost:{internal.port}/", deadline=3)
    assert caught.value.reason == P
    assert internal.hits == 0


@pytest.fixture
def origin(internal):
    """A site reached through the test allowance that redirects where `?to=` says, or along a chain."""
    def handler(path: str, headers: dict) -> Page:
        if path.startswith("/to/"):
            return redirect(unquote(path[len("/to/"):]))  # our client percent-encodes [ ]
        if path.startswith("/chain/"):
            left = int(path.split("?", 1)[0].rsplit("/", 1)[1])
            return redirect(f"/chain/{left - 1}") if left else Page()
        return Page()
    with FakeSite(handler) as site:
        yield site


REDIRECTS = [
    ("http://127.0.0.1:{I}/", "redirect_to_private_address"),
    ("http://2130706433:{I}/", "redirect_to_private_address"),
    ("http://[::ffff:127.0.0.1]:{I}/", "redirect_to_private_address"),
    ("http://localhost:{I}/", "redirect_to_private_address"),
    ("http://internal.test:{I}/", "redirect_to_private_address"),
    ("//127.0.0.1:{I}/", "redirect_to_private_address"),  # scheme-relative
    ("http://169.254.169.254/latest/meta-data/", "redirect_to_private_address"),
    ("http://[fd00::1]/", "redirect_to_private_address"),
    ("file:///etc/passwd", "redirect_to_bad_scheme"),
    ("gopher://127.0.0.1:{I}/", "redirect_to_bad_scheme"),
    ("http://example.com:22/", "redirect_to_bad_port"),
    ("http://user:pw@127.0.0.1:{I}/", "redirect_to_userinfo"),
]


@pytest.mark.parametrize(("location", "reason"), REDIRECTS, ids=[loc for loc, _ in REDIRECTS])
def test_a_redirect_to_a_refused_place_is_refused(app, internal, origin, location, reason):
    location = location.replace("{I}", str(internal.port))
    with pytest.raises(FetchRefused) as caught:
        fetch(origin.url(f"/to/{location}"), resolver=Resolver(), allow_loopback_for_tests={origin.port}, deadline=3)
    assert caught.value.reason == reason
    assert caught.value.details["hop"] == 1
    assert origin.hits == 1 and internal.hits == 0


def test_a_refused_hop_later_in_the_chain_is_refused(app, internal, origin):
    second = origin.url(f"/to/http://127.0.0.1:{internal.port}/")
    with pytest.raises(FetchRefused) as caught:
        fetch(origin.url(f"/to/{second}"), allow_loopback_for_tests={origin.port}, deadline=3)
    assert caught.value.reason == "redirect_to_private_address" and caught.value.details["hop"] == 2
    assert origin.hits == 2 and internal.hits == 0


def test_five_redirects_are_followed_and_six_refused(app, origin):
    result = fetch(origin.url("/chain/5"), allow_loopback_for_tests={origin.port}, deadline=5)
    assert result.status == 200 and len(result.redirects) == 5
    assert result.final_url == origin.url("/chain/0")
    with pytest.raises(FetchRefused) as caught:
        fetch(origin.url("/chain/6"), allow_loopback_for_tests={origin.port}, deadline=5)
    assert caught.value.reason == "too_many_redirects"
    assert origin.hits == 6 + 6  # the 7th hop was never requested


def test_a_page_is_fetched_from_the_vetted_address_with_the_original_host(app, origin):
    resolver = Resolver()
    result = fetch(f"http://origin.test:{origin.port}/chain/1?b=2#frag", resolver=resolver,
                   allow_loopback_for_tests={origin.port}, deadline=3)
    assert result.status == 200 and result.content_type == "text/html"
    assert b"<title>hi</title>" in result.body
    assert result.redirects == (f"http://origin.test:{origin.port}/chain/0",)
    assert resolver.calls == ["origin.test", "origin.test"]  # once per hop, never again to connect
    path, headers = origin.requests[0]
    assert path == "/chain/1?b=2"  # no fragment
    assert headers["Host"] == f"origin.test:{origin.port}"


def test_production_ignores_the_test_allowance(internal, origin):
    with make_app(False, internal.port).app_context(), pytest.raises(FetchRefused) as caught:
        fetch(origin.url("/"), allow_loopback_for_tests=True, deadline=3)
    assert caught.value.reason in (P, "bad_port")
    with pytest.raises(FetchRefused):  # no app at all: not a test either
        fetch(origin.url("/"), allow_loopback_for_tests=True, deadline=3)
    assert origin.hits == 0


def test_the_allowance_with_ports_covers_only_those_ports(app, internal, origin):
    with pytest.raises(FetchRefused) as caught:
        fetch(internal.url("/"), allow_loopback_for_tests={origin.port}, deadline=3)
    assert caught.value.reason == P and internal.hits == 0


def serve(page: Page):
    return FakeSite(lambda path, headers: page)


def test_the_body_cap_holds_with_and_without_content_length(app):
    for length in (True, False):
        with serve(Page(body=b"x" * 5000, length=length)) as site:
            with pytest.raises(FetchFailed) as caught:
                fetch(site.url(), max_bytes=1000, allow_loopback_for_tests=True, deadline=3)
            assert caught.value.reason == "too_large" and caught.value.status == 502
            assert fetch(site.url(), max_bytes=5000, allow_loopback_for_tests=True, deadline=3).body == b"x" * 5000


def test_the_deadline_covers_a_trickling_server(app):
    with serve(Page(body=b"y" * 400, trickle=0.02, length=False)) as site:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            fetch(site.url(), allow_loopback_for_tests=True, deadline=1.0)
        elapsed = time.monotonic() - started
    assert caught.value.reason == "fetch_timeout" and caught.value.status == 504
    assert 0.9 < elapsed < 2.0


def test_the_deadline_covers_the_redirects_together(app):
    def handler(path: str, headers: dict) -> Page:
        left = int(path.rsplit("/", 1)[1])
        return Page(status=302, body=b"", headers={"Location": f"/{left - 1}"}, delay=0.4) if left else Page()
    with FakeSite(handler) as site:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            fetch(site.url("/5"), allow_loopback_for_tests=True, deadline=1.0)
    assert caught.value.reason == "fetch_timeout"
    assert time.monotonic() - started < 1.8  # each hop alone was well under the deadline


@functools.cache
def bomb(encoding: str) -> bytes:
    """20 MB of zeros, compressed (a few kB on the wire)."""
    data = b"\0" * (20 * 1024 * 1024)
    return {"gzip": gzip.compress(data, 6), "deflate": zlib.compress(data, 6), "raw": zlib.compress(data, 6)[2:-4],
            "br": brotli.compress(data, quality=4)}[encoding]


@pytest.mark.parametrize(("encoding", "kind", "compress"), [
    ("gzip", "gzip", gzip.compress),
    ("deflate", "deflate", zlib.compress),
    ("deflate", "raw", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ("br", "br", brotli.compress),
], ids=["gzip", "deflate-zlib", "deflate-raw", "br"])
def test_compressed_pages_decode_and_bombs_are_refused(app, encoding, kind, compress):
    page = b"<html>" + b"ok " * 1000 + b"</html>"
    headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
    with serve(Page(body=compress(page), headers=headers)) as site:
        assert fetch(site.url(), allow_loopback_for_tests=True, deadline=3).body == page
    assert len(bomb(kind)) < 100 * 1024  # far under the cap on the wire
    with serve(Page(body=bomb(kind), headers=headers)) as site:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            fetch(site.url(), max_bytes=1024 * 1024, allow_loopback_for_tests=True, deadline=5)
    assert caught.value.reason == "too_large"
    assert time.monotonic() - started < 2.0  # stopped past the cap, not after inflating 20 MB


def test_an_unknown_encoding_is_refused(app):
    page = Page(headers={"Content-Type": "text/html", "Content-Encoding": "zstd-ish"})
    with serve(page) as site, pytest.raises(FetchFailed) as caught:
        fetch(site.url(), allow_loopback_for_tests=True, deadline=3)
    assert caught.value.reason == "unsupported_content_encoding"


def test_content_types_outside_the_allow_list_are_refused(app):
    with serve(Page(body=b"\x89PNG....", headers={"Content-Type": "image/png"})) as site:
        with pytest.raises(FetchFailed) as caught:
            fetch(site.url(), allow_loopback_for_tests=True, deadline=3)
        assert caught.value.reason == "unsupported_content_type" and caught.value.details["content_type"] == "image/png"
        media = fetch(site.url(), allowed_types=("image/*",), allow_loopback_for_tests=True, deadline=3)
        assert media.content_type == "image/png" and media.body == b"\x89PNG...."
    with serve(Page(headers={})) as site, pytest.raises(FetchFailed) as caught:
        fetch(site.url(), allow_loopback_for_tests=True, deadline=3)
    assert caught.value.reason == "unsupported_content_type"


def test_error_statuses_and_dead_servers_fail_cleanly(app):
    with serve(Page(status=404)) as site, pytest.raises(FetchFailed) as caught:
        fetch(site.url(), allow_loopback_for_tests=True, deadline=3)
    assert caught.value.reason == "http_error" and caught.value.details["upstream_status"] == 404
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchFailed) as caught:
        fetch(f"http://127.0.0.1:{port}/", allow_loopback_for_tests=True, deadline=3)
    assert caught.value.reason == "connection_failed" and caught.value.status == 502


def test_a_route_that_fetches_answers_the_house_error_shape(internal):
    app = make_app(True, internal.port)

    @app.get("/probe")
    def probe():
        from flask import request
        return {"size": len(fetch(request.args["url"], resolver=Resolver(), deadline=3).body)}

    client = app.test_client()
    response = client.get("/probe", query_string={"url": "http://[::ffff:169.254.169.254]/"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == P
    assert response.get_json()["error"]["details"]["kind"] == "link_local"
    response = client.get("/probe", query_string={"url": "http://no-such-host.test/"})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unresolvable_host"


def test_extra_ports_come_from_configuration(internal):
    app = make_app(True, internal.port)
    app.config["SAFE_FETCH_ALLOWED_PORTS"] = "8080, 8443"
    with app.app_context():
        ports = allowed_ports()
        assert ports == {8080, 8443}
        assert vet("http://example.com:8443/", allowed_ports=ports, resolver=Resolver()).port == 8443
        with pytest.raises(FetchRefused) as caught:
            fetch("http://example.com:8081/", resolver=Resolver())
        assert caught.value.reason == "bad_port"


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A throwaway CA and a certificate for `origin.test` only (openssl CLI; skipped without it)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=safefetch test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign", cwd=d)
    openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", "srv.key", "-out", "srv.csr",
            "-subj", "/CN=origin.test", cwd=d)
    (d / "ext").write_text("subjectAltName=DNS:origin.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "srv.pem", "-days", "2", "-extfile", "ext", cwd=d)
    return d


def test_https_goes_to_the_vetted_address_with_sni_and_certificate_checked_against_the_name(app, tls_files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files / "srv.pem", tls_files / "srv.key")
    app.config["SAFE_FETCH_CA_BUNDLE"] = str(tls_files / "ca.pem")
    with FakeSite(tls=context) as site:
        allow = {site.port}
        resolver = Resolver()
        result = fetch(f"https://origin.test:{site.port}/page", resolver=resolver, allow_loopback_for_tests=allow,
                       deadline=5)
        assert result.status == 200 and b"hello" in result.body
        assert site.server_names == ["origin.test"]
        assert site.requests[0][1]["Host"] == f"origin.test:{site.port}"
        # Same address, other names: the certificate (for origin.test) must not pass for them.
        NAMES["other.test"] = ["127.0.0.1"]
        try:
            for url in (f"https://other.test:{site.port}/", f"https://127.0.0.1:{site.port}/"):
                with pytest.raises(FetchFailed) as caught:
                    fetch(url, resolver=resolver, allow_loopback_for_tests=allow, deadline=5)
                assert caught.value.reason == "tls_error"
        finally:
            del NAMES["other.test"]
        assert site.hits == 1

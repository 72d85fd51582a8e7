"""Media downloads: per-platform gates (concurrency, rate), parallel downloads, and optional oEmbed."""

from __future__ import annotations

import threading
import time

from backend import create_app
from backend.links import media
from backend.links.fakes import FakePlatform
from backend.links.media import PlatformGate, download_all
from tests.links.test_analyze import post


def test_a_gate_caps_concurrency_and_spaces_starts():
    gate, running, most = PlatformGate(concurrency=2, rate=1000), [0], [0]
    lock = threading.Lock()

    def work():
        with gate:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 2
    paced, starts = PlatformGate(concurrency=10, rate=20), []
    for _ in range(5):
        with paced:
            starts.append(time.monotonic())
    assert starts[-1] - starts[0] >= 4 / 20 - 0.01  # one start per 50 ms


def test_media_download_in_parallel_in_order_and_failures_are_dropped(tmp_path):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), "LINKS_TEST_ALLOW_LOOPBACK": True,
                      "LINKS_MEDIA_CONCURRENCY": 4, "LINKS_MEDIA_RATE": 1000})
    with FakePlatform(media_delay=0.2) as site, app.app_context():
        urls = [f"{site.base}/media/m{i}.png" for i in range(4)]
        started = time.monotonic()
        found = download_all([*urls, f"{site.base}/nothing-here", "http://10.0.0.1/x.png"], "generic")
        parallel = time.monotonic() - started
        assert [d.url for d in found] == urls
        assert len({d.content_hash for d in found}) == 4
        app.config["LINKS_MEDIA_CONCURRENCY"] = 1
        started = time.monotonic()
        assert len(download_all(urls, "generic")) == 4
        sequential = time.monotonic() - started
        assert media.gate("generic", urls[0]) is not media.gate("generic", "http://other.example/x.png")  # per host
        assert media.gate("youtube", "https://a.ytimg.com/x") is media.gate("youtube", "https://b.ytimg.com/y")
    assert sequential >= 0.8 and parallel < sequential / 2, (parallel, sequential)


def test_oembed_is_optional_and_adds_its_thumbnail(links_app, platform, make_user):
    _, auth = make_user()
    plain = post(links_app().test_client(), platform.url(21), auth).get_json()
    assert "oembed" not in plain["metadata"] and not any(p.startswith("/oembed") for p in platform.hits)
    app = links_app(LINKS_OEMBED=True, LINKS_OEMBED_GENERIC_URL=f"{platform.base}/oembed")
    body = post(app.test_client(), platform.url(22), auth).get_json()
    assert body["metadata"]["oembed"]["provider_name"] == "FakeGram"
    assert f"{platform.base}/media/thumb.png" in [m["url"] for m in body["media"]]

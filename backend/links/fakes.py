"""Loopback fakes for the link analyzer's tests and benchmark: a content platform and Gemini.

`FakePlatform` serves posts (`/post/<n>`: an HTML page whose Open Graph and JSON-LD name its
media), media (`/media/<name>`: image bytes) and an oEmbed endpoint (`/oembed?url=`), with a
configurable delay per request, and counts what it served. `FakeGemini` answers generateContent
with one item per inline medium (so any batch size gets a well-formed answer) after a
configurable delay, and counts calls and media.
Both are real HTTP servers on 127.0.0.1: the safe fetcher and the outbound client run for real.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server:
    """A threaded loopback server whose handler calls `self.answer(method, path, body)`."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, ctype, payload = owner.answer(self.command, self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up
                    self.wfile.write(payload)

            do_GET = do_POST = _handle  # noqa: N815

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for a request."""
        raise NotImplementedError

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Any:
        """The running server."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Stop it."""
        self.close()


class FakePlatform(_Server):
    """Posts and media. `posts[n]` lists the media names of post n (default: `media_per_post` own ones)."""

    def __init__(self, media_per_post: int = 2, page_delay: float = 0.0, media_delay: float = 0.0):
        """Serve on a free loopback port."""
        self.media_per_post = media_per_post
        self.page_delay, self.media_delay = page_delay, media_delay
        self.posts: dict[str, list[str]] = {}
        self.extra_head: dict[str, str] = {}  # post -> raw HTML added to its <head>
        self.hits: Counter[str] = Counter()
        super().__init__()

    def url(self, post: str | int) -> str:
        """The URL of post `post`."""
        return f"{self.base}/post/{post}"

    def media_names(self, post: str) -> list[str]:
        """The media of a post."""
        return self.posts.get(post, [f"{post}-{i}" for i in range(self.media_per_post)])

    def page(self, post: str) -> bytes:
        """The post's HTML: og:image per medium, JSON-LD with the headline and author."""
        names = self.media_names(post)
        metas = "".join(f'<meta property="og:image" content="/media/{n}.png">' for n in names)
        ld = json.dumps({"@context": "https://schema.org", "@type": "SocialMediaPosting", "headline": f"Post {post}",
                         "author": {"@type": "Person", "name": "Chef Kim"}, "datePublished": "2026-11-30"})
        return (f'<!doctype html><html><head><title>Post {post} | FakeGram</title>'
                f'<meta property="og:title" content="Bibimbap night #{post}">'
                f'<meta property="og:description" content="Post {post} of a chef">'
                f'<meta property="og:site_name" content="FakeGram">{metas}'
                f'<script type="application/ld+json">{ld}</script>{self.extra_head.get(post, "")}'
                f'</head><body><p>post {post}</p></body></html>').encode()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Pages under /post/, media under /media/, 404 elsewhere."""
        with self.lock:
            self.hits[path] += 1
        if path.startswith("/post/"):
            time.sleep(self.page_delay)
            return 200, "text/html; charset=utf-8", self.page(path[len("/post/"):])
        if path.startswith("/oembed?"):
            return 200, "application/json", json.dumps({
                "type": "rich", "title": "oEmbed title", "author_name": "Chef Kim", "provider_name": "FakeGram",
                "thumbnail_url": f"{self.base}/media/thumb.png", "html": "<iframe></iframe>"}).encode()
        if path.startswith("/media/"):
            time.sleep(self.media_delay)
            name = path[len("/media/"):].removesuffix(".png")
            return 200, "image/png", b"\x89PNG\r\n\x1a\n" + f"pixels of {name}".encode() * 20
        return 404, "text/plain", b"not found"

    @property
    def page_hits(self) -> int:
        """Pages served."""
        return sum(n for p, n in self.hits.items() if p.startswith("/post/"))

    @property
    def media_hits(self) -> int:
        """Media served."""
        return sum(n for p, n in self.hits.items() if p.startswith("/media/"))


class FakeGemini(_Server):
    """generateContent: one answer item per inline medium, after `delay` seconds; `fail` answers 400."""

    def __init__(self, delay: float = 0.0):
        """Serve on a free loopback port."""
        self.delay = delay
        self.fail = False
        self.calls = 0
        self.media_sent = 0
        self.batch_sizes: list[int] = []
        super().__init__()

    @property
    def url(self) -> str:
        """GEMINI_BASE_URL for it."""
        return f"{self.base}/v1beta"

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """A generateContent answer about the request's media."""
        parts = json.loads(body or b"{}").get("contents", [{}])[0].get("parts", [])
        media = [p for p in parts if "inline_data" in p]
        with self.lock:
            self.calls += 1
            self.media_sent += len(media)
            self.batch_sizes.append(len(media))
        time.sleep(self.delay)
        if self.fail:
            return 400, "application/json", b'{"error": {"message": "bad request"}}'
        text = json.dumps({"summary": f"a page with {len(media)} media",
                           "media": [{"index": i, "description": f"medium {i}: a bowl of bibimbap",
                                      "labels": ["food", "korean"], "text": None} for i in range(len(media))]})
        return 200, "application/json", json.dumps({
            "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 300 + 258 * len(media), "candidatesTokenCount": 60 + 40 * len(media)},
            "modelVersion": "gemini-2.0-flash-001"}).encode()

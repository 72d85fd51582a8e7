"""Reading a response body under a byte cap, decoding `Content-Encoding` incrementally.

Compressed bodies are inflated a chunk at a time and never past the cap: zlib's `max_length` and
brotli's `output_buffer_limit` bound each step's output, so a gzip/deflate/br bomb (a few kB that
inflate to gigabytes) costs at most `max_bytes + 1` bytes of memory before it is refused.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable

import brotli

from backend.integrations.safefetch.errors import FetchFailed

Step = Callable[[bytes, int], bytes]  # (compressed chunk, room left) -> at most room + 1 decoded bytes


def _zlib_step(wbits: int | None) -> Step:
    state: dict = {"d": zlib.decompressobj(wbits) if wbits is not None else None}

    def step(data: bytes, room: int) -> bytes:
        if state["d"] is None:  # deflate: servers send zlib-wrapped or raw streams; the header tells
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            state["d"] = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if not data:
            return state["d"].flush(room + 1)
        # Output stops at room + 1 bytes; any input left unconsumed means the cap is exceeded anyway.
        return state["d"].decompress(data, room + 1)

    return step


def _brotli_step() -> Step:
    decoder = brotli.Decompressor()

    def step(data: bytes, room: int) -> bytes:
        return decoder.process(data, output_buffer_limit=room + 1) if data else b""

    return step


def decoder_for(encoding: str) -> Step | None:
    """The incremental decoder for a Content-Encoding value; None for identity; FetchFailed if unknown."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _zlib_step(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _zlib_step(None)
    if encoding == "br":
        return _brotli_step()
    raise FetchFailed("unsupported_content_encoding", f"the response uses an unsupported encoding {encoding!r}",
                      {"content_encoding": encoding})


def too_large(max_bytes: int) -> FetchFailed:
    """The error for a body over the cap."""
    return FetchFailed("too_large", f"the response is larger than {max_bytes} bytes", {"max_bytes": max_bytes})


def read_capped(chunks: Iterable[bytes], encoding: str, max_bytes: int, ends: float,
                on_timeout: Callable[[], Exception]) -> bytes:
    """Join the decoded chunks, raising too_large past `max_bytes` (raw or decoded) and on_timeout() at `ends`."""
    step = decoder_for(encoding)
    parts: list[bytes] = []
    raw_total = total = 0
    try:
        for chunk in chunks:
            raw_total += len(chunk)
            if raw_total > max_bytes:
                raise too_large(max_bytes)
            out = step(chunk, max_bytes - total) if step else chunk
            total += len(out)
            if total > max_bytes:
                raise too_large(max_bytes)
            parts.append(out)
            if time.monotonic() >= ends:
                raise on_timeout()
        if step:
            tail = step(b"", max_bytes - total)
            if total + len(tail) > max_bytes:
                raise too_large(max_bytes)
            parts.append(tail)
    except (zlib.error, brotli.error) as exc:
        raise FetchFailed("bad_content_encoding", f"the {encoding} body does not decode: {exc}") from None
    return b"".join(parts)

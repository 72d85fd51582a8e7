"""Resized variants (`/optimized?w=&format=&q=`), encoded once and then served from storage.

A variant is a pure function of (original bytes, width, format, quality), so its key is built from
the original's hash and those values, and its bytes never change (immutable caching is honest).
The first request encodes it under a host-wide lock (`fcntl.flock` on one of `LOCK_STRIPES` lock
files under ASSETS_LOCK_DIR), checking storage again once it holds the lock: concurrent first
requests on one host, in any worker or thread, encode it once; the others wait and read it.
JPEG originals are decoded with `draft()` (libjpeg's DCT scaling to 1/2, 1/4 or 1/8 of the size),
which makes a 4000x3000 photo's first small variant several times cheaper than a full decode.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from backend.assets.storage import Storage

LOCK_STRIPES = 1024  # lock files per host: bounded, and unrelated keys rarely share one
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ENCODED = {"count": 0}  # variants this process encoded (tests and the benchmark read it)


def original_key(content_hash: str, fmt: str) -> str:
    """Where an original's bytes are stored."""
    return f"originals/{content_hash[:2]}/{content_hash}.{EXTENSIONS[fmt]}"


def variants_prefix(content_hash: str) -> str:
    """The folder of one original's variants (deleted with it)."""
    return f"variants/{content_hash}/"


def variant_key(content_hash: str, width: int, fmt: str, quality: int) -> str:
    """Where one variant is stored."""
    return f"{variants_prefix(content_hash)}{width}w-q{quality}.{EXTENSIONS[fmt]}"


def etag_of(data: bytes) -> str:
    """The content-hash ETag of stored bytes."""
    return hashlib.sha256(data).hexdigest()[:32]


@contextmanager
def host_lock(lock_dir: str | Path, name: str) -> Iterator[None]:
    """Hold the host-wide lock stripe of `name` (flock: released by the kernel if the process dies)."""
    stripe = int(hashlib.blake2b(name.encode(), digest_size=4).hexdigest(), 16) % LOCK_STRIPES
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(lock_dir) / f"{stripe:04d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def encode_variant(original: bytes, width: int, fmt: str, quality: int) -> bytes:
    """`original` resized to `width` (height keeps the ratio) and encoded as `fmt` at `quality`."""
    with Image.open(io.BytesIO(original), formats=["JPEG", "PNG", "WEBP"]) as image:
        height = max(1, round(image.height * width / image.width))
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (width, height))  # decode at the smallest DCT scale still >= the target
        image.load()
        frame = image if image.size == (width, height) else image.resize(
            (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        if fmt == "JPEG":
            if frame.mode in ("RGBA", "LA", "P"):
                rgba = frame.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))  # JPEG has no alpha: flatten on white
                flat.paste(rgba, mask=rgba.getchannel("A"))
                frame = flat
            elif frame.mode != "RGB":
                frame = frame.convert("RGB")
            options = {"quality": quality, "progressive": True}  # progressive implies optimised Huffman tables
        else:
            if frame.mode not in ("RGB", "RGBA"):
                frame = frame.convert("RGBA" if "A" in frame.mode or "transparency" in frame.info else "RGB")
            options = {"quality": quality, "method": 4}
        icc = image.info.get("icc_profile")
        if icc:
            options["icc_profile"] = icc
        frame.info = {}
        out = io.BytesIO()
        frame.save(out, format=fmt, **options)
    return out.getvalue()


def get_or_create(store: Storage, lock_dir: str | Path, content_hash: str, source_format: str, width: int,
                  fmt: str, quality: int) -> tuple[bytes, bool]:
    """The variant's bytes and whether this call encoded them (False: it was stored already)."""
    key = variant_key(content_hash, width, fmt, quality)
    data = store.get(key)
    if data is not None:
        return data, False
    with host_lock(lock_dir, key):
        data = store.get(key)  # another worker may have made it while we waited
        if data is not None:
            return data, False
        original = store.get(original_key(content_hash, source_format))
        if original is None:
            raise FileNotFoundError(original_key(content_hash, source_format))
        data = encode_variant(original, width, fmt, quality)
        store.put(key, data, CONTENT_TYPES[fmt])
        ENCODED["count"] += 1
    return data, True

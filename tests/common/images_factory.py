"""Real images made with Pillow for the upload tests (and a crafted PNG bomb that needs no memory)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from PIL.PngImagePlugin import PngInfo

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def two_halves(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: after a rotation we can tell where the left edge went."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    """EXIF with an orientation tag and a GPS position (the metadata uploads must lose)."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)})
    return exif


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    """`image` saved as `fmt` with Pillow's own encoder."""
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg_with_exif(orientation: int = 6) -> bytes:
    """A 40x20 JPEG whose EXIF says "rotate 90 degrees clockwise" and carries GPS."""
    return encode(two_halves(), "JPEG", quality=95, exif=exif_with_gps(orientation))


def mpo() -> bytes:
    """A two-frame MPO (what phones write for "JPEG" photos with a depth map or burst)."""
    first, second = two_halves(), Image.new("RGB", (40, 20), (0, 255, 0))
    return encode(first, "MPO", save_all=True, append_images=[second], exif=exif_with_gps(1))


def png_with_text() -> bytes:
    """A PNG with text chunks (a comment and a location) that must be dropped."""
    info = PngInfo()
    info.add_text("Comment", "shot at home")
    info.add_text("GPS", "37.56,126.97")
    return encode(two_halves().convert("RGBA"), "PNG", pnginfo=info)


def webp_with_exif() -> bytes:
    """A WebP carrying EXIF."""
    return encode(two_halves(), "WEBP", quality=90, exif=exif_with_gps(1))


def photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo-like JPEG (smooth gradients plus grain), rotated by EXIF like a phone's portrait shot."""
    grain = Image.effect_noise((width // 10, height // 10), 60).resize((width, height), Image.Resampling.BICUBIC)
    red = Image.linear_gradient("L").resize((width, height))
    blue = Image.effect_noise((width, height), 25)
    image = Image.merge("RGB", (red, grain, blue))
    return encode(image, "JPEG", quality=88, exif=exif_with_gps(6))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 10_000, height: int = 10_000, idat: bool = True) -> bytes:
    """A valid grey PNG of one colour, `width` x `height`, built row by row (never whole in memory).

    10,000 x 10,000 is 100 megapixels (100 MB decoded as L, 300 MB as RGB) in about 100 KB of file.
    With idat=False only the header is written (for sizes too large to even compress quickly).
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    body = b""
    if idat:
        compressor = zlib.compressobj(9)
        row = b"\x00" * (width + 1)  # filter byte 0 + one byte per pixel
        parts = [compressor.compress(row) for _ in range(height)]
        parts.append(compressor.flush())
        body = _chunk(b"IDAT", b"".join(parts))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + body + _chunk(b"IEND", b"")

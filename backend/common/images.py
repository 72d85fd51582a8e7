"""Image upload validation shared by every route that takes a photo (menu recognize, assets).

`read_upload(file_storage, max_bytes)` reads a multipart file part without ever holding more than
`max_bytes + 1` bytes; `validate_image(data, max_bytes=...)` then proves the bytes are an image we
accept and hands back a clean copy:

1. size: over `max_bytes` is a 413 `file_too_large` (checked again here, whoever read the bytes);
2. magic bytes: the first bytes name the type (JPEG, PNG, WebP; GIF, BMP, TIFF, SVG, ... are
   recognised only to be named in the 415 `unsupported_image_type`); the client's Content-Type and
   filename are ignored, they are whatever the client says;
3. Pillow opens the bytes with `formats=` set to the sniffed type only (phone "MPO" JPEGs count as
   JPEG), so Pillow and the magic bytes must agree, else 400 `invalid_image`;
4. the header's dimensions, before any pixel is decoded: a side over `max_side` or more than
   `max_pixels` is a 413 `image_too_many_pixels`. The cap is never above Pillow's own
   `Image.MAX_IMAGE_PIXELS`, so every image that would raise a DecompressionBombWarning is refused
   by us first (an error, not a warning); a DecompressionBombError is mapped to the same code. A
   100-megapixel PNG of one colour is a few kilobytes on the wire and 100-300 MB decoded: it is
   refused here, so decoding memory stays below `max_pixels` x 4 bytes;
5. a full `load()` (Pillow's `verify()` checks almost nothing outside PNG): truncated or corrupt
   data is a 400 `invalid_image`;
6. `ImageOps.exif_transpose` (phones store rotation in EXIF), then a re-encode in the same format
   with no EXIF (GPS, camera serials), XMP, comments or text chunks; only the ICC colour profile is
   kept, since dropping it shifts the colours of wide-gamut phone photos.

`ValidatedImage.size_bytes` is the upload's size; `data` is the re-encoded, metadata-free copy to
store or process (the upload itself should not be kept). Animated images keep their first frame.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.errors import APIError

DEFAULT_MAX_SIDE = 4096
DEFAULT_MAX_PIXELS = DEFAULT_MAX_SIDE * DEFAULT_MAX_SIDE
ACCEPTED = ("JPEG", "PNG", "WEBP")
READ_CHUNK = 65536
# Pillow plugins each accepted type opens with. Phones write MPO (multi-picture JPEG): Pillow's
# JPEG plugin opens those too (as format "MPO"); "MPO" is not an opener name of its own.
PILLOW_FORMATS = {"JPEG": ("JPEG",), "PNG": ("PNG",), "WEBP": ("WEBP",)}
# Modes each encoder takes as they are; anything else is converted (see _encodable).
ENCODER_MODES = {"JPEG": {"L", "RGB", "CMYK"}, "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"},
                 "WEBP": {"RGB", "RGBA"}}
# Re-encoding settings. JPEG 90 without `optimize` (a second Huffman pass costs ~30% more time);
# PNG level 1: zlib level 6 took seconds on 12-megapixel images, level 1 a fraction of that.
SAVE_OPTIONS: dict[str, dict[str, Any]] = {"JPEG": {"quality": 90}, "PNG": {"compress_level": 1},
                                           "WEBP": {"quality": 90, "method": 4}}
# Process-wide: Pillow's bomb warning (over MAX_IMAGE_PIXELS) is an exception for every Pillow user
# in the app. validate_image's own cap is never above that line, so it refuses such images first.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


class MissingFile(APIError):
    """The multipart body has no file part under the expected field name."""

    status = 400
    code = "missing_file"


class FileTooLarge(APIError):
    """The file is over the route's byte limit (checked before and after reading)."""

    status = 413
    code = "file_too_large"


class UnsupportedImageType(APIError):
    """The bytes are not one of the accepted image types (by their magic bytes)."""

    status = 415
    code = "unsupported_image_type"


class InvalidImage(APIError):
    """The bytes claim an accepted type but do not decode as it (corrupt, truncated, a lie)."""

    status = 400
    code = "invalid_image"


class ImageTooManyPixels(APIError):
    """The header's dimensions are over the side or pixel cap: refused before decoding."""

    status = 413
    code = "image_too_many_pixels"


@dataclass(frozen=True)
class ValidatedImage:
    """An accepted image: its format, upright dimensions, the upload's size and the clean bytes."""

    format: str
    width: int
    height: int
    size_bytes: int
    data: bytes


def sniff(data: bytes) -> str | None:
    """The type the magic bytes name ("JPEG", "PNG", "WEBP", "GIF", ...), or None when unknown."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "HEIF"
    text = data[:512].lstrip().lower()
    if text.startswith(b"<?xml") or text.startswith(b"<svg") or b"<svg" in text:
        return "SVG"
    return None


def read_upload(file_storage: Any, max_bytes: int) -> bytes:
    """The bytes of a multipart file part, reading at most `max_bytes + 1` of them.

    `file_storage` is a Werkzeug FileStorage (`request.files.get("file")`) or None (400
    `missing_file`). One byte past the limit is enough to know the file is too large (413
    `file_too_large`), so a huge part never sits in memory whole.
    """
    if file_storage is None:
        raise MissingFile("the request has no file part named 'file' (multipart/form-data)",
                          {"field": "file"})
    parts: list[bytes] = []
    left = max_bytes + 1
    stream = file_storage.stream
    while left > 0:
        chunk = stream.read(min(left, READ_CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    data = b"".join(parts)
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than {max_bytes} bytes", {"max_bytes": max_bytes})
    return data


def validate_image(data: bytes, *, max_bytes: int, max_side: int = DEFAULT_MAX_SIDE,
                   max_pixels: int = DEFAULT_MAX_PIXELS,
                   allowed: tuple[str, ...] = ACCEPTED) -> ValidatedImage:
    """Check `data` against the rules in the module docstring; return it upright and metadata-free.

    Raises FileTooLarge (413), UnsupportedImageType (415), InvalidImage (400) or
    ImageTooManyPixels (413), each in the house error shape with the reason in `details`.
    """
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is larger than {max_bytes} bytes",
                           {"max_bytes": max_bytes, "size_bytes": len(data)})
    if not data:
        raise InvalidImage("the file is empty", {"reason": "empty"})
    allowed = tuple(a.upper() for a in allowed if a.upper() in PILLOW_FORMATS)
    kind = sniff(data)
    if kind not in allowed:
        raise UnsupportedImageType(f"{kind or 'this file'} is not an accepted image type; send "
                                   f"{', '.join(allowed)}", {"detected": kind, "allowed": list(allowed)})
    cap = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        with Image.open(io.BytesIO(data), formats=list(PILLOW_FORMATS[kind])) as image:
            width, height = image.size
            _check_dimensions(width, height, max_side, cap)
            image.load()
            clean = _clean_copy(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooManyPixels("the image has too many pixels", {"reason": "decompression_bomb",
                                                                   "max_pixels": cap}) from exc
    except UnidentifiedImageError as exc:
        raise InvalidImage(f"the file starts like {kind} but is not a readable {kind} image",
                           {"reason": "unreadable", "detected": kind}) from exc
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        # Pillow reports corrupt or truncated data as OSError ("image file is truncated"),
        # ValueError (oversized text chunks), SyntaxError (broken headers) or struct.error.
        raise InvalidImage(f"the {kind} image is corrupt or truncated",
                           {"reason": "corrupt", "detected": kind}) from exc
    return ValidatedImage(kind, clean[1], clean[2], len(data), clean[0])


def _check_dimensions(width: int, height: int, max_side: int, max_pixels: int) -> None:
    """Refuse from the header alone: no pixel has been decoded yet."""
    if width <= 0 or height <= 0:
        raise InvalidImage("the image has no pixels", {"reason": "empty_canvas"})
    if width > max_side or height > max_side:
        raise ImageTooManyPixels(f"the image is {width}x{height}; at most {max_side} pixels a side",
                                 {"reason": "side", "width": width, "height": height, "max_side": max_side})
    if width * height > max_pixels:
        raise ImageTooManyPixels(f"the image has {width * height} pixels; at most {max_pixels}",
                                 {"reason": "pixels", "width": width, "height": height, "max_pixels": max_pixels})


def _clean_copy(image: Image.Image) -> tuple[bytes, int, int]:
    """Upright (EXIF orientation applied) and re-encoded without metadata: (bytes, width, height)."""
    fmt = "JPEG" if image.format in ("JPEG", "MPO") else str(image.format)
    icc = image.info.get("icc_profile")
    ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of a 12-megapixel frame
    upright = _encodable(image, fmt)
    # Encoders may copy metadata from `info` (XMP, EXIF, text chunks): start from an empty one.
    upright.info = {}
    options = dict(SAVE_OPTIONS[fmt])
    if icc:
        options["icc_profile"] = icc
    out = io.BytesIO()
    upright.save(out, format=fmt, **options)
    return out.getvalue(), upright.width, upright.height


def _encodable(image: Image.Image, fmt: str) -> Image.Image:
    """The image in a mode its format's encoder takes (palette with transparency keeps alpha)."""
    if image.mode in ENCODER_MODES[fmt]:
        return image
    has_alpha = "A" in image.mode or "transparency" in image.info
    if fmt == "JPEG":
        return image.convert("RGB")
    return image.convert("RGBA" if has_alpha else "RGB")

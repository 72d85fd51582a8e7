"""backend.common.images: the shared upload validation, on real images made with Pillow."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from backend.common.images import (
    FileTooLarge,
    ImageTooManyPixels,
    InvalidImage,
    MissingFile,
    UnsupportedImageType,
    ValidatedImage,
    read_upload,
    sniff,
    validate_image,
)
from tests.common import images_factory as make
from tests.test_server import ROOT

MB = 1024 * 1024


def validate(data: bytes, **options) -> ValidatedImage:
    return validate_image(data, max_bytes=options.pop("max_bytes", 10 * MB), **options)


def reopen(result: ValidatedImage) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    image.load()
    return image


def assert_no_metadata(image: Image.Image) -> None:
    assert not image.getexif(), dict(image.getexif())
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "GPS"} & set(image.info), image.info


def test_a_phone_jpeg_is_turned_upright_and_loses_exif_and_gps():
    data = make.jpeg_with_exif(orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(make.GPS_IFD)  # the input does carry GPS
    result = validate(data)
    assert (result.format, result.width, result.height, result.size_bytes) == ("JPEG", 20, 40, len(data))
    image = reopen(result)
    assert image.format == "JPEG" and image.size == (20, 40)
    assert_no_metadata(image)
    assert b"PhoneMaker" not in result.data
    # Orientation 6 = rotate 90 degrees clockwise: the red left edge is now the top.
    red, blue = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60


def test_an_mpo_counts_as_jpeg_and_keeps_its_first_frame():
    data = make.mpo()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    result = validate(data)
    assert (result.format, result.width, result.height) == ("JPEG", 40, 20)
    image = reopen(result)
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
    assert_no_metadata(image)
    assert image.getpixel((5, 10))[0] > 200  # frame 0 (red/blue), not the green second frame


def test_png_and_webp_are_accepted_without_their_metadata():
    png = validate(make.png_with_text())
    assert (png.format, png.width, png.height) == ("PNG", 40, 20)
    image = reopen(png)
    assert image.mode == "RGBA"
    assert_no_metadata(image)
    assert b"shot at home" not in png.data
    webp = validate(make.webp_with_exif())
    assert (webp.format, webp.width, webp.height) == ("WEBP", 40, 20)
    assert_no_metadata(reopen(webp))
    assert b"PhoneMaker" not in webp.data


def test_a_palette_png_with_transparency_stays_a_png():
    image = Image.new("P", (8, 8), 0)
    image.info["transparency"] = 0
    result = validate(make.encode(image, "PNG", transparency=0))
    assert result.format == "PNG" and reopen(result).size == (8, 8)


@pytest.mark.parametrize(("fmt", "detected"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_types_are_415_naming_what_was_sent(fmt, detected):
    with pytest.raises(UnsupportedImageType) as caught:
        validate(make.encode(make.two_halves(), fmt))
    assert caught.value.status == 415 and caught.value.code == "unsupported_image_type"
    assert caught.value.details == {"detected": detected, "allowed": ["JPEG", "PNG", "WEBP"]}


@pytest.mark.parametrize(("data", "detected"), [
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG"),
    (b"<svg onload=alert(1)></svg>", "SVG"),
    (b"just some text, not an image\n", None),
    (b"\x00" * 64, None),
])
def test_svg_and_text_are_415(data, detected):
    with pytest.raises(UnsupportedImageType) as caught:
        validate(data)
    assert caught.value.details["detected"] == detected


def test_allowed_narrows_the_accepted_types():
    with pytest.raises(UnsupportedImageType):
        validate(make.webp_with_exif(), allowed=("JPEG",))
    assert validate(make.jpeg_with_exif(), allowed=("jpeg",)).format == "JPEG"


def test_a_truncated_jpeg_is_400_after_a_full_decode():
    data = make.encode(make.two_halves(400, 300), "JPEG", quality=90)
    with pytest.raises(InvalidImage) as caught:
        validate(data[: len(data) // 2])
    assert caught.value.status == 400 and caught.value.code == "invalid_image"
    assert caught.value.details["reason"] == "corrupt"


def test_magic_bytes_that_lie_are_400():
    png = make.encode(make.two_halves(), "PNG")
    for lie in (b"\xff\xd8\xff\xe0" + png, b"\xff\xd8\xff" + os.urandom(2000),
                b"\x89PNG\r\n\x1a\n" + make.jpeg_with_exif(), b"RIFF\x00\x00\x00\x00WEBPVP8 garbage"):
        with pytest.raises(InvalidImage) as caught:
            validate(lie)
        assert caught.value.code == "invalid_image", lie[:16]


def test_an_empty_file_is_400():
    with pytest.raises(InvalidImage) as caught:
        validate(b"")
    assert caught.value.details == {"reason": "empty"}


def test_5000x5000_is_refused_from_the_header():
    data = make.encode(Image.new("L", (5000, 5000), 128), "PNG")
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(data)
    assert caught.value.status == 413 and caught.value.code == "image_too_many_pixels"
    assert caught.value.details == {"reason": "side", "width": 5000, "height": 5000, "max_side": 4096}


def test_the_side_and_pixel_caps_are_configurable():
    data = make.encode(Image.new("RGB", (300, 200)), "JPEG")
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(data, max_side=256)
    assert caught.value.details["reason"] == "side"
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(data, max_pixels=300 * 200 - 1)
    assert caught.value.details["reason"] == "pixels"
    assert validate(data, max_side=300, max_pixels=300 * 200).width == 300


def test_a_100_megapixel_bomb_of_one_colour_is_refused():
    bomb = make.png_bomb(10_000, 10_000)
    assert len(bomb) < 200_000  # ~100 KB on the wire, 100 MB decoded
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(bomb, max_side=20_000, max_pixels=50_000_000)
    assert caught.value.details["reason"] == "pixels"
    with pytest.raises(ImageTooManyPixels):
        validate(bomb)  # the defaults refuse it by its side already


def test_caps_above_pillows_bomb_limit_are_clamped_to_it():
    """A caller's larger cap never lets through what Pillow warns about: the warning is an error."""
    side = int((Image.MAX_IMAGE_PIXELS * 1.5) ** 0.5)  # over the warning line, under Pillow's own error
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(make.png_bomb(side, side, idat=False), max_side=10**6, max_pixels=10**12)
    assert caught.value.details["max_pixels"] == Image.MAX_IMAGE_PIXELS
    huge = int((Image.MAX_IMAGE_PIXELS * 2.5) ** 0.5)  # Pillow raises DecompressionBombError in open()
    with pytest.raises(ImageTooManyPixels) as caught:
        validate(make.png_bomb(huge, huge, idat=False), max_side=10**6, max_pixels=10**12)
    assert caught.value.code == "image_too_many_pixels"


BOMB_SCRIPT = """
import resource, sys
from tests.common.images_factory import png_bomb
from backend.common.images import validate_image, ImageTooManyPixels
bomb = png_bomb(10_000, 10_000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    validate_image(bomb, max_bytes=10 << 20, max_side=20_000, max_pixels=50_000_000)
    outcome = "accepted"
except ImageTooManyPixels as exc:
    outcome = exc.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome, (after - before) // 1024)
"""


def test_refusing_the_bomb_keeps_memory_bounded():
    """Peak RSS of a fresh process barely moves: the 100 MB of pixels are never decoded."""
    done = subprocess.run([sys.executable, "-c", BOMB_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    outcome, grown_mb = done.stdout.split()
    assert outcome == "image_too_many_pixels"
    assert int(grown_mb) < 20, f"peak RSS grew {grown_mb} MB while refusing a 100 MB bomb"


def test_bytes_over_the_limit_are_413_before_opening():
    data = make.jpeg_with_exif()
    with pytest.raises(FileTooLarge) as caught:
        validate_image(data, max_bytes=len(data) - 1)
    assert caught.value.status == 413 and caught.value.code == "file_too_large"
    assert validate_image(data, max_bytes=len(data)).format == "JPEG"


class CountingStream(io.BytesIO):
    """A file part that remembers how many bytes were asked of it."""

    taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_read_upload_reads_at_most_one_byte_past_the_limit():
    stream = CountingStream(b"x" * (5 * MB))
    with pytest.raises(FileTooLarge) as caught:
        read_upload(FileStorage(stream, "big.jpg"), max_bytes=MB)
    assert caught.value.details == {"max_bytes": MB}
    assert stream.taken == MB + 1
    assert read_upload(FileStorage(io.BytesIO(b"abc"), "a.jpg"), max_bytes=3) == b"abc"


def test_read_upload_without_a_file_is_400():
    with pytest.raises(MissingFile) as caught:
        read_upload(None, max_bytes=MB)
    assert caught.value.status == 400 and caught.value.code == "missing_file"


def test_sniff_names_what_it_knows():
    assert sniff(make.jpeg_with_exif()) == "JPEG"
    assert sniff(make.webp_with_exif()) == "WEBP"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00") == "HEIF"
    assert sniff(b"") is None


def test_a_4000x3000_phone_photo_validates_in_a_few_hundred_ms(capsys):
    """Records the figure (docs/performance.md "Image assets"); not a timed assertion on this shared box."""
    data = make.photo(4000, 3000)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        result = validate(data)
        runs.append((time.perf_counter() - started) * 1000)
    assert (result.format, result.width, result.height) == ("JPEG", 3000, 4000)
    with capsys.disabled():
        print(f"\nvalidate_image 4000x3000 JPEG ({len(data) // 1024} KB, EXIF-rotated): "
              f"median {sorted(runs)[1]:.0f} ms, runs {json.dumps([round(r) for r in runs])}")

"""OCR adapters for menu photos: CLOVA OCR when configured, else the embedded Tesseract, else none.

- CLOVA OCR (NAVER Cloud, General OCR V2): `POST {CLOVA_OCR_BASE_URL}/general` with header
  `X-OCR-SECRET: {CLOVA_OCR_API_KEY}` and `{"version": "V2", "requestId", "timestamp", "lang": "ko",
  "images": [{"format", "name", "data": <base64>}]}`; the answer's `images[0].fields[].inferText`
  (with `lineBreak`) is the text. `CLOVA_OCR_BASE_URL` is the API Gateway invoke URL without its
  last segment (`https://<id>.apigw.ntruss.com/custom/v1/<domain>/<hash>`). 10 s reads, 3 attempts
  from 1 s (OCR has no side effect, so the POST is retried), 20 s in all.
- Tesseract (`tesseract-ocr` + `tesseract-ocr-kor` from apt, `pytesseract`): offline, Korean and
  English; the image goes through a temporary file that is removed whatever happens.
`ocr_engine()` picks the first available; None means no OCR (recognize answers 503 `ocr_unavailable`).
"""

from __future__ import annotations

import base64
import functools
import os
import shutil
import tempfile
import time
import uuid
from typing import Protocol

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.common.images import ValidatedImage
from backend.errors import APIError
from backend.extensions import integrations
from backend.integrations.errors import ProviderBadResponse
from backend.integrations.extension import client_for
from backend.integrations.settings import ProviderSpec, RetryPolicy, config_value

CLOVA = "clova_ocr"
SPEC = integrations.declare(ProviderSpec(
    name=CLOVA, prefix="CLOVA_OCR", auth_header="X-OCR-SECRET", auth_scheme="", connect_timeout=3.0,
    read_timeout=10.0, deadline=20.0, retry=RetryPolicy(attempts=3, backoff=1.0)))
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class OcrUnavailable(APIError):
    """No OCR engine is configured or installed."""

    status = 503
    code = "ocr_unavailable"


class OcrFailed(APIError):
    """The embedded engine could not read the image in time."""

    status = 504
    code = "ocr_timeout"


class Engine(Protocol):
    """An OCR engine: its name and the text it reads in an image."""

    name: str

    def read(self, image: ValidatedImage, timeout: float) -> str:
        """The image's text, lines separated by newlines."""


class _Field(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inferText: str = Field(max_length=2000)  # noqa: N815 (the provider's field names)
    lineBreak: bool = False  # noqa: N815


class _Image(BaseModel):
    model_config = ConfigDict(extra="ignore")
    fields: list[_Field] = Field(default_factory=list, max_length=5000)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    images: list[_Image] = Field(min_length=1)


class ClovaOcr:
    """CLOVA OCR General V2 through the outbound client."""

    name = "clova"

    def read(self, image: ValidatedImage, timeout: float) -> str:
        """One call (the client's own deadline bounds it)."""
        body = client_for(CLOVA).request_json("POST", "/general", idempotent=True, json={
            "version": "V2", "requestId": str(uuid.uuid4()), "timestamp": int(time.time() * 1000), "lang": "ko",
            "images": [{"format": EXTENSIONS[image.format], "name": "menu",
                        "data": base64.b64encode(image.data).decode()}]})
        try:
            fields = _Answer.model_validate(body).images[0].fields
        except ValidationError:
            raise ProviderBadResponse(CLOVA, "clova_ocr answered JSON without images[0].fields") from None
        return "".join(f.inferText + ("\n" if f.lineBreak else " ") for f in fields).strip()


class Tesseract:
    """The embedded default: Tesseract with the Korean and English models."""

    name = "tesseract"

    def read(self, image: ValidatedImage, timeout: float) -> str:
        """OCR through a temporary file, always removed."""
        import pytesseract

        fd, path = tempfile.mkstemp(prefix="menu-ocr-", suffix=f".{EXTENSIONS[image.format]}")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(image.data)
            try:
                return pytesseract.image_to_string(path, lang="kor+eng", timeout=max(1, int(timeout)))
            except RuntimeError as exc:  # pytesseract's timeout
                raise OcrFailed("the embedded OCR did not finish in time", {"engine": self.name}) from exc
        finally:
            os.unlink(path)


@functools.cache
def tesseract_available() -> bool:
    """True when pytesseract imports and the tesseract binary has the Korean model."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        return "kor" in pytesseract.get_languages(config="")
    except Exception:  # not installed or not runnable: no embedded OCR
        return False


def ocr_engine() -> Engine | None:
    """CLOVA when `CLOVA_OCR_BASE_URL` and its key are set, else Tesseract when installed, else None.

    `MENU_OCR=none` turns the embedded engine off (tests of the unavailable path).
    """
    clova = client_for(CLOVA).settings
    if clova.configured and clova.api_key:
        return ClovaOcr()
    if (config_value(current_app.config, "MENU_OCR") or "auto") != "none" and tesseract_available():
        return Tesseract()
    return None

"""Recognize: validation before anything, OCR through a fake CLOVA and the embedded Tesseract, items
identified, 503 without OCR, 202 with a job when the AI stage cannot finish, temporary files removed."""

from __future__ import annotations

import base64
import glob
import io
import json
import os
import tempfile

import pytest
from PIL import Image, ImageDraw, ImageFont

from backend.integrations.fakes import FakeProvider, ok
from backend.menu.ocr import tesseract_available
from backend.menu.recognize import parse_lines
from tests.conftest import make_app
from tests.menu.conftest import completion, load_catalog

URL = "/api/v1/menu/recognize"
KOREAN_FONT = next(iter(glob.glob("/usr/share/fonts/truetype/nanum/NanumGothic*.ttf")), None)


def jpeg(size=(640, 480), color="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def clova_answer(lines: list[str]) -> dict:
    fields = []
    for line in lines:
        words = line.split()
        fields += [{"valueType": "ALL", "inferText": w, "inferConfidence": 0.99, "type": "NORMAL",
                    "lineBreak": i == len(words) - 1} for i, w in enumerate(words)]
    return {"version": "V2", "requestId": "r", "timestamp": 1, "images": [
        {"uid": "u", "name": "menu", "inferResult": "SUCCESS", "message": "SUCCESS", "fields": fields}]}


@pytest.fixture
def clova():
    with FakeProvider(default=ok(clova_answer(["오늘의 메뉴", "김치찌개 ........ 9,000원", "치즈떡볶이 8000",
                                                "마라탕 ₩12,000", "영업시간 11:00-21:00"]))) as fake:
        yield fake


def upload(client, auth, data: bytes, name="menu.jpg", field="file"):
    return client.post(URL, data={field: (io.BytesIO(data), name)}, headers=auth, content_type="multipart/form-data")


def test_the_line_parser_keeps_menu_names():
    text = "오늘의 메뉴\n김치찌개 ..... 9,000원\n치즈 떡볶이 8000\nOPEN 11:00\n마라탕 ₩12,000\n김치찌개 9000"
    assert parse_lines(text) == ["오늘의 메뉴", "김치찌개", "치즈 떡볶이", "마라탕"]


def test_recognize_through_clova(database_url, tmp_path, db, clova, make_user):
    load_catalog(db)
    _, auth = make_user()
    app = make_app(database_url, tmp_path, CLOVA_OCR_BASE_URL=clova.url, CLOVA_OCR_API_KEY="ocr-secret")
    response = upload(app.test_client(), auth, jpeg((800, 600)))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["image_info"] == {"format": "JPEG", "width": 800, "height": 600, "size_bytes": len(jpeg((800, 600)))}
    assert body["ocr"]["engine"] == "clova" and body["parser"] == "builtin" and body["job"] is None
    by_text = {i["text"]: i["result"] for i in body["menu_items"]}
    assert by_text["김치찌개"]["match"] == "exact" and by_text["치즈떡볶이"]["match"] == "modifier"
    assert by_text["마라탕"] == {**by_text["마라탕"], "match": "none", "reason": "ai_unavailable"}
    sent = clova.requests[0]
    assert sent.path == "/general" and sent.headers["X-OCR-SECRET"] == "ocr-secret"
    payload = json.loads(sent.body)
    assert payload["version"] == "V2" and payload["lang"] == "ko" and payload["images"][0]["format"] == "jpg"
    assert Image.open(io.BytesIO(base64.b64decode(payload["images"][0]["data"]))).size == (800, 600)


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"GIF89a" + b"\x00" * 100, 415, "unsupported_image_type"),
    (b"%PDF-1.4 not an image", 415, "unsupported_image_type"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 200, 400, "invalid_image"),
    (jpeg()[:300], 400, "invalid_image"),
    (b"", 400, "invalid_image"),
])
def test_bad_images_are_refused_before_ocr(database_url, tmp_path, clova, make_user, data, status, code):
    _, auth = make_user()
    app = make_app(database_url, tmp_path, CLOVA_OCR_BASE_URL=clova.url, CLOVA_OCR_API_KEY="k")
    response = upload(app.test_client(), auth, data)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert clova.requests == []


def test_a_pixel_bomb_is_refused_before_decoding(client, make_user):
    _, auth = make_user()
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in a few kB
    response = upload(client, auth, out.getvalue(), "bomb.png")
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "image_too_many_pixels"


def test_missing_file_wrong_field_and_sign_in(client, make_user):
    _, auth = make_user()
    assert upload(client, auth, jpeg(), field="photo").get_json()["error"]["code"] == "missing_file"
    assert upload(client, {}, jpeg()).status_code == 401


def test_a_file_over_10_mb_is_413(client, make_user):
    _, auth = make_user()
    response = upload(client, auth, b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10))
    assert response.status_code == 413


def test_without_any_ocr_a_valid_image_is_503(database_url, tmp_path, make_user):
    _, auth = make_user()
    app = make_app(database_url, tmp_path, MENU_OCR="none")
    response = upload(app.test_client(), auth, jpeg())
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "ocr_unavailable"
    assert upload(app.test_client(), auth, b"junk").status_code == 415  # validation still comes first


def test_items_needing_the_ai_go_to_a_job_when_time_is_short(database_url, tmp_path, db, clova, make_user):
    load_catalog(db)
    _, auth = make_user()
    from tests.menu.conftest import MARATANG

    with FakeProvider(default=ok(completion(MARATANG))) as llm:
        app = make_app(database_url, tmp_path, CLOVA_OCR_BASE_URL=clova.url, CLOVA_OCR_API_KEY="k",
                       OPENAI_BASE_URL=f"{llm.url}/v1", OPENAI_API_KEY="sk", MENU_RECOGNIZE_DEADLINE=5,
                       MENU_FLIGHT_DIR=str(tmp_path / "f"))
        response = upload(app.test_client(), auth, jpeg())
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    pending = [i["text"] for i in body["menu_items"] if i["status"] == "pending"]
    assert "마라탕" in pending and body["job"]["kind"] == "menu.identify_items"
    assert response.headers["Location"] == body["job"]["status_url"]
    done = {i["text"]: i for i in body["menu_items"] if i["status"] == "done"}
    assert done["김치찌개"]["result"]["match"] == "exact"
    # The job (run inline in tests) identified the rest through the AI stage.
    job = app.test_client().get(f"/api/v1/jobs/{body['job']['id']}", headers=auth).get_json()
    assert job["status"] == "succeeded"
    assert {i["text"]: i["result"]["match"] for i in job["result"]["menu_items"]}["마라탕"] == "ai"


@pytest.mark.skipif(not tesseract_available(), reason="tesseract-ocr with the kor model is not installed")
@pytest.mark.skipif(KOREAN_FONT is None, reason="no Korean font (fonts-nanum) to draw a test menu")
def test_the_embedded_tesseract_reads_a_menu_and_removes_its_file(client, db, make_user):
    load_catalog(db)
    _, auth = make_user()
    image = Image.new("RGB", (900, 400), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(KOREAN_FONT, 56)
    for n, line in enumerate(["김치찌개 9000", "비빔밥 10000", "불고기 15000"]):
        draw.text((40, 30 + n * 110), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "menu-ocr-*")))
    response = upload(client, auth, out.getvalue(), "menu.png")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["ocr"]["engine"] == "tesseract" and body["image_info"]["format"] == "PNG"
    matched = {i["result"]["dish"]["name_ko"] for i in body["menu_items"] if i["result"]["match"] == "exact"}
    assert {"김치찌개", "비빔밥", "불고기"} <= matched
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "menu-ocr-*"))) == before

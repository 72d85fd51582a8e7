"""Translate through a loopback fake Papago: the real request shape, caching, retries, breaker, garbage, no keys."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest

from backend.integrations.fakes import FakeProvider, garbage, ok, slow, status
from tests.conftest import make_app

URL = "/api/v1/menu/translate"


def papago_answer(text: str) -> dict:
    return {"message": {"@type": "response", "@service": "naverservice.nmt.proxy", "@version": "1.0.0",
                        "result": {"srcLangType": "ko", "tarLangType": "en", "translatedText": text}}}


@pytest.fixture
def papago():
    with FakeProvider(default=ok(papago_answer("Kimchi stew, please"))) as fake:
        yield fake


@pytest.fixture
def papago_app(database_url, tmp_path, papago):
    def make(**config):
        return make_app(database_url, tmp_path, PAPAGO_BASE_URL=papago.url, PAPAGO_API_KEY_ID="key-id",
                        PAPAGO_API_KEY="key-secret", **config)
    return make


def test_unconfigured_says_translation_unavailable(client):
    response = client.post(URL, json={"text": "김치찌개 주세요", "source": "ko", "target": "en"})
    assert response.status_code == 200
    assert response.get_json() == {"text": "김치찌개 주세요", "translated_text": None, "source": "ko", "target": "en",
                                   "provider": None, "reason": "translation_unavailable", "cached": False}


def test_unconfigured_translates_known_menu_names_from_the_catalog(client, db):
    from tests.menu.conftest import load_catalog

    load_catalog(db)
    body = client.post(URL, json={"text": "치즈 떡볶이", "source": "ko", "target": "zh"}).get_json()
    assert body["translated_text"] == "芝士辣炒年糕" and body["provider"] == "catalog" and body["reason"] is None
    japanese = client.post(URL, json={"text": "냉면", "source": "ko", "target": "ja"}).get_json()
    assert japanese["translated_text"] == "冷麺"
    other = client.post(URL, json={"text": "냉면", "source": "en", "target": "ja"}).get_json()
    assert other["translated_text"] is None and other["reason"] == "translation_unavailable"


def test_translates_with_papago_request_shape_and_caches(papago_app, papago):
    client = papago_app().test_client()
    body = {"text": "김치찌개 주세요", "source": "ko", "target": "en"}
    first = client.post(URL, json=body)
    assert first.status_code == 200
    assert first.get_json() == {"text": "김치찌개 주세요", "translated_text": "Kimchi stew, please", "source": "ko",
                                "target": "en", "provider": "papago", "reason": None, "cached": False}
    sent = papago.requests[0]
    assert sent.method == "POST" and sent.path == "/translation"
    assert sent.headers["X-NCP-APIGW-API-KEY-ID"] == "key-id" and sent.headers["X-NCP-APIGW-API-KEY"] == "key-secret"
    assert sent.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(sent.body.decode()) == {"source": ["ko"], "target": ["en"], "text": ["김치찌개 주세요"]}
    assert client.post(URL, json=body).get_json()["cached"] is True
    client.post(URL, json={**body, "target": "zh"})  # another key: another call, zh sent as zh-CN
    assert len(papago.requests) == 2 and parse_qs(papago.requests[1].body.decode())["target"] == ["zh-CN"]


def test_three_attempts_waiting_1_then_2_seconds_then_502(papago_app, papago):
    papago.default = status(500)
    client = papago_app().test_client()
    response = client.post(URL, json={"text": "냉면", "source": "ko", "target": "ja"})
    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "provider_http_error" and error["details"] == {"provider": "papago", "upstream_status": 500}
    times = [r.at for r in papago.requests]
    assert len(times) == 3
    assert 1.0 <= times[1] - times[0] < 2.5 and 2.0 <= times[2] - times[1] < 3.5


def test_a_4xx_is_not_retried(papago_app, papago):
    papago.default = status(400, body=b'{"errorMessage": "Invalid source", "errorCode": "N2MT02"}')
    response = papago_app().test_client().post(URL, json={"text": "냉면", "source": "ko", "target": "ja"})
    assert response.status_code == 502 and len(papago.requests) == 1


def test_garbage_is_refused_and_not_cached(papago_app, papago):
    client = papago_app(PAPAGO_ATTEMPTS=1).test_client()
    body = {"text": "비빔밥", "source": "ko", "target": "en"}
    for bad in (garbage(), ok({"message": {"result": {}}}), ok({"translated": "x"})):
        papago.default = bad
        response = client.post(URL, json=body)
        assert response.status_code == 502 and response.get_json()["error"]["code"] == "provider_bad_response"
    papago.default = ok(papago_answer("Bibimbap"))
    assert client.post(URL, json=body).get_json()["cached"] is False
    assert client.post(URL, json=body).get_json()["cached"] is True
    assert len(papago.requests) == 4  # three refused answers, then one good one, cached


def test_timeout_is_a_504(papago_app, papago):
    papago.default = slow(3, papago_answer("late"))
    client = papago_app(PAPAGO_READ_TIMEOUT=0.3, PAPAGO_ATTEMPTS=1).test_client()
    started = time.monotonic()
    response = client.post(URL, json={"text": "라면", "source": "ko", "target": "en"})
    assert response.status_code == 504 and time.monotonic() - started < 2.5


def test_the_breaker_opens_and_translate_answers_fast(papago_app, papago):
    papago.default = status(503)
    client = papago_app(PAPAGO_ATTEMPTS=1, PAPAGO_BREAKER_FAILURES=2).test_client()
    for i in range(2):
        assert client.post(URL, json={"text": f"메뉴 {i}", "source": "ko", "target": "en"}).status_code == 502
    started = time.monotonic()
    response = client.post(URL, json={"text": "메뉴 9", "source": "ko", "target": "en"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "provider_unavailable"
    assert time.monotonic() - started < 0.5 and len(papago.requests) == 2


@pytest.mark.parametrize("body", [
    {"text": "김치", "source": "ko", "target": "ko"}, {"text": "", "source": "ko", "target": "en"},
    {"text": "김치", "source": "xx", "target": "en"}, {"text": "a" * 5001}, {"text": None},
    {"text": "김\x00치"}, {"text": "김치", "extra": True},
])
def test_bad_bodies_are_422(client, body):
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.get_json()
    assert json.dumps(response.get_json()["error"]["details"])

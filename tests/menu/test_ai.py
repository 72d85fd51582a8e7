"""AI discovery against a loopback fake OpenAI server: stored answers, single-flight, retries, breaker, garbage."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.integrations.fakes import garbage, slow, status
from backend.menu.models import MenuDiscovery
from tests.menu.conftest import MARATANG, completion, identify, load_catalog


def answer(content) -> dict:
    return {"status": 200, "body": json.dumps(completion(content)).encode()}


def discoveries(db) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(MenuDiscovery)).scalar_one()


def test_unknown_name_is_discovered_once_then_remembered(llm_app, llm, db):
    load_catalog(db)
    client = llm_app().test_client()
    body = identify(client, "마라탕").get_json()
    assert body["match"] == "ai" and body["cached"] is False and body["confidence"] == 0.9
    assert body["dish"]["names"]["zh"] == "麻辣烫" and body["dish"]["spice_level"] == 3
    assert body["dish"]["explanations"]["ja"]["short"].startswith("好きな具材")
    sent = json.loads(llm.requests[0].body)
    assert sent["model"] == "fake-menu-model" and sent["response_format"] == {"type": "json_object"}
    assert "Korean cuisine" in sent["messages"][0]["content"] and sent["messages"][1]["content"] == '"마라탕"'
    assert llm.requests[0].headers["Authorization"] == "Bearer sk-test"
    assert identify(client, "마라탕").get_json()["cached"] is True
    # Another worker (its own result cache) finds the stored answer: no second provider call.
    other = llm_app().test_client()
    again = identify(other, "마라 탕").get_json()
    assert again["match"] == "ai" and again["dish"] == body["dish"]
    assert len(llm.requests) == 1 and discoveries(db) == 1


def test_known_names_never_reach_the_model(llm_app, llm, db):
    load_catalog(db)
    client = llm_app().test_client()
    assert identify(client, "된장찌개").get_json()["match"] == "exact"
    assert identify(client, "해물된장찌개").get_json()["match"] == "modifier"
    assert llm.requests == []


def test_not_a_dish_is_an_answer_too(llm_app, llm, db):
    llm.default = answer({"is_korean_dish": False})
    client = llm_app().test_client()
    body = identify(client, "주차장 안내").get_json()
    assert body["match"] == "none" and body["reason"] == "not_a_dish" and body["dish"] is None
    assert identify(llm_app().test_client(), "주차장안내").get_json()["reason"] == "not_a_dish"
    assert len(llm.requests) == 1


@pytest.mark.parametrize("bad", [
    garbage(),  # the body is not JSON
    answer("Malatang is a spicy soup."),  # the content is not JSON
    answer({**MARATANG, "names": {"en": "Malatang"}}),  # ja/zh missing
    answer({**MARATANG, "spice_level": 9}),
    answer({**MARATANG, "category": "snack food"}),
    answer({**MARATANG, "allergens": ["gluten"]}),
    answer({**MARATANG, "short": {"en": "x" * 401, "ja": "a", "zh": "b"}}),
    {"status": 200, "body": b'{"choices": []}'},
])
def test_garbage_is_refused_and_not_stored(llm_app, llm, db, bad):
    llm.default = bad
    client = llm_app().test_client()
    response = identify(client, "마라탕")
    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "provider_bad_response" and error["details"]["provider"] == "menu_llm"
    assert discoveries(db) == 0
    llm.default = answer(MARATANG)  # the next call asks again: nothing bad was cached
    assert identify(client, "마라탕").get_json()["match"] == "ai"


def test_three_attempts_waiting_2_then_4_seconds_then_502(llm_app, llm, db):
    llm.default = status(503)
    client = llm_app(OPENAI_BACKOFF=None).test_client()  # the provider's own policy: 3 attempts from 2 s
    started = time.monotonic()
    response = identify(client, "마라탕")
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "provider_http_error"
    assert response.get_json()["error"]["details"]["upstream_status"] == 503
    times = [r.at for r in llm.requests]
    assert len(times) == 3
    assert 2.0 <= times[1] - times[0] < 3.5 and 4.0 <= times[2] - times[1] < 5.5
    assert time.monotonic() - started < 20  # the provider's deadline
    assert discoveries(db) == 0


def test_a_slow_model_is_a_504_within_the_deadline(llm_app, llm, db):
    llm.default = slow(3, completion(MARATANG))
    client = llm_app(OPENAI_READ_TIMEOUT=0.3, OPENAI_ATTEMPTS=1).test_client()
    started = time.monotonic()
    response = identify(client, "마라탕")
    assert response.status_code == 504 and response.get_json()["error"]["code"] == "provider_timeout"
    assert time.monotonic() - started < 2.5


def test_the_breaker_opens_and_identify_answers_fast(llm_app, llm, db):
    llm.default = status(500)
    client = llm_app(OPENAI_ATTEMPTS=1, OPENAI_BREAKER_FAILURES=2, OPENAI_BREAKER_RESET=60,
                     MENU_AI_FAILURE_TTL=0).test_client()
    assert [identify(client, f"없는메뉴{i}").status_code for i in range(2)] == [502, 502]
    calls = len(llm.requests)
    started = time.monotonic()
    response = identify(client, "없는메뉴9")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "provider_unavailable"
    assert time.monotonic() - started < 0.5 and len(llm.requests) == calls
    # Known dishes do not need the model: they still answer while it is open.
    load_catalog(db)
    assert identify(client, "갈비탕").get_json()["match"] == "exact"


def test_concurrent_identifies_of_one_name_make_one_call(llm_app, llm, db):
    llm.default = slow(0.5, completion(MARATANG))
    app = llm_app(MENU_AI_WAIT=20)  # waiters wait for the holder's answer

    def one(_):
        return identify(app.test_client(), "마라탕").get_json()["match"]

    with ThreadPoolExecutor(20) as pool:
        matches = list(pool.map(one, range(20)))
    assert matches == ["ai"] * 20
    assert len(llm.requests) == 1


def test_waiters_share_a_failure_instead_of_calling_again(llm_app, llm, db):
    # Slow enough that all ten have arrived before it fails (a request arriving after the failure
    # calls again, by design: failures are not cached).
    llm.default = {**status(500), "delay": 2.0}
    app = llm_app(OPENAI_ATTEMPTS=1, MENU_AI_WAIT=20)

    def one(_):
        return identify(app.test_client(), "마라탕").status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(one, range(10)))
    assert codes == [502] * 10
    assert len(llm.requests) == 1


def test_by_default_others_get_202_pending_instead_of_holding_a_worker(llm_app, llm, db):
    llm.default = slow(0.8, completion(MARATANG))
    app = llm_app()  # MENU_AI_WAIT=0

    def one(_):
        response = identify(app.test_client(), "마라탕")
        return response.status_code, response.get_json()["reason"], response.headers.get("Retry-After")

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(one, range(10)))
    assert (200, None, None) in answers
    pending = [a for a in answers if a[0] == 202]
    assert pending and all(a == (202, "ai_pending", "1") for a in pending)
    assert len(llm.requests) == 1
    assert identify(app.test_client(), "마라탕").get_json()["match"] == "ai" and len(llm.requests) == 1
    assert time.monotonic() - started < 5


def test_pending_with_the_redis_lock_never_falls_back_to_a_second_call(llm_app, llm, db, redis_url):
    import uuid

    llm.default = slow(0.8, completion(MARATANG))
    app = llm_app(REDIS_URL=redis_url, CACHE_KEY_PREFIX=f"menuflight-{uuid.uuid4().hex[:8]}:")

    def one(_):
        return identify(app.test_client(), "마라탕").status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(one, range(10)))
    assert 200 in codes and set(codes) <= {200, 202}
    assert len(llm.requests) == 1

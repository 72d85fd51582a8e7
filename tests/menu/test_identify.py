"""Identify: exact, modifier composition, no-LLM answer, normalisation, hostile input, batched logging."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.menu.models import ScanLog
from backend.menu.scanlog import scan_log
from tests.conftest import make_app, statements
from tests.menu.conftest import identify, load_catalog


@pytest.fixture
def catalog(db):
    load_catalog(db)
    return db


def test_exact_match_explains_in_every_language(client, catalog):
    response = identify(client, "김치찌개")
    assert response.status_code == 200
    body = response.get_json()
    assert body["match"] == "exact" and body["reason"] is None and body["cached"] is False
    dish = body["dish"]
    assert dish["name_ko"] == "김치찌개" and dish["romanization"] == "Kimchi-jjigae" and dish["id"] > 0
    assert dish["names"] == {"en": "Kimchi Stew", "ja": "キムチチゲ", "zh": "泡菜汤"}
    for lang in ("en", "ja", "zh"):
        assert dish["explanations"][lang]["short"] and dish["explanations"][lang]["long"]
    assert dish["spice_level"] == 2 and "pork" in dish["allergens"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("spelling", ["김치 찌개", "  김치찌개  ", "김치\u200b찌개", "김치\t\n찌개", "\ufeff김치찌개"])
def test_names_are_normalised_before_matching(client, catalog, spelling):
    body = identify(client, spelling).get_json()
    assert body["match"] == "exact" and body["name_key"] == "김치찌개"


def test_nfkc_folds_compatibility_forms(client, catalog):
    # Hangul compatibility jamo typed as conjoining jamo (NFD-like input) compose under NFKC.
    decomposed = "\u1100\u1175\u11b7\u110e\u1175\u110d\u1175\u1100\u1162"  # 김치찌개 in conjoining jamo
    body = identify(client, decomposed).get_json()
    assert body["match"] == "exact" and body["dish"]["name_ko"] == "김치찌개"


def test_modifier_prefix_composes_names_allergens_and_spice(client, catalog):
    body = identify(client, "치즈떡볶이").get_json()
    assert body["match"] == "modifier"
    assert body["base"]["name_ko"] == "떡볶이" and [m["name_ko"] for m in body["modifiers"]] == ["치즈"]
    dish = body["dish"]
    assert dish["id"] is None and dish["name_ko"] == "치즈떡볶이"
    assert dish["names"] == {"en": "Cheese Stir-fried Rice Cakes", "ja": "チーズトッポッキ", "zh": "芝士辣炒年糕"}
    assert "milk" in dish["allergens"]  # cheese adds milk to the base's allergens
    assert "Also contains: milk." in dish["explanations"]["en"]["long"]
    assert dish["romanization"] == "Chijeu-tteok-bokki"


def test_several_modifiers_and_a_suffix(client, catalog):
    body = identify(client, "매운 돼지 김치찌개 곱빼기").get_json()
    assert body["match"] == "modifier" and body["base"]["name_ko"] == "김치찌개"
    assert [m["name_ko"] for m in body["modifiers"]] == ["매운", "돼지", "곱빼기"]
    assert body["dish"]["names"]["en"] == "Spicy Pork Kimchi Stew (double portion)"
    assert body["dish"]["names"]["ja"] == "辛口豚肉キムチチゲ（大盛り）"
    assert body["dish"]["spice_level"] == 3  # 2 + 1, capped at 3


def test_the_longest_known_base_wins(client, catalog):
    # 왕새우튀김 could be 왕 + 새우튀김 or 왕 + 새우 + 튀김; only 튀김 is a dish, so two modifiers.
    body = identify(client, "왕새우튀김").get_json()
    assert body["base"]["name_ko"] == "튀김" and [m["name_ko"] for m in body["modifiers"]] == ["왕", "새우"]
    # 불고기 is a dish of its own: exact beats 불 (fire) + 고기.
    assert identify(client, "불고기").get_json()["match"] == "exact"


def test_unknown_name_without_llm_says_ai_unavailable(client, catalog):
    for _ in range(2):
        response = identify(client, "마라탕")
        assert response.status_code == 200
        body = response.get_json()
        assert body == {**body, "match": "none", "reason": "ai_unavailable", "dish": None, "cached": False}


def test_known_dish_is_cached_after_the_first_call(client, catalog, backend):
    first = identify(client, "비빔밥")
    second = identify(client, "비빔밥")
    assert first.get_json()["cached"] is False and second.get_json()["cached"] is True
    assert statements(first) == 1 + (backend == "sqlite")  # the exact stage: one indexed statement (+ BEGIN)
    assert statements(second) == 0


def test_modifier_stage_costs_constant_statements(client, catalog, backend):
    # exact miss + one IN probe for every candidate base (+ the modifier list, loaded once per generation)
    identify(client, "치즈김밥")
    begin = backend == "sqlite"
    assert statements(identify(client, "해물칼국수")) == 2 + begin
    assert statements(identify(client, "왕치즈돈까스세트")) == 2 + begin
    assert statements(identify(client, "치즈마라탕")) == 3 + begin  # + the remembered-AI probe


def test_identify_needs_no_account_and_refuses_bad_bodies(client, catalog):
    url = "/api/v1/menu/identify"
    assert client.post(url, json={"menu_name": "   "}).status_code == 422
    assert client.post(url, json={"menu_name": "\u200b\u200b"}).status_code == 422
    assert client.post(url, json={"menu_name": "가" * 201}).status_code == 422
    assert client.post(url, json={"menu_name": "가 " * 101}).status_code == 422  # 101 once spaces go
    assert client.post(url, json={"menu_name": "김치\x00찌개"}).status_code == 422
    assert client.post(url, json={"menu_name": None}).status_code == 422
    assert client.post(url, json={"menu_name": "김치찌개", "extra": 1}).status_code == 422
    assert client.post(url, data="menu_name=x", content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.post(url, data="{", content_type="application/json").status_code == 400
    body = client.post(url, json={"menu_name": "   "}).get_json()
    assert set(body["error"]) == {"code", "message", "details"} and "menu_name" in body["error"]["details"]["fields"]


def test_identify_calls_are_logged_in_batches(database_url, tmp_path, db):
    load_catalog(db)
    app = make_app(database_url, tmp_path, MENU_LOG_BATCH=5, MENU_LOG_FLUSH_SECONDS=3600)
    client = app.test_client()
    count = select(func.count()).select_from(ScanLog)
    for name in ["김치찌개", "치즈떡볶이", "마라탕", "김치찌개"]:
        response = identify(client, name)
        assert "INSERT" not in response.headers.get("Server-Timing", "")
    assert db.session.execute(count).scalar_one() == 0  # buffered, not a write per request
    db.session.rollback()  # end the read snapshot (SQLite WAL would keep showing it)
    identify(client, "냉면")  # the fifth row fills the batch: one INSERT of five rows
    rows = db.session.execute(select(ScanLog.menu_name, ScanLog.match_type, ScanLog.source, ScanLog.status,
                                     ScanLog.canonical_menu_id).order_by(ScanLog.id)).all()
    assert [(r.menu_name, r.match_type) for r in rows] == [
        ("김치찌개", "exact"), ("치즈떡볶이", "modifier"), ("마라탕", "none"), ("김치찌개", "exact"), ("냉면", "exact")]
    assert all(r.source == "identify" and r.status is None for r in rows)
    assert rows[0].canonical_menu_id and rows[1].canonical_menu_id and rows[2].canonical_menu_id is None
    identify(client, "라면")
    with app.app_context():
        assert scan_log().pending() == 1
        assert scan_log().flush() == 1
    db.session.rollback()
    assert db.session.execute(count).scalar_one() == 6

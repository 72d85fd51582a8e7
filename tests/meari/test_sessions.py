"""Meari sessions through the API with the builtin composer: 202, status, detail, list, ownership, input."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from backend.meari.models import MeariCard
from tests.conftest import statements
from tests.meari.conftest import CONCERN, events_of, start


def test_post_answers_202_with_location_and_where_to_follow(client, make_user):
    _, auth = make_user()
    response = start(client, auth)
    assert response.status_code == 202
    body = response.get_json()
    sid = body["session_id"]
    assert body["status"] == "processing" and len(body["job_id"]) == 36
    assert response.headers["Location"] == f"/api/v1/meari/sessions/{sid}"
    assert body["status_url"] == f"/api/v1/meari/sessions/{sid}/status"
    assert f"/api/v1/events/jobs/{body['job_id']}?token=" in body["stream_url"]
    assert response.headers["Cache-Control"] == "no-store"  # the stream URL carries a token
    # JOBS_IMMEDIATE: the job ran inside the POST, so the session is ready and the endpoints agree.
    status = client.get(body["status_url"], headers=auth).get_json()
    assert status == {"status": "ready", "progress": 100, "job_status": "succeeded", "error": None}
    assert client.get(response.headers["Location"], headers=auth).get_json()["status"] == "ready"


def test_builtin_composer_builds_a_useful_session_and_says_so(app, client, make_user):
    _, auth = make_user()
    body = start(client, auth).get_json()
    session = client.get(f"/api/v1/meari/sessions/{body['session_id']}", headers=auth).get_json()
    assert session["generator"] == "builtin" and session["language"] == "en" and session["concern"] == CONCERN
    persona = session["persona"]
    assert set(persona) == {"name", "tone", "summary"} and persona["tone"] == "steady and practical"  # work theme
    assert "boss keeps adding work" in persona["summary"]
    assert [c["kind"] for c in session["cards"]] == ["reflection", "action", "question", "resource"]
    assert all(c["title"] and c["body"] for c in session["cards"])
    assert session["external"] == {"status": "skipped", "reason": "MEARI_CONTEXT_BASE_URL is not set"}
    assert set(session["timings"]) == {"persona", "external", "cards", "total"}
    assert all(v >= 0 for v in session["timings"].values())
    events = events_of(app, body["job_id"])
    assert [t for t, _ in events] == ["starting", "progress", "persona_created", "cards_created", "completed"]
    assert events[2][1] == persona and events[3][1] == session["cards"]
    result = events[-1][1]
    assert result["generator"] == "builtin" and "model" not in result and result["session_id"] == body["session_id"]
    assert result["session_url"] == f"/api/v1/meari/sessions/{body['session_id']}" and result["external"] == "skipped"
    again = start(client, auth).get_json()  # deterministic: the same input, the same session
    second = client.get(f"/api/v1/meari/sessions/{again['session_id']}", headers=auth).get_json()
    assert (second["persona"], second["cards"]) == (persona, session["cards"])


def test_korean_input_gets_korean_texts_and_other_languages_are_noted(client, make_user):
    _, auth = make_user()
    ko = start(client, auth, "시험 공부가 너무 힘들어요", language="KO").get_json()
    session = client.get(f"/api/v1/meari/sessions/{ko['session_id']}", headers=auth).get_json()
    assert session["language"] == "ko" and session["persona"]["tone"] == "격려하고 체계적인"
    assert session["cards"][2]["title"] == "당신에게 묻는 질문"
    fr = start(client, auth, "Je suis fatigué", language="fr-CA").get_json()
    persona = client.get(f"/api/v1/meari/sessions/{fr['session_id']}", headers=auth).get_json()["persona"]
    assert "no builtin texts for 'fr-CA'" in persona["summary"]


def test_only_the_owner_sees_a_session(client, make_user):
    _, owner = make_user()
    _, other = make_user()
    _, admin = make_user("admin")
    sid = start(client, owner).get_json()["session_id"]
    for auth in (other, admin):
        for url in (f"/api/v1/meari/sessions/{sid}", f"/api/v1/meari/sessions/{sid}/status"):
            response = client.get(url, headers=auth)
            assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
        assert client.get("/api/v1/meari/sessions", headers=auth).get_json()["total"] == 0
    client.get(f"/api/v1/meari/sessions/{sid}", headers=owner)  # now cached: the cache checks the owner too
    assert client.get(f"/api/v1/meari/sessions/{sid}", headers=other).status_code == 404
    assert client.get("/api/v1/meari/sessions/999999", headers=owner).status_code == 404
    assert client.get(f"/api/v1/meari/sessions/{sid}").status_code == 401


def test_list_is_mine_newest_first_in_cursor_pages(client, make_user):
    _, auth = make_user()
    _, other = make_user()
    start(client, other)
    ids = [start(client, auth, f"concern number {n}").get_json()["session_id"] for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"per_page": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/meari/sessions", query_string=query, headers=auth).get_json()
        pages += 1
        assert page["total"] == 5 and page["per_page"] == 2 and len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == list(reversed(ids))
    item = page["items"][0]
    assert item["concern"] == "concern number 0" and item["status"] == "ready" and item["persona_name"]
    bad = client.get("/api/v1/meari/sessions?cursor=bm9wZQ", headers=auth)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["error"]["details"]["fields"]


def test_detail_costs_the_same_statements_whatever_the_cards_and_a_repeat_read_costs_less(client, db, make_user):
    _, auth = make_user()
    small = start(client, auth).get_json()["session_id"]
    large = start(client, auth, "another concern").get_json()["session_id"]
    db.session.execute(insert(MeariCard), [{"session_id": large, "position": 10 + i, "kind": "action",
                                            "title": f"Extra {i}", "body": "More."} for i in range(20)])
    db.session.commit()
    one = client.get(f"/api/v1/meari/sessions/{small}", headers=auth)
    many = client.get(f"/api/v1/meari/sessions/{large}", headers=auth)
    assert len(many.get_json()["cards"]) == 24 and len(one.get_json()["cards"]) == 4
    assert statements(one) == statements(many)
    repeat = client.get(f"/api/v1/meari/sessions/{large}", headers=auth)
    assert repeat.get_json() == many.get_json() and statements(repeat) == statements(many) - 2  # cache hit
    count = db.session.execute(select(MeariCard.id).where(MeariCard.session_id == large)).all()
    assert len(count) == 24


@pytest.mark.parametrize(("body", "field"), [
    ({"concern": ""}, "concern"),
    ({"concern": "   "}, "concern"),
    ({"concern": "x" * 2001}, "concern"),
    ({"concern": "a\x00b"}, "concern"),
    ({"concern": "fine", "mood": "sad"}, "mood"),
    ({"concern": "fine", "language": "english please"}, "language"),
    ({"concern": "fine", "language": "e"}, "language"),
    ({"concern": 7}, "concern"),
    ({}, "concern"),
])
def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(client, make_user, body, field):
    _, auth = make_user()
    response = client.post("/api/v1/meari/sessions", json=body, headers=auth)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    assert client.get("/api/v1/meari/sessions", headers=auth).get_json()["total"] == 0


def test_longest_concern_and_unauthenticated_post(client, make_user):
    _, auth = make_user()
    assert start(client, auth, "y" * 2000).status_code == 202
    assert client.post("/api/v1/meari/sessions", json={"concern": "x"}).status_code == 401


def test_the_seed_gives_the_demo_user_a_ready_session(app, client):
    from backend.auth import services as auth
    from backend.auth.seed import DEMO_USERS
    from backend.extensions import db as app_db
    from backend.seeding import seed

    with app.app_context():
        seed("small")
        demo = next(i for i, user in enumerate(DEMO_USERS, start=1) if user[3] == "user")
        token = auth.issue_token(demo)["token"]
        app_db.session.remove()
    page = client.get("/api/v1/meari/sessions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert page["total"] == 1 and page["items"][0]["status"] == "ready"
    session = client.get(f"/api/v1/meari/sessions/{page['items'][0]['id']}",
                         headers={"Authorization": f"Bearer {token}"}).get_json()
    assert session["generator"] == "builtin" and len(session["cards"]) == 4


def test_a_retried_post_with_an_idempotency_key_starts_one_session(client, make_user):
    _, auth = make_user()
    keyed = {**auth, "Idempotency-Key": "meari-retry-1"}
    first = start(client, keyed)
    again = start(client, keyed)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["session_id"] == first.get_json()["session_id"]
    assert client.get("/api/v1/meari/sessions", headers=auth).get_json()["total"] == 1

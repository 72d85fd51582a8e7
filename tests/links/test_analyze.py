"""Analysing links end to end: fake platform and fake Gemini over loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from backend.extensions import db
from backend.integrations.urlnorm import url_hash
from backend.links.models import LinkAnalysis, LinkCost, LinkMedium

ANALYZE = "/api/v1/links/analyze"


def post(client, url, auth, path=ANALYZE, **extra):
    return client.post(path, json={"url": url, **extra}, headers=auth)


def count(app, model) -> int:
    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        db.session.remove()
        return n


def test_a_link_is_fetched_extracted_and_analysed(links_app, platform, gemini, make_user):
    app = links_app()
    _, auth = make_user()
    response = post(app.test_client(), platform.url(1), auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["url_hash"] == url_hash(platform.url(1)) and body["cached"] is False
    assert body["platform"] == "generic"
    assert body["metadata"]["title"] == "Bibimbap night #1" and body["metadata"]["author"] == "Chef Kim"
    assert [m["url"] for m in body["media"]] == [f"{platform.base}/media/1-0.png", f"{platform.base}/media/1-1.png"]
    assert all(m["mime_type"] == "image/png" and len(m["content_hash"]) == 64 for m in body["media"])
    assert body["ai"] == "done" and body["ai_model"] == "gemini-2.0-flash-001"
    assert [m["content_hash"] for m in body["ai_analysis"]["media"]] == [m["content_hash"] for m in body["media"]]
    assert body["ai_analysis"]["labels"] == ["food", "korean"]
    assert gemini.calls == 1 and gemini.batch_sizes == [2]  # both media in one call
    assert count(app, LinkCost) == 1 and count(app, LinkMedium) == 2


def test_a_second_request_within_the_ttl_neither_fetches_nor_calls_the_model(links_app, platform, gemini,
                                                                             make_user):
    app = links_app()
    client = app.test_client()
    _, auth = make_user()
    first = post(client, platform.url(7), auth).get_json()
    served, calls = dict(platform.hits), gemini.calls
    again = post(client, platform.url(7) + "?utm_source=newsletter#comments", auth)  # same normalised URL
    assert again.status_code == 200
    assert again.get_json()["cached"] is True and again.get_json()["ai_analysis"] == first["ai_analysis"]
    assert dict(platform.hits) == served and gemini.calls == calls
    stored = client.get(f"/api/v1/links/{first['url_hash']}", headers=auth)
    assert stored.status_code == 200 and stored.get_json()["metadata"] == first["metadata"]
    stats = client.get("/api/v1/links/cache/stats", headers=auth).get_json()
    assert stats == {"hits": 1, "misses": 1, "rate": 0.5, "size": 1, "calls_saved": 2}


def test_identical_media_behind_two_urls_are_analysed_once(links_app, platform, gemini, make_user):
    app = links_app()
    client = app.test_client()
    _, auth = make_user()
    platform.posts.update({"a": ["shared-1", "shared-2"], "b": ["shared-2", "shared-1"]})
    first = post(client, platform.url("a"), auth).get_json()
    second = post(client, platform.url("b"), auth).get_json()
    assert gemini.calls == 1 and gemini.media_sent == 2
    assert second["ai"] == "done" and second["ai_analysis"]["calls"] == 0
    assert {m["content_hash"] for m in second["ai_analysis"]["media"]} == {
        m["content_hash"] for m in first["ai_analysis"]["media"]}
    _, admin = make_user("admin")
    costs = client.get("/api/v1/admin/links/costs", headers=admin).get_json()
    assert costs["calls"] == 1 and costs["saved"]["dedupe"] == 2 and costs["baseline_calls"] == 4


def test_media_go_to_the_model_in_batches(links_app, platform, gemini, make_user):
    app = links_app(LINKS_AI_BATCH=2, LINKS_MEDIA_MAX=10)
    _, auth = make_user()
    platform.media_per_post = 5
    body = post(app.test_client(), platform.url(3), auth).get_json()
    assert len(body["media"]) == 5 and len(body["ai_analysis"]["media"]) == 5
    assert gemini.calls == 3 and sorted(gemini.batch_sizes) == [1, 2, 2]  # ceil(5 / 2)
    _, admin = make_user("admin")
    costs = app.test_client().get("/api/v1/admin/links/costs", headers=admin).get_json()
    assert costs["calls"] == 3 and costs["saved"]["batching"] == 2
    assert costs["per_url"][0]["url_hash"] == body["url_hash"] and costs["per_url"][0]["media"] == 5
    assert costs["per_model"][0]["model"] == "gemini-2.0-flash-001" and costs["per_day"][0]["calls"] == 3
    assert costs["cost_usd"] > 0


def test_without_a_key_metadata_is_returned_and_the_ai_is_unavailable(links_app, platform, gemini, make_user):
    app = links_app(key=None)
    client = app.test_client()
    _, auth = make_user()
    body = post(client, platform.url(2), auth).get_json()
    assert body["ai"] == "unavailable" and body["ai_analysis"] is None
    assert body["metadata"]["title"] == "Bibimbap night #2" and len(body["media"]) == 2
    assert gemini.calls == 0
    assert post(client, platform.url(2), auth).get_json()["cached"] is True  # still no key: a hit


def test_a_metadata_refresh_keeps_a_fresh_ai_analysis(links_app, platform, gemini, make_user):
    app = links_app()
    client = app.test_client()
    _, auth = make_user()
    first = post(client, platform.url(4), auth).get_json()
    with app.app_context():
        db.session.execute(update(LinkAnalysis).values(expires_at=dt.datetime(2000, 1, 1)))
        db.session.commit()
        db.session.remove()
    pages = platform.page_hits
    again = post(client, platform.url(4), auth).get_json()
    assert platform.page_hits == pages + 1 and again["cached"] is False  # the page was fetched again
    assert gemini.calls == 1 and again["ai_analysis"] == first["ai_analysis"]  # the model was not


def test_a_model_failure_keeps_the_metadata_and_is_retried_next_time(links_app, platform, gemini, make_user):
    app = links_app(GEMINI_ATTEMPTS=1)
    client = app.test_client()
    _, auth = make_user()
    gemini.fail = True
    body = post(client, platform.url(5), auth).get_json()
    assert body["ai"] == "failed" and body["ai_analysis"] is None and body["metadata"]["title"]
    gemini.fail = False
    pages = platform.page_hits
    again = post(client, platform.url(5), auth).get_json()
    assert again["ai"] == "done" and platform.page_hits == pages  # only the AI part was redone


def test_a_page_without_media_gets_one_call_on_its_text(links_app, platform, gemini, make_user):
    app = links_app()
    _, auth = make_user()
    platform.posts["text"] = []
    body = post(app.test_client(), platform.url("text"), auth).get_json()
    assert body["media"] == [] and body["ai"] == "done" and body["ai_analysis"]["summary"] == "a page with 0 media"
    assert gemini.batch_sizes == [0]


def test_a_page_that_cannot_be_fetched_is_a_502_naming_the_reason(links_app, platform, gemini, make_user):
    app = links_app()
    client = app.test_client()
    _, auth = make_user()
    response = post(client, f"{platform.base}/gone", auth)
    assert response.status_code == 502 and response.get_json()["error"]["code"] == "http_error"
    assert gemini.calls == 0
    assert client.get("/api/v1/links/cache/stats", headers=auth).get_json()["size"] == 0
    assert post(client, f"{platform.base}/gone", auth).status_code == 502  # a failed job is not shared forever
    assert platform.hits["/gone"] == 2


def test_hostile_page_content_is_stored_safely(links_app, platform, make_user):
    app = links_app()
    _, auth = make_user()
    platform.extra_head["evil"] = ('<script type="application/ld+json">{"name": "nul \\u0000 inside", '
                                   '"description": "x\\u0000y"}</script>'
                                   '<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + '</script>')
    response = post(app.test_client(), platform.url("evil"), auth)
    assert response.status_code == 200, response.get_json()
    meta = response.get_json()["metadata"]
    assert {"name": "nul  inside", "description": "xy"} in meta["json_ld"]  # NUL dropped, deep nesting skipped

"""The public scenario catalogue: the seeded data file, category filter, cursor pages, cache, statement counts."""

from __future__ import annotations

from sqlalchemy import update

from backend.caching import response_cache
from backend.scenarios.models import Scenario
from backend.scenarios.seed import catalogue
from tests.conftest import statements

API = "/api/v1/scenarios"


def test_the_data_file_is_a_realistic_valid_catalogue():
    data = catalogue()
    assert 20 <= len(data) <= 40
    assert len({s["slug"] for s in data}) == len(data)
    assert len({s["category"] for s in data}) >= 8
    for scenario in data:
        assert scenario["category"] == scenario["category"].lower()
        assert 3 <= len(scenario["steps"]) <= 6
        assert len({step["key"] for step in scenario["steps"]}) == len(scenario["steps"])
        assert all(step["title"] and step["instruction"] for step in scenario["steps"])


def test_list_filter_detail(client, scenarios):
    body = client.get(API, query_string={"per_page": 100}).get_json()
    assert body["total"] == len(scenarios) and len(body["items"]) == len(scenarios)
    first = body["items"][0]
    assert first["slug"] == "blog-post-writer" and first["variables"] == ["topic", "audience"]
    support = client.get(API, query_string={"category": "Customer-Support"}).get_json()
    assert support["total"] == 3 and {s["category"] for s in support["items"]} == {"customer-support"}
    detail = client.get(f"{API}/{first['id']}").get_json()
    assert [s["key"] for s in detail["steps"]] == ["outline", "draft", "edit", "seo"]
    assert client.get(f"{API}/999999").status_code == 404
    assert client.get(f"{API}/99999999999999999999").status_code == 404
    assert client.get(API, query_string={"category": "nothing"}).get_json() == {
        "items": [], "page": 1, "per_page": 20, "total": 0, "next_cursor": None}


def test_cursor_pages(client, scenarios):
    seen, cursor = [], None
    while True:
        page = client.get(API, query_string={"per_page": 7, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [s["id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(seen) and len(seen) == len(scenarios)
    assert client.get(API, query_string={"cursor": "garbage!"}).status_code == 422
    assert client.get(API, query_string={"category": "x" * 41}).status_code == 422


def test_cached_until_seeded_again(client, db, scenarios):
    first, detail = client.get(API).get_json(), client.get(f"{API}/1").get_json()
    db.session.execute(update(Scenario).where(Scenario.id == 1).values(name="Changed quietly"))
    db.session.commit()
    assert client.get(API).get_json() == first and client.get(f"{API}/1").get_json() == detail
    assert client.get(API).headers["Cache-Control"].startswith("public")


def test_statement_counts_constant(app, scenarios):
    response_cache(app).enabled = False
    client = app.test_client()
    for query in ({}, {"category": "marketing"}):
        one = client.get(API, query_string={**query, "per_page": 1})
        hundred = client.get(API, query_string={**query, "per_page": 100})
        assert len(hundred.get_json()["items"]) > 1
        assert statements(one) == statements(hundred) <= 2  # one SELECT (SQLite also counts its BEGIN)
    assert statements(client.get(f"{API}/3")) <= 2

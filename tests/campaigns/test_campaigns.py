"""Campaigns: create, edit, status moves, the public list (filters, sorts, cursors, totals) and detail,
their caches and invalidation, statement counts and ownership."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from backend.caching import response_cache
from backend.campaigns.models import Campaign, CampaignCounter
from tests.campaigns.conftest import API, future, new_campaign
from tests.conftest import statements


def open_total(db) -> int:
    db.session.rollback()  # a fresh snapshot (SQLite keeps the old one while a read transaction is open)
    counter = db.session.execute(select(CampaignCounter.open_count)).scalar()
    actual = db.session.execute(select(func.count()).select_from(Campaign).where(Campaign.status == "open")).scalar()
    assert (counter or 0) == actual, "the maintained open count drifted from the rows"
    return actual


def test_create_is_owned_by_its_creator_and_drafts_stay_private(client, db, make_user):
    owner, auth = make_user()
    draft = new_campaign(client, auth, status="draft")
    assert draft["owner_id"] == owner["id"] and draft["status"] == "draft" and draft["approved_count"] == 0
    assert client.get(f"{API}/{draft['id']}").status_code == 404  # not public
    assert client.get(API).get_json()["total"] == 0
    mine = client.get(f"{API}/mine", headers=auth).get_json()
    assert [c["id"] for c in mine["items"]] == [draft["id"]] and mine["total"] == 1
    assert client.get(f"{API}/mine", headers=make_user()[1]).get_json()["total"] == 0
    assert open_total(db) == 0


def test_status_moves_and_the_open_counter(client, db, make_user):
    _, auth = make_user()
    a = new_campaign(client, auth, status="draft")
    b = new_campaign(client, auth)
    assert open_total(db) == 1
    assert client.patch(f"{API}/{a['id']}", json={"status": "open"}, headers=auth).get_json()["status"] == "open"
    assert open_total(db) == 2
    assert client.patch(f"{API}/{b['id']}", json={"status": "closed"}, headers=auth).status_code == 200
    assert open_total(db) == 1
    back = client.patch(f"{API}/{b['id']}", json={"status": "open"}, headers=auth)
    assert back.status_code == 409 and back.get_json()["error"]["code"] == "illegal_transition"
    assert client.patch(f"{API}/{a['id']}", json={"status": "draft"}, headers=auth).status_code == 409
    assert open_total(db) == 1
    assert client.get(API).get_json()["total"] == 1
    assert client.get(f"{API}/{b['id']}").get_json()["status"] == "closed"  # closed stays readable


def test_only_the_owner_edits_others_get_404(client, make_user):
    _, auth = make_user()
    campaign = new_campaign(client, auth)
    _, stranger = make_user()
    for method, url, body in (("patch", f"{API}/{campaign['id']}", {"title": "Mine now"}),
                              ("get", f"{API}/{campaign['id']}/applications", None)):
        response = getattr(client, method)(url, json=body, headers=stranger)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "campaign_not_found"
    _, admin = make_user("admin")
    assert client.patch(f"{API}/{campaign['id']}", json={"title": "Fixed typo"}, headers=admin).status_code == 200


def test_deadline_must_be_ahead_and_bodies_are_checked(client, make_user):
    _, auth = make_user()
    base = {"title": "T", "brand": "B", "product": "P", "reward": 1, "slots": 1, "status": "open"}
    past = client.post(API, json={**base, "deadline": "2020-01-01T00:00:00Z"}, headers=auth)
    assert past.status_code == 422 and "deadline" in past.get_json()["error"]["details"]["fields"]
    for bad in ({"slots": 0}, {"slots": 10**12}, {"reward": -1}, {"reward": None}, {"title": "a\x00b"},
                {"deadline": "99999-01-01"}, {"status": "closed"}, {"owner_id": 1},
                {"deadline": "0001-01-01T00:00:00+14:00"}):
        response = client.post(API, json={**base, "deadline": future(), **bad}, headers=auth)
        assert response.status_code == 422, (bad, response.get_json())
    assert client.post(API, data="x", headers={**auth, "Content-Type": "text/plain"}).status_code == 415
    assert client.post(API, json={**base, "deadline": future()}).status_code == 401


def test_slots_cannot_drop_below_approvals(client, db, make_user):
    _, auth = make_user()
    campaign = new_campaign(client, auth, slots=2)
    db.session.execute(update(Campaign).where(Campaign.id == campaign["id"]).values(approved_count=2))
    db.session.commit()
    response = client.patch(f"{API}/{campaign['id']}", json={"slots": 1}, headers=auth)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "slots_below_approved"
    assert client.patch(f"{API}/{campaign['id']}", json={"slots": 2, "reward": 7}, headers=auth).status_code == 200
    assert client.patch(f"{API}/{campaign['id']}", json={"slots": None}, headers=auth).status_code == 422


def test_list_filters_and_sorts(client, make_user):
    _, auth = make_user()
    made = [new_campaign(client, auth, brand=brand, reward=reward, deadline=future(days))
            for brand, reward, days in (("Laneige", 10_000, 5), ("Cosrx", 50_000, 2), ("laneige", 30_000, 9),
                                        ("Dyson", 0, 20))]
    new_campaign(client, auth, status="draft", brand="Laneige")
    ids = [c["id"] for c in made]

    def listed(**query):
        body = client.get(API, query_string=query).get_json()
        return [c["id"] for c in body["items"]], body["total"]

    assert listed() == ([ids[1], ids[0], ids[2], ids[3]], 4)  # soonest deadline first
    assert listed(sort="-reward") == ([ids[1], ids[2], ids[0], ids[3]], 4)
    assert listed(sort="reward")[0] == [ids[3], ids[0], ids[2], ids[1]]
    assert listed(sort="-deadline")[0] == [ids[3], ids[2], ids[0], ids[1]]
    assert listed(sort="newest")[0] == ids[::-1]
    assert listed(brand="LANEIGE") == ([ids[0], ids[2]], 2)
    assert listed(min_reward=10_000, max_reward=30_000) == ([ids[0], ids[2]], 2)
    before = (dt.datetime.now(dt.UTC) + dt.timedelta(days=6)).isoformat()
    assert listed(deadline_before=before) == ([ids[1], ids[0]], 2)
    assert listed(deadline_after=before, sort="reward") == ([ids[3], ids[2]], 2)
    assert listed(brand="nobody") == ([], 0)
    assert listed(page=9) == ([], 4)


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "reward", "-reward", "newest"])
def test_cursor_pages_walk_every_open_campaign_once(client, make_user, sort):
    _, auth = make_user()
    for i in range(7):  # rewards tie in pairs: the cursor must break ties by id
        new_campaign(client, auth, reward=(i // 2) * 1000, deadline=future(1 + i % 3))
    seen, cursor = [], None
    while True:
        body = client.get(API, query_string={"sort": sort, "per_page": 2, **({"cursor": cursor} if cursor else {})})
        page = body.get_json()
        assert page["total"] == 7
        seen += [c["id"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    full = [c["id"] for c in client.get(API, query_string={"sort": sort, "per_page": 100}).get_json()["items"]]
    assert seen == full


def test_hostile_list_queries_are_422(client):
    for query in ({"cursor": "bm90LWEtY3Vyc29y"}, {"cursor": "x" * 600}, {"min_reward": "1e400"},
                  {"min_reward": 2**63}, {"deadline_after": "not-a-date"}, {"sort": "id; drop table"},
                  {"brand": "a\x00"}, {"per_page": 0}, {"page": 10**9}):
        response = client.get(API, query_string=query)
        assert response.status_code == 422, (query, response.get_json())
    assert client.get(f"{API}/9223372036854775808").status_code == 404
    forged = client.get(API, query_string={"sort": "reward", "cursor": "WyJyZXdhcmQiLHRydWUsMV0"})  # ["reward",true,1]
    assert forged.status_code == 422


def test_list_and_detail_are_cached_and_writes_invalidate_exactly(client, db, make_user):
    _, auth = make_user()
    campaign = new_campaign(client, auth)
    url = f"{API}/{campaign['id']}"
    first_list, first_detail = client.get(API).get_json(), client.get(url).get_json()
    # A write that bypasses the services is not seen: proof that both reads are served from the cache.
    db.session.execute(update(Campaign).where(Campaign.id == campaign["id"]).values(description="quiet"))
    db.session.commit()
    assert client.get(API).get_json() == first_list and client.get(url).get_json() == first_detail
    # An application changes the detail (applications_count), not the list.
    _, applicant = make_user()
    assert client.post(f"{url}/applications", json={}, headers=applicant).status_code == 201
    detail = client.get(url).get_json()
    assert detail["applications_count"] == 1 and detail["description"] == "quiet"
    assert client.get(API).get_json() == first_list
    # An edit through the service changes both.
    client.patch(url, json={"title": "New title"}, headers=auth)
    assert client.get(API).get_json()["items"][0]["title"] == "New title"
    assert client.get(url).get_json()["title"] == "New title"
    # A new open campaign is listed at once (the list namespace), the old detail stays cached.
    new_campaign(client, auth)
    assert client.get(API).get_json()["total"] == 2


def test_statement_counts_do_not_grow_with_page_size(app, client, make_user):
    _, auth = make_user()
    for i in range(12):
        new_campaign(client, auth, brand="Cosrx" if i % 2 else "Innisfree", reward=i * 1000)
    response_cache(app).enabled = False
    plain = app.test_client()
    for query in ({}, {"brand": "cosrx"}, {"sort": "-reward", "min_reward": 1000}, {"sort": "newest"}):
        one = plain.get(API, query_string={**query, "per_page": 1})
        hundred = plain.get(API, query_string={**query, "per_page": 100})
        assert len(hundred.get_json()["items"]) > 1
        # One SELECT (SQLite also counts its local BEGIN), page and total together, whatever the size.
        assert statements(one) == statements(hundred) <= 2, query
        cursor = one.get_json()["next_cursor"]
        assert statements(plain.get(API, query_string={**query, "per_page": 100, "cursor": cursor})) <= 2
    assert statements(plain.get(f"{API}/1")) <= 2
    mine_one = plain.get(f"{API}/mine", query_string={"per_page": 1}, headers=auth)
    mine_all = plain.get(f"{API}/mine", query_string={"per_page": 100}, headers=auth)
    assert statements(mine_one) == statements(mine_all)


def test_expired_campaigns_close_and_leave_the_list(app, client, db, make_user):
    from backend.jobs.registry import PERIODIC

    close_expired = PERIODIC["campaigns.close_expired"].run  # what the worker runs every minute

    _, auth = make_user()
    keep, expire = new_campaign(client, auth), new_campaign(client, auth)
    client.get(API)  # cached with both
    db.session.execute(update(Campaign).where(Campaign.id == expire["id"])
                       .values(deadline=dt.datetime(2020, 1, 1)))
    db.session.commit()
    with app.app_context():
        assert close_expired() == 1
        assert close_expired() == 0
    body = client.get(API).get_json()
    assert [c["id"] for c in body["items"]] == [keep["id"]] and body["total"] == 1
    assert client.get(f"{API}/{expire['id']}").get_json()["status"] == "closed"
    assert open_total(db) == 1

"""Approvals never exceed a campaign's slots under real concurrency, on SQLite and PostgreSQL.

Threads each drive their own request (own app context, session and pooled connection), released
together by a barrier, so the database, not Python, decides which approvals get the slots.
"""

import threading
from collections import Counter

from sqlalchemy import func, select

from backend.campaigns.models import Campaign, CampaignApplication
from tests.campaigns.conftest import apply, new_campaign

CONTENDERS, SLOTS = 50, 10


def fire_together(app, urls, headers):
    """POST every URL at the same instant; return (status, error code) pairs."""
    barrier = threading.Barrier(len(urls))
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def worker(url):
        client = app.test_client()
        barrier.wait()
        response = client.post(url, headers=headers)
        code = (response.get_json() or {}).get("error", {}).get("code")
        with lock:
            results.append((response.status_code, code))

    threads = [threading.Thread(target=worker, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_fifty_simultaneous_approvals_fill_exactly_the_slots(app, client, db, make_user):
    _, owner = make_user()
    campaign = new_campaign(client, owner, slots=SLOTS)
    ids = [apply(client, make_user()[1], campaign["id"]).get_json()["id"] for _ in range(CONTENDERS)]
    results = fire_together(app, [f"/api/v1/campaigns/applications/{i}/approve" for i in ids], owner)
    assert len(results) == CONTENDERS
    assert Counter(results) == {(200, None): SLOTS, (409, "slots_full"): CONTENDERS - SLOTS}
    approved = db.session.execute(select(func.count()).select_from(CampaignApplication).where(
        CampaignApplication.campaign_id == campaign["id"], CampaignApplication.status == "approved")).scalar_one()
    counter = db.session.execute(select(Campaign.approved_count).where(Campaign.id == campaign["id"])).scalar_one()
    assert approved == counter == SLOTS


def test_simultaneous_double_approval_of_one_application_counts_once(app, client, db, make_user):
    _, owner = make_user()
    campaign = new_campaign(client, owner, slots=5)
    application = apply(client, make_user()[1], campaign["id"]).get_json()
    results = fire_together(app, [f"/api/v1/campaigns/applications/{application['id']}/approve"] * 8, owner)
    assert Counter(results) == {(200, None): 1, (409, "illegal_transition"): 7}
    assert db.session.execute(select(Campaign.approved_count).where(Campaign.id == campaign["id"])).scalar_one() == 1

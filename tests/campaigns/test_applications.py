"""Applications: apply once, deadlines, the owner's decisions within the slots, completion with a vetted
review URL, and who may see or act on what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from backend.campaigns.models import Campaign
from tests.campaigns.conftest import API, apply, new_campaign
from tests.conftest import statements

APPS = f"{API}/applications"


@pytest.fixture
def setup(client, make_user):
    """(owner auth, campaign, applicant auth, applicant user)."""
    _, owner = make_user()
    campaign = new_campaign(client, owner, slots=1)
    user, applicant = make_user()
    return owner, campaign, applicant, user


def test_apply_once_then_409(client, setup):
    _, campaign, applicant, user = setup
    first = apply(client, applicant, campaign["id"])
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "pending" and body["user_id"] == user["id"] and body["campaign_title"] == "Serum review"
    again = apply(client, applicant, campaign["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_applied"
    assert client.get(f"{API}/{campaign['id']}").get_json()["applications_count"] == 1


def test_apply_refusals(client, db, make_user, setup):
    owner, campaign, applicant, _ = setup
    own = apply(client, owner, campaign["id"])
    assert own.status_code == 409 and own.get_json()["error"]["code"] == "own_campaign"
    draft = new_campaign(client, owner, status="draft")
    assert apply(client, applicant, draft["id"]).status_code == 404
    assert apply(client, applicant, 2**31 - 1).status_code == 404
    db.session.execute(update(Campaign).where(Campaign.id == campaign["id"]).values(deadline=dt.datetime(2021, 1, 1)))
    db.session.commit()
    late = apply(client, applicant, campaign["id"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "deadline_passed"
    closed = new_campaign(client, owner)
    client.patch(f"{API}/{closed['id']}", json={"status": "closed"}, headers=owner)
    assert apply(client, applicant, closed["id"]).get_json()["error"]["code"] == "campaign_closed"
    assert client.post(f"{API}/{closed['id']}/applications", json={"message": "x" * 2001},
                       headers=applicant).status_code == 422
    assert client.post(f"{API}/{closed['id']}/applications", json={}).status_code == 401


def test_owner_approves_within_slots_and_rejects(client, db, make_user, setup):
    owner, campaign, applicant, _ = setup
    first = apply(client, applicant, campaign["id"]).get_json()
    _, other = make_user()
    second = apply(client, other, campaign["id"]).get_json()
    approved = client.post(f"{APPS}/{first['id']}/approve", headers=owner)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    full = client.post(f"{APPS}/{second['id']}/approve", headers=owner)
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "slots_full"
    assert client.get(f"{APPS}/{second['id']}", headers=other).get_json()["status"] == "pending"  # rolled back
    assert client.post(f"{APPS}/{first['id']}/approve", headers=owner).get_json()["error"]["code"] == \
        "illegal_transition"
    rejected = client.post(f"{APPS}/{second['id']}/reject", headers=owner)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert client.get(f"{API}/{campaign['id']}").get_json()["approved_count"] == 1
    assert client.get(API).get_json()["items"][0]["approved_count"] == 1  # the list was invalidated
    db.session.rollback()
    assert db.session.execute(select(Campaign.approved_count).where(Campaign.id == campaign["id"])).scalar() == 1


def test_the_applicant_cannot_decide_and_strangers_see_404(client, make_user, setup):
    owner, campaign, applicant, _ = setup
    application = apply(client, applicant, campaign["id"]).get_json()
    assert client.post(f"{APPS}/{application['id']}/approve", headers=applicant).status_code == 403
    _, stranger = make_user()
    for method, url in (("get", f"{APPS}/{application['id']}"), ("post", f"{APPS}/{application['id']}/approve"),
                        ("post", f"{APPS}/{application['id']}/reject")):
        response = getattr(client, method)(url, headers=stranger)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "application_not_found"
    complete = client.post(f"{APPS}/{application['id']}/complete", json={"review_url": "https://blog.example.com/r"},
                           headers=stranger)
    assert complete.status_code == 404
    assert client.get(f"{APPS}/{application['id']}", headers=owner).status_code == 200
    assert client.get(APPS, headers=stranger).get_json()["total"] == 0


def test_complete_with_a_vetted_review_url(client, setup):
    owner, campaign, applicant, _ = setup
    application = apply(client, applicant, campaign["id"]).get_json()
    url = f"{APPS}/{application['id']}/complete"
    early = client.post(url, json={"review_url": "https://blog.example.com/r"}, headers=applicant)
    assert early.status_code == 409  # not approved yet
    client.post(f"{APPS}/{application['id']}/approve", headers=owner)
    assert client.post(url, json={"review_url": "https://blog.example.com/r"}, headers=owner).status_code == 403
    done = client.post(url, json={"review_url": "HTTPS://Blog.Example.com/reviews/1?utm_source=x&b=2#top"},
                       headers=applicant)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["review_url"] == "https://blog.example.com/reviews/1?b=2"
    assert client.post(url, json={"review_url": "https://blog.example.com/r"}, headers=applicant).status_code == 409


@pytest.mark.parametrize("review_url, reason", [
    ("ftp://example.com/review", "bad_scheme"),
    ("javascript:alert(1)", "bad_scheme"),
    ("http://127.0.0.1/r", "loopback_address"),
    ("http://2130706433/r", "loopback_address"),
    ("http://0x7f.1/r", "loopback_address"),
    ("http://10.0.0.5/r", "private_address"),
    ("http://169.254.169.254/latest/meta-data", "link_local_address"),
    ("http://[::ffff:192.168.0.1]/r", "private_address"),
    ("http://localhost/r", "private_host"),
    ("http://printer.local/r", "private_host"),
    ("http://intranet/r", "private_host"),
    ("https://user:pw@example.com/r", "userinfo"),
    ("https://example.com:22/r", "bad_port"),
    ("https://exa mple.com/r", "bad_host"),
    ("https://example.com/\nr", "bad_url"),
])
def test_review_urls_follow_the_link_analyzers_rules(client, setup, review_url, reason):
    owner, campaign, applicant, _ = setup
    application = apply(client, applicant, campaign["id"]).get_json()
    client.post(f"{APPS}/{application['id']}/approve", headers=owner)
    response = client.post(f"{APPS}/{application['id']}/complete", json={"review_url": review_url},
                           headers=applicant)
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert "review_url" in details["fields"]
    if reason.endswith("_address") and details.get("reason") != reason:
        assert details.get("reason", "").endswith("_address"), details  # the deny table's exact kind may differ
    else:
        assert details.get("reason") == reason, details


def test_application_lists_for_owner_and_applicant(client, make_user, setup):
    owner, campaign, applicant, _ = setup
    mine = apply(client, applicant, campaign["id"]).get_json()
    others = []
    for _ in range(4):
        _, auth = make_user()
        others.append(apply(client, auth, campaign["id"]).get_json())
    client.post(f"{APPS}/{others[0]['id']}/reject", headers=owner)
    listing = client.get(f"{API}/{campaign['id']}/applications", headers=owner).get_json()
    assert listing["total"] == 5 and [a["id"] for a in listing["items"]][0] == others[-1]["id"]
    pending = client.get(f"{API}/{campaign['id']}/applications", query_string={"status": "pending"},
                         headers=owner).get_json()
    assert pending["total"] == 4
    one = client.get(f"{API}/{campaign['id']}/applications", query_string={"per_page": 1}, headers=owner)
    hundred = client.get(f"{API}/{campaign['id']}/applications", query_string={"per_page": 100}, headers=owner)
    assert statements(one) == statements(hundred)
    walked, cursor = [], None
    while True:
        page = client.get(f"{API}/{campaign['id']}/applications",
                          query_string={"per_page": 2, **({"cursor": cursor} if cursor else {})}, headers=owner)
        walked += [a["id"] for a in page.get_json()["items"]]
        if not (cursor := page.get_json()["next_cursor"]):
            break
    assert len(set(walked)) == 5
    assert [a["id"] for a in client.get(APPS, headers=applicant).get_json()["items"]] == [mine["id"]]
    assert client.get(APPS, query_string={"status": "bogus"}, headers=applicant).status_code == 422
    assert client.get(APPS, headers=applicant).headers["Cache-Control"].startswith("private")

"""SNS accounts and posts over the API: ownership (404), credential never returned, edits, schedule, pages."""

from __future__ import annotations

from sqlalchemy import select

from backend.common import secrets
from backend.sns.models import SnsAccount
from tests.conftest import statements
from tests.sns.conftest import ACCOUNTS, POSTS, account, future, post


def test_account_credential_is_encrypted_and_never_returned(app, client, db, make_user):
    _, headers = make_user()
    created = account(client, headers, credential="super-secret-token")
    assert created["has_credential"] is True and "credential" not in created
    stored = db.session.execute(select(SnsAccount.credential).where(SnsAccount.id == created["id"])).scalar_one()
    assert "super-secret-token" not in stored
    with app.app_context():
        assert secrets.decrypt(stored) == "super-secret-token"
    for body in (client.get(ACCOUNTS, headers=headers).get_json()["items"][0],
                 client.get(f"{ACCOUNTS}/{created['id']}", headers=headers).get_json()):
        assert "credential" not in body and body["handle"] == "me"
    again = client.post(ACCOUNTS, json={"platform": "x", "handle": "me", "credential": "c"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "sns_account_exists"


def test_others_accounts_and_posts_are_404(client, make_user):
    _, alice = make_user()
    _, bob = make_user()
    acc = account(client, alice)
    p = post(client, alice, acc["id"])
    for response in (client.get(f"{ACCOUNTS}/{acc['id']}", headers=bob),
                     client.delete(f"{ACCOUNTS}/{acc['id']}", headers=bob),
                     client.get(f"{POSTS}/{p['id']}", headers=bob),
                     client.patch(f"{POSTS}/{p['id']}", json={"content": "mine now"}, headers=bob),
                     client.post(f"{POSTS}/{p['id']}/schedule", json={"scheduled_at": future()},
                                 headers=bob),
                     client.post(f"{POSTS}/{p['id']}/unschedule", headers=bob),
                     client.delete(f"{POSTS}/{p['id']}", headers=bob),
                     client.post(POSTS, json={"account_id": acc["id"], "content": "x"}, headers=bob)):
        assert response.status_code == 404, response.get_json()
    assert client.get(POSTS, headers=bob).get_json()["total"] == 0
    assert client.get(POSTS, query_string={"account_id": acc["id"]}, headers=bob).get_json()["total"] == 0
    assert client.get(f"{POSTS}/{p['id']}", headers=alice).get_json()["content"] == "hello"


def test_post_lifecycle_draft_edit_schedule_unschedule_delete(client, make_user):
    _, headers = make_user()
    acc = account(client, headers)
    other = account(client, headers, handle="second", platform="mastodon")
    draft = post(client, headers, acc["id"], media=["https://cdn.example.com/a.png"])
    assert draft["status"] == "draft" and draft["media"] == ["https://cdn.example.com/a.png"]
    edited = client.patch(f"{POSTS}/{draft['id']}", json={"content": "edited", "account_id": other["id"]},
                          headers=headers).get_json()
    assert edited["content"] == "edited" and edited["account_id"] == other["id"] and edited["status"] == "draft"
    scheduled = client.post(f"{POSTS}/{draft['id']}/schedule", json={"scheduled_at": future(offset="+09:00")},
                            headers=headers).get_json()
    assert scheduled["status"] == "scheduled" and scheduled["scheduled_at"] == future(hour=0)
    back = client.post(f"{POSTS}/{draft['id']}/unschedule", headers=headers).get_json()
    assert back["status"] == "draft" and back["scheduled_at"] is None
    assert client.delete(f"{POSTS}/{draft['id']}", headers=headers).status_code == 204
    assert client.get(f"{POSTS}/{draft['id']}", headers=headers).status_code == 404


def test_published_posts_cannot_be_edited_or_rescheduled(client, db, make_user):
    from sqlalchemy import update

    from backend.sns.models import SnsPost

    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"])
    db.session.execute(update(SnsPost).where(SnsPost.id == p["id"]).values(status="published"))
    db.session.commit()
    for response in (client.patch(f"{POSTS}/{p['id']}", json={"content": "late"}, headers=headers),
                     client.post(f"{POSTS}/{p['id']}/schedule", json={"scheduled_at": future()},
                                 headers=headers)):
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "post_published"
    assert client.delete(f"{POSTS}/{p['id']}", headers=headers).status_code == 204  # deleting is fine


def test_list_filters_by_status_and_account_with_cursor_pages(client, make_user):
    _, headers = make_user()
    a = account(client, headers)
    b = account(client, headers, handle="b")
    made = [post(client, headers, (a if i % 2 else b)["id"], f"p{i}",
                 **({"scheduled_at": future()} if i % 3 == 0 else {}))["id"] for i in range(9)]
    seen, cursor = [], None
    while True:
        page = client.get(POSTS, query_string={"per_page": 4, **({"cursor": cursor} if cursor else {})},
                          headers=headers).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True) and page["total"] == 9
    scheduled = client.get(POSTS, query_string={"status": "scheduled"}, headers=headers).get_json()
    assert scheduled["total"] == 3 and {i["status"] for i in scheduled["items"]} == {"scheduled"}
    only_a = client.get(POSTS, query_string={"account_id": a["id"], "status": "draft"}, headers=headers).get_json()
    assert {i["account_id"] for i in only_a["items"]} == {a["id"]} and only_a["total"] == 3
    assert client.get(POSTS, query_string={"status": "bogus"}, headers=headers).status_code == 422


def test_list_statement_count_is_constant(client, make_user):
    _, headers = make_user()
    acc = account(client, headers)
    for i in range(12):
        post(client, headers, acc["id"], f"p{i}")
    for path in (POSTS, ACCOUNTS):
        one = client.get(path, query_string={"per_page": 1}, headers=headers)
        many = client.get(path, query_string={"per_page": 100}, headers=headers)
        assert one.status_code == many.status_code == 200
        assert statements(one) == statements(many), path
        assert many.headers["Cache-Control"] == "private, no-store"


def test_deleting_an_account_deletes_its_posts(client, make_user):
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"])
    assert client.delete(f"{ACCOUNTS}/{acc['id']}", headers=headers).status_code == 204
    assert client.get(f"{POSTS}/{p['id']}", headers=headers).status_code == 404


def test_hostile_bodies_are_4xx_naming_the_field(client, make_user):
    _, headers = make_user()
    acc = account(client, headers)
    cases = [
        (ACCOUNTS, {"platform": "myspace", "handle": "a", "credential": "c"}, "platform"),
        (ACCOUNTS, {"platform": "x", "handle": "a b", "credential": "c"}, "handle"),
        (ACCOUNTS, {"platform": "x", "handle": "a", "credential": "c\x00"}, "credential"),
        (ACCOUNTS, {"platform": "x", "handle": "a", "credential": "c" * 5000}, "credential"),
        (POSTS, {"account_id": 2**63, "content": "x"}, "account_id"),
        (POSTS, {"account_id": acc["id"], "content": ""}, "content"),
        (POSTS, {"account_id": acc["id"], "content": "x", "media": ["javascript:alert(1)"]}, "media"),
        (POSTS, {"account_id": acc["id"], "content": "x", "scheduled_at": "9999-01-01T00:00:00"}, "scheduled_at"),
        (POSTS, {"account_id": acc["id"], "content": "x", "scheduled_at": "0001-01-01T00:00:00+01:00"},
         "scheduled_at"),
        (POSTS, {"account_id": None, "content": "x"}, "account_id"),
    ]
    for url, body, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in str(response.get_json()["error"]["details"]), response.get_json()
    p = post(client, headers, acc["id"])
    nulled = client.patch(f"{POSTS}/{p['id']}", json={"content": None}, headers=headers)
    assert nulled.status_code == 422
    assert client.post(ACCOUNTS, data="x", headers=headers).status_code == 415
    assert client.get(f"{POSTS}/9223372036854775808", headers=headers).status_code == 404

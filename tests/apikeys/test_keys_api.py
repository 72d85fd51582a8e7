"""API keys: create (shown once), list, show, rotate with grace, revoke; owners notified; others' keys 404."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from backend.apikeys.models import ApiKey
from backend.notifications.models import Notification
from tests.apikeys.conftest import KEYS, ME
from tests.conftest import make_app, statements


def test_create_shows_the_key_once_and_stores_only_a_hash(client, db, make_user, make_key):
    _, headers = make_user()
    created, _ = make_key(headers, ("read", "write"), name="deploy bot")
    assert created["key"].startswith(f"sfk_{created['prefix']}_") and created["scopes"] == ["read", "write"]
    assert client.post(KEYS, json={"name": "x"}, headers=headers).headers["Cache-Control"] == "private, no-store"
    stored = db.session.execute(select(ApiKey.secret_hash, ApiKey.prefix).where(ApiKey.id == created["id"])).one()
    secret = created["key"].split("_", 2)[2]
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    listed = client.get(KEYS, headers=headers).get_json()
    assert listed["total"] == 2
    item = next(i for i in listed["items"] if i["id"] == created["id"])
    assert "key" not in item and item["prefix"] == created["prefix"] and item["name"] == "deploy bot"
    assert item["last_used_at"] is None and item["created_at"].endswith("Z")
    assert client.get(f"{KEYS}/{created['id']}", headers=headers).get_json()["prefix"] == created["prefix"]


def test_someone_elses_key_is_404_everywhere(client, make_user, make_key):
    _, alice = make_user()
    _, bob = make_user()
    key, _ = make_key(alice)
    for call in (lambda: client.get(f"{KEYS}/{key['id']}", headers=bob),
                 lambda: client.post(f"{KEYS}/{key['id']}/rotate", headers=bob),
                 lambda: client.delete(f"{KEYS}/{key['id']}", headers=bob)):
        response = call()
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "api_key_not_found"
    assert client.get(f"{KEYS}/{key['id']}", headers=alice).status_code == 200
    assert client.get(KEYS, headers=bob).get_json()["total"] == 0


def test_list_pages_with_cursor_and_constant_statements(client, make_user, make_key):
    _, headers = make_user()
    ids = [make_key(headers, name=f"k{i}")[0]["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        body = client.get(KEYS, query_string={"per_page": 2, **({"cursor": cursor} if cursor else {})},
                          headers=headers).get_json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)
    one = client.get(KEYS, query_string={"per_page": 1}, headers=headers)
    many = client.get(KEYS, query_string={"per_page": 100}, headers=headers)
    assert statements(one) == statements(many)
    bad = client.get(KEYS, query_string={"cursor": "garbage"}, headers=headers)
    assert bad.status_code == 422


def test_revoke_makes_the_key_401_and_notifies_the_owner(client, db, make_user, make_key):
    user, headers = make_user()
    key, key_header = make_key(headers)
    assert client.get(ME, headers=key_header).status_code == 200
    assert client.delete(f"{KEYS}/{key['id']}", headers=headers).status_code == 204
    refused = client.get(ME, headers=key_header)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_api_key"
    assert client.delete(f"{KEYS}/{key['id']}", headers=headers).status_code == 404  # already gone
    note = db.session.execute(select(Notification.type, Notification.data).where(
        Notification.user_id == user["id"])).one()
    assert note.type == "api_key_changed" and note.data["action"] == "revoked" and note.data["key_id"] == key["id"]


def test_rotate_issues_a_new_key_keeps_the_old_for_the_grace_period_and_notifies(client, db, make_user, make_key):
    user, headers = make_user()
    old, old_header = make_key(headers, ("read",))
    rotated = client.post(f"{KEYS}/{old['id']}/rotate", headers=headers)
    assert rotated.status_code == 200, rotated.get_json()
    new = rotated.get_json()
    assert new["key"] != old["key"] and new["scopes"] == ["read"] and new["replaces"]["id"] == old["id"]
    assert client.get(ME, headers={"X-API-Key": new["key"]}).status_code == 200
    assert client.get(ME, headers=old_header).status_code == 200  # still inside its grace period
    again = client.post(f"{KEYS}/{old['id']}/rotate", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rotated"
    note = db.session.execute(select(Notification.title, Notification.data).where(
        Notification.user_id == user["id"])).one()
    assert note.data["action"] == "rotated" and note.data["new_key_id"] == new["id"]
    # The grace period ends: the old key is a 401 and leaves the list; the new one stays.
    db.session.execute(update(ApiKey).where(ApiKey.id == old["id"])
                       .values(expires_at=dt.datetime(2020, 1, 1)))
    db.session.commit()
    assert client.get(ME, headers=old_header).status_code == 401
    assert [i["id"] for i in client.get(KEYS, headers=headers).get_json()["items"]] == [new["id"]]


def test_grace_period_comes_from_configuration(database_url, tmp_path, make_user):
    app = make_app(database_url, tmp_path, APIKEY_ROTATE_GRACE_SECONDS=0)
    client = app.test_client()
    _, headers = make_user()
    old = client.post(KEYS, json={"name": "k"}, headers=headers).get_json()
    assert client.post(f"{KEYS}/{old['id']}/rotate", headers=headers).status_code == 200
    assert client.get(ME, headers={"X-API-Key": old["key"]}).status_code == 401


def test_last_used_is_written_at_most_once_per_interval(client, db, make_user, make_key):
    _, headers = make_user()
    key, key_header = make_key(headers)
    first = client.get(ME, headers=key_header)
    second = client.get(ME, headers=key_header)
    third = client.get(ME, headers=key_header)
    assert first.status_code == second.status_code == third.status_code == 200
    # Only the first request wrote last_used_at (its UPDATE, plus BEGIN IMMEDIATE on SQLite); the
    # later ones cost the one key lookup and the view's own statements.
    assert statements(first) > statements(second) == statements(third)
    used = db.session.execute(select(ApiKey.last_used_at).where(ApiKey.id == key["id"])).scalar_one()
    assert used is not None
    listed = client.get(f"{KEYS}/{key['id']}", headers=headers).get_json()
    assert listed["last_used_at"] is not None


def test_key_count_per_account_is_capped(database_url, tmp_path, make_user):
    client = make_app(database_url, tmp_path, APIKEY_MAX_PER_USER=2).test_client()
    _, headers = make_user()
    assert [client.post(KEYS, json={"name": f"k{i}"}, headers=headers).status_code for i in range(3)] == \
        [201, 201, 409]


def test_bad_bodies_are_422_naming_the_field(client, make_user):
    _, headers = make_user()
    for body, field in (({"name": "", "scopes": ["read"]}, "name"), ({"name": "a", "scopes": ["root"]}, "scopes"),
                        ({"name": "a", "scopes": []}, "scopes"), ({"name": "a\x00b"}, "name"),
                        ({"name": "a", "scopes": ["admin"]}, "scopes")):
        response = client.post(KEYS, json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in str(response.get_json()["error"]["details"]), response.get_json()


def test_concurrent_rotations_issue_one_replacement(app, client, db, make_user, make_key):
    import threading

    user, headers = make_user()
    old, _ = make_key(headers)
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def rotate():
        barrier.wait()
        codes.append(app.test_client().post(f"{KEYS}/{old['id']}/rotate", headers=headers).status_code)

    threads = [threading.Thread(target=rotate) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [200, 409, 409, 409, 409]
    live = db.session.execute(select(ApiKey.id).where(ApiKey.user_id == user["id"])).scalars().all()
    assert len(live) == 2  # the old key (in its grace period) and exactly one replacement

"""Notifications created from domain events: the right users, after the commit, preferences honoured."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.common.models import utcnow
from backend.jobs.models import Job
from backend.notifications.models import Notification
from tests.notifications.conftest import BOOKINGS, NOTIFICATIONS, book, day, mine


def types(items):
    return [n["type"] for n in items]


def test_each_booking_transition_notifies_the_user_and_the_chef(client, chef, make_user):
    chef_user, chef_headers = chef
    user, headers = make_user()
    booking = book(client, headers, chef_user["chef_id"], date=day(0)).get_json()
    assert types(mine(client, headers)) == ["booking_created"]
    assert types(mine(client, chef_headers)) == ["booking_created"]
    assert mine(client, chef_headers)[0]["title"] == "New booking request"
    for action in ("confirm", "complete"):
        assert client.post(f"{BOOKINGS}/{booking['id']}/{action}", headers=chef_headers).status_code == 200
    expected = ["booking_completed", "booking_confirmed", "booking_created"]
    assert types(mine(client, headers)) == expected and types(mine(client, chef_headers)) == expected
    data = mine(client, headers)[0]["data"]
    assert data["booking_id"] == booking["id"] and data["date"] == day(0) and data["slot"] == "dinner"
    other, other_headers = make_user()
    assert mine(client, other_headers) == []  # a third account hears nothing


def test_cancel_notifies_both_parties_once(client, chef, make_user):
    chef_user, chef_headers = chef
    _, headers = make_user()
    booking = book(client, headers, chef_user["chef_id"]).get_json()
    assert client.post(f"{BOOKINGS}/{booking['id']}/cancel", headers=headers).status_code == 200
    assert types(mine(client, headers)) == ["booking_cancelled", "booking_created"]
    assert types(mine(client, chef_headers)) == ["booking_cancelled", "booking_created"]


def test_a_refused_action_notifies_nobody(client, db, chef, make_user):
    chef_user, chef_headers = chef
    _, headers = make_user()
    booking = book(client, headers, chef_user["chef_id"]).get_json()
    assert client.post(f"{BOOKINGS}/{booking['id']}/confirm", headers=headers).status_code == 403
    assert client.post(f"{BOOKINGS}/{booking['id']}/complete", headers=chef_headers).status_code == 409
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 2  # the creation


def test_review_notifies_the_chef_only(client, chef, make_user):
    chef_user, chef_headers = chef
    _, headers = make_user()
    booking = book(client, headers, chef_user["chef_id"], date=day(0)).get_json()
    for action in ("confirm", "complete"):
        client.post(f"{BOOKINGS}/{booking['id']}/{action}", headers=chef_headers)
    assert client.post(f"{BOOKINGS}/{booking['id']}/review", json={"rating": 4}, headers=headers).status_code == 201
    review = mine(client, chef_headers)[0]
    assert review["type"] == "review_received" and review["data"]["rating"] == 4
    assert "review_received" not in types(mine(client, headers))


def test_password_change_notifies_the_account(client, make_user):
    _, headers = make_user()
    changed = client.post("/api/v1/auth/password", json={"current_password": "password-123",
                                                        "new_password": "another-pass-456"}, headers=headers)
    assert changed.status_code in (200, 204), changed.get_json()
    (note,) = mine(client, headers)
    assert note["type"] == "password_changed" and note["read"] is False


def test_disabled_types_are_not_stored_and_email_goes_to_a_job(client, db, chef, make_user):
    chef_user, chef_headers = chef
    user, headers = make_user()
    put = client.put(f"{NOTIFICATIONS}/preferences", json={"disabled_types": ["booking_created"], "email": False},
                     headers=headers)
    assert put.status_code == 200 and put.get_json() == {"disabled_types": ["booking_created"], "email": False,
                                                         "email_available": False}
    assert client.put(f"{NOTIFICATIONS}/preferences", json={"email": True},
                      headers=chef_headers).status_code == 200
    booking = book(client, headers, chef_user["chef_id"]).get_json()
    assert mine(client, headers) == []  # turned off: nothing stored
    assert types(mine(client, chef_headers)) == ["booking_created"]
    emails = db.session.execute(select(Job.payload, Job.result).where(Job.kind == "notifications.email")).all()
    assert len(emails) == 1 and emails[0].payload == {"notification_ids": [mine(client, chef_headers)[0]["id"]]}
    assert emails[0].result["reason"] == "smtp_not_configured"  # no SMTP_HOST: the mailer says so
    client.post(f"{BOOKINGS}/{booking['id']}/confirm", headers=chef_headers)
    assert types(mine(client, headers)) == ["booking_confirmed"]  # other types still on
    assert client.get(f"{NOTIFICATIONS}/preferences", headers=headers).get_json()["disabled_types"] == [
        "booking_created"]


def test_preferences_default_and_hostile_bodies(client, make_user):
    _, headers = make_user()
    assert client.get(f"{NOTIFICATIONS}/preferences", headers=headers).get_json() == {
        "disabled_types": [], "email": False, "email_available": False}
    for bad in ({"disabled_types": ["nope"]}, {"disabled_types": "booking_created"}, {"email": "maybe"},
                {"extra": 1}, {"disabled_types": ["booking_created\x00"]}, {"disabled_types": [None]}):
        response = client.put(f"{NOTIFICATIONS}/preferences", json=bad, headers=headers)
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"]
    assert client.put(f"{NOTIFICATIONS}/preferences", data="{", headers={**headers, "Content-Type":
                                                                          "application/json"}).status_code == 400


def test_a_ready_meari_session_notifies_its_owner(client, make_user):
    _, headers = make_user()
    _, other = make_user()
    started = client.post("/api/v1/meari/sessions", json={"concern": "Too many deadlines this week."},
                          headers=headers)
    assert started.status_code == 202  # JOBS_IMMEDIATE: the builtin composer built it inside the POST
    (note,) = mine(client, headers)
    assert note["type"] == "session_ready" and note["data"]["session_id"] == started.get_json()["session_id"]
    assert note["data"]["url"] == started.headers["Location"]
    assert mine(client, other) == []


def test_with_smtp_host_the_notification_is_emailed(database_url, tmp_path, db, smtp):
    from backend.auth import services
    from backend.extensions import db as app_db
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port)  # a real SMTP server on loopback
    try:
        client = app.test_client()
        with app.app_context():
            user = services.create_user("mail@example.com", "password-123", "Mail")
            headers = {"Authorization": f"Bearer {services.issue_token(user['id'])['token']}"}
            app_db.session.remove()
        prefs = client.put(f"{NOTIFICATIONS}/preferences", json={"email": True}, headers=headers).get_json()
        assert prefs["email_available"] is True
        client.post("/api/v1/auth/password", json={"current_password": "password-123",
                                                   "new_password": "another-pass-456"}, headers=headers)
        result = db.session.execute(select(Job.result).where(Job.kind == "notifications.email")).scalar_one()
        assert result == {"sent": 1, "skipped": 0, "reason": None}
        ((to, message),) = smtp.messages
        assert to == ["mail@example.com"] and message["Subject"]
    finally:
        db.session.rollback()
        with app.app_context():
            app_db.engine.dispose()


def write_transactions(db, action) -> list[list[str]]:
    """The statements of each committed transaction `action()` ran that wrote a row (verb and table)."""
    from sqlalchemy import event

    transactions: list[list[str]] = [[]]

    def statement(conn, cursor, sql, *_):
        transactions[-1].append(" ".join(sql.split()[:3]).replace('"', "").upper())

    def commit(conn):
        transactions.append([])

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)
    return [t for t in transactions if any(s.startswith(("INSERT INTO", "UPDATE")) for s in t)]


def test_a_bookings_notifications_commit_in_its_own_write_transaction(client, db, chef, make_user):
    """One commit per booking and per transition: the notification rows ride in it (staged)."""
    chef_user, chef_headers = chef
    _, headers = make_user()
    created = []
    writes = write_transactions(db, lambda: created.append(book(client, headers, chef_user["chef_id"])))
    assert created[0].status_code == 201
    assert len(writes) == 1, writes  # the booking and both notifications: one transaction, one commit
    assert "INSERT INTO BOOKINGS" in writes[0] and "INSERT INTO NOTIFICATIONS" in writes[0]
    booking_id = created[0].get_json()["id"]
    confirmed = []
    writes = write_transactions(db, lambda: confirmed.append(
        client.post(f"{BOOKINGS}/{booking_id}/confirm", headers=chef_headers)))
    assert confirmed[0].status_code == 200 and len(writes) == 1, writes
    assert "UPDATE BOOKINGS SET" in writes[0] and "INSERT INTO NOTIFICATIONS" in writes[0]
    for who in (headers, chef_headers):
        assert types(mine(client, who)) == ["booking_confirmed", "booking_created"]


def test_a_failing_statement_in_a_stage_hook_is_undone_and_the_booking_commits(client, db, chef, make_user,
                                                                             monkeypatch):
    """A database error inside the hook (PostgreSQL would abort the whole transaction without the savepoint)."""
    from sqlalchemy import insert

    from backend.notifications import subscribers

    def violates_not_null(conn, items):
        conn.execute(insert(Notification.__table__).values(user_id=items[0][0], type="booking_created", title=None,
                                                           body="", data={}, created_at=utcnow()))

    chef_user, _ = chef
    _, headers = make_user()
    monkeypatch.setattr(subscribers, "stage_each", violates_not_null)  # failure injection: a bad INSERT
    created = book(client, headers, chef_user["chef_id"])
    assert created.status_code == 201
    assert client.get(f"{BOOKINGS}/{created.get_json()['id']}", headers=headers).status_code == 200
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_a_failing_stage_hook_is_undone_to_its_savepoint_and_the_booking_stands(client, db, chef, make_user,
                                                                                monkeypatch):
    """The hook stores its rows, then fails: its rows go (SAVEPOINT), the booking is committed, a 201."""
    from backend.notifications import delivery, subscribers

    def stored_then_broken(conn, items):
        delivery.insert_on(conn, items)
        raise RuntimeError("notification store down after its insert")

    chef_user, chef_headers = chef
    _, headers = make_user()
    monkeypatch.setattr(subscribers, "stage_each", stored_then_broken)  # failure injection
    created = book(client, headers, chef_user["chef_id"])
    assert created.status_code == 201
    booking_id = created.get_json()["id"]
    assert client.get(f"{BOOKINGS}/{booking_id}", headers=headers).status_code == 200  # committed
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0
    monkeypatch.undo()
    assert client.post(f"{BOOKINGS}/{booking_id}/confirm", headers=chef_headers).status_code == 200
    assert types(mine(client, headers)) == ["booking_confirmed"]  # the next event is stored again

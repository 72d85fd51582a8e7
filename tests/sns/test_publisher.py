"""The periodic publisher: due posts claimed atomically, sent through the webhook, retried, failed with a reason."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, update

from backend.integrations.fakes import ok, status
from backend.jobs.registry import PERIODIC
from backend.sns import tasks
from backend.sns.models import SnsPost
from tests.sns.conftest import POSTS, account, future, post

PAST = "2020-01-01T00:00:00Z"


def run(app, **kw) -> dict:
    """One publisher run inside an app context."""
    with app.app_context():
        return tasks.publish_due(**kw)


def sent(webhook) -> list[dict]:
    """The JSON bodies the fake relay received."""
    return [json.loads(r.body) for r in webhook.requests]


def test_due_posts_are_published_through_the_webhook_once(webhook_app, webhook, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers, handle="chef_kim", credential="platform-token")
    due = post(client, headers, acc["id"], "due now", media=["https://cdn.example.com/a.png"], scheduled_at=PAST)
    later = post(client, headers, acc["id"], "later", scheduled_at=future())
    draft = post(client, headers, acc["id"], "draft")
    webhook.then(ok({"id": "ext-42"}))
    assert run(webhook_app) == {"claimed": 1, "published": 1, "retry": 0, "failed": 0}
    (request,) = webhook.requests
    assert request.method == "POST" and request.path == "/posts"
    assert request.headers["Idempotency-Key"] == f"sns-post-{due['id']}-r1"
    assert request.headers["Authorization"] == "Bearer relay-key"
    assert sent(webhook)[0] == {"post_id": due["id"], "platform": "x", "handle": "chef_kim",
                                "credential": "platform-token", "content": "due now",
                                "media": ["https://cdn.example.com/a.png"]}
    body = client.get(f"{POSTS}/{due['id']}", headers=headers).get_json()
    assert body["status"] == "published" and body["published_via"] == "webhook" and body["external_id"] == "ext-42"
    assert body["published_at"] is not None and body["error"] is None and body["attempts"] == 1
    assert run(webhook_app)["claimed"] == 0 and len(webhook.requests) == 1  # never twice
    for other, expected in ((later, "scheduled"), (draft, "draft")):
        assert client.get(f"{POSTS}/{other['id']}", headers=headers).get_json()["status"] == expected
    assert PERIODIC["sns.publish_due"].run is tasks.publish_due_periodic


def test_the_worker_schedules_the_publisher_every_minute_and_it_runs_in_an_app_context(app, client, make_user):
    import datetime as dt

    from backend.jobs.extension import Jobs

    huey = Jobs.state(app).huey
    (task,) = [t for t in huey._registry.periodic_tasks if t.name == "sns.publish_due"]
    assert task.validate_datetime(dt.datetime(2026, 1, 1, 12, 34))  # minute="*": due every minute
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    task.execute()  # what the consumer runs on schedule (no app context of its own)
    assert client.get(f"{POSTS}/{p['id']}", headers=headers).get_json()["status"] == "published"


def test_a_transient_failure_is_retried_with_the_same_idempotency_key(webhook_app, webhook, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    webhook.then(status(503), ok())
    assert run(webhook_app)["published"] == 1
    keys = [r.headers["Idempotency-Key"] for r in webhook.requests]
    assert keys == [f"sns-post-{p['id']}-r1"] * 2


def test_a_permanent_failure_marks_the_post_failed_with_its_reason(webhook_app, webhook, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    webhook.then(status(400))
    assert run(webhook_app)["failed"] == 1 and len(webhook.requests) == 1  # a 4xx is not retried
    body = client.get(f"{POSTS}/{p['id']}", headers=headers).get_json()
    assert body["status"] == "failed" and body["error"] == "webhook answered HTTP 400"
    again = client.post(f"{POSTS}/{p['id']}/schedule", json={"scheduled_at": PAST}, headers=headers).get_json()
    assert again["status"] == "scheduled" and again["error"] is None and again["attempts"] == 0
    webhook.then(ok())
    assert run(webhook_app)["published"] == 1
    assert webhook.requests[-1].headers["Idempotency-Key"] == f"sns-post-{p['id']}-r2"  # a new revision


def test_a_relay_that_stays_down_is_retried_across_runs_then_failed(webhook_app, webhook, db, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    webhook.default = status(503)
    outcomes = []
    for _ in range(3):  # SNS_MAX_ATTEMPTS; SNS_RETRY_SECONDS=0 makes each retry due at once
        outcomes.append(run(webhook_app))
    assert [o["retry"] for o in outcomes] == [1, 1, 0] and outcomes[-1]["failed"] == 1
    body = client.get(f"{POSTS}/{p['id']}", headers=headers).get_json()
    assert body["status"] == "failed" and body["attempts"] == 3
    # 3 runs x 2 attempts (SNS_WEBHOOK_ATTEMPTS=2), but the 5th failure opened the circuit breaker
    # (SNS_WEBHOOK_BREAKER_FAILURES default 5): the 6th attempt never left the server.
    assert body["error"].startswith("gave up after 3 attempts: ") and "circuit open" in body["error"]
    assert len(webhook.requests) == 5
    assert len({r.headers["Idempotency-Key"] for r in webhook.requests}) == 1


def test_without_a_webhook_the_local_publisher_says_nothing_was_sent(app, client, make_user):
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    assert run(app)["published"] == 1
    body = client.get(f"{POSTS}/{p['id']}", headers=headers).get_json()
    assert body["status"] == "published" and body["published_via"] == "local" and body["external_id"] is None


def test_a_claimed_post_cannot_be_edited_or_deleted_and_a_stale_result_is_dropped(webhook_app, webhook, db,
                                                                                  make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    p = post(client, headers, acc["id"], scheduled_at=PAST)
    with webhook_app.app_context():
        token, ids = tasks.claim(10)
    assert ids == [p["id"]]
    for response in (client.patch(f"{POSTS}/{p['id']}", json={"content": "x"}, headers=headers),
                     client.delete(f"{POSTS}/{p['id']}", headers=headers)):
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "post_publishing"
    # The claim's lease passes (a dead worker): the owner may edit, and the old claim's result is dropped.
    db.session.execute(update(SnsPost).where(SnsPost.id == p["id"]).values(next_attempt_at=SnsPost.scheduled_at))
    db.session.commit()
    assert client.patch(f"{POSTS}/{p['id']}", json={"content": "new"}, headers=headers).status_code == 200
    with webhook_app.app_context():
        tasks._record(p["id"], token, {"status": "published"})
    assert client.get(f"{POSTS}/{p['id']}", headers=headers).get_json()["status"] == "scheduled"


def test_concurrent_workers_never_publish_one_post_twice(webhook_app, webhook, db, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    rows = [{"account_id": acc["id"], "owner_id": acc_owner(db, acc["id"]), "content": f"p{i}", "media": [],
             "status": "scheduled", "scheduled_at": tasks.utcnow(), "next_attempt_at": tasks.utcnow(), "attempts": 0,
             "revision": 1, "created_at": tasks.utcnow(), "updated_at": tasks.utcnow()} for i in range(60)]
    db.session.execute(SnsPost.__table__.insert(), rows)
    db.session.commit()
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            while run(webhook_app, limit=4)["claimed"]:
                pass
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    posted = [b["post_id"] for b in sent(webhook)]
    assert len(posted) == 60 and len(set(posted)) == 60
    statuses = db.session.execute(select(SnsPost.status).where(SnsPost.account_id == acc["id"])).scalars().all()
    assert statuses == ["published"] * 60


def acc_owner(db, account_id: int) -> int:
    """The owner of an account (posts carry it)."""
    from backend.sns.models import SnsAccount

    return db.session.execute(select(SnsAccount.owner_id).where(SnsAccount.id == account_id)).scalar_one()


@pytest.mark.pg_only
def test_claims_under_concurrency_are_disjoint_on_postgresql(webhook_app, db, make_user):
    client = webhook_app.test_client()
    _, headers = make_user()
    acc = account(client, headers)
    owner = acc_owner(db, acc["id"])
    now = tasks.utcnow()
    db.session.execute(SnsPost.__table__.insert(), [
        {"account_id": acc["id"], "owner_id": owner, "content": f"p{i}", "media": [], "status": "scheduled",
         "scheduled_at": now, "next_attempt_at": now, "attempts": 0, "revision": 1, "created_at": now,
         "updated_at": now} for i in range(200)])
    db.session.commit()
    barrier = threading.Barrier(8)
    claimed: list[list[int]] = []

    def worker():
        barrier.wait()
        with webhook_app.app_context():
            mine = []
            while True:
                _, ids = tasks.claim(7)
                if not ids:
                    break
                mine += ids
            claimed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    flat = [i for ids in claimed for i in ids]
    assert len(claimed) == 8 and len(flat) == 200 and len(set(flat)) == 200

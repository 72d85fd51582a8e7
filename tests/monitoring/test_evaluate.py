"""The evaluator against loopback fakes: fire once, dedupe, `for`, resolve, cooldown, silence, escalation, claims."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from backend.integrations.fakes import status
from backend.monitoring.channels import SIGNATURE_HEADER, verify_signature
from tests.monitoring.conftest import ADMIN, SECRET, clear_jobs, queue_jobs, t0, tick

S = dt.timedelta(seconds=30)


def rule(client, headers, **fields):
    body = {"name": "queue backed up", "metric": "jobs.queue_depth", "comparison": "gt", "threshold": 2,
            "window_seconds": 60, "severity": "critical", "channels": ["slack"], **fields}
    response = client.post(f"{ADMIN}/alerts/rules", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def alerts(client, headers):
    return client.get(f"{ADMIN}/monitoring/alerts", headers=headers).get_json()


def test_a_breach_fires_once_then_resolves(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers)
    start = t0()
    assert tick(monitor_app, start)["deliveries"] == 0  # nothing queued: no alert
    queue_jobs(monitor_app, 3)
    assert tick(monitor_app, start + S)["deliveries"] == 1
    (message,) = [json.loads(r.body) for r in slack.requests]
    assert slack.requests[0].path == "/services/T0/B0/XYZ"  # the webhook URL itself, no trailing slash
    assert "FIRING" in message["text"] and "queue backed up" in message["text"] and "= 3" in message["text"]
    for n in range(2, 5):  # still breached: the same alert, no second message
        assert tick(monitor_app, start + n * S)["deliveries"] == 0
    now = alerts(client, headers)
    assert [a["status"] for a in now["active"]] == ["firing"] and now["active"][0]["value"] == 3
    clear_jobs(monitor_app)
    tick(monitor_app, start + 5 * S)
    assert "RESOLVED" in json.loads(slack.requests[-1].body)["text"] and len(slack.requests) == 2
    now = alerts(client, headers)
    assert now["active"] == [] and now["recent"][0]["status"] == "resolved"


def test_for_duration_holds_the_alert_pending(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, for_seconds=60)
    queue_jobs(monitor_app, 5)
    start = t0()
    tick(monitor_app, start)
    tick(monitor_app, start + S)
    assert alerts(client, headers)["active"][0]["status"] == "pending" and slack.requests == []
    tick(monitor_app, start + 2 * S)
    assert alerts(client, headers)["active"][0]["status"] == "firing" and len(slack.requests) == 1


def test_cooldown_reopens_the_same_alert_without_a_second_message(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, cooldown_seconds=300)
    start = t0()
    queue_jobs(monitor_app, 3)
    tick(monitor_app, start)
    clear_jobs(monitor_app)
    tick(monitor_app, start + S)  # resolved (message 2)
    queue_jobs(monitor_app, 3)
    tick(monitor_app, start + 2 * S)  # flapping back within the cooldown
    history = client.get(f"{ADMIN}/alerts/history", headers=headers).get_json()
    assert history["total"] == 1 and history["items"][0]["status"] == "firing"
    assert len(slack.requests) == 2


def test_unacknowledged_alert_escalates_to_the_next_channel(monitor_app, admin, slack, hook):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, channels=["slack", "webhook"], escalate_after_seconds=90)
    queue_jobs(monitor_app, 3)
    start = t0()
    tick(monitor_app, start)
    tick(monitor_app, start + S)
    tick(monitor_app, start + 2 * S)
    assert len(slack.requests) == 1 and hook.requests == []  # 60 s: not yet
    tick(monitor_app, start + 3 * S)  # 90 s after the first notice, unacknowledged
    (sent,) = hook.requests
    body = json.loads(sent.body)
    assert body["kind"] == "escalation" and body["alerts"][0]["rule"] == "queue backed up"
    assert verify_signature(SECRET, sent.headers[SIGNATURE_HEADER], sent.body)
    assert not verify_signature("another-secret", sent.headers[SIGNATURE_HEADER], sent.body)
    assert alerts(client, headers)["active"][0]["level"] == 1


def test_acknowledged_alert_does_not_escalate(monitor_app, admin, slack, hook):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, channels=["slack", "webhook"], escalate_after_seconds=30)
    queue_jobs(monitor_app, 3)
    start = t0()
    tick(monitor_app, start)
    alert_id = alerts(client, headers)["active"][0]["id"]
    acked = client.post(f"{ADMIN}/alerts/{alert_id}/ack", headers=headers)
    assert acked.status_code == 200 and acked.get_json()["status"] == "acknowledged"
    for n in range(1, 4):
        tick(monitor_app, start + n * S)
    assert hook.requests == [] and len(slack.requests) == 1


def test_default_escalation_delay_and_email_channel(monitor_app, admin, slack, smtp):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, channels=["slack", "email"])  # escalate_after null: MONITORING_ESCALATE_SECONDS=120
    queue_jobs(monitor_app, 3)
    start = t0()
    for n in range(4):
        tick(monitor_app, start + n * S)
    assert smtp.messages == []
    tick(monitor_app, start + 4 * S)
    ((to, message),) = smtp.messages
    assert to == ["oncall@example.com"] and "ESCALATED" in message["Subject"]
    assert message["From"] == "alerts@softfactory.test" and "queue backed up" in message.get_payload()


def test_silence_holds_messages_until_it_ends(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    made = rule(client, headers)
    start = t0()
    silence = client.post(f"{ADMIN}/alerts/silences", headers=headers, json={
        "rule_id": made["id"], "reason": "deploy", "starts_at": (start - S).isoformat() + "Z",
        "duration_seconds": 3600}).get_json()
    queue_jobs(monitor_app, 3)
    tick(monitor_app, start)
    tick(monitor_app, start + S)
    active = alerts(client, headers)["active"]
    assert slack.requests == [] and active[0]["status"] == "firing" and active[0]["silenced"] is True
    assert client.delete(f"{ADMIN}/alerts/silences/{silence['id']}", headers=headers).status_code == 204
    tick(monitor_app, start + 2 * S)
    assert len(slack.requests) == 1


def test_grouped_alerts_go_out_as_one_message(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers, name="queue a", group="jobs")
    rule(client, headers, name="queue b", threshold=1, group="jobs")
    queue_jobs(monitor_app, 3)
    assert tick(monitor_app, t0())["deliveries"] == 1
    (message,) = [json.loads(r.body)["text"] for r in slack.requests]
    assert "2 alert(s)" in message and "queue a" in message and "queue b" in message


def test_a_failed_delivery_is_retried_next_tick(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers)
    queue_jobs(monitor_app, 3)
    slack.then(status(500))
    start = t0()
    assert tick(monitor_app, start)["deliveries"] == 0
    assert alerts(client, headers)["active"][0]["level"] == -1  # given back
    assert tick(monitor_app, start + S)["deliveries"] == 1
    assert len(slack.requests) == 2


def test_unconfigured_channel_is_skipped_with_the_reason(database_url, tmp_path, make_user):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.monitoring.models import Delivery
    from tests.conftest import make_app, wipe

    app = make_app(database_url, tmp_path)
    try:
        with app.app_context():
            from backend.auth import services

            user = services.create_user("solo@example.com", "password-123", "Solo", "admin")
            headers = {"Authorization": f"Bearer {services.issue_token(user['id'])['token']}"}
            db.session.remove()
        rule(app.test_client(), headers)
        queue_jobs(app, 3)
        tick(app, t0())
        with app.app_context():
            (row,) = db.session.execute(select(Delivery)).scalars()
            assert row.status == "skipped" and "ALERTS_SLACK_BASE_URL" in row.error
            db.session.remove()
    finally:
        wipe(app)


def test_each_tick_is_evaluated_once_however_many_evaluators(monitor_app, admin, slack):
    client, (_, headers) = monitor_app.test_client(), admin
    rule(client, headers)
    queue_jobs(monitor_app, 3)
    at = t0()
    results, barrier = [], threading.Barrier(6)

    def run():
        barrier.wait()
        results.append(tick(monitor_app, at))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
    assert len(slack.requests) == 1
    assert tick(monitor_app, at) is None  # the same tick again: already taken
    history = client.get(f"{ADMIN}/alerts/history", headers=headers).get_json()
    assert history["total"] == 1


@pytest.mark.parametrize("per_endpoint", [False, True])
def test_windowed_http_metrics_from_traffic(monitor_app, admin, per_endpoint):
    client, (_, headers) = monitor_app.test_client(), admin
    start = t0()
    tick(monitor_app, start)  # the first sample: the window's start
    for _ in range(4):
        assert client.get(f"{ADMIN}/alerts/rules/999", headers=headers).status_code == 404
    metrics = client.get(f"{ADMIN}/monitoring/metrics", headers=headers,
                         query_string={"window_seconds": 60, "per_endpoint": per_endpoint}).get_json()
    by_name = {m["name"]: m for m in metrics["items"]}
    assert metrics["sampled_at"] is not None
    rate = by_name["http.client_error_rate"]["series"]
    if per_endpoint:
        (row,) = [s for s in rate if s["labels"] == {"endpoint": "monitoring.get_rule"}]
        assert row["value"] == 1.0
    else:
        assert rate[0]["labels"] == {} and 0 < rate[0]["value"] <= 1
    assert by_name["http.p95_latency_ms"]["series"][0]["value"] > 0
    assert by_name["jobs.queue_depth"]["series"] == [{"labels": {}, "value": 0.0}]
    health = {s["labels"]["check"]: s["value"] for s in by_name["health.status"]["series"]}
    assert health["database"] == 0.0

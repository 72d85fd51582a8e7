"""The evaluator's and the lists' reads use indexes: active alerts, history by status, a fingerprint's last alert,
the window's sample; and the history page costs the same statements at per_page=1 and 100."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, text

from backend.monitoring.models import ACTIVE, Alert, MetricSample
from tests.conftest import statements
from tests.monitoring.conftest import ADMIN


def seed(engine, n=6000):
    now = dt.datetime(2026, 1, 1)
    rows = [{"rule_name": "r", "metric": "jobs.failed", "fingerprint": f"fp{i % 400}" if i % 1000 else f"active{i}",
             "labels": {}, "group_key": "g",
             "severity": "warning", "status": "firing" if i % 1000 == 0 else "resolved", "value": 1.0,
             "threshold": 0.0, "silenced": False, "level": 0, "started_at": now, "updated_at": now,
             "resolved_at": None if i % 1000 == 0 else now} for i in range(n)]
    samples = [{"taken_at": now + dt.timedelta(seconds=30 * i), "counters": {}} for i in range(3000)]
    with engine.begin() as conn:
        conn.execute(insert(Alert), rows)
        conn.execute(insert(MetricSample), samples)
        # Only these tables: a bare ANALYZE on PostgreSQL visits every schema of the database (other
        # test processes' tables too) and can deadlock with their TRUNCATEs.
        for table in ("monitoring_alerts", "monitoring_samples"):
            conn.exec_driver_sql(f"ANALYZE {table}")


def plan(engine, statement) -> str:
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        return "\n".join(str(r[-1]) for r in conn.execute(text(prefix + str(compiled))))


def test_reads_use_indexes(app, db):
    seed(db.engine)
    before = dt.datetime(2026, 1, 1, 5)
    queries = {
        "active": select(Alert).where(Alert.status.in_(ACTIVE)),
        "history by status": select(Alert).where(Alert.status == "firing").order_by(Alert.id.desc()).limit(20),
        "last of a fingerprint": select(Alert).where(Alert.fingerprint == "fp7").order_by(Alert.id.desc()).limit(1),
        "sample of a window": select(MetricSample).where(MetricSample.taken_at <= before)
        .order_by(MetricSample.taken_at.desc()).limit(1),
    }
    for name, query in queries.items():
        shown = plan(db.engine, query)
        if db.engine.dialect.name == "sqlite":
            assert "USING INDEX" in shown or "USING COVERING INDEX" in shown, (name, shown)
        else:
            assert "Seq Scan" not in shown, (name, shown)


def test_history_statements_do_not_grow_with_the_page(monitor_app, admin):
    from backend.extensions import db

    with monitor_app.app_context():
        seed(db.engine, 300)
        db.session.remove()
    client, (_, headers) = monitor_app.test_client(), admin
    one = client.get(f"{ADMIN}/alerts/history", headers=headers, query_string={"per_page": 1})
    many = client.get(f"{ADMIN}/alerts/history", headers=headers, query_string={"per_page": 100})
    assert len(many.get_json()["items"]) == 100 and statements(one) == statements(many)
    for n in range(3):
        client.post(f"{ADMIN}/incidents", headers=headers, json={"title": f"i{n}", "alert_ids": [1, 2, 3]})
    one = client.get(f"{ADMIN}/incidents", headers=headers, query_string={"per_page": 1})
    many = client.get(f"{ADMIN}/incidents", headers=headers, query_string={"per_page": 100})
    assert many.get_json()["items"][0]["alert_count"] == 3 and statements(one) == statements(many)

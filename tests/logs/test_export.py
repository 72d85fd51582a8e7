"""Log exports on every backend: POST /admin/logs/export -> 202 + the export job, then the file as NDJSON
or CSV under /api/v1/exports (the search's filters, newest first, every row once across keyset pages,
formula-safe CSV cells, the row cap), admin only, bad input 422 naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import insert

from backend.common.models import utcnow
from backend.extensions import db as _db
from backend.logs import export as log_export
from backend.logs.models import LogEntry
from tests.conftest import make_app
from tests.logs.test_store import seed_rows

EXPORT = "/api/v1/admin/logs/export"


@pytest.fixture
def export_app(database_url, tmp_path, app):
    return make_app(database_url, tmp_path, LOG_STORE_ENABLED=False)


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def export_file(client, headers, **body):
    """POST the export (the job runs inside the POST in tests), then its status and the downloaded file."""
    response = client.post(EXPORT, headers=headers, json=body)
    assert response.status_code == 202, response.get_json()
    accepted = response.get_json()
    assert response.headers["Location"] == accepted["status_url"] and response.headers["Cache-Control"] == "no-store"
    status = client.get(accepted["status_url"], headers=headers).get_json()
    assert status["status"] == "ready", status
    file = client.get(status["download_url"], headers=headers)
    assert file.status_code == 200
    return status, file


def test_ndjson_holds_the_matching_lines_newest_first(export_app, admin):
    seed_rows(export_app, 30)
    status, file = export_file(export_app.test_client(), admin, level="error", path="/api/v1/p1")
    assert file.mimetype == "application/x-ndjson" and status["kind"] == "logs_ndjson"
    lines = [json.loads(line) for line in file.data.decode().splitlines()]
    # seed_rows: odd i are errors, i % 3 == 1 is /p1, created_at = now - i seconds
    expected = [f"seed-{i}" for i in range(30) if i % 2 and i % 3 == 1]
    assert [line["request_id"] for line in lines] == expected == [f"seed-{i}" for i in (1, 7, 13, 19, 25)]
    assert status["rows"] == len(expected)
    assert set(lines[0]) >= {"id", "created_at", "level", "logger", "message", "method", "path", "status", "data"}
    assert lines[0]["created_at"].endswith("Z") and lines[0]["status"] == 404
    assert status["filename"] == "logs-start-now.ndjson"


def test_every_row_once_across_pages_even_when_many_share_an_instant(export_app, admin, monkeypatch):
    monkeypatch.setattr(log_export, "PAGE", 7)
    at = utcnow().replace(microsecond=0)
    with export_app.app_context(), _db.engine.begin() as conn:
        conn.execute(insert(LogEntry), [
            {"created_at": at - dt.timedelta(seconds=i // 10), "level": "warning", "logger": "t", "message": f"m{i}",
             "request_id": f"tie-{i}", "data": {}} for i in range(45)])
    _, file = export_file(export_app.test_client(), admin, format="ndjson")
    ids = [json.loads(line)["id"] for line in file.data.decode().splitlines()]
    assert len(ids) == len(set(ids)) == 45
    keys = [(json.loads(line)["created_at"], json.loads(line)["id"]) for line in file.data.decode().splitlines()]
    assert keys == sorted(keys, reverse=True)


def test_csv_has_a_header_and_formula_safe_cells(export_app, admin):
    seed_rows(export_app, 1, message='=HYPERLINK("http://evil.example","x")', path="+cmd|' /C calc'!A0")
    status, file = export_file(export_app.test_client(), admin, format="csv", q="HYPERLINK")
    assert file.mimetype == "text/csv" and status["filename"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(file.data.decode())))
    assert list(rows[0]) == log_export.FIELDS
    assert len(rows) == 1
    assert rows[0]["message"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert rows[0]["path"].startswith("'+") and rows[0]["request_id"] == "seed-0"


def test_the_row_cap_bounds_an_export(database_url, tmp_path, app, admin):
    capped = make_app(database_url, tmp_path, LOG_STORE_ENABLED=False, LOGS_EXPORT_MAX_ROWS=12)
    seed_rows(capped, 40)
    status, file = export_file(capped.test_client(), admin)
    assert status["rows"] == 12 and len(file.data.decode().splitlines()) == 12


def test_log_exports_are_for_admins_only(export_app, make_user):
    client = export_app.test_client()
    assert client.post(EXPORT, json={}).status_code == 401
    user = make_user("user")[1]
    response = client.post(EXPORT, headers=user, json={})
    assert response.status_code == 403
    # the generic route refuses the kind for a non-admin too
    generic = client.post("/api/v1/exports", headers=user, json={"kind": "logs_csv", "params": {}})
    assert generic.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"format": "xml"}, "format"), ({"level": "loud"}, "level"), ({"since": "yesterday"}, "since"),
    ({"until": "9999-01-01T00:00:00"}, "until"), ({"q": ""}, "q"), ({"colour": "red"}, "colour"),
    ({"path": "x" * 301}, "path"),
])
def test_bad_export_input_is_a_422_naming_the_field(export_app, admin, body, field):
    response = export_app.test_client().post(EXPORT, headers=admin, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in json.dumps(response.get_json()["error"]["details"])

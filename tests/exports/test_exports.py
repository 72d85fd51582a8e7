"""Exports through the API: 202 + job, status, owner-only download, validation per kind, roles, retention."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from backend.common.models import utcnow
from backend.exports import services
from backend.exports.models import Export
from backend.jobs.registry import PERIODIC
from tests.exports.conftest import EXPORTS, JAPANESE, KOREAN, download, pdf_text, request


def test_post_answers_202_then_the_owner_downloads_a_pdf(client, cast):
    guest = cast["headers"]["guest"]
    response = request(client, guest, "booking_receipt", booking_id=cast["booking"]["id"])
    assert response.status_code == 202 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert response.headers["Location"] == f"{EXPORTS}/{body['id']}" == body["status_url"]
    assert len(body["job_id"]) == 36 and "/api/v1/events/jobs/" in body["stream_url"]
    # JOBS_IMMEDIATE: the job ran inside the POST.
    status = client.get(body["status_url"], headers=guest).get_json()
    assert status["status"] == "ready" and status["progress"] == 100 and status["rows"] == 1
    assert status["content_type"] == "application/pdf" and status["size"] > 1000
    assert status["download_url"] == f"{EXPORTS}/{body['id']}/download"
    assert status["expires_at"] > status["finished_at"]
    file = download(client, guest, body["id"])
    assert file.status_code == 200 and file.mimetype == "application/pdf" and file.data.startswith(b"%PDF-")
    assert file.headers["Content-Disposition"] == (
        f"attachment; filename=\"receipt-{cast['booking']['id']}.pdf\"; "
        f"filename*=UTF-8''receipt-{cast['booking']['id']}.pdf")
    assert "no-store" in file.headers["Cache-Control"] and file.headers["X-Content-Type-Options"] == "nosniff"
    text, _ = pdf_text(file.data)
    assert KOREAN in text and JAPANESE in text and f"#{cast['booking']['id']}" in text


def test_a_non_ascii_file_name_has_an_ascii_fallback_and_an_rfc5987_name(client, cast):
    month = cast["booking"]["date"][:7]
    body = request(client, cast["headers"]["chef"], "chef_monthly_statement", month=month).get_json()
    assert body["status"] == "ready" and body["filename"] == f"statement-{month}-{KOREAN}.pdf"
    disposition = download(client, cast["headers"]["chef"], body["id"]).headers["Content-Disposition"]
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == f"statement-{month}.pdf" and fallback.isascii()
    assert disposition.endswith(f"filename*=UTF-8''statement-{month}-%EA%B9%80%EB%AF%BC%EC%A4%80.pdf")
    assert services.content_disposition('a"b\r\n;c/..\\d.pdf').startswith('attachment; filename="a_b_c_.._d.pdf"')


def test_only_the_owner_sees_or_downloads_an_export(client, cast):
    headers = cast["headers"]
    export_id = request(client, headers["guest"], "booking_receipt", booking_id=cast["booking"]["id"]).get_json()["id"]
    for who in ("stranger", "admin", "chef"):
        for url in (f"{EXPORTS}/{export_id}", f"{EXPORTS}/{export_id}/download"):
            response = client.get(url, headers=headers[who])
            assert response.status_code == 404 and response.get_json()["error"]["code"] == "export_not_found", who
    assert client.get(f"{EXPORTS}/{export_id}/download").status_code == 401
    assert client.get(f"{EXPORTS}/999999", headers=headers["guest"]).status_code == 404
    # A receipt of someone else's booking is refused at the request, as the booking's 404.
    refused = request(client, headers["stranger"], "booking_receipt", booking_id=cast["booking"]["id"])
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "booking_not_found"
    # The chef of the booking may have its receipt too.
    assert request(client, headers["chef"], "booking_receipt", booking_id=cast["booking"]["id"]).status_code == 202


def test_unknown_kinds_and_bad_params_are_422_naming_the_field(client, cast):
    guest = cast["headers"]["guest"]
    unknown = request(client, guest, "everything")
    assert unknown.status_code == 422 and "booking_receipt" in unknown.get_json()["error"]["details"]["fields"]["kind"]
    cases = [("booking_receipt", {}, "params.booking_id"),
             ("booking_receipt", {"booking_id": 2**63}, "params.booking_id"),
             ("booking_receipt", {"booking_id": 1, "extra": 1}, "params.extra"),
             ("my_bookings", {"from": "2026-02-01", "to": "2026-01-01"}, "params"),
             ("my_bookings", {"from": "2000-01-01", "to": "2026-01-01"}, "params"),
             ("my_bookings", {"from": "\x00", "to": "2026-01-01"}, "params"),
             ("chef_monthly_statement", {"month": "2026-13"}, "params.month"),
             ("admin_kpi_report", {"from": "2025-01-01", "to": "2026-06-01"}, "params")]
    for kind, params, field in cases:
        response = client.post(EXPORTS, headers=guest if kind != "admin_kpi_report" else cast["headers"]["admin"],
                               json={"kind": kind, "params": params})
        assert response.status_code == 422, (kind, params, response.get_json())
        assert field in response.get_json()["error"]["details"]["fields"], (kind, params, response.get_json())
    for body in ({"params": {}}, {"kind": None}, {"kind": "x" * 41}, {"kind": "my_bookings", "params": []}):
        assert client.post(EXPORTS, headers=guest, json=body).status_code == 422, body


def test_kinds_for_one_role_are_403_for_the_others(client, cast):
    headers = cast["headers"]
    for who in ("guest", "chef"):
        response = request(client, headers[who], "admin_kpi_report", **{"from": "2026-01-01", "to": "2026-01-31"})
        assert response.status_code == 403
    for who in ("guest", "admin"):
        assert request(client, headers[who], "chef_monthly_statement", month="2026-01").status_code == 403


def test_a_download_before_the_file_exists_is_409(client, db, cast):
    db.session.execute(insert(Export).values(user_id=cast["guest"]["id"], kind="my_bookings", params={},
                                             status="running", created_at=utcnow()))
    db.session.commit()
    export_id = db.session.execute(select(Export.id).where(Export.status == "running")).scalar_one()
    response = download(client, cast["headers"]["guest"], export_id)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "export_not_ready"


def test_a_render_that_fails_marks_the_export_failed(app, client, db, cast):
    guest = cast["headers"]["guest"]
    export_id = request(client, guest, "booking_receipt", booking_id=cast["booking"]["id"]).get_json()["id"]
    db.session.execute(update(Export).where(Export.id == export_id).values(params={"booking_id": 987654}))
    db.session.commit()
    with app.app_context():
        from backend.jobs.services import enqueue

        job = enqueue(services.KIND, {"export_id": export_id}, cast["guest"]["id"])
    assert job["status"] == "failed" and job["error"]["code"] == "booking_not_found"
    status = client.get(f"{EXPORTS}/{export_id}", headers=guest).get_json()
    assert status["status"] == "failed" and status["error"]["code"] == "booking_not_found"
    assert status["download_url"] is None


def test_files_are_deleted_after_the_retention_period(app, client, db, cast):
    assert PERIODIC["exports.purge"].minute == "*/15"
    guest = cast["headers"]["guest"]
    body = request(client, guest, "booking_receipt", booking_id=cast["booking"]["id"]).get_json()
    with app.app_context():
        stored = db.session.execute(select(Export.stored_name).where(Export.id == body["id"])).scalar_one()
        path = services.storage.path_of(stored)
        assert path.is_file()
        assert services.purge_expired() == 0  # not due yet
        hours = app.config["EXPORTS_RETENTION_HOURS"]
        assert services.purge_expired(utcnow() + dt.timedelta(hours=hours, minutes=1)) == 1
    assert not path.exists()
    status = client.get(body["status_url"], headers=guest).get_json()
    assert status["status"] == "expired" and status["download_url"] is None
    gone = download(client, guest, body["id"])
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "export_expired"


def test_a_ready_export_notifies_its_owner_and_shows_on_the_dashboard(client, cast):
    guest = cast["headers"]["guest"]
    export_id = request(client, guest, "booking_receipt", booking_id=cast["booking"]["id"]).get_json()["id"]
    items = client.get("/api/v1/notifications", headers=guest).get_json()["items"]
    ready = [n for n in items if n["type"] == "export_ready"]
    assert len(ready) == 1 and ready[0]["data"] == {"export_id": export_id, "kind": "booking_receipt",
                                                    "url": f"{EXPORTS}/{export_id}/download"}
    recent = client.get("/api/v1/dashboard", headers=guest).get_json()["user"]["recent_exports"]
    assert recent[0]["id"] == export_id and recent[0]["status"] == "ready"

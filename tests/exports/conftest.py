"""Exports fixtures: accounts with Korean, Japanese and Chinese names, a booking between them, PDF text."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from backend.auth import services as auth_services
from backend.extensions import db as app_db

EXPORTS = "/api/v1/exports"
KOREAN, JAPANESE, CHINESE = "김민준", "田中太郎", "王小明"


def pdf_text(data: bytes) -> tuple[str, int]:
    """(the text of every page, page count), extracted with pypdf.

    fpdf2 encodes CID-keyed CFF fonts (Noto Sans CJK is one) through an embedded CMap with 2-byte
    codes; pypdf decodes each code's high byte as a character of its own, U+0000, so NULs are
    dropped (poppler's pdftotext, checked in test_render.py, reads the same files without them).
    """
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "").replace("\x00", "") for page in reader.pages), len(reader.pages)


def request(client, headers, kind: str, **params):
    """POST an export; the response."""
    return client.post(EXPORTS, headers=headers, json={"kind": kind, "params": params})


def download(client, headers, export_id: int):
    """GET an export's file; the response."""
    return client.get(f"{EXPORTS}/{export_id}/download", headers=headers)


@pytest.fixture
def cast(app, client):
    """A Korean chef, a Japanese guest with a booking of that chef, a Chinese admin, and a stranger."""
    with app.app_context():
        chef = auth_services.create_user("chef@example.com", "password-123", KOREAN, "chef",
                                         {"cuisine_type": "korean", "location": "서울", "price_per_session": 120.0})
        guest = auth_services.create_user("guest@example.com", "password-123", JAPANESE, "user", None)
        admin = auth_services.create_user("admin@example.com", "password-123", CHINESE, "admin", None)
        stranger = auth_services.create_user("stranger@example.com", "password-123", "Stranger", "user", None)
        headers = {name: {"Authorization": f"Bearer {auth_services.issue_token(u['id'])['token']}"}
                   for name, u in (("chef", chef), ("guest", guest), ("admin", admin), ("stranger", stranger))}
        app_db.session.remove()
    day = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=4)).isoformat()
    booking = client.post("/api/v1/coocook/bookings", headers=headers["guest"],
                          json={"chef_id": chef["chef_id"], "date": day, "slot": "dinner", "guests": 3})
    assert booking.status_code == 201
    return {"chef": chef, "guest": guest, "admin": admin, "headers": headers, "booking": booking.get_json()}

"""Notifications fixtures: a chef, booking helpers and a reader of a user's notifications."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events.test_stream import events_server  # noqa: F401  (a real gunicorn event server)
from tests.monitoring.conftest import smtp  # noqa: F401  (a real SMTP server on loopback, aiosmtpd)

BOOKINGS = "/api/v1/coocook/bookings"
NOTIFICATIONS = "/api/v1/notifications"


def day(days: int = 0) -> str:
    """A date `days` from the service's today (UTC)."""
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def book(client, headers, chef_id, date=None, slot="dinner"):
    """POST a booking; the response."""
    return client.post(BOOKINGS, json={"chef_id": chef_id, "date": date or day(1), "slot": slot, "guests": 2},
                       headers=headers)


def mine(client, headers, **query) -> list[dict]:
    """Every notification of the signed-in user, as listed (unread first, newest first)."""
    response = client.get(NOTIFICATIONS, query_string={"per_page": 100, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


@pytest.fixture
def chef(make_user):
    """A chef account (user, header) with its profile."""
    return make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=150.0)

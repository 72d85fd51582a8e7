"""Monitoring fixtures: an app wired to loopback fakes (Slack, webhook, SMTP), admin headers, clock helpers."""

from __future__ import annotations

import datetime as dt
import socket
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from backend.common.models import utcnow
from backend.integrations.fakes import FakeProvider
from tests.conftest import make_app, wipe

ADMIN = "/api/v1/admin"
SECRET = "webhook-secret-for-tests"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts (or answers a scripted status)."""

    def __init__(self):
        self.messages: list = []
        self.replies: list[str] = []  # next DATA answers, e.g. "451 try later"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        if self.replies:
            return self.replies.pop(0)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on loopback (aiosmtpd), its Inbox and port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def slack():
    """A fake Slack incoming webhook."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def hook():
    """A fake generic webhook receiver."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def monitor_app(database_url, tmp_path, slack, hook, smtp):
    """The app with Slack, the webhook and SMTP pointing at the fakes (one attempt per call: fast failures)."""
    app = make_app(database_url, tmp_path, ALERTS_SLACK_BASE_URL=f"{slack.url}/services/T0/B0/XYZ",
                   ALERTS_WEBHOOK_BASE_URL=f"{hook.url}/hooks/alerts", ALERTS_WEBHOOK_SECRET=SECRET,
                   ALERTS_SLACK_ATTEMPTS=1, ALERTS_WEBHOOK_ATTEMPTS=1, SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                   SMTP_FROM="alerts@softfactory.test", SMTP_ATTEMPTS=1, MONITORING_EMAIL_TO="oncall@example.com",
                   MONITORING_ESCALATE_SECONDS=120, MONITORING_EVAL_SECONDS=30)
    yield app
    wipe(app)


@pytest.fixture
def admin(monitor_app):
    """(user, headers) of an admin on monitor_app."""
    from backend.auth import services
    from backend.extensions import db

    with monitor_app.app_context():
        user = services.create_user(f"ops{uuid.uuid4().hex[:6]}@example.com", "password-123", "Ops", "admin")
        token = services.issue_token(user["id"])["token"]
        db.session.remove()
    return user, {"Authorization": f"Bearer {token}"}


def queue_jobs(app, n: int) -> None:
    """Put `n` queued rows in the jobs table (what jobs.queue_depth counts)."""
    from backend.extensions import db
    from backend.jobs.models import Job

    with app.app_context():
        for _ in range(n):
            db.session.add(Job(id=str(uuid.uuid4()), kind="jobs.demo", status="queued", priority="normal",
                               payload={}, created_at=utcnow(), updated_at=utcnow()))
        db.session.commit()
        db.session.remove()


def clear_jobs(app) -> None:
    """Empty the jobs table."""
    from sqlalchemy import delete

    from backend.extensions import db
    from backend.jobs.models import Job

    with app.app_context():
        db.session.execute(delete(Job))
        db.session.commit()
        db.session.remove()


def tick(app, at: dt.datetime):
    """Run the evaluation tick `at` falls in (None: another evaluator had it)."""
    from backend.extensions import db
    from backend.monitoring.evaluate import evaluate_tick

    with app.app_context():
        try:
            return evaluate_tick(app, at)
        finally:
            db.session.remove()


def t0() -> dt.datetime:
    """A tick boundary in the recent past (naive UTC), so +30 s steps are one tick each."""
    now = utcnow().replace(microsecond=0)
    return now - dt.timedelta(seconds=now.second % 30 + 600)

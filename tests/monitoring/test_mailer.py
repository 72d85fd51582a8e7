"""The one SMTP sender against a real SMTP server on loopback (aiosmtpd): send, retry 4xx, refuse on 5xx."""

from __future__ import annotations

import pytest

from backend.integrations.mailer import Email, Mailer, MailError, settings_from
from tests.monitoring.conftest import free_port


def make(port: int, **extra) -> Mailer:
    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_FROM": "ops@softfactory.test", "SMTP_TIMEOUT": 2,
              **extra}
    waits: list[float] = []
    mailer = Mailer(settings_from(config), sleep=waits.append)
    mailer.waits = waits
    return mailer


def test_sends_a_message(smtp):
    mailer = make(smtp.port)
    assert mailer.configured and mailer.settings.security == "none"  # loopback default
    assert mailer.send(Email("jane@example.com", "Subject\r\nBcc: evil@example.com", "body text"))
    ((to, message),) = smtp.messages
    assert to == ["jane@example.com"] and message["Subject"] == "Subject  Bcc: evil@example.com"
    assert message["Bcc"] is None and message.get_payload().strip() == "body text"


def test_transient_reply_is_retried_and_final_reply_is_not(smtp):
    mailer = make(smtp.port)
    smtp.replies = ["451 4.3.0 try again later"]
    assert mailer.send(Email("a@example.com", "s", "t")) and len(smtp.messages) == 1 and len(mailer.waits) == 1
    smtp.replies = ["554 5.7.1 rejected"]
    with pytest.raises(MailError) as caught:
        mailer.deliver(Email("a@example.com", "s", "t"))
    assert not caught.value.transient and "554" in str(caught.value)
    assert len(mailer.waits) == 1  # no retry of a final refusal


def test_unreachable_server_fails_after_its_attempts():
    mailer = make(free_port(), SMTP_ATTEMPTS=2)
    assert mailer.send(Email("a@example.com", "s", "t")) is False
    assert len(mailer.waits) == 1


def test_not_configured_and_bad_security():
    assert Mailer(settings_from({})).configured is False
    assert Mailer(settings_from({})).send(Email("a@example.com", "s", "t")) is False
    with pytest.raises(RuntimeError):
        settings_from({"SMTP_HOST": "mail.example.com", "SMTP_SECURITY": "tls-ish"})
    remote = settings_from({"SMTP_HOST": "mail.example.com", "SMTP_PASSWORD": "hunter2-secret"})
    assert remote.security == "starttls" and remote.port == 587 and "hunter2" not in repr(remote)
    assert settings_from({"SMTP_HOST": "mail.example.com", "SMTP_SECURITY": "ssl"}).port == 465

"""Email delivery of notifications: an interface with one implementation that is "not configured".

Sending mail is out of this slice's scope: `mailer()` answers a `Mailer` that reports
`configured = False` unless SMTP_HOST is set, and even then `send` only logs what it would send
(a real SMTP sender, through the outbound client's timeouts, replaces `LoggingMailer` without
touching the callers). The job that calls it records how many it sent and why not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    """One message to one address."""

    to: str
    subject: str
    text: str


class Mailer:
    """Not configured: nothing is sent."""

    configured = False

    def send(self, email: Email) -> bool:
        """Send `email`; False when it was not sent."""
        return False


class LoggingMailer(Mailer):
    """SMTP_HOST is set: stands in for the SMTP sender still to be written (logs, claims nothing sent)."""

    configured = True

    def __init__(self, host: str):
        """Remember where mail would go."""
        self.host = host

    def send(self, email: Email) -> bool:
        """Log the message (no SMTP conversation yet)."""
        log.info("email to %s via %s: %s", email.to, self.host, email.subject)
        return False


def mailer() -> Mailer:
    """The mailer the configuration asks for."""
    host = current_app.config.get("SMTP_HOST")
    return LoggingMailer(host) if host else Mailer()

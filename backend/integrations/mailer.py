"""The one SMTP sender (alerts and notification email): smtplib with timeouts, STARTTLS or SSL, retries.

Configuration (app config, else the environment): SMTP_HOST (unset: not configured, nothing is
sent and callers say so), SMTP_PORT (587), SMTP_SECURITY (`starttls` | `ssl` | `none`; default
starttls, except `none` on loopback hosts), SMTP_USER / SMTP_PASSWORD (login only when both are
set), SMTP_FROM, SMTP_TIMEOUT (seconds per socket operation), SMTP_DEADLINE (the whole send,
retries included). A transient failure (connection refused/reset, timeout, a 4xx reply) is tried
again up to SMTP_ATTEMPTS times with a short backoff while the deadline allows; a 5xx reply (the
server refuses this message) is final. The password is never logged or shown in reprs.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app

from backend.integrations.settings import config_value

log = logging.getLogger(__name__)
SECURITY = ("starttls", "ssl", "none")
LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Email:
    """One message to one address."""

    to: str
    subject: str
    text: str


class MailError(Exception):
    """A message could not be sent (`transient`: another try later may work)."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class SMTPSettings:
    """Where and how to send; `password` never appears in reprs."""

    host: str | None
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    sender: str
    timeout: float
    deadline: float
    attempts: int

    @property
    def configured(self) -> bool:
        """True when there is an SMTP host."""
        return bool(self.host)


def settings_from(config: Any) -> SMTPSettings:
    """SMTP settings from app config, then the environment."""
    host = config_value(config, "SMTP_HOST")
    security = (config_value(config, "SMTP_SECURITY") or ("none" if host in LOOPBACK else "starttls")).lower()
    if security not in SECURITY:
        raise RuntimeError(f"SMTP_SECURITY must be one of {SECURITY}, got {security!r}")
    default_port = 465 if security == "ssl" else 587
    return SMTPSettings(host=host, port=int(config_value(config, "SMTP_PORT") or default_port), security=security,
                        user=config_value(config, "SMTP_USER"), password=config_value(config, "SMTP_PASSWORD"),
                        sender=config_value(config, "SMTP_FROM") or "softfactory@localhost",
                        timeout=float(config_value(config, "SMTP_TIMEOUT") or 10.0),
                        deadline=float(config_value(config, "SMTP_DEADLINE") or 30.0),
                        attempts=max(1, int(config_value(config, "SMTP_ATTEMPTS") or 3)))


class Mailer:
    """Sends `Email`s over SMTP; `configured` is False without SMTP_HOST (then `send` sends nothing)."""

    def __init__(self, settings: SMTPSettings, sleep: Any = time.sleep):
        """`sleep` is injectable so tests do not wait between attempts."""
        self.settings = settings
        self.sleep = sleep

    @property
    def configured(self) -> bool:
        """True when SMTP_HOST is set."""
        return self.settings.configured

    def send(self, email: Email) -> bool:
        """Send one message; False when not configured or it failed (the failure is logged as a warning)."""
        try:
            self.deliver(email)
            return True
        except MailError as exc:
            log.warning("smtp: message to %s not sent: %s", _masked(email.to), exc)
            return False

    def deliver(self, email: Email) -> None:
        """Send one message or raise MailError (after the retries a transient failure gets)."""
        s = self.settings
        if not s.configured:
            raise MailError("SMTP_HOST is not set", transient=False)
        ends = time.monotonic() + s.deadline
        message = self._message(email)
        for attempt in range(1, s.attempts + 1):
            try:
                self._send_once(message, max(0.1, min(s.timeout, ends - time.monotonic())))
                return
            except MailError as exc:
                wait = 0.5 * 2 ** (attempt - 1)
                if not exc.transient or attempt == s.attempts or time.monotonic() + wait >= ends:
                    raise
                log.warning("smtp: attempt %d to %s failed (%s); retrying in %.1f s", attempt, s.host, exc, wait)
                self.sleep(wait)

    def _message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = email.to
        message["Subject"] = email.subject.replace("\r", " ").replace("\n", " ")[:250]
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2] or "localhost")
        message.set_content(email.text or "")
        return message

    def _send_once(self, message: EmailMessage, timeout: float) -> None:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=timeout)
            with smtp:
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if s.user and s.password:
                    smtp.login(s.user, s.password)
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:  # the server answered: 4xx may pass, 5xx will not
            raise MailError(f"SMTP {exc.smtp_code}", transient=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailError(f"recipient refused ({codes})", transient=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPServerDisconnected:
            raise MailError(f"{s.host}:{s.port} closed the connection", transient=True) from None
        except smtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered: configuration, not luck
            raise MailError(type(exc).__name__, transient=False) from None
        except OSError as exc:  # refused, reset, timed out, TLS failures (smtplib errors are OSErrors: after them)
            raise MailError(f"{type(exc).__name__}: could not talk to {s.host}:{s.port}", transient=True) from None


def _masked(address: str) -> str:
    """j***@example.com: enough to tell which, not the whole address in logs."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def mailer(app: Any = None) -> Mailer:
    """The mailer of the current app's configuration."""
    return Mailer(settings_from((app or current_app).config))

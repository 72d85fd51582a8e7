"""Email delivery of notifications: the one SMTP sender, `backend.integrations.mailer`.

`mailer()` answers a Mailer whose `configured` is False unless SMTP_HOST is set; the job that
calls it records how many it sent and why not.
"""

from __future__ import annotations

from backend.integrations.mailer import Email, Mailer, mailer

__all__ = ["Email", "Mailer", "mailer"]

"""`flask idempotency purge`: delete keys past IDEMPOTENCY_TTL_HOURS (run it from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.idempotency.guard import purge_expired

idempotency_cli = AppGroup("idempotency", help="Manage stored Idempotency-Key responses.")


@idempotency_cli.command("purge")
def purge() -> None:
    """Delete expired keys (a key is also replaced when it is reused after expiry)."""
    click.echo(f"purged {purge_expired()} expired idempotency keys")

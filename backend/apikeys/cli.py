"""`flask keys rotate`: re-encrypt every stored secret under the newest SECRETS_KEYS key.

Procedure (docs/operations.md "API keys and secrets at rest"): generate a key
(`flask keys generate`), put it first in SECRETS_KEYS (keep the old ones after it), restart,
run `flask keys rotate`, then remove the old keys and restart again.
"""

from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup

from backend.common import secrets
from backend.extensions import db

keys_cli = AppGroup("keys", help="Secrets at rest: generate and rotate the SECRETS_KEYS encryption keys.")


@keys_cli.command("generate")
def generate() -> None:
    """Print a new Fernet key to put first in SECRETS_KEYS."""
    click.echo(Fernet.generate_key().decode())


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="rows re-encrypted per write transaction")
def rotate(batch: int) -> None:
    """Re-encrypt every registered encrypted column under the newest key, in batches."""
    done = secrets.rotate_all(db.session, batch=batch)
    for name, count in done.items():
        click.echo(f"{name}: {count} re-encrypted")
    if not done:
        click.echo("no encrypted columns are registered")

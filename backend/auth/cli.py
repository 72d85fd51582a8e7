"""`flask users create EMAIL --role admin|chef|user`: the operator's way to make any role."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.auth import services, tokens
from backend.common.actor import ROLES
from backend.errors import APIError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([str(r) for r in ROLES]), default="user", show_default=True)
@click.option("--name", default=None, help="Display name (default: the part of EMAIL before @).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (prompted when omitted).")
@click.option("--cuisine", default="general", show_default=True, help="Chef profile cuisine (role chef).")
@click.option("--location", default="unknown", show_default=True, help="Chef profile location (role chef).")
@click.option("--price", type=float, default=100.0, show_default=True, help="Chef price per session.")
def create_user(email: str, role: str, name: str | None, password: str, cuisine: str, location: str,
                price: float) -> None:
    """Create a user with any role; a chef also gets a chef profile."""
    if not 8 <= len(password) <= 256:
        raise click.BadParameter("must be 8 to 256 characters", param_hint="--password")
    # Passed to the domains' user_created hooks: CooCook makes a chef's profile from them.
    profile = {"cuisine_type": cuisine, "location": location, "price_per_session": price}
    try:
        user = services.create_user(email, password, name or email.split("@", 1)[0], role, profile)
    except APIError as exc:
        fields = exc.details.get("fields") or {}
        raise click.ClickException("; ".join(f"{name} {problem}" for name, problem in fields.items())
                                   or exc.message) from None
    click.echo(f"created {user['role']} {user['email']} (id {user['id']}"
               + (f", chef {user['chef_id']})" if user.get("chef_id") else ")"))


@users_cli.command("purge-tokens")
def purge_tokens() -> None:
    """Delete expired bearer tokens (logins also purge the signing-in account's own)."""
    click.echo(f"purged {tokens.purge_expired()} expired tokens")

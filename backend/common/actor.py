"""Who is calling: the `Actor` authentication yields and the `Role` vocabulary.

Also the seam through which `api_route` authenticates without importing the auth domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask import Flask, current_app, g

from backend.common.request_context import set_user


class Role(StrEnum):
    """What an account may do; one definition for models, constraints, schemas and the seed."""

    USER = "user"
    CHEF = "chef"
    ADMIN = "admin"


ROLES: tuple[Role, ...] = tuple(Role)  # "any signed-in account"


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in account of a request; domains look up their own profiles for it."""

    id: int
    role: Role
    email: str
    name: str

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == Role.ADMIN


Authenticator = Callable[[Iterable[str]], Actor]
KEY = "actor.authenticator"


def set_authenticator(app: Flask, authenticate: Authenticator) -> None:
    """Install the function that turns a request into an Actor (401/403 otherwise); auth does this."""
    app.extensions[KEY] = authenticate


def require_actor(roles: Iterable[str]) -> Actor:
    """The signed-in actor of this request, allowed one of `roles` (raises 401/403)."""
    actor = current_app.extensions[KEY](roles)
    set_user(actor.id)  # every later log line of the request names the account
    return actor


def current_actor() -> Actor:
    """The actor `api_route` authenticated for this request."""
    return g.actor

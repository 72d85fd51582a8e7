"""Who is calling: the `Actor` authentication yields and the `Role` vocabulary.

Also the seam through which `api_route` authenticates without importing the auth domain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask import Flask, current_app, g, request

from backend.common.request_context import set_user


class Role(StrEnum):
    """What an account may do; one definition for models, constraints, schemas and the seed."""

    USER = "user"
    CHEF = "chef"
    ADMIN = "admin"
    SHOP = "shop"  # owns shops and submits their menu scans (backend/menu)


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
KEY_AUTHENTICATOR = "actor.api_key_authenticator"
API_KEY_HEADER = "X-API-Key"


def set_authenticator(app: Flask, authenticate: Authenticator) -> None:
    """Install the function that turns a request into an Actor (401/403 otherwise); auth does this."""
    app.extensions[KEY] = authenticate


def set_api_key_authenticator(app: Flask, authenticate: Authenticator) -> None:
    """Install the function that authenticates requests sending `X-API-Key`; the apikeys domain does this."""
    app.extensions[KEY_AUTHENTICATOR] = authenticate


def require_actor(roles: Iterable[str]) -> Actor:
    """The signed-in actor of this request, allowed one of `roles` (raises 401/403).

    A request with an `X-API-Key` header goes to the API-key authenticator when one is installed
    (it also enforces the key's scopes); every other request to the bearer-token one.
    """
    extensions = current_app.extensions
    if API_KEY_HEADER in request.headers and KEY_AUTHENTICATOR in extensions:
        actor = extensions[KEY_AUTHENTICATOR](roles)
    else:
        actor = extensions[KEY](roles)
    set_user(actor.id)  # every later log line of the request names the account
    return actor


def current_actor() -> Actor:
    """The actor `api_route` authenticated for this request."""
    return g.actor

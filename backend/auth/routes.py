"""Auth endpoints: register, login, me."""

from __future__ import annotations

from backend.auth import bp, services
from backend.auth.schemas import LoginIn, RegisterIn, TokenOut, UserOut
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route


@api_route(bp, "/register", "POST", summary="Create a user account", body=RegisterIn, response=UserOut,
           status=201, errors=[409])
def register(body: RegisterIn):
    return services.create_user(body.email, body.password, body.name)


@api_route(bp, "/login", "POST", summary="Exchange credentials for a bearer token", body=LoginIn,
           response=TokenOut, errors=[401])
def login(body: LoginIn):
    return services.login(body.email, body.password)


@api_route(bp, "/me", summary="The signed-in user", response=UserOut, roles=ROLES)
def me():
    return services.actor_dict(current_actor())

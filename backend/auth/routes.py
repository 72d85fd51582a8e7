"""Auth endpoints: register, login, me."""

from __future__ import annotations

from backend.auth import bp, services
from backend.auth.schemas import LoginIn, RegisterIn, TokenOut, UserOut
from backend.common.api import ROLES, api_route
from backend.common.auth import current_user


@api_route(bp, "/register", "POST", summary="Create a user account", body=RegisterIn, response=UserOut,
           status=201, errors=[409])
def register(body: RegisterIn):
    return services.create_user(body.email, body.password, body.name), 201


@api_route(bp, "/login", "POST", summary="Exchange credentials for a bearer token", body=LoginIn,
           response=TokenOut, errors=[401])
def login(body: LoginIn):
    return services.login(body.email, body.password)


@api_route(bp, "/me", summary="The signed-in user", response=UserOut, roles=ROLES)
def me():
    return services.user_dict(current_user())

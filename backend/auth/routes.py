"""Auth endpoints: register, login, logout, password change, me."""

from __future__ import annotations

from flask import g

from backend.auth import bp, services, tokens
from backend.auth.schemas import LoginIn, PasswordChangeIn, RegisterIn, TokenOut, UserOut
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.throttling.extension import limit_login, limit_login_account, limit_register, limit_register_account

NO_STORE = {"Cache-Control": "no-store"}  # a token must never sit in a shared or browser cache


@api_route(bp, "/register", "POST", summary="Create a user account", body=RegisterIn, response=UserOut,
           status=201, errors=[409, 429])
@limit_register
@limit_register_account
def register(body: RegisterIn):
    return services.create_user(body.email, body.password, body.name)


@api_route(bp, "/login", "POST", summary="Exchange credentials for a bearer token", body=LoginIn,
           response=TokenOut, errors=[401, 429], headers=NO_STORE)
@limit_login
@limit_login_account
def login(body: LoginIn):
    return services.login(body.email, body.password)


@api_route(bp, "/logout", "POST", summary="Revoke the bearer token of this request", status=204, roles=ROLES)
def logout():
    tokens.revoke_token(g.token_digest)


@api_route(bp, "/password", "POST", summary="Change the password; every other token of the account is revoked",
           body=PasswordChangeIn, status=204, roles=ROLES)
def change_password(body: PasswordChangeIn):
    services.change_password(current_actor(), body.current_password, body.new_password, g.token_digest)


@api_route(bp, "/me", summary="The signed-in user", response=UserOut, roles=ROLES)
def me():
    return services.actor_dict(current_actor())

"""Request and response schemas for auth (they validate input and document the API)."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from backend.common.validation import BodySchema


class RegisterIn(BodySchema):
    """A new account."""

    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=120)


class LoginIn(BodySchema):
    """Credentials."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    """A user as the API shows it."""

    id: int
    email: str
    name: str
    role: str
    chef_id: int | None = None


class TokenOut(BaseModel):
    """A bearer token (shown once; only its hash is stored)."""

    token: str
    token_type: str = "Bearer"
    expires_at: str

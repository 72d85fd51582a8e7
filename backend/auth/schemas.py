"""Request and response schemas for auth (they validate input and document the API)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from backend.auth.emails import normalise_email
from backend.common.validation import BodySchema


class RegisterIn(BodySchema):
    """A new account."""

    email: str = Field(min_length=3, max_length=254, description="normalised: NFKC, IDNA domain, lower-case")
    password: str = Field(min_length=8, max_length=256,
                          description="not a common password, not digits only, not containing the email")
    name: str = Field(min_length=1, max_length=120)

    @field_validator("email")
    @classmethod
    def _canonical_email(cls, value: str) -> str:
        return normalise_email(value)  # InvalidEmail is a ValueError: a 422 naming `email`


class LoginIn(BodySchema):
    """Credentials."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(BodySchema):
    """A password change: the current password, then the new one (same policy as registration)."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


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

"""Provider credential schemas: they validate input and document the OpenAPI contract."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from backend.common.validation import BodySchema


class CredentialIn(BodySchema):
    """An API key for the provider, and optionally where to call it (else its configured base URL)."""

    # Printable ASCII without spaces: what providers issue; a pasted newline or NUL is refused here
    # rather than sent in a header (requests would refuse it there, as a 500).
    api_key: str = Field(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$")
    base_url: str | None = Field(None, max_length=500, description="http(s)://host[:port][/path], no credentials")

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a port out of range)
        except ValueError:
            raise ValueError("not a URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http or https URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry credentials (the key is sent in a header)")
        if parts.query or parts.fragment or any(ord(c) < 0x21 or ord(c) > 0x7e for c in value):
            raise ValueError("must be a plain URL (no query, fragment, spaces or control characters)")
        return value.rstrip("/")


class ProviderOut(BaseModel):
    """A declared provider as the outbound client will call it (the key itself is never shown)."""

    name: str
    env_prefix: str = Field(description="configuration names: <prefix>_BASE_URL, <prefix>_API_KEY, ...")
    configured: bool = Field(description="there is a base URL to call")
    base_url: str | None
    has_api_key: bool
    key_source: Literal["admin", "config"] | None = Field(description="admin: a stored credential overrides "
                                                          "configuration; config: <prefix>_API_KEY")
    credential_updated_at: dt.datetime | None
    credential_updated_by: int | None
    breaker: str


class ProviderList(BaseModel):
    """Every declared provider, by name."""

    items: list[ProviderOut]

"""Parse and validate request input with pydantic models; failures become 400/422 naming the field."""

from __future__ import annotations

from typing import TypeVar

import orjson
from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from backend.errors import BadRequest, UnsupportedMediaType, ValidationFailed, field_errors

M = TypeVar("M", bound=BaseModel)


class BodySchema(BaseModel):
    """Base for request bodies: unknown fields are refused (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QuerySchema(BaseModel):
    """Base for query strings: unknown parameters are ignored, like most HTTP APIs do."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def parse_body(model: type[M]) -> M:
    """The JSON body validated against `model`; a body sent as anything but JSON is a 415."""
    if not request.is_json:  # e.g. text/plain: a browser sends it cross-origin without a preflight
        raise UnsupportedMediaType("request body must be sent as application/json",
                                   {"location": "body", "content_type": request.mimetype or None})
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequest("request body must be a JSON object", {"location": "body"}, code="invalid_json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}", {"location": "body"}, code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object", {"location": "body"}, code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("request body is invalid", field_errors(exc, "body")) from None


def parse_query(model: type[M]) -> M:
    """The query string validated against `model` (the last value wins for repeated keys)."""
    data = {key: values[-1] for key, values in request.args.lists()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("query string is invalid", field_errors(exc, "query")) from None

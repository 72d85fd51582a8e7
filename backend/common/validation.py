"""Parse and validate request input with pydantic models; failures become 400/422 naming the field.

Every body and query schema derives from `BodySchema`/`QuerySchema`, which refuse what the
database would otherwise turn into a 500: a NUL byte in any string (PostgreSQL text cannot hold
one), NaN/Infinity in a float, and (through `DbInt`) integers outside a 4-byte column. Path ids
are bounded the same way by the `id` URL converter (`IdConverter`), so `/chefs/9223372036854775808`
is a 404 rather than an overflow in the driver. `PatchSchema` refuses `null` for fields that may be
omitted but not cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import orjson
from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from werkzeug.routing import BaseConverter

from backend.errors import BadRequest, UnsupportedMediaType, ValidationFailed, field_errors

M = TypeVar("M", bound=BaseModel)
# `Integer` columns are int4 on PostgreSQL (and SQLite overflows past 2^63): every id or count a
# client sends is bounded to this, so the driver never sees a number the column cannot hold.
DB_INT_MAX = 2**31 - 1
DbInt = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


def _find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string holding a NUL byte inside `value` ('' for `value` itself)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return where
        found = _find_nul(item, where)
        if found is not None:
            return found
    return None


class _InputSchema(BaseModel):
    """What every input schema refuses, whatever its fields."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # One check for every string field, nested ones included: PostgreSQL refuses NUL in text
        # ("A string literal cannot contain NUL"), which would otherwise surface as a 500.
        found = _find_nul(value)
        if found is not None:
            raise ValueError("must not contain a NUL character" + (f" (at {found})" if found else ""))
        return value


class BodySchema(_InputSchema):
    """Base for request bodies: unknown fields are refused (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class QuerySchema(_InputSchema):
    """Base for query strings: unknown parameters are ignored, like most HTTP APIs do."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, allow_inf_nan=False)


def _drop_null_branches(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """OpenAPI: a PATCH field that may not be null is documented without its null branch."""
    nullable = getattr(model, "NULLABLE", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name in nullable or "anyOf" not in prop:
            continue
        branches = [b for b in prop["anyOf"] if b.get("type") != "null"]
        if len(branches) == 1:
            prop.pop("anyOf")
            prop.update(branches[0])
        else:
            prop["anyOf"] = branches
        if prop.get("default", 0) is None:
            prop.pop("default")


class PatchSchema(BodySchema):
    """Base for partial updates: every field may be omitted, but only those in NULLABLE may be null.

    Fields are declared `X | None = None` so that "omitted" has a value; an explicit `null` for a
    column that is NOT NULL would otherwise reach the UPDATE and fail there (a 500). Routes pass
    `model_dump(exclude_unset=True)` to the service, so omitted fields change nothing.
    """

    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(json_schema_extra=_drop_null_branches)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise ValueError("may be omitted but not null")
        return value


def up_to_regex(limit: int) -> str:
    """A regex matching exactly the decimal numbers 1..`limit` (no sign, no leading zero)."""
    digits = str(limit)
    branches = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            branches.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    branches.append(digits)
    return "(?:" + "|".join(branches) + ")"


class IdConverter(BaseConverter):
    """`<id:name>`: a row id, 1..2^31-1; anything else does not match the route (a 404).

    Werkzeug's `int` converter takes any length of digits: a 20-digit id overflows SQLite's
    int8 and PostgreSQL's int4 in the driver (a 500). The range is checked by the regex itself,
    not in to_python: Werkzeug decides "405 Method Not Allowed" from the regexes alone, so a
    converter that rejected a matching path later would turn `PATCH /chefs/<huge>` into a 405.
    """

    regex = up_to_regex(DB_INT_MAX)
    weight = 50  # like Werkzeug's number converters: preferred over a string part

    def to_python(self, value: str) -> int:
        """The id (the regex admitted only valid ones)."""
        return int(value)

    def to_url(self, value: Any) -> str:
        """The id as a path segment."""
        return str(int(value))


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

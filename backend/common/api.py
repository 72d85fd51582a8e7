"""`api_route`: one decorator for every view, so the schemas that validate are the ones documented.

It registers the view, authenticates, validates input, applies the declared status and records
the operation for the OpenAPI document. With `VALIDATE_RESPONSES` on (tests), every declared
success response is also validated against its response model, so the document cannot drift
from what is served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify
from pydantic import BaseModel, ValidationError

from backend.common.actor import ROLES, require_actor
from backend.common.http import ROUTE_BODY_LIMITS
from backend.common.validation import parse_body, parse_query
from backend.idempotency import run_idempotent

log = logging.getLogger(__name__)


@dataclass
class Operation:
    """What the OpenAPI document says about one view."""

    endpoint: str
    method: str
    summary: str
    tags: list[str]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    roles: tuple[str, ...] | None = None
    errors: list[int] = field(default_factory=list)
    idempotent: bool = False  # accepts an Idempotency-Key header
    max_body: int | str | None = None  # the route's own body limit (bytes or a config key); None = global


OPERATIONS: dict[str, Operation] = {}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class ResponseContractError(RuntimeError):
    """A view returned a body its declared response model rejects (raised only when validating)."""


def api_route(bp: Blueprint, rule: str, method: str = "GET", *, summary: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200,
              roles: Iterable[str] | None = None, errors: Iterable[int] = (),
              headers: Mapping[str, str] | None = None, idempotency: bool = True,
              max_body: int | str | None = None) -> Callable:
    """Register `fn` on `bp`; pass it `body=`/`query=` models and require one of `roles` if given.

    roles=None is public; roles=ROLES is any signed-in account, available as `current_actor()`.
    The view returns the body (a dict) and the decorator answers it with `status` (204: no body)
    and `headers` (e.g. `Cache-Control: no-store` on token responses); a view that needs headers of
    its own answer (a 202's `Location`) returns `(body, headers)`; a view that builds its own
    Response (cached views, 304s) returns that instead. Signed-in state-changing routes accept an
    `Idempotency-Key` (backend.idempotency) unless `idempotency=False`. Upload routes declare
    `max_body=` (bytes, or a config key holding them) to accept bodies over MAX_CONTENT_LENGTH
    (backend.common.http explains how the limit is enforced).
    """
    allowed = tuple(str(r) for r in roles) if roles is not None else None

    def decorator(fn: Callable) -> Callable:
        endpoint = f"{bp.name}.{fn.__name__}"
        idempotent = idempotency and allowed is not None and method.upper() in STATE_CHANGING
        op = OPERATIONS[endpoint] = Operation(
            endpoint, method.lower(), summary, [bp.name], body, query, response, status, allowed,
            _error_codes(errors, body, query, allowed, idempotent), idempotent, max_body)
        if max_body is not None:
            ROUTE_BODY_LIMITS[endpoint] = max_body

        def answer(kwargs: dict[str, Any]) -> Response:
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return _to_response(fn(**kwargs), status, headers)

        @wraps(fn)
        def view(**kwargs: Any):
            if allowed is not None:
                g.actor = require_actor(allowed)
            response = run_idempotent(g.actor.id, lambda: answer(kwargs)) if idempotent else answer(kwargs)
            if current_app.config.get("VALIDATE_RESPONSES"):
                _check_contract(op, response)
            return response

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorator


def _error_codes(errors: Iterable[int], body: Any, query: Any, allowed: tuple[str, ...] | None,
                 idempotent: bool) -> list[int]:
    """The error statuses an operation can answer, for its OpenAPI entry."""
    codes = set(errors) | ({422} if body or query or idempotent else set()) | ({400, 415} if body else set())
    if allowed is not None:
        codes |= {401} | ({403} if set(allowed) != set(ROLES) else set())
    if idempotent:
        codes |= {409}  # a retry while the first request with its key is still running
    return sorted(codes)


def _to_response(result: Any, status: int, headers: Mapping[str, str] | None) -> Response:
    """A view's return value as the declared response (a Response the view built passes through)."""
    if isinstance(result, Response):
        return result
    extra: Mapping[str, str] = {}
    if isinstance(result, tuple):  # (body, per-response headers)
        result, extra = result
    response = Response(status=204) if status == 204 else jsonify(result)
    response.status_code = status
    for values in (headers, extra):
        if values:
            response.headers.update(values)
    return response


def _check_contract(op: Operation, answer: Response) -> None:
    """Validate a declared success body against its response model (tests turn this on)."""
    if op.response is None or answer.status_code != op.status or answer.mimetype != "application/json":
        return
    try:
        op.response.model_validate_json(answer.get_data())
    except ValidationError as exc:
        log.error("response of %s breaks %s: %s", op.endpoint, op.response.__name__, exc)
        raise ResponseContractError(f"{op.endpoint} answered a body its {op.response.__name__} rejects") from exc

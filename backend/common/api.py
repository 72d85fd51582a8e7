"""`api_route`: one decorator that registers a view, authenticates, validates input and records
the operation for the OpenAPI document, so the schemas that validate are the ones documented."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, g
from pydantic import BaseModel

from backend.common.validation import parse_body, parse_query

ROLES = ("user", "chef", "admin")


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


OPERATIONS: dict[str, Operation] = {}


def api_route(bp: Blueprint, rule: str, method: str = "GET", *, summary: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200,
              roles: Iterable[str] | None = None, errors: Iterable[int] = ()) -> Callable:
    """Register `fn` on `bp`; pass it `body=`/`query=` models and require one of `roles` if given.

    roles=None is public; roles=ROLES is any signed-in user; the signed-in user is `g.user`.
    """
    allowed = tuple(roles) if roles is not None else None

    def decorator(fn: Callable) -> Callable:
        endpoint = f"{bp.name}.{fn.__name__}"
        codes = set(errors) | ({422} if body or query else set()) | ({400} if body else set())
        if allowed is not None:
            codes |= {401} | ({403} if set(allowed) != set(ROLES) else set())
        OPERATIONS[endpoint] = Operation(endpoint, method.lower(), summary, [bp.name], body, query,
                                         response, status, allowed, sorted(codes))

        @wraps(fn)
        def view(**kwargs: Any):
            if allowed is not None:
                from backend.common.auth import require_user  # late: auth models import common

                g.user = require_user(allowed)
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return fn(**kwargs)

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorator

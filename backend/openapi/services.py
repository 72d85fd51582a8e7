"""Build the OpenAPI 3.1 document from the url map and the operations `api_route` recorded."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic.json_schema import models_json_schema

from backend.common.api import OPERATIONS, Operation

REF = "#/components/schemas/{model}"
ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}
STATUS_TEXT = {400: "Malformed request", 401: "Not signed in", 403: "Role not allowed", 404: "Not found",
               409: "Conflicts with current state", 422: "Invalid input", 503: "Unavailable"}


# `id` is backend.common.validation.IdConverter: a row id within the int4 column range.
PATH_SCHEMAS = {"int": {"type": "integer"}, "id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                "uuid": {"type": "string", "format": "uuid"}}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": PATH_SCHEMAS.get(converter, {"type": "string"})})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _query_params(op: Operation) -> list[dict]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "retries with the same key and body within 24 h get the first response; the same key with "
                   "another body is 422; while the first request runs, 409 in_progress",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
}


def _header_params(op: Operation) -> list[dict]:
    return [IDEMPOTENCY_HEADER] if op.idempotent else []


def build_document(app: Flask) -> dict[str, Any]:
    """The whole document for `app` (all registered api_route views)."""
    models = {m for op in OPERATIONS.values() for m in (op.body, op.response) if m is not None}
    refs, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__qualname__)],
                                    ref_template=REF)
    schemas = {**defs.get("$defs", {}), "Error": ERROR_SCHEMA}

    def ref(model: Any) -> dict[str, str]:
        # pydantic names a model by its class name, or by its module path when two share one
        # (monitoring's and performance's MetricsOut): take the reference it made.
        return {"$ref": refs[(model, "validation")]["$ref"]}

    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            continue
        path, path_params = _path(rule.rule)
        item: dict[str, Any] = {"summary": op.summary, "tags": op.tags, "operationId": rule.endpoint,
                                "parameters": path_params + _query_params(op) + _header_params(op), "responses": {}}
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": ref(op.body)}}}
        if op.upload is not None:
            item["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": [op.upload],
                "properties": {op.upload: {"type": "string", "format": "binary"}}}}}}
        ok: dict[str, Any] = {"description": "Success"}
        if op.produces:
            ok["content"] = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in op.produces}
        if op.response is not None:
            ok["content"] = {"application/json": {"schema": ref(op.response)}}
        item["responses"][str(op.status)] = ok
        for code in op.errors:
            item["responses"][str(code)] = {"description": STATUS_TEXT.get(code, "Error"), "content": {
                "application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
        if op.roles is not None:
            item["security"] = [{"bearerAuth": []}, {"apiKeyAuth": []}]
            item["x-roles"] = list(op.roles)
        paths.setdefault(path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "SoftFactory platform API", "version": "1.0.0"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "token from POST /auth/login"},
            "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "key from POST /api-keys (scopes: read = GET, write = changes, admin)"}}},
    }

"""API keys HTTP layer: parse -> call a service -> serialise (bearer token only: see apikeys.auth)."""

from __future__ import annotations

from backend.apikeys import bp, services
from backend.apikeys.schemas import KeyIn, KeyListQuery, KeyOut, KeyPage, NewKeyOut
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route

PRIVATE = {"Cache-Control": "private, no-store"}
# Create and rotate answer the secret: no Idempotency-Key replay (it would store the key in clear).


@api_route(bp, "", "POST", summary="Create an API key (the key is shown once)", body=KeyIn, response=NewKeyOut,
           status=201, roles=ROLES, errors=[409], headers=PRIVATE, idempotency=False)
def create_key(body: KeyIn):
    return services.create_key(current_actor(), body.name, [str(s) for s in body.scopes])


@api_route(bp, "", summary="My live API keys (prefix, name, scopes, created, last used), newest first",
           query=KeyListQuery, response=KeyPage, roles=ROLES, headers=PRIVATE)
def list_keys(query: KeyListQuery):
    return services.list_keys(current_actor(), query.per_page, query.cursor)


@api_route(bp, "/<id:key_id>", summary="One of my API keys", response=KeyOut, roles=ROLES, errors=[404],
           headers=PRIVATE)
def get_key(key_id: int):
    return services.get_key(current_actor(), key_id)


@api_route(bp, "/<id:key_id>/rotate", "POST", summary="Rotate an API key: a new key now, the old one valid for "
           "APIKEY_ROTATE_GRACE_SECONDS (owner notified)", response=NewKeyOut, roles=ROLES, errors=[404, 409],
           headers=PRIVATE, idempotency=False)
def rotate_key(key_id: int):
    return services.rotate_key(current_actor(), key_id)


@api_route(bp, "/<id:key_id>", "DELETE", summary="Revoke an API key at once (owner notified)", status=204,
           roles=ROLES, errors=[404], headers=PRIVATE)
def revoke_key(key_id: int):
    services.revoke_key(current_actor(), key_id)

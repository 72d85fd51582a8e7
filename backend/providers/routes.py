"""Provider credentials HTTP layer (admin only): parse -> call a service -> serialise."""

from __future__ import annotations

from backend.common.actor import Role, current_actor
from backend.common.api import api_route
from backend.providers import bp, services
from backend.providers.schemas import CredentialIn, ProviderList, ProviderOut

ADMIN = (Role.ADMIN,)
PRIVATE = {"Cache-Control": "private, no-store"}


@api_route(bp, "", summary="Declared providers: configured or not, where the key comes from, breaker state",
           response=ProviderList, roles=ADMIN, headers=PRIVATE)
def list_providers():
    return {"items": services.providers()}


@api_route(bp, "/<name>/credentials", "PUT", summary="Store an API key (and base URL) overriding configuration",
           body=CredentialIn, response=ProviderOut, roles=ADMIN, errors=[404], headers=PRIVATE)
def set_credential(name: str, body: CredentialIn):
    return services.set_credential(current_actor(), name, body.api_key, body.base_url)


@api_route(bp, "/<name>/credentials", "DELETE", summary="Delete the stored credential: configuration applies again",
           response=ProviderOut, roles=ADMIN, errors=[404], headers=PRIVATE)
def delete_credential(name: str):
    return services.delete_credential(current_actor(), name)

"""`Integrations`: the app's providers, declared by domains, configured from the environment."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from backend.integrations.breaker import make_breaker
from backend.integrations.client import OutboundClient
from backend.integrations.errors import ProviderHTTPError
from backend.integrations.settings import ProviderSpec, resolve
from backend.observability import signals


class IntegrationsState:
    """One app's provider clients (built on first use) and the Redis client their breakers share."""

    def __init__(self, app: Flask, specs: dict[str, ProviderSpec]):
        """Resolve nothing yet: a provider is configured (or not) when first asked for."""
        self.config = app.config
        self.specs = specs
        self.clients: dict[str, OutboundClient] = {}
        self.redis = None
        if app.config.get("REDIS_URL"):
            import redis

            timeout = app.config["REDIS_SOCKET_TIMEOUT"]
            self.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout,
                                              socket_connect_timeout=timeout)
        self._lock = threading.Lock()

    def client(self, name: str) -> OutboundClient:
        """The client of provider `name` (KeyError for a provider no domain declared)."""
        client = self.clients.get(name)
        if client is None:
            with self._lock:
                client = self.clients.get(name)
                if client is None:
                    settings = resolve(self.specs[name], self.config)
                    breaker = make_breaker(name, settings.breaker_failures, settings.breaker_reset, self.redis,
                                           self.config.get("CACHE_KEY_PREFIX", "sf:"), exclude=[ProviderHTTPError])
                    client = self.clients[name] = OutboundClient(settings, breaker)
                    signals.breaker_state(name, breaker.current_state)  # once per process: its start value
        return client

    def status(self) -> list[dict[str, Any]]:
        """Each declared provider: configured or not, its base URL and breaker state (never a key)."""
        out = []
        for name in sorted(self.specs):
            client = self.client(name)
            out.append({"name": name, "configured": client.settings.configured,
                        "base_url": client.settings.base_url, "breaker": client.breaker.current_state,
                        "has_api_key": bool(client.settings.api_key)})
        return out


class Integrations:
    """Extension object: domains `declare()` their providers; `client_for(name)` calls one."""

    key = "integrations"

    def __init__(self) -> None:
        """No providers yet; domains declare theirs when they are imported."""
        self.specs: dict[str, ProviderSpec] = {}

    def declare(self, spec: ProviderSpec) -> ProviderSpec:
        """Make `spec` available to every app (one name, one spec)."""
        existing = self.specs.get(spec.name)
        if existing is not None and existing != spec:
            raise ValueError(f"provider {spec.name!r} is already declared differently")
        self.specs[spec.name] = spec
        return spec

    def init_app(self, app: Flask) -> IntegrationsState:
        """Bind the declared providers to `app` (clients are built on first use)."""
        state = app.extensions[self.key] = IntegrationsState(app, self.specs)
        return state

    @classmethod
    def state(cls, app: Flask | None = None) -> IntegrationsState:
        """The providers of `app` (default: the current app)."""
        return (app or current_app).extensions[cls.key]


def client_for(name: str, app: Flask | None = None) -> OutboundClient:
    """The outbound client of provider `name` for the current app."""
    return Integrations.state(app).client(name)

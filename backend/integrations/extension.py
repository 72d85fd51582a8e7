"""`Integrations`: the app's providers, declared by domains, configured from the environment."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app

from backend.caching.extension import ResponseCaching
from backend.integrations.breaker import make_breaker
from backend.integrations.client import OutboundClient
from backend.integrations.errors import ProviderHTTPError
from backend.integrations.settings import ProviderSpec, resolve
from backend.observability import signals
from backend.observability.timing import uncounted

log = logging.getLogger(__name__)


class IntegrationsState:
    """One app's provider clients (built on first use) and the Redis client their breakers share."""

    def __init__(self, app: Flask, specs: dict[str, ProviderSpec]):
        """Resolve nothing yet: a provider is configured (or not) when first asked for."""
        self.app = app
        self.config = app.config
        self.specs = specs
        self.clients: dict[str, OutboundClient] = {}
        self.overrides: dict[str, Any] = {}  # admin-set credentials (credentials.Override by provider name)
        self._seen: tuple[int, ...] | None = None  # the credentials generation they were loaded at
        self._next_check = 0.0  # monotonic time of the next generation look
        self._loaded = False
        self.redis = None
        if app.config.get("REDIS_URL"):
            import redis

            timeout = app.config["REDIS_SOCKET_TIMEOUT"]
            self.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=timeout,
                                              socket_connect_timeout=timeout)
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()  # one credentials load at a time (sync_overrides)

    def _generation(self, name: str) -> tuple[int, ...] | None:
        store = self.app.extensions.get(ResponseCaching.key)
        return store.generations.get([name]) if store is not None else None

    def sync_overrides(self, force: bool = False) -> None:
        """Reload the admin-set credentials when their generation moved (looked at every CHECK_SECONDS).

        Clients whose override changed are dropped and rebuilt on next use. One thread loads while
        the others carry on with the overrides they have (a slow database stalls no outbound call).
        """
        # Imported here: the model needs backend.extensions.db, which imports this module.
        from backend.integrations import credentials

        now = time.monotonic()
        if not force and now < self._next_check:
            return
        if not self._load_lock.acquire(blocking=force):
            return  # another thread is loading
        try:
            if not force and now < self._next_check:
                return
            generation = self._generation(credentials.GENERATION)
            self._next_check = now + credentials.CHECK_SECONDS
            if not force and self._loaded and generation is not None and generation == self._seen:
                return
            try:
                fresh = uncounted(credentials.load)  # once per process and change: not the request's cost
            except Exception as exc:  # database down or not migrated: configuration alone for a while
                log.warning("provider credentials could not be loaded (%s); using configuration", exc)
                self._next_check = now + credentials.RETRY_SECONDS
                return
            with self._lock:
                for name in set(fresh) | set(self.overrides):
                    if fresh.get(name) != self.overrides.get(name):
                        self.clients.pop(name, None)
                self.overrides, self._seen, self._loaded = fresh, generation, True
        finally:
            self._load_lock.release()

    def client(self, name: str) -> OutboundClient:
        """The client of provider `name` (KeyError for a provider no domain declared)."""
        self.sync_overrides()
        client = self.clients.get(name)
        if client is None:
            with self._lock:
                client = self.clients.get(name)
                if client is None:
                    settings = resolve(self.specs[name], self.config, self.overrides.get(name))
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
                        "has_api_key": bool(client.settings.api_key), "key_source": client.settings.key_source})
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

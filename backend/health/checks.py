"""Health checks run side by side, each under its own timeout, so a hung dependency never holds a probe.

Each check runs in a small shared thread pool; the request waits at most HEALTH_CHECK_TIMEOUT for
each and reports a check that did not finish as `timeout`. A check whose previous run is still stuck
is not started again (it reports `timeout` at once): otherwise every probe against a hung Redis would
park one more thread and the pool would fill up, turning one slow dependency into slow probes for all.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Flask, current_app

from backend.config import INSTANCE_DIR
from backend.health import services

# Sized for one probe's checks plus a few stuck ones; probes are cheap and rare (seconds apart).
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
_RUNNING: dict[tuple[int, str], Future] = {}  # (app id, check name) -> its unfinished run
_RUNNING_LOCK = threading.Lock()

Check = Callable[[Flask], dict[str, Any]]
log = logging.getLogger(__name__)


def run_checks(checks: dict[str, Check], app: Flask | None = None) -> dict[str, dict[str, Any]]:
    """{name: {"status": ..., "latency_ms": ..., ...}} for each check, within about one timeout."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    timeout = app.config.get("HEALTH_CHECK_TIMEOUT", 0.3)
    started = time.monotonic()
    futures = {name: _submit(app, name, check) for name, check in checks.items()}
    results = {}
    for name, future in futures.items():
        if future is None:
            results[name] = {"status": "timeout", "latency_ms": 0.0, "error": "previous check still running"}
            continue
        try:
            # Checks run in parallel: each waits until its own deadline measured from the common start.
            results[name] = future.result(timeout=max(0.0, started + timeout - time.monotonic()))
        except FutureTimeout:
            results[name] = {"status": "timeout", "latency_ms": round(timeout * 1000, 1),
                             "error": f"no answer within {timeout:g} s"}
    return results


def _submit(app: Flask, name: str, check: Check) -> Future | None:
    key = (id(app), name)
    with _RUNNING_LOCK:
        previous = _RUNNING.get(key)
        if previous is not None and not previous.done():
            return None
        future = _RUNNING[key] = _POOL.submit(_timed, app, check)
    return future


def _timed(app: Flask, check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with app.app_context():  # its own context: its own database session, removed on exit
            result = check(app)
    except Exception as exc:  # a failing dependency is a result to report, not an error of the probe
        log.warning("health check %s failed: %s: %s", getattr(check, "__name__", check), type(exc).__name__,
                    str(exc).splitlines()[0][:200] if str(exc) else "")
        result = {"status": "fail", "error": type(exc).__name__}
    return {**result, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def database(app: Flask) -> dict[str, Any]:
    """Reachable and migrated to head (services.database_ready)."""
    ok, detail = services.database_ready()
    return {"status": "ok", "backend": detail} if ok else {"status": "fail", "error": detail}


def redis_check(app: Flask) -> dict[str, Any]:
    """PING on a client whose socket timeout is the check's (only when REDIS_URL is set)."""
    client = _redis_client(app)
    if client is None:
        return {"status": "skipped", "configured": False}
    client.ping()
    return {"status": "ok", "configured": True}


def _redis_client(app: Flask) -> Any:
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    state = app.extensions.setdefault("health", {})
    if "redis" not in state:
        import redis

        timeout = min(app.config["REDIS_SOCKET_TIMEOUT"], app.config.get("HEALTH_CHECK_TIMEOUT", 0.3))
        state["redis"] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return state["redis"]


def jobs(app: Flask) -> dict[str, Any]:
    """The queue's storage answers: its pending count (one read of the queue file or Redis)."""
    from backend.jobs.extension import Jobs

    huey = Jobs.state(app).huey
    return {"status": "ok", "queue": type(huey).__name__, "pending": huey.pending_count()}


def disk(app: Flask) -> dict[str, Any]:
    """Free space where the instance data lives; degraded under HEALTH_DISK_MIN_FREE_PERCENT."""
    path = INSTANCE_DIR if INSTANCE_DIR.exists() else INSTANCE_DIR.parent
    usage = shutil.disk_usage(path)
    percent = round(usage.free / usage.total * 100, 1) if usage.total else 0.0
    minimum = app.config.get("HEALTH_DISK_MIN_FREE_PERCENT", 10.0)
    return {"status": "ok" if percent >= minimum else "degraded", "free_bytes": usage.free,
            "total_bytes": usage.total, "free_percent": percent, "min_free_percent": minimum}


def memory(app: Flask) -> dict[str, Any]:
    """This process's resident memory; degraded above HEALTH_MEMORY_MAX_MB (0: no limit)."""
    rss = _rss_bytes()
    limit_mb = app.config.get("HEALTH_MEMORY_MAX_MB", 0)
    degraded = bool(limit_mb) and rss > limit_mb * 1024 * 1024
    return {"status": "degraded" if degraded else "ok", "rss_bytes": rss, "max_mb": limit_mb or None}


def _rss_bytes() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # no /proc (macOS): the peak, not the current size, is all getrusage gives

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def provider(name: str) -> Check:
    """One declared provider: configured or not, breaker state (which may read Redis), last call."""

    def check(app: Flask) -> dict[str, Any]:
        from backend.integrations.extension import Integrations

        client = Integrations.state(app).client(name)
        configured = client.settings.configured
        breaker = client.breaker.current_state
        status = "ok" if breaker == "closed" else "degraded"
        return {"status": status if configured else "skipped", "configured": configured,
                "base_url": client.settings.base_url, "breaker": breaker,
                "last_call": getattr(client, "last_call", None)}

    return check


def providers(app: Flask | None = None) -> dict[str, Check]:
    """A check per provider some domain declared."""
    from backend.integrations.extension import Integrations

    return {name: provider(name) for name in sorted(Integrations.state(app).specs)}


# Readiness is the database alone (issue 9's clarification): Redis and the job queue have
# fallbacks (per-process cache and breakers, the SQLite queue's retry), so their failure degrades
# /health/detailed without pulling every host out of rotation at once.
READY: dict[str, Check] = {"database": database}
DETAILED: dict[str, Check] = {**READY, "redis": redis_check, "jobs": jobs, "disk": disk, "memory": memory}

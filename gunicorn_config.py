"""Gunicorn settings, chosen by measurement on a 2-core box (docs/performance.md) and overridable by env.

GUNICORN_WORKER_CLASS, WEB_CONCURRENCY (workers), GUNICORN_THREADS, BIND, GUNICORN_TIMEOUT,
GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS, GUNICORN_BACKLOG.
"""

import multiprocessing
import os
import tempfile
import time


def _int(name, default):
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:  # name the variable: a bare "invalid literal for int()" does not say which one
        raise ValueError(f"{name} must be an integer, got {value!r}") from None


bind = os.environ.get("BIND", "127.0.0.1:8000")
# Measured on the 2-core box (docs/performance.md, "Worker class"): one sync worker per core gave
# the best uncached (database-bound) throughput and by far the best p99; gthread (2-4 workers x
# 2-4 threads) only won on cache hits, thanks to keep-alive, and doubled to quadrupled the
# uncached p99 (threads of one process contend for the GIL). GUNICORN_THREADS > 1 makes gunicorn
# switch a sync worker to gthread (we run gunicorn 27; avoid 24.x's gthread).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
threads = _int("GUNICORN_THREADS", 1)
# Sync workers close each connection; gthread keeps them alive this many seconds.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A deep accept queue lets 1,000 simultaneous clients wait instead of being refused or left
# retransmitting SYNs. The kernel caps it at net.core.somaxconn (4096 on current kernels; raise
# it where it is 128), and each worker needs `ulimit -n` above its open connections.
backlog = _int("GUNICORN_BACKLOG", 4096)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Recycle workers now and then (leaks in third-party code), staggered so they do not restart together.
# Rarely: a restart costs ~1 s of one worker's CPU (imports, cold caches), and at 20,000 a worker
# under full load (~3,000 req/s) restarted every ~7 s, putting 0.3-0.6 s stalls into p99
# (docs/performance.md). 500,000 is minutes at full load, hours to days at ordinary load.
max_requests = _int("GUNICORN_MAX_REQUESTS", 500_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 50_000)
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
# Access and error logs as the app's JSON lines (backend/logs/gunicorn.py): no format string a
# crafted header could break, the same masking, the request id the app returned.
logger_class = "backend.logs.gunicorn.JsonLogger"
preload_app = False  # each worker builds its own engine and pool: nothing inherited across fork


# --- Draining on SIGTERM ---------------------------------------------------------------------------
# Gunicorn closes its listening sockets the moment SIGTERM arrives, so connections still queued in
# the backlog are reset and a load balancer keeps sending until its next failed health check. With
# DRAIN_SECONDS > 0 (default 5 in production, 0 elsewhere so Ctrl-C-style stops stay instant) the
# master first marks the host draining, which /api/v1/health/ready turns into a 503, keeps serving
# for DRAIN_SECONDS while the balancer takes the host out, and only then stops gracefully: workers
# finish the request in hand (graceful_timeout). A second SIGTERM does not cut the drain short;
# SIGINT and SIGQUIT still stop at once.
drain_seconds = float(os.environ.get("DRAIN_SECONDS", "").strip()
                      or (5 if os.environ.get("APP_ENV", "").lower() == "production" else 0))


def when_ready(server):
    """Start the metrics scrape server; install the drain (called before the first workers are forked)."""
    _start_metrics(server)
    if drain_seconds <= 0:
        return
    flag = os.path.join(tempfile.gettempdir(), f"softfactory-draining-{os.getpid()}")
    os.environ["SF_DRAIN_FLAG"] = flag  # workers read it: the file exists = draining
    if os.path.exists(flag):
        os.unlink(flag)
    state = {"until": None}
    stop_now = server.handle_term
    tick = server.maybe_promote_master

    def handle_term():
        if state["until"] is None:
            state["until"] = time.monotonic() + drain_seconds
            with open(flag, "w") as marker:
                marker.write(str(os.getpid()))
            server.log.info("SIGTERM: draining for %.1f s (readiness answers 503), then stopping", drain_seconds)

    def maybe_promote_master():  # called by the master loop at least once a second
        tick()
        if state["until"] is not None and time.monotonic() >= state["until"]:
            stop_now()  # raises StopIteration: gunicorn's graceful stop

    server.handle_term = handle_term
    server.maybe_promote_master = maybe_promote_master


def on_exit(server):
    """Remove the drain flag."""
    flag = os.environ.get("SF_DRAIN_FLAG")
    if flag and os.path.exists(flag):
        os.unlink(flag)


# --- Metrics and traces (backend/observability: multiproc.py, tracing.py) -------------------------------
# The multiprocess helper is loaded by file path: importing the `backend` package here would keep the
# app's modules in the master, and every worker forked after a HUP would inherit the old code.
def _load_multiproc():
    import importlib.util
    import sys

    if "sf_multiproc" in sys.modules:  # a HUP re-reads this file: keep the module that holds the scrape server
        return sys.modules["sf_multiproc"]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backend", "observability", "multiproc.py")
    spec = importlib.util.spec_from_file_location("sf_multiproc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["sf_multiproc"] = module
    return module


_multiproc = _load_multiproc()
# Set PROMETHEUS_MULTIPROC_DIR now, before anything imports prometheus_client; workers inherit it.
metrics_dir = _multiproc.configure() if _multiproc.enabled() else None
metrics_bind = os.environ.get("METRICS_BIND", _multiproc.DEFAULT_BIND)


def on_starting(server):
    """A clean metrics directory per start: files of processes that are gone are removed."""
    if metrics_dir is not None:
        removed = _multiproc.prepare(metrics_dir)
        server.log.info("metrics: %s (%d stale files removed)", metrics_dir, removed)


def _start_metrics(server):
    if metrics_dir is None:
        return
    try:
        address = _multiproc.start_scrape_server(metrics_bind)
    except OSError as exc:  # the port is taken (another server on this host): serve the API regardless
        server.log.warning("metrics: no scrape server on %s: %s", metrics_bind, exc)
        return
    if address is not None:
        server.log.info("metrics: /metrics on http://%s:%d (every process of this host)", *address)


def post_fork(server, worker):
    """In each worker: drop the master's scrape socket; set up tracing after the fork (its threads)."""
    _multiproc.close_inherited_scrape_socket()
    if os.environ.get("ENABLE_OPENTELEMETRY", "").strip().lower() in {"1", "true", "yes", "on"}:
        from backend.observability.tracing import setup_provider

        setup_provider()


def child_exit(server, worker):
    """A worker is gone (exited or killed): drop its live gauges (in flight, pool) from the metrics."""
    if metrics_dir is not None:
        _multiproc.mark_dead(worker.pid)

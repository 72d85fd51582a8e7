"""Gunicorn settings of the event server (streams of job progress), overridable by env.

Threaded workers: a stream holds its thread for up to EVENTS_STREAM_SECONDS while it mostly
waits, so one process with many threads serves hundreds of idle streams at a few MB each, and
the API's sync workers are never held by one. EVENTS_BIND, EVENTS_WORKERS, EVENTS_THREADS.
"""

import os

bind = os.environ.get("EVENTS_BIND", "127.0.0.1:8001")
worker_class = "gthread"
workers = int(os.environ.get("EVENTS_WORKERS", "1"))
threads = int(os.environ.get("EVENTS_THREADS", "256"))  # open streams per worker
worker_connections = threads + 256  # room for connections waiting for a thread
keepalive = 5
timeout = 30  # the worker's heartbeat to the master; a stream's length is bounded by the app
graceful_timeout = 5  # streams are cut on restart; clients reconnect with Last-Event-ID
backlog = 2048
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
logger_class = "backend.logs.gunicorn.JsonLogger"  # the API's JSON lines (gunicorn_config.py says why)
preload_app = False


# Metrics: the same per-host multiprocess directory as the API (served by the API master's METRICS_BIND).
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
metrics_dir = _multiproc.configure() if _multiproc.enabled() else None


def child_exit(server, worker):
    """A worker is gone: drop its live gauges."""
    if metrics_dir is not None:
        _multiproc.mark_dead(worker.pid)

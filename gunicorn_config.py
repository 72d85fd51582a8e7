"""Gunicorn settings, chosen by measurement on a 2-core box (docs/performance.md) and overridable by env.

GUNICORN_WORKER_CLASS, WEB_CONCURRENCY (workers), GUNICORN_THREADS, BIND, GUNICORN_TIMEOUT,
GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS, GUNICORN_BACKLOG.
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
threads = _int("GUNICORN_THREADS", 1)
# Sync workers close each connection; gthread keeps them alive this many seconds.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A deep accept queue lets 1,000 simultaneous clients wait instead of being refused.
backlog = _int("GUNICORN_BACKLOG", 4096)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Recycle workers now and then (leaks in third-party code), staggered so they do not restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
preload_app = False  # each worker builds its own engine and pool: nothing inherited across fork

"""Configuration classes that read the environment through small typed helpers.

`create_app()` picks a class from `APP_ENV` (development, production, testing) and lets a
mapping override any key, which is how tests point one app at SQLite and another at PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = ROOT / "instance"
DEFAULT_SECRET = "dev-secret-change-me"


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable, or `default` when it is unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_set(name: str, default: str) -> str:
    """Return the variable even when set to an empty string (which then means something); else `default`."""
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_int(name: str, default: int) -> int:
    """Return the variable as an int; a malformed value is a start-up error, not a silent default."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    """Return the variable as a float (start-up error when malformed)."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a bool: 1/true/yes/on or 0/false/no/off."""
    raw = env_str(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise RuntimeError(f"{name} must be a boolean, got {raw!r}")


def normalise_database_url(url: str) -> str:
    """Map bare PostgreSQL URLs to psycopg2 (SQLAlchemy 2.1 would pick psycopg 3 otherwise)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def default_database_url() -> str:
    """The embedded default: a SQLite file under instance/."""
    return f"sqlite:///{INSTANCE_DIR / 'softfactory.db'}"


class BaseConfig:
    """Settings shared by every environment; each value can come from the environment."""

    SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = normalise_database_url(env_str("DATABASE_URL", default_database_url()))
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Pool sizing: one connection per gunicorn thread, plus a little overflow for CLI/admin work.
    DB_POOL_SIZE = env_int("DB_POOL_SIZE", env_int("GUNICORN_THREADS", 1) + 2)
    DB_MAX_OVERFLOW = env_int("DB_MAX_OVERFLOW", 4)
    DB_POOL_RECYCLE = env_int("DB_POOL_RECYCLE", 1800)
    DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 10)
    DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
    DB_SCHEMA = env_str("DB_SCHEMA")  # PostgreSQL search_path; empty means the server default
    # PostgreSQL: ping a pooled connection on checkout only after this long idle (0 = every checkout).
    # Saves a round trip per request under load; see backend/database.py ping_when_idle.
    DB_PING_IDLE_SECONDS = env_float("DB_PING_IDLE_SECONDS", 2.0)
    # PostgreSQL: server-side prepared statements for the statements marked so (chef detail, unfiltered
    # list pages); false behind a transaction-pooling proxy (pgbouncer pool_mode=transaction).
    DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 10000)
    SQLITE_WRITE_LOCK = env_bool("SQLITE_WRITE_LOCK", True)  # writers take turns on a host file lock (database.py)
    SQLITE_CACHE_KB = env_int("SQLITE_CACHE_KB", 65536)
    SQLITE_MMAP_BYTES = env_int("SQLITE_MMAP_BYTES", 268435456)

    REDIS_URL = env_str("REDIS_URL")
    REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.25)
    # Health (backend/health): each check's own timeout (every probe answers within about this);
    # /health/detailed reports disk "degraded" under the free share and memory above the RSS cap (0: none).
    HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 0.3)
    HEALTH_DISK_MIN_FREE_PERCENT = env_float("HEALTH_DISK_MIN_FREE_PERCENT", 10.0)
    HEALTH_MEMORY_MAX_MB = env_int("HEALTH_MEMORY_MAX_MB", 0)
    # CACHE_TYPE=NullCache turns response caching off (to measure uncached speed).
    CACHE_TYPE = env_str("CACHE_TYPE", "RedisCache" if REDIS_URL else "SimpleCache")
    CACHE_DEFAULT_TIMEOUT = env_int("CACHE_DEFAULT_TIMEOUT", 60)
    CACHE_THRESHOLD = env_int("CACHE_THRESHOLD", 5000)
    CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "sf:")
    CACHE_GENERATIONS_PATH = env_str("CACHE_GENERATIONS_PATH", str(INSTANCE_DIR / "cache-generations"))
    PUBLIC_MAX_AGE = env_int("PUBLIC_MAX_AGE", 10)
    RESPONSE_L1_SIZE = env_int("RESPONSE_L1_SIZE", 1000)  # per-worker responses answered before Flask; 0 = off

    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 4
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = env_int("COMPRESS_MIN_SIZE", 500)
    COMPRESS_CACHE_SIZE = env_int("COMPRESS_CACHE_SIZE", 2000)

    # Throttling (backend/throttling): fixed windows; Redis with REDIS_URL, else each worker's memory
    # (the effective per-host limit is then the limit times the workers). RATELIMIT_ENABLED=false
    # turns it all off (the benchmarks' uncapped runs).
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    THROTTLE_DEFAULT = env_str("RATELIMIT_DEFAULT", "1200 per minute")  # per token holder, else per IP
    THROTTLE_PER_IP = env_str("RATELIMIT_PER_IP", "6000 per minute")  # ceiling whatever tokens are sent
    THROTTLE_LOGIN_PER_IP = env_str("RATELIMIT_LOGIN_PER_IP", "30 per minute")
    THROTTLE_LOGIN_PER_ACCOUNT = env_str("RATELIMIT_LOGIN_PER_ACCOUNT", "10 per minute")
    THROTTLE_REGISTER_PER_IP = env_str("RATELIMIT_REGISTER_PER_IP", "10 per minute")
    THROTTLE_REGISTER_PER_ACCOUNT = env_str("RATELIMIT_REGISTER_PER_ACCOUNT", "5 per minute")
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI")  # default: REDIS_URL, else memory://
    # With Redis each worker counts locally and flushes to Redis this often near a limit (x10 far
    # from every limit): a slightly soft limit, no round trip per request. A failed flush is retried
    # after RATELIMIT_REDIS_RETRY_SECONDS.
    THROTTLE_FLUSH_SECONDS = env_float("RATELIMIT_FLUSH_SECONDS", 0.005)
    THROTTLE_RETRY_SECONDS = env_float("RATELIMIT_REDIS_RETRY_SECONDS", 1.0)
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)  # X-Forwarded-For hops set by proxies you run
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    TOKEN_TTL_HOURS = env_int("TOKEN_TTL_HOURS", 24 * 14)
    IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24)  # a retry within this replays the first answer
    # OWASP's Argon2id baseline (19 MiB, 2 passes): ~22 ms a hash here. A login holds a sync worker
    # for the whole hash; 64 MiB x 3 took ~160 ms and let ~12 logins/s saturate two workers.
    ARGON2_TIME_COST = env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = env_int("ARGON2_MEMORY_COST", 19456)
    ARGON2_PARALLELISM = env_int("ARGON2_PARALLELISM", 1)
    BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 730)
    SLOW_QUERY_MS = env_float("SLOW_QUERY_MS", 50.0)
    # In-app insight (admin endpoints): each worker's snapshot file lives here (one directory per host).
    INSIGHT_DIR = env_str("INSIGHT_DIR", str(INSTANCE_DIR / "insight"))
    INSIGHT_FLUSH_SECONDS = env_float("INSIGHT_FLUSH_SECONDS", 2.0)
    INSIGHT_MAX_STATEMENTS = env_int("INSIGHT_MAX_STATEMENTS", 200)
    TESTING = False
    DEBUG = False

    # Input and HTTP edges (backend/common/http.py, coocook bookings).
    MAX_PENDING_PER_CHEF = env_int("MAX_PENDING_PER_CHEF", 3)  # pending bookings one user may hold with one chef
    SERVER_TIMING = env_str("SERVER_TIMING", "all")  # all | admin | off (production defaults to off)
    CORS_ORIGINS = env_str("CORS_ORIGINS", "")  # comma-separated allowed origins; empty = no CORS headers

    # Background jobs (backend/jobs): the queue, the worker's threads and the intervals that bound
    # how long a dead worker can hold a job (lease) and how often it is looked for (reaper).
    JOBS_QUEUE_URL = env_str("JOBS_QUEUE_URL")  # empty: SqliteHuey in instance/; or sqlite:///path, redis://
    JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE", False)  # run jobs inside the request (tests only)
    JOBS_WORKERS = env_int("JOBS_WORKERS", 2)
    JOBS_POLL_MAX_DELAY = env_float("JOBS_POLL_MAX_DELAY", 0.25)  # idle consumer's longest wait between polls
    JOBS_LEASE_SECONDS = env_float("JOBS_LEASE_SECONDS", 60.0)
    JOBS_HEARTBEAT_SECONDS = env_float("JOBS_HEARTBEAT_SECONDS", 15.0)
    JOBS_REAPER_SECONDS = env_float("JOBS_REAPER_SECONDS", 30.0)
    JOBS_REQUEUE_SECONDS = env_float("JOBS_REQUEUE_SECONDS", 300.0)
    JOBS_RETRY_BACKOFF = env_float("JOBS_RETRY_BACKOFF", 2.0)
    JOBS_RETRY_MAX_DELAY = env_float("JOBS_RETRY_MAX_DELAY", 300.0)
    JOBS_RETENTION_DAYS = env_int("JOBS_RETENTION_DAYS", 30)
    # Meari (backend/meari): finished sessions are kept per process in a bounded TTL cache (0 = off),
    # invalidated across processes through the response cache's generations.
    MEARI_CACHE_SIZE = env_int("MEARI_CACHE_SIZE", 1000)
    MEARI_CACHE_TTL = env_float("MEARI_CACHE_TTL", 60.0)
    # Notifications (backend/notifications): fan-out to many users inserts this many rows per write
    # transaction (measured: docs/operations.md "Notifications"); email only when SMTP_HOST is set.
    NOTIFICATIONS_BATCH = env_int("NOTIFICATIONS_BATCH", 200)
    SMTP_HOST = env_str("SMTP_HOST", "")
    # The event server (backend/events): streams of job progress, on its own port and process.
    EVENTS_BIND = env_str("EVENTS_BIND", "127.0.0.1:8001")
    # Where clients reach it; empty = the API's own host (stream_url is a path), as behind deploy/nginx.conf.
    EVENTS_PUBLIC_URL = env_set("EVENTS_PUBLIC_URL", f"http://{env_str('EVENTS_BIND', '127.0.0.1:8001')}")
    EVENTS_TOKEN_TTL = env_int("EVENTS_TOKEN_TTL", 900)  # seconds a stream_url's token is accepted
    EVENTS_STREAM_SECONDS = env_float("EVENTS_STREAM_SECONDS", 120.0)  # then the client reconnects
    EVENTS_HEARTBEAT_SECONDS = env_float("EVENTS_HEARTBEAT_SECONDS", 15.0)
    EVENTS_POLL_SECONDS = env_float("EVENTS_POLL_SECONDS", 0.2)  # one query per tick for all open streams
    EVENTS_MAX_STREAMS_PER_USER = env_int("EVENTS_MAX_STREAMS_PER_USER", 20)  # per event-server process
    # Logs (backend/logs): one JSON line per event on stderr; warnings, errors and sampled request
    # lines also go to the log_entries table through a per-process buffer (docs/operations.md "Logs").
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
    LOG_REQUESTS = env_bool("LOG_REQUESTS", True)  # one `request` line per answer (status, duration)
    LOG_STORE_ENABLED = env_bool("LOG_STORE_ENABLED", True)
    LOG_STORE_SAMPLE = env_float("LOG_STORE_SAMPLE", 0.01)  # share of ordinary requests stored (5xx/slow: all)
    LOG_STORE_SLOW_MS = env_float("LOG_STORE_SLOW_MS", 1000.0)
    LOG_STORE_BUFFER = env_int("LOG_STORE_BUFFER", 10000)  # rows held per process; beyond: dropped, counted
    LOG_STORE_BATCH = env_int("LOG_STORE_BATCH", 500)
    LOG_STORE_FLUSH_SECONDS = env_float("LOG_STORE_FLUSH_SECONDS", 0.5)
    LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 14)
    # Cache control (backend/cachecontrol): per-worker cache counters shared through files under
    # INSIGHT_DIR every CACHE_STATS_FLUSH_SECONDS; warmup pre-builds this many public URLs by default.
    CACHE_STATS_FLUSH_SECONDS = env_float("CACHE_STATS_FLUSH_SECONDS", 2.0)
    CACHE_WARMUP_TOP = env_int("CACHE_WARMUP_TOP", 100)


class DevelopmentConfig(BaseConfig):
    """Local runs (`make run`): the embedded SQLite default (BaseConfig as it is)."""


class ProductionConfig(BaseConfig):
    """Production: refuses to start with the default secret (checked in create_app)."""

    SERVER_TIMING = env_str("SERVER_TIMING", "off")  # DB time and statement counts are a side channel
    EVENTS_PUBLIC_URL = env_set("EVENTS_PUBLIC_URL", "")  # nginx routes /api/v1/events/ on the same host


class TestingConfig(BaseConfig):
    """Tests: cheap password hashing so a suite of registrations stays fast."""

    TESTING = True
    VALIDATE_RESPONSES = True  # every declared success body is checked against its response model
    # Tests hammer endpoints from one address; the throttling tests set their own low limits.
    THROTTLE_DEFAULT = "100000 per minute"
    THROTTLE_PER_IP = "100000 per minute"
    THROTTLE_LOGIN_PER_IP = "10000 per minute"
    THROTTLE_LOGIN_PER_ACCOUNT = "10000 per minute"
    THROTTLE_REGISTER_PER_IP = "10000 per minute"
    THROTTLE_REGISTER_PER_ACCOUNT = "10000 per minute"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    CACHE_TYPE = "SimpleCache"
    REDIS_URL = None
    INSIGHT_DIR = None  # in-process only; a test that checks cross-worker sharing passes a tmp dir
    JOBS_IMMEDIATE = True  # jobs run inside enqueue; the worker tests pass a queue file and turn this off
    JOBS_RETRY_BACKOFF = 0.0
    LOG_STORE_ENABLED = False  # other suites' warnings stay out of the database; the logs tests turn it on


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestingConfig}


def config_for(name: str | None) -> type[BaseConfig]:
    """Return the config class for `APP_ENV` (default development)."""
    key = (name or env_str("APP_ENV", "development")).lower()
    if key not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, got {key!r}")
    return CONFIGS[key]

"""Configuration classes that read the environment through small typed helpers.

`create_app()` picks a class from `APP_ENV` (development, production, testing) and lets a
mapping override any key, which is how tests point one app at SQLite and another at PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
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
    # A worker trusts a token it has just checked for this long (backend/auth/actor_cache.py; 0 = off).
    AUTH_TOKEN_CACHE_SECONDS = env_float("AUTH_TOKEN_CACHE_SECONDS", 5.0)
    AUTH_TOKEN_CACHE_SIZE = env_int("AUTH_TOKEN_CACHE_SIZE", 10_000)
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
    # Dashboards (backend/dashboard): per-user bodies cached this long (invalidated by the user's own writes);
    # chef-detail views counted per process and added to chef_views this often (0 = only on explicit flush).
    DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)
    DASHBOARD_VIEWS_FLUSH_SECONDS = env_float("DASHBOARD_VIEWS_FLUSH_SECONDS", 10.0)
    # Exports (backend/exports): files under EXPORTS_DIR (shared by worker and web), deleted after the retention.
    EXPORTS_DIR = env_str("EXPORTS_DIR", str(INSTANCE_DIR / "exports"))
    EXPORTS_RETENTION_HOURS = env_int("EXPORTS_RETENTION_HOURS", 24)
    EXPORTS_MAX_ROWS = env_int("EXPORTS_MAX_ROWS", 50_000)  # rows listed in one document (memory grows with pages)
    LOGS_EXPORT_MAX_ROWS = env_int("LOGS_EXPORT_MAX_ROWS", 1_000_000)  # log exports stream: memory stays flat
    # The event server (backend/events): streams of job progress, on its own port and process.
    EVENTS_BIND = env_str("EVENTS_BIND", "127.0.0.1:8001")
    # Where clients reach it; empty = the API's own host (stream_url is a path), as behind deploy/nginx.conf.
    EVENTS_PUBLIC_URL = env_set("EVENTS_PUBLIC_URL", f"http://{env_str('EVENTS_BIND', '127.0.0.1:8001')}")
    EVENTS_TOKEN_TTL = env_int("EVENTS_TOKEN_TTL", 900)  # seconds a stream_url's token is accepted
    EVENTS_STREAM_SECONDS = env_float("EVENTS_STREAM_SECONDS", 120.0)  # then the client reconnects
    EVENTS_HEARTBEAT_SECONDS = env_float("EVENTS_HEARTBEAT_SECONDS", 15.0)
    EVENTS_POLL_SECONDS = env_float("EVENTS_POLL_SECONDS", 0.2)  # one query per tick for all open streams
    EVENTS_MAX_STREAMS_PER_USER = env_int("EVENTS_MAX_STREAMS_PER_USER", 20)  # per event-server process
    # Image assets (backend/assets): uploads validated by backend/common/images.py, stored locally
    # (content-addressed under ASSETS_DIR) or in an S3-compatible bucket; docs/operations.md "Image assets".
    ASSETS_MAX_BYTES = env_int("ASSETS_MAX_BYTES", 10 * 1024 * 1024)  # per file; nginx allows 11m on /assets
    ASSETS_MAX_BODY = env_int("ASSETS_MAX_BODY", ASSETS_MAX_BYTES + 64 * 1024)  # the route's body limit
    ASSETS_MAX_SIDE = env_int("ASSETS_MAX_SIDE", 4096)
    ASSETS_MAX_PIXELS = env_int("ASSETS_MAX_PIXELS", 4096 * 4096)
    ASSETS_STORAGE = env_str("ASSETS_STORAGE", "local")  # local | s3
    ASSETS_DIR = env_str("ASSETS_DIR", str(INSTANCE_DIR / "assets"))
    ASSETS_LOCK_DIR = env_str("ASSETS_LOCK_DIR", str(INSTANCE_DIR / "assets-locks"))  # per-host variant locks
    ASSETS_S3_BUCKET = env_str("ASSETS_S3_BUCKET")
    ASSETS_S3_ENDPOINT_URL = env_str("ASSETS_S3_ENDPOINT_URL")  # MinIO, R2, ...; empty = AWS
    ASSETS_S3_REGION = env_str("ASSETS_S3_REGION", "us-east-1")
    ASSETS_S3_ACCESS_KEY_ID = env_str("ASSETS_S3_ACCESS_KEY_ID")  # empty: boto3's own credential chain
    ASSETS_S3_SECRET_ACCESS_KEY = env_str("ASSETS_S3_SECRET_ACCESS_KEY")
    ASSETS_S3_PREFIX = env_str("ASSETS_S3_PREFIX", "")
    ASSETS_PUBLIC_URL = env_str("ASSETS_PUBLIC_URL", "")  # absolute base of asset URLs (a CDN); empty = relative
    # Secrets at rest (backend/common/secrets.py): comma-separated Fernet keys, newest first; unset
    # outside production = a key derived from SECRET_KEY. `flask keys rotate` re-encrypts in batches.
    SECRETS_KEYS = env_str("SECRETS_KEYS")
    # API keys (backend/apikeys): a rotated key keeps working this long; last_used_at is written at
    # most once per this many seconds per key (not on every request).
    APIKEY_ROTATE_GRACE_SECONDS = env_int("APIKEY_ROTATE_GRACE_SECONDS", 86400)
    APIKEY_LAST_USED_SECONDS = env_int("APIKEY_LAST_USED_SECONDS", 60)
    APIKEY_MAX_PER_USER = env_int("APIKEY_MAX_PER_USER", 20)
    # SNS automation (backend/sns): due posts claimed per periodic run, how long a claim holds a post
    # (a crashed worker's posts are retried after it), publish attempts before a post fails.
    SNS_PUBLISH_BATCH = env_int("SNS_PUBLISH_BATCH", 50)
    SNS_CLAIM_SECONDS = env_int("SNS_CLAIM_SECONDS", 300)
    SNS_MAX_ATTEMPTS = env_int("SNS_MAX_ATTEMPTS", 3)
    SNS_RETRY_SECONDS = env_int("SNS_RETRY_SECONDS", 60)
    # Metrics (backend/observability/metrics.py): prometheus_client multiprocess files, one directory per
    # host shared by web, events and worker; the gunicorn master serves them on METRICS_BIND.
    METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
    METRICS_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", env_str("METRICS_DIR", str(INSTANCE_DIR / "prometheus")))
    METRICS_FLUSH_SECONDS = env_float("METRICS_FLUSH_SECONDS", 1.0)  # each process writes its counts this often
    # Traces (backend/observability/tracing.py): off by default; nothing of OpenTelemetry is imported when off.
    ENABLE_OPENTELEMETRY = env_bool("ENABLE_OPENTELEMETRY", False)
    # Monitoring (backend/monitoring): the evaluator's tick, escalation delay, default channels, where each
    # process shares its request figures (one directory per host); SMTP_* is read by integrations/mailer.py.
    MONITORING_ENABLED = env_bool("MONITORING_ENABLED", True)
    MONITORING_EVAL_SECONDS = env_float("MONITORING_EVAL_SECONDS", 30.0)
    MONITORING_ESCALATE_SECONDS = env_float("MONITORING_ESCALATE_SECONDS", 900.0)
    MONITORING_DEFAULT_CHANNELS = env_str("MONITORING_DEFAULT_CHANNELS", "")  # e.g. "slack,email"
    MONITORING_EMAIL_TO = env_str("MONITORING_EMAIL_TO", "")
    MONITORING_DIR = env_str("MONITORING_DIR", str(INSTANCE_DIR / "monitoring"))
    MONITORING_FLUSH_SECONDS = env_float("MONITORING_FLUSH_SECONDS", 2.0)
    MONITORING_RETENTION_DAYS = env_int("MONITORING_RETENTION_DAYS", 90)  # resolved alerts, ended silences
    # The operator page (/admin/) signs in with Flask's session cookie, sent only to /admin.
    SESSION_COOKIE_NAME = "sf_admin"
    SESSION_COOKIE_PATH = "/admin"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = env_int("ADMIN_SESSION_SECONDS", 8 * 3600)
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
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)  # the operator page's cookie: HTTPS only


class TestingConfig(BaseConfig):
    """Tests: cheap password hashing so a suite of registrations stays fast."""

    TESTING = True
    # Every declared success body is checked against its response model. The env names exist for
    # `scripts.load_links`, which serves a TESTING app (the only kind that may fetch loopback fakes)
    # under load with a real worker: validation off, jobs queued.
    VALIDATE_RESPONSES = env_bool("VALIDATE_RESPONSES", True)
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
    JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE", True)  # jobs run inside enqueue; worker tests turn it off
    JOBS_RETRY_BACKOFF = 0.0
    DASHBOARD_VIEWS_FLUSH_SECONDS = 0.0  # tests flush the chef-view counter themselves
    # One metrics directory per test process (prometheus_client reads it from the environment once).
    METRICS_DIR = os.path.join(tempfile.gettempdir(), f"sf-test-metrics-{os.getpid()}")
    # Files tests make stay out of instance/ and apart per test process (parallel runs never share them).
    EXPORTS_DIR = os.path.join(tempfile.gettempdir(), f"sf-test-exports-{os.getpid()}")
    ASSETS_DIR = os.path.join(tempfile.gettempdir(), f"sf-test-assets-{os.getpid()}")
    ASSETS_LOCK_DIR = os.path.join(tempfile.gettempdir(), f"sf-test-asset-locks-{os.getpid()}")
    MONITORING_DIR = None  # in-process request figures; the evaluator tests run in the same process
    LOG_STORE_ENABLED = False  # other suites' warnings stay out of the database; the logs tests turn it on
    # Every request looks its token up, so statement counts compare like with like; the actor-cache
    # tests (tests/auth/test_actor_cache.py) turn it on.
    AUTH_TOKEN_CACHE_SECONDS = env_float("AUTH_TOKEN_CACHE_SECONDS", 0.0)


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestingConfig}


def config_for(name: str | None) -> type[BaseConfig]:
    """Return the config class for `APP_ENV` (default development)."""
    key = (name or env_str("APP_ENV", "development")).lower()
    if key not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, got {key!r}")
    return CONFIGS[key]

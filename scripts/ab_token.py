"""In-process A/B of the cheaper token check: signed-in GETs with the actor cache on and off.

    .venv/bin/python -m scripts.ab_token [--database-url postgresql://...] [--rounds 7] [--requests 1000]

Two apps on one fresh database (a temporary SQLite file, or a schema of its own on PostgreSQL),
one with AUTH_TOKEN_CACHE_SECONDS=5 and one with 0, measured in interleaved rounds through the
test client (no sockets, no wrk: the per-request Python and database cost is what differs), with
throttling, metrics and request lines off. Prints the median milliseconds per request of each.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backend import create_app
from backend.extensions import db
from scripts.perf_common import postgres_schema

PATHS = ("/api/v1/auth/me", "/api/v1/notifications/unread-count")
SCHEMA = "ab_token"


def _apps(url: str, work: Path):
    base = {"APP_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "CACHE_GENERATIONS_PATH": str(work / "gen"),
            "LOG_REQUESTS": False, "LOG_STORE_ENABLED": False, "RATELIMIT_ENABLED": False,
            "METRICS_ENABLED": False}
    if url.startswith("postgresql"):
        base["DB_SCHEMA"] = SCHEMA
    return (create_app({**base, "AUTH_TOKEN_CACHE_SECONDS": 5.0}),
            create_app({**base, "AUTH_TOKEN_CACHE_SECONDS": 0.0}))


def _schema(url: str, create: bool) -> None:
    postgres_schema(url, SCHEMA, create)


def measure(url: str, rounds: int, requests: int) -> dict[str, dict[str, float]]:
    """{path: {"on": ms, "off": ms}} medians over the interleaved rounds."""
    from flask_migrate import upgrade

    from backend.auth import services

    work = Path(tempfile.mkdtemp(prefix="sf-ab-token-"))
    on, off = _apps(url, work)
    with on.app_context():
        upgrade()
        user = services.create_user("ab-token@example.com", "password-123", "AB", "user", None)
        headers = {"Authorization": f"Bearer {services.issue_token(user['id'])['token']}"}
        db.session.remove()
    out = {}
    for path in PATHS:
        times: dict[str, list[float]] = {"on": [], "off": []}
        for round_no in range(rounds):
            order = (("on", on), ("off", off)) if round_no % 2 else (("off", off), ("on", on))
            for name, app in order:
                client = app.test_client()
                for _ in range(100):
                    client.get(path, headers=headers)
                started = time.perf_counter()
                for _ in range(requests):
                    assert client.get(path, headers=headers).status_code == 200
                times[name].append((time.perf_counter() - started) / requests * 1000)
        out[path] = {name: statistics.median(values) for name, values in times.items()}
    return out


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(prog="python -m scripts.ab_token", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='sf-ab-token-db-')}/ab.db"
    if url.startswith("postgresql"):
        _schema(url, create=True)
    try:
        for path, figures in measure(url, args.rounds, args.requests).items():
            saving = 1 - figures["on"] / figures["off"]
            print(f"{path}: off {figures['off']:.3f} ms, on {figures['on']:.3f} ms per request (saves {saving:.0%})")
    finally:
        if url.startswith("postgresql"):
            _schema(url, create=False)


if __name__ == "__main__":
    main()

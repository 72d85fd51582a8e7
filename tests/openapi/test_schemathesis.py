"""Schemathesis against a live server: zero server errors, zero responses that break the schema.

A real gunicorn (two sync workers) over a migrated, seeded database, on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL (an isolated schema). Schemathesis reads
/api/v1/openapi.json and sends generated valid and invalid requests to every operation, signed
in as the seeded admin (who may call every operation); the checks are `not_a_server_error` and
`response_schema_conformance`. Logout and password change are left out: they revoke the fuzzer's
own token, after which every protected operation would only be tested for its 401
(tests/auth covers both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from backend.config import normalise_database_url
from scripts.server import Gunicorn, run_flask, server_env

pytestmark = pytest.mark.slow
EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15")


def schemathesis_cli() -> str:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if found is None:
        pytest.skip("schemathesis is not installed (requirements-dev.txt)")
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def live_server(request, tmp_path):
    """(base URL, bearer token of the demo user) of a seeded server on each backend."""
    overrides = {"CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), "INSIGHT_DIR": str(tmp_path / "insight"),
                 "APP_ENV": "development", "MAX_PENDING_PER_CHEF": "1000000"}
    schema = None
    if request.param == "sqlite":
        overrides["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fuzz.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL", "").strip()
        if not url:
            pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL half of the suite skipped")
        schema = f"fuzz_{uuid.uuid4().hex[:10]}"
        with sa.create_engine(normalise_database_url(url)).begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        overrides.update({"DATABASE_URL": url, "DB_SCHEMA": schema})
    env = server_env(overrides, drop=("REDIS_URL", "CACHE_TYPE", "TEST_DATABASE_URL"))
    try:
        run_flask("db", "upgrade", env=env, timeout=120)
        run_flask("seed", "--scale", "small", env=env, timeout=300)
        with Gunicorn(env=env, log_path=tmp_path / "gunicorn.log") as server:
            token = requests.post(f"{server.base}/api/v1/auth/login", timeout=10,
                                  json={"email": "admin@softfactory.dev", "password": "admin-password"}).json()["token"]
            yield server.base, token
    finally:
        if schema:
            with sa.create_engine(normalise_database_url(os.environ["TEST_DATABASE_URL"])).begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_no_server_errors_and_no_schema_violations(live_server, tmp_path):
    base, token = live_server
    command = [schemathesis_cli(), "run", f"{base}/api/v1/openapi.json", "--url", base,
               "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", EXAMPLES,
               "--header", f"Authorization: Bearer {token}", "--request-timeout", "10",
               "--phases", "examples,coverage,fuzzing", "--suppress-health-check", "all",
               "--exclude-operation-id", "auth.logout", "--exclude-operation-id", "auth.change_password",
               "--report", "junit", "--report-dir", str(tmp_path / "report")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "generated" in result.stdout
    me = requests.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200  # the fuzzer's token stayed valid all along (nothing it sent revoked it)

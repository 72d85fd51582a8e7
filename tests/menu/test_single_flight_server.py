"""Single-flight through real Gunicorn (2 sync workers): 50 concurrent identifies of one unknown name
make exactly one call to the (slow, counting) fake LLM, with the host-wide file lock and with Redis."""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from backend.config import normalise_database_url
from backend.integrations.fakes import FakeProvider, slow
from scripts.server import Gunicorn, run_flask, server_env
from tests.menu.conftest import MARATANG, completion

pytestmark = pytest.mark.slow
CLIENTS = 50


@pytest.fixture
def server_db(backend, tmp_path):
    """(DATABASE_URL, extra env) for a fresh migrated database of `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'flight.db'}", {}
        return
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL half skipped")
    schema = f"flight_{os.getpid()}"
    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield url, {"DB_SCHEMA": schema}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()


@pytest.mark.parametrize("lock", ["file", "redis"])
def test_fifty_concurrent_identifies_make_one_provider_call(server_db, tmp_path, lock):
    url, extra = server_db
    if lock == "redis":
        redis_url = os.environ.get("TEST_REDIS_URL", "").strip()
        if not redis_url:
            pytest.skip("TEST_REDIS_URL is not set: the Redis lock variant skipped")
        extra = {**extra, "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": f"flighttest-{uuid.uuid4().hex[:8]}:"}
    with FakeProvider() as llm:
        llm.default = slow(0.8, completion(MARATANG))
        env = server_env({"DATABASE_URL": url, "WEB_CONCURRENCY": "2", "APP_ENV": "development",
                          "CACHE_GENERATIONS_PATH": str(tmp_path / "generations"), "INSIGHT_DIR": str(tmp_path / "i"),
                          "MENU_FLIGHT_DIR": str(tmp_path / "flight"), "OPENAI_BASE_URL": f"{llm.url}/v1",
                          "OPENAI_API_KEY": "sk-test", "GUNICORN_LOGLEVEL": "info", "MENU_AI_WAIT": "20", **extra},
                         drop=("REDIS_URL", "TEST_DATABASE_URL"))
        run_flask("db", "upgrade", env=env)
        with Gunicorn(env) as server:
            def one(_):
                response = requests.post(f"{server.base}/api/v1/menu/identify", json={"menu_name": "마라탕"},
                                         timeout=30)
                return response.status_code, response.json().get("match")

            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(one, range(CLIENTS)))
            booted = server.log_text().count("Booting worker")
        assert answers == [(200, "ai")] * CLIENTS
        assert len(llm.requests) == 1, f"{len(llm.requests)} provider calls"
        assert booted >= 2
        assert json.loads(llm.requests[0].body)["messages"][1]["content"] == '"마라탕"'

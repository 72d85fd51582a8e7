"""Jobs fixtures: handlers the tests script, and an app whose queue holds jobs instead of running them."""

from __future__ import annotations

import pytest

from backend.jobs.errors import JobFailed, TransientJobError
from backend.jobs.registry import job_handler
from tests.conftest import make_app, wipe

SCRIPT: dict[str, list] = {}  # kind -> outcomes still to come: "ok", "transient", "fail", "bug"


def _scripted(kind: str):
    def run(ctx, payload):
        outcome = SCRIPT[kind].pop(0) if SCRIPT.get(kind) else "ok"
        ctx.progress(50, "half way")
        if outcome == "transient":
            raise TransientJobError("upstream_timeout", "the provider timed out")
        if outcome == "fail":
            raise JobFailed("bad_input", "the input cannot be processed")
        if outcome == "bug":
            raise ValueError("secret user data in a traceback")
        return {"echo": payload, "attempt": ctx.attempt}

    return run


job_handler("test.scripted", max_attempts=3)(_scripted("test.scripted"))


@pytest.fixture
def script():
    """Queue the outcomes of the next attempts of `test.scripted` jobs."""
    SCRIPT.clear()
    yield SCRIPT.setdefault("test.scripted", [])
    SCRIPT.clear()


@pytest.fixture
def queued_app(database_url, tmp_path):
    """An app whose jobs wait in a real SqliteHuey file (nothing consumes them unless a test does)."""
    application = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False,
                           JOBS_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}")
    yield application
    wipe(application)

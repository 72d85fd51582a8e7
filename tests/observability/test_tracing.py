"""Traces (ENABLE_OPENTELEMETRY): request, SQL, outbound and job spans; traceparent in and out; nothing
of OpenTelemetry imported when off."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backend.extensions import integrations
from backend.integrations import ProviderSpec, client_for
from backend.integrations.fakes import FakeProvider, ok
from backend.jobs import services as job_services
from backend.observability import tracing
from scripts.server import ROOT
from tests.conftest import make_app
from tests.observability.test_metrics import OUTCOMES

CHEFS = "/api/v1/coocook/chefs"
INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def spans():
    """An in-memory exporter on this process's provider; the hooks are put back afterwards."""
    memory = InMemorySpanExporter()
    tracing.setup_provider(SimpleSpanProcessor(memory))
    yield memory
    tracing.uninstall()


@pytest.fixture
def traced(database_url, tmp_path, spans):
    return make_app(database_url, tmp_path, ENABLE_OPENTELEMETRY=True)


def test_a_request_span_continues_the_callers_trace_and_holds_its_sql(traced, spans):
    response = traced.test_client().get(CHEFS, headers={"traceparent": INCOMING})
    assert response.status_code == 200
    response.close()  # the server span ends when the response is closed
    finished = spans.get_finished_spans()
    request = next(s for s in finished if s.name == f"GET {CHEFS}")
    assert request.attributes["http.route"] == CHEFS
    assert format(request.context.trace_id, "032x") == INCOMING.split("-")[1]
    assert request.parent.span_id == int(INCOMING.split("-")[2], 16)
    sql = [s for s in finished if s.parent is not None and s.parent.span_id == request.context.span_id]
    assert sql and all(s.name.split()[0] in {"SELECT", "BEGIN", "ROLLBACK"} for s in sql)


def test_unmatched_paths_keep_bounded_span_names(traced, spans):
    token = uuid.uuid4().hex
    traced.test_client().get(f"/api/v1/{token}").close()
    assert all(token not in s.name for s in spans.get_finished_spans())


def test_outbound_calls_carry_traceparent_to_the_provider(tmp_path, spans):
    name = f"tfake{uuid.uuid4().hex[:8]}"
    integrations.declare(ProviderSpec(name=name, prefix=name.upper()))
    with FakeProvider() as fake:
        app = make_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, ENABLE_OPENTELEMETRY=True,
                       **{f"{name.upper()}_BASE_URL": fake.url})
        fake.then(ok({"x": 1}))
        with app.app_context(), tracing.tracer().start_as_current_span("caller") as caller:
            assert client_for(name).request_json("GET", "/v1/x?secret=1") == {"x": 1}
        header = fake.requests[0].headers["traceparent"]
    outbound = next(s for s in spans.get_finished_spans() if s.name == f"GET {name}")
    version, trace_id, span_id, flags = header.split("-")
    context = outbound.context
    assert (version, trace_id, span_id) == ("00", f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled
    assert outbound.parent.span_id == caller.get_span_context().span_id
    assert outbound.attributes["url.path"] == "/v1/x"  # never the query string


def test_each_job_attempt_is_a_span(traced, spans, make_user):
    user, _ = make_user("user")
    OUTCOMES[:] = ["ok"]
    with traced.app_context():
        job = job_services.enqueue("test.metrics_job", {}, user["id"])
    span = next(s for s in spans.get_finished_spans() if s.name == "job test.metrics_job")
    assert span.attributes["job.id"] == str(job["id"] if isinstance(job, dict) else job.id)


def test_traces_off_imports_no_tracing(tmp_path):
    """Off: no tracing module of ours or OpenTelemetry's SDK tracing, instrumentation or exporter is imported.

    (redis-py 8 probes for `opentelemetry.sdk.metrics` when it is installed, at its own import: that is
    redis', costs nothing per request, and is all of OpenTelemetry a process with traces off holds.)
    """
    code = textwrap.dedent(f"""
        import sys
        from backend import create_app
        from flask_migrate import upgrade
        app = create_app({{"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / 'off.db'}",
                          "CACHE_GENERATIONS_PATH": "{tmp_path / 'gen'}"}})
        with app.app_context():
            upgrade()
        assert app.test_client().get("{CHEFS}").status_code == 200
        import threading
        loaded = sorted(m for m in sys.modules if m == "backend.observability.tracing" or m.startswith(
            ("opentelemetry.sdk.trace", "opentelemetry.instrumentation", "opentelemetry.exporter")))
        print("LOADED", loaded)
        assert "sf-metrics-flush" in [t.name for t in threading.enumerate()]
        assert not [t for t in threading.enumerate() if "Otel" in t.name or "span" in t.name.lower()]
        assert not loaded, loaded
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LOADED []" in result.stdout

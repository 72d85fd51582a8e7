"""OpenTelemetry traces, behind ENABLE_OPENTELEMETRY (off by default; this module is imported only when on).

Spans:
- each request: the WSGI instrumentation's server span, outermost (L1 hits and 429s included; an
  incoming W3C `traceparent` continues the caller's trace), named `METHOD <url rule>` by a request
  observer of observability.timing (never the raw path: span names stay bounded);
- each SQL statement: the SQLAlchemy instrumentation's EngineTracer on the app's engine, attached
  explicitly (its `instrument()` would also patch `create_engine` for the whole process);
- each outbound provider call: a client span around all attempts, whose context is injected as
  `traceparent` into the headers the provider receives (integrations.client via signals);
- each job attempt: a consumer span (jobs.runner via signals).

Exporter by environment: OTEL_TRACES_EXPORTER=console (stdout), `none`, or `otlp` (the default:
OTLP over HTTP/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
default http://localhost:4318); spans leave in batches from the SDK's thread (OTEL_BSP_*).
OTEL_SERVICE_NAME names the service (default softfactory-api).

One provider per process, made after fork: gunicorn's `post_fork` calls `setup_provider()`, and
any other process (the job worker, tests) gets one on first use; a pid check makes a forked child
build its own instead of using its parent's (whose exporter thread did not survive the fork).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask
from opentelemetry import metrics as otel_metrics
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind

from backend.observability import signals
from backend.observability.routes import RouteNames
from backend.observability.timing import QueryTiming

log = logging.getLogger(__name__)
SCOPE = "softfactory"
_state: dict[str, Any] = {"pid": 0, "provider": None, "previous": None}


def exporter_from_env() -> SpanExporter | None:
    """The exporter OTEL_TRACES_EXPORTER names (console, none, otlp: the default)."""
    name = (os.environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(",")[0].strip().lower()
    if name == "none":
        return None
    if name == "console":
        return ConsoleSpanExporter(service_name=os.environ.get("OTEL_SERVICE_NAME") or "softfactory-api")
    if name != "otlp":
        raise RuntimeError(f"OTEL_TRACES_EXPORTER must be otlp, console or none, got {name!r}")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout from OTEL_EXPORTER_OTLP_* (the SDK reads them)


def setup_provider(processor: SpanProcessor | None = None) -> TracerProvider:
    """This process's tracer provider (made on first call in each process); `processor` replaces the env's."""
    if _state["pid"] == os.getpid() and processor is None:
        return _state["provider"]
    service = os.environ.get("OTEL_SERVICE_NAME") or "softfactory-api"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if processor is None:
        exporter = exporter_from_env()
        processor = BatchSpanProcessor(exporter) if exporter is not None else None
    if processor is not None:
        provider.add_span_processor(processor)
    old = _state["provider"] if _state["pid"] == os.getpid() else None
    _state.update(pid=os.getpid(), provider=provider)
    if old is not None:
        old.shutdown()
    return provider


def tracer() -> trace.Tracer:
    """The tracer of this process's provider."""
    return setup_provider().get_tracer(SCOPE)


@contextlib.contextmanager
def outbound_span(provider: str, method: str, path: str, headers: dict) -> Iterator[Any]:
    """A client span around one outbound call; its context goes out as `traceparent` in `headers`."""
    attributes = {"http.request.method": method, "peer.service": provider, "url.path": path.split("?", 1)[0]}
    with tracer().start_as_current_span(f"{method} {provider}", kind=SpanKind.CLIENT, attributes=attributes) as span:
        propagate.inject(headers)
        yield span


@contextlib.contextmanager
def job_span(kind: str, job_id: str) -> Iterator[Any]:
    """A consumer span around one job attempt."""
    with tracer().start_as_current_span(f"job {kind}", kind=SpanKind.CONSUMER,
                                        attributes={"job.kind": kind, "job.id": str(job_id)}) as span:
        yield span


def _bounded_name(span: Any, environ: dict) -> None:
    """The request hook: the method alone until the route is known (the default name has the raw path)."""
    method = environ.get("REQUEST_METHOD", "")
    span.update_name(method if method.isalpha() and len(method) <= 10 else "HTTP")


class Tracing:
    """Extension object: `tracing.init_app(app)` after the metrics (outermost middleware)."""

    key = "observability.tracing"

    def init_app(self, app: Flask) -> TracerProvider:
        """Attach the request, SQL, outbound and job spans to `app` and this process."""
        from backend.extensions import db

        provider = setup_provider()
        with app.app_context():
            engine = db.engine
        meter = otel_metrics.get_meter(SCOPE)  # no MeterProvider is set: a no-op meter (metrics are Prometheus')
        EngineTracer(provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine,
                     meter.create_up_down_counter("db.client.connections.usage"))
        routes = RouteNames(app)

        def name_span(endpoint: str, statements: int, db_ms: float) -> None:
            span = trace.get_current_span()
            if span.is_recording():
                rule = routes(endpoint)
                span.update_name(f"{span.name.split(' ', 1)[0]} {rule}")
                span.set_attributes({"http.route": rule, "db.statements": statements, "db.duration_ms": db_ms})

        QueryTiming.state(app).request_observers.append(name_span)
        app.wsgi_app = OpenTelemetryMiddleware(app.wsgi_app, request_hook=_bounded_name, tracer_provider=provider)
        if _state["previous"] is None:
            _state["previous"] = (signals.outbound_span, signals.job_span)
        signals.outbound_span, signals.job_span = outbound_span, job_span
        app.extensions[self.key] = provider
        return provider


def uninstall() -> None:
    """Put the outbound and job hooks back as they were (tests that traced in-process)."""
    if _state["previous"] is not None:
        signals.outbound_span, signals.job_span = _state["previous"]
        _state["previous"] = None


tracing = Tracing()

"""The body of one stream: events after a seq, as SSE or NDJSON, until the job ends or time is up.

SSE: `retry:` first, then each event as `id: <seq>` / `event: <type>` / `data: <json>`, and a
`: heartbeat` comment every EVENTS_HEARTBEAT_SECONDS (proxies drop idle connections; a write
also tells us when the client has gone). NDJSON: one JSON object per line, heartbeats as
`{"type": "heartbeat"}`. The stream closes when the job is final and its last event was sent,
or after EVENTS_STREAM_SECONDS; an EventSource then reconnects with Last-Event-ID, and a
reconnect to a finished job with nothing new gets 204, which tells EventSource to stop.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, select

from backend.database import read_connection
from backend.events.hub import Hub
from backend.jobs.models import FINAL, JobEvent

BATCH = 200
SSE_RETRY_MS = 2000


@dataclass(frozen=True)
class Limits:
    """How long a stream lives and how often it proves it is alive."""

    seconds: float
    heartbeat: float


def sse(event: dict[str, Any]) -> bytes:
    """One event in text/event-stream framing (the JSON has no newlines, so one data line)."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event["seq"], event["type"].encode(), orjson.dumps(event))


def ndjson(event: dict[str, Any]) -> bytes:
    """One event as a line of JSON."""
    return orjson.dumps(event) + b"\n"


def read_events(engine: Engine, job_id: str, after: int) -> list[dict[str, Any]]:
    """Events of `job_id` with seq > after, oldest first (one short autocommit read)."""
    with read_connection(engine) as conn:
        rows = conn.execute(select(JobEvent.seq, JobEvent.type, JobEvent.data, JobEvent.at)
                            .where(JobEvent.job_id == job_id, JobEvent.seq > after)
                            .order_by(JobEvent.seq).limit(BATCH)).all()
    return [{"seq": r.seq, "type": r.type, "data": r.data, "at": r.at.isoformat() + "Z"} for r in rows]


def events_body(hub: Hub, engine: Engine, job_id: str, after: int, last_seq: int, status: str,
                fmt: str, limits: Limits) -> Iterator[bytes]:
    """Yield the stream's chunks; the subscription is dropped however the stream ends."""
    encode = sse if fmt == "sse" else ndjson
    watch = hub.subscribe(job_id, last_seq, status)
    started = last_beat = time.monotonic()
    try:
        if fmt == "sse":
            yield b"retry: %d\n\n" % SSE_RETRY_MS
        while True:
            watch.woken.clear()
            if watch.last_seq > after:
                for event in read_events(engine, job_id, after):
                    after = event["seq"]
                    yield encode(event)
                if watch.last_seq > after:
                    continue  # more than one batch behind
            if watch.status in FINAL and after >= watch.last_seq:
                return
            now = time.monotonic()
            left = limits.seconds - (now - started)
            if left <= 0:
                return
            if now - last_beat >= limits.heartbeat:
                yield b": heartbeat\n\n" if fmt == "sse" else b'{"type":"heartbeat"}\n'
                last_beat = now
            watch.woken.wait(min(left, max(0.0, limits.heartbeat - (now - last_beat))))
    finally:
        hub.unsubscribe(watch)

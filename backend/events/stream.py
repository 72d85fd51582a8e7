"""The body of one stream: events after a seq, as SSE or NDJSON, until the job ends or time is up.

SSE: `retry:` first, then each event as `id: <seq>` / `event: <type>` / `data: <json>`, and a
`: heartbeat` comment every EVENTS_HEARTBEAT_SECONDS (proxies drop idle connections; a write
also tells us when the client has gone). NDJSON: one JSON object per line, heartbeats as
`{"type": "heartbeat"}`. The stream closes when the job is final and its last event was sent,
or after EVENTS_STREAM_SECONDS; an EventSource then reconnects with Last-Event-ID, and a
reconnect to a finished job with nothing new gets 204, which tells EventSource to stop.
"""

from __future__ import annotations

import select as io_select
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, select

from backend.database import read_connection
from backend.events.hub import Hub
from backend.jobs.models import FINAL, JobEvent

BATCH = 200
SSE_RETRY_MS = 2000
HEARTBEAT = {"sse": b": heartbeat\n\n", "ndjson": b'{"type":"heartbeat"}\n'}


@dataclass(frozen=True)
class Limits:
    """How long a stream lives, how often it proves it is alive, how often it looks for its client."""

    seconds: float
    heartbeat: float
    liveness: float = 1.0


def client_gone(sock: Any) -> bool:
    """True when the client has closed its side (EOF is waiting on the socket).

    A stream learns that its client left only when a write fails, i.e. at the next heartbeat (15 s);
    until then its thread is held. Measured: 10 rounds of 200 streams opened and closed filled the
    event server's 256 threads with such leftovers, and a new stream waited ~10 s for a thread. A
    zero-timeout select plus a 1-byte MSG_PEEK each second frees the thread within a second.
    """
    if sock is None:
        return False
    try:
        readable, _, _ = io_select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):  # closed or reset under us
        return True


def pause(woken: Any, limits: Limits, started: float, last_beat: float, sock: Any) -> str:
    """Wait for news; returns "news", "heartbeat" (one is due), "end" (time is up or the client left)."""
    now = time.monotonic()
    left = limits.seconds - (now - started)
    if left <= 0:
        return "end"
    beat_in = limits.heartbeat - (now - last_beat)
    if beat_in <= 0:
        return "heartbeat"
    if woken.wait(min(left, beat_in, limits.liveness)):
        return "news"
    return "end" if client_gone(sock) else "wait"


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


def pump(woken: Any, marker: Callable[[], int], read_new: Callable[[int], list[dict[str, Any]]],
         encode: Callable[[dict[str, Any]], bytes], key: str, after: int, fmt: str, limits: Limits,
         sock: Any = None, done: Callable[[int], bool] = lambda _after: False, kind: str = "job") -> Iterator[bytes]:
    """The loop every stream runs: send what is newer than `after`, then wait, heartbeat or end.

    `marker()` is the newest id/seq the hub saw, `read_new(after)` reads a batch past `after`
    (each item's `key` is its position), `done(after)` ends the stream once everything is sent.
    Open streams, how they ended and the events sent are metrics, by `kind` (job, notifications).
    """
    # Imported here, not at module level: prometheus_client picks its multiprocess value class when
    # first imported, which must come after the metrics directory is configured (multiproc.py).
    from backend.observability import families

    started = last_beat = time.monotonic()
    families.event_streams_open.labels(kind).inc()
    outcome = "closed"  # the generator was closed: the client went away mid-write, or the server stops
    try:
        if fmt == "sse":
            yield b"retry: %d\n\n" % SSE_RETRY_MS
        while True:
            woken.clear()
            if marker() > after:
                sent = 0
                for item in read_new(after):
                    after = item[key]
                    sent += 1
                    yield encode(item)
                families.events_sent.labels(kind).inc(sent)
                if marker() > after:
                    continue  # more than one batch behind
            if done(after):
                outcome = "done"
                return
            step = pause(woken, limits, started, last_beat, sock)
            if step == "end":
                outcome = "time_up" if time.monotonic() - started >= limits.seconds else "client_gone"
                return
            if step == "heartbeat":
                yield HEARTBEAT[fmt]
                last_beat = time.monotonic()
    finally:
        families.event_streams_open.labels(kind).dec()
        families.event_streams.labels(kind, outcome).inc()


def events_body(hub: Hub, engine: Engine, job_id: str, after: int, last_seq: int, status: str,
                fmt: str, limits: Limits, sock: Any = None) -> Iterator[bytes]:
    """A job's stream; it ends after the job's final event (the subscription is dropped however it ends)."""
    watch = hub.subscribe(job_id, last_seq, status)
    try:
        yield from pump(watch.woken, lambda: watch.last_seq, lambda seq: read_events(engine, job_id, seq),
                        sse if fmt == "sse" else ndjson, "seq", after, fmt, limits, sock,
                        done=lambda seq: watch.status in FINAL and seq >= watch.last_seq)
    finally:
        hub.unsubscribe(watch)

"""The event server's stream metrics: open streams (a live gauge), how each ended, events sent."""

from __future__ import annotations

import threading

from backend.events.stream import Limits, pump
from backend.observability import families


def value(metric, *labels: str) -> float:
    return metric.labels(*labels)._value.get()


def stream(kind: str, limits: Limits, done=lambda after: after >= 2):
    items = [{"seq": 1}, {"seq": 2}]
    return pump(threading.Event(), lambda: 2, lambda after: [i for i in items if i["seq"] > after],
                lambda item: b"%d\n" % item["seq"], "seq", 0, "ndjson", limits, done=done, kind=kind)


def test_streams_are_counted_open_then_by_how_they_ended():
    kind = "test-done"
    body = stream(kind, Limits(seconds=60, heartbeat=15))
    assert next(body) == b"1\n"
    assert value(families.event_streams_open, kind) == 1
    assert list(body) == [b"2\n"]
    assert value(families.event_streams_open, kind) == 0
    assert value(families.event_streams, kind, "done") == 1
    assert value(families.events_sent, kind) == 2


def test_a_stream_closed_by_its_client_and_one_whose_time_is_up():
    kind = "test-ends"
    body = stream(kind, Limits(seconds=60, heartbeat=15), done=lambda after: False)
    next(body)
    body.close()  # what the server does when a write to a departed client fails
    assert value(families.event_streams, kind, "closed") == 1
    assert list(stream(kind, Limits(seconds=0.05, heartbeat=15, liveness=0.01), done=lambda after: False)) == \
        [b"1\n", b"2\n"]
    assert value(families.event_streams, kind, "time_up") == 1
    assert value(families.event_streams_open, kind) == 0

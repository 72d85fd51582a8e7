"""The event server: job progress streamed (SSE or NDJSON) from its own process.

A stream stays open for minutes; on the API's sync workers two of them would take the API down.
So streams are served by a separate gunicorn (`gunicorn_events.py`: threaded workers, many idle
connections) running `create_events_app()`, which has only the stream route and a health check.
One poller thread per process reads the progress of every watched job in one short query per
tick (`hub.Hub`); each stream waits on its own event and reads its new rows when woken.
"""

from backend.events.app import create_events_app

__all__ = ["create_events_app"]

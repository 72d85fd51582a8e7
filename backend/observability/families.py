"""The metric families (prometheus_client); import only after `multiproc.configure()`.

Every label is bounded: `route` is a URL rule of the app's url map (or `<unmatched>`), `method` one
of the HTTP methods (else `OTHER`), `status` a class (`2xx`..`5xx`), `provider` a declared provider,
`kind` a declared job kind (else `unknown`), `layer`/`result`/`scope`/`outcome`/`state` fixed
vocabularies. Nothing built from a raw path, query, header or id ever becomes a label.

Gauges say how they merge across processes (`multiprocess_mode`): `livesum` (in flight: the host's
total), `liveall` (the pool: one series per live worker, `pid` label), `mostrecent` (breaker state,
queue depth: the latest write on the host wins). Live gauges of a dead worker are dropped by
`multiproc.mark_dead` (gunicorn child_exit).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds. L1 hits answer in ~0.1 ms and uncached pages in a few ms, so the low end is fine-grained.
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OUTBOUND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)

http_requests = Counter("sf_http_requests", "HTTP requests answered, by route, method and status class",
                        ["method", "route", "status"])
http_duration = Histogram("sf_http_request_duration_seconds", "Time to answer a request (WSGI call), by route",
                          ["method", "route"], buckets=HTTP_BUCKETS)
http_in_flight = Gauge("sf_http_requests_in_flight", "Requests being answered now (host total)",
                       multiprocess_mode="livesum")

cache_requests = Counter("sf_cache_requests", "Cacheable GETs by cache layer and result (hit/miss)",
                         ["layer", "result"])
not_modified = Counter("sf_http_not_modified", "304 Not Modified answers, by the layer that gave them", ["layer"])

db_statements = Counter("sf_db_statements", "SQL statements run for requests, by route", ["route"])
db_seconds = Counter("sf_db_seconds", "Time spent in SQL statements for requests, by route", ["route"])
db_pool = Gauge("sf_db_pool_connections", "Connection pool of each worker: size, checked_out, overflow",
                ["state"], multiprocess_mode="liveall")
db_pool_checkouts = Counter("sf_db_pool_checkouts", "Connections taken from the pool")
db_pool_waits = Counter("sf_db_pool_waits", "Checkouts that had to wait for a free connection")
db_pool_wait_seconds = Counter("sf_db_pool_wait_seconds", "Time checkouts spent waiting for a connection")
db_pool_timeouts = Counter("sf_db_pool_timeouts", "Checkouts that gave up after DB_POOL_TIMEOUT")

jobs = Counter("sf_jobs", "Job attempts ended, by kind and outcome", ["kind", "outcome"])
job_duration = Histogram("sf_job_duration_seconds", "Time one job attempt ran, by kind", ["kind"],
                         buckets=JOB_BUCKETS)
job_queue_depth = Gauge("sf_job_queue_depth", "Messages waiting in the job queue (Huey), as the worker saw it",
                        multiprocess_mode="mostrecent")
job_rows = Gauge("sf_job_rows", "Jobs by status in the jobs table (queued, running), as the worker saw it",
                 ["status"], multiprocess_mode="mostrecent")

outbound_requests = Counter("sf_outbound_requests", "Outbound provider calls, by provider and outcome",
                            ["provider", "outcome"])
outbound_duration = Histogram("sf_outbound_duration_seconds", "Time of one outbound call (all attempts)",
                              ["provider"], buckets=OUTBOUND_BUCKETS)
outbound_retries = Counter("sf_outbound_retries", "Extra attempts outbound calls made", ["provider"])
breaker_state = Gauge("sf_outbound_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open",
                      ["provider"], multiprocess_mode="mostrecent")

rate_limited = Counter("sf_rate_limited", "Requests refused by a rate limit (client, ip ceiling, route)", ["scope"])

# The event server's streams (backend/events/stream.py counts them directly: a stream starts and
# ends rarely, so there is no per-request tally to batch).
event_streams_open = Gauge("sf_event_streams_open", "Streams open now on the event server (host total), by kind",
                           ["kind"], multiprocess_mode="livesum")
event_streams = Counter("sf_event_streams", "Streams ended, by kind and how (done, time_up, client_gone, closed)",
                        ["kind", "outcome"])
events_sent = Counter("sf_events_sent", "Events written to streams (heartbeats not counted), by kind", ["kind"])

BREAKER_VALUES = {"closed": 0, "half-open": 1, "half_open": 1, "open": 2}

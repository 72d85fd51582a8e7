"""Where a synchronous analysis waits: on the event server, not in an API worker.

`POST /links/analyze` promises the analysis in one call when it can be had within LINKS_SYNC_WAIT
seconds. Waiting for it inside a sync gunicorn worker holds that worker for the whole analysis
(~2 s with a 1.5 s model), and every request queued behind it waits too: measured with
`python -m scripts.load_links --threads 1 --users 8`, cache *hits* answered in p50 3.9 s. So a miss
that is not finished at once answers `303 See Other` with the job, and its `Location` is a result
URL on the event server (gthread, built for waiting connections: backend/events), which waits
for the job and answers what the API would have: 200 with the analysis, the analysis error, or
202 with the job when LINKS_SYNC_WAIT (counted from the API's answer) runs out. Clients that
follow redirects (browsers' fetch, requests, curl -L) see one call; the others get the job body.

The URL carries a token (itsdangerous, SECRET_KEY, salt `links-result`) bound to the job, the
requester and the time the wait began: the API checked the requester's right to the link before
minting it, and a redirect to another port drops an Authorization header anyway.
`LINKS_WAIT_LANE=inline` keeps the old behaviour (the worker waits): for a deployment whose API
runs threaded workers, or has no event server.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from backend.links import settings

SALT = "links-result"
RESULT_PATH = "/api/v1/events/links/result/{job_id}"
LANES = ("events", "inline")


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def lane() -> str:
    """`events` (default) or `inline`; anything else is a configuration error naming the key."""
    value = (settings.config_value(current_app.config, "LINKS_WAIT_LANE") or "events").strip().lower()
    if value not in LANES:
        raise RuntimeError(f"LINKS_WAIT_LANE must be one of {LANES}, got {value!r}")
    return value


def result_url(job_id: str, requester_id: int) -> str:
    """The event server's URL that waits for `job_id` on behalf of `requester_id`."""
    token = _signer(current_app.config["SECRET_KEY"]).dumps({"j": job_id, "r": requester_id, "t": time.time()})
    base = current_app.config["EVENTS_PUBLIC_URL"].rstrip("/")
    return f"{base}{RESULT_PATH.format(job_id=job_id)}?token={token}"


def read_token(token: str, job_id: str) -> dict[str, Any] | None:
    """The token's claims if it is genuine, for `job_id` and younger than EVENTS_TOKEN_TTL; else None."""
    config = current_app.config
    try:
        claims = _signer(config["SECRET_KEY"]).loads(token, max_age=config["EVENTS_TOKEN_TTL"])
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(claims, dict) or claims.get("j") != job_id or not isinstance(claims.get("t"), int | float):
        return None
    return claims

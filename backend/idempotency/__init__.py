"""Idempotency keys: a retried state-changing request returns the first response, not a duplicate.

Mobile clients on flaky networks resend a POST whose answer they never saw. With an
`Idempotency-Key` header (per user; 1-255 printable ASCII characters), `api_route` records the
first request's fingerprint (method, path, canonical JSON body) and, once it is done, its response;
a retry with the same key and body within IDEMPOTENCY_TTL_HOURS (24) gets that response again
(`Idempotent-Replayed: true`), the same key with another body is a 422, and a retry that arrives
while the first is still running is a 409 `in_progress`. Requests without the header pay nothing.
"""

from backend.idempotency.guard import run_idempotent

__all__ = ["run_idempotent"]

"""Publishing a post: the webhook adapter on the outbound client, and the local default.

Decision (SSRF): the webhook is an *admin-configured* base URL, `SNS_WEBHOOK_BASE_URL` (a relay
that posts to the platforms), called through `backend.integrations` (pooled session, timeouts,
deadline, retries on transient failures with backoff, circuit breaker). Users never supply the
URL the server POSTs to, so no user input can aim the server at an internal address; per-user
webhook URLs would need a POST through safefetch's vetted-address pools, which do GET only today.

Request: `POST {SNS_WEBHOOK_BASE_URL}/posts` with JSON {post_id, platform, handle, credential,
content, media} and `Idempotency-Key: sns-post-<id>-r<revision>` (the same key on every retry and
on a re-claim after a crashed worker, so the relay publishes once; an edit makes a new revision),
`Authorization: Bearer $SNS_WEBHOOK_API_KEY` when set. A 2xx answer may carry {"id": "..."},
kept as `external_id`.

Not configured: the local publisher marks the post published with `published_via = "local"` and
sends nothing; the API says so (PostOut.published_via).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.extensions import integrations
from backend.integrations import (
    ProviderBadResponse,
    ProviderError,
    ProviderHTTPError,
    ProviderNotConfigured,
    ProviderSpec,
    client_for,
)
from backend.sns.models import PublishedVia

NAME = "sns_webhook"
SPEC = integrations.declare(ProviderSpec(name=NAME, prefix="SNS_WEBHOOK", connect_timeout=3.0, read_timeout=10.0,
                                         deadline=20.0))


@dataclass(frozen=True)
class Outcome:
    """What one publish attempt did: published (via, external_id), or failed (reason, transient)."""

    published: bool
    via: PublishedVia | None = None
    external_id: str | None = None
    reason: str | None = None
    transient: bool = False


def idempotency_key(post_id: int, revision: int) -> str:
    """The same for every attempt at one revision of a post."""
    return f"sns-post-{post_id}-r{revision}"


def publish(post: Any, credential: str) -> Outcome:
    """Send one post (a row with id, revision, platform, handle, content, media) through the webhook."""
    payload = {"post_id": post.id, "platform": post.platform, "handle": post.handle, "credential": credential,
               "content": post.content, "media": post.media or []}
    try:
        answer = client_for(NAME).request_json("POST", "/posts", json=payload,
                                               idempotency_key=idempotency_key(post.id, post.revision))
    except ProviderNotConfigured:
        return Outcome(True, PublishedVia.LOCAL)
    except ProviderHTTPError as exc:
        return Outcome(False, reason=f"webhook answered HTTP {exc.upstream_status}", transient=exc.transient)
    except ProviderBadResponse as exc:
        return Outcome(False, reason=exc.message[:500])  # it answered 2xx: retrying could publish twice
    except ProviderError as exc:  # timeout, connection failure, open circuit: may work later
        return Outcome(False, reason=exc.message[:500], transient=True)
    external = answer.get("id") if isinstance(answer, dict) else None
    return Outcome(True, PublishedVia.WEBHOOK, str(external)[:200] if external is not None else None)

"""The campaigns' background work: close campaigns whose deadline has passed, every minute."""

from __future__ import annotations

import logging

from backend.campaigns.services.manage import close_expired
from backend.jobs.registry import periodic

log = logging.getLogger(__name__)


@periodic("campaigns.close_expired", minute="*")
def close_expired_campaigns() -> int:
    """Close open campaigns past their deadline (the list and its maintained total follow)."""
    closed = close_expired()
    if closed:
        log.info("campaigns: closed %d campaigns past their deadline", closed)
    return closed

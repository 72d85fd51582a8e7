"""Optional CDN purge when an asset is deleted: Cloudflare's API, on the outbound client.

Configured by `CLOUDFLARE_ZONE_ID` and `CLOUDFLARE_API_KEY` (an API token with Cache Purge
permission, sent as a bearer token) plus `ASSETS_PUBLIC_URL`, the absolute base URL clients (and
so the CDN) use for asset URLs. The call is `POST /client/v4/zones/{zone}/purge_cache` with
`{"files": [...]}` (at most 30 URLs a call: Cloudflare's limit), retried like every provider call
(purging is idempotent). `CLOUDFLARE_BASE_URL` points it elsewhere (tests: a loopback fake).
Unconfigured, the purge is skipped and the answer says so; a failing CDN is logged and reported,
never a failed delete (the asset is gone from the API whatever the CDN still holds).
"""

from __future__ import annotations

import logging

from flask import current_app

from backend.extensions import integrations
from backend.integrations import ProviderError, ProviderSpec, client_for
from backend.integrations.settings import config_value

log = logging.getLogger(__name__)
PROVIDER = "cloudflare"
SPEC = integrations.declare(ProviderSpec(name=PROVIDER, prefix="CLOUDFLARE", base_url="https://api.cloudflare.com",
                                         connect_timeout=3.0, read_timeout=5.0, deadline=8.0))
FILES_PER_CALL = 30


def purge(paths: list[str]) -> str:
    """Purge the public URLs of `paths` (API paths); "purged", "skipped: <why>" or "failed: <why>"."""
    config = current_app.config
    zone, token = config_value(config, "CLOUDFLARE_ZONE_ID"), config_value(config, "CLOUDFLARE_API_KEY")
    base = config_value(config, "ASSETS_PUBLIC_URL")
    if not (zone and token):
        return "skipped: CDN purge not configured (CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_KEY)"
    if not base:
        return "skipped: ASSETS_PUBLIC_URL is not set, so there are no CDN URLs to purge"
    urls = [base.rstrip("/") + path for path in paths]
    client = client_for(PROVIDER)
    try:
        for start in range(0, len(urls), FILES_PER_CALL):
            answer = client.request_json("POST", f"/client/v4/zones/{zone}/purge_cache",
                                         json={"files": urls[start:start + FILES_PER_CALL]}, idempotent=True)
            if not (isinstance(answer, dict) and answer.get("success") is True):
                log.warning("cloudflare purge refused: %s", str(answer)[:300])
                return "failed: cloudflare answered success=false"
    except ProviderError as exc:
        log.warning("cloudflare purge failed: %s", exc.message)
        return f"failed: {exc.message}"
    return "purged"

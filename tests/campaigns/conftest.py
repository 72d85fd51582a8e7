"""Campaign test helpers: create campaigns and applications through the API."""

from __future__ import annotations

import datetime as dt

API = "/api/v1/campaigns"


def future(days: float = 10) -> str:
    """An ISO timestamp `days` from now (UTC, with a Z)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_campaign(client, auth, **fields) -> dict:
    """POST a campaign (open by default here); returns its body, asserting 201."""
    body = {"title": "Serum review", "brand": "Laneige", "product": "Water sleeping mask", "reward": 50_000,
            "slots": 3, "deadline": future(), "status": "open", **fields}
    response = client.post(API, json=body, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def apply(client, auth, campaign_id: int, message: str = "I review skincare weekly."):
    """POST an application; returns the response."""
    return client.post(f"{API}/{campaign_id}/applications", json={"message": message}, headers=auth)

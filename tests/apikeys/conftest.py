"""API key fixtures: create a key for a signed-in user and build the header that sends it."""

from __future__ import annotations

import pytest

KEYS = "/api/v1/api-keys"
ME = "/api/v1/auth/me"
ADMIN_GET = "/api/v1/admin/db/performance"
ADMIN_POST = "/api/v1/admin/db/optimize"
SNS_ACCOUNTS = "/api/v1/sns/accounts"


@pytest.fixture
def make_key(client):
    """POST /api-keys as `headers` with `scopes`; returns (created body, X-API-Key header)."""

    def make(headers: dict, scopes=("read",), name: str = "ci"):
        response = client.post(KEYS, json={"name": name, "scopes": list(scopes)}, headers=headers)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        return body, {"X-API-Key": body["key"]}

    return make

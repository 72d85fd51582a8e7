"""SNS fixtures: an account helper, a post helper and an app whose webhook publisher points at a fake."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from backend.integrations.fakes import FakeProvider
from tests.conftest import make_app, wipe

ACCOUNTS = "/api/v1/sns/accounts"
POSTS = "/api/v1/sns/posts"


def future(days: int = 30, hour: int = 9, offset: str = "Z") -> str:
    """A schedule `days` ahead at `hour` o'clock in `offset` (an hour of 9 at +09:00 is 00:00 UTC)."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00{offset}"


def account(client, headers, handle: str = "me", platform: str = "x", credential: str = "tok-1") -> dict:
    """POST an account; its body."""
    response = client.post(ACCOUNTS, json={"platform": platform, "handle": handle, "credential": credential},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def post(client, headers, account_id: int, content: str = "hello", **extra) -> dict:
    """POST a post; its body."""
    response = client.post(POSTS, json={"account_id": account_id, "content": content, **extra}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def webhook():
    """A fake relay on loopback."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def webhook_app(database_url, tmp_path, webhook):
    """An app whose SNS publisher posts to the fake relay (no backoff between retries)."""
    app = make_app(database_url, tmp_path / uuid.uuid4().hex, SNS_WEBHOOK_BASE_URL=webhook.url,
                   SNS_WEBHOOK_API_KEY="relay-key", SNS_WEBHOOK_BACKOFF=0.0, SNS_WEBHOOK_ATTEMPTS=2,
                   SNS_WEBHOOK_DEADLINE=5.0, SNS_RETRY_SECONDS=0)
    yield app
    wipe(app)

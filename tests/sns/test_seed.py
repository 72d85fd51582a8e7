"""The seed gives the demo user SNS accounts and posts (and leaves sequences past the explicit ids)."""

from __future__ import annotations

from backend.auth.seed import DEMO_USERS
from backend.common import secrets
from backend.extensions import db
from backend.sns.models import SnsAccount
from tests.sns.conftest import ACCOUNTS, POSTS, account, post


def test_small_seed_gives_the_demo_user_accounts_and_posts(app, client):
    from backend.seeding import seed

    with app.app_context():
        seed("small")
        token = db.session.query(SnsAccount.credential).first()[0]
        assert secrets.decrypt(token) == "seeded-demo-credential"
        db.session.remove()
    email, password = next((e, p) for e, p, _, role in DEMO_USERS if role == "user")
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password}).get_json()
    headers = {"Authorization": f"Bearer {login['token']}"}
    accounts = client.get(ACCOUNTS, headers=headers).get_json()
    posts = client.get(POSTS, query_string={"per_page": 5}, headers=headers).get_json()
    assert accounts["total"] == 3 and posts["total"] >= 200 and posts["next_cursor"]
    scheduled = client.get(POSTS, query_string={"status": "scheduled"}, headers=headers).get_json()
    assert scheduled["total"] > 0
    fresh = account(client, headers, handle="after-seed")  # sequences were moved past the seeded ids
    assert fresh["id"] > 200 and post(client, headers, fresh["id"])["id"] > 2000

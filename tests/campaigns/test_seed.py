"""`flask seed --scale small`: campaigns with exact counters, the scenario catalogue and the demo user's data."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.campaigns.models import Campaign, CampaignApplication, CampaignCounter
from backend.campaigns.seed import SIZES
from backend.extensions import db as _db


def test_the_seed_is_reachable_and_its_counters_exact(app, client):
    from backend.auth.seed import DEMO_USERS
    from backend.scenarios.seed import catalogue
    from backend.seeding import seed

    with app.app_context():
        result = seed("small")
        session = _db.session
        assert result["campaigns"] == SIZES["small"] and result["scenarios"] == len(catalogue())
        open_rows = session.execute(select(func.count()).select_from(Campaign)
                                    .where(Campaign.status == "open")).scalar()
        assert session.execute(select(CampaignCounter.open_count)).scalar() == open_rows
        approved = (select(func.count()).where(CampaignApplication.campaign_id == Campaign.id,
                                               CampaignApplication.status.in_(("approved", "completed")))
                    .scalar_subquery())
        drift = session.execute(select(func.count()).select_from(Campaign).where(
            Campaign.approved_count != approved)).scalar()
        assert drift == 0
        assert session.execute(select(func.max(Campaign.approved_count - Campaign.slots))).scalar() <= 0
        _db.session.remove()
    listing = client.get("/api/v1/campaigns").get_json()
    assert listing["total"] == open_rows and len(listing["items"]) == 20
    assert client.get(f"/api/v1/campaigns/{listing['items'][0]['id']}").status_code == 200
    assert client.get("/api/v1/scenarios").get_json()["total"] == len(catalogue())
    email, password = next((u[0], u[1]) for u in DEMO_USERS if u[3] == "user")
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/campaigns/mine", headers=auth).get_json()["total"] == 2
    assert client.get("/api/v1/campaigns/applications", headers=auth).get_json()["total"] >= 5
    employees = client.get("/api/v1/ai-employees", headers=auth).get_json()
    assert employees["total"] == 2
    run = client.post(f"/api/v1/ai-employees/{employees['items'][0]['id']}/runs", json={}, headers=auth)
    assert run.status_code == 202
    assert client.get(run.get_json()["status_url"], headers=auth).get_json()["status"] == "succeeded"

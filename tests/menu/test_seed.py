"""The seed: every dish and modifier of the data files, the demo shop account, shops, scan logs and their total."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from backend.extensions import db as _db
from backend.menu.models import CanonicalMenu, MenuCounter, MenuModifier, ScanLog, Shop
from backend.menu.seed import DATA, SIZES
from backend.seeding import seed


def test_small_seed_loads_the_data_files(app, client):
    with app.app_context():
        seed("small")
        count = lambda model: _db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
        dishes = json.loads((DATA / "dishes.json").read_text(encoding="utf-8"))
        assert count(CanonicalMenu) == len(dishes) >= 150
        assert count(MenuModifier) == len(json.loads((DATA / "modifiers.json").read_text(encoding="utf-8")))
        assert count(Shop) == SIZES["small"]["shops"] and count(ScanLog) == SIZES["small"]["scans"]
        assert _db.session.get(MenuCounter, "scan_logs").value == SIZES["small"]["scans"]
        _db.session.remove()
    token = client.post("/api/v1/auth/login", json={"email": "shop@softfactory.dev", "password": "shop-password"})
    auth = {"Authorization": f"Bearer {token.get_json()['token']}"}
    shops = client.get("/api/v1/menu/shops", headers=auth).get_json()
    assert shops["items"][0]["name"] == "Sam's Kitchen"
    for name in ["김치찌개", "된장찌개", "불고기", "비빔밥", "냉면", "갈비탕", "삼계탕", "떡볶이", "순대국", "설렁탕"]:
        assert client.post("/api/v1/menu/identify", json={"menu_name": name}).get_json()["match"] == "exact"


def test_every_dish_is_complete_in_every_language():
    dishes = json.loads((DATA / "dishes.json").read_text(encoding="utf-8"))
    allergens = set(json.loads((DATA / "allergens.json").read_text(encoding="utf-8"))["allergens"])
    assert len({d["ko"] for d in dishes}) == len(dishes)
    for dish in dishes:
        assert dish["romanization"] and 0 <= dish["spice_level"] <= 3 and set(dish["allergens"]) <= allergens
        for part in ("name", "short", "long"):
            assert all(dish[part][lang].strip() for lang in ("en", "ja", "zh")), (dish["ko"], part)

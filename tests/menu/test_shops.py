"""Shops and the scan approval queue: ownership, matching on submit, cursor pages, approve/reject rules."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from backend.common.models import utcnow
from backend.menu.models import CanonicalMenu, MenuDiscovery
from tests.conftest import statements
from tests.menu.conftest import MARATANG, identify, load_catalog

API = "/api/v1"


@pytest.fixture
def catalog(db):
    load_catalog(db)
    return db


def shop_of(client, auth, name="Sam's Kitchen"):
    response = client.post(f"{API}/menu/shops", json={"name": name, "address": "Seoul"}, headers=auth)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(client, auth, shop_id, name):
    return client.post(f"{API}/menu/scans", json={"shop_id": shop_id, "menu_name": name}, headers=auth)


def test_shop_accounts_create_and_list_their_own_shops(client, make_user):
    _, owner = make_user("shop")
    _, other = make_user("shop")
    _, user = make_user("user")
    first = shop_of(client, owner, "One")
    shop_of(client, owner, "Two")
    shop_of(client, other, "Elsewhere")
    page = client.get(f"{API}/menu/shops?per_page=1", headers=owner).get_json()
    assert page["total"] == 2 and [s["name"] for s in page["items"]] == ["Two"] and page["next_cursor"]
    rest = client.get(f"{API}/menu/shops?per_page=1&cursor={page['next_cursor']}", headers=owner).get_json()
    assert [s["id"] for s in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert client.post(f"{API}/menu/shops", json={"name": "x"}, headers=user).status_code == 403
    assert client.post(f"{API}/menu/shops", json={"name": "x"}).status_code == 401
    assert client.post(f"{API}/menu/shops", json={"name": ""}, headers=owner).status_code == 422


def test_a_shop_submits_scans_matched_by_the_known_stages(client, catalog, make_user):
    _, owner = make_user("shop")
    shop = shop_of(client, owner)
    exact = submit(client, owner, shop["id"], " 김치 찌개 ")
    assert exact.status_code == 201
    body = exact.get_json()
    assert body["status"] == "pending" and body["match_type"] == "exact" and body["menu_name"] == "김치 찌개"
    assert body["canonical_menu_id"] and body["shop_id"] == shop["id"]
    composed = submit(client, owner, shop["id"], "치즈떡볶이").get_json()
    assert composed["match_type"] == "modifier" and composed["canonical_menu_id"]  # the base dish
    unknown = submit(client, owner, shop["id"], "마라탕").get_json()
    assert unknown["match_type"] == "none" and unknown["canonical_menu_id"] is None


def test_someone_elses_shop_is_404(client, catalog, make_user):
    _, owner = make_user("shop")
    _, other = make_user("shop")
    shop = shop_of(client, owner)
    response = submit(client, other, shop["id"], "김치찌개")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "shop_not_found"
    assert submit(client, owner, 2**31 - 1, "김치찌개").status_code == 404
    assert submit(client, owner, 2**63, "김치찌개").status_code == 422
    assert submit(client, owner, shop["id"], "\u200b").status_code == 422
    _, user = make_user("user")
    assert submit(client, user, shop["id"], "김치찌개").status_code == 403


def test_admin_queue_pages_by_status_with_constant_statements(client, catalog, make_user):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    ids = [submit(client, owner, shop["id"], f"메뉴{i}").get_json()["id"] for i in range(5)]
    small = client.get(f"{API}/admin/menu/scans?status=pending&per_page=1", headers=admin)
    large = client.get(f"{API}/admin/menu/scans?status=pending&per_page=100", headers=admin)
    assert statements(small) == statements(large)
    assert small.get_json()["total"] == 5 and small.get_json()["items"][0]["id"] == ids[-1]
    assert small.get_json()["items"][0]["shop_name"] == "Sam's Kitchen"
    assert [s["id"] for s in large.get_json()["items"]] == ids[::-1]
    seen, cursor = [], None
    while True:
        url = f"{API}/admin/menu/scans?per_page=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=admin).get_json()
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    assert client.get(f"{API}/admin/menu/scans?status=approved", headers=admin).get_json()["total"] == 0
    assert client.get(f"{API}/admin/menu/scans?status=bogus", headers=admin).status_code == 422
    assert client.get(f"{API}/admin/menu/scans?cursor=garbage", headers=admin).status_code == 422
    assert client.get(f"{API}/admin/menu/scans", headers=owner).status_code == 403


def test_approve_links_the_matched_dish_and_reviews_once(client, catalog, make_user):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    scan = submit(client, owner, shop["id"], "김치찌개").get_json()
    response = client.post(f"{API}/admin/menu/scans/{scan['id']}/approve", json={"note": "ok"}, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "approved" and body["canonical_menu_id"] == scan["canonical_menu_id"]
    assert body["reviewed_by"] and body["reviewed_at"] and body["review_note"] == "ok"
    again = client.post(f"{API}/admin/menu/scans/{scan['id']}/reject", json={}, headers=admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "scan_already_reviewed"
    assert client.post(f"{API}/admin/menu/scans/999999/approve", json={}, headers=admin).status_code == 404
    assert client.post(f"{API}/admin/menu/scans/{2**63}/approve", json={}, headers=admin).status_code == 404
    assert client.post(f"{API}/admin/menu/scans/{scan['id']}/approve", json={}, headers=owner).status_code == 403


def test_an_identify_log_is_not_in_the_queue(client, catalog, make_user, app):
    from backend.menu.scanlog import scan_log

    _, admin = make_user("admin")
    identify(client, "김치찌개")
    with app.app_context():
        scan_log().flush()
    response = client.post(f"{API}/admin/menu/scans/1/approve", json={}, headers=admin)
    assert response.status_code == 404


def test_approve_creates_a_canonical_menu_identify_then_knows(client, catalog, make_user):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    assert identify(client, "마라탕").get_json()["match"] == "none"
    scan = submit(client, owner, shop["id"], "마라탕").get_json()
    url = f"{API}/admin/menu/scans/{scan['id']}/approve"
    missing = client.post(url, json={}, headers=admin)
    assert missing.status_code == 422 and "create" in missing.get_json()["error"]["details"]["fields"]
    create = {"romanization": "Mara-tang", "category": "soup", "spice_level": 3, "allergens": ["soy"],
              "names": {"en": "Malatang", "ja": "マーラータン", "zh": "麻辣烫"}, "short": {"en": "Numbing spicy soup."}}
    assert client.post(url, json={"create": {**create, "allergens": ["gluten"]}}, headers=admin).status_code == 422
    assert client.post(url, json={"create": create, "canonical_menu_id": 1}, headers=admin).status_code == 422
    approved = client.post(url, json={"create": create}, headers=admin)
    assert approved.status_code == 200
    # The new dish is seen at once (the catalog generation moved): the exact stage now finds it.
    body = identify(client, "마라탕").get_json()
    assert body["match"] == "exact" and body["dish"]["names"]["en"] == "Malatang"
    assert body["dish"]["id"] == approved.get_json()["canonical_menu_id"]
    assert body["dish"]["explanations"]["ja"]["short"] is None  # not given: coverage shows it
    second = submit(client, owner, shop["id"], "마라 탕").get_json()
    clash = client.post(f"{API}/admin/menu/scans/{second['id']}/approve", json={"create": create}, headers=admin)
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "menu_exists"


def test_approve_can_promote_a_stored_ai_answer(client, catalog, make_user, db):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    db.session.execute(insert(MenuDiscovery).values(name_key="마라탕", found=True, answer=MARATANG, model="m",
                                                    created_at=utcnow()))
    db.session.commit()
    scan = submit(client, owner, shop["id"], "마라탕").get_json()
    response = client.post(f"{API}/admin/menu/scans/{scan['id']}/approve", json={}, headers=admin)
    assert response.status_code == 200
    db.session.rollback()
    dish = db.session.execute(select(CanonicalMenu).where(CanonicalMenu.name_ko == "마라탕")).scalar_one()
    assert dish.name_zh == "麻辣烫" and dish.source == "shop" and dish.spice_level == 3


def test_approve_links_a_given_dish_and_reject_keeps_a_note(client, catalog, make_user):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    typo = submit(client, owner, shop["id"], "김치찌게").get_json()
    bad = client.post(f"{API}/admin/menu/scans/{typo['id']}/approve", json={"canonical_menu_id": 999999},
                      headers=admin)
    assert bad.status_code == 422
    linked = client.post(f"{API}/admin/menu/scans/{typo['id']}/approve", json={"canonical_menu_id": 1},
                         headers=admin).get_json()
    assert linked["canonical_menu_id"] == 1 and linked["status"] == "approved"
    junk = submit(client, owner, shop["id"], "주차 안내").get_json()
    rejected = client.post(f"{API}/admin/menu/scans/{junk['id']}/reject", json={"note": "not a dish"},
                           headers=admin).get_json()
    assert rejected["status"] == "rejected" and rejected["review_note"] == "not a dish"
    queue = client.get(f"{API}/admin/menu/scans?status=rejected", headers=admin).get_json()
    assert [s["id"] for s in queue["items"]] == [junk["id"]]


def test_linking_a_misspelt_scan_makes_the_spelling_an_exact_match(client, catalog, make_user, db):
    """Approve 김치찌게 linked to 김치찌개: identify of the typo is then exact (reason alias), cache included."""
    from backend.menu.models import MenuAlias

    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    before = identify(client, "김치찌게").get_json()
    assert before["match"] == "none"  # no LLM configured: the typo is unknown
    kimchi = identify(client, "김치찌개").get_json()["dish"]
    typo = submit(client, owner, shop["id"], "김치 찌게").get_json()
    url = f"{API}/admin/menu/scans/{typo['id']}/approve"
    assert client.post(url, json={"canonical_menu_id": kimchi["id"]}, headers=admin).status_code == 200
    after = identify(client, "김치찌게").get_json()
    assert after["match"] == "exact" and after["reason"] == "alias" and after["dish"]["id"] == kimchi["id"]
    assert after["name_key"] == "김치찌게" and after["dish"]["name_ko"] == "김치찌개"
    assert identify(client, "김치찌개").get_json()["reason"] is None  # the dish's own name: no alias
    # A second link of the same spelling to another dish keeps the first (no 409, no second row).
    again = submit(client, owner, shop["id"], "김치찌게").get_json()
    other = client.post(f"{API}/admin/menu/scans/{again['id']}/approve", json={"canonical_menu_id": 2},
                        headers=admin)
    assert other.status_code == 200
    db.session.rollback()
    aliases = db.session.execute(select(MenuAlias.name_key, MenuAlias.canonical_menu_id)).all()
    assert [tuple(a) for a in aliases] == [("김치찌게", kimchi["id"])]


def test_approving_a_scan_of_the_dishs_own_name_adds_no_alias(client, catalog, make_user, db):
    from backend.menu.models import MenuAlias

    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    scan = submit(client, owner, shop["id"], "김치 찌개").get_json()  # normalises to the dish's name
    assert client.post(f"{API}/admin/menu/scans/{scan['id']}/approve", json={}, headers=admin).status_code == 200
    db.session.rollback()
    assert db.session.execute(select(MenuAlias.id)).first() is None


def test_the_exact_stage_through_an_alias_is_still_one_statement(client, catalog, make_user, backend):
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    typo = submit(client, owner, shop["id"], "된장찌게").get_json()
    assert typo["match_type"] == "none"
    assert client.post(f"{API}/admin/menu/scans/{typo['id']}/approve", json={"canonical_menu_id": 1},
                       headers=admin).status_code == 200
    first = identify(client, "된장찌게")
    assert first.get_json()["match"] == "exact" and first.get_json()["reason"] == "alias"
    assert statements(first) == 1 + (backend == "sqlite")  # one statement (+ BEGIN), like the dish's own name


def test_a_modifier_matched_scan_never_becomes_an_alias(client, catalog, make_user, db):
    """Linking 치즈떡볶이 (matched on 떡볶이 by modifiers) keeps identify composing it."""
    from backend.menu.models import MenuAlias

    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = shop_of(client, owner)
    for body in ({}, None):
        scan = submit(client, owner, shop["id"], "치즈떡볶이").get_json()
        assert scan["match_type"] == "modifier"
        link = {} if body is not None else {"canonical_menu_id": scan["canonical_menu_id"]}
        assert client.post(f"{API}/admin/menu/scans/{scan['id']}/approve", json=link, headers=admin).status_code == 200
    db.session.rollback()
    assert db.session.execute(select(MenuAlias.id)).first() is None
    assert identify(client, "치즈떡볶이").get_json()["match"] == "modifier"

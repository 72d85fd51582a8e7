"""Seed data of the menu domain: the dishes and modifiers of backend/menu/data, shops and scan logs.

Always: every dish of `data/dishes.json` and modifier of `data/modifiers.json` (the real data the
identify stages answer from), the README's demo shop account (shop@softfactory.dev) and its shop.
Then by scale: `small` 20 shops and 5,000 scan logs; `large` (and `xl`) 1,000 shops and 1,000,000
scan logs, 5% of them shop submissions in the approval queue, spread over 180 days, for the stats
benchmark. Rows are generated lazily and loaded through `ctx.insert` (COPY on PostgreSQL, chunked
executemany on SQLite) with the scan_logs indexes built once after the load.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from backend.auth.models import User
from backend.auth.passwords import hash_password
from backend.common.actor import Role
from backend.extensions import db
from backend.menu import counters
from backend.menu.models import LANGS, MatchType, MenuSource, ScanSource, ScanStatus
from backend.menu.names import name_key

DATA = Path(__file__).with_name("data")
SIZES = {"small": {"shops": 20, "scans": 5_000}, "large": {"shops": 1_000, "scans": 1_000_000},
         "xl": {"shops": 1_000, "scans": 1_000_000}}
DEMO_SHOP = ("shop@softfactory.dev", "shop-password", "Sam Shop")
SHOP_SHARE = 0.05  # of scan logs, shop submissions (the rest are logged identify calls)
DAYS = 180
UNKNOWN = ["마라탕", "로제떡볶이", "흑당버블티", "탕후루", "크로플", "모둠튀김", "콘치즈", "스팸무스비"]


@cache
def dishes() -> list[dict[str, Any]]:
    """The dish data file (a list of dishes; see data/dishes.json)."""
    return json.loads((DATA / "dishes.json").read_text(encoding="utf-8"))


@cache
def modifiers() -> list[dict[str, Any]]:
    """The modifier data file."""
    return json.loads((DATA / "modifiers.json").read_text(encoding="utf-8"))


def dish_rows(now: dt.datetime) -> list[dict[str, Any]]:
    """canonical_menus rows, ids 1..n in file order."""
    rows = []
    for i, d in enumerate(dishes(), start=1):
        row = {"id": i, "name_ko": name_key(d["ko"]), "romanization": d["romanization"], "category": d["category"],
               "spice_level": d["spice_level"], "allergens": d["allergens"], "source": MenuSource.SEED.value,
               "created_at": now}
        for lang in LANGS:
            row[f"name_{lang}"], row[f"short_{lang}"], row[f"long_{lang}"] = (
                d["name"][lang], d["short"][lang], d["long"][lang])
        rows.append(row)
    return rows


def modifier_rows() -> list[dict[str, Any]]:
    """menu_modifiers rows."""
    rows = []
    for i, m in enumerate(modifiers(), start=1):
        row = {"id": i, "name_ko": name_key(m["ko"]), "position": m["position"], "romanization": m["romanization"],
               "allergens": m["allergens"], "spice_delta": m["spice_delta"]}
        for lang in LANGS:
            row[f"name_{lang}"], row[f"note_{lang}"] = m["name"][lang], m["note"][lang]
        rows.append(row)
    return rows


def _scan_rows(ctx: Any, n: int, shop_ids: list[int], owners: dict[int, int], admin_id: int | None):
    """`n` scan_logs rows, ids and times increasing together (newest last)."""
    rng, now = ctx.rng, ctx.now
    names = [d["ko"] for d in dishes()]
    prefixes = [m["ko"] for m in modifiers() if m["position"] == "prefix"]
    start = now - dt.timedelta(days=DAYS)
    step = DAYS * 86400 / max(1, n)
    statuses = [ScanStatus.APPROVED.value] * 12 + [ScanStatus.REJECTED.value] * 5 + [ScanStatus.PENDING.value] * 3
    for i in range(n):
        created = start + dt.timedelta(seconds=i * step)
        roll = rng.random()
        dish = rng.randrange(len(names))
        if roll < 0.7:
            menu_name, match, canonical = names[dish], MatchType.EXACT.value, dish + 1
        elif roll < 0.9:
            menu_name, match, canonical = rng.choice(prefixes) + names[dish], MatchType.MODIFIER.value, dish + 1
        else:
            menu_name, match, canonical = rng.choice(UNKNOWN), MatchType.AI.value, None
        row = {"id": i + 1, "menu_name": menu_name, "source": ScanSource.IDENTIFY.value, "match_type": match,
               "status": None, "shop_id": None, "canonical_menu_id": canonical, "submitted_by": None,
               "reviewed_by": None, "reviewed_at": None, "review_note": None, "created_at": created}
        if shop_ids and rng.random() < SHOP_SHARE:
            # Most shops stay active; a quarter of them stopped scanning two months ago.
            shop = rng.choice(shop_ids)
            if shop % 4 == 0 and created > now - dt.timedelta(days=60):
                shop = rng.choice(shop_ids[: max(1, len(shop_ids) // 2)])
            status = rng.choice(statuses) if created < now - dt.timedelta(days=2) else ScanStatus.PENDING.value
            reviewed = status != ScanStatus.PENDING.value
            row.update(source=ScanSource.SHOP.value, status=status, shop_id=shop, submitted_by=owners[shop],
                       reviewed_by=admin_id if reviewed else None,
                       reviewed_at=created + dt.timedelta(hours=6) if reviewed else None)
        yield row


def seed_menu(ctx: Any) -> tuple[str, ...]:
    """Dishes, modifiers, the demo shop account, shops and scan logs; returns the namespaces to bump."""
    from backend.menu.catalog import CATALOG
    from backend.menu.models import CanonicalMenu, MenuModifier, ScanLog, Shop

    sizes = SIZES[ctx.scale]
    db.session.execute(insert(CanonicalMenu), dish_rows(ctx.now))
    db.session.execute(insert(MenuModifier), modifier_rows())
    email, password, name = DEMO_SHOP
    owners_rows = [{"email": email, "password_hash": hash_password(password), "name": name,
                    "role": Role.SHOP.value, "created_at": ctx.now}]
    shared_hash = hash_password("load-password")
    owners_rows += [{"email": f"shop{i}@load.test", "password_hash": shared_hash, "name": f"Shop Owner {i}",
                     "role": Role.SHOP.value, "created_at": ctx.now} for i in range(1, sizes["shops"])]
    # Explicit ids after every account seeded so far (the seed moves the PostgreSQL sequences past
    # explicit ids only at the end, so a sequence-assigned id here would collide with them).
    first = (db.session.execute(select(func.max(User.id))).scalar() or 0) + 1
    owner_ids = list(range(first, first + len(owners_rows)))
    db.session.execute(insert(User), [{"id": uid, **row} for uid, row in zip(owner_ids, owners_rows, strict=True)])
    shops = [{"id": i, "owner_id": owner, "name": "Sam's Kitchen" if i == 1 else f"Shop {i}",
              "address": "Seoul" if i == 1 else f"{i} Menu-ro, Seoul", "created_at": ctx.now}
             for i, owner in enumerate(owner_ids, start=1)]
    db.session.execute(insert(Shop), shops)
    ctx.shared.setdefault("demo", {})[Role.SHOP.value] = owner_ids[0]
    owners = {s["id"]: s["owner_id"] for s in shops}
    admin_id = ctx.shared.get("demo", {}).get(Role.ADMIN.value)
    rows = _scan_rows(ctx, sizes["scans"], [s["id"] for s in shops], owners, admin_id)
    with ctx.indexes_deferred(ScanLog.__table__):
        ctx.insert(ScanLog, rows)
    counters.add(db.session, counters.SCAN_LOGS, sizes["scans"])
    return (CATALOG, "menu:stats")

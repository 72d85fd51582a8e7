"""Menu tables: canonical dishes, name modifiers, shops, scan logs and remembered AI discoveries.

Reads and the indexes that serve them (checked with EXPLAIN in tests/menu/test_query_plans.py):
- identify: `canonical_menus.name_ko` (unique) for the exact stage and the modifier stage's one
  `IN (...)` probe; `menu_discoveries.name_key` (unique) for an AI answer already paid for.
- the approval queue: `GET /admin/menu/scans?status=` pages newest first by id inside one status,
  served by the partial `(status, id) WHERE status IS NOT NULL` index (identify logs have no status,
  so the index holds only the queue, however many identify calls were logged).
- stats: counts per status from the same partial index; "active shops" probe
  `(shop_id, created_at)` once per shop; the 10 latest scans walk the primary key backwards (ids grow with time:
  recency needs no index of its own, which would cost every insert of a million-row log).
- a shop owner's shops: `shops.owner_id`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db
from backend.jobs.models import JsonColumn

LANGS: tuple[str, ...] = ("en", "ja", "zh")
QUEUED = "status IS NOT NULL"


class Category(StrEnum):
    """What kind of dish (one vocabulary for the data files, the CHECK and the schemas)."""

    STEW = "stew"  # 찌개, 전골
    SOUP = "soup"  # 국, 탕
    RICE = "rice"
    NOODLES = "noodles"
    GRILLED = "grilled"  # 구이, barbecue
    BRAISED = "braised"  # 찜, 조림
    STIR_FRIED = "stir_fried"  # 볶음
    FRIED = "fried"  # 튀김, 치킨, 까스
    PANCAKE = "pancake"  # 전, 부침개
    SIDE = "side"  # 반찬, 김치, 나물
    RAW = "raw"  # 회, 육회
    PORRIDGE = "porridge"  # 죽
    STREET = "street"  # 분식
    DUMPLING = "dumpling"
    DESSERT = "dessert"  # 떡, 빙수, 과자
    DRINK = "drink"
    OTHER = "other"


class ModifierPosition(StrEnum):
    """Where a modifier sits in a menu name."""

    PREFIX = "prefix"
    SUFFIX = "suffix"


class ScanStatus(StrEnum):
    """Review state of a shop-submitted scan (identify logs have none: they never enter the queue)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MatchType(StrEnum):
    """Which identify stage found the dish."""

    EXACT = "exact"
    MODIFIER = "modifier"
    AI = "ai"
    NONE = "none"


class ScanSource(StrEnum):
    """How a scan log row came to be."""

    IDENTIFY = "identify"  # a logged identify call (batched)
    SHOP = "shop"  # a shop's submission (enters the approval queue)


class MenuSource(StrEnum):
    """Where a canonical dish came from."""

    SEED = "seed"  # the data files in backend/menu/data
    SHOP = "shop"  # created when an admin approved a shop's scan


class CanonicalMenu(db.Model):
    """One known dish, keyed by its normalised Korean name, explained in every language we serve."""

    __tablename__ = "canonical_menus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)  # normalised (no spaces)
    romanization: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    category: Mapped[str] = mapped_column(String(16), nullable=False, default=Category.OTHER.value)
    spice_level: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)  # 0 none .. 3 very hot
    allergens: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=list)
    name_en: Mapped[str | None] = mapped_column(String(200))
    name_ja: Mapped[str | None] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    short_en: Mapped[str | None] = mapped_column(String(400))
    short_ja: Mapped[str | None] = mapped_column(String(400))
    short_zh: Mapped[str | None] = mapped_column(String(400))
    long_en: Mapped[str | None] = mapped_column(Text)
    long_ja: Mapped[str | None] = mapped_column(Text)
    long_zh: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), nullable=False, default=MenuSource.SEED.value)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("category", Category), name="category_valid"),
        CheckConstraint("spice_level BETWEEN 0 AND 3", name="spice_level_valid"),
        CheckConstraint(one_of("source", MenuSource), name="source_valid"),
    )


class MenuAlias(db.Model):
    """Another spelling of a canonical dish, recorded when an admin approves a shop scan by linking it.

    Approving the scan "김치찌게" with the dish 김치찌개 makes the next identify of 김치찌게 an exact
    match of 김치찌개 (`reason: "alias"`), not a paid AI call. Keyed like `canonical_menus.name_ko`
    (the normalised name); never the name of a canonical dish itself.
    """

    __tablename__ = "menu_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    canonical_menu_id: Mapped[int] = mapped_column(ForeignKey("canonical_menus.id", ondelete="CASCADE"),
                                                   nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_menu_aliases_canonical_menu_id", "canonical_menu_id"),)  # the FK's cascade


class MenuModifier(db.Model):
    """A prefix or suffix that changes a base dish (왕 king-size, 치즈 cheese, 곱빼기 double portion)."""

    __tablename__ = "menu_modifiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    position: Mapped[str] = mapped_column(String(8), nullable=False, default=ModifierPosition.PREFIX.value)
    romanization: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    name_en: Mapped[str] = mapped_column(String(80), nullable=False)
    name_ja: Mapped[str] = mapped_column(String(80), nullable=False)
    name_zh: Mapped[str] = mapped_column(String(80), nullable=False)
    note_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    note_ja: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    note_zh: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    allergens: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=list)  # what it adds
    spice_delta: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint(one_of("position", ModifierPosition), name="position_valid"),
        CheckConstraint("spice_delta BETWEEN -3 AND 3", name="spice_delta_valid"),
    )


class Shop(db.Model):
    """A restaurant, owned by an account with the `shop` role."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[dt.datetime] = created_at_column()


class ScanLog(db.Model):
    """A menu name as scanned: a logged identify call, or a shop's submission awaiting review."""

    __tablename__ = "scan_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_name: Mapped[str] = mapped_column(String(200), nullable=False)  # as scanned (NFKC, spaces collapsed)
    source: Mapped[str] = mapped_column(String(8), nullable=False, default=ScanSource.IDENTIFY.value)
    match_type: Mapped[str] = mapped_column(String(8), nullable=False, default=MatchType.NONE.value)
    status: Mapped[str | None] = mapped_column(String(8))  # only shop scans have one
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    canonical_menu_id: Mapped[int | None] = mapped_column(ForeignKey("canonical_menus.id", ondelete="SET NULL"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("source", ScanSource), name="source_valid"),
        CheckConstraint(one_of("match_type", MatchType), name="match_type_valid"),
        CheckConstraint(f"status IS NULL OR {one_of('status', ScanStatus)}", name="status_valid"),
        # A shop scan is always in the queue; an identify log never is.
        CheckConstraint("(source = 'shop') = (status IS NOT NULL)", name="status_iff_shop"),
        Index("ix_scan_logs_status_id", "status", "id", sqlite_where=text(QUEUED), postgresql_where=text(QUEUED)),
        Index("ix_scan_logs_shop_id_created_at", "shop_id", "created_at"),
    )


class MenuDiscovery(db.Model):
    """An AI answer for a name no stage knew, validated before it was stored.

    The shared store behind single-flight: every worker (and host) that waited for the one
    provider call finds the answer here, and it is never paid for twice. Not a canonical dish:
    an admin approving a shop scan of the name may promote it.
    """

    __tablename__ = "menu_discoveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    found: Mapped[bool] = mapped_column(db.Boolean, nullable=False)  # False: the model said "not a dish"
    answer: Mapped[Any] = mapped_column(JsonColumn, nullable=False)
    model: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[dt.datetime] = created_at_column()


class MenuCounter(db.Model):
    """A maintained total, kept exact in the transaction that inserts the rows it counts.

    `scan_logs`: counting a million rows costs ~200 ms on PostgreSQL (a parallel sequential scan;
    measured, docs/performance.md "Menu"), far over the stats budget of 50 ms, so the writers of
    scan_logs (the batched identify log, shop submissions, the seed) add what they insert here.
    """

    __tablename__ = "menu_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

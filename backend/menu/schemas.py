"""Request and response schemas of the menu domain (they validate input and are the OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema, DbInt
from backend.menu.ai import ALLERGENS
from backend.menu.models import Category, ScanStatus

Lang = Literal["ko", "en", "ja", "zh", "zh-CN", "zh-TW"]


class IdentifyIn(BodySchema):
    """A menu name as it appears on a menu."""

    menu_name: str = Field(min_length=1, max_length=200, description="NFKC-normalised; spaces do not matter")


class Explanation(BaseModel):
    """A dish explained in one language."""

    short: str | None
    long: str | None


class Names(BaseModel):
    """A name in each served language."""

    en: str | None
    ja: str | None
    zh: str | None


class Explanations(BaseModel):
    """Explanations in each served language."""

    en: Explanation
    ja: Explanation
    zh: Explanation


class DishOut(BaseModel):
    """A dish: canonical (id set), composed from modifiers or discovered by AI (id null)."""

    id: int | None
    name_ko: str
    romanization: str
    category: str
    spice_level: int = Field(ge=0, le=3)
    allergens: list[str]
    names: Names
    explanations: Explanations


class BaseRef(BaseModel):
    """The canonical dish a modifier match was built on."""

    id: int
    name_ko: str


class ModifierOut(BaseModel):
    """A modifier found in the name."""

    name_ko: str
    position: str
    romanization: str
    names: Names


class IdentifyOut(BaseModel):
    """Which stage matched and the dish it found."""

    query: str
    name_key: str
    match: Literal["exact", "modifier", "ai", "none"]
    # `alias`: an exact match through a reviewed spelling (an approved shop scan linked to the dish).
    reason: Literal["ai_unavailable", "not_a_dish", "ai_pending", "alias"] | None
    dish: DishOut | None
    base: BaseRef | None
    modifiers: list[ModifierOut]
    confidence: float | None
    cached: bool


class TranslateIn(BodySchema):
    """Text to translate (Papago NMT)."""

    text: str = Field(min_length=1, max_length=5000)
    source: Lang = "ko"
    target: Lang = "en"

    @model_validator(mode="after")
    def _different(self) -> TranslateIn:
        if self.source == self.target:
            raise ValueError("source and target must differ")
        return self


class TranslateOut(BaseModel):
    """A translation."""

    text: str
    translated_text: str | None
    source: str
    target: str
    provider: Literal["papago", "catalog"] | None
    reason: Literal["translation_unavailable"] | None
    cached: bool


class ShopIn(BodySchema):
    """A new shop."""

    name: str = Field(min_length=1, max_length=120)
    address: str = Field("", max_length=300)


class ShopOut(BaseModel):
    """A shop."""

    id: int
    name: str
    address: str
    created_at: dt.datetime


class ShopPage(BaseModel):
    """My shops."""

    items: list[ShopOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class ScanIn(BodySchema):
    """A shop submits a menu name it scanned."""

    shop_id: DbInt
    menu_name: str = Field(min_length=1, max_length=200)


class ScanOut(BaseModel):
    """A scan in the approval queue."""

    id: int
    menu_name: str
    shop_id: int | None
    shop_name: str | None = None
    status: str | None
    match_type: str
    canonical_menu_id: int | None
    submitted_by: int | None
    reviewed_by: int | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    created_at: dt.datetime


class ScanListQuery(PageQuery):
    """The queue in one status, newest first (cursor pages)."""

    # A Literal, not the enum: an enum only in a query has no schema in the document's components.
    status: Literal["pending", "approved", "rejected"] = ScanStatus.PENDING.value


class ScanPage(BaseModel):
    """A page of the queue."""

    items: list[ScanOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class LangsIn(BodySchema):
    """A text in each served language (each optional)."""

    en: str | None = Field(None, min_length=1, max_length=200)
    ja: str | None = Field(None, min_length=1, max_length=200)
    zh: str | None = Field(None, min_length=1, max_length=200)


class LongLangsIn(BodySchema):
    """A longer text in each served language."""

    en: str | None = Field(None, min_length=1, max_length=2000)
    ja: str | None = Field(None, min_length=1, max_length=2000)
    zh: str | None = Field(None, min_length=1, max_length=2000)


class NewMenuIn(BodySchema):
    """A canonical dish an approval creates (its Korean name is the scan's normalised name)."""

    romanization: str = Field("", max_length=200)
    category: Category = Category.OTHER
    spice_level: int = Field(0, ge=0, le=3)
    allergens: list[Literal[ALLERGENS]] = Field(default_factory=list, max_length=len(ALLERGENS))
    names: LangsIn = Field(default_factory=LangsIn)
    short: LangsIn = Field(default_factory=LangsIn)
    long: LongLangsIn = Field(default_factory=LongLangsIn)


class ApproveIn(BodySchema):
    """Approve: link an existing dish, create one, or (neither) keep what identify matched."""

    canonical_menu_id: DbInt | None = None
    create: NewMenuIn | None = None
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one(self) -> ApproveIn:
        if self.canonical_menu_id is not None and self.create is not None:
            raise ValueError("give canonical_menu_id or create, not both")
        return self


class RejectIn(BodySchema):
    """Reject, optionally saying why."""

    note: str | None = Field(None, max_length=500)


class LatestScan(BaseModel):
    """One of the newest scan log rows."""

    id: int
    menu_name: str
    source: str
    match_type: str
    status: str | None
    shop_id: int | None
    created_at: dt.datetime


class StatsOut(BaseModel):
    """The admin overview."""

    pending: int
    approved: int
    rejected: int
    total_scans: int
    active_shops: int
    canonical_menus: int
    translation_coverage: dict[str, str]
    latest_scans: list[LatestScan]
    generated_at: dt.datetime
    source: Literal["cache", "database"]


class RecognizedItem(BaseModel):
    """One item read from the photo and what identify made of it."""

    text: str
    status: Literal["done", "pending", "failed"]
    result: IdentifyOut | None
    error: str | None = None


class ImageInfo(BaseModel):
    """The validated image."""

    format: Literal["JPEG", "PNG", "WEBP"]
    width: int
    height: int
    size_bytes: int


class OcrInfo(BaseModel):
    """Which OCR engine read the photo."""

    engine: Literal["clova", "tesseract"]
    characters: int


class RecognizeOut(BaseModel):
    """The menu items of a photo; with `job` (202) the pending items are identified in the background."""

    menu_items: list[RecognizedItem]
    image_info: ImageInfo
    ocr: OcrInfo
    parser: Literal["llm", "builtin"]
    job: dict | None

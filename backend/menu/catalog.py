"""The known dishes: exact lookup and modifier decomposition (왕 + 새우 + 튀김, 불고기 + 덮밥).

Both stages cost one indexed statement each on `canonical_menus.name_ko` (Core, selected columns:
the ORM's identity bookkeeping costs more than the query on this hot path). The modifier list is
small and changes only with the seed, so each process keeps it, tagged with the generation of the
`menu:catalog` namespace (bumped by the seed and by approvals), and reloads it when that moves.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all

from backend.caching import response_cache
from backend.menu.models import LANGS, CanonicalMenu, MenuAlias, MenuModifier, ModifierPosition

CATALOG = "menu:catalog"  # generation namespace of everything identify answers from
MAX_PREFIXES, MAX_SUFFIXES = 3, 2
DISH_COLUMNS = (CanonicalMenu.id, CanonicalMenu.name_ko, CanonicalMenu.romanization, CanonicalMenu.category,
                CanonicalMenu.spice_level, CanonicalMenu.allergens,
                *[getattr(CanonicalMenu, f"{kind}_{lang}") for kind in ("name", "short", "long") for lang in LANGS])
# Built once: constructing a 15-column select costs more than running it (~0.3 ms a request, profiled).
# The exact stage is one statement: the dish of that name, else the dish a reviewed alias of that
# name points to (`via_alias` 1; the dish's own name wins should both exist). Two unique-index probes.
_OWN = select(*DISH_COLUMNS, literal(0).label("via_alias")).where(CanonicalMenu.name_ko == bindparam("key"))
_ALIASED = (select(*DISH_COLUMNS, literal(1).label("via_alias"))
            .join(MenuAlias, MenuAlias.canonical_menu_id == CanonicalMenu.id)
            .where(MenuAlias.name_key == bindparam("key")))
_EITHER = union_all(_OWN, _ALIASED).subquery()
EXACT = select(_EITHER).order_by(_EITHER.c.via_alias).limit(1)
BASES = select(*DISH_COLUMNS).where(CanonicalMenu.name_ko.in_(bindparam("keys", expanding=True)))


@dataclass(frozen=True)
class Modifier:
    """One modifier as composition needs it."""

    name_ko: str
    position: str
    romanization: str
    names: dict[str, str]
    notes: dict[str, str]
    allergens: tuple[str, ...]
    spice_delta: int

    def view(self) -> dict[str, Any]:
        """As the API shows it."""
        return {"name_ko": self.name_ko, "position": self.position, "romanization": self.romanization,
                "names": self.names}


def dish_view(row: Any) -> dict[str, Any]:
    """A canonical_menus row (DISH_COLUMNS) as the API shows a dish."""
    return {
        "id": row.id, "name_ko": row.name_ko, "romanization": row.romanization, "category": row.category,
        "spice_level": row.spice_level, "allergens": list(row.allergens or []),
        "names": {lang: getattr(row, f"name_{lang}") for lang in LANGS},
        "explanations": {lang: {"short": getattr(row, f"short_{lang}"), "long": getattr(row, f"long_{lang}")}
                         for lang in LANGS},
    }


@cache
def allergen_names() -> dict[str, dict[str, str]]:
    """Allergen code -> its name per language (data/allergens.json)."""
    return json.loads((Path(__file__).with_name("data") / "allergens.json").read_text(encoding="utf-8"))["allergens"]


def catalog_generation() -> tuple[int, ...] | None:
    """The catalog's current generation (None when it cannot be read: then nothing is cached)."""
    return response_cache().generations.get([CATALOG])


class _Modifiers:
    """This process's modifier list, reloaded when the catalog generation moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: tuple[int, ...] | None = None
        self._app: int | None = None
        self.prefixes: list[Modifier] = []
        self.suffixes: list[Modifier] = []

    def current(self, conn: Any, generation: tuple[int, ...] | None, app_id: int) -> _Modifiers:
        if generation is None or generation != self._generation or app_id != self._app:
            with self._lock:
                rows = conn.execute(select(MenuModifier.__table__)).all()
                mods = [Modifier(r.name_ko, r.position, r.romanization,
                                 {lang: getattr(r, f"name_{lang}") for lang in LANGS},
                                 {lang: getattr(r, f"note_{lang}") for lang in LANGS},
                                 tuple(r.allergens or ()), r.spice_delta) for r in rows]
                by_length = sorted(mods, key=lambda m: -len(m.name_ko))  # longest first: 대왕 before 왕
                self.prefixes = [m for m in by_length if m.position == ModifierPosition.PREFIX]
                self.suffixes = [m for m in by_length if m.position == ModifierPosition.SUFFIX]
                self._generation, self._app = generation, app_id
        return self


_MODIFIERS = _Modifiers()


def exact(conn: Any, key: str) -> tuple[dict[str, Any], bool] | None:
    """(the dish named `key` or aliased by it, whether through an alias), else None (one statement)."""
    row = conn.execute(EXACT, {"key": key}).first()
    return (dish_view(row), bool(row.via_alias)) if row is not None else None


def decompositions(key: str, prefixes: list[Modifier], suffixes: list[Modifier]) -> dict[str, tuple]:
    """Every base name reachable by removing up to 2 suffixes and 3 prefixes: base -> (prefixes, suffixes)."""
    found: dict[str, tuple] = {}

    def strip_prefixes(rest: str, taken: tuple, tail: tuple) -> None:
        if (taken or tail) and rest and (rest not in found or _count(found[rest]) > len(taken) + len(tail)):
            found[rest] = (taken, tail)
        if len(taken) >= MAX_PREFIXES:
            return
        for mod in prefixes:
            if rest.startswith(mod.name_ko) and len(rest) > len(mod.name_ko):
                strip_prefixes(rest[len(mod.name_ko):], (*taken, mod), tail)

    def strip_suffixes(rest: str, tail: tuple) -> None:
        strip_prefixes(rest, (), tail)
        if len(tail) >= MAX_SUFFIXES:
            return
        for mod in suffixes:
            if rest.endswith(mod.name_ko) and len(rest) > len(mod.name_ko):
                strip_suffixes(rest[:-len(mod.name_ko)], (mod, *tail))

    strip_suffixes(key, ())
    return found


def _count(parts: tuple) -> int:
    return len(parts[0]) + len(parts[1])


def by_modifiers(conn: Any, key: str, generation: tuple[int, ...] | None, app_id: int) -> dict[str, Any] | None:
    """A known base dish plus modifiers spelling `key`, composed; None when no split finds a dish.

    One statement for all candidate bases; the longest base wins (the most specific dish).
    """
    mods = _MODIFIERS.current(conn, generation, app_id)
    candidates = decompositions(key, mods.prefixes, mods.suffixes)
    if not candidates:
        return None
    rows = conn.execute(BASES, {"keys": sorted(candidates)}).all()
    if not rows:
        return None
    base = max(rows, key=lambda r: (len(r.name_ko), -_count(candidates[r.name_ko])))
    prefix_mods, suffix_mods = candidates[base.name_ko]
    return compose(key, dish_view(base), list(prefix_mods), list(suffix_mods))


def compose(key: str, base: dict[str, Any], prefixes: list[Modifier], suffixes: list[Modifier]) -> dict[str, Any]:
    """The dish `prefixes + base + suffixes` names: composed names, explanations, allergens, spice."""
    mods = prefixes + suffixes
    names, explanations = {}, {}
    for lang in LANGS:
        glue = " " if lang == "en" else ""  # Japanese and Chinese write compounds without spaces
        parts = [m.names[lang] for m in prefixes] + [base["names"][lang] or ""] + [m.names[lang] for m in suffixes]
        names[lang] = glue.join(p for p in parts if p)
        notes = glue.join(m.notes[lang] for m in mods if m.notes[lang])
        explanations[lang] = {kind: glue.join(p for p in (base["explanations"][lang][kind], notes) if p) or None
                              for kind in ("short", "long")}
    allergens = list(dict.fromkeys([*base["allergens"], *[a for m in mods for a in m.allergens]]))
    added = [a for a in allergens if a not in base["allergens"]]
    if added:  # the base's long text lists its own allergens; say what the modifiers add
        for lang in LANGS:
            glue = " " if lang == "en" else ""
            words = (", " if lang == "en" else "、").join(allergen_names()[a][lang] for a in added)
            extra = {"en": f"Also contains: {words}.", "ja": f"追加のアレルゲン：{words}。",
                     "zh": f"另含过敏原：{words}。"}[lang]
            long = explanations[lang]["long"]
            explanations[lang]["long"] = glue.join(p for p in (long, extra) if p)
    parts = [*(m.romanization for m in prefixes), base["romanization"], *(m.romanization for m in suffixes)]
    romanization = "-".join(p if p.isupper() else p[:1].lower() + p[1:] for p in parts if p)
    romanization = romanization[:1].upper() + romanization[1:]
    return {
        "dish": {"id": None, "name_ko": key, "romanization": romanization, "category": base["category"],
                 "spice_level": max(0, min(3, base["spice_level"] + sum(m.spice_delta for m in mods))),
                 "allergens": allergens, "names": names, "explanations": explanations},
        "base": {"id": base["id"], "name_ko": base["name_ko"]},
        "modifiers": [m.view() for m in mods],
    }

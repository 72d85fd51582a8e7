"""The menu's part of the performance tools: profiled endpoints and the identify load scenario (scripts.perf_spec).

Imported only by the tools, never by the app. The scenario `menu_identify` cycles the ten dishes of
issue 8 plus a few names no stage knows (unique per run, so the AI stage really runs: point
OPENAI_BASE_URL at a slow fake, as `python -m scripts.bench_menu` does).
"""

from __future__ import annotations

import itertools
import uuid

from backend.common.domain import API_PREFIX
from scripts.perf_spec import Endpoint, LoadAction

DISHES = ["김치찌개", "된장찌개", "불고기", "비빔밥", "냉면", "갈비탕", "삼계탕", "떡볶이", "순대국", "설렁탕"]
COMPOSED = ["치즈떡볶이", "해물칼국수", "왕만두", "돼지김치찌개", "불고기덮밥"]
RUN = uuid.uuid4().hex[:6]
UNKNOWN = [f"신메뉴{RUN}{n}" for n in range(5)]  # 5 names per run the catalog cannot know
_CYCLE = itertools.cycle(DISHES * 2 + UNKNOWN[:2] + DISHES[:5] + UNKNOWN[2:])  # ~1 in 6 unknown


def _identify(name: str) -> tuple[str, dict]:
    return "/menu/identify", {"menu_name": name}


PROFILE_ORDER = 60
PROFILE = [
    Endpoint("menu_identify_exact", "POST", "/menu/identify", 30, lambda ctx, i: _identify(DISHES[i % 10]),
             uncached=True),
    Endpoint("menu_identify_modifier", "POST", "/menu/identify", 40, lambda ctx, i: _identify(COMPOSED[i % 5]),
             uncached=True),
    Endpoint("menu_identify_cached", "POST", "/menu/identify", 20, lambda ctx, i: _identify(DISHES[i % 10])),
    Endpoint("menu_translate_catalog", "POST", "/menu/translate", 40,
             lambda ctx, i: ("/menu/translate", {"text": DISHES[i % 10], "source": "ko", "target": "en"})),
]


def _identify_cycle(user, state: dict) -> None:
    """The next name of the cycle: the ten dishes, then now and then a name only the AI can answer."""
    name = next(_CYCLE)
    kind = "unknown" if name in UNKNOWN else "known"
    user.client.post(f"{API_PREFIX}/menu/identify", json={"menu_name": name}, name=f"menu: identify ({kind})")


LOAD_ACTIONS = [LoadAction("menu_identify", _identify_cycle)]
LOAD_SCENARIOS = {"menu_identify": {"menu_identify": 100}}

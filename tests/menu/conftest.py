"""Menu fixtures: the catalog loaded from the real data files, apps whose LLM is a loopback fake."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, text

from backend.common.models import utcnow
from backend.integrations.fakes import FakeProvider
from backend.menu.models import CanonicalMenu, MenuModifier
from backend.menu.seed import dish_rows, modifier_rows
from tests.conftest import make_app, wipe


def completion(content: dict | str, model: str = "fake-menu-model") -> dict:
    """An OpenAI chat completion body whose first choice says `content` (a dict is sent as JSON)."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


MARATANG = {
    "is_korean_dish": True, "name_ko": "마라탕", "romanization": "Mara-tang", "category": "soup", "spice_level": 3,
    "allergens": ["soy", "wheat", "sesame"],
    "names": {"en": "Malatang (Spicy Numbing Hot Pot)", "ja": "マーラータン", "zh": "麻辣烫"},
    "short": {"en": "A numbing, spicy Sichuan-style soup of chosen ingredients, very popular in Korea.",
              "ja": "好きな具材を選ぶ、しびれる辛さの四川風スープ。韓国で大人気。",
              "zh": "自选食材的四川风味麻辣汤，在韩国非常流行。"},
    "long": {"en": "Diners pick vegetables, noodles, tofu and meat, weighed and cooked in a mala broth.",
             "ja": "野菜や麺、豆腐、肉を選んで量り売りし、麻辣スープで煮る。",
             "zh": "顾客自选蔬菜、面条、豆腐和肉，称重后用麻辣汤煮。"},
    "confidence": 0.9,
}


def load_catalog(db) -> None:
    """Every dish and modifier of backend/menu/data, as the seed loads them."""
    db.session.execute(insert(CanonicalMenu), dish_rows(utcnow()))
    db.session.execute(insert(MenuModifier), modifier_rows())
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them, as the seed does
        for table in ("canonical_menus", "menu_modifiers"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    db.session.commit()


def identify(client, name: str, **kw):
    """POST /menu/identify."""
    return client.post("/api/v1/menu/identify", json={"menu_name": name}, **kw)


@pytest.fixture
def llm():
    """A fake OpenAI-compatible server answering MARATANG."""
    with FakeProvider() as fake:
        fake.default = {"status": 200, "body": json.dumps(completion(MARATANG)).encode()}
        yield fake


@pytest.fixture
def llm_app(database_url, tmp_path, llm):
    """make(**config): an app on the current backend whose OpenAI base URL is the fake."""
    made = []

    def make(**config):
        settings = {"OPENAI_BASE_URL": f"{llm.url}/v1", "OPENAI_API_KEY": "sk-test", "OPENAI_MODEL": "fake-menu-model",
                    "OPENAI_BACKOFF": 0.01, "MENU_FLIGHT_DIR": str(tmp_path / "flight"), **config}
        application = make_app(database_url, tmp_path, **settings)
        made.append(application)
        return application

    yield make
    for application in made[:1]:
        wipe(application)

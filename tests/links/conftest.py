"""Links fixtures: a fake content platform and a fake Gemini on loopback, and apps configured for them."""

from __future__ import annotations

import pytest

from backend.links.fakes import FakeGemini, FakePlatform
from tests.conftest import make_app, wipe


@pytest.fixture
def platform():
    """A fake content platform (two media per post by default)."""
    with FakePlatform() as fake:
        yield fake


@pytest.fixture
def gemini():
    """A fake Gemini answering one item per medium."""
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def links_app(database_url, tmp_path, gemini):
    """make(**config): an app on the current backend that reaches the fakes (a Gemini key unless key=None)."""
    made = []

    def make(key: str | None = "test-key", **config):
        settings = {"LINKS_TEST_ALLOW_LOOPBACK": True, "GEMINI_BASE_URL": gemini.url, "GEMINI_API_KEY": key or "",
                    "GEMINI_BACKOFF": 0.01, "GEMINI_PRICE_INPUT_PER_1K": 0.0001, "GEMINI_PRICE_OUTPUT_PER_1K": 0.0004,
                    **config}
        application = make_app(database_url, tmp_path, **settings)
        made.append(application)
        return application

    yield make
    for application in made[:1]:
        wipe(application)

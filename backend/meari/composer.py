"""The builtin composer: a deterministic persona and cards from the request's own fields.

Used when no LLM is configured, or when the LLM fails in a way another attempt will not fix, so
`make run` works offline end to end. Same input, same output: the persona's name is picked by a
hash of the concern, the theme by keywords, and the texts come from a small per-language table
(English and Korean; other languages get English, and the persona says so).
"""

from __future__ import annotations

import zlib
from typing import Any

from backend.meari.models import CardKind
from backend.meari.schemas import Card, Persona

NAMES = ("Meari", "Haneul", "Dana", "Sora", "Ari", "Nuri")
# theme -> keywords (lower-case English and Korean stems) found in the concern
THEMES: dict[str, tuple[str, ...]] = {
    "work": ("work", "job", "boss", "career", "office", "deadline", "회사", "직장", "업무", "상사", "일이"),
    "study": ("exam", "study", "school", "class", "grade", "시험", "공부", "학교", "성적"),
    "relationships": ("friend", "partner", "family", "lonely", "parent", "친구", "가족", "연인", "외로"),
    "health": ("sleep", "tired", "health", "sick", "anxious", "anxiety", "잠", "피곤", "건강", "불안"),
}
TEXT = {
    "en": {
        "tone": {"work": "steady and practical", "study": "encouraging and structured",
                 "relationships": "warm and patient", "health": "calm and gentle", "general": "warm and curious"},
        "summary": "{name} listens first and keeps things small. You said: \u201c{excerpt}\u201d. "
                   "{name} will help you name what weighs most and pick one step you can take today.",
        "reflect": ("What you are carrying", "You wrote about {topic}. Naming it is already a step: "
                    "notice which part of it feels heaviest right now."),
        "action": {"work": "List the three tasks due first and do ten minutes of the smallest one.",
                   "study": "Pick one topic, set a 25-minute timer and study only that.",
                   "relationships": "Send one short, honest message to someone you trust.",
                   "health": "Take a slow walk or ten slow breaths before the next thing on your list.",
                   "general": "Write down one thing you can change today, however small, and do it."},
        "action_title": "One small step",
        "question": ("A question for you", "If a friend told you this, what would you tell them first?"),
        "resource": ("Where to find support", "Talking to someone you trust, or to a counsellor, helps. "
                     "If you feel unsafe, contact local emergency services."),
        "context": "From your context source",
        "topic": {"work": "your work", "study": "your studies", "relationships": "the people close to you",
                  "health": "how you feel in body and mind", "general": "what is on your mind"},
    },
    "ko": {
        "tone": {"work": "차분하고 실용적인", "study": "격려하고 체계적인", "relationships": "따뜻하고 인내심 있는",
                 "health": "고요하고 부드러운", "general": "따뜻하고 호기심 많은"},
        "summary": "{name}은(는) 먼저 듣고 작게 시작합니다. 당신은 이렇게 말했어요: \u201c{excerpt}\u201d. "
                   "{name}이(가) 가장 무거운 것을 찾고 오늘 할 수 있는 한 걸음을 고르도록 돕습니다.",
        "reflect": ("지금 안고 있는 것", "{topic}에 대해 적어 주셨어요. 이름 붙이는 것만으로도 한 걸음입니다: "
                    "지금 가장 무겁게 느껴지는 부분이 무엇인지 살펴보세요."),
        "action": {"work": "가장 먼저 마감되는 일 세 가지를 적고, 가장 작은 일에 10분만 써 보세요.",
                   "study": "한 주제를 골라 25분 타이머를 맞추고 그것만 공부해 보세요.",
                   "relationships": "믿는 사람에게 짧고 솔직한 메시지를 하나 보내 보세요.",
                   "health": "다음 일을 하기 전에 천천히 걷거나 천천히 열 번 숨을 쉬어 보세요.",
                   "general": "오늘 바꿀 수 있는 작은 것 하나를 적고 해 보세요."},
        "action_title": "작은 한 걸음",
        "question": ("당신에게 묻는 질문", "친구가 이 이야기를 했다면, 가장 먼저 뭐라고 말해 주겠어요?"),
        "resource": ("도움을 받을 수 있는 곳", "믿는 사람이나 상담사와 이야기하면 도움이 됩니다. "
                     "안전하지 않다고 느끼면 지역 긴급 서비스에 연락하세요."),
        "context": "참고 자료",
        "topic": {"work": "일", "study": "공부", "relationships": "가까운 사람들", "health": "몸과 마음의 상태",
                  "general": "마음에 있는 것"},
    },
}


def theme_of(concern: str) -> str:
    """The first theme whose keywords occur in the concern, else "general"."""
    text = concern.lower()
    return next((theme for theme, words in THEMES.items() if any(w in text for w in words)), "general")


def _texts(language: str) -> tuple[dict[str, Any], bool]:
    """The text table for `language` (its primary subtag) and whether it is the language asked for."""
    primary = language.split("-")[0]
    return (TEXT[primary], True) if primary in TEXT else (TEXT["en"], False)


def _excerpt(concern: str, limit: int = 120) -> str:
    flat = " ".join(concern.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def compose_persona(concern: str, language: str) -> Persona:
    """A persona for the concern: name by hash, tone by theme, a summary quoting the concern."""
    texts, native = _texts(language)
    name = NAMES[zlib.crc32(concern.encode()) % len(NAMES)]
    summary = texts["summary"].format(name=name, excerpt=_excerpt(concern))
    if not native:
        summary += f" (Written in English: no builtin texts for '{language}'.)"
    return Persona(name=name, tone=texts["tone"][theme_of(concern)], summary=summary)


def compose_cards(concern: str, language: str, persona: Persona, external: dict[str, Any] | None) -> list[Card]:
    """4 cards (reflection, action, question, resource), plus one from fetched external data if any."""
    texts, _ = _texts(language)
    theme = theme_of(concern)
    title, body = texts["reflect"]
    cards = [Card(kind=CardKind.REFLECTION, title=title, body=body.format(topic=texts["topic"][theme])),
             Card(kind=CardKind.ACTION, title=texts["action_title"], body=texts["action"][theme]),
             Card(kind=CardKind.QUESTION, title=texts["question"][0], body=texts["question"][1]),
             Card(kind=CardKind.RESOURCE, title=texts["resource"][0], body=texts["resource"][1])]
    hint = context_hint(external)
    if hint:
        cards.append(Card(kind=CardKind.RESOURCE, title=texts["context"], body=hint))
    return cards


def context_hint(external: dict[str, Any] | None) -> str | None:
    """A short text from fetched external data (`summary`, else the first item's title), if there is one."""
    data = (external or {}).get("data") if (external or {}).get("status") == "fetched" else None
    if not isinstance(data, dict):
        return None
    summary = data.get("summary")
    if isinstance(summary, str) and summary.strip():
        return _excerpt(summary, 1000)
    items = data.get("items")
    if isinstance(items, list) and items and isinstance(items[0], dict) and isinstance(items[0].get("title"), str):
        return _excerpt(items[0]["title"], 1000)
    return None

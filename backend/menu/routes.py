"""Menu HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.common.api import api_route
from backend.menu import bp, identify, papago
from backend.menu.schemas import IdentifyIn, IdentifyOut, TranslateIn, TranslateOut

NO_STORE = {"Cache-Control": "no-store"}


@api_route(bp, "/menu/identify", "POST", summary="Identify a Korean menu name: exact, modifier composition, "
           "then AI discovery (match says which)", body=IdentifyIn, response=IdentifyOut, errors=[502, 503, 504],
           headers=NO_STORE)
def identify_menu(body: IdentifyIn):
    return identify.identify(body.menu_name)


@api_route(bp, "/menu/translate", "POST", summary="Translate text through Papago NMT (cached per source, "
           "target and text); 503 translation_unavailable when not configured", body=TranslateIn,
           response=TranslateOut, errors=[502, 503, 504], headers=NO_STORE)
def translate_text(body: TranslateIn):
    return papago.translate(body.text, body.source, body.target)

"""Menu HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.common.api import api_route
from backend.menu import bp, identify
from backend.menu.schemas import IdentifyIn, IdentifyOut

NO_STORE = {"Cache-Control": "no-store"}


@api_route(bp, "/menu/identify", "POST", summary="Identify a Korean menu name: exact, modifier composition, "
           "then AI discovery (match says which)", body=IdentifyIn, response=IdentifyOut, errors=[502, 503, 504],
           headers=NO_STORE)
def identify_menu(body: IdentifyIn):
    return identify.identify(body.menu_name)

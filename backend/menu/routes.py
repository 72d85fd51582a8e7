"""Menu HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from flask import jsonify, request

from backend.common.actor import ROLES, Role, current_actor
from backend.common.api import api_route
from backend.common.http import upload_body_limit
from backend.common.images import read_upload
from backend.common.pagination import PageQuery
from backend.menu import bp, identify, papago, recognize, shops, stats
from backend.menu.schemas import (
    ApproveIn,
    IdentifyIn,
    IdentifyOut,
    RecognizeOut,
    RejectIn,
    ScanIn,
    ScanListQuery,
    ScanOut,
    ScanPage,
    ShopIn,
    ShopOut,
    ShopPage,
    StatsOut,
    TranslateIn,
    TranslateOut,
)
from backend.menu.settings import DEFAULTS

NO_STORE = {"Cache-Control": "no-store"}
PRIVATE = {"Cache-Control": "private, no-store"}  # per-account data
SHOP, ADMIN = (Role.SHOP,), (Role.ADMIN,)


@api_route(bp, "/menu/identify", "POST", summary="Identify a Korean menu name: exact, modifier composition, "
           "then AI discovery (match says which); 202 ai_pending while another request asks the model",
           body=IdentifyIn, response=IdentifyOut, errors=[202, 502, 503, 504], headers=NO_STORE)
def identify_menu(body: IdentifyIn):
    result = identify.identify(body.menu_name)
    if result["reason"] == "ai_pending":
        response = jsonify(result)
        response.status_code = 202
        response.headers.update({"Retry-After": "1", **NO_STORE})
        return response
    return result


@api_route(bp, "/menu/translate", "POST", summary="Translate text through Papago NMT (cached per source, "
           "target and text); unconfigured: known menu names from the catalog, else reason "
           "translation_unavailable", body=TranslateIn,
           response=TranslateOut, errors=[502, 503, 504], headers=NO_STORE)
def translate_text(body: TranslateIn):
    return papago.translate(body.text, body.source, body.target)


@api_route(bp, "/menu/shops", "POST", summary="Create a shop I own (shop accounts)", body=ShopIn, response=ShopOut,
           status=201, roles=SHOP, headers=PRIVATE)
def create_shop(body: ShopIn):
    return shops.create_shop(current_actor(), body.name, body.address)


@api_route(bp, "/menu/shops", summary="My shops, newest first (cursor pages)", query=PageQuery, response=ShopPage,
           roles=SHOP, headers=PRIVATE)
def list_shops(query: PageQuery):
    return shops.list_shops(current_actor(), query.per_page, query.cursor)


@api_route(bp, "/menu/scans", "POST", summary="Submit a scanned menu name of my shop for review", body=ScanIn,
           response=ScanOut, status=201, roles=SHOP, errors=[404], headers=PRIVATE)
def submit_scan(body: ScanIn):
    return shops.submit_scan(current_actor(), body.shop_id, body.menu_name)


@api_route(bp, "/admin/menu/scans", summary="The scan approval queue in one status, newest first (admin)",
           query=ScanListQuery, response=ScanPage, roles=ADMIN, headers=PRIVATE)
def list_scans(query: ScanListQuery):
    return shops.list_scans(query.status, query.per_page, query.cursor)


@api_route(bp, "/admin/menu/scans/<id:scan_id>/approve", "POST", summary="Approve a pending scan: link a "
           "canonical menu or create one (admin)", body=ApproveIn, response=ScanOut, roles=ADMIN, errors=[404],
           headers=PRIVATE)
def approve_scan(scan_id: int, body: ApproveIn):
    create = body.create.model_dump() if body.create is not None else None
    return shops.approve(current_actor(), scan_id, body.canonical_menu_id, create, body.note)


@api_route(bp, "/admin/menu/scans/<id:scan_id>/reject", "POST", summary="Reject a pending scan (admin)",
           body=RejectIn, response=ScanOut, roles=ADMIN, errors=[404], headers=PRIVATE)
def reject_scan(scan_id: int, body: RejectIn):
    return shops.reject(current_actor(), scan_id, body.note)


@api_route(bp, "/admin/menu/stats", summary="Menu overview: queue counts, scans, active shops, canonical menus, "
           "translation coverage, latest scans (admin; cached 5 minutes)", response=StatsOut, roles=ADMIN,
           headers=PRIVATE)
def menu_stats():
    return stats.admin_stats()


@api_route(bp, "/menu/recognize", "POST", summary="Read a menu photo (multipart `file`: JPEG, PNG or WebP, at "
           "most 10 MB and 4096 px a side): OCR, items, identify each; 202 with a job for items that need "
           "more time", response=RecognizeOut, roles=ROLES, errors=[202, 400, 413, 415, 502, 503, 504],
           headers=PRIVATE, max_body=upload_body_limit(DEFAULTS["MENU_UPLOAD_MAX_BYTES"]), idempotency=False)
def recognize_menu():
    data = read_upload(request.files.get("file"), recognize.number("MENU_UPLOAD_MAX_BYTES", int))
    answer, done = recognize.recognize(current_actor(), data)
    if done:
        return answer
    response = jsonify(answer)
    response.status_code = 202
    response.headers.update({"Location": answer["job"]["status_url"], **PRIVATE})
    return response

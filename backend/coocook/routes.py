"""CooCook HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.caching.view import cached_response
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.coocook import bp
from backend.coocook.schemas import (
    BookingIn,
    BookingListQuery,
    BookingOut,
    BookingPage,
    ChefDetailOut,
    ChefListQuery,
    ChefOut,
    ChefPage,
    ChefUpdateIn,
    ReviewIn,
    ReviewOut,
)
from backend.coocook.services import bookings, chefs, reviews
from backend.coocook.services.bookings import CHEF_ROWS


@api_route(bp, "/chefs", summary="List active chefs (filters, sorts, offset or cursor pages)",
           query=ChefListQuery, response=ChefPage)
# A booking changes one chef's booking_count: it bumps that chef's namespace (after the guard), which
# drops the list pages showing that chef, not every list page (docs/performance.md "Cache hit rate").
@cached_response(lambda kw: ("chefs",), rows=lambda body: [f"chef:{c['id']}" for c in body["items"]],
                 rows_guard=CHEF_ROWS)
def list_chefs(query: ChefListQuery):
    return chefs.list_chefs(**query.model_dump())


@api_route(bp, "/chefs/<id:chef_id>", summary="A chef with its 5 latest reviews", response=ChefDetailOut,
           errors=[404])
@cached_response(lambda kw: (f"chef:{kw['chef_id']}",))
def get_chef(chef_id: int):
    return chefs.get_chef(chef_id)


@api_route(bp, "/chefs/<id:chef_id>", "PATCH", summary="Edit a chef profile (its chef or an admin)",
           body=ChefUpdateIn, response=ChefOut, roles=ROLES, errors=[404])
def update_chef(chef_id: int, body: ChefUpdateIn):
    return chefs.update_chef(current_actor(), chef_id, body.model_dump(exclude_unset=True))


@api_route(bp, "/bookings", "POST", summary="Book a chef for a date and slot", body=BookingIn,
           response=BookingOut, status=201, roles=ROLES, errors=[409])
def create_booking(body: BookingIn):
    return bookings.create_booking(current_actor(), body.chef_id, body.date, body.slot, body.guests)


@api_route(bp, "/bookings", summary="My bookings (a chef also sees bookings of their profile)",
           query=BookingListQuery, response=BookingPage, roles=ROLES)
def list_bookings(query: BookingListQuery):
    return bookings.list_bookings(current_actor(), **query.model_dump())


@api_route(bp, "/bookings/<id:booking_id>", summary="One of my bookings", response=BookingOut, roles=ROLES,
           errors=[404])
def get_booking(booking_id: int):
    return bookings.get_booking(current_actor(), booking_id)


@api_route(bp, "/bookings/<id:booking_id>/cancel", "POST", summary="Cancel (the user or the chef)",
           response=BookingOut, roles=ROLES, errors=[404, 409])
def cancel_booking(booking_id: int):
    return bookings.transition(current_actor(), booking_id, "cancel")


@api_route(bp, "/bookings/<id:booking_id>/confirm", "POST", summary="Confirm (the chef)",
           response=BookingOut, roles=ROLES, errors=[403, 404, 409])
def confirm_booking(booking_id: int):
    return bookings.transition(current_actor(), booking_id, "confirm")


@api_route(bp, "/bookings/<id:booking_id>/complete", "POST", summary="Mark completed (the chef)",
           response=BookingOut, roles=ROLES, errors=[403, 404, 409])
def complete_booking(booking_id: int):
    return bookings.transition(current_actor(), booking_id, "complete")


@api_route(bp, "/bookings/<id:booking_id>/review", "POST", summary="Review a completed booking (its user)",
           body=ReviewIn, response=ReviewOut, status=201, roles=ROLES, errors=[403, 404, 409])
def review_booking(booking_id: int, body: ReviewIn):
    return reviews.create_review(current_actor(), booking_id, body.rating, body.comment)

"""Campaigns HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.caching.view import cached_response
from backend.campaigns import bp
from backend.campaigns.schemas import (
    ApplicationOut,
    ApplicationPage,
    ApplicationQuery,
    ApplyIn,
    CampaignDetailOut,
    CampaignIn,
    CampaignListQuery,
    CampaignPage,
    CampaignUpdateIn,
    CompleteIn,
    MineQuery,
    MyCampaignPage,
)
from backend.campaigns.services import applications, listing, manage
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route


@api_route(bp, "", summary="Open review campaigns (filters, sorts, offset or cursor pages)", query=CampaignListQuery,
           response=CampaignPage)
@cached_response(lambda kw: ("campaigns",))
def list_campaigns(query: CampaignListQuery):
    return listing.list_campaigns(**query.model_dump())


@api_route(bp, "/<id:campaign_id>", summary="An open or closed campaign", response=CampaignDetailOut, errors=[404])
@cached_response(lambda kw: (f"campaign:{kw['campaign_id']}",))
def get_campaign(campaign_id: int):
    return listing.get_campaign(campaign_id)


@api_route(bp, "", "POST", summary="Create a campaign (any signed-in account; it owns it)", body=CampaignIn,
           response=CampaignDetailOut, status=201, roles=ROLES)
def create_campaign(body: CampaignIn):
    return manage.create_campaign(current_actor(), body.model_dump())


@api_route(bp, "/<id:campaign_id>", "PATCH", summary="Edit a campaign or move its status (its owner or an admin)",
           body=CampaignUpdateIn, response=CampaignDetailOut, roles=ROLES, errors=[404, 409])
def update_campaign(campaign_id: int, body: CampaignUpdateIn):
    return manage.update_campaign(current_actor(), campaign_id, body.model_dump(exclude_unset=True))


@api_route(bp, "/mine", summary="My campaigns, drafts included (newest first)", query=MineQuery,
           response=MyCampaignPage, roles=ROLES)
def my_campaigns(query: MineQuery):
    return manage.my_campaigns(current_actor(), **query.model_dump())


@api_route(bp, "/<id:campaign_id>/applications", "POST", summary="Apply to a campaign (once; before its deadline)",
           body=ApplyIn, response=ApplicationOut, status=201, roles=ROLES, errors=[404, 409])
def apply(campaign_id: int, body: ApplyIn):
    return applications.apply(current_actor(), campaign_id, body.message)


@api_route(bp, "/<id:campaign_id>/applications", summary="A campaign's applications (its owner or an admin)",
           query=ApplicationQuery, response=ApplicationPage, roles=ROLES, errors=[404])
def campaign_applications(campaign_id: int, query: ApplicationQuery):
    return applications.campaign_applications(current_actor(), campaign_id, **query.model_dump())


@api_route(bp, "/applications", summary="My applications (newest first)", query=ApplicationQuery,
           response=ApplicationPage, roles=ROLES)
def my_applications(query: ApplicationQuery):
    return applications.my_applications(current_actor(), **query.model_dump())


@api_route(bp, "/applications/<id:application_id>", summary="An application (its applicant or the campaign's owner)",
           response=ApplicationOut, roles=ROLES, errors=[404])
def get_application(application_id: int):
    return applications.get_application(current_actor(), application_id)


@api_route(bp, "/applications/<id:application_id>/approve", "POST",
           summary="Approve a pending application (the owner; never past the campaign's slots)",
           response=ApplicationOut, roles=ROLES, errors=[403, 404, 409])
def approve(application_id: int):
    return applications.decide(current_actor(), application_id, "approve")


@api_route(bp, "/applications/<id:application_id>/reject", "POST", summary="Reject a pending application (the owner)",
           response=ApplicationOut, roles=ROLES, errors=[403, 404, 409])
def reject(application_id: int):
    return applications.decide(current_actor(), application_id, "reject")


@api_route(bp, "/applications/<id:application_id>/complete", "POST",
           summary="Submit the review URL of an approved application (its applicant)", body=CompleteIn,
           response=ApplicationOut, roles=ROLES, errors=[403, 404, 409])
def complete(application_id: int, body: CompleteIn):
    return applications.complete(current_actor(), application_id, body.review_url)

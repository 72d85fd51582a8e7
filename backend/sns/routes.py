"""SNS automation HTTP layer: parse -> call a service -> serialise. Everything here is per-owner."""

from __future__ import annotations

from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.common.pagination import PageQuery
from backend.sns import accounts, bp, posts
from backend.sns.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    PostIn,
    PostListQuery,
    PostOut,
    PostPage,
    PostPatch,
    Schedule,
)

PRIVATE = {"Cache-Control": "private, no-store"}  # per-user, changes under the publisher


@api_route(bp, "/accounts", "POST", summary="Connect an SNS account (the credential is stored encrypted, never "
           "returned)", body=AccountIn, response=AccountOut, status=201, roles=ROLES, errors=[409], headers=PRIVATE)
def create_account(body: AccountIn):
    return accounts.create_account(current_actor(), str(body.platform), body.handle, body.credential)


@api_route(bp, "/accounts", summary="My SNS accounts, newest first (cursor pages)", query=PageQuery,
           response=AccountPage, roles=ROLES, headers=PRIVATE)
def list_accounts(query: PageQuery):
    return accounts.list_accounts(current_actor(), query.per_page, query.cursor)


@api_route(bp, "/accounts/<id:account_id>", summary="One of my SNS accounts", response=AccountOut, roles=ROLES,
           errors=[404], headers=PRIVATE)
def get_account(account_id: int):
    return accounts.get_account(current_actor(), account_id)


@api_route(bp, "/accounts/<id:account_id>", "DELETE", summary="Disconnect an SNS account and delete its posts",
           status=204, roles=ROLES, errors=[404], headers=PRIVATE)
def delete_account(account_id: int):
    accounts.delete_account(current_actor(), account_id)


@api_route(bp, "/posts", "POST", summary="Create a post (a draft, or scheduled with scheduled_at)", body=PostIn,
           response=PostOut, status=201, roles=ROLES, errors=[404], headers=PRIVATE)
def create_post(body: PostIn):
    return posts.create_post(current_actor(), body.account_id, body.content, [str(m) for m in body.media],
                             body.scheduled_at)


@api_route(bp, "/posts", summary="My posts, newest first, by status and account (cursor pages)",
           query=PostListQuery, response=PostPage, roles=ROLES, headers=PRIVATE)
def list_posts(query: PostListQuery):
    status = str(query.status) if query.status is not None else None
    return posts.list_posts(current_actor(), status, query.account_id, query.per_page, query.cursor)


@api_route(bp, "/posts/<id:post_id>", summary="One of my posts", response=PostOut, roles=ROLES, errors=[404],
           headers=PRIVATE)
def get_post(post_id: int):
    return posts.get_post(current_actor(), post_id)


@api_route(bp, "/posts/<id:post_id>", "PATCH", summary="Edit a post that is not published", body=PostPatch,
           response=PostOut, roles=ROLES, errors=[404, 409], headers=PRIVATE)
def edit_post(post_id: int, body: PostPatch):
    changes = body.model_dump(exclude_unset=True)
    if "media" in changes:
        changes["media"] = [str(m) for m in body.media or []]
    return posts.edit_post(current_actor(), post_id, changes)


@api_route(bp, "/posts/<id:post_id>/schedule", "POST", summary="Schedule (or reschedule) a post", body=Schedule,
           response=PostOut, roles=ROLES, errors=[404, 409], headers=PRIVATE)
def schedule_post(post_id: int, body: Schedule):
    return posts.schedule_post(current_actor(), post_id, body.scheduled_at)


@api_route(bp, "/posts/<id:post_id>/unschedule", "POST", summary="Turn a scheduled or failed post back into a "
           "draft", response=PostOut, roles=ROLES, errors=[404, 409], headers=PRIVATE)
def unschedule_post(post_id: int):
    return posts.unschedule_post(current_actor(), post_id)


@api_route(bp, "/posts/<id:post_id>", "DELETE", summary="Delete a post", status=204, roles=ROLES,
           errors=[404, 409], headers=PRIVATE)
def delete_post(post_id: int):
    posts.delete_post(current_actor(), post_id)

"""The registry of export kinds: name -> params schema, who may ask, renderer, content type.

An export is generic: the API, the job, storage, download and retention know nothing of PDFs or
bookings; they look the kind up here. A kind is an `ExportKind`:

    register(ExportKind(
        name="logs_ndjson",                      # the `kind` clients POST
        params=LogExportParams,                  # a BodySchema: validated in the request (422 per field)
        render=render_logs,                      # (RenderContext, params) -> rows rendered; writes ctx.out
        content_type="application/x-ndjson",     # what the download is served as
        extension="ndjson",
        roles=(Role.ADMIN,),                     # None: any signed-in account (else 403)
        authorize=None,                          # optional (actor, params) -> None; raise NotFound/Forbidden
        filename=lambda owner, params: "logs",   # the download's base name (non-ASCII allowed)
    ))

from the registering domain's own module, imported by that domain's package (so the web process
and the worker both see it). The log export of the observability issue is meant to do exactly
that: an NDJSON kind and a CSV kind whose renderers stream rows into `ctx.out` (a binary file
opened by the job; write as you go and memory stays flat), calling `ctx.progress(percent)` now and
then. The built-in PDF kinds live in backend/exports/reports.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from pydantic import BaseModel

from backend.common.actor import Actor


@dataclass(frozen=True)
class Owner:
    """Whom an export is for, as a renderer needs it (the worker has no request or Actor)."""

    id: int
    role: str
    name: str


@dataclass
class RenderContext:
    """What a renderer gets: the owner, the open output file and a progress callback (0-100)."""

    owner: Owner
    out: IO[bytes]
    progress: Callable[[int, str], Any]
    max_rows: int


@dataclass(frozen=True)
class ExportKind:
    """One kind of export (see the module docstring)."""

    name: str
    params: type[BaseModel]
    render: Callable[[RenderContext, Any], int]
    content_type: str
    extension: str
    filename: Callable[[Owner, Any], str]
    roles: tuple[str, ...] | None = None
    authorize: Callable[[Actor, Any], None] | None = None
    summary: str = ""


KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    """Add a kind (its name must be new)."""
    if kind.name in KINDS and KINDS[kind.name] is not kind:
        raise ValueError(f"export kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> ExportKind | None:
    """The kind called `name`, if registered."""
    return KINDS.get(name)

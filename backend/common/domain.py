"""What a domain package declares about itself, so adding one touches no central list.

A domain is a package under `backend/` whose `__init__.py` defines `domain = Domain(...)`; the app
factory finds every such package (`discover_domains`) and registers its blueprint, CLI commands
and hooks; `flask seed` runs the seed functions in `seed_order`. Its models are imported by its
routes, so their tables are in `db.metadata` (what migrations and the tests' truncation read).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from flask import Blueprint, Flask

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Domain:
    """One domain: its blueprint (mounted at `/api/v1<url_prefix>`) and what else it brings."""

    name: str
    blueprint: Blueprint
    url_prefix: str
    cli: Sequence[click.Command] = ()
    seed: Callable[[Any], None] | None = None  # called with backend.seeding.SeedContext
    seed_order: int = 100  # lower seeds first (accounts before what refers to them)
    init_app: Callable[[Flask], None] | None = None
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)  # e.g. "actor_profile"


def discover_domains(package: str = "backend") -> list[Domain]:
    """Every `domain` declared by a sub-package of `package`, in name order."""
    root = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        declared = getattr(module, "domain", None)
        if isinstance(declared, Domain):
            found.append(declared)
    return found


def register_domains(app: Flask, domains: Sequence[Domain]) -> None:
    """Mount each blueprint under /api/v1, add its CLI commands, run its init hook."""
    for domain in domains:
        app.register_blueprint(domain.blueprint, url_prefix=f"{API_PREFIX}{domain.url_prefix}")
        for command in domain.cli:
            app.cli.add_command(command)
        if domain.init_app is not None:
            domain.init_app(app)
    app.extensions["domains"] = tuple(domains)


def domains(app: Flask) -> tuple[Domain, ...]:
    """The domains registered on `app`."""
    return app.extensions["domains"]


def hooks(app: Flask, name: str) -> list[Callable[..., Any]]:
    """Every domain's hook called `name` (e.g. the actor-profile contributors of /auth/me)."""
    return [d.hooks[name] for d in domains(app) if name in d.hooks]

"""Auth domain: registration, login with opaque bearer tokens, the current account."""

from flask import Blueprint, Flask

from backend.common.actor import set_authenticator
from backend.common.domain import Domain

bp = Blueprint("auth", __name__)

from backend.auth import routes  # noqa: E402,F401  (registers the views on bp)
from backend.auth.actor_cache import init_actor_cache  # noqa: E402
from backend.auth.cli import users_cli  # noqa: E402
from backend.auth.seed import seed_accounts  # noqa: E402
from backend.auth.tokens import require_user  # noqa: E402


def _init_app(app: Flask) -> None:
    set_authenticator(app, require_user)
    init_actor_cache(app)


domain = Domain("auth", bp, "/auth", cli=[users_cli], seed=seed_accounts, seed_order=10, init_app=_init_app)

"""API keys: users and integrations authenticate with `X-API-Key` as well as bearer tokens.

Keys are shown once and stored as a prefix plus a SHA-256 of the secret (keys.py); `auth.py` turns
a key into the owner's Actor and enforces its scopes; rotation keeps the old key for a grace
period and notifies the owner (event `api_key_changed`). This domain also carries the
`flask keys` commands for the encryption keys of secrets at rest (backend/common/secrets.py).
"""

from flask import Blueprint, Flask

from backend.common.actor import set_api_key_authenticator
from backend.common.domain import Domain

bp = Blueprint("apikeys", __name__)

from backend.apikeys import routes  # noqa: E402,F401  (registers the views on bp)
from backend.apikeys.auth import require_key  # noqa: E402
from backend.apikeys.cli import keys_cli  # noqa: E402
from backend.apikeys.seed import seed_apikeys  # noqa: E402


def _init_app(app: Flask) -> None:
    set_api_key_authenticator(app, require_key)


domain = Domain("apikeys", bp, "/api-keys", cli=[keys_cli], init_app=_init_app, seed=seed_apikeys, seed_order=60)

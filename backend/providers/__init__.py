"""Provider credentials set by administrators (admin only): what each provider uses, and overrides.

An admin sees how each declared provider will be called, stores an API key (and base URL) that
overrides configuration, or deletes it to fall back.

The storage and the override live in the outbound client (backend/integrations/credentials.py);
this package is its HTTP face. See docs/operations.md "Provider credentials set by admins".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("providers", __name__)

from backend.providers import routes  # noqa: E402,F401  (registers the views)

domain = Domain("providers", bp, "/admin/providers")

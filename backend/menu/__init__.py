"""Menu translation: identify Korean dishes, translate text, shops' scans with an approval queue, admin stats.

- identify (identify.py): exact match, modifier decomposition, AI discovery (single-flight across
  workers, answers validated and remembered), cached per normalised name; calls logged in batches.
- translate (papago.py), recognize (ocr.py + recognize.py): provider adapters on the outbound client.
- shops and scans (shops.py), admin stats in one statement (stats.py).
See issue 8, docs/operations.md "Menu" and docs/performance.md "Menu".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("menu", __name__)

from backend.menu import routes  # noqa: E402,F401  (registers the views)

domain = Domain("menu", bp, "")

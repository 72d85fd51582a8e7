"""Where export files live: EXPORTS_DIR (default instance/exports), one file per ready export.

The worker writes `<id>-<random>.<ext>.part` and renames it into place when complete, so a
download never sees half a file; the random part keeps names unguessable even on a shared
volume. The web process only reads. With several hosts, EXPORTS_DIR must be a volume the workers
and the web processes share (or nginx serves it: see docs/operations.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app


def directory() -> Path:
    """EXPORTS_DIR, created if missing."""
    path = Path(current_app.config["EXPORTS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name(export_id: int, extension: str) -> str:
    """A fresh stored name for an export's file."""
    return f"{export_id}-{secrets.token_hex(8)}.{extension}"


def path_of(stored_name: str) -> Path:
    """The file of a stored name (names are ours, never client input)."""
    return directory() / os.path.basename(stored_name)


def remove(stored_name: str | None) -> bool:
    """Delete a stored file; True if it was there."""
    if not stored_name:
        return False
    try:
        path_of(stored_name).unlink()
        return True
    except FileNotFoundError:
        return False

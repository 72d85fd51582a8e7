"""The exports' background work: render one export (`exports.render`), purge expired files (periodic)."""

from __future__ import annotations

import logging
from typing import Any

from backend.errors import APIError
from backend.exports import services
from backend.jobs.errors import JobAborted, JobFailed
from backend.jobs.registry import job_handler, periodic
from backend.jobs.runner import classify

log = logging.getLogger(__name__)


@job_handler(services.KIND, max_attempts=3)
def render_export(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Render export `payload["export_id"]`; a final failure also marks the export failed."""
    export_id = int(payload["export_id"])
    try:
        ctx.progress(5, "rendering")
        try:
            return services.render(export_id, lambda percent, message=None: ctx.progress(percent, message))
        except APIError as exc:  # e.g. the booking of a receipt is gone: final, with its own code
            raise JobFailed(exc.code, exc.message) from exc
    except JobAborted:
        raise
    except Exception as exc:
        code, _, transient = classify(exc)
        if not transient or ctx.attempt >= ctx.job.max_attempts:
            try:
                services.mark_failed(export_id, code)
            except Exception:  # the job row still records the failure; the status endpoint reads it
                log.warning("export %s: could not mark it failed", export_id, exc_info=True)
        raise


@periodic("exports.purge", minute="*/15")
def purge_exports() -> int:
    """Delete export files older than EXPORTS_RETENTION_HOURS (every 15 minutes)."""
    return services.purge_expired()

"""The `scenarios.run` job: an AI employee works through its scenario's steps, one output per step.

Each step's output is stored on the run as soon as it exists and emitted as a `step_completed`
job event with the run's progress, so the event server streams the run live and a reader of the
run sees it step by step. Only the job's own thread writes the job row (ctx), so a cancel is
noticed at the next step and JobAborted propagates.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from backend.integrations.llm import llm_configured
from backend.jobs.errors import JobAborted, JobFailed
from backend.jobs.registry import job_handler
from backend.jobs.runner import classify
from backend.scenarios import runner
from backend.scenarios.services import runs

log = logging.getLogger(__name__)


@job_handler(runs.KIND, max_attempts=3)
def run_employee(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Run `payload["run_id"]`; a final failure also marks the run failed."""
    run_id = int(payload["run_id"])
    try:
        return _run(ctx, run_id)
    except JobAborted:
        raise
    except Exception as exc:
        code, _, transient = classify(exc)
        if not transient or ctx.attempt >= ctx.job.max_attempts:
            try:
                runs.mark_failed(run_id, code)
            except Exception:  # the job row still records the failure; the run endpoint reads it
                log.warning("scenario run %s: could not mark it failed", run_id, exc_info=True)
        raise


def _run(ctx: Any, run_id: int) -> dict[str, Any]:
    work = runs.load_for_job(run_id)
    if work is None:
        raise JobFailed("run_gone", "the run (or its employee) no longer exists")
    steps = work["steps"]
    runs.mark_running(run_id)
    ctx.progress(1, f"running {len(steps)} steps of {work['scenario_name']}")
    use_llm = llm_configured()
    outputs: list[dict[str, Any]] = []
    generators: set[str] = set()
    for index, step in enumerate(steps):
        started = time.monotonic()
        output, meta = runner.run_step(work, step, outputs, use_llm)
        use_llm = use_llm and meta["generator"] == "llm"  # after a permanent failure, the rest is builtin
        generators.add(meta["generator"])
        item = {"key": step["key"], "title": step["title"], "output": output, "generator": meta["generator"],
                "ms": round((time.monotonic() - started) * 1000, 1)}
        if "model" in meta:
            item["model"] = meta["model"]
        if "fallback" in meta:
            item["fallback"] = meta["fallback"]
        outputs.append(item)
        runs.record_outputs(run_id, outputs)
        ctx.emit("step_completed", {"run_id": run_id, "index": index, **item},
                 progress=int(100 * (index + 1) / (len(steps) + 1)), message=f"step {index + 1}/{len(steps)} done")
    generator = generators.pop() if len(generators) == 1 else ("mixed" if generators else runner.BUILTIN)
    runs.mark_succeeded(run_id, generator, work["owner_id"], work["employee_id"])
    return {"run_id": run_id, "run_url": runs.run_path(work["employee_id"], run_id), "generator": generator,
            "steps": len(outputs)}

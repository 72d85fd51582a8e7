"""`flask jobs ...`: operator commands (reap once, list failures, re-run one, purge old jobs)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from backend.jobs.models import JobStatus


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("reap")
@with_appcontext
def reap_command() -> None:
    """Requeue or fail jobs whose worker died; re-send queued jobs nothing picked up."""
    from backend.jobs.reaper import reap

    click.echo(reap())


@jobs_cli.command("failed")
@click.option("--kind", default=None)
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def failed_command(kind: str | None, limit: int) -> None:
    """List failed jobs (the dead-letter list), newest first."""
    from backend.jobs.services import list_jobs

    for job in list_jobs(JobStatus.FAILED.value, kind, min(limit, 100), None)["items"]:
        click.echo(f"{job['id']}  {job['kind']:<24} attempts={job['attempts']}  {job['error']}")


@jobs_cli.command("retry")
@click.argument("job_id")
@with_appcontext
def retry_command(job_id: str) -> None:
    """Re-run a failed or cancelled job."""
    from backend.jobs.services import retry

    click.echo(retry(job_id)["status"])


@jobs_cli.command("purge")
@click.option("--days", type=int, default=None, help="default: JOBS_RETENTION_DAYS")
@with_appcontext
def purge_command(days: int | None) -> None:
    """Delete finished jobs (and their events) older than the retention."""
    from backend.jobs.tasks import purge_finished

    click.echo(f"{purge_finished(days)} jobs removed")


@jobs_cli.command("demo")
@click.option("--steps", default=5, show_default=True)
@click.option("--step-seconds", default=0.5, show_default=True)
@with_appcontext
def demo_command(steps: int, step_seconds: float) -> None:
    """Queue a demo job (waits and reports progress) to check that a worker runs jobs."""
    from backend.jobs.services import enqueue

    job = enqueue("jobs.demo", {"steps": steps, "step_seconds": step_seconds}, None)
    click.echo(f"{job['id']} {job['status']}")

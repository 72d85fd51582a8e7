"""What a job handler raises to say how it failed, and what the runner raises to stop one."""

from __future__ import annotations

from typing import Any


class JobFailed(Exception):
    """A failure with a code and message for the job's `error`; `transient` ones are retried."""

    transient = False

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        """`code` is short and stable (clients branch on it); `message` is for people."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class TransientJobError(JobFailed):
    """May succeed on another attempt (a provider timed out, a lock was busy)."""

    transient = True


class JobAborted(Exception):
    """The job is no longer ours to run: cancelled, or its lease passed to another attempt."""

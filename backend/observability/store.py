"""Cross-worker sharing for the insight data: one snapshot file per process, merged on read.

Works like Prometheus' multiprocess directory (and, like it, the directory is per host):

- each worker atomically rewrites `<dir>/<pid>.json` with its cumulative data, at most every
  INSIGHT_FLUSH_SECONDS and only when something changed (a background thread, never a request);
- a worker that exits cleanly folds its data into `<dir>/archive.json` and deletes its file;
- a reader merges archive + every worker file + its own live data; files of dead pids (a worker
  killed without clean-up) are folded into the archive, so the file count stays ~ live workers;
- folding runs under an exclusive `flock`, so two readers cannot fold the same file twice.

The archive is trimmed to the same bound as a worker (the statements with the largest total time).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ARCHIVE = "archive.json"
LOCK = ".lock"
_PID_FILE = re.compile(r"^(\d+)\.json$")

try:  # POSIX; elsewhere folding is unlocked (a single-process server has nothing to fold)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


def empty_snapshot(pid: int = 0) -> dict[str, Any]:
    """A snapshot with nothing in it (the shape every file has)."""
    return {"pid": pid, "written_at": time.time(), "endpoints": {}, "slow_queries": {},
            "pool": {"checkouts": 0, "waits": 0, "wait_ms": 0.0, "wait_ms_max": 0.0, "timeouts": 0},
            "pool_status": None}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` to `path` atomically (a reader sees the old or the new file, never half of one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")))
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The snapshot in `path`, or None when it vanished or is unreadable."""
    try:
        data = json.loads(path.read_text())
    except OSError:  # removed by its retiring worker between the listing and the read: expected
        return None
    except ValueError as exc:  # a torn or foreign file: say so, then leave it out of the merge
        log.warning("insight: %s is not a snapshot (%s); skipped", path, exc)
        return None
    return data if isinstance(data, dict) else None


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the directory's exclusive fold lock."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def fold_into_archive(directory: Path, snapshots: Iterable[dict[str, Any]], remove: Iterable[Path],
                      max_statements: int) -> None:
    """Add `snapshots` to the archive and delete `remove` (call with the lock held)."""
    archive = read_json(directory / ARCHIVE) or empty_snapshot()
    merged = merge_snapshots([archive, *snapshots], max_statements)
    merged["pool_status"] = None  # a dead worker's pool no longer exists
    merged.pop("workers", None)  # nor does the worker: the archive must not grow with every exit
    write_json(directory / ARCHIVE, merged)
    for path in remove:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def retire(directory: Path, snapshot: dict[str, Any], max_statements: int) -> None:
    """A worker leaving: fold its final data into the archive and remove its own file."""
    with locked(directory):
        fold_into_archive(directory, [snapshot], [directory / f"{snapshot['pid']}.json"], max_statements)


def load_others(directory: Path, own_pid: int, max_statements: int) -> list[dict[str, Any]]:
    """Archive plus every other live worker's snapshot; dead workers' files are folded first."""
    if not directory.is_dir():
        return []
    with locked(directory):
        dead: list[tuple[Path, dict[str, Any]]] = []
        live: list[dict[str, Any]] = []
        for path in directory.iterdir():
            match = _PID_FILE.match(path.name)
            if not match or int(match.group(1)) == own_pid:
                continue
            data = read_json(path)
            if data is None:
                continue
            if pid_alive(int(match.group(1))):
                live.append(data)
            else:
                dead.append((path, data))
        if dead:
            fold_into_archive(directory, [d for _, d in dead], [p for p, _ in dead], max_statements)
        archive = read_json(directory / ARCHIVE)
    return ([archive] if archive else []) + live


def _merge_endpoints(out: dict[str, Any], endpoints: dict[str, Any]) -> None:
    """Add one snapshot's per-endpoint counters into `out` (sums, and maxima for the *_max keys)."""
    for name, ep in endpoints.items():
        acc = out.setdefault(name, {"requests": 0, "statements": 0, "statements_max": 0,
                                    "db_ms": 0.0, "db_ms_max": 0.0})
        for key in ("requests", "statements", "db_ms"):
            acc[key] += ep.get(key, 0)
        for key in ("statements_max", "db_ms_max"):
            acc[key] = max(acc[key], ep.get(key, 0))


def _merge_slow(out: dict[str, Any], slow: dict[str, Any]) -> None:
    """Add one snapshot's slow statements into `out`, keeping any worker's plan."""
    for key, sq in slow.items():
        acc = out.get(key)
        if acc is None:
            out[key] = dict(sq)
            continue
        acc["count"] += sq.get("count", 0)
        acc["total_ms"] += sq.get("total_ms", 0.0)
        acc["max_ms"] = max(acc["max_ms"], sq.get("max_ms", 0.0))
        acc["last_seen"] = max(acc["last_seen"], sq.get("last_seen", 0.0))
        if acc.get("plan") is None and sq.get("plan") is not None:
            acc["plan"], acc["plan_error"] = sq["plan"], None


def merge_snapshots(snapshots: list[dict[str, Any]], max_statements: int | None = None) -> dict[str, Any]:
    """Sum counters, keep maxima and the latest `last_seen`, take any worker's plan.

    With `max_statements`, keep only that many slow statements (largest total time first).
    """
    out = empty_snapshot()
    out["workers"] = []
    for snap in snapshots:
        if snap.get("pid"):
            out["workers"].append({"pid": snap["pid"], "written_at": snap.get("written_at"),
                                   "pool": snap.get("pool_status")})
        _merge_endpoints(out["endpoints"], snap.get("endpoints", {}))
        _merge_slow(out["slow_queries"], snap.get("slow_queries", {}))
        pool = snap.get("pool") or {}
        for key in ("checkouts", "waits", "wait_ms", "timeouts"):
            out["pool"][key] += pool.get(key, 0)
        out["pool"]["wait_ms_max"] = max(out["pool"]["wait_ms_max"], pool.get("wait_ms_max", 0.0))
    if max_statements is not None and len(out["slow_queries"]) > max_statements:
        ranked = sorted(out["slow_queries"].items(), key=lambda kv: kv[1]["total_ms"], reverse=True)
        out["slow_queries"] = dict(ranked[:max_statements])
    return out

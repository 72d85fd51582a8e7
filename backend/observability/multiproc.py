"""The Prometheus multiprocess directory and the scrape server, for gunicorn masters and the app alike.

prometheus_client picks its value class when it is first imported: with PROMETHEUS_MULTIPROC_DIR
set, every process writes its counters to mmap files `<kind>_<pid>.db` in that directory and a
reader merges them. So `configure()` must run before anything imports prometheus_client; this
module imports it only inside functions (the gunicorn config loads this file by path, without
importing the `backend` package into the master: modules the master holds would survive a HUP
reload in every worker).

One directory per host (METRICS_DIR / PROMETHEUS_MULTIPROC_DIR, default instance/prometheus),
shared by the web workers, the event server and the job worker:
- `prepare()` (the web master, at start): files of processes that no longer exist are removed, so
  each start begins clean without deleting the live job worker's or event server's files;
- `mark_dead(pid)` (gunicorn `child_exit`): the dead worker's live gauges (in flight, pool) are
  dropped; its counters stay, so totals do not go backwards while the server runs;
- `start_scrape_server(bind)` (gunicorn `when_ready`): `/metrics` from a thread of the master on a
  private port, so a slow scrape never holds one of the API's sync workers.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "instance" / "prometheus"
DEFAULT_BIND = "127.0.0.1:9100"
STARTED = "started"
_PID = re.compile(r"_(\d+)\.db$")
_scrape: dict[str, Any] = {}


def enabled() -> bool:
    """METRICS_ENABLED (default true): off means no files, no scrape server, no middleware."""
    return os.environ.get("METRICS_ENABLED", "true").strip().lower() not in {"0", "false", "no", "off"}


def configure(directory: str | os.PathLike | None = None) -> Path:
    """Point prometheus_client at the directory (env), creating it; returns the path in use.

    An already-set PROMETHEUS_MULTIPROC_DIR wins: the processes of a host must agree on one.
    """
    current = os.environ.get(ENV)
    if current:
        path = Path(current)
    else:
        path = Path(directory or os.environ.get("METRICS_DIR") or DEFAULT_DIR)
        os.environ[ENV] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    if read_started(path) is None:
        mark_started(path)
    # prometheus_client chose its value class when first imported; if something imported it before the
    # directory was set, switch it now, before our families are made (theirs keep the in-memory values).
    values = sys.modules.get("prometheus_client.values")
    if values is not None and values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()
    return path


def mark_started(directory: Path) -> None:
    """Write the start marker (throughput figures are counted from it)."""
    tmp = directory / f".{STARTED}.{os.getpid()}"
    tmp.write_text(repr(time.time()))
    os.replace(tmp, directory / STARTED)


def read_started(directory: Path) -> float | None:
    """When the metrics in `directory` began (the marker), or None."""
    try:
        return float((directory / STARTED).read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare(directory: Path) -> int:
    """Remove the files of processes that are gone (a previous run's); returns how many were removed."""
    removed = 0
    for path in directory.glob("*.db"):
        match = _PID.search(path.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    mark_started(directory)
    return removed


def mark_dead(pid: int) -> None:
    """Drop a dead process's live gauges (prometheus_client's own bookkeeping)."""
    from prometheus_client import multiprocess

    if os.environ.get(ENV):
        multiprocess.mark_process_dead(pid)


def parse_bind(bind: str) -> tuple[str, int] | None:
    """`host:port` (METRICS_BIND) as a pair; empty or `off` means no scrape server."""
    bind = (bind or "").strip()
    if not bind or bind.lower() in {"off", "none", "false", "0"}:
        return None
    host, _, port = bind.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"METRICS_BIND must be host:port or off, got {bind!r}")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def scrape_registry() -> Any:
    """A registry that merges every process's files at each scrape (nothing of its own)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def start_scrape_server(bind: str) -> tuple[str, int] | None:
    """Serve `/metrics` (any path, in fact) on `bind` from a daemon thread; returns the address."""
    address = parse_bind(bind)
    if address is None:
        return None
    from prometheus_client import start_http_server

    server, thread = start_http_server(address[1], address[0], registry=scrape_registry())
    _scrape.update(server=server, thread=thread, pid=os.getpid())
    return server.server_address[:2]


def close_inherited_scrape_socket() -> None:
    """In a forked worker: close the master's scrape socket (else it stays bound while workers live)."""
    server = _scrape.get("server")
    if server is not None and _scrape.get("pid") != os.getpid():
        with contextlib.suppress(OSError):
            server.socket.close()
        _scrape.clear()

"""Managed Gunicorn for the tools and the tests: one way to start, wait for, and stop a server.

- `free_port`: a loopback TCP port that was free a moment ago.
- `http_status`: the status of a GET, or None when nothing answers.
- `Gunicorn`: a context manager that runs `gunicorn -c gunicorn_config.py` (or any app target) on
  a free loopback port with environment overrides, waits until a health URL answers 200, keeps
  the server's output in a log file (quoted in the error when start-up fails), and stops it with
  SIGTERM (SIGKILL to its process group if it lingers).
- `run_flask`: one `flask` CLI command (migrate, seed) with the same environment.
- `SeededServer`: a temp SQLite database migrated and seeded with SCALE data, served by a
  `Gunicorn`, optionally with an uncached twin (`CACHE_TYPE=NullCache`) over the same database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
HEALTH_PATH = f"{API}/health"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def server_env(overrides: Mapping[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment without the names in `drop`, with `overrides` on top."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # The toolkit and the server tests send everything from one address, which the per-client limit
    # would stop within a second: uncapped unless the environment asks (the throttling benchmark does).
    env.setdefault("RATELIMIT_ENABLED", "false")
    env.update({"FLASK_APP": "backend.wsgi", "PYTHONUNBUFFERED": "1"})
    env.update(overrides or {})
    return env


def run_flask(*args: str, env: Mapping[str, str], timeout: float = 600) -> str:
    """Run `flask <args>` in the repository with `env`; returns stdout, raises with the output on failure."""
    result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=dict(env), capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Gunicorn:
    """`gunicorn -c <config> --bind 127.0.0.1:<free port> <app>`, ready when `health_path` answers 200.

    `config` is relative to the repository root (None: Gunicorn's defaults); `--bind` wins over the
    config's `bind`, so BIND in the environment does not move the server.

    Use as a context manager (`with Gunicorn(env=...) as server: server.base`) or call `start()` and
    `stop()`. `env` is the complete environment of the server (see `server_env`); the server's
    stdout and stderr go to `log_path` (a temp file unless given), whose tail is quoted when the
    server does not come up.
    """

    def __init__(self, env: Mapping[str, str] | None = None, app: str = "backend.wsgi:app",
                 config: str | Path | None = "gunicorn_config.py", health_path: str = HEALTH_PATH,
                 log_path: Path | None = None, timeout: float = 60.0, log: Callable[[str], None] | None = None,
                 port: int | None = None):
        self.env = dict(env) if env is not None else server_env()
        self.fixed_port = port  # a port chosen beforehand (another server's config names it), else a free one
        self.app, self.config, self.health_path = app, config, health_path
        self.timeout, self.log = timeout, log or (lambda _message: None)
        self._own_log = log_path is None
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="sf-gunicorn-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.base = ""

    def start(self) -> str:
        """Start the server and wait until it is healthy; returns its base URL (no trailing slash)."""
        self.port = self.fixed_port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = ["-c", str(self.config)] if self.config is not None else []
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", *config, "--bind", f"127.0.0.1:{self.port}", self.app],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if http_status(self.base + self.health_path) == 200:
                self.log(f"gunicorn pid {self.proc.pid} serving {self.app} at {self.base}")
                return self.base
            time.sleep(0.1)
        exited = self.proc.poll()
        self.stop(keep_log=True)
        reason = f"exited with status {exited}" if exited is not None else f"did not answer within {self.timeout:g} s"
        message = f"gunicorn ({self.app}) {reason} on {self.base}{self.health_path}:\n{self.log_tail()}"
        if self._own_log:
            self.log_path.unlink(missing_ok=True)
        raise RuntimeError(message)

    def log_text(self) -> str:
        """Everything the server wrote so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output, for error messages."""
        return self.log_text()[-chars:]

    def stop(self, grace: float = 25.0, keep_log: bool = False) -> int | None:
        """SIGTERM the master (graceful), SIGKILL its process group if it lingers; returns its exit status."""
        proc, status = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
            status = proc.returncode
        self.proc = None
        if self._own_log and not keep_log:
            self.log_path.unlink(missing_ok=True)
        return status

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SeededServer:
    """Gunicorn on a free loopback port over a fresh SQLite database seeded with `scale` data.

    REDIS_URL is dropped from the server's environment so a run never shares (or pollutes) a
    cache with another server; everything else (WEB_CONCURRENCY, GUNICORN_*, CACHE_TYPE) passes
    through, and `extra_env` goes on top. With `uncached_twin`, a second Gunicorn serves the same
    database with CACHE_TYPE=NullCache (the documented switch for measuring uncached speed) at
    `uncached_base`.
    """

    def __init__(self, scale: str = "small", extra_env: dict[str, str] | None = None,
                 log: Callable[[str], None] = print, uncached_twin: bool = False):
        self.scale, self.extra_env, self.log = scale, extra_env or {}, log
        self.uncached_twin = uncached_twin
        self.tmp: Path | None = None
        self.servers: list[Gunicorn] = []
        self.base = ""
        self.uncached_base: str | None = None

    def env(self) -> dict[str, str]:
        """The servers' (and the seed's) environment."""
        assert self.tmp is not None, "start() first"
        return server_env({"DATABASE_URL": f"sqlite:///{self.tmp / 'perf.db'}",
                           "CACHE_GENERATIONS_PATH": str(self.tmp / "cache-generations"),
                           "INSIGHT_DIR": str(self.tmp / "insight"), **self.extra_env}, drop=("REDIS_URL",))

    def start(self, timeout: float = 60.0) -> str:
        """Migrate, seed, start Gunicorn (and the twin) and wait until healthy; returns the base URL."""
        self.tmp = Path(tempfile.mkdtemp(prefix="sf-perf-"))
        started = time.perf_counter()
        try:
            run_flask("db", "upgrade", env=self.env())
            run_flask("seed", "--scale", self.scale, env=self.env())
            self.log(f"seeded SCALE={self.scale} in {time.perf_counter() - started:.1f}s ({self.tmp / 'perf.db'})")
            self.base = self._serve({}, "gunicorn.log", timeout)
            if self.uncached_twin:
                self.uncached_base = self._serve({"CACHE_TYPE": "NullCache"}, "gunicorn-uncached.log", timeout)
        except BaseException:
            self.stop()
            raise
        return self.base

    def _serve(self, env: dict[str, str], log_name: str, timeout: float) -> str:
        assert self.tmp is not None
        server = Gunicorn({**self.env(), **env}, log_path=self.tmp / log_name, timeout=timeout, log=self.log)
        self.servers.append(server)
        return server.start()

    def stop(self) -> None:
        """Stop every server started here and delete the temp directory."""
        for server in self.servers:
            server.stop()
        self.servers = []
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Run nginx (deploy/nginx.conf) in front of gunicorn on loopback: `make serve-proxy`.

    python -m deploy.serve_proxy [--bind 127.0.0.1:8080] [--upstream 127.0.0.1:8000]
                                 [--events-upstream 127.0.0.1:8001] [--no-gunicorn]

Renders the config into a prefix directory of its own (pid, temp files, logs: instance/nginx by
default), starts the API's gunicorn (gunicorn_config.py) on the upstream address with
TRUSTED_PROXY_HOPS=1 and the event server's (gunicorn_events.py) on the events upstream, both
told that streams are on the same host (EVENTS_PUBLIC_URL=""), unless --no-gunicorn (then they
must already run there), and nginx in the foreground. Ctrl-C or SIGTERM stops them all (the API
first drains: see gunicorn_config.py). The job worker is not started here: run `make worker`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
KEYS = ("PROXY_BIND", "UPSTREAM", "EVENTS_UPSTREAM", "PREFIX")


def render(values: dict[str, str], template: Path = TEMPLATE) -> str:
    """The config with ${KEY} replaced for our keys only (nginx's own $variables stay)."""
    text = template.read_text()
    for key in KEYS:
        text = text.replace("${" + key + "}", values[key])
    return text


def write_config(prefix: Path, bind: str, upstream: str, events_upstream: str | None = None) -> Path:
    """Render into `prefix` (created) and return the config's path."""
    prefix.mkdir(parents=True, exist_ok=True)
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        # nginx's workers run as nobody when the master is root: they must be able to spill there.
        (prefix / temp).mkdir(exist_ok=True)
        (prefix / temp).chmod(0o1777)
    path = prefix / "nginx.conf"
    path.write_text(render({"PROXY_BIND": bind, "UPSTREAM": upstream, "EVENTS_UPSTREAM": events_upstream or upstream,
                            "PREFIX": str(prefix)}))
    return path


def nginx_command(config: Path) -> list[str]:
    """The foreground nginx command for a rendered config."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"]


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bind", default=os.environ.get("PROXY_BIND", "127.0.0.1:8080"))
    parser.add_argument("--upstream", default=os.environ.get("BIND", "127.0.0.1:8000"))
    parser.add_argument("--events-upstream", default=os.environ.get("EVENTS_BIND", "127.0.0.1:8001"))
    parser.add_argument("--prefix", default=str(ROOT / "instance" / "nginx"))
    parser.add_argument("--no-gunicorn", action="store_true", help="proxy to a gunicorn that already runs")
    args = parser.parse_args(argv)
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        print("serve-proxy: nginx is not installed (apt-get install nginx-light)", file=sys.stderr)
        return 2
    config = write_config(Path(args.prefix), args.bind, args.upstream, args.events_upstream)
    children: list[subprocess.Popen] = []
    if not args.no_gunicorn:
        env = {**os.environ, "TRUSTED_PROXY_HOPS": os.environ.get("TRUSTED_PROXY_HOPS", "1"), "EVENTS_PUBLIC_URL": ""}
        children.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", "--bind",
                                          args.upstream, "backend.wsgi:app"], cwd=ROOT, env=env))
        children.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn_events.py", "--bind",
                                          args.events_upstream, "backend.events.wsgi:app"], cwd=ROOT, env=env))
    children.append(subprocess.Popen(nginx_command(config), cwd=ROOT))
    print(f"nginx on http://{args.bind} -> API on {args.upstream}, streams on {args.events_upstream} "
          f"(config {config})", file=sys.stderr)

    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGQUIT if child is children[-1] else signal.SIGTERM)  # nginx: SIGQUIT

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())

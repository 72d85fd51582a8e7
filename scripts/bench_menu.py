"""Menu identify: ratio to the bare-Flask floor and the issue's load scenario against a slow fake LLM.

    python -m scripts.bench_menu [--users 50] [--step-seconds 10] [--duration 5] [--rounds 2]
    make bench-menu [ARGS=...]

1. Starts a fake OpenAI-compatible server in a subprocess that answers every completion in 800 ms
   (a valid dish), and a SCALE=small server (2 sync workers, gunicorn_config.py) whose OPENAI_BASE_URL
   points at it, with an uncached twin (CACHE_TYPE=NullCache: no view cache, no identify result cache).
2. Ratios (scripts.ratio, wrk, 50 connections): POST /menu/identify of a known dish (exact stage) and
   of a modifier composition, on the uncached twin and on the cached server, against the floor.
3. The `menu_identify` load scenario (backend/menu/perf.py: the ten dishes of issue 8 cycling, with
   names no stage knows, each of which costs one 800 ms provider call) at --users concurrent clients:
   p50/p95/p99 per step.
The box is shared: quote ratios and percentiles from one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts import load_test, ratio  # load_test imports Locust, which patches sockets for gevent
from scripts.server import ROOT, SeededServer, server_env

FAKE = """
import json, sys, time
from backend.integrations.fakes import FakeProvider, slow
from tests.menu.conftest import MARATANG, completion
fake = FakeProvider(default=slow(float(sys.argv[1]), completion(MARATANG)))
print(fake.url, flush=True)
time.sleep(10**6)
"""


def main(argv: list[str] | None = None) -> int:
    """Run the ratios and the load scenario; prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50")
    parser.add_argument("--step-seconds", default="10")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--llm-seconds", default="0.8")
    args = parser.parse_args(argv)
    fake = subprocess.Popen([sys.executable, "-c", FAKE, args.llm_seconds], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env=server_env())
    tmp = Path(tempfile.mkdtemp(prefix="sf-bench-menu-"))
    try:
        llm_url = fake.stdout.readline().strip()
        env = {"OPENAI_BASE_URL": f"{llm_url}/v1", "OPENAI_API_KEY": "sk-bench", "MENU_FLIGHT_DIR": str(tmp / "f")}
        server = SeededServer("small", extra_env=env, uncached_twin=True)
        server.start()
        try:
            bodies = {}
            for name, dish in (("exact", "김치찌개"), ("modifier", "치즈떡볶이")):
                bodies[name] = tmp / f"{name}.json"
                bodies[name].write_text(json.dumps({"menu_name": dish}))
            paths = [f"POST:/api/v1/menu/identify:{bodies[name]}" for name in ("exact", "modifier")]
            print("-- uncached (CACHE_TYPE=NullCache twin)")
            ratio.measure(server.uncached_base, paths, duration=args.duration, rounds=args.rounds)
            print("-- cached")
            ratio.measure(server.base, paths, duration=args.duration, rounds=args.rounds)
            print(f"-- load scenario menu_identify, fake LLM {args.llm_seconds} s per unknown name")
            options = load_test.parse_args(["--base", server.base, "--scenario", "menu_identify", "--users",
                                            args.users, "--step-seconds", args.step_seconds])
            report = load_test.run(server.base, options, print)
            for step in report["steps"]:
                print(load_test.format_step(step))
        finally:
            server.stop()
    finally:
        fake.kill()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load test on Locust (headless, library API): a concurrency sweep, or an open-model constant arrival rate.

Usage:
    python -m scripts.load_test --start --scale small                      # own gunicorn, default sweep
    python -m scripts.load_test --base http://127.0.0.1:8000 --users 50,100,500,1000 --step-seconds 10
    python -m scripts.load_test --base http://127.0.0.1:8000 --rate 200,400 --step-seconds 10
    make load [BASE=...] [SCALE=large] [ARGS="--rate 300"]

Scenario "realistic" (default): every action the domains declare with a weight (LOAD_ACTIONS in
backend/<domain>/perf.py); today authenticated users browse and filter chefs (60%), open a chef
(25%), book a free slot (10%), list their bookings (5%). Domains add named scenarios
(LOAD_SCENARIOS), e.g. "chefs": the public chef list only.
Users sign in once, up front, as user<N>@load.test accounts (shared round-robin by virtual users;
Argon2 logins are deliberately slow and are not what this measures).

Closed model (default, --users): each step runs that many Locust users (FastHttpUser) with no
think time (--think-ms to add some) for --step-seconds after all are spawned; throughput is what
the server sustains at that concurrency.

Open model (--rate R[,R2...]): requests are scheduled at exactly R per second (slot k at
t0 + k/R) whatever the server does. Locust users are only the sending pool (--max-inflight): a user
takes the next slot, sleeps until its scheduled time and sends; when every user is busy the slot's
time keeps running, and latency is measured from the *scheduled* time (the request event's context
carries it), so a stalled server shows up as latency instead of silently lowering the arrival rate
(no coordinated omission). Slots due in the step but never sent (every sender was stuck) count
as failures of cause `unsent`; requests still in flight after a drain of --timeout seconds count
as timeouts; throughput counts answered requests over the window plus the drain. Locust's own service time is
kept alongside (`service_ms`) to show the difference.

Per step: throughput, successes, failures by cause (timeout, connection_error, status_<code>),
p50/p90/p95/p99/max latency, a latency histogram, per-request-name Locust stats and the load
generator's own CPU use (near 100% means the client, not the server, was the limit). A 409 on a
booking is the API's documented answer for a taken slot: counted as a success and tallied as
`conflicts_409`. Only loopback targets unless --allow-host. Every step is bounded; the run stops
by itself. Writes reports/load-<timestamp>.json. Exit status 0; 1 on a script error; 2 on a refused target.
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import time

import gevent
import locust  # before requests: importing Locust monkey-patches sockets and ssl for gevent
import requests
from gevent.pool import Pool
from locust import between, constant
from locust.env import Environment

from scripts import perf_spec
from scripts.load_scenario import SCHEDULE, ClosedUser, RateUser, Recorder, Shared, cache_summary, cpu_seconds
from scripts.perf_common import (
    API,
    DEFAULT_BASE,
    FIRST_LOAD_USER,
    LOAD_PASSWORD,
    TargetRefused,
    check_target,
    host_info,
    log_histogram,
    summarise,
    write_report_json,
)
from scripts.server import SeededServer


def locust_by_name(env: Environment) -> dict:
    """Locust's own per-request-name stats for the step (its percentiles are rounded to 2 significant digits)."""
    result = {}
    for (name, method), entry in sorted(env.stats.entries.items()):
        if entry.num_requests:
            result[f"{method} {name}"] = {
                "requests": entry.num_requests, "failures": entry.num_failures,
                "avg_ms": round(entry.avg_response_time, 2), "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95), "max_ms": round(entry.max_response_time, 2)}
    return result


def step_result(recorder: Recorder, env: Environment, seconds: float, **extra) -> dict:
    """The JSON entry of one finished step."""
    failures = sum(recorder.causes.values())
    total = recorder.ok + failures
    cpu = (cpu_seconds() - recorder.cpu_started) / seconds if seconds else 0.0
    result = {
        **extra, "duration_s": round(seconds, 2), "requests": total, "successes": recorder.ok,
        "failures": failures, "failures_by_cause": dict(recorder.causes), "conflicts_409": recorder.conflicts,
        "error_rate": round(failures / total, 5) if total else 0.0,
        # Answered requests (any status, or a connection error) per second; unsent slots are not throughput.
        "throughput_rps": round(len(recorder.latencies) / seconds, 1) if seconds else 0.0,
        "success_rps": round(recorder.ok / seconds, 1) if seconds else 0.0,
        "latency_ms": summarise(recorder.latencies), "histogram": log_histogram(recorder.latencies),
        "generator_cpu": round(cpu, 3), "by_name": locust_by_name(env), "cache": cache_report(recorder),
    }
    if "rate" in extra:
        result["service_ms"] = summarise(recorder.service)
    return result


def wait_spawned(env: Environment, limit: float) -> None:
    """Block until the runner has spawned every user (bounded by `limit` seconds)."""
    greenlet = env.runner.spawning_greenlet
    if greenlet is not None:
        greenlet.join(timeout=limit)


def run_closed(env: Environment, recorder: Recorder, args: argparse.Namespace, log) -> list[dict]:
    """The concurrency sweep: for each user count, spawn, then measure for --step-seconds."""
    steps = []
    for users in args.users:
        env.runner.start(users, spawn_rate=args.spawn_rate or max(users, 1))
        wait_spawned(env, args.step_seconds + 30)
        gevent.sleep(args.settle)
        env.stats.reset_all()
        recorder.reset(active=True)
        gevent.sleep(args.step_seconds)
        recorder.active = False
        steps.append(step_result(recorder, env, time.perf_counter() - recorder.started, users=users,
                                 spawned=env.runner.user_count))
        log(format_step(steps[-1]))
    return steps


def run_open(env: Environment, recorder: Recorder, args: argparse.Namespace, log) -> list[dict]:
    """Constant arrival rates: schedule rate x step seconds requests, then drain what is still in flight."""
    steps = []
    env.runner.start(args.max_inflight, spawn_rate=args.max_inflight)
    wait_spawned(env, 30)
    for rate in args.rate:
        env.stats.reset_all()
        recorder.reset(active=True)
        SCHEDULE.begin(rate, args.step_seconds)
        gevent.sleep(max(0.0, SCHEDULE.t0 + args.step_seconds - time.perf_counter()))
        window = time.perf_counter() - recorder.started
        SCHEDULE.end()
        drain_until = time.perf_counter() + args.timeout
        while recorder.completed_scheduled < SCHEDULE.taken and time.perf_counter() < drain_until:
            gevent.sleep(0.02)
        recorder.active = False
        stuck = SCHEDULE.taken - recorder.completed_scheduled
        if stuck:  # sent but never answered, even after the drain
            recorder.causes["timeout"] += stuck
        unsent = SCHEDULE.total - SCHEDULE.taken
        if unsent:  # due inside the window but never sent: every sender was stuck waiting on the server
            recorder.causes["unsent"] += unsent
        elapsed = time.perf_counter() - recorder.started
        steps.append(step_result(recorder, env, elapsed, rate=rate, max_inflight=args.max_inflight,
                                 window_s=round(window, 2), scheduled=SCHEDULE.total, sent=SCHEDULE.taken,
                                 unsent=unsent, achieved_rate=round(SCHEDULE.taken / window, 1) if window else 0.0))
        log(format_step(steps[-1]))
    return steps


def format_step(step: dict) -> str:
    """One table line."""
    lat = step["latency_ms"] or {}
    causes = ",".join(f"{k}={v}" for k, v in sorted(step["failures_by_cause"].items())) or "-"
    load = f"rate {step['rate']:>6g}" if "rate" in step else f"users {step['users']:>5}"
    extra = f" unsent={step['unsent']}" if step.get("unsent") else ""
    return (f"{load}  rps {step['throughput_rps']:>8.1f}  ok {step['successes']:>7}  fail {step['failures']:>5}  "
            + "  ".join(f"{p} {lat.get(p, 0):>8.1f}" for p in ("p50", "p90", "p95", "p99", "max"))
            + f"  gen-cpu {step['generator_cpu'] * 100:>3.0f}%  hit {_rate(step)}  causes {causes}{extra}")


def cache_report(recorder: Recorder) -> dict:
    """The step's hit rate, overall and per request name."""
    by_name: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for (name, state), count in recorder.cache_by_name.items():
        by_name[name or "-"][state] += count
    return {**cache_summary(recorder.cache), "by_name": {n: cache_summary(c) for n, c in sorted(by_name.items())}}


def _rate(step: dict) -> str:
    rate = (step.get("cache") or {}).get("hit_rate")
    return f"{rate * 100:.0f}%" if rate is not None else "-"


def sign_in(base: str, accounts: int, first: int) -> list[str]:
    """Tokens for user<first..first+accounts-1>@load.test (four logins at a time)."""
    def one(n: int) -> str:
        response = requests.post(f"{base}{API}/auth/login", timeout=30,
                                 json={"email": f"user{n}@load.test", "password": LOAD_PASSWORD})
        if response.status_code != 200:
            raise RuntimeError(f"login as user{n}@load.test failed ({response.status_code}): is the server seeded "
                               f"with `make seed`? {response.text[:200]}")
        return response.json()["token"]

    return list(Pool(4).imap(one, range(first, first + accounts)))


def get_json(base: str, path: str, token: str | None = None) -> dict:
    """GET /api/v1<path> and decode it; a non-200 is a script error naming the path."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(f"{base}{API}{path}", headers=headers, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def prepare(base: str, args: argparse.Namespace) -> None:
    """Check the server, let the domains discover their data, sign in, set the scenario."""
    try:
        requests.get(f"{base}{API}/health", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise RuntimeError(f"nothing healthy answers at {base} ({exc}): start a server or pass --start") from None
    Shared.state = {}
    perf_spec.load_setup(Shared.state, lambda path, token=None: get_json(base, path, token))
    actions = perf_spec.load_actions()
    weights = args.weights
    Shared.actions, Shared.weights = [actions[n] for n in weights], list(weights.values())
    needs_auth = any(actions[n].auth for n in weights)
    Shared.tokens = sign_in(base, args.accounts, args.first_account) if needs_auth else []


def run(base: str, args: argparse.Namespace, log) -> dict:
    """Prepare, run the sweep or the rates under a hard deadline, and return the report dict."""
    prepare(base, args)
    user_class = RateUser if args.rate else ClosedUser
    if args.think_max_ms and not args.rate:  # people pause a varying while between requests
        user_class.wait_time = between(args.think_ms / 1000, args.think_max_ms / 1000)
    else:
        user_class.wait_time = constant(args.think_ms / 1000 if not args.rate else 0)
    user_class.connection_timeout = user_class.network_timeout = args.timeout
    env = Environment(user_classes=[user_class], host=base)
    env.create_local_runner()
    recorder = Recorder()
    env.events.request.add_listener(recorder.on_request)
    count = len(args.rate or args.users)
    deadline = count * (args.step_seconds + args.settle + args.timeout + 30) + 30
    started = time.perf_counter()
    try:
        with gevent.Timeout(deadline, RuntimeError(f"load test exceeded its {deadline:.0f}s deadline")):
            steps = run_open(env, recorder, args, log) if args.rate else run_closed(env, recorder, args, log)
    finally:
        env.runner.quit()
    return {
        "kind": "load", "version": 1, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "base": base,
        "mode": "open" if args.rate else "closed", "scenario": args.scenario, "weights": args.weights,
        "started_server": args.start, "scale": args.scale if args.start else None, "host": host_info(),
        "config": {"step_seconds": args.step_seconds, "timeout_s": args.timeout, "accounts": len(Shared.tokens),
                   "think_ms": args.think_ms,
                   "think_max_ms": args.think_max_ms, "settle_s": args.settle, "users": args.users, "rate": args.rate,
                   "max_inflight": args.max_inflight if args.rate else None, "locust": _locust_version()},
        "seconds": round(time.perf_counter() - started, 1), "steps": steps,
    }


def _locust_version() -> str:
    return locust.__version__


def _numbers(kind):
    def parse(text: str) -> list:
        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
        if not values or min(values) <= 0:
            raise argparse.ArgumentTypeError("values must be positive")
        return values
    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--base", default=DEFAULT_BASE, help="running server (default %(default)s)")
    target.add_argument("--start", action="store_true", help="start gunicorn over a temp SQLite DB seeded with --scale")
    parser.add_argument("--scale", default="small", choices=["small", "large", "xl"], help="data for --start")
    parser.add_argument("--users", type=_numbers(int), default=[50, 100, 500, 1000],
                        help="closed-model concurrency steps (default 50,100,500,1000)")
    parser.add_argument("--rate", type=_numbers(float), help="open model: arrival rate(s) in requests/s, e.g. 200,400")
    parser.add_argument("--step-seconds", type=float, default=10.0, help="measured seconds per step (default 10)")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after spawning before measuring")
    parser.add_argument("--spawn-rate", type=float, help="users spawned per second (default: a step's users)")
    parser.add_argument("--max-inflight", type=int, help="open model: sending pool size (default max(50, rate))")
    parser.add_argument("--timeout", type=float, default=10.0, help="connect and read timeout, seconds (default 10)")
    parser.add_argument("--think-ms", type=float, default=0.0, help="closed model: pause between a user's requests")
    parser.add_argument("--think-max-ms", type=float, default=0.0,
                        help="closed model: pause uniformly between --think-ms and this (e.g. 1000 and 5000)")
    scenarios = perf_spec.load_scenarios()
    parser.add_argument("--scenario", choices=sorted(scenarios), default=perf_spec.REALISTIC,
                        help="action mix (default %(default)s: every weighted action of the domains)")
    parser.add_argument("--accounts", type=int, default=20, help="load accounts to sign in (default 20)")
    parser.add_argument("--first-account", type=int, default=FIRST_LOAD_USER, help="first N of user<N>@load.test")
    parser.add_argument("--out-dir", help="where load-<timestamp>.json goes (default reports/)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                        help="permit this non-loopback host (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="show Locust's own log")
    args = parser.parse_args(argv)
    args.weights = scenarios[args.scenario]
    if args.rate and args.max_inflight is None:
        args.max_inflight = min(2000, max(50, int(max(args.rate))))
    if args.step_seconds <= 0 or args.accounts < 1:
        parser.error("--step-seconds must be > 0 and --accounts >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the load test; see the module docstring for exit statuses."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    def log(message: str) -> None:
        print(message, flush=True)
    server = None
    try:
        if args.start:
            server = SeededServer(args.scale, log=log)
            base = server.start()
        else:
            check_target(args.base, args.allow_host)
            base = args.base.rstrip("/")
        mode = f"open model at {args.rate} req/s" if args.rate else f"closed model, users {args.users}"
        log(f"load test: {args.scenario} scenario, {mode}, {args.step_seconds:g}s per step, {base}")
        report = run(base, args, log)
    except TargetRefused as exc:
        print(f"load_test: {exc.message}", file=sys.stderr)
        return 2
    except (RuntimeError, requests.RequestException) as exc:
        print(f"load_test: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    print(f"wrote {write_report_json('load', report, args.out_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

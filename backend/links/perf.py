"""What the performance tools exercise in the link analyzer: the "links" load scenario.

The scenario needs a content platform and a model to talk to. `python -m scripts.load_links`
(`make load-links`) starts loopback fakes for both, a TESTING server (the only kind whose safe
fetcher may reach loopback) and a real job worker, then runs this scenario through the load test;
it passes the fake platform's address as LOAD_LINKS_PLATFORM. Without that variable the action
refuses to run: a load test never sends a server to fetch a real site.

The URL mix: LOAD_LINKS_URLS posts (default 50) with Zipf-like popularity (rank^-0.8), so the
popular posts repeat and the tail is mostly analysed once, as pasted links are. Each answer is
timed here and filed under hits (`cached: true`) or misses, since the two are different services:
a hit is one indexed read, a miss fetches a page, its media and a model call.
"""

from __future__ import annotations

import os
import random
import time

from backend.common.domain import API_PREFIX
from scripts.perf_spec import LoadAction

PLATFORM = "LOAD_LINKS_PLATFORM"


def load_setup(state: dict, get_json) -> None:
    """The fake platform's base URL, the popularity weights and the hit/miss timings."""
    base = os.environ.get(PLATFORM, "").strip()
    if not base:
        return
    urls = int(os.environ.get("LOAD_LINKS_URLS", "50"))
    state["links"] = {"base": base.rstrip("/"), "weights": [1 / (rank + 1) ** 0.8 for rank in range(urls)],
                      "hits": [], "misses": [], "accepted": [], "statuses": {}}


def _analyze(user, state: dict) -> None:
    """POST /links/analyze of a popularity-weighted post; file the time under hit, miss or 202."""
    links = state.get("links")
    if links is None:
        raise RuntimeError(f"the links scenario needs {PLATFORM} (run it with `python -m scripts.load_links`)")
    post = random.choices(range(len(links["weights"])), links["weights"])[0]
    started = time.perf_counter()
    with user.client.post(f"{API_PREFIX}/links/analyze", json={"url": f"{links['base']}/post/mix-{post}"},
                          headers=user.auth, name="links: analyze", catch_response=True) as response:
        elapsed = time.perf_counter() - started
        code = response.status_code
        links["statuses"][code] = links["statuses"].get(code, 0) + 1
        if code == 200:
            links["hits" if response.json().get("cached") is True else "misses"].append(elapsed)
        elif code == 202:  # not finished within LINKS_SYNC_WAIT: an honest answer, counted apart
            links["accepted"].append(elapsed)
            response.success()


LOAD_ACTIONS = [LoadAction("links_analyze", _analyze, weight=0, auth=True)]
LOAD_SCENARIOS = {"links": {"links_analyze": 1}}

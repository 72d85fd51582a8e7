"""Auth's part of the performance tools: profiled endpoints (see scripts.perf_spec); tools only."""

from __future__ import annotations

from scripts.perf_spec import Endpoint, fixed

PROFILE = [
    # Argon2id is slow on purpose: a few samples say enough.
    Endpoint("login", "POST", "/auth/login", 500,
             lambda ctx, i: ("/auth/login", {"email": ctx.email, "password": ctx.password}), max_samples=10),
    Endpoint("me", "GET", "/auth/me", 40, fixed("/auth/me"), auth=True),
]

"""HTTP side of the profiler: one measured request, JSON helpers and route coverage through the public API."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import brotli
import requests

from scripts.perf_common import API, parse_server_timing
from scripts.profiler_endpoints import all_endpoints


@dataclass
class Sample:
    """One response as measured by the client."""

    status: int
    ms: float
    wire_bytes: int
    raw_bytes: int
    encoding: str | None
    timing: dict
    body: bytes
    path: str = ""
    retries: int = 0


def send(session: requests.Session, base: str, method: str, path: str, body: dict | None = None,
         token: str | None = None, accept: str = "br, gzip", timeout: float = 30.0) -> Sample:
    """One request; latency covers sending and reading the whole body; sizes are wire and decoded."""
    headers = {"Accept-Encoding": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    response = session.request(method, f"{base}{API}{path}", json=body, headers=headers, stream=True,
                               timeout=timeout)
    wire = response.raw.read(decode_content=False)
    elapsed = (time.perf_counter() - started) * 1000
    response.close()
    encoding = response.headers.get("Content-Encoding")
    decoded = brotli.decompress(wire) if encoding == "br" else gzip.decompress(wire) if encoding == "gzip" else wire
    return Sample(response.status_code, elapsed, len(wire), len(decoded), encoding,
                  parse_server_timing(response.headers.get("Server-Timing")), decoded)


def get_json(session: requests.Session, base: str, path: str, token: str | None = None) -> dict:
    """GET and decode JSON; a non-200 is a script error with the body in the message."""
    sample = send(session, base, "GET", path, token=token)
    if sample.status != 200:
        raise RuntimeError(f"GET {path} answered {sample.status}: {sample.body[:300]!r}")
    return json.loads(sample.body)


def login(session: requests.Session, base: str, email: str, password: str) -> str:
    """A bearer token for the account."""
    sample = send(session, base, "POST", "/auth/login", {"email": email, "password": password})
    if sample.status != 200:
        raise RuntimeError(f"login as {email} failed with {sample.status}: {sample.body[:300]!r}")
    return json.loads(sample.body)["token"]


def with_param(path: str, **params: Any) -> str:
    """`path` with extra query parameters."""
    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def coverage(session: requests.Session, base: str) -> dict:
    """Public GET routes from /openapi.json that no declared endpoint covers."""
    document = get_json(session, base, "/openapi.json")
    public = sorted(path.removeprefix(API) for path, ops in document.get("paths", {}).items()
                    if "get" in ops and not ops["get"].get("security"))
    declared = {e.route for e in all_endpoints()}
    return {"public_gets": public, "uncovered": [p for p in public if p not in declared]}

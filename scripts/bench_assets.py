"""Image assets benchmark: upload a 4000x3000 photo, then each variant first (encode) and as stored hits / 304s.

    .venv/bin/python -m scripts.bench_assets

In-process (Flask test client) on a temporary SQLite file and asset directory; prints milliseconds.
"""

from __future__ import annotations

import io
import pathlib
import statistics
import tempfile
import time

from flask_migrate import upgrade

from backend.auth import services
from tests.common import images_factory as make
from tests.conftest import make_app

VARIANTS = ((800, "webp"), (1600, "jpeg"), (320, "webp"))
CPU_MS: list[float] = []  # CPU time of each timed call (on a loaded box, wall time includes waiting for a core)


def timed(call) -> tuple[float, object]:
    """(wall milliseconds, result) of one call; the call's CPU milliseconds go to CPU_MS."""
    started, cpu = time.perf_counter(), time.process_time()
    result = call()
    CPU_MS.append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - started) * 1000, result


def main() -> None:
    """Run the scenario and print one line per step."""
    tmp = pathlib.Path(tempfile.mkdtemp())
    app = make_app(f"sqlite:///{tmp}/bench.db", tmp)
    with app.app_context():
        upgrade()
        user = services.create_user("bench@example.com", "password-123", "Bench", "user", None)
        token = services.issue_token(user["id"])["token"]
    app.config.update(ASSETS_DIR=str(tmp / "assets"), ASSETS_LOCK_DIR=str(tmp / "locks"))
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    data = make.photo(4000, 3000)
    ms, answer = timed(lambda: client.post("/api/v1/assets", headers=headers, content_type="multipart/form-data",
                                           data={"file": (io.BytesIO(data), "photo.jpg")}))
    print(f"upload {len(data) // 1024} KB 4000x3000 JPEG: {answer.status_code} in {ms:.0f} ms "
          f"(CPU {CPU_MS[-1]:.0f} ms)")
    asset_id = answer.get_json()["id"]
    for width, fmt in VARIANTS:
        url = f"/api/v1/assets/{asset_id}/optimized?w={width}&format={fmt}"
        first_ms, first = timed(lambda u=url: client.get(u))
        first_cpu = CPU_MS[-1]
        assert first.headers["X-Asset-Variant"] == "created", first.get_data()[:200]
        hits = [timed(lambda u=url: client.get(u))[0] for _ in range(50)]
        tag = first.headers["ETag"]
        not_modified = [timed(lambda u=url, t=tag: client.get(u, headers={"If-None-Match": t}))[0] for _ in range(50)]
        print(f"w={width} {fmt}: first {first_ms:.0f} ms (CPU {first_cpu:.0f} ms, {len(first.data) // 1024} KB); "
              f"stored hit median "
              f"{statistics.median(hits):.2f} ms; 304 median {statistics.median(not_modified):.2f} ms")


if __name__ == "__main__":
    main()

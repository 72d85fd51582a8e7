"""Cache control on every backend: admin-only routes; per-layer stats (L1, view cache, compressed bytes)
merged across workers' snapshot files; invalidation by namespace and by URL; the warmup job building the
most requested public responses; and the finer chef-list invalidation (a booking drops only the list
pages showing that chef, with the guard that keeps a page built during a booking out of the cache)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess

import pytest

from backend.cachecontrol.shared import shared_stats
from backend.caching.extension import response_cache
from backend.coocook.services import chefs as chef_services
from backend.coocook.services.bookings import CHEF_ROWS
from backend.observability import store
from tests.conftest import make_app
from tests.factories import ChefFactory

ADMIN_API = "/api/v1/admin/cache"
CHEFS = "/api/v1/coocook/chefs"


def state(response) -> str:
    match = re.search(r'cache;desc="(\w+)"', response.headers.get("Server-Timing", ""))
    assert match, response.headers.get("Server-Timing")
    return match.group(1)


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def test_cache_admin_routes_are_admin_only(client, make_user):
    _, user = make_user()
    for method, url in (("GET", "stats"), ("POST", "invalidate"), ("POST", "warmup")):
        assert client.open(f"{ADMIN_API}/{url}", method=method, json={}).status_code == 401
        assert client.open(f"{ADMIN_API}/{url}", method=method, json={}, headers=user).status_code == 403


def test_stats_count_each_layer_and_the_top_urls(client, db, admin):
    ChefFactory.create_batch(30, bio="x" * 200)  # a list body above COMPRESS_MIN_SIZE
    gzip = {"Accept-Encoding": "gzip"}
    assert [state(client.get(CHEFS, headers=gzip)) for _ in range(4)] == ["miss", "hit", "hit", "hit"]
    client.get(f"{CHEFS}?per_page=5")
    body = client.get(f"{ADMIN_API}/stats", headers=admin).get_json()
    l1, view, compressed = (body["layers"][k] for k in ("l1", "view", "compressed"))
    # The first GET missed every layer (Flask built, compressed and stored it); the next three were
    # answered by the L1 with the stored gzip bytes; the per_page=5 page missed the L1 and the view cache.
    assert (l1["hits"], l1["misses"]) == (3, 2) and l1["entries"] == 2 and l1["bytes"] > 0
    assert (view["hits"], view["misses"]) == (0, 2) and view["hit_rate"] == 0.0
    assert view["entries"] == 2 and view["get_latency_us"] > 0 and l1["hit_rate"] == 0.6
    assert (compressed["hits"], compressed["entries"]) == (3, 1)
    assert body["top_keys"][:2] == [{"key": CHEFS, "requests": 4}, {"key": f"{CHEFS}?per_page=5", "requests": 1}]
    assert body["workers"] == 1


def test_stats_merge_every_live_workers_file_and_forget_dead_ones(database_url, tmp_path, app, make_user):
    application = make_app(database_url, tmp_path, INSIGHT_DIR=str(tmp_path / "insight"))
    _, admin = make_user("admin")
    client = application.test_client()
    client.get(CHEFS)
    directory = tmp_path / "insight" / "cache"
    directory.mkdir(parents=True)
    other = subprocess.Popen(["sleep", "30"])
    dead_pid = 4_194_304 + 17  # above the kernel's largest pid_max (2^22): never a live process (no pid reuse)
    try:
        worker = {"started_at": 1.0, "layers": {"l1": {"hits": 40, "misses": 10, "get_seconds": 0.001}},
                  "sizes": {"l1": {"entries": 7, "bytes": 700}}, "urls": {CHEFS: 50, "/api/v1/products": 3}}
        store.write_json(directory / f"{other.pid}.json", worker)
        store.write_json(directory / f"{dead_pid}.json", {**worker, "urls": {"/dead": 99}})
        body = client.get(f"{ADMIN_API}/stats", headers=admin).get_json()
    finally:
        other.kill()
        other.wait()
    assert body["workers"] == 2 and body["since"] == 1.0
    assert body["layers"]["l1"]["hits"] == 40 and body["layers"]["l1"]["misses"] == 11
    assert body["layers"]["l1"]["entries"] == 8
    assert body["top_keys"][0] == {"key": CHEFS, "requests": 51} and "/dead" not in str(body["top_keys"])
    assert not (directory / f"{dead_pid}.json").exists()
    with application.app_context():
        shared_stats().write()
    assert store.read_json(directory / f"{os.getpid()}.json")["urls"] == {CHEFS: 1}


def test_invalidate_by_namespace_and_by_url(client, db, admin):
    chef = ChefFactory()
    url = f"{CHEFS}/{chef.id}"
    assert [state(client.get(url)) for _ in range(2)] == ["miss", "hit"]
    answer = client.post(f"{ADMIN_API}/invalidate", json={"key": url}, headers=admin)
    assert answer.status_code == 200 and answer.get_json()["namespaces"] == [f"chef:{chef.id}"]
    assert "this host" in answer.get_json()["scope"]
    assert [state(client.get(url)) for _ in range(2)] == ["miss", "hit"]
    client.get(CHEFS)
    assert client.post(f"{ADMIN_API}/invalidate", json={"namespace": "chefs"}, headers=admin).status_code == 200
    assert state(client.get(CHEFS)) == "miss" and state(client.get(url)) == "hit"  # only that namespace


@pytest.mark.parametrize("body", [{}, {"namespace": "chefs", "key": "/api/v1/coocook/chefs"}, {"namespace": ""},
                                  {"namespace": "a b"}, {"key": "/api/v1/nowhere"}, {"key": "/api/v1/auth/me"},
                                  {"key": "/api/v1/coocook/chefs/99999999999999999999"}, {"key": "chefs"},
                                  {"namespace": None}, {"key": "/api/v1/coocook/chefs\x00"}])
def test_bad_invalidations_are_422(client, admin, body):
    response = client.post(f"{ADMIN_API}/invalidate", json=body, headers=admin)
    assert response.status_code == 422, response.get_json()


def test_warmup_builds_the_most_requested_public_responses(client, db, admin):
    chefs = ChefFactory.create_batch(3)
    for chef in chefs:
        client.get(f"{CHEFS}/{chef.id}")
    client.get(f"{CHEFS}/{chefs[0].id}")
    client.get(CHEFS)
    client.get(CHEFS)  # the top two: chefs[0]'s page and the list, two requests each
    client.post(f"{ADMIN_API}/invalidate", json={"namespace": "chefs"}, headers=admin)
    client.post(f"{ADMIN_API}/invalidate", json={"namespace": f"chef:{chefs[0].id}"}, headers=admin)
    response = client.post(f"{ADMIN_API}/warmup", json={"top": 2}, headers=admin)
    assert response.status_code == 202 and response.headers["Location"].endswith(response.get_json()["id"])
    job = response.get_json()  # JOBS_IMMEDIATE: the job ran inside the request
    assert job["status"] == "succeeded" and job["result"]["urls"] == 2
    assert job["result"]["built"] == 2 and job["result"]["failed"] == 0
    assert state(client.get(f"{CHEFS}/{chefs[0].id}")) == "hit"  # the most requested, rebuilt by the job
    assert client.post(f"{ADMIN_API}/warmup", json={"top": 0}, headers=admin).status_code == 422


def book(client, headers, chef_id: int, days: int) -> None:
    date = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    response = client.post("/api/v1/coocook/bookings", headers=headers,
                           json={"chef_id": chef_id, "date": date, "slot": "dinner", "guests": 2})
    assert response.status_code == 201, response.get_json()


def test_a_booking_drops_only_the_list_pages_showing_that_chef(client, db, make_user):
    italian = ChefFactory(cuisine_type="italian")
    korean = ChefFactory(cuisine_type="korean")
    _, user = make_user()
    pages = {"italian": f"{CHEFS}?cuisine=italian", "korean": f"{CHEFS}?cuisine=korean"}
    for url in pages.values():
        assert [state(client.get(url)) for _ in range(2)] == ["miss", "hit"]
    book(client, user, korean.id, 1)
    assert state(client.get(pages["italian"])) == "hit"  # not showing the booked chef: kept
    fresh = client.get(pages["korean"])
    assert state(fresh) == "miss" and fresh.get_json()["items"][0]["booking_count"] == 1  # exact, at once
    assert state(client.get(f"{CHEFS}/{korean.id}")) == "miss"
    assert italian.id != korean.id


def test_a_page_built_while_a_booking_lands_is_served_but_not_stored(client, db, monkeypatch, app):
    ChefFactory()
    real = chef_services.list_chefs

    def list_during_a_booking(**kwargs):
        page = real(**kwargs)  # read before the booking's commit...
        response_cache(app).generations.bump([CHEF_ROWS])  # ...whose bump lands before the rows are read
        return page

    monkeypatch.setattr(chef_services, "list_chefs", list_during_a_booking)
    assert state(client.get(CHEFS)) == "miss"
    monkeypatch.setattr(chef_services, "list_chefs", real)
    assert state(client.get(CHEFS)) == "miss"  # the first body was not kept
    assert state(client.get(CHEFS)) == "hit"

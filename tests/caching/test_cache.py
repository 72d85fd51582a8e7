"""Public-GET response caching: hits, keys, invalidation (in one worker and across workers), ETag/304,
Cache-Control, per-user responses, the off switch, and the Redis backend up and down.

Everything runs against the real database of the current backend and, for the Redis tests, the real
Redis at TEST_REDIS_URL. "Two workers" are two app instances sharing one database and one generations
store, each with its own in-process cache, exactly what two gunicorn workers are.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import uuid

import brotli
import pytest

from backend.caching import response_cache
from backend.extensions import db as _db
from tests.conftest import make_app, statements
from tests.factories import ChefFactory, ProductFactory

API = "/api/v1"
CHEFS = f"{API}/coocook/chefs"
NULLCACHE_WARNING = "ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning"


def cache_state(response) -> str | None:
    """The `cache;desc="..."` entry of Server-Timing (hit, miss, off), or None for uncached views."""
    match = re.search(r'cache;desc="(\w+)"', response.headers.get("Server-Timing", ""))
    return match.group(1) if match else None


def future(days: int = 10) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def dispose(application) -> None:
    """Close an extra app's pooled connections (the `app` fixture wipes the shared tables)."""
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def data(db, make_user):
    """A chef account (its profile is the chef under test), a few other chefs, two products, a user."""
    chef_user, chef_auth = make_user("chef", cuisine_type="italian", location="Rome", price_per_session=80.0)
    user, user_auth = make_user("user")
    for i in range(6):
        ChefFactory(cuisine_type="korean" if i % 2 else "italian", location="Seoul")
    products = [ProductFactory().id for _ in range(2)]
    return {"chef_id": chef_user["chef_id"], "chef_auth": chef_auth, "user": user, "user_auth": user_auth,
            "products": products}


def book(client, data, days: int = 10, slot: str = "dinner"):
    response = client.post(f"{API}/coocook/bookings", headers=data["user_auth"],
                           json={"chef_id": data["chef_id"], "date": future(days), "slot": slot, "guests": 2})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def chef_in_list(response, chef_id: int) -> dict:
    return next(c for c in response.get_json()["items"] if c["id"] == chef_id)


def warm(client, url: str):
    """GET twice; the second must be a hit, so a later fresh value proves invalidation."""
    client.get(url)
    response = client.get(url)
    assert cache_state(response) == "hit", url
    return response


@pytest.mark.parametrize("path", ["chefs", "chef", "products", "product"])
def test_second_public_get_is_a_hit_with_no_queries(client, data, path):
    url = {"chefs": CHEFS, "chef": f"{CHEFS}/{data['chef_id']}", "products": f"{API}/products",
           "product": f"{API}/products/{data['products'][0]}"}[path]
    first = client.get(url)
    assert first.status_code == 200
    assert cache_state(first) == "miss" and statements(first) > 0
    second = client.get(url)
    assert second.status_code == 200
    assert cache_state(second) == "hit"
    assert statements(second) == 0
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "public, max-age=10"


def test_cache_key_is_the_normalised_query_string(client, data):
    italian = client.get(f"{CHEFS}?cuisine=italian&sort=price")
    korean = client.get(f"{CHEFS}?cuisine=korean&sort=price")
    assert cache_state(korean) == "miss"  # a different filter is a different entry
    assert {c["cuisine_type"] for c in italian.get_json()["items"]} == {"italian"}
    assert {c["cuisine_type"] for c in korean.get_json()["items"]} == {"korean"}
    reordered = client.get(f"{CHEFS}?sort=price&cuisine=italian")
    assert cache_state(reordered) == "hit" and reordered.data == italian.data
    by_price_desc = client.get(f"{CHEFS}?cuisine=italian&sort=-price")
    assert cache_state(by_price_desc) == "miss" and by_price_desc.data != italian.data


def test_unknown_parameters_and_default_values_share_the_validated_querys_entry(app, client, data):
    """Keys come from the validated query: junk parameters cannot split (or flood) the cache."""
    first = client.get(f"{CHEFS}?cuisine=italian")
    for junk in ("&_nc=1", "&_nc=2&x=y", "&sort=-rating", "&per_page=20&page=1"):
        again = client.get(f"{CHEFS}?cuisine=italian{junk}")
        assert cache_state(again) == "hit", junk
        assert again.data == first.data
    with app.app_context():
        l1 = response_cache(app).l1
    assert l1 is not None
    keys = set(l1._entries.keys())
    assert all("_nc" not in query and "x=y" not in query for _, query in keys), keys  # only canonical URLs


@pytest.mark.filterwarnings(NULLCACHE_WARNING)
def test_repeated_parameters_never_share_an_entry_with_a_different_meaning(app, client, data, tmp_path):
    """The query parser takes the last value of a repeated key: the cache key must mean the same thing."""
    first = client.get(f"{CHEFS}?sort=price&sort=-price")
    second = client.get(f"{CHEFS}?sort=-price&sort=price")
    uncached = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "nocache", CACHE_TYPE="NullCache")
    try:
        expected = uncached.test_client().get(f"{CHEFS}?sort=-price&sort=price")
    finally:
        dispose(uncached)
    prices = [c["price_per_session"] for c in second.get_json()["items"]]
    assert prices == sorted(prices)
    assert second.data == expected.data
    assert first.data != second.data


def test_booking_invalidates_list_and_detail(client, data):
    detail_url, list_url = f"{CHEFS}/{data['chef_id']}", f"{CHEFS}?cuisine=italian"
    before_detail = warm(client, detail_url).get_json()
    before_list = chef_in_list(warm(client, list_url), data["chef_id"])
    book(client, data)
    detail, listing = client.get(detail_url), client.get(list_url)
    assert detail.get_json()["booking_count"] == before_detail["booking_count"] + 1
    assert chef_in_list(listing, data["chef_id"])["booking_count"] == before_list["booking_count"] + 1
    assert cache_state(client.get(detail_url)) == "hit"  # cached again, now with the fresh value


def test_cancel_invalidates_the_booking_count(client, data):
    booking = book(client, data)
    detail_url = f"{CHEFS}/{data['chef_id']}"
    assert warm(client, detail_url).get_json()["booking_count"] == 1
    cancelled = client.post(f"{API}/coocook/bookings/{booking['id']}/cancel", headers=data["user_auth"])
    assert cancelled.status_code == 200
    assert client.get(detail_url).get_json()["booking_count"] == 0
    assert chef_in_list(client.get(CHEFS), data["chef_id"])["booking_count"] == 0


def test_review_invalidates_rating_in_list_and_detail(client, data):
    booking = book(client, data, days=0)  # today: a booking is completed only on or after its date
    for action in ("confirm", "complete"):
        response = client.post(f"{API}/coocook/bookings/{booking['id']}/{action}", headers=data["chef_auth"])
        assert response.status_code == 200, response.get_json()
    detail_url, list_url = f"{CHEFS}/{data['chef_id']}", f"{CHEFS}?sort=price"
    assert warm(client, detail_url).get_json()["rating_count"] == 0
    assert chef_in_list(warm(client, list_url), data["chef_id"])["rating"] == 0
    review = client.post(f"{API}/coocook/bookings/{booking['id']}/review", headers=data["user_auth"],
                         json={"rating": 4, "comment": "Lovely."})
    assert review.status_code == 201
    detail = client.get(detail_url).get_json()
    assert (detail["rating"], detail["rating_count"]) == (4.0, 1)
    assert [r["comment"] for r in detail["latest_reviews"]] == ["Lovely."]
    listed = chef_in_list(client.get(list_url), data["chef_id"])
    assert (listed["rating"], listed["rating_count"]) == (4.0, 1)


def test_edit_invalidates_name_in_list_and_detail(client, data):
    detail_url, list_url = f"{CHEFS}/{data['chef_id']}", f"{CHEFS}?location=rome"
    warm(client, detail_url)
    warm(client, list_url)
    edited = client.patch(detail_url, headers=data["chef_auth"], json={"name": "Renamed Chef"})
    assert edited.status_code == 200
    assert client.get(detail_url).get_json()["name"] == "Renamed Chef"
    assert chef_in_list(client.get(list_url), data["chef_id"])["name"] == "Renamed Chef"
    hidden = client.patch(detail_url, headers=data["chef_auth"], json={"is_active": False})
    assert hidden.status_code == 200
    assert client.get(detail_url).status_code == 404
    assert all(c["id"] != data["chef_id"] for c in client.get(list_url).get_json()["items"])


def test_a_write_in_one_worker_invalidates_another_workers_cache(app, client, data, database_url, tmp_path):
    """Two app instances = two gunicorn workers: own SimpleCache each, one generations file, one database."""
    other = make_app(database_url, tmp_path)
    try:
        assert other.config["CACHE_GENERATIONS_PATH"] == app.config["CACHE_GENERATIONS_PATH"]
        worker_b = other.test_client()
        detail_url, list_url = f"{CHEFS}/{data['chef_id']}", CHEFS
        warm(worker_b, detail_url)
        warm(worker_b, list_url)
        book(client, data)  # through worker A
        detail = worker_b.get(detail_url)
        assert cache_state(detail) == "miss" and detail.get_json()["booking_count"] == 1
        assert chef_in_list(worker_b.get(list_url), data["chef_id"])["booking_count"] == 1
        client.patch(detail_url, headers=data["chef_auth"], json={"name": "Seen By B"})
        assert worker_b.get(detail_url).get_json()["name"] == "Seen By B"
    finally:
        dispose(other)


@pytest.mark.parametrize("url", [f"{API}/coocook/bookings", f"{API}/auth/me"])
def test_per_user_responses_are_private_and_never_cached(client, data, make_user, url):
    book(client, data)
    other_user, other_auth = make_user("user")
    for _ in range(2):
        mine = client.get(url, headers=data["user_auth"])
        assert mine.status_code == 200
        assert "private" in mine.headers["Cache-Control"]
        assert cache_state(mine) != "hit"
        assert statements(mine) > 0  # answered from the database every time
    theirs = client.get(url, headers=other_auth)
    assert theirs.status_code == 200 and theirs.data != mine.data
    assert "private" in theirs.headers["Cache-Control"]
    if url.endswith("/bookings"):
        assert [b["user_id"] for b in mine.get_json()["items"]] == [data["user"]["id"]]
        assert theirs.get_json()["items"] == []
    else:
        assert theirs.get_json()["id"] == other_user["id"]


def test_errors_are_not_public(client, data):
    missing = client.get(f"{CHEFS}/999999")
    assert missing.status_code == 404
    assert "public" not in missing.headers["Cache-Control"]
    assert "ETag" not in missing.headers


@pytest.mark.parametrize("url", [CHEFS, f"{API}/products"])
def test_etag_and_if_none_match_give_304(client, data, url):
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=10"
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("encoding,decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_304_for_the_compressed_etag_variant(client, data, encoding, decode):
    url = f"{CHEFS}?per_page=50"
    plain = client.get(url)
    compressed = client.get(url, headers={"Accept-Encoding": encoding})
    assert compressed.headers["Content-Encoding"] == encoding
    assert decode(compressed.data) == plain.data
    etag = compressed.headers["ETag"]
    assert etag == plain.headers["ETag"][:-1] + f':{encoding}"'
    not_modified = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""


def test_old_etag_after_a_write_gets_the_new_body(client, data):
    url = f"{CHEFS}/{data['chef_id']}"
    etag = client.get(url).headers["ETag"]
    book(client, data)
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.get_json()["booking_count"] == 1
    assert fresh.headers["ETag"] != etag


@pytest.mark.filterwarnings(NULLCACHE_WARNING)
def test_nullcache_turns_response_caching_off(database_url, app, data, tmp_path):
    uncached = make_app(database_url, tmp_path / "off", CACHE_TYPE="NullCache")
    try:
        client = uncached.test_client()
        for url in (CHEFS, f"{CHEFS}/{data['chef_id']}", f"{API}/products"):
            for _ in range(2):
                response = client.get(url)
                assert response.status_code == 200
                assert cache_state(response) == "off"
                assert statements(response) > 0
    finally:
        dispose(uncached)


def redis_app(database_url, tmp_path, redis, prefix):
    return make_app(database_url, tmp_path, CACHE_TYPE="RedisCache", REDIS_URL=redis, CACHE_REDIS_URL=redis,
                    CACHE_KEY_PREFIX=prefix)


def test_redis_backend_caches_and_invalidates_across_instances(app, data, database_url, tmp_path, redis_url):
    import redis as redis_lib

    prefix = f"t{uuid.uuid4().hex[:8]}:"
    worker_a = redis_app(database_url, tmp_path / "a", redis_url, prefix)
    worker_b = redis_app(database_url, tmp_path / "b", redis_url, prefix)
    try:
        a, b = worker_a.test_client(), worker_b.test_client()
        url = f"{CHEFS}/{data['chef_id']}"
        first = a.get(url)
        assert cache_state(first) == "miss"
        shared = b.get(url)  # B never saw it: the entry lives in Redis
        assert cache_state(shared) == "hit" and statements(shared) == 0 and shared.data == first.data
        assert redis_lib.Redis.from_url(redis_url).keys(f"{prefix}resp:*")
        response = b.post(f"{API}/coocook/bookings", headers=data["user_auth"],
                          json={"chef_id": data["chef_id"], "date": future(), "slot": "lunch", "guests": 3})
        assert response.status_code == 201
        assert redis_lib.Redis.from_url(redis_url).keys(f"{prefix}gen:*")  # the bump is shared, not per process
        fresh = a.get(url)
        assert cache_state(fresh) == "miss" and fresh.get_json()["booking_count"] == 1
        assert chef_in_list(a.get(CHEFS), data["chef_id"])["booking_count"] == 1
        assert cache_state(b.get(url)) == "hit"
    finally:
        dispose(worker_a)
        dispose(worker_b)
        leftovers = redis_lib.Redis.from_url(redis_url)
        for key in leftovers.scan_iter(f"{prefix}*"):
            leftovers.delete(key)


def test_redis_down_reads_come_from_the_database_and_writes_succeed(app, data, database_url, tmp_path):
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
    broken = make_app(database_url, tmp_path / "down", CACHE_TYPE="RedisCache", REDIS_URL=down,
                      CACHE_REDIS_URL=down)
    try:
        client = broken.test_client()
        url = f"{CHEFS}/{data['chef_id']}"
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200
            assert cache_state(response) != "hit" and statements(response) > 0
            assert response.get_json()["booking_count"] == 0
        assert client.get(CHEFS).status_code == 200
        created = client.post(f"{API}/coocook/bookings", headers=data["user_auth"],
                              json={"chef_id": data["chef_id"], "date": future(), "slot": "dinner", "guests": 2})
        assert created.status_code == 201
        assert client.get(url).get_json()["booking_count"] == 1
        edited = client.patch(url, headers=data["chef_auth"], json={"name": "Still Works"})
        assert edited.status_code == 200
        assert client.get(url).get_json()["name"] == "Still Works"
    finally:
        dispose(broken)

"""The async path and job status, sharing one in-flight job, admin-only routes, hostile inputs."""

from __future__ import annotations

from backend.jobs.extension import Jobs
from backend.jobs.runner import run_job
from backend.links.fakes import FakePlatform
from tests.links.test_analyze import ANALYZE, post

ASYNC = "/api/v1/links/analyze/async"


def queued(links_app, tmp_path, **config):
    """An app whose jobs wait in a real SqliteHuey file until the test runs them."""
    return links_app(JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}", **config)


def test_async_answers_202_with_the_job_and_its_status_is_the_owners(links_app, platform, make_user):
    app = links_app()
    client = app.test_client()
    _, owner = make_user()
    _, stranger = make_user()
    _, admin = make_user("admin")
    response = post(client, platform.url(11), owner, ASYNC, priority="low")
    assert response.status_code == 202
    job = response.get_json()
    assert job["priority"] == "low" and response.headers["Location"] == job["status_url"]
    assert job["status_url"] == f"/api/v1/links/analyze/status/{job['job_id']}"
    status = client.get(job["status_url"], headers=owner)
    assert status.status_code == 200 and status.get_json()["status"] == "succeeded"  # JOBS_IMMEDIATE in tests
    assert status.get_json()["result"]["metadata"]["title"] == "Bibimbap night #11"
    assert client.get(job["status_url"], headers=stranger).status_code == 404
    assert client.get(job["status_url"], headers=admin).status_code == 200
    assert client.get("/api/v1/links/analyze/status/not-a-uuid", headers=owner).status_code == 404
    assert client.get(job["status_url"]).status_code == 401
    cached = post(client, platform.url(11), owner, ASYNC)
    assert cached.status_code == 200 and cached.get_json()["cached"] is True  # a hit needs no job


def test_sync_answers_202_past_its_wait_and_concurrent_requests_share_the_job(links_app, platform, gemini,
                                                                               make_user, tmp_path):
    app = queued(links_app, tmp_path, LINKS_SYNC_WAIT=0.2, LINKS_WAIT_LANE="inline")  # the worker waits
    client = app.test_client()
    _, first = make_user()
    _, second = make_user()
    _, third = make_user()
    waiting = post(client, platform.url(12), first)
    assert waiting.status_code == 202
    job = waiting.get_json()
    assert job["status"] == "queued" and job["priority"] == "high" and waiting.headers["Location"] == job["status_url"]
    joined = post(client, platform.url(12) + "?utm_medium=x", second)
    assert joined.status_code == 202 and joined.get_json()["job_id"] == job["job_id"]  # one job, shared
    assert client.get(job["status_url"], headers=second).status_code == 200  # a sharer may follow it
    assert client.get(job["status_url"], headers=third).status_code == 404
    with app.app_context():
        run_job(Jobs.state(), job["job_id"])
    assert platform.page_hits == 1 and gemini.calls == 1
    done = client.get(job["status_url"], headers=second).get_json()
    assert done["status"] == "succeeded" and done["result"]["ai"] == "done"
    assert post(client, platform.url(12), third).get_json()["cached"] is True


def test_delete_and_costs_are_for_admins(links_app, platform, make_user):
    app = links_app()
    client = app.test_client()
    _, user = make_user()
    _, admin = make_user("admin")
    body = post(client, platform.url(13), user).get_json()
    path = f"/api/v1/links/cache/{body['url_hash']}"
    assert client.delete(path, headers=user).status_code == 403
    assert client.get("/api/v1/admin/links/costs", headers=user).status_code == 403
    assert client.delete(path, headers=admin).status_code == 204
    assert client.delete(path, headers=admin).status_code == 404
    assert client.get(f"/api/v1/links/{body['url_hash']}", headers=user).status_code == 404
    pages = platform.page_hits
    assert post(client, platform.url(13), user).get_json()["cached"] is False and platform.page_hits == pages + 1
    for bad in ("abc", "g" * 64, body["url_hash"].upper()):
        assert client.get(f"/api/v1/links/{bad}", headers=user).status_code == 404
        assert client.delete(f"/api/v1/links/cache/{bad}", headers=admin).status_code == 404
    costs = client.get("/api/v1/admin/links/costs?days=7", headers=admin)
    assert costs.status_code == 200 and costs.get_json()["days"] == 7
    assert client.get("/api/v1/admin/links/costs?days=0", headers=admin).status_code == 422


def test_hostile_urls_are_refused_with_their_reason_and_reach_nothing(links_app, platform, gemini, make_user):
    app = links_app(LINKS_TEST_ALLOW_LOOPBACK=False)  # production rules: loopback is internal
    client = app.test_client()
    _, auth = make_user()
    private = "private_address"
    for url, reason, kind in ((platform.url(1), "bad_port", None), ("http://127.0.0.1/post/1", private, "loopback"),
                              ("http://169.254.169.254/latest/meta-data/", private, "link_local"),
                              ("http://10.1.2.3/", private, "private"), ("http://[::ffff:127.0.0.1]/", private, None),
                              ("http://2130706433/", private, "loopback"), ("ftp://example.com/a", "bad_scheme", None),
                              ("https://user:pw@example.com/", "userinfo", None),
                              ("file:///etc/passwd", "bad_scheme", None)):
        response = post(client, url, auth)
        assert response.status_code == 422, (url, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == reason and error["details"]["reason"] == reason, (url, error)
        assert kind is None or error["details"]["kind"] == kind, (url, error)
    assert platform.page_hits == 0 and gemini.calls == 0
    for body in ({}, {"url": ""}, {"url": "x" * 3000}, {"url": 5}, {"url": "http://a.example/", "extra": 1}):
        assert client.post(ANALYZE, json=body, headers=auth).status_code in (400, 422)
    assert client.get("/api/v1/links/cache/stats", headers=auth).get_json()["size"] == 0


def test_media_pointing_inside_are_skipped_without_failing_the_link(links_app, make_user):
    app = links_app()
    _, auth = make_user()
    with FakePlatform(media_per_post=1) as site:
        site.extra_head["9"] = ('<meta property="og:image" content="http://169.254.169.254/latest/x.png">'
                                '<meta property="og:image" content="http://10.0.0.1/y.png">')
        body = post(app.test_client(), site.url(9), auth).get_json()
    assert [m["url"] for m in body["media"]] == [f"{site.base}/media/9-0.png"]
    assert body["ai"] == "done"

"""AI employees: create, configure, pause/resume, delete; owner only (others 404); hostile input."""

from __future__ import annotations

import pytest

from tests.conftest import statements
from tests.scenarios.conftest import EMPLOYEES, new_employee


def test_create_read_list_configure(client, scenarios, make_user):
    _, auth = make_user()
    created = new_employee(client, auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "active" and body["scenario_name"] == "Blog post writer" and body["runs_count"] == 0
    assert body["config"] == {"variables": {"topic": "cold brew", "audience": "students"}, "tone": "warm",
                              "language": "en"}
    url = f"{EMPLOYEES}/{body['id']}"
    changed = client.patch(url, json={"name": "Mina 2", "scenario_id": 5, "config": {"tone": "formal"}}, headers=auth)
    assert changed.status_code == 200
    assert changed.get_json()["scenario_id"] == 5 and changed.get_json()["config"]["variables"] == {}
    assert client.get(url, headers=auth).get_json()["name"] == "Mina 2"
    new_employee(client, auth, scenario_id=2)
    listing = client.get(EMPLOYEES, headers=auth)
    assert listing.get_json()["total"] == 2 and listing.headers["Cache-Control"].startswith("private")
    one = client.get(EMPLOYEES, query_string={"per_page": 1}, headers=auth)
    assert one.get_json()["next_cursor"]
    assert statements(one) == statements(client.get(EMPLOYEES, query_string={"per_page": 100}, headers=auth))


def test_pause_resume_delete(client, scenarios, make_user):
    _, auth = make_user()
    employee = new_employee(client, auth).get_json()
    url = f"{EMPLOYEES}/{employee['id']}"
    assert client.post(f"{url}/pause", headers=auth).get_json()["status"] == "paused"
    again = client.post(f"{url}/pause", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    refused = client.post(f"{url}/runs", json={}, headers=auth)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "employee_paused"
    assert client.post(f"{url}/resume", headers=auth).get_json()["status"] == "active"
    assert client.post(f"{url}/runs", json={}, headers=auth).status_code == 202
    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404
    assert client.delete(url, headers=auth).status_code == 404


def test_someone_elses_employee_is_404_everywhere(client, scenarios, make_user):
    _, owner = make_user()
    employee = new_employee(client, owner).get_json()
    url = f"{EMPLOYEES}/{employee['id']}"
    run = client.post(f"{url}/runs", json={}, headers=owner).get_json()
    for who in (make_user()[1], make_user("admin")[1]):
        for method, path, body in (("get", url, None), ("patch", url, {"name": "x"}), ("post", f"{url}/pause", None),
                                   ("post", f"{url}/resume", None), ("delete", url, None),
                                   ("post", f"{url}/runs", {}), ("get", f"{url}/runs", None),
                                   ("get", f"{url}/runs/{run['run_id']}", None)):
            response = getattr(client, method)(path, json=body, headers=who)
            assert response.status_code == 404, (method, path, response.get_json())
        assert client.get(EMPLOYEES, headers=who).get_json()["total"] == 0
    assert client.get(url, headers=owner).status_code == 200


@pytest.mark.parametrize("body", [
    {"scenario_id": 999_999},
    {"scenario_id": 2**31},
    {"scenario_id": None},
    {"name": ""},
    {"name": "x" * 121},
    {"config": {"variables": {"Bad Name": "x"}}},
    {"config": {"variables": {"topic": "x" * 2001}}},
    {"config": {"variables": {"topic": 5}}},
    {"config": {"variables": {f"v{i}": "x" for i in range(31)}}},
    {"config": {"language": "../../etc"}},
    {"config": {"tone": "a\x00b"}},
    {"config": {"unknown": 1}},
    {"config": []},
    {"extra": True},
])
def test_hostile_bodies_are_422(client, scenarios, make_user, body):
    _, auth = make_user()
    response = new_employee(client, auth, **body)
    assert response.status_code == 422, response.get_json()


def test_patch_refuses_null_and_unknown_scenario(client, scenarios, make_user):
    _, auth = make_user()
    url = f"{EMPLOYEES}/{new_employee(client, auth).get_json()['id']}"
    for body in ({"name": None}, {"config": None}, {"scenario_id": 424242}, {"status": "paused"}):
        assert client.patch(url, json=body, headers=auth).status_code == 422, body
    assert client.patch(url, data="name=x", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}) \
        .status_code == 415

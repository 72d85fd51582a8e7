"""Runs: the scenario's steps executed as a job by the builtin runner or the LLM adapter (a loopback fake),
each step's output recorded on the run and as a job event; failures and fallbacks."""

from __future__ import annotations

import json

from backend.extensions import db as app_db
from backend.integrations.fakes import ok, status
from backend.jobs.extension import Jobs
from backend.jobs.runner import run_job
from tests.conftest import make_app, wipe
from tests.meari.conftest import completion, events_of
from tests.scenarios.conftest import EMPLOYEES, new_employee


def start(client, auth, employee_id: int, text: str = "Focus on summer drinks."):
    return client.post(f"{EMPLOYEES}/{employee_id}/runs", json={"input": text}, headers=auth)


def test_builtin_run_records_every_step(app, client, scenarios, make_user):
    _, auth = make_user()
    employee = new_employee(client, auth).get_json()
    accepted = start(client, auth, employee["id"])
    assert accepted.status_code == 202, accepted.get_json()
    body = accepted.get_json()
    assert accepted.headers["Location"] == body["status_url"] and body["stream_url"]
    run = client.get(body["status_url"], headers=auth).get_json()
    assert run["status"] == "succeeded" and run["progress"] == 100 and run["generator"] == "builtin"
    assert [o["key"] for o in run["outputs"]] == ["outline", "draft", "edit", "seo"]
    assert "cold brew" in run["outputs"][0]["output"] and "students" in run["outputs"][0]["output"]
    assert "Focus on summer drinks." in run["outputs"][1]["output"]  # {input} is the run's input
    assert "builtin runner" in run["outputs"][0]["output"]
    steps = [data for kind, data in events_of(app, body["job_id"]) if kind == "step_completed"]
    assert [s["key"] for s in steps] == ["outline", "draft", "edit", "seo"]
    assert steps[0]["output"] == run["outputs"][0]["output"]
    again = client.get(client.post(f"{EMPLOYEES}/{employee['id']}/runs", json={"input": "Focus on summer drinks."},
                                   headers=auth).get_json()["status_url"], headers=auth).get_json()
    assert [o["output"] for o in again["outputs"]] == [o["output"] for o in run["outputs"]]  # deterministic
    runs = client.get(f"{EMPLOYEES}/{employee['id']}/runs", headers=auth).get_json()
    assert runs["total"] == 2
    assert client.get(f"{EMPLOYEES}/{employee['id']}", headers=auth).get_json()["runs_count"] == 2


def test_placeholders_are_filled_literally(client, scenarios, make_user):
    _, auth = make_user()
    employee = new_employee(client, auth, config={"variables": {"topic": "{audience} {0.__class__}"}}).get_json()
    run = client.get(start(client, auth, employee["id"]).get_json()["status_url"], headers=auth).get_json()
    first = run["outputs"][0]["output"]
    assert "{audience} {0.__class__}" in first and "(no audience given)" in first


def test_llm_run_sends_each_step_with_previous_outputs(configured, scenarios, make_user, llm):
    client = configured.test_client()
    _, auth = make_user()
    employee = new_employee(client, auth).get_json()
    llm.then(*(ok(completion({"output": f"LLM output {i}"}, model="fake-model-7")) for i in range(4)))
    run = client.get(start(client, auth, employee["id"]).get_json()["status_url"], headers=auth).get_json()
    assert run["status"] == "succeeded" and run["generator"] == "llm"
    assert [o["output"] for o in run["outputs"]] == [f"LLM output {i}" for i in range(4)]
    assert {o["model"] for o in run["outputs"]} == {"fake-model-7"}
    assert len(llm.requests) == 4
    last = json.loads(json.loads(llm.requests[3].body)["messages"][1]["content"])
    assert [p["output"] for p in last["previous_steps"]] == ["LLM output 0", "LLM output 1", "LLM output 2"]
    assert "Mina" in json.loads(llm.requests[0].body)["messages"][0]["content"]


def test_a_permanent_llm_failure_falls_back_to_builtin_for_the_rest(configured, scenarios, make_user, llm):
    client = configured.test_client()
    _, auth = make_user()
    employee = new_employee(client, auth).get_json()
    llm.then(ok(completion({"output": "first by the model"})), ok(completion("not json at all")))
    run = client.get(start(client, auth, employee["id"]).get_json()["status_url"], headers=auth).get_json()
    assert run["status"] == "succeeded" and run["generator"] == "mixed"
    assert [o["generator"] for o in run["outputs"]] == ["llm", "builtin", "builtin", "builtin"]
    assert run["outputs"][1]["fallback"] == "provider_bad_response"
    assert len(llm.requests) == 2  # no more model calls after the permanent failure


def test_transient_failures_retry_then_fail_the_run(configured, scenarios, make_user, llm):
    client = configured.test_client()
    _, auth = make_user()
    employee = new_employee(client, auth).get_json()
    llm.default = status(503)
    run = client.get(start(client, auth, employee["id"]).get_json()["status_url"], headers=auth).get_json()
    assert run["status"] == "failed" and run["error"]["code"]
    assert len(llm.requests) == 3  # one call per job attempt (OPENAI_ATTEMPTS=1, max_attempts=3)


def test_a_run_waits_for_its_worker(database_url, tmp_path, scenarios, make_user):
    queued = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        client = queued.test_client()
        _, auth = make_user()
        employee = new_employee(client, auth).get_json()
        body = start(client, auth, employee["id"]).get_json()
        pending = client.get(body["status_url"], headers=auth).get_json()
        assert pending["status"] == "queued" and pending["outputs"] == [] and pending["progress"] == 0
        with queued.app_context():
            run_job(Jobs.state(), body["job_id"])
            app_db.session.remove()
        done = client.get(body["status_url"], headers=auth).get_json()
        assert done["status"] == "succeeded" and len(done["outputs"]) == 4
        other = start(client, auth, employee["id"]).get_json()
        assert client.post(f"/api/v1/jobs/{other['job_id']}/cancel", headers=auth).status_code == 200
        assert client.get(other["status_url"], headers=auth).get_json()["status"] == "failed"
    finally:
        wipe(queued)

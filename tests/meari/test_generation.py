"""The session job against loopback fakes: the LLM path, retries, fallbacks, failure, external context."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from backend.integrations.fakes import garbage, ok, slow, status
from tests.meari.conftest import CARDS, CONCERN, PERSONA, completion, events_of, start


def run(app, make_user, concern=CONCERN, **extra):
    """POST a session on `app` (the job runs inside it); (auth, accepted body, session detail, events)."""
    client = app.test_client()
    _, auth = make_user()
    accepted = start(client, auth, concern, **extra).get_json()
    session = client.get(f"/api/v1/meari/sessions/{accepted['session_id']}", headers=auth).get_json()
    return auth, accepted, session, events_of(app, accepted["job_id"])


def test_llm_builds_persona_then_cards_and_events_carry_them_in_order(configured, fakes, make_user):
    llm, context = fakes
    llm.then(ok(completion(PERSONA)), ok(completion(CARDS)))
    context.default = ok({"summary": "Short breaks every 90 minutes help focus."})
    _, accepted, session, events = run(configured, make_user, language="ko")
    assert session["status"] == "ready" and session["generator"] == "llm"
    assert session["persona"] == PERSONA and session["cards"] == CARDS["cards"]
    assert [t for t, _ in events] == ["starting", "progress", "persona_created", "cards_created", "completed"]
    assert events[2][1] == PERSONA and events[3][1] == CARDS["cards"]
    result = events[-1][1]
    assert result["generator"] == "llm" and result["model"] == "fake-model-1"
    assert result["steps"]["persona"] == {"generator": "llm", "model": "fake-model-1"}
    persona_call, cards_call = (json.loads(r.body) for r in llm.requests)
    assert [r.path for r in llm.requests] == ["/v1/chat/completions"] * 2
    assert persona_call["messages"][1]["content"] == CONCERN and "'ko'" in persona_call["messages"][0]["content"]
    sent = json.loads(cards_call["messages"][1]["content"])  # the cards are written in the persona's voice
    assert sent["persona"] == PERSONA and sent["context"] == "Short breaks every 90 minutes help focus."


def test_persona_and_context_run_concurrently(configured, fakes, make_user):
    llm, context = fakes
    llm.then(slow(0.6, completion(PERSONA)), ok(completion(CARDS)))
    context.default = slow(0.6, {"summary": "s"})
    _, _, session, _ = run(configured, make_user)
    persona_at, context_at = llm.requests[0].at, context.requests[0].at
    assert abs(persona_at - context_at) < 0.5  # in sequence, one would arrive after the other's 0.6 s
    assert session["timings"]["persona"] >= 500 and session["timings"]["external"] >= 500


def test_a_transient_llm_failure_retries_the_job_which_then_succeeds(configured, fakes, make_user):
    llm, _ = fakes
    llm.then(status(503), ok(completion(PERSONA)), ok(completion(CARDS)))
    _, accepted, session, events = run(configured, make_user)
    types = [t for t, _ in events]
    assert types == ["starting", "progress", "retrying", "starting", "progress", "persona_created",
                     "cards_created", "completed"]
    assert events[2][1]["code"] == "provider_http_error"
    assert session["status"] == "ready" and session["generator"] == "llm" and session["persona"] == PERSONA


def test_an_llm_that_keeps_failing_fails_the_session_with_the_jobs_error(configured, fakes, make_user):
    llm, _ = fakes
    llm.default = status(503)
    auth, accepted, session, events = run(configured, make_user)
    assert [t for t, _ in events].count("retrying") == 2 and events[-1][0] == "failed"
    assert session["status"] == "failed" and session["persona"] is None and session["cards"] == []
    assert session["error"]["code"] == "provider_http_error"
    state = configured.test_client().get(accepted["status_url"], headers=auth).get_json()
    assert state["status"] == "failed" and state["job_status"] == "failed"
    assert state["error"] == {"code": "provider_http_error", "message": "llm answered HTTP 503"}


def test_an_unusable_llm_answer_falls_back_to_the_builtin_composer(configured, fakes, make_user):
    llm, _ = fakes
    llm.then(ok(completion("Sure! Here is a persona: Yuna.")))
    _, _, session, events = run(configured, make_user)
    assert len(llm.requests) == 1  # a bad answer is not asked again: the cards go builtin too
    assert session["status"] == "ready" and session["generator"] == "builtin"
    assert [c["kind"] for c in session["cards"]][:4] == ["reflection", "action", "question", "resource"]
    assert events[-1][1]["steps"]["persona"] == {"generator": "builtin", "fallback": "provider_bad_response"}


def test_persona_from_the_llm_and_cards_from_the_composer_is_mixed(configured, fakes, make_user):
    llm, _ = fakes
    llm.then(ok(completion(PERSONA)), ok(completion({"cards": [{"kind": "poem", "title": "x", "body": "y"}]})))
    _, _, session, _ = run(configured, make_user)
    assert session["generator"] == "mixed" and session["persona"] == PERSONA
    assert session["cards"][0]["kind"] == "reflection"


def test_external_context_is_fetched_without_sending_the_concern(configured, fakes, make_user):
    llm, context = fakes
    llm.default = status(401)  # an LLM that refuses the key: permanent, so builtin texts
    context.default = ok({"summary": "Sleep hygiene basics", "items": []})
    _, _, session, _ = run(configured, make_user)
    assert session["external"] == {"status": "fetched", "data": {"summary": "Sleep hygiene basics", "items": []}}
    assert session["cards"][-1] == {"kind": "resource", "title": "From your context source",
                                    "body": "Sleep hygiene basics"}
    [request] = context.requests
    url = urlsplit(request.path)
    assert url.path == "/context" and parse_qs(url.query) == {"topic": ["work"], "language": ["en"]}
    assert "boss" not in request.path and not request.body


def test_external_context_failure_is_noted_and_the_session_still_builds(configured, fakes, make_user):
    llm, context = fakes
    llm.then(ok(completion(PERSONA)), ok(completion(CARDS)))
    context.default = garbage()
    _, _, session, _ = run(configured, make_user)
    assert session["status"] == "ready"
    assert session["external"] == {"status": "unavailable", "error": "provider_bad_response"}


def test_external_context_too_large_is_noted_not_stored(configured, fakes, make_user):
    llm, context = fakes
    llm.default = status(400)
    context.default = ok({"summary": "x" * 10_000})
    _, _, session, _ = run(configured, make_user)
    assert session["external"]["data"] is None and "not stored" in session["external"]["note"]


def test_an_operator_rerun_of_a_failed_session_job_makes_it_ready(configured, fakes, make_user):
    llm, _ = fakes
    llm.default = status(503)
    auth, accepted, session, _ = run(configured, make_user)
    client = configured.test_client()
    url = f"/api/v1/meari/sessions/{accepted['session_id']}"
    assert client.get(url, headers=auth).get_json()["status"] == "failed"
    _, admin = make_user("admin")
    llm.default = ok(completion(PERSONA))
    llm.then(ok(completion(PERSONA)), ok(completion(CARDS)))
    rerun = client.post(f"/api/v1/admin/jobs/{accepted['job_id']}/retry", headers=admin)
    assert rerun.status_code == 200 and rerun.get_json()["status"] == "succeeded"
    again = client.get(url, headers=auth).get_json()
    assert again["status"] == "ready" and again["error"] is None and again["persona"] == PERSONA

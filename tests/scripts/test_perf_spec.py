"""The tools find each domain's perf.py (profiled endpoints, load actions) without a central list."""

from __future__ import annotations

import textwrap
import types

import pytest

from scripts import perf_spec
from scripts.perf_spec import Endpoint, LoadAction, fixed


def test_every_domain_with_a_perf_module_is_found():
    names = [m.__name__ for m in perf_spec.domain_perf_modules()]
    assert names == sorted(names)
    assert {"backend.auth.perf", "backend.coocook.perf", "backend.health.perf", "backend.products.perf"} <= set(names)


def test_a_new_domain_package_is_discovered_by_adding_its_perf_module(tmp_path, monkeypatch):
    root = tmp_path / "fakeapp"
    for name in ("alpha", "beta"):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "alpha" / "perf.py").write_text(textwrap.dedent("""
        from scripts.perf_spec import Endpoint, fixed
        PROFILE = [Endpoint("alpha_list", "GET", "/alpha", 10, fixed("/alpha"))]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = perf_spec.domain_perf_modules("fakeapp")
    assert [m.__name__ for m in modules] == ["fakeapp.alpha.perf"]  # beta has no perf.py
    assert [e.name for e in perf_spec.profile_endpoints(modules)] == ["alpha_list"]


def test_profile_keeps_each_domains_order_and_covers_the_known_routes():
    endpoints = perf_spec.profile_endpoints()
    names = [e.name for e in endpoints]
    assert names[:4] == ["health", "health_live", "health_ready", "openapi"]  # PROFILE_ORDER before domain name order
    assert names.index("create_booking") < names.index("my_bookings") < names.index("booking_detail")
    routes = {e.route for e in endpoints}
    assert {"/health", "/openapi.json", "/products", "/coocook/chefs", "/auth/me"} <= routes


def test_duplicate_endpoint_names_are_refused():
    one = types.SimpleNamespace(PROFILE=[Endpoint("x", "GET", "/x", 1, fixed("/x"))])
    two = types.SimpleNamespace(PROFILE=[Endpoint("x", "GET", "/y", 1, fixed("/y"))])
    with pytest.raises(RuntimeError, match="declared twice"):
        perf_spec.profile_endpoints([one, two])


def test_realistic_scenario_is_every_weighted_action():
    scenarios = perf_spec.load_scenarios()
    assert scenarios["realistic"] == {"browse": 60, "open_chef": 25, "book": 10, "my_bookings": 5}
    assert scenarios["chefs"] == {"chef_list": 100}
    actions = perf_spec.load_actions()
    assert actions["book"].auth and not actions["browse"].auth


def test_a_scenario_naming_an_unknown_action_is_refused():
    module = types.SimpleNamespace(LOAD_ACTIONS=[LoadAction("a", lambda user, state: None, weight=1)],
                                   LOAD_SCENARIOS={"only_b": {"b": 1}})
    with pytest.raises(RuntimeError, match="unknown actions"):
        perf_spec.load_scenarios([module])


def test_discover_runs_each_domains_hook():
    calls = []
    modules = [types.SimpleNamespace(discover=lambda ctx, get_json: calls.append(get_json("/a"))),
               types.SimpleNamespace()]
    perf_spec.discover(perf_spec.Context(), lambda path, token=None: {"path": path}, modules)
    assert calls == [{"path": "/a"}]

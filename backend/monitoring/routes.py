"""Monitoring HTTP layer (admin only): alert rules, alerts, silences, incidents, metrics. Thin: parse, call, return."""

from __future__ import annotations

from flask import current_app

from backend.common.actor import Role, current_actor
from backend.common.api import api_route
from backend.monitoring import bp, evaluate, incidents, services
from backend.monitoring.incident_schemas import IncidentIn, IncidentOut, IncidentPage, IncidentPatch, IncidentQuery
from backend.monitoring.schemas import (
    AlertOut,
    AlertPage,
    AlertsNow,
    EvaluateOut,
    HistoryQuery,
    MetricsOut,
    MetricsQuery,
    Page,
    RuleIn,
    RuleOut,
    RulePage,
    SilenceIn,
    SilenceList,
    SilenceOut,
    ThresholdIn,
)

ADMIN = (Role.ADMIN,)
PRIVATE = {"Cache-Control": "private, no-store"}  # live operational state: never cached anywhere


@api_route(bp, "/alerts/rules", "POST", summary="Create an alert rule on a metric", body=RuleIn, response=RuleOut,
           status=201, roles=ADMIN, errors=[409], headers=PRIVATE)
def create_rule(body: RuleIn):
    return services.create_rule(current_actor(), body.model_dump())


@api_route(bp, "/alerts/rules", summary="Alert rules, newest first (cursor pages)", query=Page, response=RulePage,
           roles=ADMIN, headers=PRIVATE)
def list_rules(query: Page):
    return services.list_rules(query.per_page, query.cursor)


@api_route(bp, "/alerts/rules/<id:rule_id>", summary="One alert rule", response=RuleOut, roles=ADMIN, errors=[404],
           headers=PRIVATE)
def get_rule(rule_id: int):
    return services.get_rule(rule_id)


@api_route(bp, "/alerts/rules/<id:rule_id>", "DELETE", summary="Delete a rule (its active alerts resolve)",
           status=204, roles=ADMIN, errors=[404], headers=PRIVATE)
def delete_rule(rule_id: int):
    services.delete_rule(rule_id)


@api_route(bp, "/monitoring/threshold", "POST", summary="Set a simple threshold (creates or replaces its rule)",
           body=ThresholdIn, response=RuleOut, roles=ADMIN, headers=PRIVATE)
def set_threshold(body: ThresholdIn):
    return services.set_threshold(current_actor(), body.model_dump())


@api_route(bp, "/monitoring/metrics", summary="Every metric alert rules can use, with its value now",
           query=MetricsQuery, response=MetricsOut, roles=ADMIN, headers=PRIVATE)
def metrics(query: MetricsQuery):
    return services.metrics_now(query.window_seconds, query.per_endpoint)


@api_route(bp, "/monitoring/alerts", summary="Active alerts and the latest resolved ones", response=AlertsNow,
           roles=ADMIN, headers=PRIVATE)
def alerts_now():
    return services.alerts_now()


@api_route(bp, "/monitoring/evaluate", "POST", summary="Run one evaluation tick now (skipped if another has it)",
           response=EvaluateOut, roles=ADMIN, headers=PRIVATE, idempotency=False)
def evaluate_now():
    result = evaluate.evaluate_tick(current_app._get_current_object())
    return result or {"tick": None, "rules": 0, "active": 0, "deliveries": 0}


@api_route(bp, "/alerts/history", summary="Every alert, newest first (cursor pages)", query=HistoryQuery,
           response=AlertPage, roles=ADMIN, headers=PRIVATE)
def alert_history(query: HistoryQuery):
    return services.history(query.status, query.rule_id, query.per_page, query.cursor)


@api_route(bp, "/alerts/<id:alert_id>/ack", "POST", summary="Acknowledge an alert (it stops escalating)",
           response=AlertOut, roles=ADMIN, errors=[404, 409], headers=PRIVATE)
def acknowledge(alert_id: int):
    return services.acknowledge(current_actor(), alert_id)


@api_route(bp, "/alerts/silences", "POST", summary="Silence matching alerts for a maintenance window",
           body=SilenceIn, response=SilenceOut, status=201, roles=ADMIN, errors=[404], headers=PRIVATE)
def create_silence(body: SilenceIn):
    return services.create_silence(current_actor(), body.model_dump())


@api_route(bp, "/alerts/silences", summary="Silences that have not ended", response=SilenceList, roles=ADMIN,
           headers=PRIVATE)
def list_silences():
    return services.list_silences()


@api_route(bp, "/alerts/silences/<id:silence_id>", "DELETE", summary="End a silence now", status=204,
           roles=ADMIN, errors=[404], headers=PRIVATE)
def delete_silence(silence_id: int):
    services.delete_silence(silence_id)


@api_route(bp, "/incidents", "POST", summary="Open an incident with linked alerts", body=IncidentIn,
           response=IncidentOut, status=201, roles=ADMIN, errors=[404], headers=PRIVATE)
def create_incident(body: IncidentIn):
    return incidents.create(current_actor(), body.title, body.severity, body.alert_ids, body.note)


@api_route(bp, "/incidents", summary="Incidents, newest first (cursor pages)", query=IncidentQuery,
           response=IncidentPage, roles=ADMIN, headers=PRIVATE)
def list_incidents(query: IncidentQuery):
    return incidents.list_incidents(query.status, query.per_page, query.cursor)


@api_route(bp, "/incidents/<id:incident_id>", summary="An incident with its timeline", response=IncidentOut,
           roles=ADMIN, errors=[404], headers=PRIVATE)
def get_incident(incident_id: int):
    return incidents.detail(incident_id)


@api_route(bp, "/incidents/<id:incident_id>", "PATCH", summary="Change an incident's status, add a note or alerts",
           body=IncidentPatch, response=IncidentOut, roles=ADMIN, errors=[404], headers=PRIVATE)
def update_incident(incident_id: int, body: IncidentPatch):
    return incidents.update(current_actor(), incident_id, body.model_dump(exclude_unset=True))

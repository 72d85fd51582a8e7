"""Where alert messages go: Slack incoming webhook, a generic JSON webhook (HMAC-signed), email over SMTP.

A rule's channels are names: `slack`, `webhook`, `email` (to MONITORING_EMAIL_TO) or
`email:<address>`. Slack and the webhook are providers of the outbound client (pooled session,
timeouts, deadline, retries on transient failures with the alert's idempotency key, breaker):
`ALERTS_SLACK_BASE_URL` is the incoming-webhook URL, `ALERTS_WEBHOOK_BASE_URL` the receiver's URL
(with `ALERTS_WEBHOOK_SECRET`, each POST carries `X-SoftFactory-Signature: t=<unix>,v1=<hex>`,
the HMAC-SHA256 of "<t>.<body>"). Email goes through the one SMTP sender (integrations.mailer).
A channel that is not configured is `skipped` with the reason (escalation still moves on).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson
from flask import Flask

from backend.extensions import integrations
from backend.integrations import ProviderError, ProviderSpec, RetryPolicy, client_for
from backend.integrations.mailer import Email, MailError, mailer
from backend.integrations.settings import config_value

SLACK, WEBHOOK = "alerts_slack", "alerts_webhook"
# Alert messages should not wait long: a short deadline keeps one bad receiver from stalling a tick.
_FAST = {"connect_timeout": 3.0, "read_timeout": 5.0, "deadline": 12.0, "retry": RetryPolicy(attempts=3, backoff=0.5)}
SPECS = (integrations.declare(ProviderSpec(name=SLACK, prefix="ALERTS_SLACK", **_FAST)),
         integrations.declare(ProviderSpec(name=WEBHOOK, prefix="ALERTS_WEBHOOK", **_FAST)))
SIGNATURE_HEADER = "X-SoftFactory-Signature"
ICONS = {"critical": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}


def valid_channel(name: str) -> bool:
    """True for a channel name this module can send to."""
    return name in ("slack", "webhook", "email") or (name.startswith("email:") and "@" in name[6:])


def summary(kind: str, alerts: list[dict[str, Any]]) -> tuple[str, str]:
    """(subject, text) for a message about `alerts`."""
    worst = max(alerts, key=lambda a: ("info", "warning", "critical").index(a["severity"]))
    verb = {"firing": "FIRING", "escalation": "ESCALATED (not acknowledged)", "resolved": "RESOLVED"}[kind]
    subject = f"[{worst['severity'].upper()}] {verb}: {len(alerts)} alert(s), {worst['rule']}"
    lines = []
    for a in alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a["labels"].items()))
        lines.append(f"#{a['id']} {a['rule']} [{a['severity']}] {a['metric']}{' {' + labels + '}' if labels else ''}"
                     f" = {a['value']:g} ({a['comparison'] or '?'} {a['threshold']:g}), group {a['group']},"
                     f" since {a['started_at']}")
    return subject, "\n".join(lines)


def send(app: Flask, channel: str, kind: str, alerts: list[dict[str, Any]]) -> tuple[str, str | None]:
    """Send one message; ("sent" | "failed" | "skipped", error or reason)."""
    subject, text = summary(kind, alerts)
    key = f"alerts-{kind}-{'-'.join(str(a['id']) for a in alerts)[:80]}"
    try:
        if channel == "slack":
            return _post(app, SLACK, {"text": f"{ICONS.get(alerts[0]['severity'], '')} *{subject}*\n{text}"}, key, {})
        if channel == "webhook":
            body = {"kind": kind, "subject": subject, "alerts": alerts}
            return _post(app, WEBHOOK, body, key, _signature(app, body))
        if channel == "email" or channel.startswith("email:"):
            return _email(app, channel, subject, text)
    except ProviderError as exc:
        return "failed", exc.message
    except MailError as exc:
        return "failed", str(exc)
    return "skipped", f"unknown channel {channel!r}"


def _post(app: Flask, provider: str, body: dict[str, Any], key: str, headers: dict[str, str]) -> tuple[str, str | None]:
    client = client_for(provider, app)
    if not client.settings.configured:
        return "skipped", f"{client.settings.spec.prefix}_BASE_URL is not set"
    # Slack answers "ok" as text, so the raw body is read, not JSON; an idempotency key lets POSTs retry.
    client.request("POST", "", json=body, headers=headers, idempotency_key=key)
    return "sent", None


def _signature(app: Flask, body: dict[str, Any]) -> dict[str, str]:
    secret = config_value(app.config, "ALERTS_WEBHOOK_SECRET")
    if not secret:
        return {}
    stamp = str(int(time.time()))
    # The client serialises the body with orjson.dumps too (deterministic): these are the bytes sent.
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + orjson.dumps(body), hashlib.sha256).hexdigest()
    return {SIGNATURE_HEADER: f"t={stamp},v1={digest}"}


def verify_signature(secret: str, header: str, raw_body: bytes) -> bool:
    """What a receiver does (and the tests): recompute the HMAC and compare in constant time."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    expected = hmac.new(secret.encode(), parts.get("t", "").encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _email(app: Flask, channel: str, subject: str, text: str) -> tuple[str, str | None]:
    sender = mailer(app)
    if not sender.configured:
        return "skipped", "SMTP_HOST is not set"
    to = [channel[6:]] if channel.startswith("email:") else \
        [a.strip() for a in str(app.config.get("MONITORING_EMAIL_TO") or "").split(",") if a.strip()]
    if not to:
        return "skipped", "MONITORING_EMAIL_TO is not set"
    for address in to:
        sender.deliver(Email(address, subject, text))
    return "sent", None

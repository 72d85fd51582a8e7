"""The admin cost report: model calls and their price per day, per model and per URL.

Also the calls saved by caching, batching and dedupe against one call per medium of every analysis.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from backend.common.models import utcnow
from backend.extensions import db
from backend.links import stats
from backend.links.models import LinkAnalysis, LinkCost, LinkSaving, SavedBy

TOP_URLS = 20


def _sums() -> list[Any]:
    return [func.count().label("calls"), func.coalesce(func.sum(LinkCost.media), 0).label("media"),
            func.coalesce(func.sum(LinkCost.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(LinkCost.output_tokens), 0).label("output_tokens"),
            func.coalesce(func.sum(LinkCost.cost_usd), 0.0).label("cost_usd")]


def _row(r: Any, **key: Any) -> dict[str, Any]:
    return {**key, "calls": r.calls, "media": int(r.media), "input_tokens": int(r.input_tokens),
            "output_tokens": int(r.output_tokens), "cost_usd": round(float(r.cost_usd), 6)}


def costs(days: int) -> dict[str, Any]:
    """The report over the last `days` days (aggregates in SQL; five statements whatever the volume)."""
    since = utcnow() - dt.timedelta(days=days)
    window = LinkCost.at >= since
    day = func.date(LinkCost.at)
    per_day = db.session.execute(select(day.label("day"), *_sums()).where(window).group_by(day)
                                 .order_by(day.desc())).all()
    per_model = db.session.execute(select(LinkCost.model, *_sums()).where(window).group_by(LinkCost.model)
                                   .order_by(LinkCost.model)).all()
    cost = func.sum(LinkCost.cost_usd)
    per_url = db.session.execute(
        select(LinkCost.url_hash, func.max(LinkAnalysis.url).label("url"), *_sums())
        .outerjoin(LinkAnalysis, LinkAnalysis.url_hash == LinkCost.url_hash).where(window)
        .group_by(LinkCost.url_hash).order_by(cost.desc(), LinkCost.url_hash).limit(TOP_URLS)).all()
    saved_rows = db.session.execute(select(LinkSaving.reason, func.sum(LinkSaving.calls).label("calls"))
                                    .where(LinkSaving.day >= since.date()).group_by(LinkSaving.reason)).all()
    saved = {reason.value: 0 for reason in SavedBy}
    saved.update({r.reason: int(r.calls) for r in saved_rows})
    saved[SavedBy.CACHE.value] = stats.read()["saved_calls"]  # host-wide counter, since it was created
    calls = sum(r.calls for r in per_day)
    baseline = calls + sum(saved.values())
    return {"days": days, "calls": calls, "cost_usd": round(sum(float(r.cost_usd) for r in per_day), 6),
            "per_day": [_row(r, day=str(r.day)) for r in per_day],
            "per_model": [_row(r, model=r.model) for r in per_model],
            "per_url": [_row(r, url_hash=r.url_hash, url=r.url) for r in per_url],
            "saved": saved, "baseline_calls": baseline,
            "reduction": round(1 - calls / baseline, 4) if baseline else 0.0}

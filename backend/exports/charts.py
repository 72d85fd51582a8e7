"""Charts for the admin KPI report, drawn by matplotlib (Agg, no display) into PNG bytes.

The object API (`Figure` + its Agg canvas) is used rather than pyplot: pyplot keeps global state
across calls, which a worker running several jobs on threads must not share.
"""

from __future__ import annotations

import io
from collections.abc import Sequence


def _figure(width: float = 7.0, height: float = 2.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _ticks(axes, labels: Sequence[str]) -> None:
    step = max(1, len(labels) // 8)
    axes.set_xticks(range(0, len(labels), step))
    axes.set_xticklabels([labels[i][5:] for i in range(0, len(labels), step)], fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", alpha=0.3)


def bookings_chart(days: Sequence[str], bookings: Sequence[int], cancellations: Sequence[int]) -> bytes:
    """Bars of bookings made per day, cancellations stacked in another colour."""
    figure = _figure()
    axes = figure.add_subplot()
    kept = [b - c for b, c in zip(bookings, cancellations, strict=True)]
    axes.bar(range(len(days)), kept, color="#3b6ea8", label="kept")
    axes.bar(range(len(days)), cancellations, bottom=kept, color="#d9822b", label="cancelled")
    axes.set_title("Bookings per day", fontsize=9)
    axes.legend(fontsize=7, frameon=False)
    _ticks(axes, days)
    return _png(figure)


def revenue_chart(days: Sequence[str], revenue: Sequence[float], views: Sequence[int]) -> bytes:
    """Revenue per day (line) with chef-detail views on a second axis."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot(range(len(days)), revenue, color="#2f8f5b", marker="o", markersize=2, label="revenue")
    axes.set_title("Revenue and chef views per day", fontsize=9)
    axes.set_ylabel("revenue", fontsize=7)
    other = axes.twinx()
    other.plot(range(len(days)), views, color="#888888", linestyle="--", label="views")
    other.set_ylabel("views", fontsize=7)
    other.tick_params(axis="y", labelsize=7)
    _ticks(axes, days)
    return _png(figure)

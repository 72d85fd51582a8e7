"""PNG charts for report.py (matplotlib, Agg backend: no display needed).

Each function takes the parsed profile/load JSON and a target path, draws one chart and returns
the path, or None when the data for that chart is absent.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

PERCENTILE_COLOURS = {"p50": "#4c78a8", "p95": "#f58518", "p99": "#e45756"}


def latency_percentiles(profile: dict | None, path: Path) -> Path | None:
    """Horizontal bars: p50/p95/p99 per endpoint (log scale), with each endpoint's budget as a tick."""
    rows = [e for e in (profile or {}).get("endpoints", []) if e.get("latency_ms")]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    height = 0.26
    for offset, (name, colour) in enumerate(PERCENTILE_COLOURS.items()):
        ax.barh([i + (offset - 1) * height for i in range(len(rows))], [r["latency_ms"][name] for r in rows],
                height=height, color=colour, label=name)
    ax.scatter([r["budget_ms"] for r in rows], range(len(rows)), marker="|", s=300, color="black", label="budget")
    ax.set_yticks(range(len(rows)), [r["name"] for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale, client side)")
    ax.set_title("Latency percentiles per endpoint (profiler, sequential requests)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    return _save(fig, path)


def throughput_and_p95(load: dict | None, path: Path) -> Path | None:
    """Throughput (bars) and p95 latency (line) against concurrency, or against arrival rate in open mode."""
    steps = (load or {}).get("steps", [])
    if not steps:
        return None
    open_model = load.get("mode") == "open"
    labels = [f"{s['rate']:g}/s" if open_model else str(s["users"]) for s in steps]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.bar(labels, [s["throughput_rps"] for s in steps], color="#4c78a8", alpha=0.8, label="throughput")
    ax.set_xlabel("arrival rate (open model)" if open_model else "concurrent users (closed model)")
    ax.set_ylabel("answered requests / s")
    right = ax.twinx()
    right.plot(labels, [(s["latency_ms"] or {}).get("p95", 0) for s in steps], color="#e45756", marker="o",
               label="p95")
    right.set_ylabel("p95 latency (ms)")
    right.set_ylim(bottom=0)
    errors = [s["error_rate"] for s in steps]
    for x, rate in zip(labels, errors, strict=True):
        if rate:
            ax.annotate(f"{rate:.1%} err", (x, 0), textcoords="offset points", xytext=(0, 4), ha="center",
                        fontsize=8, color="darkred")
    ax.set_title(f"Throughput and p95 vs {'rate' if open_model else 'concurrency'} ({load.get('scenario')})")
    fig.legend(loc="upper left", bbox_to_anchor=(0.1, 0.88), fontsize=8)
    return _save(fig, path)


def latency_histogram(loads: list[dict], profile: dict | None, path: Path) -> Path | None:
    """Latency distribution per load step (log buckets) of every load run; falls back to the profiler's samples."""
    steps = [s for load in loads for s in load.get("steps", [])
             if s.get("histogram") and sum(s["histogram"]["counts"])]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if steps:
        used = [i for s in steps for i, c in enumerate(s["histogram"]["counts"]) if c]
        for step in steps:
            edges, counts = step["histogram"]["edges_ms"], step["histogram"]["counts"]
            total = sum(counts)
            label = f"{step['rate']:g}/s" if "rate" in step else f"{step['users']} users"
            xs = [edges[0] / 1.26] + edges
            ax.step(xs, [c / total for c in counts], where="post", label=label)
        edges = steps[0]["histogram"]["edges_ms"]
        ax.set_xlim(edges[max(0, min(used) - 2)], edges[min(len(edges) - 1, max(used) + 1)])
        ax.set_title("Latency histogram per load step")
        ax.set_ylabel("share of requests")
    else:
        rows = [e for e in (profile or {}).get("endpoints", []) if e.get("latency_samples_ms")]
        if not rows:
            plt.close(fig)
            return None
        for row in rows:
            ax.hist(row["latency_samples_ms"], bins=_log_bins(rows), histtype="step", label=row["name"])
        ax.set_title("Latency histogram per endpoint (profiler samples)")
        ax.set_ylabel("samples")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _log_bins(rows: list[dict]) -> list[float]:
    values = [v for r in rows for v in r["latency_samples_ms"] if v > 0]
    low, high = min(values), max(values)
    return [low * (high / low) ** (i / 40) for i in range(41)] if high > low else [low * 0.9, low * 1.1]


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""The sweep page: the outcomes of many plans against each swept parameter.

From plain rows (one a plan, as the sweep's table holds them) this draws one chart
per swept key, with a panel per outcome (expected incidents, arrival, value left
behind, and the Monte Carlo's p90 incidents when it was run): a box per value of
the key over every plan at that value. The page (``templates/sweep.html.j2``) adds
the summary by grid point and the failed plans with their errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.patches import Rectangle

from convoy.report._common import new_figure, save

#: The sweep page's file name.
SWEEP_PAGE = "sweep.html"

#: The page's template in ``convoy/report/templates``.
SWEEP_TEMPLATE = "sweep.html.j2"

#: Outcomes drawn: column, axis label, factor applied to the column.
CHART_OUTCOMES: tuple[tuple[str, str, float], ...] = (
    ("expected_incidents", "expected incidents", 1.0),
    ("arrival_h", "arrival (days after start)", 1.0 / 24.0),
    ("value_left_usd", "value left behind ($M)", 1e-6),
    ("mc_incidents_p90", "Monte Carlo incidents p90", 1.0),
)


def chart_name(index: int) -> str:
    """File name of the chart of the ``index``-th swept key."""
    return f"sweep_{index + 1}.png"


def _label(value: Any) -> str:
    """A value as a short tick label: times as day, month and UTC hour."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value).strftime("%d %b %H:%M")
    return text if len(text) <= 22 else text[:10] + "…" + text[-10:]


def plot_axis(
    rows: Sequence[Mapping[str, Any]], key: str, values: Sequence[Any], path: Path
) -> Path:
    """One chart: each outcome against the values of ``key`` (plans that failed out)."""
    ok = [r for r in rows if r.get("status") == "ok"]
    drawn = [c for c in CHART_OUTCOMES if any(r.get(c[0]) is not None for r in ok)]
    fig = new_figure(3.0 * max(len(drawn), 1), 3.2)
    axes = fig.subplots(1, max(len(drawn), 1), squeeze=False)[0]
    for ax, (col, label, factor) in zip(axes, drawn, strict=False):
        data = [
            np.array(
                [r[col] * factor for r in ok if r[key] == v and r.get(col) is not None],
                dtype=float,
            )
            for v in values
        ]
        for i, d in enumerate(data):
            if not len(d):
                continue
            lo, mid, hi = np.percentile(d, [10, 50, 90])
            ax.add_patch(
                _box(i, lo, hi),
            )
            ax.plot([i - 0.3, i + 0.3], [mid, mid], color="#006d2c", lw=2)
            jitter = np.linspace(-0.15, 0.15, len(d)) if len(d) > 1 else np.zeros(1)
            ax.plot(i + jitter, d, ".", color="#333333", ms=3, alpha=0.6)
        ax.set_xticks(range(len(values)), [_label(v) for v in values], rotation=30)
        ax.set_xlim(-0.6, len(values) - 0.4)
        ax.set_ylabel(label)
        ax.set_xlabel(key)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        every = np.concatenate([d for d in data if len(d)] or [np.zeros(1)])
        lo, hi = float(every.min()), float(every.max())
        pad = max(0.05 * (hi - lo), 0.02 * max(abs(lo), abs(hi)), 1e-6)
        ax.set_ylim(lo - pad, hi + pad)
        ax.grid(axis="y", alpha=0.3)
    return save(fig, path)


def _box(i: int, lo: float, hi: float) -> Rectangle:
    return Rectangle(
        (i - 0.3, lo),
        0.6,
        max(hi - lo, 1e-12),
        facecolor="#c7e9c0",
        edgecolor="#006d2c",
    )


def write_sweep_page(
    folder: Path,
    *,
    rows: Sequence[Mapping[str, Any]],
    axes: Sequence[tuple[str, Sequence[Any]]],
    summary_header: Sequence[str],
    summary: Sequence[Sequence[str]],
    info: Mapping[str, Any],
) -> list[str]:
    """
    Write the charts and ``sweep.html`` into ``folder``; the names written.

    ``info`` holds ``title``, ``scenario``, ``resamples``, ``scale_draws``,
    ``seed`` and ``runs`` for the page's first paragraph.
    """
    names: list[str] = []
    charts = []
    for i, (key, values) in enumerate(axes):
        name = chart_name(i)
        plot_axis(rows, key, values, folder / name)
        names.append(name)
        charts.append({"key": key, "file": name})
    failures = [
        {
            "index": r["index"],
            "what": ", ".join(f"{k}={r[k]}" for k, _v in axes)
            + f", resample {r['resample']}, draw {r['draw']}",
            "error": r.get("error") or r.get("status"),
        }
        for r in rows
        if r.get("status") != "ok"
    ]
    env = Environment(
        loader=PackageLoader("convoy.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    html = env.get_template(SWEEP_TEMPLATE).render(
        **info,
        axes=[{"key": k, "shown": [_label(v) for v in vs]} for k, vs in axes],
        charts=charts,
        total=len(rows),
        ok=sum(1 for r in rows if r.get("status") == "ok"),
        failed=len(failures),
        failures=failures,
        summary_header=list(summary_header),
        summary=[list(r) for r in summary],
        text_columns=len(axes) + 2,
    )
    (folder / SWEEP_PAGE).write_text(html, encoding="utf-8")
    return [*names, SWEEP_PAGE]

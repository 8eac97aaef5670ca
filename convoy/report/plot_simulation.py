"""How sure: the Monte Carlo spread of the optimised plan (incidents, losses, arrival).

Drawn from plan.json's ``simulation`` object (``convoy plan --runs N``; see
``docs/plan-json.md``): its histograms and quantiles, nothing recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from convoy.errors import Problem, ScenarioError
from convoy.report._common import (
    day_numbers,
    new_figure,
    parse_time,
    plan_colour,
    save,
    utc_time_axis,
)

#: Colours: runs on time, runs late, the planner's value, quantiles, the deadline.
BAR_COLOUR = plan_colour("optimised")
LATE_COLOUR = "#cb181d"
PLANNED_COLOUR = "#08519c"
QUANTILE_COLOUR = "#525252"

#: The deadline is drawn inside the arrival panel when it is at most this many times
#: the spread of the simulated arrivals after the planned arrival; further away it is
#: named in an arrow at the panel's right edge, so the histogram stays readable.
DEADLINE_IN_VIEW = 2.0


def poisson_pmf(mean: float, num: int, *, open_top: bool = False) -> np.ndarray:
    """
    P(N = k) for k = 0 .. num - 1, N ~ Poisson(mean); with ``open_top`` the last
    entry is P(N >= num - 1).

    Examples
    --------
    >>> float(poisson_pmf(1.0, 3, open_top=True).sum())
    1.0
    """
    k = np.arange(num, dtype=np.float64)
    if mean > 0:
        log_fact = np.array([math.lgamma(x + 1.0) for x in k], dtype=np.float64)
        p = np.exp(k * math.log(mean) - mean - log_fact)
    else:
        p = (k == 0).astype(np.float64)
    if open_top and num > 0:
        p[-1] = max(0.0, 1.0 - float(p[:-1].sum()))
    return p


def simulation_of(plan: Mapping[str, Any]) -> Mapping[str, Any]:
    """
    ``plan["simulation"]``, checked to hold what the chart draws.

    Raises
    ------
    ScenarioError
        No simulation, or one without its histograms.
    """
    sim = plan.get("simulation")
    if not isinstance(sim, Mapping):
        raise ScenarioError(
            Problem(
                "plan.json",
                "",
                "simulation",
                "a Monte Carlo summary (convoy plan --runs N)",
                repr(sim),
            )
        )
    hist = sim.get("histograms")
    for key in ("incidents", "vehicles_lost", "delay_h"):
        h = hist.get(key) if isinstance(hist, Mapping) else None
        if (
            not isinstance(h, Mapping)
            or not isinstance(h.get("counts"), list)
            or not h["counts"]
        ):
            raise ScenarioError(
                Problem(
                    "plan.json",
                    "simulation.histograms",
                    key,
                    "an object with a non-empty list 'counts'",
                    repr(h),
                )
            )
    return sim


def _share(counts: Sequence[int]) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64)
    return 100.0 * c / max(c.sum(), 1.0)


def _count_ticks(ax: Axes, num: int, open_top: bool) -> None:
    step = max(1, math.ceil(num / 12))
    ticks = list(range(0, num, step))
    if open_top and ticks[-1] != num - 1:
        ticks.append(num - 1)
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [f"≥{t}" if open_top and t == num - 1 else str(t) for t in ticks]
    )
    ax.set_xlim(-0.6, num - 0.4)


def _incidents_panel(ax: Axes, sim: Mapping[str, Any]) -> None:
    h = sim["histograms"]["incidents"]
    counts, open_top = h["counts"], bool(h.get("open_top"))
    k = np.arange(len(counts))
    ax.bar(
        k,
        _share(counts),
        width=0.8,
        color=BAR_COLOUR,
        alpha=0.85,
        label="simulated runs",
    )
    planned = float(sim["planned"]["expected_incidents"])
    ax.plot(
        k,
        100.0 * poisson_pmf(planned, len(counts), open_top=open_top),
        "o",
        color="black",
        ms=4,
        zorder=4,
        label=f"Poisson({planned:.2f})",
    )
    ax.axvline(
        planned,
        color=PLANNED_COLOUR,
        ls="--",
        lw=1.5,
        label=f"planned expected {planned:.2f}",
    )
    s = sim["incidents"]
    ax.axvline(
        float(s["p90"]),
        color=QUANTILE_COLOUR,
        ls=":",
        lw=1.2,
        label=f"p90 {float(s['p90']):.0f}",
    )
    _count_ticks(ax, len(counts), open_top)
    ax.set_xlabel("incidents per run (IED + ambush)")
    ax.set_ylabel("share of runs (%)")
    ax.set_title(
        f"Incidents: P(0) {float(s['p0']):.2f}, P(≥3) {float(s['p_ge3']):.2f}",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="upper right", framealpha=0.9)


def _lost_panel(ax: Axes, sim: Mapping[str, Any]) -> None:
    h = sim["histograms"]["vehicles_lost"]
    counts, open_top = h["counts"], bool(h.get("open_top"))
    ax.bar(
        np.arange(len(counts)),
        _share(counts),
        width=0.8,
        color="#969696",
        label="simulated runs",
    )
    s = sim["vehicles_lost"]
    ax.axvline(
        float(s["mean"]),
        color=PLANNED_COLOUR,
        ls="--",
        lw=1.5,
        label=f"mean {float(s['mean']):.1f}",
    )
    ax.axvline(
        float(s["p90"]),
        color=QUANTILE_COLOUR,
        ls=":",
        lw=1.2,
        label=f"p90 {float(s['p90']):.0f}",
    )
    _count_ticks(ax, len(counts), open_top)
    moving = sim["planned"].get("vehicles_moving")
    of = f" (of {int(moving)} moving)" if moving is not None else ""
    ax.set_xlabel(f"vehicles lost per run{of}")
    ax.set_ylabel("share of runs (%)")
    ax.set_title(
        "Vehicles lost: destroyed, or broken down and not recovered", fontsize=10
    )
    ax.legend(fontsize=7, loc="upper right", framealpha=0.9)


def _arrival_panel(ax: Axes, sim: Mapping[str, Any]) -> None:
    h = sim["histograms"]["delay_h"]
    counts, bin_h = h["counts"], float(h["bin_h"])
    planned = parse_time(sim["planned"]["arrive"])
    deadline = parse_time(sim["planned"]["deadline"])
    starts = [planned + timedelta(hours=i * bin_h) for i in range(len(counts))]
    x = day_numbers(starts)
    width = bin_h / 24.0
    share = _share(counts)
    late = np.array([t >= deadline for t in starts])
    ax.bar(
        x[~late],
        share[~late],
        width=width,
        align="edge",
        color=BAR_COLOUR,
        alpha=0.85,
        label="simulated arrivals",
    )
    if late.any():
        ax.bar(
            x[late],
            share[late],
            width=width,
            align="edge",
            color=LATE_COLOUR,
            label="after the deadline",
        )
    ax.axvline(
        day_numbers([planned])[0],
        color=PLANNED_COLOUR,
        ls="--",
        lw=1.5,
        label=f"planned {planned:%d %b %H:%M}",
    )
    for q, ls in (("p50", "-."), ("p90", ":"), ("p99", (0, (1, 3)))):
        t = parse_time(sim["arrival"][q])
        ax.axvline(
            day_numbers([t])[0],
            color=QUANTILE_COLOUR,
            ls=ls,
            lw=1.2,
            label=f"{q} {t:%d %b %H:%M}",
        )
    last = planned + timedelta(hours=len(counts) * bin_h)
    span_h = (last - planned).total_seconds() / 3600.0
    slack_h = (deadline - planned).total_seconds() / 3600.0
    x0 = day_numbers([planned])[0] - 0.05 * max(span_h, 1.0) / 24.0
    if slack_h <= DEADLINE_IN_VIEW * max(span_h, bin_h):
        ax.axvline(
            day_numbers([deadline])[0],
            color=LATE_COLOUR,
            lw=2.0,
            label=f"deadline {deadline:%d %b %H:%M}",
        )
        x1 = max(day_numbers([last])[0], day_numbers([deadline])[0])
        ax.set_xlim(x0, x1 + 0.05 * (x1 - x0))
    else:
        x1 = day_numbers([last])[0]
        ax.set_xlim(x0, x1 + 0.05 * (x1 - x0))
        after_h = (deadline - last).total_seconds() / 3600.0
        ax.annotate(
            "",
            xy=(1.0, 0.4),
            xycoords="axes fraction",
            xytext=(0.84, 0.4),
            arrowprops={"arrowstyle": "-|>", "color": LATE_COLOUR, "lw": 1.5},
        )
        ax.text(
            0.99,
            0.42,
            f"deadline {deadline:%d %b %H:%M}:\n{after_h:.0f} h after the latest\n"
            "simulated arrival",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7,
            color=LATE_COLOUR,
        )
    utc_time_axis(ax)
    ax.xaxis.set_major_locator(
        mdates.AutoDateLocator(tz=UTC, minticks=3, maxticks=6)  # type: ignore[no-untyped-call]
    )
    ax.set_xlabel("arrival at the destination (UTC)")
    ax.set_ylabel(f"share of runs (%) per {bin_h:g} h")
    p_miss = float(sim["p_miss_deadline"])
    ax.set_title(f"Arrival: P(miss deadline) {p_miss:.3f}", fontsize=10)
    ax.legend(fontsize=7, loc="best", framealpha=0.9)


def simulation_figure(plan: Mapping[str, Any]) -> Figure:
    """
    The spread of the optimised plan in three panels: incidents per run against the
    planner's expected value (and the Poisson law it implies), vehicles lost per run,
    and arrival time against the deadline.

    Parameters
    ----------
    plan
        The plan.json document, with its ``simulation`` object.

    Returns
    -------
    matplotlib.figure.Figure
        The chart (Agg canvas).

    Raises
    ------
    ScenarioError
        If the plan has no simulation or it lacks its histograms.
    """
    sim = simulation_of(plan)
    fig = new_figure(13.0, 4.6)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 1.3]})
    _incidents_panel(axes[0], sim)
    _lost_panel(axes[1], sim)
    _arrival_panel(axes[2], sim)
    for ax in axes:
        ax.grid(True, axis="y", lw=0.3, alpha=0.5)
        ax.set_ylim(bottom=0)
    fig.suptitle(
        f"How sure: {int(sim['num_runs']):,} simulated runs of the "
        f"{sim.get('plan', 'optimised')!s} plan (seed {sim.get('seed')})",
        fontsize=12,
    )
    return fig


def plot_simulation(plan: Mapping[str, Any], path: Path) -> Path:
    """Draw :func:`simulation_figure` into the PNG file ``path`` and return ``path``."""
    return save(simulation_figure(plan), path)

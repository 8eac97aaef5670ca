"""How sure: the Monte Carlo spread of the optimised plan (incidents, losses, arrival).

Drawn from plan.json's ``simulation`` object (``convoy plan --runs N``; see
``docs/plan-json.md``): its histograms and quantiles, nothing recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, timedelta
from pathlib import Path

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from convoy.document import Histograms, PlanDocument, SimulationSummary
from convoy.errors import Problem, ScenarioError
from convoy.report._common import (
    day_numbers,
    new_figure,
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
    P(N = k) for k = 0 .. num - 1, N ~ Poisson(mean).

    With ``open_top`` the last entry is P(N >= num - 1).

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


def simulation_of(doc: PlanDocument) -> tuple[SimulationSummary, Histograms]:
    """
    The plan's simulation and its histograms, which the chart draws.

    Raises
    ------
    ScenarioError
        No simulation, or one without its histograms.
    """
    sim = doc.simulation
    if sim is None or sim.histograms is None:
        raise ScenarioError(
            Problem(
                "plan.json",
                "",
                "simulation" if sim is None else "simulation.histograms",
                "a Monte Carlo summary with its histograms (convoy plan --runs N)",
                "nothing",
            )
        )
    return sim, sim.histograms


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


def _incidents_panel(ax: Axes, sim: SimulationSummary, hist: Histograms) -> None:
    h = hist.incidents
    counts, open_top = list(h.counts), h.open_top
    k = np.arange(len(counts))
    ax.bar(
        k,
        _share(counts),
        width=0.8,
        color=BAR_COLOUR,
        alpha=0.85,
        label="simulated runs",
    )
    planned = float(sim.planned.expected_incidents)
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
    s = sim.incidents
    ax.axvline(
        float(s.p90),
        color=QUANTILE_COLOUR,
        ls=":",
        lw=1.2,
        label=f"p90 {float(s.p90):.0f}",
    )
    _count_ticks(ax, len(counts), open_top)
    ax.set_xlabel("incidents per run (IED + ambush)")
    ax.set_ylabel("share of runs (%)")
    ax.set_title(
        f"Incidents: P(0) {float(s.p0):.2f}, P(≥3) {float(s.p_ge3):.2f}",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="upper right", framealpha=0.9)


def _lost_panel(ax: Axes, sim: SimulationSummary, hist: Histograms) -> None:
    h = hist.vehicles_lost
    counts, open_top = list(h.counts), h.open_top
    ax.bar(
        np.arange(len(counts)),
        _share(counts),
        width=0.8,
        color="#969696",
        label="simulated runs",
    )
    s = sim.vehicles_lost
    ax.axvline(
        float(s.mean),
        color=PLANNED_COLOUR,
        ls="--",
        lw=1.5,
        label=f"mean {float(s.mean):.1f}",
    )
    ax.axvline(
        float(s.p90),
        color=QUANTILE_COLOUR,
        ls=":",
        lw=1.2,
        label=f"p90 {float(s.p90):.0f}",
    )
    _count_ticks(ax, len(counts), open_top)
    of = f" (of {int(sim.planned.vehicles_moving)} under their own power)"
    ax.set_xlabel(f"vehicles lost per run{of}")
    ax.set_ylabel("share of runs (%)")
    ax.set_title(
        "Vehicles lost: destroyed, or broken down and not recovered", fontsize=10
    )
    ax.legend(fontsize=7, loc="upper right", framealpha=0.9)


def _arrival_locator() -> mdates.AutoDateLocator:
    """3 to 6 ticks on any span: matplotlib's default steps leave gaps (it warns)."""
    loc = mdates.AutoDateLocator(tz=UTC, minticks=3, maxticks=6)
    loc.intervald[mdates.MINUTELY] = [1, 5, 10, 15, 20, 30, 60]
    loc.intervald[mdates.HOURLY] = [1, 2, 3, 4, 6, 12, 24]
    loc.intervald[mdates.DAILY] = [1, 2, 3, 4, 7, 14, 21, 28]
    return loc


def _arrival_panel(ax: Axes, sim: SimulationSummary, hist: Histograms) -> None:
    h = hist.delay_h
    counts, bin_h = list(h.counts), float(h.bin_h)
    planned = sim.planned.arrive
    deadline = sim.planned.deadline
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
        t = sim.arrival[q]
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
    ax.xaxis.set_major_locator(_arrival_locator())
    ax.set_xlabel("arrival at the destination (UTC)")
    ax.set_ylabel(f"share of runs (%) per {bin_h:g} h")
    p_miss = float(sim.p_miss_deadline)
    ax.set_title(f"Arrival: P(miss deadline) {p_miss:.3f}", fontsize=10)
    ax.legend(fontsize=7, loc="best", framealpha=0.9)


def simulation_figure(doc: PlanDocument) -> Figure:
    """
    The spread of the optimised plan in three panels.

    Incidents per run against the planner's expected value (and the Poisson law it
    implies), vehicles lost per run, and arrival time against the deadline.

    Parameters
    ----------
    doc
        The plan document, with its ``simulation``.

    Returns
    -------
    matplotlib.figure.Figure
        The chart (Agg canvas).

    Raises
    ------
    ScenarioError
        If the plan has no simulation or it lacks its histograms.
    """
    sim, hist = simulation_of(doc)
    fig = new_figure(13.0, 4.6)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 1.3]})
    _incidents_panel(axes[0], sim, hist)
    _lost_panel(axes[1], sim, hist)
    _arrival_panel(axes[2], sim, hist)
    for ax in axes:
        ax.grid(True, axis="y", lw=0.3, alpha=0.5)
        ax.set_ylim(bottom=0)
    fig.suptitle(
        f"How sure: {int(sim.num_runs):,} simulated runs of the "
        f"{sim.plan!s} plan (seed {sim.seed})",
        fontsize=12,
    )
    return fig


def plot_simulation(doc: PlanDocument, path: Path) -> Path:
    """Draw :func:`simulation_figure` into the PNG file ``path`` and return ``path``."""
    return save(simulation_figure(doc), path)

"""Risk against equipment value saved: the Pareto front, or the plans side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from convoy.document import ParetoPoint, PlanDocument
from convoy.report._common import (
    new_figure,
    plan_colour,
    plan_label,
    save,
)


def price_labels(
    front: Sequence[ParetoPoint],
) -> dict[tuple[float, float], list[float]]:
    """
    Prices of an incident (USD) by front point (value saved in M USD, incidents).

    Several prices often give the same plan; they share one point and one label.
    """
    out: dict[tuple[float, float], list[float]] = {}
    for r in front:
        key = (
            float(f"{float(r.value_saved_usd) / 1e6:.6g}"),
            float(f"{float(r.expected_incidents):.6g}"),
        )
        out.setdefault(key, []).append(float(r.incident_usd))
    return out


def plot_pareto(doc: PlanDocument, path: Path) -> Path:
    """Draw :func:`pareto_figure` into the PNG file ``path`` and return ``path``."""
    return save(pareto_figure(doc), path)


def pareto_figure(doc: PlanDocument) -> Figure:
    """
    Expected incidents against value saved, for the price sweep and every plan.

    With ``doc.pareto`` (a ``--pareto`` run) the front is drawn as a line, each
    point labelled with its price of an incident; the optimised plan and the baselines
    are drawn in the same plane either way, so an empty sweep still gives a chart
    (titled accordingly).

    Parameters
    ----------
    doc
        The plan document.

    Returns
    -------
    matplotlib.figure.Figure
        The chart (Agg canvas).
    """
    fig = new_figure(8.0, 5.5)
    ax = fig.subplots()
    front = sorted(doc.pareto, key=lambda r: float(r.value_saved_usd))
    if front:
        xs = [float(r.value_saved_usd) / 1e6 for r in front]
        ys = [float(r.expected_incidents) for r in front]
        ax.plot(
            xs,
            ys,
            "-o",
            color="#08519c",
            lw=1.5,
            ms=5,
            zorder=3,
            label="Pareto front (labels: price of an incident)",
        )
        for (x, y), prices in price_labels(front).items():
            lo, hi = min(prices) / 1e6, max(prices) / 1e6
            ax.annotate(
                f"{lo:.3g} M USD" if lo == hi else f"{lo:.3g}-{hi:.3g} M USD",
                (x, y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color="#08519c",
            )
    for key in doc.plan_keys():
        s = doc.plans[key].summary
        x = float(s.value_carried) / 1e6
        y = float(s.expected_incidents)
        ax.scatter(
            [x],
            [y],
            s=140 if key == "optimised" else 70,
            marker="*" if key == "optimised" else "o",
            color=plan_colour(key),
            edgecolors="black",
            linewidths=0.6,
            zorder=4,
            label=plan_label(key),
        )
    ax.set_xlabel("equipment and vehicle value saved (million USD)")
    ax.set_ylabel("expected incidents (IED + ambush)")
    ax.set_title(
        "Pareto front: risk against value saved"
        if front
        else "Optimised plan and baselines: risk against value saved "
        "(no price sweep in this plan)"
    )
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.set_ylim(bottom=0)
    return fig

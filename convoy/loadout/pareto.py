"""The Pareto front over the price of an incident: which prices, which points win."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from convoy.loadout.result import LoadPlan
from convoy.loadout.risk_table import RiskTable
from convoy.scenario import Lot, Vehicle


def pareto_prices(
    table: RiskTable,
    vehicles: Sequence[Vehicle],
    lots: Sequence[Lot],
    *,
    incident_usd: float,
    num_points: int,
) -> list[float]:
    """
    Prices of an incident to sweep for the Pareto front, in US dollars.

    From 0 to the price at which the smallest column becomes worth it: the value at
    stake (every vehicle and lot) over the incidents the largest column adds to the
    smallest, doubled. Between them ``num_points`` prices spaced geometrically over
    three decades, with the scenario's own price (``incident_usd``) added. A fixed
    band around the scenario's price says nothing when one more vehicle adds
    hundredths of an incident and is worth a million dollars.
    """
    at_stake = sum(v.value_usd for v in vehicles) + sum(lot.value_usd for lot in lots)
    inc = np.asarray(table.incidents)[:, 0]
    extra = float(inc[-1] - inc[0]) if np.isfinite(inc[[0, -1]]).all() else 0.0
    base = incident_usd or 1e6
    top = 2.0 * at_stake / extra if extra > 0 else base * 10.0
    top = max(top, base)
    sweep = np.geomspace(top / 1000.0, top, num_points).tolist()
    return sorted({0.0, float(base), *(float(f"{p:.3g}") for p in sweep)})


def mark_dominated(front: list[dict[str, float]]) -> None:
    """
    Set ``"dominated"`` on each point of the front, in place.

    A point another beats on both counts (no more ``expected_incidents``, no less
    ``value_saved_usd``, not equal on both) is not on the front.
    """
    for p in front:
        p["dominated"] = any(
            q["expected_incidents"] <= p["expected_incidents"]
            and q["value_saved_usd"] >= p["value_saved_usd"]
            and (q["expected_incidents"], q["value_saved_usd"])
            != (p["expected_incidents"], p["value_saved_usd"])
            for q in front
        )


def pareto_front(
    prices: Sequence[float],
    solve: Callable[[float], LoadPlan],
    incidents: Callable[[LoadPlan], float],
    progress: Callable[[str], None],
    steps: Callable[[int, int], None] | None = None,
) -> list[dict[str, float]]:
    """
    The loads at each price of an incident, and the front they make.

    Parameters
    ----------
    prices
        Prices of an incident to sweep, US dollars (:func:`pareto_prices`).
    solve
        The loads decided at a price.
    incidents
        Expected incidents of the best schedule of the column a plan moves.
    progress
        Called with a short message before each price.
    steps
        Called as ``steps(done, total)`` after each price is solved (``done`` of
        the ``total`` prices), for a count and an ETA; it does not change the
        front.

    Returns
    -------
    list of dict
        Per price: ``incident_usd``, ``expected_incidents``, ``value_saved_usd``,
        ``vehicles_moving``, ``gap`` (of the CP-SAT solve; absent when it proved
        no bound), ``proven`` (the gap within ``SolverParams.gap_target``) and
        ``dominated``.
    """
    front: list[dict[str, float]] = []
    if steps is not None:
        steps(0, len(prices))
    for price in prices:
        progress(f"Pareto front: ${price:,.0f} per incident")
        lp = solve(price)
        point = {
            "incident_usd": price,
            "expected_incidents": incidents(lp),
            "value_saved_usd": lp.value_saved_usd,
            "vehicles_moving": float(len(lp.moving_ids)),
        }
        if lp.gap is not None:
            point["gap"] = float(lp.gap)
        point["proven"] = lp.proven
        front.append(point)
        if steps is not None:
            steps(len(front), len(prices))
    mark_dominated(front)
    return front

"""The greedy plan: first fit by value density, then leave what does not pay.

It is the CP-SAT model's hint, a candidate plan of its own, and on its own
(:func:`evaluate_greedy_loadout`) the baseline the benchmarks compare against.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from convoy.loadout._pack import _first_fit
from convoy.loadout.instance import (
    _CARRIED,
    _HANDED,
    _LEFT,
    _MOVING,
    _TOWED,
    _Candidate,
    _check,
    _destroy_s,
    _evaluate,
    _Instance,
    _lot_disposition,
    _make_instance,
)
from convoy.loadout.result import LoadPlan, _to_plan
from convoy.loadout.risk_table import RiskTable
from convoy.params import LoadParams, PriceParams
from convoy.scenario import Lot, Vehicle


def _first_fit_onto(
    inst: _Instance,
    lot_idx: np.ndarray,
    veh_idx: np.ndarray,
    used_kg: np.ndarray,
    used_m2: np.ndarray,
    best_fit: bool = False,
) -> np.ndarray:
    """First (or best) fit of lots, in the given order, onto vehicles; index or -1."""
    out = np.full(lot_idx.size, -1, dtype=np.int64)
    if lot_idx.size == 0 or veh_idx.size == 0:
        return out
    sub_kg = np.ascontiguousarray(used_kg[veh_idx])
    sub_m2 = np.ascontiguousarray(used_m2[veh_idx])
    _first_fit(
        np.ascontiguousarray(inst.l_kg[lot_idx]),
        np.ascontiguousarray(inst.l_m2[lot_idx]),
        np.arange(lot_idx.size, dtype=np.int64),
        np.ascontiguousarray(inst.v_kg[veh_idx]),
        np.ascontiguousarray(inst.v_m2[veh_idx]),
        sub_kg,
        sub_m2,
        out,
        best_fit,
    )
    used_kg[veh_idx] = sub_kg
    used_m2[veh_idx] = sub_m2
    return np.where(out >= 0, veh_idx[np.maximum(out, 0)], -1)


def _scarcity_size(inst: _Instance, veh_idx: np.ndarray) -> np.ndarray:
    """
    Size of each lot as a share of the vehicles' capacity, weighted by scarcity.

    ``kg / fleet kg * r_kg + m2 / fleet m2 * r_m2`` where ``r`` is the demand of all
    lots over the capacity in that dimension: the dimension that binds counts most.
    """
    cap_kg = max(float(inst.v_kg[veh_idx].sum()), 1e-9)
    cap_m2 = max(float(inst.v_m2[veh_idx].sum()), 1e-9)
    r_kg = float(inst.l_kg.sum()) / cap_kg
    r_m2 = float(inst.l_m2.sum()) / cap_m2
    return np.asarray(inst.l_kg / cap_kg * r_kg + inst.l_m2 / cap_m2 * r_m2 + 1e-12)


def _greedy(inst: _Instance) -> _Candidate | None:
    """
    The best greedy plan over a few departure-delay budgets (see `_greedy_at`).

    Leaving one vehicle may not pay for the destruction delay it causes while
    leaving several does, so the sweeps are run with the delay fixed at the grid
    steps 0, 1, 2, 4, 8, ... in turn.
    """
    best: _Candidate | None = None
    best_obj = -math.inf
    steps = sorted(
        {0, *(2**k for k in range(int(math.log2(max(inst.delay_min.size, 1))) + 1))}
    )
    for b in steps:
        if b >= inst.delay_min.size:
            continue
        cand = _greedy_at(inst, b)
        if cand is not None and _evaluate(inst, cand)[0] > best_obj + 1e-6:
            best, best_obj = cand, _evaluate(inst, cand)[0]
    return best


def _greedy_at(inst: _Instance, budget_b: int) -> _Candidate | None:
    """
    First fit by value density, then leave vehicles whose load is not worth the risk.

    Lots go in this order: mandatory (largest first), then the rest by value per
    unit of the fleet's capacity (value / `_scarcity_size`), each on
    the first roadworthy vehicle with room, smallest deck first (so large lots find
    the large decks free). Recovery vehicles tow the most valuable unroadworthy
    vehicles. Then, in sweeps, each vehicle (least valuable with its load first) is
    tentatively left, its lots moved to free room elsewhere where they fit, and the
    change kept if the objective, with the departure at delay step ``budget_b``,
    rises and destruction still ends by then. Returns None when this finds no
    feasible plan.
    """

    def value_at_budget() -> float:
        if inst.delay_step(_destroy_s(inst, cand)) > budget_b:
            return -math.inf
        _, n, _, _ = _evaluate(inst, cand)
        disp = _lot_disposition(inst, cand)
        inc = inst.cost[n, budget_b]
        value = (
            inst.l_value[disp == _CARRIED].sum()
            + inst.v_value[v_status != _LEFT].sum()
            + inst.handover_fraction * inst.l_value[disp == _HANDED].sum()
        )
        return (
            float(value) - inst.incident_usd * inc if math.isfinite(inc) else -math.inf
        )

    nv, nl = len(inst.vehicles), len(inst.lots)
    v_status = np.where(inst.v_road, _MOVING, _LEFT).astype(np.int64)
    tow_of = np.full(nv, -1, dtype=np.int64)
    towers = [int(i) for i in np.flatnonzero(inst.v_tow)]
    for i in sorted(
        np.flatnonzero(~inst.v_road).tolist(), key=lambda k: (-inst.v_value[k], k)
    )[: len(towers)]:
        v_status[i] = _TOWED
        tow_of[i] = towers.pop(0)
    road = np.flatnonzero(inst.v_road)
    road = road[np.lexsort((road, inst.v_kg[road], inst.v_m2[road]))]
    size = _scarcity_size(inst, road)
    idx = np.arange(nl)
    mand = idx[inst.l_mand]
    mand = mand[np.lexsort((mand, -size[mand]))]
    rest = idx[~inst.l_mand]
    rest = rest[np.lexsort((rest, -inst.l_value[rest] / size[rest]))]
    rank = np.empty(nl, dtype=np.int64)
    rank[np.r_[mand, rest].astype(np.int64)] = np.arange(nl)
    used_kg, used_m2 = np.zeros(nv), np.zeros(nv)
    lot_vehicle = np.full(nl, -1, dtype=np.int64)
    lot_vehicle[mand] = _first_fit_onto(inst, mand, road, used_kg, used_m2)
    if np.any(lot_vehicle[mand] < 0):
        return None
    lot_vehicle[rest] = _first_fit_onto(inst, rest, road, used_kg, used_m2)
    cand = _Candidate(v_status, tow_of, lot_vehicle, "greedy")
    best = value_at_budget()
    for _ in range(8):
        improved = False
        load_value = np.bincount(
            lot_vehicle[lot_vehicle >= 0],
            weights=inst.l_value[lot_vehicle >= 0],
            minlength=nv,
        )
        order = np.lexsort((np.arange(nv), inst.v_value + load_value))
        for i in order.tolist():
            if v_status[i] == _LEFT or (
                v_status[i] == _MOVING and np.any((tow_of == i) & (v_status == _TOWED))
            ):
                continue
            if (
                v_status[i] == _MOVING
                and int(inst.v_seats[v_status == _MOVING].sum()) - inst.v_seats[i]
                < inst.personnel
            ):
                continue
            saved = (
                v_status.copy(),
                tow_of.copy(),
                lot_vehicle.copy(),
                used_kg.copy(),
                used_m2.copy(),
            )
            v_status[i], tow_of[i] = _LEFT, -1
            mine = np.flatnonzero(lot_vehicle == i)
            mine = mine[np.argsort(rank[mine], kind="stable")]
            lot_vehicle[mine] = -1
            used_kg[i] = used_m2[i] = 0.0
            others = road[v_status[road] == _MOVING]
            lot_vehicle[mine] = _first_fit_onto(inst, mine, others, used_kg, used_m2)
            obj = value_at_budget()
            if obj > best + 1e-6 and not np.any(
                inst.l_mand[mine] & (lot_vehicle[mine] < 0)
            ):
                best, improved = obj, True
                continue
            v_status[:], tow_of[:], lot_vehicle[:], used_kg[:], used_m2[:] = saved
        if not improved:
            break
    if _check(inst, cand):
        return None
    return cand


def evaluate_greedy_loadout(
    vehicles: Sequence[Vehicle],
    lots: Sequence[Lot],
    *,
    personnel: int,
    origin: str,
    risk_table: RiskTable,
    prices: PriceParams,
    loads: LoadParams,
) -> LoadPlan | None:
    """
    The greedy baseline alone: first fit by value density, then drop empty vehicles.

    Same model and prices as :func:`choose_loadout`; no bound is computed, so its
    ``bound_usd`` and ``gap`` are None and its status is GREEDY.
    Returns None when the greedy finds no feasible plan.

    Examples
    --------
    >>> g = evaluate_greedy_loadout(fleet, manifest, personnel=848, origin="Kidal",
    ...                             risk_table=table, prices=PriceParams(),
    ...                             loads=LoadParams())  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    inst = _make_instance(vehicles, lots, personnel, origin, risk_table, prices, loads)
    cand = _greedy(inst)
    if cand is None:
        return None
    return _to_plan(inst, cand, None, t0, fallback=True)

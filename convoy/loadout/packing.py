"""Per-vehicle packing: the aggregate model's counts onto real vehicles.

Each group's lots are packed onto its moving vehicles: best fit in decreasing size
(a numba kernel) or a fill that keeps payload and deck even, whichever packs more;
if lots are left over, a short CP-SAT packing by counts per lot class and vehicle.
Lots that still do not fit, then every lot not chosen, go by value density to
wherever a moving vehicle has room (:func:`_realise`), and each moving vehicle is
then reloaded from its own lots and the lots not carried where that raises the
objective (:func:`_refill`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from convoy.loadout.greedy import _first_fit_onto, _scarcity_size
from convoy.loadout.instance import (
    _KG_UNIT,
    _LEFT,
    _M2_UNIT,
    _MOVING,
    _TIGHTEN_MIN,
    _TOWED,
    _USD_UNIT,
    _Candidate,
    _class_of,
    _evaluate,
    _fits,
    _Instance,
    _solve,
    _solver,
)
from convoy.params import SolverParams

#: Deterministic seconds for the packing of one group by CP-SAT.
_EXACT_PACK_S = 1.0
#: Passes of `_refill` over the moving vehicles (it stops early when one gains
#: nothing).
_REFILL_PASSES = 3


@dataclass
class _Aggregate:
    """A solution of the aggregate model: counts per group and class."""

    moving: dict[int, int]  # group -> vehicles moving (roadworthy) or towed
    carried: dict[tuple[int, int], int]  # (class, group) -> lots carried


def _balanced_fill(inst: _Instance, lots_a: np.ndarray, vehs: np.ndarray) -> np.ndarray:
    """
    Fill identical vehicles one at a time, keeping payload and deck filled evenly.

    Each step adds the lot that leaves the vehicle's less
    filled dimension fullest, ties to the larger lot: where the lots chosen fill
    both payload and deck of the pool, heavy-small and light-bulky lots must share
    vehicles, which a fit by one size misses. Vehicle index per lot, -1 if none.
    """
    v0 = vehs[0]
    cap_kg, cap_m2 = inst.v_kg[v0], inst.v_m2[v0]
    kg = inst.l_kg[lots_a] / cap_kg
    m2 = inst.l_m2[lots_a] / cap_m2
    out = np.full(lots_a.size, -1, dtype=np.int64)
    free = np.ones(lots_a.size, dtype=bool)
    tol = 1.0 + 1e-9
    for b in vehs.tolist():
        fk = fm = 0.0
        while True:
            ok = free & (fk + kg <= tol) & (fm + m2 <= tol)
            if not ok.any():
                break
            score = np.where(ok, np.minimum(fk + kg, fm + m2) + 1e-6 * (kg + m2), -1.0)
            i = int(np.argmax(score))
            out[i] = b
            free[i] = False
            fk += kg[i]
            fm += m2[i]
    return out


def _pack_group(
    inst: _Instance,
    lot_idx: list[int],
    veh_idx: list[int],
    params: SolverParams,
    seed: int,
) -> np.ndarray:
    """
    Vehicle index per lot (-1 where none) packing lots onto identical vehicles.

    Best fit decreasing, or a balanced fill (`_balanced_fill`) where it packs
    more; if some lots are still left, a CP-SAT packing by counts per class and
    vehicle that maximises the value packed (mandatory lots first, then sensitive
    ones), with the better of the two as its hint.
    """
    lots_a = np.array(lot_idx, dtype=np.int64)
    vehs = np.array(veh_idx, dtype=np.int64)
    if lots_a.size == 0:
        return np.empty(0, dtype=np.int64)
    v0 = vehs[0]
    key = np.maximum(
        inst.l_kg[lots_a] / max(inst.v_kg[v0], 1e-12),
        inst.l_m2[lots_a] / max(inst.v_m2[v0], 1e-12),
    )
    # largest first, mandatory or not: putting small mandatory lots first would
    # stack them on one vehicle and leave no vehicle for the large lots
    order = np.lexsort((lots_a, -key))
    lots_a = lots_a[order]
    used_kg, used_m2 = np.zeros(len(inst.vehicles)), np.zeros(len(inst.vehicles))
    out = _first_fit_onto(inst, lots_a, vehs, used_kg, used_m2, best_fit=True)
    if np.any(out < 0):
        alt = _balanced_fill(inst, lots_a, vehs)
        worth = inst.l_value[lots_a] + np.where(inst.l_mand[lots_a], 1e18, 0.0)
        if worth[alt >= 0].sum() > worth[out >= 0].sum():
            out = alt
    res = np.empty(len(lot_idx), dtype=np.int64)
    res[order] = out
    if np.all(out >= 0):
        return res
    # pack by counts: lots of one class are interchangeable, so each vehicle gets a
    # count per class; maximise the value packed, best fit as the hint
    cls = [_class_of(inst, int(i)) for i in lots_a]
    kinds = sorted(set(cls))
    nb = vehs.size
    cap_kg = math.floor(inst.v_kg[v0] * _KG_UNIT)
    cap_m2 = math.floor(inst.v_m2[v0] * _M2_UNIT)
    m = cp_model.CpModel()
    cnt = {k: cls.count(k) for k in kinds}
    y = {
        (k, b): m.new_int_var(0, cnt[k], f"y{k}_{b}") for k in kinds for b in range(nb)
    }
    l0 = {k: inst.classes[k][0] for k in kinds}
    for b in range(nb):
        m.add(
            sum(math.ceil(inst.l_kg[l0[k]] * _KG_UNIT) * y[k, b] for k in kinds)
            <= cap_kg
        )
        m.add(
            sum(math.ceil(inst.l_m2[l0[k]] * _M2_UNIT) * y[k, b] for k in kinds)
            <= cap_m2
        )
    top = math.ceil(inst.l_value.sum() * _USD_UNIT) + 1
    gain = {
        k: (top if inst.l_mand[l0[k]] else 0)
        + (top // 2 if inst.l_sens[l0[k]] else 0)
        + math.floor(inst.l_value[l0[k]] * _USD_UNIT)
        + 1
        for k in kinds
    }
    for k in kinds:
        m.add(sum(y[k, b] for b in range(nb)) <= cnt[k])
    hint_counts: dict[tuple[int, int], int] = {}
    for pos, k in enumerate(cls):
        if out[pos] >= 0:
            b = int(np.flatnonzero(vehs == out[pos])[0])
            hint_counts[k, b] = hint_counts.get((k, b), 0) + 1
    for key, var in y.items():
        m.add_hint(var, hint_counts.get(key, 0))
    m.maximize(sum(gain[k] * y[k, b] for k in kinds for b in range(nb)))
    solver = _solver(params, seed, min(params.time_limit_s, _EXACT_PACK_S))
    solver.parameters.relative_gap_limit = 0.0
    if _solve(solver, m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return res
    packed = np.full(lots_a.size, -1, dtype=np.int64)
    for k in kinds:
        where = [pos for pos, kk in enumerate(cls) if kk == k]
        for b in range(nb):
            for _ in range(int(solver.value(y[k, b]))):
                packed[where.pop(0)] = vehs[b]
    if (packed >= 0).sum() >= (out >= 0).sum():
        res[order] = packed
    return res


def _make_room_for_mandatory(
    inst: _Instance,
    lot_vehicle: np.ndarray,
    road: np.ndarray,
    used_kg: np.ndarray,
    used_m2: np.ndarray,
) -> None:
    """
    Put each unplaced mandatory lot where unloading the least value makes room.

    For every moving vehicle the lot fits when empty, unload its other lots that
    are not mandatory, cheapest first (sensitive ones last), until the lot fits;
    take the vehicle where that unloads the least value. Updates in place; the
    lots unloaded are left unplaced for the caller to place elsewhere.
    """
    mand = np.flatnonzero(inst.l_mand & (lot_vehicle < 0))
    for i in mand[np.argsort(-inst.l_m2[mand], kind="stable")].tolist():
        best: tuple[float, int, list[int]] | None = None
        for v in road.tolist():
            if not _fits(inst, i, v):
                continue
            on = np.flatnonzero((lot_vehicle == v) & ~inst.l_mand)
            on = on[np.lexsort((on, inst.l_value[on], inst.l_sens[on]))]
            free_kg = inst.v_kg[v] * (1 + 1e-9) - used_kg[v]
            free_m2 = inst.v_m2[v] * (1 + 1e-9) - used_m2[v]
            out: list[int] = []
            for k in on.tolist():
                if inst.l_kg[i] <= free_kg and inst.l_m2[i] <= free_m2:
                    break
                out.append(k)
                free_kg += inst.l_kg[k]
                free_m2 += inst.l_m2[k]
            if inst.l_kg[i] <= free_kg and inst.l_m2[i] <= free_m2:
                cost = float(inst.l_value[out].sum()) + 1e12 * float(
                    inst.l_sens[out].sum()
                )
                if best is None or cost < best[0]:
                    best = (cost, v, out)
        if best is None:
            return
        _, v, out = best
        for k in out:
            lot_vehicle[k] = -1
            used_kg[v] -= inst.l_kg[k]
            used_m2[v] -= inst.l_m2[k]
        lot_vehicle[i] = v
        used_kg[v] += inst.l_kg[i]
        used_m2[v] += inst.l_m2[i]


def _realise(
    inst: _Instance, agg: _Aggregate, params: SolverParams, seed: int
) -> tuple[_Candidate | None, dict[int, float]]:
    """
    Turn counts into a per-vehicle plan (None if it breaks a hard constraint).

    Also returns, per group whose packing left lots over, the share of the group's
    capacity those lots take (the larger of the payload and deck shares).
    """
    nv = len(inst.vehicles)
    v_status = np.full(nv, _LEFT, dtype=np.int64)
    tow_of = np.full(nv, -1, dtype=np.int64)
    for g, members in enumerate(inst.groups):
        k = agg.moving[g]
        v_status[members[:k]] = _MOVING if inst.v_road[members[0]] else _TOWED
    towers = [int(i) for i in np.flatnonzero(inst.v_tow & (v_status == _MOVING))]
    for i, t in zip(np.flatnonzero(v_status == _TOWED).tolist(), towers, strict=False):
        tow_of[i] = t
    lot_vehicle = np.full(len(inst.lots), -1, dtype=np.int64)
    next_lot = [0] * len(inst.classes)
    lost: dict[int, float] = {}
    for g, members in enumerate(inst.groups):
        if not inst.v_road[members[0]]:
            continue
        chosen: list[int] = []
        for j, lots_j in enumerate(inst.classes):
            c = agg.carried.get((j, g), 0)
            chosen.extend(lots_j[next_lot[j] : next_lot[j] + c])
            next_lot[j] += c
        moving = members[: agg.moving[g]]
        if not chosen:
            continue
        if moving:
            lot_vehicle[chosen] = _pack_group(inst, chosen, moving, params, seed)
        out = [i for i in chosen if lot_vehicle[i] < 0]
        if out and moving:
            lost[g] = max(
                float(inst.l_kg[out].sum()) / (len(moving) * inst.v_kg[members[0]]),
                float(inst.l_m2[out].sum()) / (len(moving) * inst.v_m2[members[0]]),
            )
    # lots the packing could not place, then every other lot, go where there is room
    nv = len(inst.vehicles)
    on = lot_vehicle >= 0
    used_kg = np.bincount(lot_vehicle[on], weights=inst.l_kg[on], minlength=nv)
    used_m2 = np.bincount(lot_vehicle[on], weights=inst.l_m2[on], minlength=nv)
    road = np.flatnonzero(v_status == _MOVING)
    road = road[np.lexsort((road, inst.v_kg[road], inst.v_m2[road]))]
    size = _scarcity_size(inst, road)
    rest = np.flatnonzero(~on)
    rest = rest[
        np.lexsort(
            (
                rest,
                -inst.l_value[rest] / size[rest],
                ~inst.l_sens[rest],
                ~inst.l_mand[rest],
            )
        )
    ]
    lot_vehicle[rest] = _first_fit_onto(
        inst, rest, road, used_kg, used_m2, best_fit=True
    )
    if np.any(inst.l_mand & (lot_vehicle < 0)):
        _make_room_for_mandatory(inst, lot_vehicle, road, used_kg, used_m2)
        rest = rest[lot_vehicle[rest] < 0]
        lot_vehicle[rest] = _first_fit_onto(
            inst, rest, road, used_kg, used_m2, best_fit=True
        )
    all_road = {
        g: _TIGHTEN_MIN
        for g in range(len(inst.groups))
        if inst.v_road[inst.groups[g][0]]
    }
    if np.any(inst.l_mand & (lot_vehicle < 0)):
        return None, lost or all_road
    cand = _Candidate(v_status, tow_of, lot_vehicle, "cp-sat")
    if not math.isfinite(_evaluate(inst, cand)[0]):
        return None, lost or all_road
    _refill(inst, cand)
    return cand, lost


def _refilled(inst: _Instance, cand: _Candidate) -> _Candidate:
    """A copy of ``cand`` improved by `_refill`."""
    out = _Candidate(
        cand.v_status.copy(), cand.tow_of.copy(), cand.lot_vehicle.copy(), cand.method
    )
    _refill(inst, out)
    return out


def _refill(inst: _Instance, cand: _Candidate) -> None:
    """
    Reload each moving vehicle in turn from its own lots and the lots left behind.

    The vehicle keeps its mandatory lots; its other lots and every lot not carried
    that fits it form a pool, filled onto it by first fit in decreasing value per
    share of the vehicle (the larger of the payload and deck shares), then in
    decreasing value; the better reload is kept where it raises the plan's
    objective. This recovers value the packing of the aggregate counts lost: a
    lot left over that is worth more than the lots it displaces. Updates ``cand``
    in place; the objective never falls.
    """
    lv = cand.lot_vehicle
    nv = len(inst.vehicles)
    on = lv >= 0
    used_kg = np.bincount(lv[on], weights=inst.l_kg[on], minlength=nv)
    used_m2 = np.bincount(lv[on], weights=inst.l_m2[on], minlength=nv)
    best = _evaluate(inst, cand)[0]
    for _ in range(_REFILL_PASSES):
        start = best
        for v in np.flatnonzero(cand.v_status == _MOVING).tolist():
            best = _refill_one(inst, cand, v, used_kg, used_m2, best)
        if best <= start + 1e-6:
            return


def _refill_one(
    inst: _Instance,
    cand: _Candidate,
    v: int,
    used_kg: np.ndarray,
    used_m2: np.ndarray,
    best: float,
) -> float:
    """Reload vehicle ``v`` (see `_refill`); the plan's objective afterwards."""
    lv = cand.lot_vehicle
    cap_kg, cap_m2 = inst.v_kg[v], inst.v_m2[v]
    pool = np.flatnonzero(
        ((lv < 0) | ((lv == v) & ~inst.l_mand))
        & (inst.l_kg <= cap_kg * (1 + 1e-9))
        & (inst.l_m2 <= cap_m2 * (1 + 1e-9))
    )
    if pool.size == 0:
        return best
    keep = np.flatnonzero((lv == v) & inst.l_mand)
    share = np.maximum(
        inst.l_kg[pool] / max(cap_kg, 1e-12), inst.l_m2[pool] / max(cap_m2, 1e-12)
    )
    val = inst.l_value[pool]
    mine = pool[lv[pool] == v]
    for order in (
        np.lexsort((pool, -val / np.maximum(share, 1e-12))),
        np.lexsort((pool, -val)),
    ):
        trial_kg, trial_m2 = used_kg.copy(), used_m2.copy()
        trial_kg[v] = float(inst.l_kg[keep].sum())
        trial_m2[v] = float(inst.l_m2[keep].sum())
        put = _first_fit_onto(inst, pool[order], np.array([v]), trial_kg, trial_m2)
        placed = pool[order][put >= 0]
        if np.array_equal(np.sort(placed), mine):
            continue
        old = lv[pool].copy()
        lv[mine] = -1
        lv[placed] = v
        obj = _evaluate(inst, cand)[0]
        if obj > best + 1e-6:
            best = obj
            used_kg[v], used_m2[v] = trial_kg[v], trial_m2[v]
            mine = placed
            mine.sort()
        else:
            lv[pool] = old
    return best

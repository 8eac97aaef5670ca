"""Loads and abandonment: what rides on which vehicle, what moves, what is left.

:func:`choose_loadout` decides, for the vehicles and lots at one camp, which lots
ride on which vehicle, which vehicles move (under their own power or towed), and
what happens to the rest (destroyed, handed over, abandoned), trading the value
saved against the price of the expected incidents of the column, as tabulated by
the schedule optimiser in a :class:`RiskTable`.

The model
---------
Maximise, in US dollars::

    value of lots carried + value of vehicles moved (towed ones included)
    + handover_fraction * value of lots handed over
    - incident_usd * incidents(column size, departure delay)

subject to: per vehicle payload (kg) and deck area (m2); seats for all personnel on
self-propelled moving vehicles; a recovery vehicle (``can_tow``) tows at most one
unroadworthy vehicle, which then carries nothing and seats nobody, and an
unroadworthy vehicle not towed is left; mandatory lots are carried; sensitive lots
are carried or destroyed, never handed over or abandoned; destruction (team-hours
of the sensitive lots destroyed, plus ``vehicle_destroy_hours`` per vehicle left
when ``destroy_vehicles_left``) divided by ``destruction_teams`` delays the
earliest departure, which enters the risk table's delay axis. Lots that are not
sensitive and not carried are handed over when ``handover_allowed`` (it costs
nothing and may be credited), else abandoned; destroying them would cost time and
save nothing, so the model never does.

How it is solved
----------------
A model with one boolean per (lot, vehicle) is large and highly symmetric (CP-SAT
stayed 4-12 % from its bound after 30 s on 140 vehicles x 500 lots). Instead:

1. Vehicles with identical loading attributes (type, payload, deck, seats,
   roadworthy, can_tow, value) form a *group*, and identical lots a *class*. The
   CP-SAT model chooses integer counts: vehicles moving (or towed) per group, and
   lots of each class carried per group, against the group's *aggregate* payload
   and deck (count moving x capacity), strengthened by valid cuts (at most k - 1
   lots larger than 1/k of a vehicle per vehicle, for k = 2, 3, 4, and cuts from
   dual feasible functions of payload, deck and their mean share). The column
   size and the departure-delay step are one exactly-one choice over the linear
   pieces of the risk table (a segment between two tabulated column sizes at one
   delay step) with an integer offset along the piece, so the linear relaxation
   of the risk term is its convex hull.
   Identical vehicles and lots are interchangeable here, so the model has no
   symmetry left to break. A greedy plan (see ``_greedy``) is its hint.
2. Each group's lots are packed onto its moving vehicles: best fit in
   decreasing size (a numba kernel) or a fill that keeps payload and deck even,
   whichever packs more; if lots are left over, a short CP-SAT packing by counts
   per lot class and vehicle maximising the value packed.
   Lots that still do not fit, then every lot not chosen, go by value density
   to wherever a moving vehicle has room (sensitive lots left over are
   destroyed, which the evaluation prices); a mandatory lot left over displaces
   the cheapest lots of the vehicle where that costs least. Then each moving
   vehicle is reloaded from its own lots and the lots not carried, where that
   raises the objective (``_refill``: it wins back part of what the packing of
   the aggregate counts lost). While the best plan
   is not proven within ``gap_target`` of the bound and a group's packing left
   lots over, that group's aggregate capacities shrink by the share left over (at
   least 1 %) and the model is solved again, with a quarter of the time limit
   and the best plan so far as its hint, and packed, at most ``_MAX_RESOLVES``
   times. (A plan proven within the target stops here: on a 143 x 524 synthetic
   camp the re-solves took two thirds of the time and never improved the plan.)
3. The best of the packed plans, the greedy plan and the greedy plan reloaded
   the same way is returned (the plain greedy plan stays the hint: which of
   several aggregate optima CP-SAT returns decides how well it packs, and a
   different hint moves that either way).

The reported ``bound_usd`` is CP-SAT's proven upper bound of the *first* aggregate
model. Every real plan is a solution of that model (per-vehicle packing implies
the aggregate capacities and the cuts; sizes are rounded in the relaxation's
favour, values up and risk costs down, to the cent), so the bound is an upper
bound of the best plan that exists. ``gap = (bound_usd - objective_usd) /
max(|bound_usd|, 1 USD)``; it is the full distance to the optimum, packing
included, not only the CP-SAT search's own gap.

Determinism: CP-SAT runs with ``SolverParams.workers`` workers in interleaved
search, the scenario seed, and its limit counted in deterministic time (about
seconds of work on one core, ``SolverParams.time_limit_s``), so the same inputs
and seed give the same plan on any machine. CP-SAT checks that limit coarsely: a
solve may run past it (up to about three times was seen), and wall-clock time is
larger still when cores are shared. A wall-clock guard of ten times the limit
stops a solve on an overloaded machine; only when it fires could two runs differ.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from convoy.errors import InfeasibleError
from convoy.loadout.greedy import _greedy
from convoy.loadout.instance import (
    _KG_UNIT,
    _LEFT,
    _M2_UNIT,
    _TIGHTEN_MIN,
    _USD_UNIT,
    _Candidate,
    _check,
    _evaluate,
    _fits,
    _infeasible_message,
    _Instance,
    _make_instance,
    _precheck,
    _solve,
    _solver,
)
from convoy.loadout.packing import _Aggregate, _realise, _refilled
from convoy.loadout.result import LoadPlan, SolveRecord, _to_plan
from convoy.loadout.risk_table import RiskTable
from convoy.params import LoadParams, PriceParams, SolverParams
from convoy.scenario import Lot, Vehicle

#: Relative slack on the size thresholds of the cuts (they must never cut a plan
#: that the packing check accepts).
_CUT_RTOL = 1e-6
#: Resolution of the dual-feasible-function cuts (sizes in thousandths of a vehicle).
_DFF_UNIT = 1000
_MAX_RESOLVES = 1
_STATUS_NAMES = {
    int(cp_model.OPTIMAL): "OPTIMAL",
    int(cp_model.FEASIBLE): "FEASIBLE",
    int(cp_model.INFEASIBLE): "INFEASIBLE",
    int(cp_model.UNKNOWN): "UNKNOWN",
    int(cp_model.MODEL_INVALID): "MODEL_INVALID",
}


_Terms = list[cp_model.LinearExprT]
_Cell = tuple["_Piece", cp_model.IntVar, cp_model.IntVar]


def _solve_aggregate(
    inst: _Instance,
    params: SolverParams,
    seed: int,
    hint: _Candidate | None,
    shrink: dict[int, float],
    only_step: int | None = None,
    limit_s: float | None = None,
    role: str = "aggregate",
) -> tuple[int, _Aggregate | None, float | None, SolveRecord]:
    """
    Build and solve the aggregate model; status, solution, bound (USD) and record.

    ``only_step`` restricts the departure to one delay step (a smaller model whose
    relaxation is tighter: a quick source of good plans, not of bounds). The bound
    is None when the solve stopped without a plan (status UNKNOWN): CP-SAT then
    reports the bound of an unfinished presolve (0.0 was seen at a 0.2 s limit),
    which is no bound at all.
    """
    t0 = time.perf_counter()
    limit = params.time_limit_s if limit_s is None else limit_s
    # The model is built in a fixed order (variables, then constraints): CP-SAT's
    # search depends on it, and the same order gives the same plan.
    m = cp_model.CpModel()
    mv, road_g = _add_column(inst, m)
    x, carried = _add_capacities(inst, m, mv, road_g, shrink)
    terms = _add_values(inst, m, mv, carried)
    if terms is None:
        return (
            int(cp_model.INFEASIBLE),
            None,
            -math.inf,
            _record(role, int(cp_model.INFEASIBLE), None, limit),
        )
    obj_terms, const, destroy_terms, destroy_const = terms
    cells = _add_risk(inst, m, mv, destroy_terms, destroy_const, only_step)
    if cells is None:
        return (
            int(cp_model.INFEASIBLE),
            None,
            -math.inf,
            _record(role, int(cp_model.INFEASIBLE), None, limit),
        )
    for pc, on, off in cells:
        c0 = math.floor(inst.incident_usd * pc.inc0 * _USD_UNIT + 1e-9)
        c1 = math.floor(inst.incident_usd * pc.slope * _USD_UNIT + 1e-9)
        if c0:
            obj_terms.append(-c0 * on)
        if c1 and pc.length:
            obj_terms.append(-c1 * off)
    m.maximize(sum(obj_terms) + const)

    if hint is not None and (
        only_step is None or only_step == _evaluate(inst, hint)[2]
    ):
        _add_hint(inst, m, hint, mv, x, cells)
    solver = _solver(params, seed, limit)
    status = _solve(solver, m)
    if status == cp_model.MODEL_INVALID:
        msg = f"load model invalid: {m.validate()}"
        raise RuntimeError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = None if status == cp_model.UNKNOWN else -math.inf
        rec = _record(role, int(status), None, limit, solver, t0)
        return int(status), None, bound, rec
    sol = _Aggregate(
        moving={g: int(solver.value(v)) for g, v in mv.items()},
        carried={k: int(solver.value(v)) for k, v in x.items()},
    )
    bound = solver.best_objective_bound / _USD_UNIT
    return int(status), sol, bound, _record(role, int(status), bound, limit, solver, t0)


def _record(
    role: str,
    status: int,
    bound: float | None,
    limit: float,
    solver: cp_model.CpSolver | None = None,
    t0: float | None = None,
) -> SolveRecord:
    """The record of one solve (``status`` a CP-SAT status code)."""
    name = _STATUS_NAMES.get(status, str(status))
    work = 0.0 if solver is None else float(solver.deterministic_time)
    wall = 0.0 if t0 is None else time.perf_counter() - t0
    return SolveRecord(role, name, bound, limit, round(work, 3), wall)


def _add_column(
    inst: _Instance, m: cp_model.CpModel
) -> tuple[dict[int, cp_model.IntVar], list[int]]:
    """Vehicles moving per group, towing and seats; (variables, roadworthy groups)."""
    G = inst.groups
    mv: dict[int, cp_model.IntVar] = {}
    for g, members in enumerate(G):
        mv[g] = m.new_int_var(0, len(members), f"move{g}")
    road_g = [g for g in range(len(G)) if inst.v_road[G[g][0]]]
    unroad_g = [g for g in range(len(G)) if not inst.v_road[G[g][0]]]
    tow_g = [g for g in road_g if inst.v_tow[G[g][0]]]
    m.add(sum(mv[g] for g in unroad_g) <= sum(mv[g] for g in tow_g))
    m.add(sum(int(inst.v_seats[G[g][0]]) * mv[g] for g in road_g) >= inst.personnel)
    return mv, road_g


def _add_capacities(
    inst: _Instance,
    m: cp_model.CpModel,
    mv: dict[int, cp_model.IntVar],
    road_g: list[int],
    shrink: dict[int, float],
) -> tuple[dict[tuple[int, int], cp_model.IntVar], dict[int, list[cp_model.IntVar]]]:
    """
    Lots carried per (class, group) within each group's capacities, with the cuts.

    Returns the variables by (class, group) and, per class, its variables.
    """
    G, C = inst.groups, inst.classes
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    carried: dict[int, list[cp_model.IntVar]] = {j: [] for j in range(len(C))}
    for g in road_g:
        v0 = G[g][0]
        cap_kg, cap_m2 = inst.v_kg[v0], inst.v_m2[v0]
        f = shrink.get(g, 1.0)
        rows_kg, rows_m2 = [], []
        cuts: dict[tuple[int, int], list[cp_model.IntVar]] = {}
        for j, members in enumerate(C):
            l0 = members[0]
            if not _fits(inst, l0, v0):
                continue
            per = math.floor(
                min(cap_kg / inst.l_kg[l0], cap_m2 / inst.l_m2[l0]) * (1 + 1e-9)
            )
            var = m.new_int_var(0, min(len(members), per * len(G[g])), f"x{j}_{g}")
            x[j, g] = var
            carried[j].append(var)
            rows_kg.append(math.floor(inst.l_kg[l0] * _KG_UNIT) * var)
            rows_m2.append(math.floor(inst.l_m2[l0] * _M2_UNIT) * var)
            for dim, (size, cap) in enumerate(
                ((inst.l_kg[l0], cap_kg), (inst.l_m2[l0], cap_m2))
            ):
                for k in (2, 3, 4):
                    if size > cap / k * (1 + _CUT_RTOL):
                        cuts.setdefault((dim, k), []).append(var)
        if rows_kg:
            m.add(sum(rows_kg) <= math.ceil(cap_kg * _KG_UNIT * f) * mv[g])
            m.add(sum(rows_m2) <= math.ceil(cap_m2 * _M2_UNIT * f) * mv[g])
        for (_, k), vs in cuts.items():
            m.add(sum(vs) <= (k - 1) * mv[g])
        _add_dff_cuts(inst, m, g, {j: x[j, gg] for (j, gg) in x if gg == g}, mv[g])
    return x, carried


def _add_values(
    inst: _Instance,
    m: cp_model.CpModel,
    mv: dict[int, cp_model.IntVar],
    carried: dict[int, list[cp_model.IntVar]],
) -> tuple[_Terms, int, _Terms, int] | None:
    """
    Mandatory lots, value terms and destruction team-seconds.

    Returns (objective terms, objective constant, destruction terms, destruction
    constant), or None when a mandatory class fits no vehicle.
    """
    obj_terms: _Terms = []
    const = 0
    destroy_terms: _Terms = []
    destroy_const = 0
    for j, members in enumerate(inst.classes):
        l0, cnt = members[0], len(members)
        cj = sum(carried[j]) if carried[j] else 0
        if inst.l_mand[l0]:
            if not carried[j]:
                return None
            m.add(cj == cnt)
        else:
            m.add(cj <= cnt)
        val = math.ceil(inst.l_value[l0] * _USD_UNIT - 1e-9)
        if inst.l_sens[l0]:
            destroy_const += int(inst.l_destroy_s[l0]) * cnt
            if carried[j]:
                destroy_terms.append(-int(inst.l_destroy_s[l0]) * cj)
            if carried[j]:
                obj_terms.append(val * cj)
        elif inst.handover and inst.handover_fraction > 0:
            hv = math.ceil(inst.handover_fraction * inst.l_value[l0] * _USD_UNIT - 1e-9)
            const += hv * cnt
            if carried[j]:
                obj_terms.append((val - hv) * cj)
        elif carried[j]:
            obj_terms.append(val * cj)
    for g, members in enumerate(inst.groups):
        obj_terms.append(math.ceil(inst.v_value[members[0]] * _USD_UNIT - 1e-9) * mv[g])
        destroy_const += inst.v_destroy_s * len(members)
        destroy_terms.append(-inst.v_destroy_s * mv[g])
    return obj_terms, const, destroy_terms, destroy_const


def _add_risk(
    inst: _Instance,
    m: cp_model.CpModel,
    mv: dict[int, cp_model.IntVar],
    destroy_terms: _Terms,
    destroy_const: int,
    only_step: int | None,
) -> list[_Cell] | None:
    """
    The column size and the delay step as one choice of a risk-table piece.

    Returns each piece with its choice and offset variables, or None when no
    piece is left (``only_step`` has none).
    """
    destroy = m.new_int_var(0, max(destroy_const, 0), "destroy_s")
    m.add(destroy == destroy_const + sum(destroy_terms))
    n_var = m.new_int_var(0, len(inst.vehicles), "column")
    m.add(n_var == sum(mv.values()))
    # the risk term: one piece (grid segment of column sizes, delay step) is chosen,
    # with an integer offset along it: the convex hull of each piece's cost
    pieces = [pc for pc in _risk_pieces(inst) if only_step in (None, pc.b)]
    if not pieces:
        return None
    cells: list[_Cell] = []
    for k, pc in enumerate(pieces):
        on = m.new_bool_var(f"s{k}")
        off = m.new_int_var(0, pc.length, f"o{k}")
        if pc.length:
            m.add(off <= pc.length * on)
        cells.append((pc, on, off))
    m.add_exactly_one(on for _, on, _ in cells)
    m.add(n_var == sum(pc.lo * on + off for pc, on, off in cells))
    caps = inst.delay_cap_s
    m.add(destroy <= sum(int(caps[pc.b]) * on for pc, on, _ in cells))
    m.add(
        destroy
        >= sum((int(caps[pc.b - 1]) + 1) * on for pc, on, _ in cells if pc.b > 0)
    )
    return cells


def _add_dff_cuts(
    inst: _Instance,
    m: cp_model.CpModel,
    g: int,
    xg: dict[int, cp_model.IntVar],
    moving: cp_model.IntVar,
) -> None:
    """
    Cuts from dual feasible functions, per vehicle of group ``g``.

    With s the size of a lot as a share of a vehicle (payload, deck, or their mean),
    f(s) = 1 if s > 1 - e, s if e <= s <= 1 - e, 0 if s < e maps any load that
    fits one vehicle to a sum <= 1 (a lot above 1 - e leaves room only for lots
    below e), so sum_j f(s_j) x_j <= vehicles moving. For e = 0.1 ... 0.4 these
    cut aggregate loads that no split over whole vehicles achieves.
    """
    if not xg:
        return
    v0 = inst.groups[g][0]
    lots = {j: inst.classes[j][0] for j in xg}
    kg = {j: inst.l_kg[i] / inst.v_kg[v0] for j, i in lots.items()}
    m2 = {j: inst.l_m2[i] / inst.v_m2[v0] for j, i in lots.items()}
    for share in (kg, m2, {j: 0.5 * (kg[j] + m2[j]) for j in xg}):
        for e in (0.1, 0.2, 0.3, 0.4):
            coef = {}
            for j, sj in share.items():
                if sj > 1.0 - e + _CUT_RTOL:
                    coef[j] = _DFF_UNIT
                elif sj >= e:
                    coef[j] = math.floor(sj * _DFF_UNIT)
            big = any(c == _DFF_UNIT for c in coef.values())
            small = len(coef) < len(share)
            if coef and (big or small):
                m.add(sum(c * xg[j] for j, c in coef.items()) <= _DFF_UNIT * moving)


def _add_hint(
    inst: _Instance,
    m: cp_model.CpModel,
    cand: _Candidate,
    mv: dict[int, cp_model.IntVar],
    x: dict[tuple[int, int], cp_model.IntVar],
    cells: list[_Cell],
) -> None:
    v_group = np.empty(len(inst.vehicles), dtype=np.int64)
    for g, members in enumerate(inst.groups):
        v_group[members] = g
        m.add_hint(mv[g], int((cand.v_status[members] != _LEFT).sum()))
    counts: dict[tuple[int, int], int] = {}
    for j, members in enumerate(inst.classes):
        for i in members:
            if cand.lot_vehicle[i] >= 0:
                key = (j, int(v_group[cand.lot_vehicle[i]]))
                counts[key] = counts.get(key, 0) + 1
    for key, var in x.items():
        m.add_hint(var, counts.get(key, 0))
    _, n, b, _ = _evaluate(inst, cand)
    done = False
    for pc, on, off in cells:
        mine = not done and pc.b == b and pc.lo <= n <= pc.lo + pc.length
        done = done or mine
        m.add_hint(on, int(mine))
        m.add_hint(off, n - pc.lo if mine else 0)


@dataclass(frozen=True, slots=True)
class _Piece:
    """A linear piece of the risk table: column sizes lo..lo+length at delay step b."""

    lo: int
    length: int
    b: int
    inc0: float  # expected incidents at lo
    slope: float  # expected incidents per extra vehicle


def _risk_pieces(inst: _Instance) -> list[_Piece]:
    """Feasible segments (and lone feasible grid points) of the risk table."""
    nv, inc = inst.grid_n, inst.grid_inc
    n_max = len(inst.vehicles)
    out: list[_Piece] = []
    for b in range(inc.shape[1]):
        covered: set[int] = set()
        for i in range(nv.size - 1):
            lo, hi = int(nv[i]), min(int(nv[i + 1]), n_max)
            if lo > n_max or not (
                np.isfinite(inc[i, b]) and np.isfinite(inc[i + 1, b])
            ):
                continue
            slope = (inc[i + 1, b] - inc[i, b]) / (nv[i + 1] - nv[i])
            out.append(_Piece(lo, hi - lo, b, float(inc[i, b]), float(slope)))
            covered.update((lo, hi))
        for i in range(nv.size):
            if (
                np.isfinite(inc[i, b])
                and int(nv[i]) <= n_max
                and int(nv[i]) not in covered
            ):
                out.append(_Piece(int(nv[i]), 0, b, float(inc[i, b]), 0.0))
    return out


def _realise_or_tighten(
    inst: _Instance,
    agg: _Aggregate | None,
    bound: float | None,
    solver: SolverParams,
    seed: int,
    candidates: list[_Candidate],
    solves: list[SolveRecord],
) -> None:
    """
    Pack aggregate solutions into plans, appended to ``candidates``.

    While no plan is within ``gap_target`` of ``bound`` and a group's packing
    left lots over (or a mandatory lot found no room), that group's capacity
    shrinks by the share left over and the model is solved again, with a quarter
    of the time limit and the best plan so far as its hint, then packed
    (``_MAX_RESOLVES`` solves; none whose plan would not be packed).
    """
    shrink: dict[int, float] = {}
    for attempt in range(_MAX_RESOLVES + 1):
        if agg is None:
            return
        cand, lost = _realise(inst, agg, solver, seed)
        if cand is not None:
            problem = _check(inst, cand)
            if problem:
                msg = f"load plan check failed: {problem}"
                raise RuntimeError(msg)
            candidates.append(cand)
        top = max((_evaluate(inst, c)[0] for c in candidates), default=-math.inf)
        if (
            not lost
            or attempt == _MAX_RESOLVES
            or (
                bound is not None
                and bound - top <= solver.gap_target * max(abs(bound), 1.0)
            )
        ):
            return
        for g, share in lost.items():
            shrink[g] = shrink.get(g, 1.0) * (1.0 - max(share, _TIGHTEN_MIN))
        hint = (
            max(candidates, key=lambda c: _evaluate(inst, c)[0]) if candidates else None
        )
        _, agg, _, rec = _solve_aggregate(
            inst,
            solver,
            seed,
            hint,
            shrink,
            limit_s=solver.time_limit_s / 4,
            role="tightened",
        )
        solves.append(rec)


def choose_loadout(
    vehicles: Sequence[Vehicle],
    lots: Sequence[Lot],
    *,
    personnel: int,
    origin: str,
    risk_table: RiskTable,
    prices: PriceParams,
    solver: SolverParams,
    loads: LoadParams,
    seed: int,
) -> LoadPlan:
    """
    Decide loads, moving vehicles and what is left at one camp (CP-SAT).

    See the module docstring for the model, the method and the meaning of the gap.

    Parameters
    ----------
    vehicles, lots
        The scenario's records; only those whose ``camp`` is ``origin`` are planned.
    personnel
        People to seat on self-propelled moving vehicles (>= 0).
    origin
        The camp being emptied (a site name).
    risk_table
        Expected incidents by column size and departure delay.
    prices
        ``incident_usd`` (USD per expected incident) and ``handover_fraction``.
    solver
        ``time_limit_s`` (deterministic seconds per CP-SAT solve), ``workers``,
        ``relative_gap`` (stop when CP-SAT's own gap is below it).
    loads
        Destruction teams and hours, disposal of vehicles left, handover.
    seed
        The scenario seed (CP-SAT's random seed).

    Returns
    -------
    LoadPlan
        Per-lot and per-vehicle decisions, objective, bound and gap. The bound is
        CP-SAT's proven bound of the aggregate model, which every real plan
        satisfies, so ``gap`` is the plan's full distance to the best possible
        plan (packing included), relative to ``|bound_usd|``.

    Raises
    ------
    InfeasibleError
        If no plan exists: too few seats on the roadworthy fleet, mandatory lots
        that cannot fit, sensitive lots that can neither be carried nor destroyed
        before the latest departure the risk table allows, column sizes the table
        forbids. The message names the constraint with its numbers.
    ScenarioError
        On duplicate ids at the camp or a negative ``personnel``.

    Examples
    --------
    >>> plan = choose_loadout(fleet, manifest, personnel=848, origin="Kidal",
    ...                       risk_table=table, prices=PriceParams(),
    ...     solver=SolverParams(), loads=LoadParams(), seed=1)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    inst = _make_instance(vehicles, lots, personnel, origin, risk_table, prices, loads)
    _precheck(inst)
    greedy = _greedy(inst)
    candidates: list[_Candidate] = [] if greedy is None else [greedy]
    if greedy is not None:
        # the greedy plan reloaded vehicle by vehicle: a candidate, not the hint
        # (the hint steers CP-SAT's search; the plain greedy one serves it well)
        candidates.append(_refilled(inst, greedy))
    status, agg, bound, first = _solve_aggregate(inst, solver, seed, greedy, {})
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(_infeasible_message(inst))
    solves = [first]
    _realise_or_tighten(inst, agg, bound, solver, seed, candidates, solves)
    if not candidates:
        msg = (
            f"{_infeasible_message(inst)}: none found within "
            f"{solver.time_limit_s:g} s of search; raise [solver] time_limit_s"
        )
        raise InfeasibleError(msg)
    best = max(candidates, key=lambda c: _evaluate(inst, c)[0])
    obj = _evaluate(inst, best)[0]
    if bound is not None and not obj <= bound + 1e-6 * max(abs(bound), 1.0):
        msg = f"load plan objective {obj} above the proven bound {bound}"
        raise RuntimeError(msg)
    return _to_plan(
        inst,
        best,
        None if bound is None else max(bound, obj),
        t0,
        gap_target=solver.gap_target,
        time_limit_s=solver.time_limit_s,
        solves=tuple(solves),
        fallback=agg is None,
    )

"""The camp as arrays: vehicles and lots, their groups and classes, and the rules.

:func:`_make_instance` turns the records of one camp and the risk table into
arrays; a :class:`_Candidate` is a complete plan over them, which
:func:`_evaluate` prices and :func:`_check` checks against every constraint.
:func:`_precheck` names the constraints that make any plan impossible on their own.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from convoy.errors import InfeasibleError, Problem, ScenarioError
from convoy.loadout.risk_table import RiskTable
from convoy.params import LoadParams, PriceParams, SolverParams
from convoy.scenario import Lot, Vehicle

_CARRIED, _DESTROYED, _HANDED, _ABANDONED = 0, 1, 2, 3
_MOVING, _TOWED, _LEFT = 0, 1, 2
#: Sizes in the CP-SAT model: weights in units of 0.1 kg, areas in 0.01 m2,
#: money in cents, time in team-seconds.
_KG_UNIT, _M2_UNIT, _USD_UNIT = 10.0, 100.0, 100.0
#: Least share by which a group's aggregate capacity shrinks when packing it failed.
_TIGHTEN_MIN = 0.01
#: Wall-clock guard of a CP-SAT solve, as a multiple of its deterministic limit.
_WALL_GUARD = 10.0


@dataclass
class _Instance:
    """The camp's vehicles and lots as arrays, with groups, classes and prices."""

    vehicles: list[Vehicle]
    lots: list[Lot]
    personnel: int
    origin: str
    v_kg: np.ndarray
    v_m2: np.ndarray
    v_seats: np.ndarray
    v_road: np.ndarray
    v_tow: np.ndarray
    v_value: np.ndarray
    l_kg: np.ndarray
    l_m2: np.ndarray
    l_value: np.ndarray
    l_sens: np.ndarray
    l_mand: np.ndarray
    l_destroy_s: np.ndarray  # team-seconds, int64
    v_destroy_s: int  # team-seconds per vehicle left (0 if abandoned)
    destroy_left: bool  # vehicles left are destroyed (else abandoned)
    teams: int
    handover: bool
    handover_fraction: float
    incident_usd: float
    cost: np.ndarray  # (N + 1, B) expected incidents by column size and delay step
    grid_n: np.ndarray  # (A,) the risk table's column sizes
    grid_inc: np.ndarray  # (A, B) the risk table's expected incidents
    delay_min: np.ndarray  # (B,)
    delay_cap_s: np.ndarray  # (B,) int64: team-seconds that still depart at step b
    groups: list[list[int]]  # vehicle indices per group
    classes: list[list[int]]  # lot indices per class

    def delay_step(self, destroy_s: int) -> int:
        """Index of the delay grid step a destruction of that many team-seconds uses."""
        return int(np.searchsorted(self.delay_cap_s, destroy_s, side="left"))


def _group_by(keys: list[tuple[object, ...]]) -> list[list[int]]:
    """Indices with identical keys, groups in order of first appearance."""
    where: dict[tuple[object, ...], int] = {}
    out: list[list[int]] = []
    for i, k in enumerate(keys):
        if k not in where:
            where[k] = len(out)
            out.append([])
        out[where[k]].append(i)
    return out


def _make_instance(
    vehicles: Sequence[Vehicle],
    lots: Sequence[Lot],
    personnel: int,
    origin: str,
    risk_table: RiskTable,
    prices: PriceParams,
    loads: LoadParams,
) -> _Instance:
    if personnel < 0:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[scenario]",
                "personnel",
                "an integer >= 0",
                repr(personnel),
            )
        )
    vs = [v for v in vehicles if v.camp == origin]
    ls = [lot for lot in lots if lot.camp == origin]
    for kind, recs in (("vehicle", vs), ("lot", ls)):
        seen: set[str] = set()
        for r in recs:
            if r.id in seen:
                raise ScenarioError(
                    Problem(
                        f"{kind}s at {origin}",
                        r.id,
                        "id",
                        "unique ids",
                        f"{r.id!r} twice",
                    )
                )
            seen.add(r.id)
    teams = loads.destruction_teams
    v_destroy_s = (
        round(loads.vehicle_destroy_hours * 3600) if loads.destroy_vehicles_left else 0
    )
    groups = _group_by(
        [
            (
                v.type,
                v.payload_kg,
                v.deck_m2,
                v.seats,
                v.roadworthy,
                v.can_tow and v.roadworthy,
                v.value_usd,
            )
            for v in vs
        ]
    )
    # team-seconds D depart at step b when D / (60 * teams) <= delay_min[b]
    delay_cap_s = np.floor(risk_table.delay_min * 60.0 * teams + 1e-6).astype(np.int64)
    return _Instance(
        vehicles=vs,
        lots=ls,
        personnel=int(personnel),
        origin=origin,
        v_kg=np.array([v.payload_kg for v in vs], dtype=np.float64),
        v_m2=np.array([v.deck_m2 for v in vs], dtype=np.float64),
        v_seats=np.array([v.seats for v in vs], dtype=np.int64),
        v_road=np.array([v.roadworthy for v in vs], dtype=bool),
        v_tow=np.array([v.can_tow and v.roadworthy for v in vs], dtype=bool),
        v_value=np.array([v.value_usd for v in vs], dtype=np.float64),
        l_kg=np.array([x.weight_kg for x in ls], dtype=np.float64),
        l_m2=np.array([x.deck_m2 for x in ls], dtype=np.float64),
        l_value=np.array([x.value_usd for x in ls], dtype=np.float64),
        l_sens=np.array([x.sensitive for x in ls], dtype=bool),
        l_mand=np.array([x.mandatory for x in ls], dtype=bool),
        l_destroy_s=np.array(
            [round(x.destroy_hours * 3600) for x in ls], dtype=np.int64
        ),
        v_destroy_s=int(v_destroy_s),
        destroy_left=loads.destroy_vehicles_left,
        teams=teams,
        handover=loads.handover_allowed,
        handover_fraction=prices.handover_fraction,
        incident_usd=prices.incident_usd,
        cost=risk_table.column_incidents(len(vs)),
        grid_n=risk_table.num_vehicles,
        grid_inc=risk_table.incidents,
        delay_min=risk_table.delay_min,
        delay_cap_s=delay_cap_s,
        groups=groups,
        classes=_group_by(
            [
                (
                    x.weight_kg,
                    x.deck_m2,
                    x.value_usd,
                    x.sensitive,
                    x.destroy_hours,
                    x.mandatory,
                )
                for x in ls
            ]
        ),
    )


@dataclass
class _Candidate:
    """A complete plan as arrays: vehicle status, towing pairs, lot placement."""

    v_status: np.ndarray  # (V,) int: _MOVING, _TOWED, _LEFT
    tow_of: np.ndarray  # (V,) int: index of the vehicle towing it, -1
    lot_vehicle: np.ndarray  # (L,) int: carrying vehicle index, -1
    method: str


def _lot_disposition(inst: _Instance, cand: _Candidate) -> np.ndarray:
    disp = np.where(inst.l_sens, _DESTROYED, _HANDED if inst.handover else _ABANDONED)
    disp[cand.lot_vehicle >= 0] = _CARRIED
    return disp.astype(np.int64)


def _destroy_s(inst: _Instance, cand: _Candidate) -> int:
    disp = _lot_disposition(inst, cand)
    lots_s = int(inst.l_destroy_s[disp == _DESTROYED].sum())
    return lots_s + inst.v_destroy_s * int((cand.v_status == _LEFT).sum())


def _evaluate(inst: _Instance, cand: _Candidate) -> tuple[float, int, int, float]:
    """Objective (USD), column size, delay step and expected incidents of a plan."""
    disp = _lot_disposition(inst, cand)
    moved = cand.v_status != _LEFT
    n = int(moved.sum())
    b = inst.delay_step(_destroy_s(inst, cand))
    inc = inst.cost[n, b] if b < inst.delay_min.size else math.inf
    value = (
        inst.l_value[disp == _CARRIED].sum()
        + inst.v_value[moved].sum()
        + inst.handover_fraction * inst.l_value[disp == _HANDED].sum()
    )
    obj = float(value) - inst.incident_usd * inc if math.isfinite(inc) else -math.inf
    return obj, n, b, float(inc)


def _check(inst: _Instance, cand: _Candidate) -> str:
    """Empty if the plan meets every constraint, else what it breaks."""
    v_status, lv = cand.v_status, cand.lot_vehicle
    for i in np.flatnonzero(lv >= 0):
        if v_status[lv[i]] != _MOVING:
            return f"lot {inst.lots[i].id} on a vehicle that does not drive"
    kg = np.bincount(
        lv[lv >= 0], weights=inst.l_kg[lv >= 0], minlength=len(inst.vehicles)
    )
    m2 = np.bincount(
        lv[lv >= 0], weights=inst.l_m2[lv >= 0], minlength=len(inst.vehicles)
    )
    if np.any(kg > inst.v_kg * (1 + 1e-9)) or np.any(m2 > inst.v_m2 * (1 + 1e-9)):
        return "a vehicle over capacity"
    if np.any((v_status == _MOVING) & ~inst.v_road):
        return "an unroadworthy vehicle driving"
    towed = np.flatnonzero(v_status == _TOWED)
    towers = cand.tow_of[towed]
    if (
        np.any(towers < 0)
        or len(set(towers.tolist())) != towers.size
        or np.any(~inst.v_tow[towers])
        or np.any(v_status[towers] != _MOVING)
    ):
        return "invalid towing pairs"
    if int(inst.v_seats[v_status == _MOVING].sum()) < inst.personnel:
        return "not enough seats"
    if np.any(inst.l_mand & (lv < 0)):
        return "a mandatory lot not carried"
    if not math.isfinite(_evaluate(inst, cand)[0]):
        return "an infeasible cell of the risk table"
    return ""


def _fits(inst: _Instance, lot: int | np.integer, veh: int | np.integer) -> bool:
    return bool(
        inst.l_kg[lot] <= inst.v_kg[veh] * (1 + 1e-9)
        and inst.l_m2[lot] <= inst.v_m2[veh] * (1 + 1e-9)
    )


def _class_of(inst: _Instance, lot: int) -> int:
    return next(j for j, members in enumerate(inst.classes) if lot in members)


def _solver(params: SolverParams, seed: int, limit_s: float) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    p = s.parameters
    p.num_workers = params.workers
    p.interleave_search = params.workers > 1
    p.random_seed = int(seed) % (2**31 - 1)
    p.max_deterministic_time = limit_s
    # a guard for an overloaded machine only: hitting it makes the result depend on
    # the load, which the deterministic limit above never does
    p.max_time_in_seconds = _WALL_GUARD * limit_s
    p.relative_gap_limit = params.relative_gap
    # CP-SAT would otherwise take Ctrl-C as "stop early, keep the best found" and
    # the run would go on; left to Python, it stops the run once the solve returns
    p.catch_sigint_signal = False
    return s


def _solve(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
    """
    ``solver.solve(model)``, stopped at once by an exception such as Ctrl-C.

    The solve runs in a worker thread while this (main) thread waits in short
    steps, so that Python's signal handlers run during the solve (they run only in
    the main thread, between bytecodes). Whatever the handler raises stops the
    search (``stop_search``), waits for the worker and goes up. The result is the
    same as a direct call: the thread changes nothing in the search.
    """
    status: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            status.append(int(solver.solve(model)))
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=run, name="cp-sat", daemon=True)
    worker.start()
    # an Event, not Thread.join: a join interrupted by a signal can leave the
    # thread marked as finished while it still runs (Python 3.11)
    try:
        while not done.wait(0.05):
            pass
    except BaseException:
        solver.stop_search()
        done.wait()
        raise
    worker.join()
    if errors:
        raise errors[0]
    return status[0]


def _precheck(inst: _Instance) -> None:
    """Raise InfeasibleError for the constraints that bind on their own."""
    road = inst.v_road
    seats = int(inst.v_seats[road].sum())
    where = f"at {inst.origin}"
    if seats < inst.personnel:
        msg = (
            f"seats: the {int(road.sum())} roadworthy vehicles {where} seat {seats}, "
            f"but {inst.personnel} personnel must move"
        )
        raise InfeasibleError(msg)
    max_kg = float(inst.v_kg[road].max()) if road.any() else 0.0
    max_m2 = float(inst.v_m2[road].max()) if road.any() else 0.0
    fits_any = np.array(
        [
            any(_fits(inst, i, v) for v in np.flatnonzero(road))
            for i in range(len(inst.lots))
        ],
        dtype=np.bool_,
    )
    for i in np.flatnonzero(inst.l_mand & np.logical_not(fits_any)):
        lot = inst.lots[i]
        msg = (
            f"mandatory lot {lot.id} ({lot.weight_kg:g} kg, {lot.deck_m2:g} m2) "
            f"fits no roadworthy vehicle {where} (largest payload {max_kg:g} kg, "
            f"largest deck {max_m2:g} m2)"
        )
        raise InfeasibleError(msg)
    need_kg = float(inst.l_kg[inst.l_mand].sum())
    need_m2 = float(inst.l_m2[inst.l_mand].sum())
    have_kg, have_m2 = float(inst.v_kg[road].sum()), float(inst.v_m2[road].sum())
    if need_kg > have_kg * (1 + 1e-9) or need_m2 > have_m2 * (1 + 1e-9):
        msg = (
            f"mandatory lots: {int(inst.l_mand.sum())} lots need {need_kg:g} kg and "
            f"{need_m2:g} m2; the roadworthy fleet {where} carries {have_kg:g} kg "
            f"and {have_m2:g} m2"
        )
        raise InfeasibleError(msg)
    feasible_b = np.flatnonzero(np.isfinite(inst.cost).any(axis=0))
    if feasible_b.size == 0:
        msg = "risk table: no column size and departure delay meets the deadline"
        raise InfeasibleError(msg)
    last = float(inst.delay_min[feasible_b[-1]])
    forced = inst.l_sens & np.logical_not(fits_any)
    forced_s = int(inst.l_destroy_s[forced].sum())
    forced_min = forced_s / (60.0 * inst.teams)
    if forced.any() and forced_s > inst.delay_cap_s[feasible_b[-1]]:
        ids = ", ".join(inst.lots[i].id for i in np.flatnonzero(forced)[:5])
        msg = (
            f"sensitive lots: {int(forced.sum())} fit no roadworthy vehicle ({ids}"
            f"{', ...' if forced.sum() > 5 else ''}) and must be destroyed, taking "
            f"{forced_min:.0f} min with {inst.teams} teams; the latest departure "
            f"delay that still meets the deadline is {last:.0f} min"
        )
        raise InfeasibleError(msg)
    seats_sorted = np.sort(inst.v_seats[road])[::-1]
    n_min = int(np.searchsorted(np.cumsum(seats_sorted), inst.personnel) + 1)
    n_min = n_min if inst.personnel > 0 else 0
    sizes = np.flatnonzero(np.isfinite(inst.cost).any(axis=1))
    if sizes.size == 0 or sizes[-1] < n_min:
        top = int(sizes[-1]) if sizes.size else 0
        msg = (
            f"column size: seating {inst.personnel} personnel takes at least "
            f"{n_min} vehicles; the risk table allows at most {top}"
        )
        raise InfeasibleError(msg)


def _infeasible_message(inst: _Instance) -> str:
    road = inst.v_road
    feasible_b = np.flatnonzero(np.isfinite(inst.cost).any(axis=0))
    last = float(inst.delay_min[feasible_b[-1]]) if feasible_b.size else float("nan")
    sizes = np.flatnonzero(np.isfinite(inst.cost).any(axis=1))
    return (
        "no plan meets all of: seats for "
        f"{inst.personnel} personnel (roadworthy seats "
        f"{int(inst.v_seats[road].sum())}), "
        f"{int(inst.l_mand.sum())} mandatory lots "
        f"({float(inst.l_kg[inst.l_mand].sum()):g} kg, "
        f"{float(inst.l_m2[inst.l_mand].sum()):g} m2) packed per vehicle, destruction "
        f"of uncarried sensitive lots and left vehicles within the latest feasible "
        f"departure delay ({last:.0f} min with {inst.teams} teams), and column sizes "
        f"the risk table allows ({int(sizes[0]) if sizes.size else 0}-"
        f"{int(sizes[-1]) if sizes.size else 0} vehicles)"
    )

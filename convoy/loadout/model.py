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
   the cheapest lots of the vehicle where that costs least. While the best plan
   is not within ``relative_gap`` of the bound and a group's packing left lots
   over, that group's aggregate capacities shrink by the share left over (at
   least 1 %) and the model is solved again, with a quarter of the time limit
   and the best plan so far as its hint, at most ``_MAX_RESOLVES`` times.
3. The best of the packed plans and the greedy plan is returned.

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
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from convoy.errors import InfeasibleError, Problem, ScenarioError
from convoy.loadout._pack import _first_fit
from convoy.params import LoadParams, PriceParams, SolverParams
from convoy.scenario import Lot, Vehicle

__all__ = [
    "DISPOSITIONS",
    "VEHICLE_STATUSES",
    "LoadPlan",
    "LotDecision",
    "RiskTable",
    "VehicleDecision",
    "choose_loadout",
    "evaluate_greedy_loadout",
]

#: What can happen to a lot.
DISPOSITIONS: tuple[str, ...] = ("carried", "destroyed", "handed_over", "abandoned")
#: What can happen to a vehicle.
VEHICLE_STATUSES: tuple[str, ...] = ("moving", "towed", "destroyed", "abandoned")

_CARRIED, _DESTROYED, _HANDED, _ABANDONED = 0, 1, 2, 3
_MOVING, _TOWED, _LEFT = 0, 1, 2
#: Sizes in the CP-SAT model: weights in units of 0.1 kg, areas in 0.01 m2,
#: money in cents, time in team-seconds.
_KG_UNIT, _M2_UNIT, _USD_UNIT = 10.0, 100.0, 100.0
#: Relative slack on the size thresholds of the cuts (they must never cut a plan
#: that the packing check accepts).
_CUT_RTOL = 1e-6
#: Resolution of the dual-feasible-function cuts (sizes in thousandths of a vehicle).
_DFF_UNIT = 1000
#: Least share by which a group's aggregate capacity shrinks when packing it failed.
_TIGHTEN_MIN = 0.01
#: Wall-clock guard of a CP-SAT solve, as a multiple of its deterministic limit.
_WALL_GUARD = 10.0
_MAX_RESOLVES = 1
#: Deterministic seconds for the packing of one group by CP-SAT.
_EXACT_PACK_S = 1.0
_RISK_TABLE = "risk table"


@dataclass(frozen=True)
class RiskTable:
    """
    Expected incidents of the best schedule, by column size and departure delay.

    Parameters
    ----------
    num_vehicles
        (A,) int, strictly increasing: column sizes tabulated (vehicles moving,
        towed ones included). Between grid points the table is interpolated
        linearly; outside ``[num_vehicles[0], num_vehicles[-1]]`` it is infeasible.
    delay_min
        (B,) float, strictly increasing, >= 0: earliest departure delays after the
        scenario start, in minutes. A delay between grid points takes the next
        larger grid delay; a delay beyond the last is infeasible.
    incidents
        (A, B) float, >= 0: expected incidents of the best schedule for that column
        size leaving no earlier than start + delay; ``np.inf`` where no schedule
        meets the deadline (such cells are forbidden).

    Raises
    ------
    ScenarioError
        If shapes, orders or values are not as above.

    Examples
    --------
    >>> t = RiskTable(np.array([1, 10]), np.array([0.0, 60.0]),
    ...               np.array([[0.1, 0.2], [1.0, 2.0]]))
    >>> round(t.incidents_at(4, 30.0), 3)
    0.8
    """

    num_vehicles: np.ndarray
    delay_min: np.ndarray
    incidents: np.ndarray

    def __post_init__(self) -> None:
        nv = np.asarray(self.num_vehicles)
        dl = np.asarray(self.delay_min, dtype=np.float64)
        inc = np.asarray(self.incidents, dtype=np.float64)
        if nv.ndim != 1 or nv.size == 0 or not np.issubdtype(nv.dtype, np.integer):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "num_vehicles",
                    "a non-empty 1-D integer array",
                    f"{nv.dtype} of shape {nv.shape}",
                )
            )
        if np.any(np.diff(nv) <= 0) or nv[0] < 0:
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "num_vehicles",
                    "strictly increasing counts >= 0",
                    str(nv.tolist()),
                )
            )
        if dl.ndim != 1 or dl.size == 0 or not np.all(np.isfinite(dl)):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "delay_min",
                    "a non-empty 1-D array of finite minutes",
                    str(dl.tolist()),
                )
            )
        if np.any(np.diff(dl) <= 0) or dl[0] < 0:
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "delay_min",
                    "strictly increasing minutes >= 0",
                    str(dl.tolist()),
                )
            )
        if inc.shape != (nv.size, dl.size):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "incidents",
                    f"shape {(nv.size, dl.size)}",
                    str(inc.shape),
                )
            )
        if np.any(np.isnan(inc)) or np.any(inc < 0) or np.any(inc == -np.inf):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "incidents",
                    "expected incidents >= 0 or inf",
                    "NaN or negative values",
                )
            )
        object.__setattr__(self, "num_vehicles", np.ascontiguousarray(nv, np.int64))
        object.__setattr__(self, "delay_min", np.ascontiguousarray(dl))
        object.__setattr__(self, "incidents", np.ascontiguousarray(inc))

    def column_incidents(self, max_vehicles: int) -> np.ndarray:
        """
        The table at every integer column size 0..max_vehicles.

        Returns
        -------
        numpy.ndarray
            (max_vehicles + 1, B) float64 expected incidents, ``inf`` where
            infeasible (a size outside the tabulated range, or next to an
            infeasible grid cell).
        """
        nv, inc = self.num_vehicles, self.incidents
        out = np.full((max_vehicles + 1, inc.shape[1]), np.inf)
        for n in range(max_vehicles + 1):
            if n < nv[0] or n > nv[-1]:
                continue
            i = int(np.searchsorted(nv, n, side="right")) - 1
            if nv[i] == n:
                out[n] = inc[i]
            else:
                t = (n - nv[i]) / (nv[i + 1] - nv[i])
                lo, hi = inc[i], inc[i + 1]
                both = np.isfinite(lo) & np.isfinite(hi)
                out[n] = np.where(
                    both,
                    (1.0 - t) * np.where(both, lo, 0.0) + t * np.where(both, hi, 0.0),
                    np.inf,
                )
        return out

    def incidents_at(self, num_vehicles: int, delay_min: float) -> float:
        """Expected incidents of a column of that size leaving ``delay_min`` late."""
        b = int(np.searchsorted(self.delay_min, delay_min, side="left"))
        if b >= self.delay_min.size or num_vehicles < 0:
            return math.inf
        return float(self.column_incidents(int(num_vehicles))[num_vehicles, b])


@dataclass(frozen=True, slots=True)
class LotDecision:
    """
    What happens to one lot.

    Parameters
    ----------
    lot_id
        The lot.
    disposition
        One of ``DISPOSITIONS``: carried, destroyed, handed_over, abandoned.
    vehicle_id
        The vehicle carrying it; None unless carried.
    reason
        Why, in words: ``"mandatory"``, ``"value saved"``, ``"no capacity"``,
        ``"value per m2 below the risk price"``, ``"too large for any vehicle"``,
        ``"sensitive: cannot be carried, destroyed"``, ...
    """

    lot_id: str
    disposition: str
    vehicle_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class VehicleDecision:
    """
    What happens to one vehicle.

    Parameters
    ----------
    vehicle_id
        The vehicle.
    status
        One of ``VEHICLE_STATUSES``: moving (under its own power), towed, or left
        behind destroyed or abandoned.
    towed_by
        Id of the recovery vehicle towing it; None unless towed.
    tows
        Id of the vehicle it tows; None if none.
    load_kg, load_m2
        Payload (kg) and deck area (m2) of the lots it carries.
    seats_used
        Personnel riding in it (crew included).
    value_usd
        Its value, in US dollars (saved if it moves or is towed).
    """

    vehicle_id: str
    status: str
    towed_by: str | None
    tows: str | None
    load_kg: float
    load_m2: float
    seats_used: int
    value_usd: float


@dataclass(frozen=True)
class LoadPlan:
    """
    The loads decided for one camp.

    Parameters
    ----------
    lots, vehicles
        One decision per lot and per vehicle at the camp, in input order.
    destruction_team_hours
        Team-hours of destruction before departure (lots and vehicles), hours.
    departure_delay_min
        Delay of the earliest departure caused by destruction, in minutes:
        team-hours / destruction_teams.
    risk_delay_min
        The risk table's delay grid point used: the first >= departure_delay_min.
    num_vehicles_moving
        Column size: vehicles moving, towed ones included.
    expected_incidents
        From the risk table at (num_vehicles_moving, departure_delay_min).
    value_carried_usd, value_vehicles_moved_usd, value_handed_over_usd
        Value of the lots carried, vehicles moved (towed included), lots handed
        over (full value), in US dollars.
    value_left_usd
        Value of the lots and vehicles not moved (handed over included), USD.
    objective_usd
        Value saved minus ``incident_usd * expected_incidents``, USD.
    bound_usd
        Proven upper bound of the objective of any plan, USD (see module docs).
    gap
        ``(bound_usd - objective_usd) / max(|bound_usd|, 1)``.
    status
        ``"OPTIMAL"`` (the gap is zero) or ``"FEASIBLE"``.
    method
        ``"cp-sat"`` or ``"greedy"``: which candidate plan was best.
    solve_time_s
        Wall-clock seconds spent (not part of equality: it varies run to run).
    """

    lots: tuple[LotDecision, ...]
    vehicles: tuple[VehicleDecision, ...]
    destruction_team_hours: float
    departure_delay_min: float
    risk_delay_min: float
    num_vehicles_moving: int
    expected_incidents: float
    value_carried_usd: float
    value_vehicles_moved_usd: float
    value_handed_over_usd: float
    value_left_usd: float
    objective_usd: float
    bound_usd: float
    gap: float
    status: str
    method: str
    solve_time_s: float = field(default=0.0, compare=False)

    def lot(self, lot_id: str) -> LotDecision:
        """The decision for ``lot_id``; KeyError if it is not in the plan."""
        for d in self.lots:
            if d.lot_id == lot_id:
                return d
        raise KeyError(lot_id)

    def vehicle(self, vehicle_id: str) -> VehicleDecision:
        """The decision for ``vehicle_id``; KeyError if it is not in the plan."""
        for d in self.vehicles:
            if d.vehicle_id == vehicle_id:
                return d
        raise KeyError(vehicle_id)


# --------------------------------------------------------------------------- data


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


# ------------------------------------------------------------------ candidate plans


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


# ------------------------------------------------------------------------- greedy


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


# ------------------------------------------------------------------- CP-SAT model


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
    return s


@dataclass
class _Aggregate:
    """A solution of the aggregate model: counts per group and class."""

    moving: dict[int, int]  # group -> vehicles moving (roadworthy) or towed
    carried: dict[tuple[int, int], int]  # (class, group) -> lots carried


def _fits(inst: _Instance, lot: int | np.integer, veh: int | np.integer) -> bool:
    return bool(
        inst.l_kg[lot] <= inst.v_kg[veh] * (1 + 1e-9)
        and inst.l_m2[lot] <= inst.v_m2[veh] * (1 + 1e-9)
    )


def _solve_aggregate(
    inst: _Instance,
    params: SolverParams,
    seed: int,
    hint: _Candidate | None,
    shrink: dict[int, float],
    only_step: int | None = None,
    limit_s: float | None = None,
) -> tuple[int, _Aggregate | None, float]:
    """
    Build and solve the aggregate model; status, solution and bound (USD).

    ``only_step`` restricts the departure to one delay step (a smaller model whose
    relaxation is tighter: a quick source of good plans, not of bounds).
    """
    m = cp_model.CpModel()
    G, C = inst.groups, inst.classes
    mv: dict[int, cp_model.IntVar] = {}
    for g, members in enumerate(G):
        mv[g] = m.new_int_var(0, len(members), f"move{g}")
    road_g = [g for g in range(len(G)) if inst.v_road[G[g][0]]]
    unroad_g = [g for g in range(len(G)) if not inst.v_road[G[g][0]]]
    tow_g = [g for g in road_g if inst.v_tow[G[g][0]]]
    m.add(sum(mv[g] for g in unroad_g) <= sum(mv[g] for g in tow_g))
    m.add(sum(int(inst.v_seats[G[g][0]]) * mv[g] for g in road_g) >= inst.personnel)

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

    obj_terms: list[cp_model.LinearExprT] = []
    const = 0
    destroy_terms: list[cp_model.LinearExprT] = []
    destroy_const = 0
    for j, members in enumerate(C):
        l0, cnt = members[0], len(members)
        cj = sum(carried[j]) if carried[j] else 0
        if inst.l_mand[l0]:
            if not carried[j]:
                return int(cp_model.INFEASIBLE), None, -math.inf
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
    for g, members in enumerate(G):
        obj_terms.append(math.ceil(inst.v_value[members[0]] * _USD_UNIT - 1e-9) * mv[g])
        destroy_const += inst.v_destroy_s * len(members)
        destroy_terms.append(-inst.v_destroy_s * mv[g])

    destroy = m.new_int_var(0, max(destroy_const, 0), "destroy_s")
    m.add(destroy == destroy_const + sum(destroy_terms))
    n_var = m.new_int_var(0, len(inst.vehicles), "column")
    m.add(n_var == sum(mv.values()))
    # the risk term: one piece (grid segment of column sizes, delay step) is chosen,
    # with an integer offset along it: the convex hull of each piece's cost
    pieces = [pc for pc in _risk_pieces(inst) if only_step in (None, pc.b)]
    if not pieces:
        return int(cp_model.INFEASIBLE), None, -math.inf
    cells: list[tuple[_Piece, cp_model.IntVar, cp_model.IntVar]] = []
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
    solver = _solver(params, seed, params.time_limit_s if limit_s is None else limit_s)
    status = solver.solve(m)
    if status == cp_model.MODEL_INVALID:
        msg = f"load model invalid: {m.validate()}"
        raise RuntimeError(msg)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = (
            solver.best_objective_bound / _USD_UNIT
            if status == cp_model.UNKNOWN
            else -math.inf
        )
        return int(status), None, bound
    sol = _Aggregate(
        moving={g: int(solver.value(v)) for g, v in mv.items()},
        carried={k: int(solver.value(v)) for k, v in x.items()},
    )
    return int(status), sol, solver.best_objective_bound / _USD_UNIT


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
    cells: list[tuple[_Piece, cp_model.IntVar, cp_model.IntVar]],
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


# ------------------------------------------------------------------------ packing


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
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
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


def _class_of(inst: _Instance, lot: int) -> int:
    return next(j for j, members in enumerate(inst.classes) if lot in members)


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
    return cand, lost


# ------------------------------------------------------------------ infeasibility


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


# --------------------------------------------------------------------------- plan


def _reason_left(
    inst: _Instance, cand: _Candidate, i: int, free_kg: np.ndarray, free_m2: np.ndarray
) -> str:
    road = np.flatnonzero(inst.v_road)
    if not any(_fits(inst, i, v) for v in road):
        return "too large for any vehicle"
    moving = cand.v_status == _MOVING
    room = (
        moving
        & (free_kg >= inst.l_kg[i] * (1 - 1e-9))
        & (free_m2 >= inst.l_m2[i] * (1 - 1e-9))
    )
    if room.any():
        return "not worth carrying"
    idle = inst.v_road & (cand.v_status == _LEFT)
    if any(_fits(inst, i, v) for v in np.flatnonzero(idle)):
        return "value per m2 below the risk price"
    return "no capacity"


def _to_plan(inst: _Instance, cand: _Candidate, bound: float, t0: float) -> LoadPlan:
    obj, n, b, inc = _evaluate(inst, cand)
    disp = _lot_disposition(inst, cand)
    nv = len(inst.vehicles)
    lv = cand.lot_vehicle
    load_kg = np.bincount(lv[lv >= 0], weights=inst.l_kg[lv >= 0], minlength=nv)
    load_m2 = np.bincount(lv[lv >= 0], weights=inst.l_m2[lv >= 0], minlength=nv)
    free_kg, free_m2 = inst.v_kg - load_kg, inst.v_m2 - load_m2
    lots_out = []
    for i, lot in enumerate(inst.lots):
        if disp[i] == _CARRIED:
            reason = (
                "mandatory"
                if lot.mandatory
                else "sensitive: carried"
                if lot.sensitive
                else "value saved"
            )
            lots_out.append(
                LotDecision(lot.id, "carried", inst.vehicles[lv[i]].id, reason)
            )
            continue
        why = _reason_left(inst, cand, i, free_kg, free_m2)
        if lot.sensitive:
            why = (
                "sensitive: cannot be carried, destroyed"
                if why == "too large for any vehicle"
                else f"sensitive: {why}, destroyed"
            )
        lots_out.append(LotDecision(lot.id, DISPOSITIONS[disp[i]], None, why))
    seats_left = inst.personnel
    tows = {int(cand.tow_of[i]): i for i in np.flatnonzero(cand.v_status == _TOWED)}
    left_status = "destroyed" if inst.destroy_left else "abandoned"
    veh_out = []
    for i, v in enumerate(inst.vehicles):
        st = int(cand.v_status[i])
        seated = 0
        if st == _MOVING:
            seated = min(int(inst.v_seats[i]), seats_left)
            seats_left -= seated
        status = ("moving", "towed", left_status)[st]
        veh_out.append(
            VehicleDecision(
                v.id,
                status,
                inst.vehicles[cand.tow_of[i]].id if st == _TOWED else None,
                inst.vehicles[tows[i]].id if i in tows else None,
                float(load_kg[i]),
                float(load_m2[i]),
                seated,
                v.value_usd,
            )
        )
    moved = cand.v_status != _LEFT
    carried_v = float(inst.l_value[disp == _CARRIED].sum())
    moved_v = float(inst.v_value[moved].sum())
    handed_v = float(inst.l_value[disp == _HANDED].sum())
    total_v = float(inst.l_value.sum() + inst.v_value.sum())
    destroy_s = _destroy_s(inst, cand)
    gap = max(0.0, (bound - obj) / max(abs(bound), 1.0))
    return LoadPlan(
        lots=tuple(lots_out),
        vehicles=tuple(veh_out),
        destruction_team_hours=destroy_s / 3600.0,
        departure_delay_min=destroy_s / (60.0 * inst.teams),
        risk_delay_min=float(inst.delay_min[b]),
        num_vehicles_moving=n,
        expected_incidents=inc,
        value_carried_usd=carried_v,
        value_vehicles_moved_usd=moved_v,
        value_handed_over_usd=handed_v,
        value_left_usd=total_v - carried_v - moved_v,
        objective_usd=obj,
        bound_usd=bound,
        gap=gap,
        status="OPTIMAL" if gap <= 1e-9 else "FEASIBLE",
        method=cand.method,
        solve_time_s=time.perf_counter() - t0,
    )


def _realise_or_tighten(
    inst: _Instance,
    agg: _Aggregate | None,
    bound: float,
    solver: SolverParams,
    seed: int,
    candidates: list[_Candidate],
) -> None:
    """
    Pack aggregate solutions into plans, appended to ``candidates``.

    While no plan is within ``relative_gap`` of ``bound`` and a group's packing
    left lots over (or a mandatory lot found no room), that group's capacity
    shrinks by the share left over and the model is solved again, with a quarter
    of the time limit and the best plan so far as its hint (``_MAX_RESOLVES``).
    """
    shrink: dict[int, float] = {}
    for _ in range(_MAX_RESOLVES + 1):
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
        if not lost or bound - top <= solver.relative_gap * max(abs(bound), 1.0):
            return
        for g, share in lost.items():
            shrink[g] = shrink.get(g, 1.0) * (1.0 - max(share, _TIGHTEN_MIN))
        hint = (
            max(candidates, key=lambda c: _evaluate(inst, c)[0]) if candidates else None
        )
        _, agg, _ = _solve_aggregate(
            inst, solver, seed, hint, shrink, limit_s=solver.time_limit_s / 4
        )


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
    status, agg, bound = _solve_aggregate(inst, solver, seed, greedy, {})
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(_infeasible_message(inst))
    _realise_or_tighten(inst, agg, bound, solver, seed, candidates)
    if not candidates:
        msg = (
            f"{_infeasible_message(inst)}: none found within "
            f"{solver.time_limit_s:g} s of search"
        )
        raise InfeasibleError(msg)
    best = max(candidates, key=lambda c: _evaluate(inst, c)[0])
    obj = _evaluate(inst, best)[0]
    if not obj <= bound + 1e-6 * max(abs(bound), 1.0):
        msg = f"load plan objective {obj} above the proven bound {bound}"
        raise RuntimeError(msg)
    return _to_plan(inst, best, max(bound, obj), t0)


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

    Same model and prices as :func:`choose_loadout`; its ``bound_usd`` is its own
    objective (no bound is computed), so its ``gap`` is 0 and means nothing.
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
    obj = _evaluate(inst, cand)[0]
    return _to_plan(inst, cand, obj, t0)

"""What the loads optimiser decided: one record per lot and vehicle, and the plan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from convoy.loadout.instance import (
    _CARRIED,
    _HANDED,
    _LEFT,
    _MOVING,
    _TOWED,
    _Candidate,
    _destroy_s,
    _evaluate,
    _fits,
    _Instance,
    _lot_disposition,
)

#: What can happen to a lot.
DISPOSITIONS: tuple[str, ...] = ("carried", "destroyed", "handed_over", "abandoned")
#: What can happen to a vehicle.
VEHICLE_STATUSES: tuple[str, ...] = ("moving", "towed", "destroyed", "abandoned")
#: What the loads solve proved: OPTIMAL (gap zero), WITHIN_TARGET (gap at most
#: ``gap_target``), NOT_PROVEN (CP-SAT stopped at its time limit with the gap above
#: the target, or with no bound), GREEDY (CP-SAT found no plan within its time
#: limit: the greedy heuristic's plan is used).
LOAD_STATUSES: tuple[str, ...] = ("OPTIMAL", "WITHIN_TARGET", "NOT_PROVEN", "GREEDY")


@dataclass(frozen=True, slots=True)
class SolveRecord:
    """
    One CP-SAT solve of the aggregate loads model.

    Parameters
    ----------
    role
        ``"aggregate"`` (the first solve, whose bound is reported) or
        ``"tightened"`` (a re-solve with shrunk capacities, see
        :mod:`convoy.loadout.model`).
    status
        CP-SAT's status name: OPTIMAL, FEASIBLE, INFEASIBLE or UNKNOWN (stopped
        before it found a plan).
    bound_usd
        CP-SAT's proven upper bound, USD; None when the solve stopped without one.
    limit_s
        The deterministic time limit of the solve, seconds.
    time_s
        Deterministic seconds the solve took (CP-SAT's count of work: the same
        for the same inputs and seed unless the wall-clock guard stopped the solve
        on an overloaded machine; it may overrun ``limit_s``). Not part of
        equality.
    wall_s
        Wall-clock seconds the solve took (not part of equality).
    """

    role: str
    status: str
    bound_usd: float | None
    limit_s: float
    time_s: float = field(compare=False)
    wall_s: float = field(default=0.0, compare=False)


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
        Proven upper bound of the objective of any plan, USD (see
        :mod:`convoy.loadout.model`); None when no solve proved one.
    gap
        ``(bound_usd - objective_usd) / max(|bound_usd|, 1)``; None without a bound.
    status
        One of ``LOAD_STATUSES``: OPTIMAL, WITHIN_TARGET, NOT_PROVEN or GREEDY.
    method
        ``"cp-sat"`` or ``"greedy"``: which candidate plan was best.
    solve_time_s
        Wall-clock seconds spent (not part of equality: it varies run to run).
    gap_target
        ``SolverParams.gap_target``: the gap a plan must be proven within
        (fraction). Default 0.01.
    time_limit_s
        ``SolverParams.time_limit_s`` of the solve, deterministic seconds.
    solves
        One record per CP-SAT solve of the aggregate model, in order.
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
    bound_usd: float | None
    gap: float | None
    status: str
    method: str
    solve_time_s: float = field(default=0.0, compare=False)
    gap_target: float = 0.01
    time_limit_s: float = 0.0
    solves: tuple[SolveRecord, ...] = ()

    @property
    def proven(self) -> bool:
        """True if the gap is proven within ``gap_target``."""
        return self.gap is not None and self.gap <= self.gap_target + 1e-12

    @property
    def moving_ids(self) -> tuple[str, ...]:
        """Vehicles that move, under their own power or towed, in input order."""
        return tuple(
            v.vehicle_id for v in self.vehicles if v.status in ("moving", "towed")
        )

    @property
    def value_saved_usd(self) -> float:
        """Value of the lots carried plus the vehicles moved, US dollars."""
        return self.value_carried_usd + self.value_vehicles_moved_usd

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


def _status(gap: float | None, gap_target: float, fallback: bool) -> str:
    """The status of a plan with ``gap`` (see ``LOAD_STATUSES``)."""
    if fallback:
        return "GREEDY"
    if gap is None or gap > gap_target + 1e-12:
        return "NOT_PROVEN"
    return "OPTIMAL" if gap <= 1e-9 else "WITHIN_TARGET"


def _to_plan(
    inst: _Instance,
    cand: _Candidate,
    bound: float | None,
    t0: float,
    *,
    gap_target: float = 0.01,
    time_limit_s: float = 0.0,
    solves: tuple[SolveRecord, ...] = (),
    fallback: bool = False,
) -> LoadPlan:
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
    gap = None if bound is None else max(0.0, (bound - obj) / max(abs(bound), 1.0))
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
        status=_status(gap, gap_target, fallback),
        method=cand.method,
        solve_time_s=time.perf_counter() - t0,
        gap_target=gap_target,
        time_limit_s=time_limit_s,
        solves=solves,
    )

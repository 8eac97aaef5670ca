"""Tie everything into a plan: risk, calibration, loads, timing, baselines, march table.

:func:`plan_withdrawal` runs the chain of DESIGN.md on a loaded scenario:

1. the risk field and its tables along every road edge;
2. calibration of the two channels to the historical trip (:mod:`convoy.calibrate`);
3. the risk table the loads optimiser trades against: the optimal schedule's expected
   incidents for a grid of column sizes and departure delays (one backward search per
   column size gives every departure at once, :func:`convoy.loadout.risk_table.
   tabulate_risk`);
4. the loads (CP-SAT, :func:`convoy.loadout.choose_loadout`);
5. the optimal schedule of the column the loads decided, leaving once the
   destruction work is done;
6. the baselines (:mod:`convoy.baselines`), the march table (:mod:`convoy.march`) and,
   on request, the Pareto front over the price of an incident.

This module is the one place below the command line that unpacks a
:class:`~convoy.scenario.Scenario`: every function it calls takes the records,
arrays and parameters it uses. The functions here that take a scenario
(:func:`scenario_risk_field`, :func:`scenario_exposure_model`,
:func:`plan_scenario_schedule`, :func:`scenario_calibration`,
:func:`calibrated_risk_field`, :func:`scenario_risk_table`) are that unpacking,
which is why they live here and not beside the code they feed (and why this
module is longer than the others); ``_reference`` is the one function that reads
``[calibration]``.

:func:`plan_document` turns the result into the plan.json document
(docs/plan-json.md) from which every other output is written.
"""

from __future__ import annotations

import dataclasses
import math
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pyproj import Transformer

import convoy
from convoy.baselines import (
    BASELINE_NAMES,
    Trip,
    baseline_notes,
    fast_baselines,
    priced_trip,
)
from convoy.calibrate import Calibration, calibrate, reference_route, reference_trip
from convoy.errors import Problem, ScenarioError
from convoy.io.files import file_sha256
from convoy.loadout import LoadPlan, RiskTable, choose_loadout
from convoy.loadout.pareto import pareto_front, pareto_prices
from convoy.loadout.risk_table import tabulate_risk
from convoy.march import (
    MarchRow,
    MarchUnit,
    column_order,
    leg_nodes,
    order_of_march,
    trip_march,
)
from convoy.risk.edges import EdgeRisk, edge_risk
from convoy.risk.field import RiskField, risk_field_from_events
from convoy.scenario import Lot, Scenario, Vehicle
from convoy.schedule import (
    ExposureModel,
    Schedule,
    Trajectory,
    build_exposure_model,
    column_surface_speeds,
    plan_schedule,
)
from convoy.times import parse_hhmm

#: Share of ``SolverParams.time_limit_s`` given to each CP-SAT solve of the sweep.
#: A third was tried on Kidal-Gao: the points at high prices ended 5-7 % from their
#: bounds and the front was no longer monotone, so each point gets the full limit.
PARETO_TIME_SHARE = 1.0

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class Plan:
    """Everything :func:`plan_withdrawal` decided, with what it was decided from."""

    scenario: Scenario
    risk_field: RiskField
    edge_risk: EdgeRisk
    calibration: Calibration
    risk_table: RiskTable
    loadout: LoadPlan
    schedule: Schedule
    trips: dict[str, Trip]
    march_units: list[MarchUnit]
    march_rows: list[MarchRow]
    pareto: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    baseline_march: dict[str, list[MarchRow]] = field(default_factory=dict)

    @property
    def optimised(self) -> Trip:
        """The optimised trip."""
        return self.trips["optimised"]


# ---------------------------------------------------------------------------------
# the scenario, unpacked


def origin_vehicles(scenario: Scenario) -> list[Vehicle]:
    """Vehicles at the origin camp, in input order."""
    return [v for v in scenario.vehicles if v.camp == scenario.origin]


def _origin_lots(scenario: Scenario) -> list[Lot]:
    return [lot for lot in scenario.lots if lot.camp == scenario.origin]


def _node_names(scenario: Scenario) -> dict[int, str]:
    names: dict[int, str] = {}
    # camps and the destination name a node before halts and checkpoints do
    order = {"camp": 0, "destination": 0, "checkpoint": 1, "halt": 2}
    for s in sorted(scenario.sites, key=lambda s: order[s.kind]):
        node = scenario.roads.site_node.get(s.name)
        if node is not None and node not in names:
            names[node] = s.name
    return names


def _end_nodes(scenario: Scenario) -> tuple[int, int]:
    """Nodes of the origin and the destination."""
    site_node = scenario.roads.site_node
    return site_node[scenario.origin], site_node[scenario.destination]


def scenario_risk_field(scenario: Scenario) -> RiskField:
    """
    The risk field of a loaded scenario, in its road network's CRS (not calibrated).

    Examples
    --------
    >>> field = scenario_risk_field(read_scenario("kidal-gao"))  # doctest: +SKIP
    """
    return risk_field_from_events(
        scenario.events,
        scenario.risk,
        crs=scenario.roads.crs,
        air_cover=scenario.air_cover,
    )


def scenario_exposure_model(
    scenario: Scenario, edge_risk: EdgeRisk, vehicle_ids: Sequence[str] | None = None
) -> ExposureModel:
    """
    The exposure model of a scenario's column.

    Parameters
    ----------
    scenario
        The scenario (its ``roads`` a RoadNetwork).
    edge_risk
        The EdgeRisk of the scenario.
    vehicle_ids
        Vehicles that move; default every roadworthy vehicle at the origin. The
        slowest sets the speed on each surface; all set the column length.

    Returns
    -------
    ExposureModel
        Halts allowed at every camp, halt site and destination on the network.

    Raises
    ------
    ScenarioError
        If a vehicle id is not in the fleet or no vehicle moves.

    Examples
    --------
    >>> model = scenario_exposure_model(scn, edge_risk)
    >>> model.column_day_km  # doctest: +SKIP
    """
    if vehicle_ids is None:
        moving = [
            v for v in scenario.vehicles if v.roadworthy and v.camp == scenario.origin
        ]
    else:
        by_id = {v.id: v for v in scenario.vehicles}
        missing = [i for i in vehicle_ids if i not in by_id]
        if missing:
            msg = f"schedule: vehicle ids expected in the fleet, found {missing}"
            raise ScenarioError(msg)
        moving = [by_id[i] for i in vehicle_ids]
    roads = scenario.roads
    return build_exposure_model(
        roads,
        edge_risk,
        surface_speed_kph=column_surface_speeds([v.speed_kph for v in moving]),
        vehicle_lengths_m=[v.length_m for v in moving],
        halt_sites=[
            s.name for s in scenario.sites if s.can_halt and s.name in roads.site_node
        ],
        start=scenario.start,
        movement=scenario.movement,
        risk_params=scenario.risk,
    )


def plan_scenario_schedule(
    scenario: Scenario,
    edge_risk: EdgeRisk,
    *,
    vehicle_ids: Sequence[str] | None = None,
    earliest_depart_min: float = 0.0,
    latest_depart_min: float | None = None,
) -> Schedule:
    """
    Schedule a scenario's column from its origin to its destination.

    Parameters
    ----------
    scenario
        The scenario (its ``roads`` a RoadNetwork).
    edge_risk
        The EdgeRisk of the scenario.
    vehicle_ids
        Vehicles that move; default every roadworthy vehicle at the origin.
    earliest_depart_min, latest_depart_min
        Departure window, minutes after the scenario start (destruction work sets
        the earliest).

    Returns
    -------
    Schedule

    Raises
    ------
    ScenarioError, NoRouteError, InfeasibleError
        As :func:`convoy.schedule.plan_schedule`.

    Examples
    --------
    >>> sched = plan_scenario_schedule(scn, edge_risk)
    >>> sched.arrive_min / 60  # doctest: +SKIP
    """
    model = scenario_exposure_model(scenario, edge_risk, vehicle_ids)
    roads = scenario.roads
    origin = int(roads.site_node[scenario.origin])
    destination = int(roads.site_node[scenario.destination])
    return plan_schedule(
        model,
        origin,
        destination,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        earliest_depart_min=earliest_depart_min,
        latest_depart_min=latest_depart_min,
        start=scenario.start,
        node_names={
            **{n: name for name, n in roads.site_node.items()},
            origin: scenario.origin,
            destination: scenario.destination,
        },
    )


@dataclass(frozen=True, slots=True)
class _Reference:
    """The reference trip of ``[calibration]``, in minutes, edges and vehicle ids."""

    depart_min: float
    arrive_min: float
    route_edges: tuple[int, ...]
    vehicle_ids: tuple[str, ...]


def _parse_iso(text: str, key: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                key,
                "an ISO 8601 UTC time",
                repr(text),
            )
        ) from None
    if t.tzinfo is None:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                key,
                "a time with a zone (Z or +00:00)",
                repr(text),
            )
        )
    return t


def _reference(scenario: Scenario) -> _Reference:
    """The scenario's reference trip: the one place ``[calibration]`` is unpacked."""
    cal = scenario.calibration

    def minutes(text: str, key: str) -> float:
        return (_parse_iso(text, key) - scenario.start).total_seconds() / 60.0

    depart, arrive = minutes(cal.depart, "depart"), minutes(cal.arrive, "arrive")
    if not arrive > depart:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "arrive",
                f"a time after depart ({cal.depart})",
                repr(cal.arrive),
            )
        )
    # the reference column: the first ``calibration.vehicles`` at the origin
    ids = tuple(v.id for v in origin_vehicles(scenario))[: cal.vehicles]
    names = list(cal.route) or [scenario.origin, scenario.destination]
    route = reference_route(
        scenario.roads, names, scenario.origin, scenario.destination
    )
    return _Reference(depart, arrive, route, ids)


def scenario_calibration(scenario: Scenario, edge_risk: EdgeRisk) -> Calibration:
    """
    Calibrate a scenario's risk to its reference trip (``[calibration]``).

    ``edge_risk`` may carry any scales; the result is absolute. When
    ``[calibration] enabled = false`` the scenario's ``[risk] scale_ied`` and
    ``scale_ambush`` are used as given (both must then be set).

    Raises
    ------
    ScenarioError
        If calibration is disabled without scales, the reference trip is malformed,
        or it sees no risk at all (no events near the route).

    Examples
    --------
    >>> cal = scenario_calibration(scenario, edge_risk)  # doctest: +SKIP
    >>> table = edge_risk.with_scales(cal.scale_ied, cal.scale_ambush)  # doctest: +SKIP
    """
    cal, risk = scenario.calibration, scenario.risk
    given: tuple[float, float] | None = None
    if not cal.enabled:
        if risk.scale_ied is None or risk.scale_ambush is None:
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    "[risk]",
                    "scale_ied, scale_ambush",
                    "both set when [calibration] enabled = false",
                    "missing",
                )
            )
        given = (risk.scale_ied, risk.scale_ambush)
    ref = _reference(scenario)
    return calibrate(
        scenario_exposure_model(scenario, edge_risk, vehicle_ids=ref.vehicle_ids),
        ref.route_edges,
        ref.depart_min,
        ref.arrive_min,
        origin=_end_nodes(scenario)[0],
        windows_min=scenario.movement.window_minutes(),
        ied_incidents=cal.ied_incidents,
        ambush_per_ied=risk.ambush_per_ied,
        table_scales=(edge_risk.scale_ied, edge_risk.scale_ambush),
        vehicle_ids=ref.vehicle_ids,
        given_scales=given,
    )


def calibrated_risk_field(
    scenario: Scenario, risk_field: RiskField | None = None
) -> RiskField:
    """
    The scenario's risk field with the calibration scales ``convoy plan`` uses.

    Parameters
    ----------
    scenario
        The scenario (its reference trip, roads and parameters).
    risk_field
        The field to calibrate; default :func:`scenario_risk_field`.

    Raises
    ------
    ScenarioError
        As :func:`scenario_calibration`.

    Examples
    --------
    >>> field = calibrated_risk_field(read_scenario("kidal-gao"))  # doctest: +SKIP
    """
    f = scenario_risk_field(scenario) if risk_field is None else risk_field
    cal = scenario_calibration(
        scenario, edge_risk(f, scenario.roads, scenario.risk.edge_sample_m)
    )
    return f.with_scales(cal.scale_ied, cal.scale_ambush)


def _historical_trip(
    scenario: Scenario, edge_risk: EdgeRisk
) -> tuple[ExposureModel, Trajectory]:
    """The reference trip priced on ``edge_risk``: its model and trajectory."""
    ref = _reference(scenario)
    model, traj, _exp = reference_trip(
        scenario_exposure_model(scenario, edge_risk, vehicle_ids=ref.vehicle_ids),
        _end_nodes(scenario)[0],
        ref.route_edges,
        ref.depart_min,
        ref.arrive_min,
        scenario.movement.window_minutes(),
    )
    return model, traj


def scenario_risk_table(
    scenario: Scenario, er: EdgeRisk, *, progress: Progress = _quiet
) -> RiskTable:
    """
    Expected incidents of the optimal schedule by column size and departure delay.

    See :func:`convoy.loadout.risk_table.tabulate_risk`; the column is the
    vehicles at the origin.

    Raises
    ------
    InfeasibleError
        If no schedule meets the deadline even for the smallest column.
    """
    vehicles = origin_vehicles(scenario)
    origin, dest = _end_nodes(scenario)
    return tabulate_risk(
        scenario_exposure_model(scenario, er, vehicle_ids=[v.id for v in vehicles]),
        scenario.roads,
        vehicles,
        personnel=scenario.personnel,
        origin=origin,
        destination=dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        start=scenario.start,
        node_names=_node_names(scenario),
        progress=progress,
    )


def _solve_loads(
    scenario: Scenario, table: RiskTable, incident_usd: float, time_share: float = 1.0
) -> LoadPlan:
    """The loads at the origin with ``incident_usd`` per expected incident."""
    prices = dataclasses.replace(scenario.prices, incident_usd=incident_usd)
    solver = dataclasses.replace(
        scenario.solver, time_limit_s=scenario.solver.time_limit_s * time_share
    )
    return choose_loadout(
        origin_vehicles(scenario),
        _origin_lots(scenario),
        personnel=scenario.personnel,
        origin=scenario.origin,
        risk_table=table,
        prices=prices,
        solver=solver,
        loads=scenario.loads,
        seed=scenario.seed,
    )


def _column_schedule(
    scenario: Scenario, er: EdgeRisk, loadout: LoadPlan, *, named: bool = True
) -> tuple[ExposureModel, Schedule]:
    """The optimal schedule of the column ``loadout`` moves, after destruction."""
    origin, dest = _end_nodes(scenario)
    model = scenario_exposure_model(scenario, er, vehicle_ids=loadout.moving_ids)
    schedule = plan_schedule(
        model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        earliest_depart_min=loadout.departure_delay_min,
        start=scenario.start,
        node_names=_node_names(scenario) if named else None,
    )
    return model, schedule


# ---------------------------------------------------------------------------------
# the plan


def plan_withdrawal(
    scenario: Scenario, *, pareto: bool = False, progress: Progress = _quiet
) -> Plan:
    """
    Plan the withdrawal of a loaded scenario.

    Parameters
    ----------
    scenario
        From :func:`convoy.scenario.read_scenario`.
    pareto
        Also sweep the price of an incident (``SolverParams.pareto_points`` prices
        from a tenth to ten times ``PriceParams.incident_usd``, and 0) and record
        the front of expected incidents against value saved.
    progress
        Called with a short message before each long step.

    Returns
    -------
    Plan

    Raises
    ------
    InfeasibleError
        If no plan meets the deadline or the loads cannot be satisfied; the message
        names the binding constraint.

    Examples
    --------
    >>> plan = plan_withdrawal(read_scenario("kidal-gao"))  # doctest: +SKIP
    >>> round(plan.trips["historical"].trip.exposure.ied, 1)  # doctest: +SKIP
    6.0
    """
    progress("risk field along the roads")
    field0 = scenario_risk_field(scenario)
    er0 = edge_risk(field0, scenario.roads, scenario.risk.edge_sample_m)
    progress("calibration to the historical trip")
    cal = scenario_calibration(scenario, er0)
    risk_field = field0.with_scales(cal.scale_ied, cal.scale_ambush)
    er = er0.with_scales(cal.scale_ied, cal.scale_ambush)

    table = scenario_risk_table(scenario, er, progress=progress)
    progress("loads and abandonment (CP-SAT)")
    loadout = _solve_loads(scenario, table, scenario.prices.incident_usd)
    progress("schedule of the chosen column")
    model, schedule = _column_schedule(scenario, er, loadout)
    trips, notes = _trips(scenario, er, table, loadout, model, schedule, progress)

    progress("march tables")
    marches = _marches(scenario, loadout, trips)
    units, rows = marches["optimised"]
    front = _pareto_front(scenario, er, table, progress) if pareto else []
    return Plan(
        scenario,
        risk_field,
        er,
        cal,
        table,
        loadout,
        schedule,
        trips,
        units,
        rows,
        front,
        notes,
        {name: r for name, (_u, r) in marches.items() if name != "optimised"},
    )


def _trips(
    scenario: Scenario,
    er: EdgeRisk,
    table: RiskTable,
    loadout: LoadPlan,
    model: ExposureModel,
    schedule: Schedule,
    progress: Progress,
) -> tuple[dict[str, Trip], list[str]]:
    """The optimised trip and the baselines, priced, with notes on the comparison."""
    moving = loadout.moving_ids
    values = (loadout.value_saved_usd, loadout.value_left_usd)
    trips: dict[str, Trip] = {
        "optimised": priced_trip(
            "optimised", model, schedule.trajectory(), moving, values
        )
    }
    progress("baselines")
    origin, dest = _end_nodes(scenario)
    fast, notes = fast_baselines(
        model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        depart_min=loadout.departure_delay_min,
        vehicle_ids=moving,
        values=values,
    )
    trips.update(fast)
    hist_model, hist_traj = _historical_trip(scenario, er)
    hist_plan = (
        _solve_loads(scenario, table, 0.0)
        if any(v.status not in ("moving", "towed") for v in loadout.vehicles)
        else loadout
    )
    trips["historical"] = priced_trip(
        "historical",
        hist_model,
        hist_traj,
        _reference(scenario).vehicle_ids,
        (hist_plan.value_saved_usd, hist_plan.value_left_usd),
        note="reconstruction of the observed trip: every vehicle, the main axis, "
        "paced to the observed departure and arrival; it may halt anywhere on "
        "its route and drive after dark, as the real column did",
    )
    notes += baseline_notes(trips["optimised"], trips, scenario.prices.incident_usd)
    return trips, notes


def _marches(
    scenario: Scenario, loadout: LoadPlan, trips: dict[str, Trip]
) -> dict[str, tuple[list[MarchUnit], list[MarchRow]]]:
    """March units and the road movement table of every trip."""
    order = order_of_march(scenario.vehicles, loadout)
    kinds = {s.name: s.kind for s in scenario.sites}
    places = (_node_names(scenario), kinds, scenario.origin, scenario.destination)
    return {
        name: trip_march(
            trip.model,
            trip.trip.trajectory,
            # the historical column is every vehicle, in the same order of march
            column_order(scenario.vehicles, trip.vehicle_ids)
            if name == "historical"
            else order,
            places,
            scenario.movement,
            _minute_of_day(scenario.start),
        )
        for name, trip in trips.items()
    }


def _pareto_front(
    scenario: Scenario, er: EdgeRisk, table: RiskTable, progress: Progress
) -> list[dict[str, float]]:
    """Expected incidents against value saved over a sweep of incident prices."""
    prices = pareto_prices(
        table,
        origin_vehicles(scenario),
        _origin_lots(scenario),
        incident_usd=scenario.prices.incident_usd,
        num_points=scenario.solver.pareto_points,
    )

    def solve(price: float) -> LoadPlan:
        return _solve_loads(scenario, table, price, PARETO_TIME_SHARE)

    def incidents(lp: LoadPlan) -> float:
        return _column_schedule(scenario, er, lp, named=False)[1].expected_incidents

    return pareto_front(prices, solve, incidents, progress)


def _minute_of_day(t: datetime) -> int:
    return t.hour * 60 + t.minute


def _leg_km(scenario: Scenario, edge: int) -> float:
    return float(scenario.roads.edge_length_m[edge]) / 1000.0


def _leg_nodes(trip: Trip) -> list[tuple[int, int]]:
    return leg_nodes(trip.model, trip.trip.trajectory)


# ---------------------------------------------------------------------------------
# plan.json


def _iso(scenario: Scenario, minutes: float) -> str:
    t = scenario.start + timedelta(minutes=float(minutes))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(scenario: Scenario, trip: Trip) -> dict[str, Any]:
    legs = trip.trip.trajectory.legs
    exp = trip.trip.exposure
    depart, arrive = legs[0].depart_min, legs[-1].arrive_min
    distance = sum(_leg_km(scenario, leg.edge) for leg in legs)
    return {
        "expected_incidents": exp.total,
        "expected_ied_incidents": exp.ied,
        "expected_ambush_incidents": exp.ambush,
        "expected_ambush_moving": exp.ambush_moving,
        "expected_ambush_halted": exp.ambush_halted,
        "depart": _iso(scenario, depart),
        "arrive": _iso(scenario, arrive),
        "travel_days": (arrive - depart) / 1440.0,
        "distance_km": distance,
        "vehicles_moving": len(trip.vehicle_ids),
        "value_carried": trip.value_carried,
        "value_left_behind": trip.value_left_behind,
        "feasible": True,
        "note": trip.note,
    }


class _Lonlat:
    def __init__(self, scenario: Scenario) -> None:
        self.t = Transformer.from_crs(scenario.roads.crs, "EPSG:4326", always_xy=True)

    def __call__(self, xy: np.ndarray) -> list[list[float]]:
        lon, lat = self.t.transform(xy[:, 0], xy[:, 1])
        return [
            [round(float(a), 6), round(float(b), 6)]
            for a, b in zip(lon, lat, strict=True)
        ]


def _edge_xy(scenario: Scenario, edge: int, reverse: bool) -> np.ndarray:
    xy = np.asarray(scenario.roads.edge_geometry[edge].coords, dtype=np.float64)[:, :2]
    return xy[::-1] if reverse else xy


def _trip_body(
    scenario: Scenario, trip: Trip, er: EdgeRisk, lonlat: _Lonlat
) -> dict[str, Any]:
    names = _node_names(scenario)
    m = trip.model
    exp = trip.trip.exposure
    legs_out = []
    risk_rows = []
    traj_rows = []
    km = 0.0
    for i, (leg, (a, b)) in enumerate(
        zip(trip.trip.trajectory.legs, _leg_nodes(trip), strict=True)
    ):
        e = leg.edge
        reverse = a != int(m.edge_u[e])
        length_km = _leg_km(scenario, e)
        legs_out.append(
            {
                "from": names.get(a, f"km {km:.0f}"),
                "to": names.get(b, f"km {km + length_km:.0f}"),
                "from_node": a,
                "to_node": b,
                "depart": _iso(scenario, leg.depart_min),
                "arrive": _iso(scenario, leg.arrive_min),
                "mode": leg.mode,
                "length_km": length_km,
                "speed_kph": leg.speed_kph,
                "expected_ied": float(exp.leg_ied[i]),
                "expected_ambush": float(exp.leg_ambush[i]),
                "road": scenario.roads.edge_name[e],
                "coords": lonlat(_edge_xy(scenario, e, reverse)),
            }
        )
        if not traj_rows or traj_rows[-1]["time"] != _iso(scenario, leg.depart_min):
            traj_rows.append({"time": _iso(scenario, leg.depart_min), "km": km})
        # 250 m pieces of the edge, in the direction of travel
        lo, hi = int(er.offsets[e]), int(er.offsets[e + 1])
        s = er.s_m[lo:hi]
        ied, amb = er.ied[lo:hi], er.ambush[lo:hi]
        if reverse:
            s = s[-1] - s[::-1]
            ied, amb = ied[::-1], amb[::-1]
        f = 1.0 if leg.mode == "normal" else m.clearance_ied_factor
        span = leg.arrive_min - leg.depart_min
        line = scenario.roads.edge_geometry[e]
        pos = np.asarray(s if not reverse else line.length - s)
        pts = np.asarray([line.interpolate(p).coords[0][:2] for p in pos])
        ll = lonlat(pts)
        day_km, night_km = m.column_day_km, m.column_night_km
        col_km = day_km if m.is_daylight(leg.depart_min, leg.arrive_min) else night_km
        for j in range(len(s) - 1):
            d_km = (s[j + 1] - s[j]) / 1000.0
            t_head = leg.depart_min + span * (s[j] / max(s[-1], 1e-9))
            hour = int(((_minute_of_day(scenario.start) + t_head) // 60) % 24)
            ied_km = 0.5 * (ied[j] + ied[j + 1]) * er.diurnal_ied[hour] * f
            amb_kmh = 0.5 * (amb[j] + amb[j + 1]) * er.diurnal_ambush[hour]
            risk_rows.append(
                {
                    "km_from": km + s[j] / 1000.0,
                    "km_to": km + s[j + 1] / 1000.0,
                    "head_time": _iso(scenario, t_head),
                    "ied_per_km": ied_km,
                    "ambush_per_km_h": amb_kmh,
                    "expected": ied_km * d_km + amb_kmh * d_km * col_km / leg.speed_kph,
                    "coords": [ll[j], ll[j + 1]],
                }
            )
        km += length_km
        traj_rows.append({"time": _iso(scenario, leg.arrive_min), "km": km})
    node_ll = lonlat(np.asarray(scenario.roads.node_xy, dtype=np.float64))
    halts_out = []
    km_at: dict[int, float] = {}
    done = 0.0
    for leg_out in legs_out:
        done += leg_out["length_km"]
        km_at.setdefault(leg_out["to_node"], done)
    for j, h in enumerate(trip.trip.trajectory.halts):
        halts_out.append(
            {
                "site": names.get(h.node, f"laager at km {km_at.get(h.node, 0.0):.0f}"),
                "node": h.node,
                "lon": node_ll[h.node][0],
                "lat": node_ll[h.node][1],
                "start": _iso(scenario, h.start_min),
                "end": _iso(scenario, h.end_min),
                "hours": (h.end_min - h.start_min) / 60.0,
                "expected_ambush": float(exp.halt_ambush[j]),
            }
        )
    return {
        "summary": _summary(scenario, trip),
        "legs": legs_out,
        "halts": halts_out,
        "risk_along_route": risk_rows,
        "trajectory": traj_rows,
    }


def _march_rows(sc: Scenario, rows: list[MarchRow]) -> list[dict[str, Any]]:
    return [
        {
            "unit": r.unit,
            "serial": r.serial,
            "checkpoint": r.checkpoint,
            "kind": r.kind,
            "km": r.km,
            "head_arrival": _iso(sc, r.head_arrival_min),
            "tail_clearance": _iso(sc, r.tail_clearance_min),
            "pass_time_min": r.pass_time_min,
            "halt_until": (
                None if r.halt_until_min is None else _iso(sc, r.halt_until_min)
            ),
        }
        for r in rows
    ]


def _versions() -> dict[str, str]:
    import numba
    import ortools

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "ortools": ortools.__version__,
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    """
    The plan.json document (docs/plan-json.md).

    Deterministic: no wall-clock time, no absolute paths that vary between runs
    other than the scenario's own folder.
    """
    sc = plan.scenario
    lonlat = _Lonlat(sc)
    files = sc.files
    inputs = {}
    for p in (
        files.scenario,
        files.roads,
        files.sites,
        files.events,
        files.fleet,
        files.manifest,
    ):
        inputs[p.name] = file_sha256(p)
    plans = {
        name: _trip_body(sc, trip, plan.edge_risk, lonlat)
        for name, trip in plan.trips.items()
    }
    by_vehicle: dict[str, list[str]] = {}
    for d in plan.loadout.lots:
        if d.vehicle_id is not None:
            by_vehicle.setdefault(d.vehicle_id, []).append(d.lot_id)
    vtype = {v.id: v.type for v in sc.vehicles}
    loads = [
        {
            "vehicle": v.vehicle_id,
            "type": vtype[v.vehicle_id],
            "status": v.status,
            "towed_by": v.towed_by,
            "tows": v.tows,
            "lots": by_vehicle.get(v.vehicle_id, []),
            "load_kg": v.load_kg,
            "deck_m2": v.load_m2,
            "seats_used": v.seats_used,
            "value_usd": v.value_usd,
        }
        for v in plan.loadout.vehicles
    ]
    lot_by_id = {lot.id: lot for lot in sc.lots}
    veh_by_id = {v.id: v for v in sc.vehicles}
    left = []
    for d in plan.loadout.lots:
        if d.disposition == "carried":
            continue
        lot = lot_by_id[d.lot_id]
        left.append(
            {
                "kind": "lot",
                "id": lot.id,
                "category": lot.category,
                "camp": lot.camp,
                "weight_kg": lot.weight_kg,
                "deck_m2": lot.deck_m2,
                "value_usd": lot.value_usd,
                "disposition": d.disposition,
                "reason": d.reason,
            }
        )
    for v in plan.loadout.vehicles:
        if v.status in ("moving", "towed"):
            continue
        veh = veh_by_id[v.vehicle_id]
        left.append(
            {
                "kind": "vehicle",
                "id": veh.id,
                "category": veh.type,
                "camp": veh.camp,
                "weight_kg": 0.0,
                "deck_m2": 0.0,
                "value_usd": veh.value_usd,
                "disposition": v.status,
                "reason": (
                    "not roadworthy and no recovery vehicle free to tow it"
                    if not veh.roadworthy
                    else "its value does not pay for the risk it adds"
                ),
            }
        )
    march = _march_rows(sc, plan.march_rows)
    plans["optimised"]["march_table"] = march
    for name, rows in plan.baseline_march.items():
        plans[name]["march_table"] = _march_rows(sc, rows)
    units = [
        {
            "unit": u.name,
            "serial": u.serial,
            "vehicles": list(u.vehicle_ids),
            "length_km": u.length_m / 1000.0,
            "start_offset_min": u.offset_min,
        }
        for u in plan.march_units
    ]
    lp = plan.loadout
    return {
        "format": "convoy-plan/1",
        "convoy_version": convoy.__version__,
        "versions": _versions(),
        "scenario": {
            "name": sc.name,
            "title": sc.title,
            "path": str(files.scenario.parent.resolve()),
            "start": _iso(sc, 0.0),
            "deadline": _iso(sc, sc.horizon_min),
            "origin": sc.origin,
            "destination": sc.destination,
            "air_cover": sc.air_cover,
            "personnel": sc.personnel,
            "seed": sc.seed,
            "crs": sc.roads.crs.to_string(),
            "inputs": inputs,
        },
        "calibration": {
            "scale_ied": plan.calibration.scale_ied,
            "scale_ambush": plan.calibration.scale_ambush,
            "calibrated": plan.calibration.calibrated,
            "reference": "historical",
            "target_ied_incidents": plan.calibration.target_ied_incidents,
        },
        "summary": plans["optimised"]["summary"],
        "baselines": {
            name: plans[name]["summary"] for name in BASELINE_NAMES if name in plans
        },
        "plans": plans,
        "march_table": march,
        "march_units": units,
        "loads": loads,
        "left_behind": left,
        "loadout": {
            "status": lp.status,
            "objective": lp.objective_usd,
            "bound": lp.bound_usd,
            "gap": lp.gap,
            "method": lp.method,
            "departure_delay_min": lp.departure_delay_min,
            "destruction_team_hours": lp.destruction_team_hours,
            "expected_incidents_table": lp.expected_incidents,
            "incident_usd": sc.prices.incident_usd,
        },
        "risk_table": {
            "num_vehicles": plan.risk_table.num_vehicles.tolist(),
            "delay_min": plan.risk_table.delay_min.tolist(),
            "incidents": np.where(
                np.isfinite(plan.risk_table.incidents),
                plan.risk_table.incidents,
                math.nan,
            ).tolist(),
        },
        "pareto": plan.pareto,
        "notes": plan.notes,
        "windows": [list(w) for w in sc.movement.windows],
        "daylight": [sc.movement.day_start, sc.movement.day_end],
        "start_minute_of_day": parse_hhmm(sc.start.strftime("%H:%M")),
    }

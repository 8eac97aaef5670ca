"""The scenario, unpacked: the one place below the CLI that opens a ``Scenario``.

Every function the planner calls below this package takes the records, arrays and
parameters it uses. The functions here turn a :class:`~convoy.scenario.Scenario`
into those inputs (:func:`scenario_risk_field`, :func:`scenario_exposure_model`,
:func:`plan_scenario_schedule`, :func:`scenario_calibration`,
:func:`calibrated_risk_field`, :func:`scenario_risk_table`, the column's running
costs, the contracted search graph); ``_trip_reference`` is the one function that
unpacks a reference trip (``[[reference_trips]]`` or ``[calibration]``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from convoy.baselines import Trip, fast_baseline_sizes
from convoy.calibrate import (
    Calibration,
    LooRow,
    TripFit,
    fit_scales,
    leave_one_out,
    reference_route,
    reference_trip,
)
from convoy.errors import Problem, ScenarioError
from convoy.loadout import LoadPlan, RiskTable, choose_loadout
from convoy.loadout.risk_table import tabulate_risk
from convoy.march import leg_nodes
from convoy.params import fuel_l_per_km
from convoy.risk.edges import EdgeRisk, edge_risk
from convoy.risk.field import RiskField, risk_field_from_events
from convoy.scenario import Lot, ReferenceTrip, Scenario, Vehicle
from convoy.schedule import (
    Exposure,
    ExposureModel,
    Schedule,
    Trajectory,
    build_exposure_model,
    column_costs,
    column_lengths_km,
    column_surface_speeds,
    plan_schedule,
    trajectory_exposure,
)
from convoy.schedule.contract import Contraction, contract_model
from convoy.schedule.search import check_size, search_size

#: A callback told what the planner is doing, for a progress display.
Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


def origin_vehicles(scenario: Scenario) -> list[Vehicle]:
    """Vehicles at the origin camp, in input order."""
    return [v for v in scenario.vehicles if v.camp == scenario.origin]


def _origin_lots(scenario: Scenario) -> list[Lot]:
    return [lot for lot in scenario.lots if lot.camp == scenario.origin]


def node_names(scenario: Scenario) -> dict[int, str]:
    """Road node -> the name of the site on it (camps and destination first)."""
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


def scenario_edge_risk(scenario: Scenario, field: RiskField) -> EdgeRisk:
    """
    The risk tables along the scenario's roads, with the ``[risk]`` background.

    Examples
    --------
    >>> er = scenario_edge_risk(scn, scenario_risk_field(scn))  # doctest: +SKIP
    """
    risk = scenario.risk
    return edge_risk(
        field,
        scenario.roads,
        risk.edge_sample_m,
        background_factor=risk.background_factor if risk.background else 0.0,
        surface_factors=risk.surface_background_factors(),
    )


def ied_reference_km(scenario: Scenario) -> float:
    """
    Day length of the column the IED channel is calibrated on, in km.

    The reference trip's column (``[calibration] vehicles``, the first ones at the
    origin) when the scenario has one, else every roadworthy vehicle at the origin.
    """
    moving = [
        v for v in scenario.vehicles if v.roadworthy and v.camp == scenario.origin
    ]
    trip = scenario.reference_trip
    if trip is not None:
        moving = origin_vehicles(scenario)[: trip.vehicles] or moving
    if not moving:
        return 0.0
    return column_lengths_km([v.length_m for v in moving], scenario.movement)[0]


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
    too_small = set(halt_sites_too_small(scenario, len(moving)))
    return build_exposure_model(
        roads,
        edge_risk,
        surface_speed_kph=column_surface_speeds([v.speed_kph for v in moving]),
        vehicle_lengths_m=[v.length_m for v in moving],
        halt_sites=[
            s.name
            for s in scenario.sites
            if s.can_halt and s.name in roads.site_node and s.name not in too_small
        ],
        start=scenario.start,
        movement=scenario.movement,
        risk_params=scenario.risk,
        costs=column_costs(
            [v.reliability for v in moving],
            [
                fuel_l_per_km(v.type) if v.fuel_l_per_km is None else v.fuel_l_per_km
                for v in moving
            ],
            scenario.prices,
        ),
        ied_reference_km=ied_reference_km(scenario),
        clearance_teams=clearance_teams(scenario, moving),
    )


def clearance_teams(scenario: Scenario, moving: Sequence[Vehicle]) -> int:
    """
    Route clearance teams of a column (``[movement] clearance_team_vehicles`` each).

    Its self-propelled vehicles of role ``route_clearance`` (fleet.csv) count; a
    towed one does not clear.
    """
    n = sum(1 for v in moving if v.role == "route_clearance" and v.roadworthy)
    return scenario.movement.clearance_teams(n)


def clearance_note(scenario: Scenario, vehicle_ids: Sequence[str]) -> str:
    """How the column clears its route: its teams, their speed, or why none."""
    by_id = {v.id: v for v in scenario.vehicles}
    moving = [by_id[i] for i in vehicle_ids if i in by_id]
    n = sum(1 for v in moving if v.role == "route_clearance" and v.roadworthy)
    m = scenario.movement
    teams = clearance_teams(scenario, moving)
    if teams == 0:
        return (
            f"no route clearance: the column has {n} route_clearance vehicles "
            f"(fleet.csv role), fewer than a team of {m.clearance_team_vehicles} "
            "([movement] clearance_team_vehicles); every leg is driven normally"
        )
    return (
        f"route clearance: {n} route_clearance vehicles make {teams} team(s) of "
        f"{m.clearance_team_vehicles}, clearing at "
        f"{m.clearance_speed_for(teams):g} km/h with the IED channel x "
        f"{m.clearance_ied_factor:g}"
    )


def halt_sites_too_small(scenario: Scenario, num_vehicles: int) -> list[str]:
    """
    Halt sites that cannot hold a column of ``num_vehicles``.

    A site's ``capacity`` property, else ``[movement] halt_capacity_vehicles``.
    Camps and the destination hold the whole force. The column may not laager at
    such a site; it may still halt there at the roadside
    (``[movement] roadside_halt_factor``).
    """
    default = scenario.movement.halt_capacity_vehicles
    return [
        s.name
        for s in scenario.sites
        if s.kind == "halt"
        and (default if s.capacity is None else s.capacity) < num_vehicles
    ]


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
    """A reference trip in minutes, edges, waypoint anchors and vehicle ids."""

    depart_min: float
    arrive_min: float
    route_edges: tuple[int, ...]
    vehicle_ids: tuple[str, ...]
    origin: int = 0
    anchors: tuple[tuple[int, float], ...] = ()
    mode: str = "normal"


def reference_vehicles(scenario: Scenario, trip: ReferenceTrip) -> tuple[str, ...]:
    """
    The vehicles of a reference column: its listed ids, or a representative draw.

    A count is drawn from the vehicles at the trip's first site (the whole fleet
    when fewer are there), stratified by type: each type gets its share of the
    count by largest remainder (ties by type name), and its vehicles are drawn
    at random, seeded by the scenario seed and the trip's name, so the same
    scenario draws the same column. A count at least the pool's size takes the
    whole pool, and so does an unknown count (0). Ids come back in fleet order.

    Examples
    --------
    >>> reference_vehicles(scenario, scenario.reference_trip)[:2]  # doctest: +SKIP
    ('V001', 'V002')
    """
    if trip.vehicle_ids:
        return trip.vehicle_ids
    here = [v for v in scenario.vehicles if v.camp == trip.route[0]]
    pool = here if here and len(here) >= trip.vehicles else list(scenario.vehicles)
    if not trip.vehicles or trip.vehicles >= len(pool):
        return tuple(v.id for v in pool)
    by_type: dict[str, list[int]] = {}
    for i, v in enumerate(pool):
        by_type.setdefault(v.type, []).append(i)
    quota = {t: trip.vehicles * len(ix) / len(pool) for t, ix in by_type.items()}
    take = {t: math.floor(q) for t, q in quota.items()}
    rest = trip.vehicles - sum(take.values())
    for t in sorted(quota, key=lambda t: (-(quota[t] - take[t]), t))[:rest]:
        take[t] += 1
    rng = np.random.default_rng([scenario.seed, zlib.crc32(trip.name.encode())])
    chosen: list[int] = []
    for t in sorted(by_type):
        ix = by_type[t]
        chosen += [ix[k] for k in rng.choice(len(ix), size=take[t], replace=False)]
    return tuple(pool[i].id for i in sorted(chosen))


def _trip_reference(scenario: Scenario, trip: ReferenceTrip) -> _Reference:
    """One reference trip unpacked: route edges, waypoint anchors, vehicles."""
    roads, start = scenario.roads, scenario.start
    route = list(trip.route)
    counts = [0]
    for a, b in itertools.pairwise(route):
        counts.append(counts[-1] + len(reference_route(roads, [a, b], a, b)))
    edges = reference_route(roads, route, route[0], route[-1])
    anchors: list[tuple[int, float]] = []
    cursor = 0
    marks = trip.anchors()
    for w in marks:
        cursor = route.index(w.site, cursor)
        anchors.append((counts[cursor], (w.time - start).total_seconds() / 60.0))
    return _Reference(
        anchors[0][1],
        anchors[-1][1],
        edges,
        reference_vehicles(scenario, trip),
        int(roads.site_node[route[0]]),
        tuple(anchors[1:-1]),
        trip.mode,
    )


def _reference(scenario: Scenario) -> _Reference:
    """The historical trip unpacked (the first reference trip origin to destination)."""
    trip = scenario.reference_trip
    if trip is None:  # read_scenario refuses a bad trip when calibration is on
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "depart",
                "a reference trip (depart before arrive, ISO 8601 UTC times)",
                f"{scenario.calibration.depart!r} to {scenario.calibration.arrive!r}",
            )
        )
    return _trip_reference(scenario, trip)


def price_reference_trip(
    scenario: Scenario, er: EdgeRisk, trip: ReferenceTrip
) -> tuple[ExposureModel, Trajectory, Exposure]:
    """A reference trip rebuilt (waypoints, mode) and priced on ``er``."""
    ref = _trip_reference(scenario, trip)
    return reference_trip(
        scenario_exposure_model(scenario, er, vehicle_ids=ref.vehicle_ids),
        ref.origin,
        ref.route_edges,
        ref.depart_min,
        ref.arrive_min,
        scenario.movement.window_minutes(),
        anchors=ref.anchors,
        mode=ref.mode,
    )


def reference_fits(scenario: Scenario, er: EdgeRisk) -> list[TripFit]:
    """
    Every reference trip's expected incidents at scale 1 and its observed counts.

    Each trip is priced under its own air cover (``ReferenceTrip.air_cover``):
    the field carries the scenario's, a constant factor on the ambush channel
    (``[risk] air_cover_ambush_factor``), which is taken out or put in here, so
    calibration does not cancel the air cover a plan is given.
    """
    factor = scenario.risk.air_cover_ambush_factor
    field_m = factor if scenario.air_cover else 1.0
    out: list[TripFit] = []
    for trip in scenario.reference_trips:
        _m, _t, exp = price_reference_trip(scenario, er, trip)
        own_m = factor if trip.air_cover else 1.0
        amb = exp.ambush * own_m / field_m if field_m > 0 else 0.0
        out.append(
            TripFit(
                trip.name,
                exp.ied / er.scale_ied if er.scale_ied else 0.0,
                amb / er.scale_ambush if er.scale_ambush else 0.0,
                trip.ied_incidents,
                trip.ambush_incidents,
                trip.used_for_calibration,
                trip.holdout,
            )
        )
    return out


def scenario_calibration(scenario: Scenario, edge_risk: EdgeRisk) -> Calibration:
    """
    Calibrate a scenario's risk to its reference trips (jointly, Poisson).

    ``edge_risk`` may carry any scales; the result is absolute. Every reference
    trip is rebuilt and priced at scale 1; the trips marked for calibration (and
    not held out) set each channel's scale by :func:`convoy.calibrate.fit_scales`.
    With ``[calibration] enabled = false``, or no trip marked for calibration,
    the scenario's ``[risk] scale_ied`` and ``scale_ambush`` are used as given
    (both must then be set).

    Raises
    ------
    ScenarioError
        If the scales are needed and not given, a reference trip is malformed,
        or the trips see no risk at all (no events near their routes).

    Examples
    --------
    >>> cal = scenario_calibration(scenario, edge_risk)  # doctest: +SKIP
    >>> table = edge_risk.with_scales(cal.scale_ied, cal.scale_ambush)  # doctest: +SKIP
    """
    cal, risk = scenario.calibration, scenario.risk
    trips = scenario.reference_trips
    ref = _reference(scenario)
    hist = scenario.reference_trip
    assert hist is not None  # _reference raised otherwise
    _m, traj, _exp = price_reference_trip(scenario, edge_risk, hist)
    fits = reference_fits(scenario, edge_risk)
    target = hist.ied_incidents or 0.0
    if not cal.enabled or not any(t.used_for_calibration for t in trips):
        if risk.scale_ied is None or risk.scale_ambush is None:
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    "[risk]",
                    "scale_ied, scale_ambush",
                    "both set when [calibration] enabled = false or no reference "
                    "trip is marked calibrate = true",
                    "missing",
                )
            )
        return Calibration(
            risk.scale_ied,
            risk.scale_ambush,
            False,
            target,
            ref.vehicle_ids,
            ref.route_edges,
            traj,
            trips=tuple(fits),
            interval=cal.interval,
            historical=hist.name,
        )
    where = "[calibration]" if hist.where == "[calibration]" else "[[reference_trips]]"
    channels = fit_scales(
        fits,
        ambush_per_ied=risk.ambush_per_ied,
        interval=cal.interval,
        prior_shape=cal.prior_shape,
        where=where,
    )
    return Calibration(
        channels[0].scale,
        channels[1].scale,
        True,
        target,
        ref.vehicle_ids,
        ref.route_edges,
        traj,
        channels=channels,
        trips=tuple(fits),
        interval=cal.interval,
        historical=hist.name,
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
    cal = scenario_calibration(scenario, scenario_edge_risk(scenario, f))
    return f.with_scales(cal.scale_ied, cal.scale_ambush)


def _historical_trip(
    scenario: Scenario, edge_risk: EdgeRisk
) -> tuple[ExposureModel, Trajectory]:
    """The historical trip priced on ``edge_risk``: its model and trajectory."""
    trip = scenario.reference_trip
    if trip is None:
        _reference(scenario)  # raises the reference trip's problem
    assert trip is not None
    model, traj, _exp = price_reference_trip(scenario, edge_risk, trip)
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
        node_names=node_names(scenario),
        progress=progress,
        prepare=lambda m: contracted_model(scenario, m).model,
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


def contracted_model(scenario: Scenario, model: ExposureModel) -> Contraction:
    """
    ``model`` with its chains of two-way nodes merged (:mod:`convoy.schedule.contract`).

    Every site (camps, checkpoints, halt sites, the destination) stays a node, so
    the legs and the march table still pass them.
    """
    keep = set(scenario.roads.site_node.values()) | set(_end_nodes(scenario))
    return contract_model(model, sorted(keep))


def _column_schedule(
    scenario: Scenario,
    er: EdgeRisk,
    loadout: LoadPlan,
    *,
    named: bool = True,
    latest_depart_min: float | None = None,
    costs_read: Literal["each", "best"] = "each",
    baselines: bool = False,
) -> tuple[ExposureModel, Contraction, Schedule]:
    """
    The optimal schedule of the column ``loadout`` moves, after destruction.

    The search runs on the contracted model (one step of rounding per chain, not
    per piece of road); the schedule's edges are the contraction's, and
    :func:`convoy.schedule.contract.expand_trajectory` gives its trajectory on the
    road network's edges. ``costs_read="best"`` when nothing reads the schedule's
    ``cost_by_departure`` (see :func:`convoy.schedule.search.plan_schedule`).
    With ``baselines`` the fast baselines' searches on the same column
    (:func:`convoy.baselines.fast_baselines`) are counted with its own, and a
    plan any of them would put over the state limit is refused before the
    column's search runs.
    """
    origin, dest = _end_nodes(scenario)
    model = scenario_exposure_model(scenario, er, vehicle_ids=loadout.moving_ids)
    contraction = contracted_model(scenario, model)
    if baselines:
        own = search_size(
            contraction.model,
            origin,
            dest,
            horizon_min=scenario.horizon_min,
            movement=scenario.movement,
            earliest_depart_min=loadout.departure_delay_min,
            latest_depart_min=latest_depart_min,
            costs_read=costs_read,
        )
        fast = fast_baseline_sizes(
            contraction.model,
            origin,
            dest,
            horizon_min=scenario.horizon_min,
            movement=scenario.movement,
            depart_min=loadout.departure_delay_min,
        )
        for what, size in [("for the chosen column", own), *fast]:
            check_size(
                size,
                what,
                "the risk table's searches ran, neither this column's nor its "
                "baselines' did",
            )
    schedule = plan_schedule(
        contraction.model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        earliest_depart_min=loadout.departure_delay_min,
        latest_depart_min=latest_depart_min,
        start=scenario.start,
        node_names=node_names(scenario) if named else None,
        costs_read=costs_read,
    )
    return model, contraction, schedule


def _capacity_hint(scenario: Scenario) -> str:
    """Why halts are scarce, when halt sites are too small and roadside halts off."""
    n = sum(1 for v in scenario.vehicles if v.roadworthy and v.camp == scenario.origin)
    small = halt_sites_too_small(scenario, n)
    if not small or scenario.movement.roadside_halt_factor > 0:
        return ""
    return (
        f"the halt sites {', '.join(small)} hold fewer than the {n} roadworthy "
        f"vehicles at {scenario.origin} (their 'capacity', else [movement] "
        f"halt_capacity_vehicles = {scenario.movement.halt_capacity_vehicles}) "
        "and [movement] roadside_halt_factor = 0 forbids halts at the roadside"
    )


def revisit_note(
    model: ExposureModel, schedule: Schedule, names: dict[int, str]
) -> str:
    """
    Why the optimised route passes a node twice, or "" when it does not.

    The search revisits a node only when that is cheaper under the objective
    (expected incidents plus the priced km and crew hours) than any route that
    does not; the note says so and names the nodes.
    """
    path = schedule.node_path
    halted = {h[0] for h in schedule.halts}
    # into a halt site off the road and back out is no loop: its junction is free
    spur = {
        path[i - 1]
        for i in range(1, len(path) - 1)
        if path[i - 1] == path[i + 1] and path[i] in halted
    }
    twice = sorted(
        {
            n
            for n in path
            if path.count(n) > 1 and not (n in spur and path.count(n) == 2)
        }
    )
    if not twice:
        return ""
    where = ", ".join(names.get(n, f"node {n}") for n in twice)
    return (
        f"optimised: the route passes {where} more than once: with the running "
        f"cost priced ({model.km_price:.2g} incidents per km, "
        f"{model.hour_price:.2g} per hour) that is cheaper than any route that "
        "does not, e.g. to wait for a safer hour on a road of little risk"
    )


def minute_of_day(t: datetime) -> int:
    """Minutes since midnight UTC of ``t`` (whole minutes)."""
    return t.hour * 60 + t.minute


def leg_km(scenario: Scenario, edge: int) -> float:
    """Length of road edge ``edge`` in km."""
    return float(scenario.roads.edge_length_m[edge]) / 1000.0


def trip_leg_nodes(trip: Trip) -> list[tuple[int, int]]:
    """(from, to) node of each leg of a priced trip, in the order driven."""
    return leg_nodes(trip.model, trip.trip.trajectory)


@dataclass(frozen=True, slots=True)
class ModelValidation:
    """
    Leave-one-out over a scenario's reference trips (:func:`validate_reference_trips`).

    Parameters
    ----------
    rows
        One row per observed count of each trip.
    unobserved
        Trips with no observed count, with their expected incidents under the full
        calibration: (name, IED, ambush); they cannot be checked.
    interval
        Probability of the predictive intervals.
    calibration_trips
        The trips marked for calibration.
    """

    rows: tuple[LooRow, ...]
    unobserved: tuple[tuple[str, float, float], ...]
    interval: float
    calibration_trips: tuple[str, ...]


def validate_reference_trips(scenario: Scenario) -> ModelValidation:
    """
    Predict each reference trip's observed incidents from the other trips.

    Every trip is priced at scale 1 (:func:`reference_fits`); each trip with an
    observed count is predicted by the scales fitted on the other trips marked for
    calibration (a holdout trip by all of them), with the negative binomial
    predictive interval of :func:`convoy.calibrate.leave_one_out`.

    Examples
    --------
    >>> v = validate_reference_trips(read_scenario("kidal-gao"))  # doctest: +SKIP
    >>> [r.inside for r in v.rows]  # doctest: +SKIP
    [None]
    """
    field = scenario_risk_field(scenario)
    er = edge_risk(field, scenario.roads, scenario.risk.edge_sample_m)
    fits = reference_fits(scenario, er)
    cal, risk = scenario.calibration, scenario.risk
    rows = leave_one_out(
        fits,
        ambush_per_ied=risk.ambush_per_ied,
        interval=cal.interval,
        prior_shape=cal.prior_shape,
    )
    unobserved: list[tuple[str, float, float]] = []
    blind = [t for t in fits if t.observed_ied is None and t.observed_ambush is None]
    if blind:
        try:
            ied, amb = fit_scales(
                fits,
                ambush_per_ied=risk.ambush_per_ied,
                interval=cal.interval,
                prior_shape=cal.prior_shape,
            )
            unobserved = [
                (t.name, t.unit_ied * ied.scale, t.unit_ambush * amb.scale)
                for t in blind
            ]
        except ScenarioError:
            unobserved = [(t.name, math.nan, math.nan) for t in blind]
    return ModelValidation(
        tuple(rows),
        tuple(unobserved),
        cal.interval,
        tuple(t.name for t in fits if t.used),
    )


def unit_incidents(
    scenario: Scenario, field: RiskField, trip: Trip, scales: tuple[float, float]
) -> tuple[float, float]:
    """
    A priced trip's expected (IED, ambush) incidents at channel scale 1.

    ``trip`` was priced on tables with ``scales``; a channel with a positive scale
    is divided by it, one with scale 0 (no incident observed) is priced again on
    unit tables built from ``field``, so the interval of its expected incidents
    is not lost.
    """
    exp = trip.trip.exposure
    out = [
        value / s if s > 0 else math.nan
        for value, s in zip((exp.ied, exp.ambush), scales, strict=True)
    ]
    if any(math.isnan(v) for v in out):
        er = edge_risk(
            field.with_scales(1.0, 1.0), scenario.roads, scenario.risk.edge_sample_m
        )
        unit = scenario_exposure_model(scenario, er, vehicle_ids=trip.vehicle_ids)
        model = dataclasses.replace(
            trip.model,
            edge_ied=unit.edge_ied,
            edge_ambush=unit.edge_ambush,
            node_ambush=unit.node_ambush,
        )
        traj = trip.trip.trajectory
        again = trajectory_exposure(model, traj.legs, traj.halts)
        out = [
            again.ied if math.isnan(out[0]) else out[0],
            again.ambush if math.isnan(out[1]) else out[1],
        ]
    return out[0], out[1]

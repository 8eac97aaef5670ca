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

:func:`simulate_plan` runs the Monte Carlo of a planned trip (on request, of the
optimised plan inside :func:`plan_withdrawal`); :class:`convoy.document.PlanDocument`
turns the result into plan.json (docs/plan-json.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from convoy.baselines import (
    Trip,
    baseline_notes,
    fast_baselines,
    priced_trip,
)
from convoy.calibrate import Calibration, calibrate, reference_route, reference_trip
from convoy.errors import InfeasibleError, Problem, ScenarioError
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
from convoy.params import SimulationParams, fuel_l_per_km
from convoy.risk.edges import EdgeRisk, edge_risk
from convoy.risk.field import RiskField, risk_field_from_events
from convoy.scenario import Lot, Scenario, Vehicle
from convoy.schedule import (
    ExposureModel,
    Schedule,
    Trajectory,
    build_exposure_model,
    column_costs,
    column_surface_speeds,
    plan_schedule,
)
from convoy.schedule.contract import Contraction, contract_model, expand_trajectory
from convoy.simulate import (
    ColumnVehicle,
    PlannedVehicle,
    SimulationResult,
    TripExposure,
    simulate_column,
)

#: Share of ``SolverParams.time_limit_s`` given to each CP-SAT solve of the sweep.
#: A third was tried on Kidal-Gao: the points at high prices ended 5-7 % from their
#: bounds and the front was no longer monotone, so each point gets the full limit.
PARETO_TIME_SHARE = 1.0

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class Plan:
    """
    Everything :func:`plan_withdrawal` decided, with what it was decided from.

    ``schedule`` is the search's result on the contracted graph
    (``contraction.model``: chains of two-way nodes merged); ``trips`` hold the
    trajectories on the road network's own edges.
    """

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
    simulation: SimulationResult | None = None
    contraction: Contraction | None = None

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
    """The reference trip of ``[calibration]``, in minutes, edges and vehicle ids."""

    depart_min: float
    arrive_min: float
    route_edges: tuple[int, ...]
    vehicle_ids: tuple[str, ...]


def _reference(scenario: Scenario) -> _Reference:
    """The scenario's reference trip: the one place ``[calibration]`` is unpacked."""
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
    # the reference column: the first ``calibration.vehicles`` at the origin
    ids = tuple(v.id for v in origin_vehicles(scenario))[: trip.vehicles]
    route = reference_route(
        scenario.roads, list(trip.route), scenario.origin, scenario.destination
    )
    return _Reference(
        trip.depart_min(scenario.start), trip.arrive_min(scenario.start), route, ids
    )


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
    scenario: Scenario, er: EdgeRisk, loadout: LoadPlan, *, named: bool = True
) -> tuple[ExposureModel, Contraction, Schedule]:
    """
    The optimal schedule of the column ``loadout`` moves, after destruction.

    The search runs on the contracted model (one step of rounding per chain, not
    per piece of road); the schedule's edges are the contraction's, and
    :func:`convoy.schedule.contract.expand_trajectory` gives its trajectory on the
    road network's edges.
    """
    origin, dest = _end_nodes(scenario)
    model = scenario_exposure_model(scenario, er, vehicle_ids=loadout.moving_ids)
    contraction = contracted_model(scenario, model)
    schedule = plan_schedule(
        contraction.model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        earliest_depart_min=loadout.departure_delay_min,
        start=scenario.start,
        node_names=_node_names(scenario) if named else None,
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
    twice = sorted({n for n in path if path.count(n) > 1})
    if not twice:
        return ""
    where = ", ".join(names.get(n, f"node {n}") for n in twice)
    return (
        f"optimised: the route passes {where} more than once: with the running "
        f"cost priced ({model.km_price:.2g} incidents per km, "
        f"{model.hour_price:.2g} per hour) that is cheaper than any route that "
        "does not, e.g. to wait for a safer hour on a road of little risk"
    )


# ---------------------------------------------------------------------------------
# the plan


def plan_withdrawal(
    scenario: Scenario,
    *,
    pareto: bool = False,
    runs: int = 10_000,
    progress: Progress = _quiet,
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
    runs
        Monte Carlo runs of the optimised plan stored in ``Plan.simulation``
        (seeded with the scenario seed); 0 for none.
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
    try:
        return _plan_withdrawal(scenario, pareto, runs, progress)
    except InfeasibleError as exc:
        hint = _capacity_hint(scenario)
        if not hint:
            raise
        msg = f"{exc}; {hint}"
        raise InfeasibleError(msg) from None


def _plan_withdrawal(
    scenario: Scenario, pareto: bool, runs: int, progress: Progress
) -> Plan:
    """The body of :func:`plan_withdrawal`."""
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
    _model, contraction, schedule = _column_schedule(scenario, er, loadout)
    trips, notes = _trips(scenario, er, table, loadout, contraction, schedule, progress)

    progress("march tables")
    marches = _marches(scenario, loadout, trips)
    units, rows = marches["optimised"]
    front = _pareto_front(scenario, er, table, progress) if pareto else []
    plan = Plan(
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
        contraction=contraction,
    )
    if runs:
        progress(f"Monte Carlo, {runs:,} runs")
        sim = simulate_plan(
            scenario,
            trip_exposure(scenario, plan.optimised),
            planned_vehicles(loadout),
            num_runs=runs,
        )
        plan = dataclasses.replace(plan, simulation=sim)
    return plan


def _trips(
    scenario: Scenario,
    er: EdgeRisk,
    table: RiskTable,
    loadout: LoadPlan,
    contraction: Contraction,
    schedule: Schedule,
    progress: Progress,
) -> tuple[dict[str, Trip], list[str]]:
    """
    The optimised trip and the baselines, priced, with notes on the comparison.

    The optimised and fast baseline schedules are searched on the contracted
    model; their trajectories are expanded to the road network's edges, every leg
    at its exact minutes (the search's rounding to whole steps becomes waiting at
    the next halt or an earlier arrival), and priced on the original model, as
    the historical trip is.
    """
    moving = loadout.moving_ids
    values = (loadout.value_saved_usd, loadout.value_left_usd)
    model = contraction.original
    trips: dict[str, Trip] = {
        "optimised": priced_trip(
            "optimised",
            model,
            expand_trajectory(contraction, schedule.trajectory(), exact=True),
            moving,
            values,
        )
    }
    progress("baselines")
    origin, dest = _end_nodes(scenario)
    fast, notes = fast_baselines(
        contraction.model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        depart_min=loadout.departure_delay_min,
        vehicle_ids=moving,
        values=values,
    )
    trips.update(
        (
            name,
            priced_trip(
                name,
                model,
                expand_trajectory(contraction, t.trip.trajectory, exact=True),
                t.vehicle_ids,
                (t.value_carried, t.value_left_behind),
                t.note,
            ),
        )
        for name, t in fast.items()
    )
    hist_model, hist_traj = _historical_trip(scenario, er)
    hist_plan = (
        _solve_loads(scenario, table, 0.0)
        if any(v.status not in ("moving", "towed") for v in loadout.vehicles)
        else loadout
    )
    if hist_plan is not loadout and not hist_plan.proven:
        notes.append(
            f"historical: its loads (every vehicle moved, no price on incidents) are "
            f"not proven within the {100 * hist_plan.gap_target:g} % target "
            f"(status {hist_plan.status})"
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
    again = revisit_note(model, schedule, _node_names(scenario))
    if again:
        notes.append(again)
    small = halt_sites_too_small(scenario, len(moving))
    if small:
        cap = scenario.movement.halt_capacity_vehicles
        notes.append(
            f"the column of {len(moving)} vehicles is larger than the halt sites "
            f"{', '.join(small)} (capacity from the site's 'capacity' or [movement] "
            f"halt_capacity_vehicles = {cap}): it may not laager there, only halt "
            "at the roadside"
        )
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
        return _column_schedule(scenario, er, lp, named=False)[2].expected_incidents

    return pareto_front(prices, solve, incidents, progress)


def _minute_of_day(t: datetime) -> int:
    return t.hour * 60 + t.minute


def _leg_km(scenario: Scenario, edge: int) -> float:
    return float(scenario.roads.edge_length_m[edge]) / 1000.0


def _leg_nodes(trip: Trip) -> list[tuple[int, int]]:
    return leg_nodes(trip.model, trip.trip.trajectory)


# ---------------------------------------------------------------------------------
# Monte Carlo


def _whole_seconds(scenario: Scenario, minutes: float) -> datetime:
    """The time ``minutes`` after the start, to the second (as plan.json has it)."""
    t = scenario.start + timedelta(minutes=float(minutes))
    return t.replace(microsecond=0)


def trip_exposure(scenario: Scenario, trip: Trip) -> TripExposure:
    """One priced trip as the Monte Carlo takes it: the same numbers plan.json holds."""
    legs = trip.trip.trajectory.legs
    exp = trip.trip.exposure
    return TripExposure(
        plan=trip.name,
        leg_ied=tuple(float(x) for x in exp.leg_ied),
        leg_ambush=tuple(float(x) for x in exp.leg_ambush),
        halt_ambush=tuple(float(x) for x in exp.halt_ambush),
        leg_km=tuple(_leg_km(scenario, leg.edge) for leg in legs),
        planned_arrive=_whole_seconds(scenario, legs[-1].arrive_min),
        deadline=_whole_seconds(scenario, scenario.horizon_min),
    )


def planned_vehicles(loadout: LoadPlan) -> tuple[PlannedVehicle, ...]:
    """The load plan's vehicles (status and tow) in its order."""
    return tuple(
        PlannedVehicle(v.vehicle_id, v.status, v.tows) for v in loadout.vehicles
    )


def simulate_plan(
    scenario: Scenario,
    trip: TripExposure,
    vehicles: Sequence[PlannedVehicle],
    *,
    num_runs: int = 10_000,
    seed: int | None = None,
    params: SimulationParams | None = None,
) -> SimulationResult:
    """
    Monte Carlo of one planned trip, with the scenario's fleet and assumptions.

    Parameters
    ----------
    scenario
        The scenario the plan was made from: each vehicle's reliability and
        recovery role, the seed and ``[simulation]`` assumptions.
    trip
        The trip (:func:`trip_exposure`, or
        :meth:`convoy.document.PlanDocument.trip_exposure` from plan.json).
    vehicles
        The plan's loads (:func:`planned_vehicles`, or
        :meth:`convoy.document.PlanDocument.planned_vehicles`); the moving ones
        form the column.
    num_runs
        Number of runs, 1 to :data:`convoy.simulate.MAX_RUNS`.
    seed
        Seed of the generator; default the scenario's.
    params
        Assumptions; default the scenario's ``[simulation]``.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        A moving vehicle the fleet does not have, or a bad ``num_runs``.

    Examples
    --------
    >>> doc = PlanDocument.read("plan/plan.json")  # doctest: +SKIP
    >>> trip, loads = doc.trip_exposure(), doc.planned_vehicles()  # doctest: +SKIP
    >>> res = simulate_plan(sc, trip, loads)  # doctest: +SKIP
    >>> res.p_miss_deadline  # doctest: +SKIP
    0.0
    """
    by_id = {v.id: v for v in scenario.vehicles}
    column = []
    for i, pv in enumerate(vehicles):
        if pv.status != "moving":
            continue
        v = by_id.get(pv.vehicle_id)
        if v is None:
            raise ScenarioError(
                Problem(
                    "plan.json",
                    f"loads[{i}]",
                    "vehicle",
                    f"a vehicle of {scenario.files.fleet.name}",
                    repr(pv.vehicle_id),
                )
            )
        column.append(
            ColumnVehicle(v.id, v.reliability, v.can_tow, pv.tows is not None)
        )
    return simulate_column(
        trip,
        column,
        num_runs=num_runs,
        seed=scenario.seed if seed is None else int(seed),
        params=params or scenario.simulation,
    )

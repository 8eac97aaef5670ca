"""Plan a sector of several camps: routing, convoys, and each convoy's plan.

:func:`plan_sector` runs, on a scenario with ``[[camps]]``:

1. the risk field and its calibration, once for the sector (as
   :func:`convoy.plan.plan_withdrawal` does for one column);
2. the legs: for each camp, the optimal schedule of a column of its vehicles to
   the destination (departing between its opening and its closing) and back; its
   duration is the routing's travel time and a vehicle's share of its expected
   incidents, at the incident price, the routing's arc cost;
3. the fleet routing (:func:`convoy.sector.route_fleet`) over the cargo groups of
   every camp (:func:`convoy.sector.group_cargo`);
4. the convoys (:func:`convoy.sector.form_convoys`), each planned as a column of
   its own (loads by CP-SAT, exact schedule, march table) from its camp, leaving
   by its camp's closing by construction, with the empty columns that drive north
   to load (:func:`convoy.plan.sector_convoys.realise`);
5. convoys that join another camp's convoy on their way where the whole model
   finds it pays (:func:`~convoy.plan.sector_convoys.join_on_the_way`);
6. with vehicles at the destination allowed north, steps 3-5 again without them,
   and the cheaper of the two (:class:`SectorOption`);
7. the "every contingent for itself" baseline: each camp's own vehicles and lots,
   leaving on its closing day at the opening of the first movement window
   (after its destruction work), on the fastest road (the ``depart_at_once``
   baseline of that column), priced by the same model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from convoy.calibrate import Calibration, incidents_interval
from convoy.errors import InfeasibleError
from convoy.plan.inputs import (
    Progress,
    _quiet,
    scenario_calibration,
    scenario_edge_risk,
    scenario_exposure_model,
    scenario_risk_field,
    unit_incidents,
)
from convoy.plan.sector_convoys import (
    LeftLot,
    NorthConvoy,
    Realised,
    _minutes,
    _sub_scenario,
    realise,
)
from convoy.plan.withdrawal import Plan, _plan_withdrawal
from convoy.risk.edges import EdgeRisk
from convoy.risk.field import RiskField
from convoy.scenario import Camp, Scenario, Vehicle
from convoy.schedule import Schedule, plan_schedule
from convoy.sector import (
    Cargo,
    Carrier,
    ConvoyTrip,
    RoutingProblem,
    RoutingResult,
    SectorCamp,
    group_cargo,
    route_fleet,
)
from convoy.sector.bound import lower_bound
from convoy.sector.routing import DESTINATION


@dataclass(frozen=True)
class SectorPlan:
    """
    Everything :func:`plan_sector` decided.

    ``convoys`` pairs each convoy with its plan (a column from its camp);
    ``alone`` is the "every contingent for itself" baseline, a plan per camp;
    ``left`` the lots the routing left at their camps, or whose trip could not be
    made in time (the convoys' own plans list what their loads left); ``north``
    the empty columns driving north to load; ``options`` every routing that was
    realised and priced (the chosen one marked); ``vehicles_left`` vehicles that
    stay at their camp; ``routing_bound_usd`` a lower bound on the chosen
    routing's objective (:func:`convoy.sector.bound.lower_bound`);
    ``incidents_interval`` and ``alone_interval`` the calibration's 90 % interval
    of the sector's expected incidents (every column, north ones included) and of
    the baseline's (None when the scales were given, not calibrated).
    """

    scenario: Scenario
    camps: tuple[SectorCamp, ...]
    cargo: tuple[Cargo, ...]
    routing: RoutingResult
    convoys: tuple[tuple[ConvoyTrip, Plan], ...]
    left: tuple[LeftLot, ...]
    alone: tuple[tuple[str, Plan], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    north: tuple[NorthConvoy, ...] = ()
    options: tuple[SectorOption, ...] = ()
    vehicles_left: tuple[str, ...] = ()
    routing_bound_usd: float | None = None
    incidents_interval: tuple[float, float] | None = None
    alone_interval: tuple[float, float] | None = None


def _column(scenario: Scenario, camp: str) -> list[Vehicle]:
    return [v for v in scenario.vehicles if v.camp == camp and v.roadworthy]


def _legs(
    scenario: Scenario, er: EdgeRisk, camp: Camp, northbound_ids: list[str]
) -> SectorCamp:
    """A camp's legs to the destination and back, by the time-expanded search."""
    nodes = scenario.roads.site_node
    origin, dest = nodes[camp.name], nodes[scenario.destination]
    column = _column(scenario, camp.name)
    ids = [v.id for v in column] or northbound_ids
    model = scenario_exposure_model(scenario, er, vehicle_ids=ids)
    opens, closes = _minutes(scenario, camp.opens), _minutes(scenario, camp.closes)
    try:
        out = plan_schedule(
            model,
            origin,
            dest,
            horizon_min=scenario.horizon_min,
            movement=scenario.movement,
            earliest_depart_min=opens,
            latest_depart_min=closes,
            start=scenario.start,
        )
    except InfeasibleError as exc:
        msg = (
            f"camp {camp.name!r} cannot be emptied by its closing time "
            f"{camp.closes:%Y-%m-%dT%H:%MZ} and reach {scenario.destination} by the "
            f"deadline: {exc}"
        )
        raise InfeasibleError(msg) from None
    back_ids = northbound_ids or ids
    back_model = scenario_exposure_model(scenario, er, vehicle_ids=back_ids)
    try:
        back = plan_schedule(
            back_model,
            dest,
            origin,
            horizon_min=scenario.horizon_min,
            movement=scenario.movement,
            start=scenario.start,
        )
        back_min = int(back.arrive_min - back.depart_min)
        back_usd = back.expected_incidents / len(back_ids)
    except InfeasibleError:
        back_min, back_usd = int(scenario.horizon_min) + 1, 0.0
    price = scenario.prices.incident_usd
    # the last step a column can leave by the closing (the windows allow it)
    ok = np.flatnonzero(np.isfinite(out.cost_by_departure))
    ok = ok[ok * out.step_min <= closes]
    return SectorCamp(
        camp.name,
        opens,
        closes,
        int(out.arrive_min - out.depart_min),
        back_min,
        round(price * out.expected_incidents / len(ids)),
        round(price * back_usd),
        int(ok[-1] * out.step_min) if ok.size else closes,
    )


def _check_camps(
    scenario: Scenario, camps: tuple[SectorCamp, ...], cargo: list[Cargo]
) -> None:
    """A clear error for a camp whose mandatory cargo cannot leave by its closing."""
    for c in camps:
        need = [g for g in cargo if g.camp == c.name and g.mandatory]
        own = _column(scenario, c.name)
        seats = sum(v.seats for v in own)
        kg = sum(v.payload_kg for v in own)
        m2 = sum(v.deck_m2 for v in own)
        short = (
            sum(g.seats for g in need) > seats
            or sum(g.weight_kg for g in need) > kg
            or sum(g.deck_m2 for g in need) > m2
        )
        if not short:
            continue
        helpers = [v for v in scenario.vehicles if v.camp == scenario.destination]
        if not scenario.sector.northbound or not helpers:
            msg = (
                f"camp {c.name!r}: its own vehicles cannot carry its personnel and "
                "mandatory lots, and no vehicle may come north from "
                f"{scenario.destination} ([sector] northbound = false or none there)"
                "; the earliest possible closing: never, without more vehicles"
            )
            raise InfeasibleError(msg)
        earliest = scenario.start + timedelta(minutes=max(c.opens_min, c.return_min))
        if earliest > scenario.start + timedelta(minutes=c.closes_min):
            msg = (
                f"camp {c.name!r} cannot be emptied by its closing time "
                f"{scenario.start + timedelta(minutes=c.closes_min):%Y-%m-%dT%H:%MZ}: "
                "its own vehicles cannot carry its personnel and mandatory lots, and "
                f"vehicles from {scenario.destination} reach it at the earliest on "
                f"{earliest:%Y-%m-%dT%H:%MZ} (the earliest possible closing)"
            )
            raise InfeasibleError(msg)


def sector_routing_problem(
    scenario: Scenario, er: EdgeRisk, progress: Progress = _quiet
) -> tuple[tuple[SectorCamp, ...], list[Cargo], RoutingProblem]:
    """The legs, the cargo groups and the routing problem of a sector scenario."""
    sec = scenario.sector
    at_dest = [
        v for v in scenario.vehicles if v.camp == scenario.destination and v.roadworthy
    ]
    north_ids = [v.id for v in at_dest] if sec.northbound else []
    progress("legs of the sector (time-expanded search)")
    camps = tuple(_legs(scenario, er, c, north_ids) for c in scenario.camps)
    cargo = group_cargo(
        [(c.name, c.personnel) for c in scenario.camps],
        scenario.vehicles,
        scenario.lots,
        personnel_group=sec.personnel_group,
    )
    _check_camps(scenario, camps, cargo)
    names = {c.name for c in scenario.camps}
    carriers = tuple(
        Carrier(
            v.id,
            DESTINATION if v.camp == scenario.destination else v.camp,
            v.payload_kg,
            v.deck_m2,
            v.seats,
        )
        for v in scenario.vehicles
        if v.roadworthy and (v.camp in names or v.camp == scenario.destination)
    )
    solver = scenario.solver
    problem = RoutingProblem(
        camps,
        carriers,
        tuple(cargo),
        int(scenario.horizon_min),
        round(sec.vehicle_fixed_usd),
        northbound=sec.northbound,
        first_solution=solver.routing_first_solution,
        metaheuristic=solver.routing_metaheuristic,
        time_limit_s=solver.routing_time_limit_s,
        solution_limit=solver.routing_solution_limit,
        decompose_groups=solver.routing_decompose_groups,
    )
    return camps, cargo, problem


@dataclass(frozen=True, slots=True)
class SectorOption:
    """
    One routing of the sector, realised and priced by the whole model.

    ``label`` says which (``"as given"``, or without the vehicles at the
    destination); ``expected_incidents`` sums every convoy's, north ones included;
    ``value_left_usd`` the lots and vehicles left at the camps; ``cost_usd`` is
    ``incident_usd * expected_incidents + value_left_usd``.
    """

    label: str
    convoys: int
    north_convoys: int
    expected_incidents: float
    value_left_usd: float
    cost_usd: float
    chosen: bool


def _alone(
    scenario: Scenario,
    calibrated: tuple[RiskField, EdgeRisk, Calibration],
    progress: Progress,
) -> tuple[list[tuple[str, Plan]], list[str]]:
    """The "every contingent for itself" baseline: a plan per camp, and notes."""
    baseline: list[tuple[str, Plan]] = []
    notes: list[str] = []
    for c in scenario.camps:
        progress(f"every contingent for itself: {c.name}")
        day = c.closes.replace(hour=0, minute=0, second=0, microsecond=0)
        day += timedelta(minutes=min(a for a, _b in scenario.movement.window_minutes()))
        sub = _sub_scenario(
            scenario,
            c.name,
            max(day, scenario.start),
            [v for v in scenario.vehicles if v.camp == c.name],
            [lot for lot in scenario.lots if lot.camp == c.name],
            c.personnel,
        )
        try:
            baseline.append(
                (
                    c.name,
                    _plan_withdrawal(
                        sub, False, 0, _quiet, None, calibrated=calibrated
                    ),
                )
            )
        except InfeasibleError as exc:
            notes.append(f"every contingent for itself: {c.name}: {exc}")
    return baseline, notes


def plan_sector(
    scenario: Scenario,
    *,
    runs: int = 0,
    alone: bool = True,
    progress: Progress = _quiet,
) -> SectorPlan:
    """
    Plan the withdrawal of every camp of a sector scenario (``[[camps]]``).

    When vehicles at the destination may go north (``[sector] northbound``), the
    sector is routed twice, with them and without, and both routings are realised
    (convoys planned, north columns included) and priced by the whole model
    (:class:`SectorOption`); the cheaper is the plan. The routing prices a
    vehicle's share of a column's risk, while a column's expected incidents hardly
    shrink with its size: a second, smaller convoy costs almost as much as the
    first, which only the realised plans show. So allowing more vehicles never
    gives a worse plan.

    Parameters
    ----------
    scenario
        With two or more ``camps``.
    runs
        Monte Carlo runs of each convoy's plan (0: none).
    alone
        Also plan the "every contingent for itself" baseline.
    progress
        Called with a short message before each long step.

    Raises
    ------
    InfeasibleError
        A camp that cannot be emptied by its closing time (the message names it
        and the earliest possible time), or no routing solution.
    """
    progress("risk field along the roads")
    field0 = scenario_risk_field(scenario)
    er0 = scenario_edge_risk(scenario, field0)
    progress("calibration to the historical trip")
    cal = scenario_calibration(scenario, er0)
    calibrated: tuple[RiskField, EdgeRisk, Calibration] = (
        field0.with_scales(cal.scale_ied, cal.scale_ambush),
        er0.with_scales(cal.scale_ied, cal.scale_ambush),
        cal,
    )
    er = calibrated[1]
    camps, cargo, problem = sector_routing_problem(scenario, er, progress)
    problems = [("as given", problem)]
    if problem.northbound and any(c.camp == DESTINATION for c in problem.carriers):
        held = dataclasses.replace(problem, northbound=False)
        try:
            _check_camps(
                dataclasses.replace(
                    scenario,
                    sector=dataclasses.replace(scenario.sector, northbound=False),
                ),
                camps,
                cargo,
            )
        except InfeasibleError:
            pass  # the camps need the vehicles from the destination
        else:
            problems.append((f"no vehicle from {scenario.destination}", held))
    vehicle_usd = {v.id: v.value_usd for v in scenario.vehicles}
    price = scenario.prices.incident_usd
    realised: list[tuple[str, Realised, float, float]] = []
    for label, prob in problems:
        n_cars = sum(
            1 for c in prob.carriers if prob.northbound or c.camp != DESTINATION
        )
        progress(
            f"fleet routing (OR-Tools, {label}): {n_cars} vehicles, "
            f"{len(cargo)} cargo groups"
        )
        routing = route_fleet(prob)
        real = realise(scenario, calibrated, camps, cargo, routing, runs, progress)
        incidents, value = real.totals(vehicle_usd)
        realised.append((label, real, incidents, value))
    best = min(
        range(len(realised)), key=lambda i: price * realised[i][2] + realised[i][3]
    )
    options = tuple(
        SectorOption(
            label,
            len(real.convoys),
            len(real.north),
            incidents,
            value,
            price * incidents + value,
            i == best,
        )
        for i, (label, real, incidents, value) in enumerate(realised)
    )
    chosen = realised[best][1]
    notes: list[str] = []
    if any(real.routing.timed_out for _l, real, _i, _v in realised):
        notes.append(
            "fleet routing: stopped by its time limit "
            f"([solver] routing_time_limit_s = {problem.time_limit_s:g}) before "
            + (
                f"its {problem.solution_limit} solutions"
                if problem.solution_limit
                else "a local optimum"
            )
            + ", so the routes depend on the machine's speed and load; a longer "
            "limit, or a smaller [solver] routing_solution_limit, gives routes that "
            "are the same on every run"
        )
    if len(options) > 1 and best != 0:
        a, b = options[0], options[best]
        notes.append(
            f"the vehicles at {scenario.destination} stay there: sending them north "
            f"costs {a.expected_incidents - b.expected_incidents:+.2f} expected "
            f"incidents ({a.north_convoys} empty column(s) north, {a.convoys} "
            f"convoys south against {b.convoys}) for "
            f"${b.value_left_usd - a.value_left_usd:,.0f} more carried"
        )
    notes.extend(chosen.notes)
    baseline, alone_notes = (
        _alone(scenario, calibrated, progress) if alone else ([], [])
    )
    return SectorPlan(
        scenario,
        camps,
        tuple(cargo),
        chosen.routing,
        chosen.convoys,
        chosen.left,
        tuple(baseline),
        tuple(notes + alone_notes),
        chosen.north,
        options,
        chosen.vehicles_left,
        lower_bound(problems[best][1]),
        _interval(
            calibrated[2],
            [(p, "optimised") for _c, p in chosen.convoys],
            [n.schedule for n in chosen.north],
        ),
        _interval(calibrated[2], [(p, "depart_at_once") for _n, p in baseline], []),
    )


def _interval(
    cal: Calibration, trips: list[tuple[Plan, str]], schedules: list[Schedule]
) -> tuple[float, float] | None:
    """
    The calibration's interval of the summed expected incidents of several columns.

    The channels' scales are one threat level over the sector, so every column is
    at the same bound of the scales at once: the columns' incidents at scale 1 are
    summed and the interval taken of the sum
    (:func:`convoy.calibrate.incidents_interval`; it is linear, so this is the sum
    of the columns' own intervals, north columns included).
    """
    if cal.channels is None:
        return None
    scales = (cal.scale_ied, cal.scale_ambush)
    unit = [0.0, 0.0]
    for plan, name in trips:
        if name not in plan.trips:
            return None
        u = unit_incidents(plan.scenario, plan.risk_field, plan.trips[name], scales)
        unit = [unit[0] + u[0], unit[1] + u[1]]
    for sch in schedules:
        parts = (sch.ied, sch.ambush_moving + sch.ambush_halted)
        if any(v > 0 and s <= 0 for v, s in zip(parts, scales, strict=True)):
            return None
        unit = [
            unit[k] + (parts[k] / scales[k] if scales[k] > 0 else 0.0) for k in (0, 1)
        ]
    return incidents_interval(cal.channels, unit[0], unit[1])

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
   its own (loads by CP-SAT, exact schedule, march table) from its camp;
5. the "every contingent for itself" baseline: each camp's own vehicles and lots,
   leaving on its closing day at the opening of the first movement window
   (after its destruction work), on the fastest road (the ``depart_at_once``
   baseline of that column), priced by the same model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from convoy.calibrate import Calibration
from convoy.errors import InfeasibleError
from convoy.plan.inputs import (
    Progress,
    _quiet,
    scenario_calibration,
    scenario_edge_risk,
    scenario_exposure_model,
    scenario_risk_field,
)
from convoy.plan.withdrawal import Plan, _plan_withdrawal
from convoy.risk.edges import EdgeRisk
from convoy.risk.field import RiskField
from convoy.scenario import Camp, Lot, Scenario, Vehicle
from convoy.schedule import plan_schedule
from convoy.sector import (
    Cargo,
    Carrier,
    ConvoyTrip,
    RoutingProblem,
    RoutingResult,
    SectorCamp,
    form_convoys,
    group_cargo,
    route_fleet,
)
from convoy.sector.routing import DESTINATION


@dataclass(frozen=True, slots=True)
class LeftLot:
    """A lot left at its camp: destroyed (sensitive) or abandoned, and why."""

    camp: str
    lot_id: str
    category: str
    value_usd: float
    sensitive: bool
    destroy_hours: float
    reason: str


@dataclass(frozen=True)
class SectorPlan:
    """
    Everything :func:`plan_sector` decided.

    ``convoys`` pairs each convoy with its plan (a column from its camp);
    ``alone`` is the "every contingent for itself" baseline, a plan per camp;
    ``left`` the lots the routing left at their camps (the convoys' own plans
    list what their loads left).
    """

    scenario: Scenario
    camps: tuple[SectorCamp, ...]
    cargo: tuple[Cargo, ...]
    routing: RoutingResult
    convoys: tuple[tuple[ConvoyTrip, Plan], ...]
    left: tuple[LeftLot, ...]
    alone: tuple[tuple[str, Plan], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _minutes(scenario: Scenario, t: datetime) -> int:
    return int((t - scenario.start).total_seconds() // 60)


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
    return SectorCamp(
        camp.name,
        opens,
        closes,
        int(out.arrive_min - out.depart_min),
        back_min,
        round(price * out.expected_incidents / len(ids)),
        round(price * back_usd),
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
    )
    return camps, cargo, problem


def _sub_scenario(
    scenario: Scenario,
    camp: str,
    start: datetime,
    vehicles: list[Vehicle],
    lots: list[Lot],
    personnel: int,
) -> Scenario:
    """A column from ``camp``: its vehicles (moved to the camp) and lots."""
    moved = tuple(dataclasses.replace(v, camp=camp) for v in vehicles)
    here = {c.name: c for c in scenario.camps}[camp]
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name}/{camp}",
        title=f"{scenario.title}: {camp}",
        origin=camp,
        start=start,
        vehicles=moved,
        lots=tuple(lots),
        personnel=personnel,
        reference_trip=None,
        reference_trips=(),
        camps=(here,),
    )


def plan_sector(
    scenario: Scenario,
    *,
    runs: int = 0,
    alone: bool = True,
    progress: Progress = _quiet,
) -> SectorPlan:
    """
    Plan the withdrawal of every camp of a sector scenario (``[[camps]]``).

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
    progress(
        f"fleet routing (OR-Tools): {len(problem.carriers)} vehicles, "
        f"{len(cargo)} cargo groups"
    )
    routing = route_fleet(problem)
    sec = scenario.sector
    clock_notes = []
    if routing.status == "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED" and not (
        problem.solution_limit
    ):
        clock_notes.append(
            "fleet routing: stopped by its time limit "
            f"([solver] routing_time_limit_s = {problem.time_limit_s:g}) before a "
            "local optimum, so the routes depend on the machine's speed; set "
            "[solver] routing_solution_limit for routes that are the same on every run"
        )
    convoys = form_convoys(
        routing.trips,
        {c.name: c.closes_min for c in camps},
        {c.name: c.opens_min for c in camps},
        max_vehicles=sec.convoy_max_vehicles,
        groups=sec.groups,
        gap_min=round(sec.group_gap_days * 1440),
        per_road_day=sec.max_convoys_per_road_day,
    )
    by_id = {v.id: v for v in scenario.vehicles}
    lots = {lot.id: lot for lot in scenario.lots}
    planned: list[tuple[ConvoyTrip, Plan]] = []
    notes: list[str] = list(clock_notes)
    # the lots the routing left are offered again to their camp's last convoy:
    # its loads (CP-SAT, lot by lot) may fit some in room the groups left
    unrouted: dict[str, list[str]] = {}
    for g in routing.dropped:
        unrouted.setdefault(cargo[g].camp, []).extend(cargo[g].lot_ids)
    last = {conv.camp: conv.name for conv in convoys}
    for k, conv in enumerate(convoys, start=1):
        progress(f"convoy {conv.name} ({k}/{len(convoys)}): loads, schedule, march")
        groups = [cargo[g] for t in conv.trips for g in t.cargo]
        is_last = last[conv.camp] == conv.name
        extra = unrouted.get(conv.camp, []) if is_last else []
        # vehicles that cannot drive go with the last convoy: towed, or left
        broken = [
            v for v in scenario.vehicles if v.camp == conv.camp and not v.roadworthy
        ]
        sub = _sub_scenario(
            scenario,
            conv.camp,
            scenario.start + timedelta(minutes=conv.depart_min),
            [by_id[i] for i in conv.vehicle_ids] + (broken if is_last else []),
            [lots[i] for g in groups for i in g.lot_ids] + [lots[i] for i in extra],
            sum(g.seats for g in groups),
        )
        latest = float(conv.latest_min - conv.depart_min)
        try:
            plan = _plan_withdrawal(
                sub,
                False,
                runs,
                _quiet,
                None,
                calibrated=calibrated,
                latest_depart_min=latest,
            )
        except InfeasibleError:
            # destruction work or the windows push it past the closing: say so
            plan = _plan_withdrawal(
                sub, False, runs, _quiet, None, calibrated=calibrated
            )
        planned.append((conv, plan))
        leave = plan.schedule.depart_min + conv.depart_min
        if leave > conv.latest_min:
            notes.append(
                f"convoy {conv.name} leaves "
                f"{scenario.start + timedelta(minutes=leave):%d %b %H:%M}, after "
                f"{conv.camp} closes "
                f"({scenario.start + timedelta(minutes=conv.latest_min):%d %b %H:%M})"
            )
    carried = {
        d.lot_id
        for _c, plan in planned
        for d in plan.loadout.lots
        if d.disposition == "carried"
    }
    left = tuple(
        LeftLot(
            cargo[g].camp,
            i,
            lots[i].category,
            lots[i].value_usd,
            lots[i].sensitive,
            lots[i].destroy_hours if lots[i].sensitive else 0.0,
            "not routed (its value does not pay for a vehicle's trip) and no room "
            "in the camp's last convoy"
            + (": destroyed at the camp" if lots[i].sensitive else ": abandoned"),
        )
        for g in routing.dropped
        for i in cargo[g].lot_ids
        if i not in carried
    )
    baseline: list[tuple[str, Plan]] = []
    if alone:
        for c in scenario.camps:
            progress(f"every contingent for itself: {c.name}")
            day = c.closes.replace(hour=0, minute=0, second=0, microsecond=0)
            day += timedelta(
                minutes=min(a for a, _b in scenario.movement.window_minutes())
            )
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
    return SectorPlan(
        scenario,
        camps,
        tuple(cargo),
        routing,
        tuple(planned),
        left,
        tuple(baseline),
        tuple(notes),
    )

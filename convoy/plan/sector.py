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
   by its camp's closing by construction (:func:`_realise`), with the empty
   columns that drive north to load (:class:`NorthConvoy`);
5. convoys that join another camp's convoy on their way where the whole model
   finds it pays (:func:`_join_on_the_way`);
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
from datetime import datetime, timedelta

import numpy as np

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
from convoy.schedule import Schedule, plan_schedule
from convoy.sector import (
    Cargo,
    Carrier,
    ConvoyTrip,
    RoutingProblem,
    RoutingResult,
    SectorCamp,
    VehicleTrip,
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
    ``left`` the lots the routing left at their camps, or whose trip could not be
    made in time (the convoys' own plans list what their loads left); ``north``
    the empty columns driving north to load; ``options`` every routing that was
    realised and priced (the chosen one marked); ``vehicles_left`` vehicles that
    stay at their camp.
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


@dataclass(frozen=True, slots=True)
class NorthConvoy:
    """
    Vehicles driving north empty to a camp to load there: a column of their own.

    ``for_convoy`` is the convoy they load into; ``schedule`` the time-expanded
    search's plan of the column from the destination to the camp, arriving by that
    convoy's departure (its legs, halts and expected incidents).
    """

    name: str
    camp: str
    for_convoy: str
    vehicle_ids: tuple[str, ...]
    schedule: Schedule


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


@dataclass(frozen=True)
class _Realised:
    routing: RoutingResult
    convoys: tuple[tuple[ConvoyTrip, Plan], ...]
    north: tuple[NorthConvoy, ...]
    left: tuple[LeftLot, ...]
    notes: tuple[str, ...]
    vehicles_left: tuple[str, ...] = ()

    def totals(self, vehicle_usd: dict[str, float]) -> tuple[float, float]:
        """(expected incidents, value left in US dollars) of every convoy."""
        incidents = sum(
            p.trips["optimised"].trip.exposure.total for _c, p in self.convoys
        )
        incidents += sum(n.schedule.expected_incidents for n in self.north)
        with_convoy = {c.camp for c, _p in self.convoys}
        value = sum(p.loadout.value_left_usd for _c, p in self.convoys)
        value += sum(x.value_usd for x in self.left if x.camp not in with_convoy)
        value += sum(vehicle_usd[i] for i in self.vehicles_left)
        return incidents, value


def _north_column(
    scenario: Scenario,
    er: EdgeRisk,
    conv: ConvoyTrip,
    ids: list[str],
    ready_min: int,
) -> Schedule:
    """The empty column from the destination to ``conv``'s camp, in time for it."""
    nodes = scenario.roads.site_node
    model = scenario_exposure_model(scenario, er, vehicle_ids=ids)
    return plan_schedule(
        model,
        nodes[scenario.destination],
        nodes[conv.camp],
        horizon_min=conv.depart_min,
        movement=scenario.movement,
        earliest_depart_min=ready_min,
        start=scenario.start,
    )


def _merge_into(earlier: ConvoyTrip, trips: list[VehicleTrip]) -> ConvoyTrip:
    return dataclasses.replace(earlier, trips=earlier.trips + tuple(trips))


def _realise(
    scenario: Scenario,
    calibrated: tuple[RiskField, EdgeRisk, Calibration],
    camps: tuple[SectorCamp, ...],
    cargo: list[Cargo],
    routing: RoutingResult,
    runs: int,
    progress: Progress,
) -> _Realised:
    """
    The convoys of a routing, each planned by the whole model, every rule kept.

    Convoys are planned in order of departure. A convoy must leave by its camp's
    closing: when its own plan cannot (the windows, its destruction work), its
    vehicles that started at the camp join the camp's previous convoy (planned
    again) and the trips of vehicles that came north are given up, their cargo
    left at the camp with the reason. When the camp's first convoy cannot leave in
    time the camp cannot be emptied: :class:`InfeasibleError` names it and the
    earliest departure its column could make. Vehicles that come north to load
    (from the destination, or back for another trip) drive there as a column of
    their own (:class:`NorthConvoy`), planned to arrive by the convoy's departure
    after their previous trip's arrival; when none can, their trips are given up
    the same way.
    """
    sec = scenario.sector
    er = calibrated[1]
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
    notes: list[str] = []
    # the lots the routing left are offered again to their camp's last convoy:
    # its loads (CP-SAT, lot by lot) may fit some in room the groups left
    unrouted: dict[str, list[str]] = {}
    for g in routing.dropped:
        unrouted.setdefault(cargo[g].camp, []).extend(cargo[g].lot_ids)
    given_up: list[tuple[int, str]] = []  # (cargo group, reason)
    planned: dict[str, tuple[ConvoyTrip, Plan]] = {}
    north: dict[str, NorthConvoy] = {}
    arrived: dict[str, int] = {}  # vehicle id: arrival of its last planned trip
    stay: list[str] = []  # vehicles left at their camp

    def dtg(minutes: float) -> str:
        return f"{scenario.start + timedelta(minutes=minutes):%d %b %H:%M}"

    def came_north(t: VehicleTrip) -> bool:
        return t.from_north

    def plan_convoy(conv: ConvoyTrip, is_last: bool) -> Plan:
        groups = [cargo[g] for t in conv.trips for g in t.cargo]
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
        return _plan_withdrawal(
            sub,
            False,
            runs,
            _quiet,
            None,
            calibrated=calibrated,
            latest_depart_min=float(conv.latest_min - conv.depart_min),
        )

    def give_up(trips: list[VehicleTrip], why: str) -> None:
        for t in trips:
            for g in t.cargo:
                given_up.append((g, why))
                # offered again to the camp's last convoy, like unrouted lots
                unrouted.setdefault(cargo[g].camp, []).extend(cargo[g].lot_ids)

    queue = list(convoys)
    last = {conv.camp: conv.name for conv in convoys}
    k = 0
    while queue:
        conv = queue.pop(0)
        k += 1
        progress(f"convoy {conv.name} ({k}/{k + len(queue)}): loads, schedule, march")
        # the vehicles that must first come north, as a column of their own
        northern = [t for t in conv.trips if came_north(t)]
        if northern:
            ids = [t.vehicle_id for t in northern]
            ready = max(arrived.get(i, 0) for i in ids)
            try:
                col = _north_column(scenario, er, conv, ids, ready)
            except InfeasibleError:
                give_up(
                    northern,
                    "the vehicles to load it could not come north from "
                    f"{scenario.destination} in time for {conv.name} "
                    f"({dtg(conv.depart_min)})",
                )
                conv = dataclasses.replace(
                    conv, trips=tuple(t for t in conv.trips if not came_north(t))
                )
                if not conv.trips:
                    continue
            else:
                north[conv.name] = NorthConvoy(
                    f"{conv.name}-north", conv.camp, conv.name, tuple(ids), col
                )
        try:
            plan = plan_convoy(conv, last[conv.camp] == conv.name)
        except InfeasibleError as exc:
            why = str(exc)
            earlier = [c for c, _p in planned.values() if c.camp == conv.camp]
            if not earlier:
                closes = scenario.start + timedelta(minutes=conv.latest_min)
                head = (
                    f"camp {conv.camp!r} cannot be emptied by its closing time "
                    f"{closes:%Y-%m-%dT%H:%MZ}"
                )
                try:
                    free = plan_convoy(
                        dataclasses.replace(conv, latest_min=int(scenario.horizon_min)),
                        last[conv.camp] == conv.name,
                    )
                except InfeasibleError as exc:
                    msg = f"{head}: {exc}"
                    raise InfeasibleError(msg) from None
                leave = scenario.start + timedelta(
                    minutes=conv.depart_min + free.schedule.depart_min
                )
                msg = (
                    f"{head}: its first convoy can leave at the earliest on "
                    f"{leave:%Y-%m-%dT%H:%MZ} (the earliest possible closing)"
                )
                raise InfeasibleError(msg) from None
            own = [t for t in conv.trips if not came_north(t)]
            late = [t for t in conv.trips if came_north(t)]
            give_up(
                late,
                f"{conv.name} could not leave before {conv.camp} closes "
                f"({dtg(conv.latest_min)})",
            )
            north.pop(conv.name, None)
            prev = earlier[-1]
            notes.append(
                f"convoy {conv.name} cannot leave before {conv.camp} closes "
                f"({dtg(conv.latest_min)}: {why}); its {len(own)} vehicles of the "
                f"camp join {prev.name}"
                + (f", the {len(late)} that came north do not come" if late else "")
            )
            if own and len(prev.trips) + len(own) > sec.convoy_max_vehicles:
                stay.extend(t.vehicle_id for t in own)
                give_up(own, f"{conv.name} could not leave before {conv.camp} closes")
                notes.append(
                    f"{len(own)} vehicles of {conv.camp} stay there: {prev.name} "
                    f"would pass {sec.convoy_max_vehicles} vehicles"
                )
                own = []
            if own:
                del planned[prev.name]
                merged = _merge_into(prev, own)
                if last[conv.camp] == conv.name:
                    last[conv.camp] = prev.name
                queue.insert(0, merged)
                k -= 1
            elif last[conv.camp] == conv.name:
                last[conv.camp] = prev.name
                del planned[prev.name]
                queue.insert(0, prev)
                k -= 1
            continue
        planned[conv.name] = (conv, plan)
        arrive = conv.depart_min + round(
            plan.trips["optimised"].trip.trajectory.legs[-1].arrive_min
        )
        for i in conv.vehicle_ids:
            arrived[i] = arrive
    carried = {
        d.lot_id
        for _c, plan in planned.values()
        for d in plan.loadout.lots
        if d.disposition == "carried"
    }

    def left_lot(g: int, i: str, why: str) -> LeftLot:
        lot = lots[i]
        return LeftLot(
            cargo[g].camp,
            i,
            lot.category,
            lot.value_usd,
            lot.sensitive,
            lot.destroy_hours if lot.sensitive else 0.0,
            why + (": destroyed at the camp" if lot.sensitive else ": abandoned"),
        )

    not_routed = (
        "not routed (its value does not pay for a vehicle's trip) and no room "
        "in the camp's last convoy"
    )
    left = [
        left_lot(g, i, not_routed)
        for g in routing.dropped
        for i in cargo[g].lot_ids
        if i not in carried
    ]
    left += [
        left_lot(g, i, why)
        for g, why in given_up
        for i in cargo[g].lot_ids
        if i not in carried
    ]
    joined, join_notes = _join_on_the_way(
        scenario, calibrated, list(planned.values()), runs, progress
    )
    notes.extend(join_notes)
    ordered = sorted(joined, key=lambda cp: (cp[0].depart_min, cp[0].camp))
    return _Realised(
        routing,
        tuple(ordered),
        tuple(sorted(north.values(), key=lambda n: n.schedule.depart_min)),
        tuple(left),
        tuple(notes),
        tuple(stay),
    )


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
    realised: list[tuple[str, _Realised, float, float]] = []
    for label, prob in problems:
        n_cars = sum(
            1 for c in prob.carriers if prob.northbound or c.camp != DESTINATION
        )
        progress(
            f"fleet routing (OR-Tools, {label}): {n_cars} vehicles, "
            f"{len(cargo)} cargo groups"
        )
        routing = route_fleet(prob)
        real = _realise(scenario, calibrated, camps, cargo, routing, runs, progress)
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
    if (
        chosen.routing.status == "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED"
        and not problem.solution_limit
    ):
        notes.append(
            "fleet routing: stopped by its time limit "
            f"([solver] routing_time_limit_s = {problem.time_limit_s:g}) before a "
            "local optimum, so the routes depend on the machine's speed; set "
            "[solver] routing_solution_limit for routes that are the same on every run"
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
    )


def _incidents(plan: Plan) -> float:
    return plan.trips["optimised"].trip.exposure.total


def _arrival_min(conv: ConvoyTrip, plan: Plan) -> int:
    """Arrival of a convoy's planned trip, minutes after the sector's start."""
    return conv.depart_min + round(
        plan.trips["optimised"].trip.trajectory.legs[-1].arrive_min
    )


def _join_on_the_way(
    scenario: Scenario,
    calibrated: tuple[RiskField, EdgeRisk, Calibration],
    planned: list[tuple[ConvoyTrip, Plan]],
    runs: int,
    progress: Progress,
) -> tuple[list[tuple[ConvoyTrip, Plan]], list[str]]:
    """
    Convoys that join another camp's convoy on their way, where that pays.

    A column's expected incidents hardly shrink with its size, so two camps' columns
    that drive one road twice carry nearly twice the risk of one. For each pair of
    convoys A (camp a) and B (camp b) whose vehicles together stay within the
    convoy limit, A may drive to b (arriving by the last time a column can leave
    b before it closes) and leave with B as one convoy (from A's arrival, by b's
    closing), as the Chadian contingent's columns from Tessalit and Aguelhok did
    in 2023. The time-expanded search prices each pair quickly (A's column to b,
    then both from b); the most promising pair is planned by the whole model (A
    to b with its loads; then B's vehicles and lots with A's that reached b, loads
    decided again at b) and kept when it lowers ``incident_usd * expected
    incidents + value left``; repeated until no pair pays. Lots of A that the
    joint convoy leaves are left at b.
    """
    if len(planned) < 2 or not scenario.sector.join_on_the_way:
        return planned, []
    er = calibrated[1]
    nodes = scenario.roads.site_node
    dest = nodes[scenario.destination]
    price = scenario.prices.incident_usd
    limit = scenario.sector.convoy_max_vehicles
    camp_by = {c.name: c for c in scenario.camps}
    notes: list[str] = []
    tried: set[tuple[str, str]] = set()

    def moved(plan: Plan) -> list[str]:
        return [v.vehicle_id for v in plan.loadout.vehicles if v.status != "left"]

    def cost(plan: Plan) -> float:
        return price * _incidents(plan) + plan.loadout.value_left_usd

    def minutes(t: datetime) -> int:
        return _minutes(scenario, t)

    while True:
        best: tuple[float, int, int, Schedule] | None = None
        for i, (ca, pa) in enumerate(planned):
            for j, (cb, pb) in enumerate(planned):
                key = (ca.name, cb.name)
                if i == j or ca.camp == cb.camp or ca.joins or key in tried:
                    continue
                if any(c.joins == cb.name for c, _p in planned) or any(
                    c.joins == ca.name for c, _p in planned
                ):
                    continue  # one join a convoy
                ids_a, ids_b = moved(pa), moved(pb)
                if not ids_a or len(ids_a) + len(ids_b) > limit:
                    continue
                b_closes = minutes(camp_by[cb.camp].closes)
                try:
                    s1 = plan_schedule(
                        scenario_exposure_model(scenario, er, vehicle_ids=ids_a),
                        nodes[ca.camp],
                        nodes[cb.camp],
                        horizon_min=b_closes,
                        movement=scenario.movement,
                        earliest_depart_min=ca.depart_min,
                        latest_depart_min=ca.latest_min,
                        start=scenario.start,
                    )
                    s2 = plan_schedule(
                        scenario_exposure_model(
                            scenario, er, vehicle_ids=ids_a + ids_b
                        ),
                        nodes[cb.camp],
                        dest,
                        horizon_min=scenario.horizon_min,
                        movement=scenario.movement,
                        earliest_depart_min=max(cb.depart_min, s1.arrive_min),
                        latest_depart_min=cb.latest_min,
                        start=scenario.start,
                    )
                except InfeasibleError:
                    tried.add(key)
                    continue
                gain = _incidents(pa) + _incidents(pb)
                gain -= s1.expected_incidents + s2.expected_incidents
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, i, j, s1)
        if best is None:
            return planned, notes
        _gain, i, j, s1 = best
        (ca, pa), (cb, pb) = planned[i], planned[j]
        tried.add((ca.name, cb.name))
        progress(f"convoy {ca.name} joining {cb.name} at {cb.camp}")
        b_closes_t = camp_by[cb.camp].closes
        sub1 = dataclasses.replace(
            pa.scenario,
            name=f"{pa.scenario.name} to {cb.camp}",
            title=f"{pa.scenario.title} to {cb.camp}",
            destination=cb.camp,
            deadline=b_closes_t,
        )
        try:
            p1 = _plan_withdrawal(
                sub1,
                False,
                runs,
                _quiet,
                None,
                calibrated=calibrated,
                latest_depart_min=float(ca.latest_min - ca.depart_min),
            )
        except InfeasibleError:
            continue
        c1 = dataclasses.replace(ca, joins=cb.name)
        arrive = _arrival_min(c1, p1)
        carried = {d.lot_id for d in p1.loadout.lots if d.disposition == "carried"}
        came = set(moved(p1))
        start2 = max(cb.depart_min, arrive)
        sub2 = dataclasses.replace(
            pb.scenario,
            start=scenario.start + timedelta(minutes=start2),
            vehicles=pb.scenario.vehicles
            + tuple(
                dataclasses.replace(v, camp=cb.camp)
                for v in sub1.vehicles
                if v.id in came
            ),
            lots=pb.scenario.lots
            + tuple(
                dataclasses.replace(x, camp=cb.camp)
                for x in sub1.lots
                if x.id in carried
            ),
            personnel=pb.scenario.personnel + sub1.personnel,
        )
        if start2 > cb.latest_min:
            continue
        try:
            p2 = _plan_withdrawal(
                sub2,
                False,
                runs,
                _quiet,
                None,
                calibrated=calibrated,
                latest_depart_min=float(cb.latest_min - start2),
            )
        except InfeasibleError:
            continue
        if cost(p1) + cost(p2) >= cost(pa) + cost(pb):
            continue
        c2 = dataclasses.replace(
            cb,
            depart_min=start2,
            trips=cb.trips + tuple(t for t in ca.trips if t.vehicle_id in came),
        )
        notes.append(
            f"convoy {ca.name} joins {cb.name} at {cb.camp}: "
            f"{_incidents(pa) + _incidents(pb):.2f} expected incidents as two "
            f"convoys, {_incidents(p1) + _incidents(p2):.2f} joined"
        )
        planned[i], planned[j] = (c1, p1), (c2, p2)

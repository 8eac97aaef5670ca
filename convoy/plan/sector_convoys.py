"""The convoys of a sector's routing, planned by the whole model, every rule kept.

:func:`realise` turns a routing into convoys (:func:`convoy.sector.form_convoys`)
and plans each as a column of its own (loads by CP-SAT, the exact schedule, march
units and table) leaving by its camp's closing by construction, with the empty
columns that drive north to load (:class:`NorthConvoy`), then joins convoys of
different camps on their way where that pays (:func:`join_on_the_way`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from convoy.calibrate import Calibration
from convoy.errors import InfeasibleError
from convoy.plan.inputs import Progress, _quiet, scenario_exposure_model
from convoy.plan.withdrawal import Plan, _plan_withdrawal
from convoy.risk.edges import EdgeRisk
from convoy.risk.field import RiskField
from convoy.scenario import Lot, Scenario, Vehicle
from convoy.schedule import Schedule, plan_schedule
from convoy.sector import (
    Cargo,
    ConvoyTrip,
    RoutingResult,
    SectorCamp,
    VehicleTrip,
    form_convoys,
)


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


def _minutes(scenario: Scenario, t: datetime) -> int:
    return int((t - scenario.start).total_seconds() // 60)


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


@dataclass(frozen=True)
class Realised:
    """A routing's convoys, each planned: what :func:`realise` returns."""

    routing: RoutingResult
    convoys: tuple[tuple[ConvoyTrip, Plan], ...]
    north: tuple[NorthConvoy, ...]
    left: tuple[LeftLot, ...]
    notes: tuple[str, ...]
    vehicles_left: tuple[str, ...] = ()

    def totals(self, vehicle_usd: dict[str, float]) -> tuple[float, float]:
        """(expected incidents, value left in US dollars) of every convoy."""
        incidents = sum(_incidents(p) for _c, p in self.convoys)
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


def realise(
    scenario: Scenario,
    calibrated: tuple[RiskField, EdgeRisk, Calibration],
    camps: tuple[SectorCamp, ...],
    cargo: list[Cargo],
    routing: RoutingResult,
    runs: int,
    progress: Progress,
) -> Realised:
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
        arrive = _arrival_min(conv, plan)
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
    joined, join_notes = join_on_the_way(
        scenario, calibrated, list(planned.values()), runs, progress
    )
    notes.extend(join_notes)
    ordered = sorted(joined, key=lambda cp: (cp[0].depart_min, cp[0].camp))
    return Realised(
        routing,
        tuple(ordered),
        tuple(sorted(north.values(), key=lambda n: n.schedule.depart_min)),
        tuple(left),
        tuple(notes),
        tuple(stay),
    )


def _incidents(plan: Plan) -> float:
    return plan.trips["optimised"].trip.exposure.total


def _arrival_min(conv: ConvoyTrip, plan: Plan) -> int:
    """Arrival of a convoy's planned trip, minutes after the sector's start."""
    return conv.depart_min + round(
        plan.trips["optimised"].trip.trajectory.legs[-1].arrive_min
    )


def join_on_the_way(
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
    convoy limit, A may drive to b without passing the destination (arriving by
    b's closing) and leave with B as one convoy (from A's arrival, by b's
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
                if any(leg.to_node == dest for leg in s1.legs):
                    tried.add(key)  # not on its way: it would pass the destination
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

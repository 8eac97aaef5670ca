"""Tie everything into a plan: risk, calibration, loads, timing, baselines, march table.

:func:`plan_withdrawal` runs the chain of DESIGN.md on a loaded scenario:

1. the risk field and its tables along every road edge;
2. calibration of the two channels to the historical trip (:mod:`convoy.calibrate`);
3. the risk table the loads optimiser trades against: the optimal schedule's expected
   incidents for a grid of column sizes and departure delays (one backward search per
   column size gives every departure at once);
4. the loads (CP-SAT, :func:`convoy.loadout.choose_loadout`);
5. the optimal schedule of the column the loads decided, leaving once the
   destruction work is done;
6. the baselines (:mod:`convoy.baselines`), the march table (:mod:`convoy.march`) and,
   on request, the Pareto front over the price of an incident.

:func:`simulate_plan` runs the Monte Carlo of a planned trip (on request, of the
optimised plan inside :func:`plan_withdrawal`); :class:`convoy.document.PlanDocument`
turns the result into plan.json (docs/plan-json.md).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from convoy.baselines import (
    BASELINE_NAMES,
    PricedTrip,
    daylight_movement,
    fastest_trip,
)
from convoy.calibrate import Calibration, calibrate, reference_trip
from convoy.errors import InfeasibleError, Problem, ScenarioError
from convoy.loadout import LoadPlan, RiskTable, choose_loadout
from convoy.march import MarchRow, MarchUnit, march_table, march_units
from convoy.params import SimulationParams
from convoy.risk.field import EdgeRisk, RiskField, build_risk_field, edge_risk
from convoy.scenario import Scenario, Vehicle
from convoy.schedule import (
    ExposureModel,
    Schedule,
    Trajectory,
    column_surface_speeds,
    plan_schedule,
    trajectory_exposure,
)
from convoy.schedule.search import scenario_exposure_model
from convoy.simulate import (
    ColumnVehicle,
    PlannedVehicle,
    SimulationResult,
    TripExposure,
    simulate_column,
)

#: Column sizes tabulated for the loads optimiser (between them it interpolates).
RISK_TABLE_SIZES = 7
#: Departure delays tabulated for the loads optimiser, in minutes: (up to, spacing)
#: pieces, fine where destruction work usually ends and coarse beyond. A delay
#: between grid points is priced at the next one (the cautious side); the final
#: schedule then uses the exact delay. Every extra delay is one more piece in the
#: CP-SAT model: 60-minute spacing over eleven days took CP-SAT 4x longer for the
#: same plan on the embedded scenario.
RISK_TABLE_DELAYS_MIN: tuple[tuple[float, float], ...] = (
    (240.0, 30.0),
    (720.0, 60.0),
    (math.inf, 180.0),
)

#: Share of ``SolverParams.time_limit_s`` given to each CP-SAT solve of the sweep.
#: A third was tried on Kidal-Gao: the points at high prices ended 5-7 % from their
#: bounds and the front was no longer monotone, so each point gets the full limit.
PARETO_TIME_SHARE = 1.0

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class Trip:
    """
    One column's trip, priced: the optimised plan or a baseline.

    Parameters
    ----------
    name
        ``"optimised"`` or a baseline name.
    vehicle_ids
        Vehicles of the column (towed ones included).
    model
        The exposure model that priced it.
    trip
        Trajectory and exposure.
    value_carried, value_left_behind
        Value of the lots carried plus the vehicles moved, and of everything
        left, in US dollars.
    note
        Why it is what it is, in words, when that needs saying.
    """

    name: str
    vehicle_ids: tuple[str, ...]
    model: ExposureModel
    trip: PricedTrip
    value_carried: float
    value_left_behind: float
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """Everything :func:`plan_withdrawal` decided, with what it was decided from."""

    scenario: Scenario
    field: RiskField
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

    @property
    def optimised(self) -> Trip:
        """The optimised trip."""
        return self.trips["optimised"]


def origin_vehicles(scenario: Scenario) -> list[Vehicle]:
    """Vehicles at the origin camp, in input order."""
    return [v for v in scenario.vehicles if v.camp == scenario.origin]


def _min_column(vehicles: list[Vehicle], personnel: int) -> int:
    """Fewest self-propelled vehicles whose seats hold everyone (at least 1)."""
    seats = sorted((v.seats for v in vehicles if v.roadworthy), reverse=True)
    total, n = 0, 0
    for s in seats:
        if total >= personnel:
            break
        total += s
        n += 1
    return max(n, 1)


def build_risk_table(
    scenario: Scenario, er: EdgeRisk, *, progress: Progress = _quiet
) -> RiskTable:
    """
    Expected incidents of the optimal schedule by column size and departure delay.

    The column of ``n`` vehicles is ``n`` vehicles of the fleet's mean length at the
    fleet's slowest speed on each surface (conservative: the optimiser may leave the
    slowest vehicles behind, and the final schedule is then recomputed for the
    column actually chosen). One backward search per size gives the cost of every
    departure step; the cost of leaving no earlier than a delay is the smallest cost
    of the steps at or after it.

    Raises
    ------
    InfeasibleError
        If no schedule meets the deadline even for the smallest column; the message
        names the binding constraint and the earliest feasible arrival.
    """
    vehicles = origin_vehicles(scenario)
    n_max = len(vehicles)
    n_min = min(_min_column(vehicles, scenario.personnel), n_max)
    sizes = np.unique(np.round(np.linspace(n_min, n_max, RISK_TABLE_SIZES)).astype(int))
    mean_len = float(np.mean([v.length_m for v in vehicles]))
    speeds = column_surface_speeds(
        [v.speed_kph for v in vehicles if v.roadworthy]
        or [v.speed_kph for v in vehicles]
    )
    base = scenario_exposure_model(scenario, er, vehicle_ids=[v.id for v in vehicles])
    origin = scenario.roads.site_node[scenario.origin]
    dest = scenario.roads.site_node[scenario.destination]
    costs = []
    for n in sizes:
        progress(f"risk table: column of {n} vehicles")
        day_km = (n * mean_len + (n - 1) * scenario.movement.interval_day_m) / 1000.0
        night_km = (
            n * mean_len + (n - 1) * scenario.movement.interval_night_m
        ) / 1000.0
        model = dataclasses.replace(
            base,
            column_day_km=day_km,
            column_night_km=night_km,
            edge_speed_kph=np.minimum(
                np.minimum(
                    speeds[scenario.roads.edge_surface],
                    scenario.roads.edge_maxspeed_kph,
                ),
                scenario.movement.max_speed_kph,
            ),
        )
        sched = plan_schedule(
            model,
            origin,
            dest,
            horizon_min=scenario.horizon_min,
            movement=scenario.movement,
            start=scenario.start,
            node_names=_node_names(scenario),
        )
        costs.append(np.asarray(sched.cost_by_departure, dtype=np.float64))
    step = scenario.movement.step_min
    c = np.vstack(costs)
    # no earlier than step t: the best of t and every later step
    suffix = np.minimum.accumulate(c[:, ::-1], axis=1)[:, ::-1]
    finite = np.isfinite(suffix).any(axis=0)
    last = int(np.flatnonzero(finite)[-1])
    delays_l: list[float] = []
    lo, end = 0.0, last * step
    for upto, spacing in RISK_TABLE_DELAYS_MIN:
        delays_l.extend(np.arange(lo, min(upto, end + 1e-9), spacing).tolist())
        lo = min(upto, end + spacing)
        if upto >= end:
            break
    delays = np.unique(np.asarray(delays_l + [0.0]))
    idx = np.ceil(delays / step - 1e-9).astype(int)
    return RiskTable(sizes.astype(np.int64), delays, suffix[:, idx])


def _node_names(scenario: Scenario) -> dict[int, str]:
    names: dict[int, str] = {}
    # camps and the destination name a node before halts and checkpoints do
    order = {"camp": 0, "destination": 0, "checkpoint": 1, "halt": 2}
    for s in sorted(scenario.sites, key=lambda s: order[s.kind]):
        node = scenario.roads.site_node.get(s.name)
        if node is not None and node not in names:
            names[node] = s.name
    return names


def _values(scenario: Scenario, plan: LoadPlan) -> tuple[float, float]:
    """(value carried incl. vehicles moved, value left behind), US dollars."""
    carried = plan.value_carried_usd + plan.value_vehicles_moved_usd
    return carried, plan.value_left_usd


def _moving_ids(plan: LoadPlan) -> tuple[str, ...]:
    return tuple(v.vehicle_id for v in plan.vehicles if v.status in ("moving", "towed"))


#: Order of march by vehicle role (a word in the type): route clearance leads, then
#: the escort and command, the troops, the cargo and tankers; ambulances and recovery
#: vehicles form the trail party at the rear (FM 55-30, ch. 5, "Convoy
#: organization": trail party with maintenance and recovery; ATP 4-01.45).
MARCH_ORDER: tuple[str, ...] = (
    "clearance",
    "engineer",
    "armoured vehicle",
    "apc",
    "command",
    "troop",
    "cargo",
    "water",
    "fuel",
    "low-bed",
    "ambulance",
    "recovery",
)


def _march_rank(v: Vehicle) -> int:
    t = v.type.lower()
    for i, word in enumerate(MARCH_ORDER):
        if word in t:
            return i
    return MARCH_ORDER.index("cargo")


def order_of_march(scenario: Scenario, plan: LoadPlan) -> list[Vehicle]:
    """Moving vehicles in order of march; a towed vehicle follows its tow."""
    by_id = {v.id: v for v in scenario.vehicles}
    decisions = {d.vehicle_id: d for d in plan.vehicles}
    movers = [by_id[d.vehicle_id] for d in plan.vehicles if d.status == "moving"]
    movers.sort(key=lambda v: (_march_rank(v), scenario.vehicles.index(v)))
    out: list[Vehicle] = []
    for v in movers:
        out.append(v)
        tow = decisions[v.id].tows
        if tow is not None:
            out.append(by_id[tow])
    return out


def _trip(
    name: str,
    model: ExposureModel,
    traj: Trajectory,
    vehicle_ids: tuple[str, ...],
    values: tuple[float, float],
    note: str = "",
) -> Trip:
    exp = trajectory_exposure(model, traj.legs, traj.halts)
    return Trip(
        name, vehicle_ids, model, PricedTrip(traj, exp), values[0], values[1], note
    )


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
    progress("risk field along the roads")
    field0 = build_risk_field(scenario)
    er0 = edge_risk(field0, scenario.roads, scenario.risk.edge_sample_m)
    progress("calibration to the historical trip")
    cal = calibrate(scenario, er0)
    risk_field = field0.with_scales(cal.scale_ied, cal.scale_ambush)
    er = er0.with_scales(cal.scale_ied, cal.scale_ambush)

    table = build_risk_table(scenario, er, progress=progress)
    vehicles = origin_vehicles(scenario)
    lots = [lot for lot in scenario.lots if lot.camp == scenario.origin]

    def solve(incident_usd: float, time_share: float = 1.0) -> LoadPlan:
        prices = dataclasses.replace(scenario.prices, incident_usd=incident_usd)
        solver = dataclasses.replace(
            scenario.solver, time_limit_s=scenario.solver.time_limit_s * time_share
        )
        return choose_loadout(
            vehicles,
            lots,
            personnel=scenario.personnel,
            origin=scenario.origin,
            risk_table=table,
            prices=prices,
            solver=solver,
            loads=scenario.loads,
            seed=scenario.seed,
        )

    progress("loads and abandonment (CP-SAT)")
    loadout = solve(scenario.prices.incident_usd)
    moving = _moving_ids(loadout)
    progress("schedule of the chosen column")
    origin = scenario.roads.site_node[scenario.origin]
    dest = scenario.roads.site_node[scenario.destination]
    model = scenario_exposure_model(scenario, er, vehicle_ids=moving)
    schedule = plan_schedule(
        model,
        origin,
        dest,
        horizon_min=scenario.horizon_min,
        movement=scenario.movement,
        earliest_depart_min=loadout.departure_delay_min,
        start=scenario.start,
        node_names=_node_names(scenario),
    )
    values = _values(scenario, loadout)
    trips: dict[str, Trip] = {
        "optimised": _trip("optimised", model, schedule.trajectory(), moving, values)
    }

    progress("baselines")
    notes: list[str] = []
    for name, movement in (
        ("depart_at_once", scenario.movement),
        ("daylight_only", daylight_movement(scenario.movement)),
    ):
        try:
            fast = fastest_trip(
                model,
                origin,
                dest,
                horizon_min=scenario.horizon_min,
                movement=movement,
                depart_min=loadout.departure_delay_min,
            )
            trips[name] = _trip(name, model, fast.trajectory, moving, values)
        except InfeasibleError as exc:
            notes.append(f"{name}: no such schedule meets the deadline ({exc})")
    hist_model, hist_traj, _exp, _edges = reference_trip(scenario, er)
    hist_plan = (
        solve(0.0)
        if any(v.status not in ("moving", "towed") for v in loadout.vehicles)
        else loadout
    )
    trips["historical"] = _trip(
        "historical",
        hist_model,
        hist_traj,
        cal.vehicle_ids,
        _values(scenario, hist_plan),
        note="reconstruction of the observed trip: every vehicle, the main axis, "
        "paced to the observed departure and arrival; it may halt anywhere on "
        "its route and drive after dark, as the real column did",
    )

    opt = trips["optimised"]
    for name in BASELINE_NAMES:
        if name not in trips:
            continue
        b = trips[name]
        if opt.trip.exposure.total > b.trip.exposure.total + 1e-12:
            notes.append(
                f"{name}: fewer expected incidents ({b.trip.exposure.total:.2f} against "
                f"{opt.trip.exposure.total:.2f}) because it moves a different column or "
                "ignores a rule the plan keeps (halt sites, windows)"
            )
        if b.value_left_behind + 1e-6 < opt.value_left_behind:
            notes.append(
                f"{name}: leaves less behind (${b.value_left_behind:,.0f} against "
                f"${opt.value_left_behind:,.0f}) by moving every vehicle, at "
                f"{b.trip.exposure.total:.2f} expected incidents against "
                f"{opt.trip.exposure.total:.2f}: at "
                f"${scenario.prices.incident_usd:,.0f} per incident the extra value is "
                "not worth the extra risk"
            )

    progress("march tables")
    by_id = {v.id: v for v in scenario.vehicles}
    order = order_of_march(scenario, loadout)
    marches = {}
    for name, trip in trips.items():
        vs = (
            order
            if name != "historical"
            else sorted(
                (by_id[i] for i in trip.vehicle_ids),
                key=lambda v: (_march_rank(v), scenario.vehicles.index(v)),
            )
        )
        marches[name] = _march(scenario, trip, vs)
    units, rows = marches["optimised"]

    front: list[dict[str, float]] = []
    if pareto:
        prices = pareto_prices(scenario, table, vehicles, lots)
        for price in prices:
            progress(f"Pareto front: ${price:,.0f} per incident")
            lp = solve(price, PARETO_TIME_SHARE)
            ids = _moving_ids(lp)
            m = scenario_exposure_model(scenario, er, vehicle_ids=ids)
            s = plan_schedule(
                m,
                origin,
                dest,
                horizon_min=scenario.horizon_min,
                movement=scenario.movement,
                earliest_depart_min=lp.departure_delay_min,
                start=scenario.start,
            )
            front.append(
                {
                    "incident_usd": price,
                    "expected_incidents": s.expected_incidents,
                    "value_saved_usd": _values(scenario, lp)[0],
                    "vehicles_moving": float(len(ids)),
                    "gap": float(lp.gap),
                }
            )
        for p in front:  # a point another beats on both counts is not on the front
            p["dominated"] = any(
                q["expected_incidents"] <= p["expected_incidents"]
                and q["value_saved_usd"] >= p["value_saved_usd"]
                and (q["expected_incidents"], q["value_saved_usd"])
                != (p["expected_incidents"], p["value_saved_usd"])
                for q in front
            )
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


def _march(
    scenario: Scenario, trip: Trip, order: list[Vehicle]
) -> tuple[list[MarchUnit], list[MarchRow]]:
    """March units and the road movement table of one trip."""
    traj_arr = trajectory_points(trip)
    # Speed, not rate of march (FM 55-30): what the column drives at on each leg,
    # from the speed model, whatever pace the trajectory averages (the historical
    # trip's pace folds in its stops).
    m = trip.model
    legs = trip.trip.trajectory.legs
    ends_km = np.cumsum([float(m.edge_length_m[leg.edge]) / 1000.0 for leg in legs])
    leg_speed = np.array(
        [
            m.speed_kph(
                leg.edge, leg.mode, not m.is_daylight(leg.depart_min, leg.arrive_min)
            )
            for leg in legs
        ]
    )

    def speed_at(km: float) -> float:
        i = min(int(np.searchsorted(ends_km, km - 1e-9)), len(legs) - 1)
        return float(leg_speed[i])

    units = march_units(
        [v.id for v in order],
        [v.length_m for v in order],
        scenario.movement,
        float(np.median(leg_speed)),
    )
    checkpoints, halts = _checkpoints(scenario, trip)
    rows = march_table(
        units,
        {v.id: v.length_m for v in order},
        traj_arr,
        checkpoints,
        halts,
        scenario.movement,
        _minute_of_day(scenario.start),
        speed_at=speed_at,
    )
    return units, rows


def pareto_prices(
    scenario: Scenario, table: RiskTable, vehicles: list[Vehicle], lots: list[Any]
) -> list[float]:
    """
    Prices of an incident to sweep for the Pareto front, in US dollars.

    From 0 to the price at which the smallest column becomes worth it: the value at
    stake (every vehicle and lot) over the incidents the largest column adds to the
    smallest, doubled. Between them ``SolverParams.pareto_points`` prices spaced
    geometrically over three decades, with the scenario's own price added. A fixed
    band around the scenario's price says nothing when one more vehicle adds
    hundredths of an incident and is worth a million dollars.
    """
    at_stake = sum(v.value_usd for v in vehicles) + sum(lot.value_usd for lot in lots)
    inc = np.asarray(table.incidents)[:, 0]
    extra = float(inc[-1] - inc[0]) if np.isfinite(inc[[0, -1]]).all() else 0.0
    base = scenario.prices.incident_usd or 1e6
    top = 2.0 * at_stake / extra if extra > 0 else base * 10.0
    top = max(top, base)
    sweep = np.geomspace(top / 1000.0, top, scenario.solver.pareto_points).tolist()
    return sorted({0.0, float(base), *(float(f"{p:.3g}") for p in sweep)})


def _minute_of_day(t: datetime) -> int:
    return t.hour * 60 + t.minute


def _leg_km(scenario: Scenario, edge: int) -> float:
    return float(scenario.roads.edge_length_m[edge]) / 1000.0


def trajectory_points(trip: Trip) -> np.ndarray:
    """(P, 2) array of (minutes after start, km from the origin) of the head."""
    pts: list[tuple[float, float]] = []
    km = 0.0
    lengths = trip.model.edge_length_m
    for leg in trip.trip.trajectory.legs:
        if not pts or pts[-1][0] != leg.depart_min:
            pts.append((leg.depart_min, km))
        km += float(lengths[leg.edge]) / 1000.0
        pts.append((leg.arrive_min, km))
    return np.asarray(pts, dtype=np.float64)


def _leg_nodes(trip: Trip) -> list[tuple[int, int]]:
    m = trip.model
    out = []
    for leg in trip.trip.trajectory.legs:
        u, v = int(m.edge_u[leg.edge]), int(m.edge_v[leg.edge])
        out.append((leg.from_node, v if leg.from_node == u else u))
    return out


def _checkpoints(
    scenario: Scenario, trip: Trip
) -> tuple[list[tuple[str, str, float]], list[tuple[float, float, float]]]:
    """Named points along the trip (SP, sites, RP) and its halts as (km, start, end)."""
    names = _node_names(scenario)
    km_at: dict[int, float] = {}
    km = 0.0
    nodes = _leg_nodes(trip)
    if nodes:
        km_at[nodes[0][0]] = 0.0
    for (_a, b), leg in zip(nodes, trip.trip.trajectory.legs, strict=True):
        km += _leg_km(scenario, leg.edge)
        km_at.setdefault(b, km)
    kind_of = {s.name: s.kind for s in scenario.sites}
    halt_nodes = {h.node for h in trip.trip.trajectory.halts}
    cps: list[tuple[str, str, float]] = []
    for node, d in sorted(km_at.items(), key=lambda kv: kv[1]):
        if node not in names:
            if node in halt_nodes:  # a laager beside the road (historical trip)
                cps.append((f"laager at km {d:.0f}", "halt", d))
            continue
        name = names[node]
        kind = kind_of[name]
        if name == scenario.origin:
            kind = "start point"
        elif name == scenario.destination:
            kind = "release point"
        cps.append((name, kind, d))
    halts = [
        (km_at.get(h.node, 0.0), h.start_min, h.end_min)
        for h in trip.trip.trajectory.halts
    ]
    return cps, halts


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

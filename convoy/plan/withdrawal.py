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
   on request, the Pareto front over the price of an incident;
7. on request, the Monte Carlo of the optimised plan (:mod:`convoy.plan.montecarlo`).

:class:`convoy.document.PlanDocument` turns the result into plan.json
(docs/plan-json.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from convoy.baselines import (
    Trip,
    baseline_notes,
    fast_baselines,
    historical_notes,
    priced_trip,
)
from convoy.calibrate import Calibration
from convoy.errors import InfeasibleError
from convoy.loadout import LoadPlan, RiskTable
from convoy.loadout.pareto import pareto_front, pareto_prices
from convoy.march import (
    MarchRow,
    MarchUnit,
    column_order,
    order_of_march,
    trip_march,
)
from convoy.plan.adversary import (
    ADVERSARY_MODES,
    CVAR_NOTE,
    OBJECTIVES,
    AdversaryResult,
    adversary_result,
    main_schedule,
)
from convoy.plan.inputs import (
    Progress,
    _capacity_hint,
    _column_schedule,
    _end_nodes,
    _historical_trip,
    _origin_lots,
    _quiet,
    _reference,
    _solve_loads,
    clearance_note,
    halt_sites_too_small,
    leg_km,
    minute_of_day,
    node_names,
    origin_vehicles,
    revisit_note,
    scenario_calibration,
    scenario_edge_risk,
    scenario_risk_field,
    scenario_risk_table,
)
from convoy.plan.montecarlo import (
    planned_vehicles,
    recovery_note,
    simulate_plan,
    trip_exposure,
)
from convoy.risk.edges import EdgeRisk
from convoy.risk.field import RiskField
from convoy.scenario import Scenario
from convoy.schedule import (
    Schedule,
)
from convoy.schedule.contract import Contraction, expand_trajectory
from convoy.simulate import (
    SimulationResult,
)

#: Share of ``SolverParams.time_limit_s`` given to each CP-SAT solve of the sweep.
#: A third was tried on Kidal-Gao: the points at high prices ended 5-7 % from their
#: bounds and the front was no longer monotone, so each point gets the full limit.
PARETO_TIME_SHARE = 1.0


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
    adversary: AdversaryResult | None = None

    @property
    def optimised(self) -> Trip:
        """The optimised trip."""
        return self.trips["optimised"]


#: ``what`` of :data:`Steps` during column generation: plans generated (of at most
#: :data:`convoy.adversary.search.MAX_COLUMNS`).
ADVERSARY_STEPS = "Adversary: plans generated"

#: Monte Carlo runs behind each CVaR of the adversary's figures (at most ``runs``).
ADVERSARY_RUNS = 2000

#: A callback told how far a long counted step is: ``steps(what, done, total)``.
Steps = Callable[[str, int, int], None]

#: ``what`` of :data:`Steps` during the Pareto sweep: prices of an incident solved.
PARETO_STEPS = "Pareto front: prices"

#: ``what`` of :data:`Steps` during the Monte Carlo: runs simulated.
MONTE_CARLO_STEPS = "Monte Carlo: runs"


def _counted(steps: Steps | None, what: str) -> Callable[[int, int], None] | None:
    """``steps`` with ``what`` filled in, or None."""
    if steps is None:
        return None
    return lambda done, total: steps(what, done, total)


def plan_withdrawal(
    scenario: Scenario,
    *,
    pareto: bool = False,
    runs: int = 10_000,
    progress: Progress = _quiet,
    steps: Steps | None = None,
    adversary: str = "static",
    attacker_budget: float | None = None,
    objective: str = "expected",
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
    steps
        Called as ``steps(what, done, total)`` as the long counted steps go on:
        ``what`` is :data:`PARETO_STEPS` (prices of the sweep solved),
        :data:`MONTE_CARLO_STEPS` (runs simulated) or :data:`ADVERSARY_STEPS`
        (plans generated by the game); for a count and an ETA, it
        does not change the plan.
    adversary
        ``"static"`` (the threat map as it is), ``"robust"`` (the plan is the best
        single plan against an adversary who learns it) or ``"mixed"`` (the plan
        carries a mix of plans to draw from, :mod:`convoy.plan.adversary`).
    attacker_budget
        The adversary's devices or ambush positions; None for the default from
        the threat field (:func:`convoy.adversary.default_budget`).
    objective
        ``"expected"`` incidents, or ``"cvar90"``: the plan chosen among the
        generated candidates by the CVaR at 90 % of its simulated incidents.

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
    if adversary not in ADVERSARY_MODES or objective not in OBJECTIVES:
        msg = (
            f"plan: expected adversary in {list(ADVERSARY_MODES)} and objective in "
            f"{list(OBJECTIVES)}, found {adversary!r} and {objective!r}"
        )
        raise ValueError(msg)
    game = (adversary, attacker_budget, objective)
    try:
        return _plan_withdrawal(scenario, pareto, runs, progress, steps, game)
    except InfeasibleError as exc:
        hint = _capacity_hint(scenario)
        if not hint:
            raise
        msg = f"{exc}; {hint}"
        raise InfeasibleError(msg) from None


def _plan_withdrawal(
    scenario: Scenario,
    pareto: bool,
    runs: int,
    progress: Progress,
    steps: Steps | None = None,
    game: tuple[str, float | None, str] = ("static", None, "expected"),
    calibrated: tuple[RiskField, EdgeRisk, Calibration] | None = None,
    latest_depart_min: float | None = None,
) -> Plan:
    """
    The body of :func:`plan_withdrawal`.

    ``calibrated`` (the calibrated field, edge risk and calibration) skips
    computing them again (a sector's convoys); ``latest_depart_min`` bounds the
    column's departure (a camp's closing).
    """
    if calibrated is not None:
        risk_field, er, cal = calibrated
    else:
        progress("risk field along the roads")
        field0 = scenario_risk_field(scenario)
        er0 = scenario_edge_risk(scenario, field0)
        progress("calibration to the historical trip")
        cal = scenario_calibration(scenario, er0)
        risk_field = field0.with_scales(cal.scale_ied, cal.scale_ambush)
        er = er0.with_scales(cal.scale_ied, cal.scale_ambush)

    table = scenario_risk_table(scenario, er, progress=progress)
    progress("loads and abandonment (CP-SAT)")
    loadout = _solve_loads(scenario, table, scenario.prices.incident_usd)
    progress("schedule of the chosen column")
    mode, budget, objective = game
    # the adversary's modes and the CVaR objective read the costs of other
    # departures; the static expected plan reads only the schedule
    game_played = mode != "static" or objective != "expected"
    _model, contraction, schedule = _column_schedule(
        scenario,
        er,
        loadout,
        latest_depart_min=latest_depart_min,
        costs_read="each" if game_played else "best",
        baselines=True,
    )
    choice = None
    if game_played:
        choice = main_schedule(
            scenario,
            er,
            loadout,
            contraction,
            schedule,
            mode=mode,
            objective=objective,
            budget=budget,
            progress=progress,
        )
        schedule = choice.schedule
    trips, notes = _trips(scenario, er, table, loadout, contraction, schedule, progress)

    progress("march tables")
    marches = _marches(scenario, loadout, trips)
    units, rows = marches["optimised"]
    front = (
        _pareto_front(scenario, er, table, progress, _counted(steps, PARETO_STEPS))
        if pareto
        else []
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
        contraction=contraction,
    )
    if choice is not None and choice.robust is None:
        plan = dataclasses.replace(plan, notes=[*notes, CVAR_NOTE])
    if choice is not None and choice.robust is not None:
        adv = adversary_result(
            scenario,
            mode=mode,
            objective=objective,
            attacker=choice.attacker,
            budget_source=choice.budget_source,
            req=choice.request,
            contraction=contraction,
            loadout=loadout,
            trips=trips,
            robust=choice.robust,
            march=lambda t: _marches(scenario, loadout, {"mix": t})["mix"][1],
            runs=min(runs, ADVERSARY_RUNS) if runs else 0,
            progress=progress,
            steps=_counted(steps, ADVERSARY_STEPS),
        )
        plan = dataclasses.replace(plan, adversary=adv, notes=[*notes, *adv.notes])
    if runs:
        progress(f"Monte Carlo, {runs:,} runs")
        trip = trip_exposure(scenario, plan.optimised)
        shape = plan.calibration.posterior_shape  # draws of the calibrated scales
        loads = planned_vehicles(loadout)
        sim = simulate_plan(
            scenario,
            trip,
            loads,
            num_runs=runs,
            progress=_counted(steps, MONTE_CARLO_STEPS),
            rate_shape=(shape.get("ied"), shape.get("ambush")),
            ambush_follows_ied=plan.calibration.ambush_assumed,
        )
        rec = recovery_note(scenario, trip, loads, sim)
        notes = [*plan.notes, rec] if rec else plan.notes
        plan = dataclasses.replace(plan, simulation=sim, notes=notes)
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
    if scenario.reference_trip is None and scenario.camps:
        # a convoy of a sector: no observed trip of its own to compare with
        notes += baseline_notes(trips["optimised"], trips, scenario.prices.incident_usd)
        return trips, notes
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
        note="reconstruction of the observed trip: its column, its route, "
        "paced through its waypoints in the mode it moved in; it may halt "
        "anywhere on its route and drive after dark, as the real column did",
    )
    notes += baseline_notes(trips["optimised"], trips, scenario.prices.incident_usd)
    hist = scenario.reference_trip
    if hist is not None:
        notes += historical_notes(
            hist_traj,
            start_minute_of_day=minute_of_day(scenario.start),
            daily_limit_h=scenario.movement.daily_driving_limit_h,
            mode=hist.mode,
            pace_kph=hist.pace_kph,
            distance_km=sum(leg_km(scenario, g.edge) for g in hist_traj.legs),
        )
    again = revisit_note(model, schedule, node_names(scenario))
    if again:
        notes.append(again)
    notes.append(clearance_note(scenario, moving))
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
    places = (node_names(scenario), kinds, scenario.origin, scenario.destination)
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
            minute_of_day(scenario.start),
        )
        for name, trip in trips.items()
    }


def _pareto_front(
    scenario: Scenario,
    er: EdgeRisk,
    table: RiskTable,
    progress: Progress,
    steps: Callable[[int, int], None] | None = None,
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
        return _column_schedule(scenario, er, lp, named=False, costs_read="best")[
            2
        ].expected_incidents

    return pareto_front(prices, solve, incidents, progress, steps)

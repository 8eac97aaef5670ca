"""The adversary who reads the plan, on a scenario: robust and mixed plans.

The plan layer unpacks the scenario into the plain inputs of
:mod:`convoy.adversary` (the contracted exposure model of the chosen column, its
end nodes, horizon, movement rules and earliest departure), runs the game, and
turns its plans into full trips with march tables, priced on the road network's
own edges as every other trip of the plan. For every trip (the optimised plan,
each baseline, the robust plan and each plan of the mix) it records:

- ``expected``: expected incidents under the static threat field;
- ``leaked``: how much they rise if the adversary learns the plan and places its
  whole budget on the plan's most exposed segments and windows (the worst case,
  :func:`convoy.adversary.worst_case`);
- ``worst``: their sum;
- ``cvar90``: the mean of the worst tenth of the Monte Carlo's runs (incidents
  under the static field);
- ``cvar90_leaked``: the same with the adversary's worst-case devices on the
  plan's segments (each device's expected hit added to the IED intensity of the
  leg that enters its segment in its window).

For the mix, ``expected`` is the mix's average, ``cvar90`` the CVaR of the runs of
its plans pooled (each weighted by its plan's probability), ``worst`` the mix
against the attacker's best response to it (who knows the mix, not the draw) and
``leaked`` the average rise if the drawn plan leaks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from convoy.adversary import (
    Attacker,
    MixedStrategy,
    RobustPlan,
    SearchRequest,
    best_response,
    cvar,
    default_budget,
    handful,
    mixed_strategy,
    robust_plan,
)
from convoy.adversary.game import Cell
from convoy.adversary.risk import CVAR_LEVEL
from convoy.baselines import Trip, priced_trip
from convoy.loadout import LoadPlan
from convoy.march import MarchRow
from convoy.plan.inputs import Progress, _end_nodes
from convoy.plan.montecarlo import planned_vehicles, simulate_plan, trip_exposure
from convoy.risk.edges import EdgeRisk
from convoy.scenario import Scenario
from convoy.schedule import Schedule
from convoy.schedule.attack import window_of_minute
from convoy.schedule.contract import Contraction, expand_trajectory

#: The ``--adversary`` modes: ``static`` (a fixed threat map, the plan of old),
#: ``robust`` (the best single plan if it leaks), ``mixed`` (a draw from a mix).
ADVERSARY_MODES: tuple[str, ...] = ("static", "robust", "mixed")

#: The ``--objective`` choices: expected incidents, or CVaR at 90 % of incidents.
OBJECTIVES: tuple[str, ...] = ("expected", "cvar90")


@dataclass(frozen=True, slots=True)
class Figures:
    """Expected, worst-case and tail incidents of one plan (see the module)."""

    expected: float
    worst: float
    leaked: float
    cvar90: float | None
    cvar90_leaked: float | None = None


@dataclass(frozen=True)
class MixPlan:
    """One plan of the mix: its probability, trip, march table and figures."""

    name: str
    probability: float
    trip: Trip
    march_rows: list[MarchRow]
    figures: Figures


@dataclass(frozen=True)
class AdversaryResult:
    """
    What the game decided, for plan.json and the report.

    Parameters
    ----------
    mode, objective
        As asked (:data:`ADVERSARY_MODES`, :data:`OBJECTIVES`).
    attacker
        Budget, cap and windows.
    budget_source
        Where the budget comes from, in words.
    figures
        By plan: ``"static"``, ``"robust"``, ``"mixed"``, then every baseline.
    mix
        The plans of the mix, most likely first.
    game
        Value (objective, expected incidents plus price), its lower bound, the
        gap, plans generated and pricing searches.
    robust_trip
        The robust plan's trip, and its march table.
    notes
        What a reader should know (the CVaR choice, the window).
    """

    mode: str
    objective: str
    attacker: Attacker
    budget_source: str
    figures: dict[str, Figures]
    mix: list[MixPlan]
    game: dict[str, float]
    robust_trip: Trip
    notes: list[str] = field(default_factory=list)


def search_request(
    scenario: Scenario, loadout: LoadPlan, contraction: Contraction
) -> SearchRequest:
    """The schedule search of the chosen column, as :mod:`convoy.adversary` takes it."""
    origin, dest = _end_nodes(scenario)
    return SearchRequest(
        contraction.model,
        origin,
        dest,
        scenario.horizon_min,
        scenario.movement,
        loadout.departure_delay_min,
    )


def scenario_attacker(
    er: EdgeRisk, budget: float | None, cap: float = 1.0, window_h: float = 24.0
) -> tuple[Attacker, str]:
    """The attacker, with ``budget`` or the default from the threat field."""
    if budget is not None:
        return Attacker(budget, cap, window_h), "given (--attacker-budget)"
    b = default_budget(er.edge_ied)
    total = float(er.edge_ied.sum())
    return Attacker(b, cap, window_h), (
        f"a tenth of the {total:.1f} devices the calibrated IED field holds on "
        "the scenario's roads, rounded"
    )


def _segments(contraction: Contraction) -> dict[int, int]:
    """Road edge -> contracted edge (segment)."""
    return {
        piece: seg
        for seg, pieces in enumerate(contraction.pieces)
        for piece, _node in pieces
    }


class _Pricer:
    """Hits, worst cases and Monte Carlo tails of trips, on one scenario."""

    def __init__(
        self,
        scenario: Scenario,
        contraction: Contraction,
        attacker: Attacker,
        loadout: LoadPlan,
        runs: int,
    ) -> None:
        self.scenario = scenario
        self.segments = _segments(contraction)
        self.attacker = attacker
        self.model = contraction.original
        self.loadout = loadout
        self.runs = runs

    def hits(self, trip: Trip) -> dict[Cell, float]:
        """``a_c`` of a trip by cell (:func:`convoy.adversary.trajectory_hits`)."""
        out: dict[Cell, float] = {}
        for _i, c, a in self.leg_cells(trip):
            out[c] = out.get(c, 0.0) + a
        return out

    def leg_cells(self, trip: Trip) -> list[tuple[int, Cell, float]]:
        """
        (leg index, cell, hit coefficient) of each traversal of a segment.

        Consecutive legs on the pieces of one segment are one traversal, entered
        at the first piece's departure (as :func:`convoy.adversary.trajectory_hits`
        counts them); a road edge in no segment is a segment of its own.
        """
        out: list[tuple[int, Cell, float]] = []
        f = float(self.model.clearance_ied_factor)
        prev = None
        for i, leg in enumerate(trip.trip.trajectory.legs):
            seg = self.segments.get(leg.edge, -1 - leg.edge)
            if seg != prev:
                w = int(
                    window_of_minute(
                        float(leg.depart_min),
                        self.model.start_minute_of_day,
                        self.attacker.window_min,
                    )
                )
                out.append((i, (seg, w), f if leg.mode == "clearance" else 1.0))
            prev = seg
        return out

    def incidents(
        self, trip: Trip, placement: Mapping[Cell, float] | None = None
    ) -> NDArray[np.int64] | None:
        """
        Incidents of each simulated run of ``trip`` (None without runs).

        ``placement``: the adversary's devices by cell, added to the IED intensity
        of the leg entering each cell.
        """
        if not self.runs:
            return None
        exp = trip_exposure(self.scenario, trip)
        if placement:
            ied = list(exp.leg_ied)
            for i, c, a in self.leg_cells(trip):
                ied[i] += a * placement.get(c, 0.0)
            exp = replace(exp, leg_ied=tuple(ied))
        sim = simulate_plan(
            self.scenario, exp, planned_vehicles(self.loadout), num_runs=self.runs
        )
        return np.asarray(sim.num_ied + sim.num_ambush)

    def cvar90(
        self, trip: Trip, placement: Mapping[Cell, float] | None = None
    ) -> float | None:
        runs = self.incidents(trip, placement)
        return None if runs is None else cvar(runs, CVAR_LEVEL)

    def cvar90_if_leaked(self, trip: Trip) -> float | None:
        """CVaR 90 % with the adversary's worst-case devices on the trip."""
        x = best_response(self.hits(trip), self.attacker.budget, self.attacker.cap)[1]
        return self.cvar90(trip, x)

    def figures(self, trip: Trip) -> Figures:
        exp = float(trip.trip.exposure.total)
        hits = self.hits(trip)
        leak, x = best_response(hits, self.attacker.budget, self.attacker.cap)
        return Figures(exp, exp + leak, leak, self.cvar90(trip), self.cvar90(trip, x))


def adversary_result(
    scenario: Scenario,
    *,
    mode: str,
    objective: str,
    attacker: Attacker,
    budget_source: str,
    req: SearchRequest,
    contraction: Contraction,
    loadout: LoadPlan,
    trips: dict[str, Trip],
    robust: RobustPlan,
    march: Callable[[Trip], list[MarchRow]],
    runs: int,
    progress: Progress,
    steps: Callable[[int, int], None] | None = None,
) -> AdversaryResult:
    """
    The mix, the robust plan and the figures of every plan (see the module).

    ``trips`` are the plan's trips (the optimised one is the robust plan in robust
    mode); ``march`` makes a trip's march table.
    """
    pricer = _Pricer(scenario, contraction, attacker, loadout, runs)
    progress("adversary: mixed strategy (column generation)")
    mixed = mixed_strategy(req, attacker, static_schedule(robust), progress=steps)
    few, few_value = handful(mixed, attacker)
    moving = loadout.moving_ids
    values = (loadout.value_saved_usd, loadout.value_left_usd)

    def trip_of(name: str, schedule: Schedule) -> Trip:
        traj = expand_trajectory(contraction, schedule.trajectory(), exact=True)
        return priced_trip(name, contraction.original, traj, moving, values)

    progress("adversary: figures of every plan")
    static_trip = (
        trip_of("static", static_schedule(robust))
        if mode == "robust"
        else trips["optimised"]
    )
    rob_trip = (
        trips["optimised"]
        if mode == "robust"
        else trip_of("robust", robust.column.schedule)
    )
    figures = {"static": pricer.figures(static_trip)}
    figures["robust"] = (
        figures["static"]
        if robust.column is robust.candidates[0][0]
        else pricer.figures(rob_trip)
    )
    mix = [
        MixPlan(
            f"mix-{i + 1}",
            p,
            trip := trip_of(f"mix-{i + 1}", col.schedule),
            march(trip),
            pricer.figures(trip),
        )
        for i, (col, p) in enumerate(few)
    ]
    figures["mixed"] = _mix_figures(pricer, mix)
    figures.update(
        (name, pricer.figures(t)) for name, t in trips.items() if name != "optimised"
    )
    game = {**_game_info(mixed), "mix_value": few_value}
    notes = [
        f"attacker: {attacker.budget:g} devices or ambush positions "
        f"({budget_source}), at most {attacker.cap:g} per segment and "
        f"{attacker.window_h:g} h window",
    ]
    if objective == "cvar90":
        notes.append(CVAR_NOTE)
    return AdversaryResult(
        mode,
        objective,
        attacker,
        budget_source,
        figures,
        mix,
        game,
        rob_trip,
        notes,
    )


def static_schedule(robust: RobustPlan) -> Schedule:
    """The static plan's schedule (the first candidate of the robust search)."""
    return robust.candidates[0][0].schedule


def _mix_figures(pricer: _Pricer, mix: list[MixPlan]) -> Figures:
    """
    Figures of the mix: averages, and the best response to the mix.

    ``cvar90_leaked`` is the pooled tail with the adversary's best answer to the
    mix (it knows the mix, not the draw) on every plan of the mix.
    """
    gain: dict[Cell, float] = {}
    for m in mix:
        for c, a in pricer.hits(m.trip).items():
            gain[c] = gain.get(c, 0.0) + m.probability * a
    expected = sum(m.probability * m.figures.expected for m in mix)
    answer, x = best_response(gain, pricer.attacker.budget, pricer.attacker.cap)
    tail = _pooled_cvar(mix, [pricer.incidents(m.trip) for m in mix])
    tail_leaked = _pooled_cvar(mix, [pricer.incidents(m.trip, x) for m in mix])
    return Figures(
        expected,
        expected + answer,
        sum(m.probability * m.figures.leaked for m in mix),
        tail,
        tail_leaked,
    )


def _pooled_cvar(
    mix: list[MixPlan], runs: list[NDArray[np.int64] | None]
) -> float | None:
    """CVaR at 90 % of the plans' runs pooled, each run weighted by its plan."""
    if any(r is None for r in runs):
        return None
    pooled = [r for r in runs if r is not None]
    weights = [
        np.full(len(r), m.probability / len(r))
        for m, r in zip(mix, pooled, strict=True)
    ]
    return cvar(np.concatenate(pooled), CVAR_LEVEL, np.concatenate(weights))


def _game_info(mixed: MixedStrategy) -> dict[str, float]:
    return {
        "value": mixed.value,
        "lower_bound": mixed.lower_bound,
        "gap": mixed.gap,
        "columns": float(len(mixed.columns)),
        "iterations": float(mixed.iterations),
        "plans_in_mix": float(len(mixed.support())),
    }


#: What ``--objective cvar90`` does, for the notes of the plan.
CVAR_NOTE = (
    "objective cvar90: the plan is chosen among generated candidates (static mode: "
    "the best plan of each of the best departure days; robust mode: the robust "
    "search's candidates, by their CVaR if leaked; mixed mode: the "
    "mix itself minimises expected incidents) by the CVaR at 90 % of its simulated "
    "incidents; the exact search minimises expected incidents, not CVaR"
)

#: Monte Carlo runs behind each candidate's CVaR when ``--objective cvar90`` chooses.
CHOICE_RUNS = 2000

#: Largest number of departure days ``--objective cvar90`` compares in static mode.
CHOICE_DAYS = 4


@dataclass(frozen=True)
class MainChoice:
    """The schedule the plan keeps, and what the game found on the way."""

    schedule: Schedule
    request: SearchRequest
    attacker: Attacker
    budget_source: str
    robust: RobustPlan | None


def main_schedule(
    scenario: Scenario,
    er: EdgeRisk,
    loadout: LoadPlan,
    contraction: Contraction,
    static: Schedule,
    *,
    mode: str,
    objective: str,
    budget: float | None,
    progress: Progress,
) -> MainChoice:
    """
    The plan's own schedule for an adversary mode and objective.

    ``static``: the static plan, or with ``cvar90`` the best plan of each of the
    :data:`CHOICE_DAYS` best departure days chosen by its simulated CVaR.
    ``robust``: the robust plan, or with ``cvar90`` the robust search's candidate
    with the least CVaR if leaked (the adversary's worst-case devices simulated).
    ``mixed``: the static plan (the mix is drawn from on the day,
    :func:`adversary_result`).
    """
    req = search_request(scenario, loadout, contraction)
    attacker, source = scenario_attacker(er, budget)
    robust = None
    chosen = static
    if mode != "static":
        progress("adversary: robust plan (Bertsimas-Sim)")
        robust = robust_plan(req, attacker, static)
        if mode == "robust":
            chosen = robust.column.schedule
    if objective == "cvar90":
        progress("objective cvar90: simulated tails of the candidate plans")
        pricer = _Pricer(scenario, contraction, attacker, loadout, CHOICE_RUNS)
        moving = loadout.moving_ids
        values = (loadout.value_saved_usd, loadout.value_left_usd)

        def trip_of(schedule: Schedule) -> Trip:
            traj = expand_trajectory(contraction, schedule.trajectory(), exact=True)
            return priced_trip("candidate", contraction.original, traj, moving, values)

        if mode == "robust" and robust is not None:
            cands = [c.schedule for c, _w in robust.candidates]
            chosen = choose_by_cvar(cands, trip_of, pricer.cvar90_if_leaked)
        elif mode == "static":
            cands = departure_candidates(req, static)
            chosen = choose_by_cvar(cands, trip_of, pricer.cvar90)
    return MainChoice(chosen, req, attacker, source, robust)


def departure_candidates(
    req: SearchRequest, static: Schedule, days: int = CHOICE_DAYS
) -> list[Schedule]:
    """
    The static plan and the best plan leaving on each of the next best days.

    A day is a UTC calendar day of departure; each day's best departure step is
    taken from the static search's ``cost_by_departure`` and searched again with
    the departure fixed to it.
    """
    step = static.step_min
    m0 = req.model.start_minute_of_day
    cost = static.cost_by_departure
    best: dict[int, int] = {}
    for t in np.flatnonzero(np.isfinite(cost)).tolist():
        day = int((m0 + t * step) // 1440)
        if day not in best or cost[t] < cost[best[day]]:
            best[day] = t
    own = int((m0 + static.depart_step * step) // 1440)
    others = sorted((d for d in best if d != own), key=lambda d: (cost[best[d]], d))
    out = [static]
    for d in others[: max(days - 1, 0)]:
        t = best[d]
        out.append(
            replace(
                req, earliest_depart_min=t * step, latest_depart_min=t * step
            ).search()
        )
    return out


def choose_by_cvar(
    candidates: list[Schedule],
    trip_of: Callable[[Schedule], Trip],
    score: Callable[[Trip], float | None],
) -> Schedule:
    """The candidate with the least ``score`` (a CVaR); ties keep the earlier one."""
    best: tuple[float, int] | None = None
    pick = candidates[0]
    for i, sched in enumerate(candidates):
        tail = score(trip_of(sched))
        key = (tail if tail is not None else 0.0, i)
        if best is None or key < best:
            best = key
            pick = sched
    return pick

"""The game on the time-expanded network: plans from the exact schedule search.

:mod:`convoy.adversary.game` solves the game over given plans;
this module generates the plans with :func:`convoy.schedule.plan_schedule`:

- :func:`mixed_strategy`: column generation. Start from the static plan; solve the
  master LP over the plans so far; price a new plan by the schedule search with
  the attacker's placement against the mix added as extra cost of each segment
  and time window (:class:`convoy.schedule.attack.AttackCost`); stop when the
  new plan does not beat the master's value (duality gap under the tolerance)
  or after ``max_columns`` plans.
- :func:`robust_plan`: the best single plan against an attacker who learns it.
  The worst case of a plan is the budget on its most exposed cells; by LP
  duality it is ``min_theta B theta + u sum_c max(a_c - theta, 0)``, so for a
  fixed ``theta`` the robust problem is a schedule search with the extra cost
  ``u max(a - theta, 0)`` on every traversal (Bertsimas and Sim, 2003), and the
  best ``theta`` is one of the breakpoints ``0``, ``clearance_ied_factor`` and 1.
  Each candidate (and the static plan) is then priced by its exact worst case
  and the least is kept: the robust plan is never worse than the static plan in
  its worst case.

Segments are the edges of the model searched (the contracted road graph: a
stretch between junctions and sites), windows are ``window_h`` long, aligned on
midnight UTC; a traversal belongs to the window its head enters the segment in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from convoy.adversary.game import Cell, GameSolution, solve_master, worst_case
from convoy.errors import ScenarioError
from convoy.params import MovementParams
from convoy.schedule import ExposureModel, Schedule, plan_schedule
from convoy.schedule.attack import AttackCost, window_of_minute
from convoy.schedule.trajectory import Trajectory

#: Largest number of plans column generation generates (the static plan included).
MAX_COLUMNS = 150

#: Largest number of plans in the mix handed to the planner (an assumption: a
#: handful of march tables a staff can prepare and brief); the game's value over
#: every plan generated is reported next to the handful's.
MIX_PLANS = 6

#: Duality gap, relative to the game's value, under which column generation stops.
GAP_TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Attacker:
    """
    What the adversary can do: a budget of effort placed on segments and windows.

    Parameters
    ----------
    budget
        Total effort B, in devices or ambush positions (>= 0). One unit on a cell
        costs a column that drives the segment in that window one expected
        incident in normal mode, ``clearance_ied_factor`` of one under route
        clearance. :func:`default_budget` derives it from the threat field.
    cap
        Largest effort on one cell u (> 0): one device or ambush position per
        segment and window (an assumption).
    window_h
        Length of a time window, in hours (> 0): 24 h, a device laid for the day
        or an ambush party waiting a day (an assumption).
    """

    budget: float
    cap: float = 1.0
    window_h: float = 24.0

    def __post_init__(self) -> None:
        for name, value, lo in (
            ("budget", self.budget, 0.0),
            ("cap", self.cap, 1e-12),
            ("window_h", self.window_h, 1e-12),
        ):
            if not (math.isfinite(value) and value >= lo):
                expected = ">= 0" if lo == 0.0 else "> 0"
                msg = f"attacker: field '{name}' expected {expected}, found {value}"
                raise ScenarioError(msg)

    @property
    def window_min(self) -> float:
        """Window length, minutes."""
        return self.window_h * 60.0


#: Share of the threat field's IED total the adversary can move onto the convoy's
#: segments and windows (an assumption): a tenth of its devices in the area.
DEFAULT_BUDGET_SHARE = 0.1


def default_budget(edge_ied: np.ndarray, share: float = DEFAULT_BUDGET_SHARE) -> float:
    """
    The attacker's default budget from the threat field's total in the area.

    The IED channel integrated along a road is the expected number of devices a
    column driving it meets (victim-operated: one strike per device met), so its
    sum over every road of the scenario is the number of effective devices lying
    in the area at one time. The adversary who reads the plan is assumed to move
    ``share`` of them onto the convoy's segments and windows; the result is
    rounded to a whole device, at least one.

    Parameters
    ----------
    edge_ied
        The calibrated IED integral of each road edge (expected incidents).
    share
        Share of the area's devices moved (:data:`DEFAULT_BUDGET_SHARE`).
    """
    total = float(np.sum(edge_ied))
    return float(max(1, round(share * total)))


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """
    The schedule search a plan comes from (everything but the attack).

    Parameters
    ----------
    model
        Exposure model of the column (the contracted model).
    origin, destination
        Node ids.
    horizon_min
        Minutes from t0 to the deadline.
    movement
        Movement windows, daily limit and step.
    earliest_depart_min, latest_depart_min
        Departure window (earliest after destruction), minutes after t0; None
        for the deadline.
    """

    model: ExposureModel
    origin: int
    destination: int
    horizon_min: float
    movement: MovementParams
    earliest_depart_min: float = 0.0
    latest_depart_min: float | None = None

    def search(self, attack: AttackCost | None = None) -> Schedule:
        """The optimal schedule, with ``attack`` as extra cost."""
        return plan_schedule(
            self.model,
            self.origin,
            self.destination,
            horizon_min=self.horizon_min,
            movement=self.movement,
            earliest_depart_min=self.earliest_depart_min,
            latest_depart_min=self.latest_depart_min,
            attack=attack,
        )

    @property
    def clearance_factor(self) -> float:
        """Share of the effort's hits left under route clearance."""
        return float(self.model.clearance_ied_factor)

    def num_windows(self, window_min: float) -> int:
        """Windows from t0 to the deadline."""
        last = window_of_minute(
            float(self.horizon_min), self.model.start_minute_of_day, window_min
        )
        return int(last) + 1


def leg_hits(
    legs: list[tuple[int, float, str]],
    start_minute_of_day: float,
    window_min: float,
    clearance_factor: float,
) -> dict[Cell, float]:
    """
    ``a_c`` of a plan from its legs ``(segment, entry minute after t0, mode)``.

    Examples
    --------
    >>> leg_hits([(3, 0.0, "normal"), (4, 90.0, "clearance")], 0.0, 1440.0, 0.2)
    {(3, 0): 1.0, (4, 0): 0.2}
    """
    out: dict[Cell, float] = {}
    for seg, t, mode in legs:
        w = int(window_of_minute(float(t), start_minute_of_day, window_min))
        a = clearance_factor if mode == "clearance" else 1.0
        out[(int(seg), w)] = out.get((int(seg), w), 0.0) + a
    return out


def schedule_hits(
    schedule: Schedule, model: ExposureModel, window_min: float
) -> dict[Cell, float]:
    """``a_c`` of a schedule on ``model``'s edges."""
    s = schedule.step_min
    return leg_hits(
        [(leg.edge, leg.depart_step * s, leg.mode) for leg in schedule.legs],
        model.start_minute_of_day,
        window_min,
        float(model.clearance_ied_factor),
    )


def trajectory_hits(
    trajectory: Trajectory,
    segment_of_edge: Mapping[int, int],
    start_minute_of_day: float,
    window_min: float,
    clearance_factor: float,
) -> dict[Cell, float]:
    """
    ``a_c`` of a trajectory on the road network's edges, by segment.

    Consecutive legs on the pieces of one segment (``segment_of_edge``: road edge
    to segment; an edge not in it is its own segment, offset past the segments)
    count as one traversal, entered at the first piece's departure.
    """
    legs: list[tuple[int, float, str]] = []
    offset = max(segment_of_edge.values(), default=-1) + 1
    prev = None
    for leg in trajectory.legs:
        seg = segment_of_edge.get(leg.edge, offset + leg.edge)
        if seg != prev:
            legs.append((seg, leg.depart_min, leg.mode))
        prev = seg
    return leg_hits(legs, start_minute_of_day, window_min, clearance_factor)


def placement_cost(
    placement: Mapping[Cell, float],
    num_edges: int,
    num_windows: int,
    window_min: float,
    clearance_factor: float,
) -> AttackCost:
    """The attacker's placement as the search's extra cost (mode 1 at the factor)."""
    cost = np.zeros((num_edges, num_windows, 2))
    for (e, w), x in placement.items():
        if 0 <= e < num_edges and 0 <= w < num_windows:
            cost[e, w, 0] = x
            cost[e, w, 1] = x * clearance_factor
    return AttackCost(cost, window_min)


@dataclass(frozen=True)
class Column:
    """
    One plan of the game.

    Parameters
    ----------
    schedule
        The plan as the search found it.
    base
        ``b_j``: expected incidents plus price, the search's objective.
    hits
        ``a_jc`` by cell.
    """

    schedule: Schedule
    base: float
    hits: dict[Cell, float]

    @property
    def key(self) -> tuple[object, ...]:
        """What tells two plans apart: departure, legs with their modes and times."""
        s = self.schedule
        return (
            s.depart_step,
            tuple((leg.edge, leg.mode, leg.depart_step) for leg in s.legs),
            s.halts,
        )


def _column(req: SearchRequest, schedule: Schedule, window_min: float) -> Column:
    return Column(
        schedule, schedule.objective, schedule_hits(schedule, req.model, window_min)
    )


@dataclass(frozen=True)
class MixedStrategy:
    """
    The defender's optimal mix found by column generation.

    Parameters
    ----------
    columns
        Every plan generated, the static plan first.
    solution
        The master LP over them: value, probabilities, attacker's placement.
    lower_bound
        The best plan's loss against the last placement: the game's value is in
        [lower_bound, solution.value].
    iterations
        Pricing searches run.
    """

    columns: list[Column]
    solution: GameSolution
    lower_bound: float
    iterations: int
    history: list[tuple[float, float]] = field(default_factory=list)

    @property
    def value(self) -> float:
        """The game's value (upper bound), in the search's objective."""
        return self.solution.value

    @property
    def gap(self) -> float:
        """Duality gap: upper minus lower bound (>= 0 up to round-off)."""
        return max(0.0, self.solution.value - self.lower_bound)

    def support(self, min_probability: float = 1e-6) -> list[tuple[Column, float]]:
        """Plans of the mix with their probabilities, largest first."""
        pairs = [
            (c, float(p))
            for c, p in zip(self.columns, self.solution.mix, strict=True)
            if p > min_probability
        ]
        total = sum(p for _c, p in pairs)
        return sorted(
            ((c, p / total) for c, p in pairs),
            key=lambda cp: (-cp[1], cp[0].schedule.depart_step),
        )


def handful(
    mixed: MixedStrategy, attacker: Attacker, num_plans: int = MIX_PLANS
) -> tuple[list[tuple[Column, float]], float]:
    """
    The best mix over at most ``num_plans`` plans of the generated ones.

    The ``num_plans`` most probable plans of the full mix, re-weighted by the
    master LP over them alone. Returns the plans with their probabilities (most
    likely first) and that mix's value against the attacker's best response (at
    least the full game's value).
    """
    top = [c for c, _p in mixed.support()[:num_plans]]
    sol = solve_master(
        [c.base for c in top], [c.hits for c in top], attacker.budget, attacker.cap
    )
    pairs = [(c, float(p)) for c, p in zip(top, sol.mix, strict=True) if p > 1e-6]
    total = sum(p for _c, p in pairs)
    pairs = [(c, p / total) for c, p in pairs]
    pairs.sort(key=lambda cp: (-cp[1], cp[0].schedule.depart_step))
    return pairs, sol.value


def mixed_strategy(
    req: SearchRequest,
    attacker: Attacker,
    first: Schedule | None = None,
    *,
    max_columns: int = MAX_COLUMNS,
    tol: float = GAP_TOL,
    progress: Callable[[int, int], None] | None = None,
) -> MixedStrategy:
    """
    The defender's optimal mix of plans against the attacker, by column generation.

    Parameters
    ----------
    req
        The search the plans come from.
    attacker
        Budget, cap and windows of the adversary.
    first
        The static plan (searched when not given).
    max_columns
        Largest number of plans generated.
    tol
        Relative duality gap under which generation stops.
    progress
        Called as ``progress(plans, max_columns)`` after each pricing search.

    Returns
    -------
    MixedStrategy
    """
    wmin = attacker.window_min
    nw = req.num_windows(wmin)
    f = req.clearance_factor
    cols = [_column(req, first or req.search(), wmin)]
    keys = {cols[0].key}
    history: list[tuple[float, float]] = []
    lower = -math.inf
    iterations = 0
    while True:
        sol = solve_master(
            [c.base for c in cols],
            [c.hits for c in cols],
            attacker.budget,
            attacker.cap,
        )
        if attacker.budget <= 0:
            lower = sol.value
            break
        if len(cols) >= max_columns:
            break
        attack = placement_cost(sol.placement, req.model.num_edges, nw, wmin, f)
        new = _column(req, req.search(attack), wmin)
        iterations += 1
        priced = new.base + sum(
            x * new.hits.get(c, 0.0) for c, x in sol.placement.items()
        )
        lower = max(lower, priced)
        history.append((sol.value, lower))
        if progress is not None:
            progress(len(cols), max_columns)
        if priced >= sol.value - tol * max(1.0, abs(sol.value)) or new.key in keys:
            break
        cols.append(new)
        keys.add(new.key)
    return MixedStrategy(cols, sol, min(lower, sol.value), iterations, history)


@dataclass(frozen=True)
class RobustPlan:
    """
    The best single plan against an attacker who learns it.

    Parameters
    ----------
    column
        The plan.
    worst
        Its loss when the attacker knows it: base plus the worst case.
    candidates
        Every candidate priced (static first), with its worst-case loss.
    """

    column: Column
    worst: float
    candidates: list[tuple[Column, float]]


def robust_plan(
    req: SearchRequest, attacker: Attacker, first: Schedule | None = None
) -> RobustPlan:
    """
    The plan with the least worst-case loss (Bertsimas-Sim, exact search per theta).

    With a zero budget it is the static plan.
    """
    wmin = attacker.window_min
    nw = req.num_windows(wmin)
    f = req.clearance_factor
    static = _column(req, first or req.search(), wmin)
    b, u = attacker.budget, attacker.cap

    def worst(c: Column) -> float:
        return c.base + worst_case(c.hits, b, u)

    cands = [(static, worst(static))]
    if b > 0:
        for theta in sorted({0.0, f, 1.0}):
            cost = np.zeros((req.model.num_edges, nw, 2))
            cost[:, :, 0] = u * max(1.0 - theta, 0.0)
            cost[:, :, 1] = u * max(f - theta, 0.0)
            c = _column(req, req.search(AttackCost(cost, wmin)), wmin)
            cands.append((c, worst(c)))
    best = min(range(len(cands)), key=lambda i: (cands[i][1], i))
    return RobustPlan(cands[best][0], cands[best][1], cands)

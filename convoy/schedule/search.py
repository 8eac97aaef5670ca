"""The schedule: when to leave, which roads, which mode on each leg, where to halt.

Model (units in brackets)
-------------------------
Time is cut into steps of ``step_min`` [min] from the scenario start t0 to the
deadline; point t is ``t * step_min`` minutes after t0 and step s is the interval
[s, s + 1). The minute of the UTC day at t0 is known, so every step has an hour of
day, lies inside or outside the movement windows and inside or outside daylight.

A column moves along road edges in one of two modes (``MODES``):

- ``normal``: speed v = the slowest moving vehicle's speed on the edge's surface,
  capped by the edge's maxspeed and ``max_speed_kph`` [km/h];
- ``clearance`` (route clearance): v = min(``clearance_speed_kph``, normal) and
  the IED channel is multiplied by ``clearance_ied_factor``. Only a column with a
  clearance team may (``ExposureModel.clearance_available``, set from the fleet's
  ``route_clearance`` vehicles); without one every traversal is ``normal``.

A traversal departing at t first takes its day duration d = ceil(length / v /
step); if those d steps are not all in daylight it is a night traversal: the speed
is multiplied by ``night_speed_factor``, d is recomputed, and the column length is
the night one. The column then drives the edge at the pace that fills the d steps,
v_eff = length / (d * step) <= v: it occupies the edge for whole steps, and pricing
it at v would let a column shuttle on a short edge more cheaply than it could halt.
A whole traversal must lie inside the movement windows (a column cannot stop
between nodes) and end by the deadline; and the whole column must: the head's
traversal must end at least the column's pass time (``ExposureModel.pass_time_min``
at the leg's speed, day or night, rounded up to steps) before its window closes, so
that the last march unit's tail clears the edge inside the window.

Its cost, in expected incidents, is the exposure of :mod:`convoy.schedule.exposure`
on the interval [t, t + d): ``edge_ied * f_mode * mean(d_ied)`` plus
``edge_ambush * (L / v_eff) * mean(d_ambush)``, the means being exact averages of the
hourly profiles over the interval (prefix sums at the step points, so each
traversal costs O(1)). The column may wait only at nodes where it may halt (camps,
halt sites, the destination) and, before departing, at the origin; waiting at the
origin before departure is free (the force is still in its camp), any later halt
costs ``node_ambush * halt_exposure_factor * L * hours * d_ambush``. With
``roadside_halt_factor`` > 0 the column may also halt at any other node, at that
factor times the cost (no perimeter): halt sites stay preferred. A site too small
for the column is no halt site (see :func:`convoy.plan.halt_sites_too_small`).

The objective adds the running cost of the column to the expected incidents: each
edge's km times ``ExposureModel.km_price`` (expected breakdowns and fuel) and each
step after departure, driving or halted, times ``hour_price`` (crew hours), all in
expected-incident equivalents. Without it a zero-risk road costs nothing and the
column drives in circles rather than wait.

Hard constraints: departure in [earliest, latest] (destruction work before leaving
sets the earliest), movement of the whole column inside the windows, at most
``daily_driving_limit_h`` of driving per UTC calendar day (a step counts in the day
it starts; the count resets at midnight), arrival of the head at the destination by
the deadline. The daily limit holds for every march unit: with a limit under 24 h
no traversal plus pass time may straddle midnight, so each unit drives each leg on
the head's calendar day and its daily driving equals the head's.

Search
------
Label setting backwards in time over states (node, point, steps driven today).
The label of a state is the best (objective, arrival step, steps driven)
to reach the destination from it, in that lexicographic order (then the lowest next
node id), so ties are broken deterministically: earliest arrival, then fewest steps
driven, then lowest node ids. Dominance: at the same node and point, a label with no
more cost and no more driving today wins, so the labels of one (node, point) form a
non-decreasing step function of the steps driven today; it is stored densely over
the levels that can still matter (a level from which the rest of the day's windows
cannot reach the limit has the same future as the lowest such level and is merged
with it). One backward pass gives the optimal cost-to-go of every state, hence the
optimal expected incidents for every departure step from the origin
(``Schedule.cost_by_departure``). The search is exact for the time discretisation.

When no schedule meets the deadline, a forward earliest-arrival search (risk
ignored, deadline pushed back by up to ``EXTRA_DAYS``) names the earliest feasible
arrival in the :class:`~convoy.errors.InfeasibleError`, and the same search with
the daily driving limit, then the movement windows, lifted says which of them binds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from convoy.errors import InfeasibleError, NoRouteError, ScenarioError
from convoy.params import MovementParams
from convoy.schedule import _labels
from convoy.schedule.attack import AttackCost, kernel_arrays
from convoy.schedule.exposure import MODES, ExposureModel
from convoy.schedule.infeasible import fmt_time, infeasible_message
from convoy.schedule.tables import (
    BOUND_SHARE,
    COST_ABS_MARGIN,
    COST_MARGIN,
    Corridor,
    SearchGraph,
    StepTables,
    bound_nodes,
    cheapest_through,
    connected,
    corridor,
    cost_cut,
    edge_cost_floor,
    idle_price,
    search_graph,
    step_cost_floor,
    step_tables,
)
from convoy.schedule.trajectory import Halt, Leg, Trajectory

#: Largest number of (node, point, level) states one search may hold
#: (``STATE_BYTES`` each): beyond it, use a longer step or a shorter horizon.
MAX_STATES = 50_000_000

#: Bytes of one state's label: cost (float64), arrival and steps driven (uint16
#: each while the horizon has fewer than ``SHORT_STEPS`` steps, else int32) and
#: action (int32).
STATE_BYTES = 16

#: Horizons of fewer steps than this store arrivals and steps driven as uint16
#: (45 days at 1-minute steps); longer ones as int32, 4 bytes more a state.
SHORT_STEPS = 65_535


def _step_dtype(num_steps: int) -> type[np.unsignedinteger] | type[np.signedinteger]:
    """The dtype of the arrival and steps-driven labels over ``num_steps`` steps."""
    return np.uint16 if num_steps < SHORT_STEPS else np.int32


def _state_bytes(num_steps: int) -> int:
    return STATE_BYTES if num_steps < SHORT_STEPS else STATE_BYTES + 4


#: Whether the search holds only the states of the corridor (see
#: :func:`convoy.schedule.tables.corridor`); False keeps every (node, point), for
#: tests that compare both.
PRUNE = True

_EPS = 1e-9

#: Relative difference of expected incidents below which two departures count as
#: equally good (then the earlier arrival wins).
COST_TIE_REL = 1e-9


@dataclass(frozen=True, slots=True)
class ScheduleLeg:
    """
    One edge of the schedule.

    Parameters
    ----------
    edge, from_node, to_node
        Edge id and the nodes it is driven from and to.
    mode
        ``"normal"`` or ``"clearance"``.
    night
        True if the leg is not wholly in daylight (night speed and interval).
    depart_step, arrive_step
        Head of the column leaves and arrives, in steps after t0.
    speed_kph
        Speed of the column, in km/h: the pace that fills the leg's whole steps.
    ied, ambush
        Expected incidents of the leg.
    """

    edge: int
    from_node: int
    to_node: int
    mode: str
    night: bool
    depart_step: int
    arrive_step: int
    speed_kph: float
    ied: float
    ambush: float


@dataclass(frozen=True, slots=True)
class Schedule:
    """
    The optimal schedule of one column, and the cost of every departure step.

    Parameters
    ----------
    legs
        Legs in order.
    halts
        (node, start_step, end_step) of each halt after departure.
    ied, ambush_moving, ambush_halted
        Expected incidents by channel.
    step_min
        Length of a step, in minutes.
    depart_step, arrive_step
        Departure from the origin and arrival at the destination, in steps.
    price
        Price of the km driven and the hours from departure to arrival, in
        expected incidents (``ExposureModel.km_price`` and ``hour_price``).
    cost_by_departure
        Optimal objective (expected incidents plus price) when leaving the
        origin exactly at step t, for t = 0 .. num_steps (inf where no schedule
        leaving then meets the deadline or t is outside the departure window).
    """

    legs: tuple[ScheduleLeg, ...]
    halts: tuple[tuple[int, int, int], ...]
    ied: float
    ambush_moving: float
    ambush_halted: float
    step_min: int
    depart_step: int
    arrive_step: int
    cost_by_departure: NDArray[np.float64] = field(repr=False)
    price: float = 0.0

    @property
    def expected_incidents(self) -> float:
        """Total expected incidents."""
        return self.ied + self.ambush_moving + self.ambush_halted

    @property
    def objective(self) -> float:
        """What the search minimises: expected incidents plus the price."""
        return self.expected_incidents + self.price

    @property
    def node_path(self) -> tuple[int, ...]:
        """Nodes from origin to destination."""
        return (self.legs[0].from_node, *(leg.to_node for leg in self.legs))

    @property
    def edge_path(self) -> tuple[int, ...]:
        """Edges in order."""
        return tuple(leg.edge for leg in self.legs)

    @property
    def modes(self) -> tuple[str, ...]:
        """Mode of each leg."""
        return tuple(leg.mode for leg in self.legs)

    @property
    def depart_min(self) -> float:
        """Departure, minutes after t0."""
        return float(self.depart_step * self.step_min)

    @property
    def arrive_min(self) -> float:
        """Arrival, minutes after t0."""
        return float(self.arrive_step * self.step_min)

    @property
    def steps_driven(self) -> int:
        """Steps spent driving."""
        return sum(leg.arrive_step - leg.depart_step for leg in self.legs)

    def trajectory(self) -> Trajectory:
        """The schedule as a trajectory, for :func:`trajectory_exposure`."""
        s = self.step_min
        legs = tuple(
            Leg(
                leg.edge,
                leg.from_node,
                leg.depart_step * s,
                leg.arrive_step * s,
                leg.mode,
                leg.speed_kph,
            )
            for leg in self.legs
        )
        halts = tuple(Halt(n, a * s, b * s) for n, a, b in self.halts)
        return Trajectory(legs, halts)


def plan_schedule(
    model: ExposureModel,
    origin: int,
    destination: int,
    *,
    horizon_min: float,
    movement: MovementParams | None = None,
    earliest_depart_min: float = 0.0,
    latest_depart_min: float | None = None,
    start: datetime | None = None,
    node_names: Mapping[int, str] | None = None,
    attack: AttackCost | None = None,
    costs_read: Literal["each", "suffix_min", "best"] = "each",
) -> Schedule:
    """
    The schedule with the fewest expected incidents that meets every hard constraint.

    Parameters
    ----------
    model
        Exposure model of the column on the network.
    origin, destination
        Node ids.
    horizon_min
        Minutes from t0 to the deadline (> 0).
    movement
        Movement windows, daily driving limit and step (``MovementParams``; day
        length, speeds and factors are taken from ``model``).
    earliest_depart_min, latest_depart_min
        Departure window, minutes after t0; the earliest is rounded up to a step,
        the latest down (default: the deadline).
    start
        t0 as a UTC datetime, for messages only.
    node_names
        Names of nodes (sites), for messages only.
    attack
        An adversary's effort: extra expected incidents by (edge, time window,
        mode) that the search adds to each traversal's cost
        (:mod:`convoy.schedule.attack`); the schedule's ``cost_by_departure``
        includes it, its legs' ``ied`` and ``ambush`` do not.
    costs_read
        What the caller reads of ``cost_by_departure``: ``"each"`` every entry;
        ``"suffix_min"`` only its minima over the steps at or after each step
        (the best cost of leaving no earlier than a delay, what the risk table
        reads). With ``"suffix_min"`` the search drops the states that no such
        minimum's trip can pass (the cost cut, see Notes); those minima, the
        schedule and its every figure are the same as with ``"each"``; single
        entries of ``cost_by_departure`` may be larger (inf included).
        ``"best"``: only the schedule (its least entry and the departures tied
        with it); the cut is then tighter, the other entries may be larger.

    Returns
    -------
    Schedule
        Legs, halts, expected incidents and the cost of every departure step.

    Raises
    ------
    ScenarioError
        If a node id or the horizon is out of range, or the search is too large.
    NoRouteError
        If the road network does not connect origin and destination.
    InfeasibleError
        If no schedule arrives by the deadline; the message names the constraints
        and the earliest feasible arrival.

    Notes
    -----
    The cost cut (``costs_read="suffix_min"``). Every traversal of edge e costs
    at least ``w[e] >= 0`` (:func:`~convoy.schedule.tables.edge_cost_floor`: its
    kilometres' price, its steps' crew hours, and the least mean of the diurnal
    profiles and attack cost; None, and no cut, when some cost term could be
    negative) and every halt at least 0. Let ``lo[n]`` and ``ld[n]`` be the
    cheapest paths by ``w`` from the origin to n and from n to the destination,
    C(t) the optimal cost of leaving at t, S(t) the least C over the steps >= t
    (non-decreasing) and U(t) >= S(t) for every t, non-decreasing: here the
    suffix minima of a first search restricted to an eighth of the nodes
    (:func:`~convoy.schedule.tables.bound_nodes`), whose trips are trips of the
    network, so that its costs are at least C. Every trip through n costs at
    least ``need[n] = lo[n] + ld[n]``; with a daily driving limit also at least
    ``lo2[n] + ld2[n] - c0``, the cheapest paths by ``w`` plus ``a`` per step
    driven, less c0 (:func:`~convoy.schedule.tables.idle_price`: the halts
    that a trip's driving forces cost at least a times its steps driven less
    c0), and ``need`` is the larger. The search then holds node n
    only from the first point t with ``need[n] <= U(t)``
    (:func:`~convoy.schedule.tables.cost_cut`) and reads the states before it
    as infeasible. With ``costs_read="best"`` U is constant, the least cost of
    the first search (at least the optimum C*): a node is held from its first
    point in the corridor if ``need[n] <= U``, and not at all otherwise.

    Call a state s = (n, t, h) *good* when ``P(s) + cost(s) <= U(t)``, cost(s)
    being its cost in the full search and P(s) the least cost of the part
    before s of a trip through s (leaving the origin in the window); a good
    state is held, as ``P(s) + cost(s)`` is the cost of a trip through n, at
    least ``need[n]``. (1) Every cost of the cut search is at least the full search's:
    it is the best over fewer trips (by induction backwards in time, adding a
    traversal's cost being monotone in floating point). (2) A good state's label
    is the full search's, bit for bit. Backwards in time: the full search's best
    move from s, of cost c0, leads to s' with cost(s) = c0 + cost(s'); as
    ``P(s') <= P(s) + c0`` (the part before s' may be the one before s and the
    move) and U is non-decreasing, s' is good, so by induction its label and
    this candidate are the same. Any other candidate, through s'' by a move of
    cost c'', whose cost ties with or beats cost(s) has ``cost(s'') <= cost(s)
    - c''`` by (1), and ``P(s'') <= P(s) + c''``, so s'' is good by the same sum
    and the candidate is the full search's; candidates through states
    that are not good cost more than cost(s) in both searches. So the candidates
    at the least cost are the same, met in the same order, and the tie-breaks
    pick the same. (3) A departure t* reaching S(d) (t* >= d, C(t*) = S(d) =
    S(t*)) leads to a good state (P is at most the cost of its first move),
    as C(t*) = S(t*) <= U(t*): the cut search's
    C(t*) is exact and, with (1), so is every suffix minimum. The optimum and
    the departures within ``COST_TIE_REL`` of it are exact in the same way
    (their costs are within the margin of S at their step, and of C* <= U with
    ``"best"``), so the schedule is the same.

    With ``"best"``, if every step after departure costs at least k > 0 (a
    traversal's floor over its steps, a halt step's least cost:
    :func:`~convoy.schedule.tables.step_cost_floor`), a trip leaving at or
    before ``latest`` and at state s at t costs at least ``k * (t - latest) +
    cost(s)``, and cost(s) >= k * b[n] (``b`` the fewest steps to the
    destination). So good is also asked of ``k * (t - latest) + cost(s) <= U``,
    which the best move keeps (a move of D steps costs at least k * D) and
    which holds at the optimum's first state; a good state lies at or before
    ``latest + U / k - b[n]``, and the states after it are read as infeasible
    (:func:`~convoy.schedule.tables.corridor`, ``end``); the argument above
    holds word for word. With real numbers every
    inequality holds as written; floating-point sums along a trip differ from
    them by far less than ``COST_MARGIN``, which enlarges U and c0 and shrinks
    ``w``, ``a`` and the path sums. Tested
    bit for bit against the full search on random cases.

    Examples
    --------
    >>> sched = plan_schedule(model, kidal, gao, horizon_min=12 * 1440.0)
    >>> sched.expected_incidents, sched.depart_min, sched.arrive_min  # doctest: +SKIP
    """
    movement = movement or MovementParams()
    step = movement.step_min
    names = dict(node_names or {})
    num_steps, earliest, latest = _check_request(
        model,
        origin,
        destination,
        horizon_min,
        step,
        earliest_depart_min,
        latest_depart_min,
    )
    g = search_graph(model, step, movement.daily_driving_limit_h)
    o_name = names.get(origin, f"node {origin}")
    d_name = names.get(destination, f"node {destination}")
    if not connected(g, origin, destination):
        msg = f"the road network does not connect {o_name} to {d_name}"
        raise NoRouteError(msg)
    if latest < earliest:
        msg = (
            f"no departure from {o_name} fits: the earliest is "
            f"{fmt_time(earliest * step, start)}, the latest "
            f"{fmt_time(latest * step, start)}"
        )
        raise InfeasibleError(msg)

    tab = step_tables(model, movement, num_steps, int(g.tail.max(initial=0)))
    att = kernel_arrays(
        attack, model.num_edges, num_steps, step, model.start_minute_of_day
    )
    limit = _limit(movement)
    lay = _layout(
        model,
        g,
        tab,
        (origin, destination, earliest, latest),
        step,
        att,
        costs_read,
        limit,
    )
    _check_size(model, tab, lay, step, limit)
    labels, dep = _full_search(
        model, g, tab, lay, (origin, destination, earliest, latest), step, att
    )
    dep_cost, dep_arr, dep_drv, dep_act = dep
    ok = np.flatnonzero(dep_act >= 0)
    if len(ok) == 0:
        raise InfeasibleError(
            infeasible_message(
                model,
                g,
                movement,
                origin,
                destination,
                earliest,
                latest,
                num_steps,
                start,
                o_name,
                d_name,
            )
        )
    # Best departure: cost, then arrival, steps driven, the earliest departure.
    # Costs equal to within floating-point noise count as equal: otherwise the
    # last bits of the diurnal sums (a day later is the same day again) decide,
    # and the column would wait days in camp for nothing.
    best = float(dep_cost[ok].min())
    tied = ok[dep_cost[ok] <= best + COST_TIE_REL * abs(best) + 1e-15]
    t_dep = int(min(tied, key=lambda t: (dep_arr[t], dep_drv[t], t)))
    rows = _walk(model, g, tab, lay, labels, origin, t_dep, dep_arr, dep_act)
    return _assemble(model, g, rows, step, t_dep, dep_cost)


@dataclass(frozen=True, slots=True)
class SearchSize:
    """
    The size of one schedule search, counted as its state-limit check counts it.

    Parameters
    ----------
    states
        (node, point, level) states the search would hold.
    nodes, num_nodes
        Nodes that can lie on a trip in time, of the model's nodes.
    points, levels
        Time points of the horizon and (point, driving level) pairs.
    step_min
        Length of a step, in minutes.
    bytes_per_state
        Bytes of one state's label.
    limit
        The state limit it is checked against (0: ``MAX_STATES``).
    """

    states: int
    nodes: int
    num_nodes: int
    points: int
    levels: int
    step_min: int
    bytes_per_state: int
    limit: int = 0

    @property
    def gib(self) -> float:
        """Labels the search would allocate, in GiB."""
        return self.states * self.bytes_per_state / 2**30


def search_size(
    model: ExposureModel,
    origin: int,
    destination: int,
    *,
    horizon_min: float,
    movement: MovementParams | None = None,
    earliest_depart_min: float = 0.0,
    latest_depart_min: float | None = None,
    attack: AttackCost | None = None,
    costs_read: Literal["each", "suffix_min", "best"] = "each",
) -> SearchSize:
    """
    The states :func:`plan_schedule` with the same arguments would hold.

    The same count as its state-limit check: the corridor, and with
    ``costs_read`` other than ``"each"`` the cost cut, whose first search runs
    on the two bound paths alone when the search without the cut is over
    ``MAX_STATES`` (a few seconds at theatre scale), so that a caller can refuse
    a plan before running any of its full searches (:func:`check_sizes`).
    0 states where :func:`plan_schedule` fails before its search (no route,
    an empty departure window).

    Raises
    ------
    ScenarioError
        If a node id or the horizon is out of range.
    """
    movement = movement or MovementParams()
    step = movement.step_min
    num_steps, earliest, latest = _check_request(
        model,
        origin,
        destination,
        horizon_min,
        step,
        earliest_depart_min,
        latest_depart_min,
    )
    g = search_graph(model, step, movement.daily_driving_limit_h)
    tab = step_tables(model, movement, num_steps, int(g.tail.max(initial=0)))
    states, nodes = 0, 0
    if latest >= earliest and connected(g, origin, destination):
        att = kernel_arrays(
            attack, model.num_edges, num_steps, step, model.start_minute_of_day
        )
        lay = _layout(
            model,
            g,
            tab,
            (origin, destination, earliest, latest),
            step,
            att,
            costs_read,
            _limit(movement),
        )
        states, nodes = lay.num_states, lay.num_nodes
    return _sized(model, tab, states, nodes, step, _limit(movement))


def _sized(
    model: ExposureModel,
    tab: StepTables,
    states: int,
    nodes: int,
    step: int,
    limit: int,
) -> SearchSize:
    """The :class:`SearchSize` of a search over ``tab`` holding ``states``."""
    return SearchSize(
        states,
        nodes,
        model.num_nodes,
        tab.num_steps + 1,
        tab.num_levels,
        step,
        _state_bytes(tab.num_steps),
        limit,
    )


def _limit(movement: MovementParams) -> int:
    """The state limit of a search: ``[movement] max_search_states`` or the default."""
    return movement.max_search_states or MAX_STATES


def check_size(size: SearchSize, what: str, ran: str = "no search was run") -> None:
    """
    Refuse a search over its state limit from its :func:`search_size`, before it runs.

    ``what`` names the search in the message (``"for ..."``), ``ran`` says what
    the plan has run so far.

    Raises
    ------
    ScenarioError
        If the search would hold more than its state limit.
    """
    if size.states > (size.limit or MAX_STATES):
        raise ScenarioError(_size_message(size, f" {what}") + f"; {ran}")


def _check_request(
    model: ExposureModel,
    origin: int,
    destination: int,
    horizon_min: float,
    step: int,
    earliest_depart_min: float,
    latest_depart_min: float | None,
) -> tuple[int, int, int]:
    """Checked nodes and horizon; (steps to the deadline, earliest, latest step)."""
    for label, node in (("origin", origin), ("destination", destination)):
        if not 0 <= node < model.num_nodes:
            msg = (
                f"schedule: field '{label}' expected a node id in "
                f"[0, {model.num_nodes}), found {node}"
            )
            raise ScenarioError(msg)
    if origin == destination:
        msg = (
            f"schedule: expected origin and destination to differ, found {origin} twice"
        )
        raise ScenarioError(msg)
    if not (math.isfinite(horizon_min) and horizon_min > 0):
        msg = f"schedule: field 'horizon_min' expected minutes > 0, found {horizon_min}"
        raise ScenarioError(msg)
    num_steps = math.floor(horizon_min / step + _EPS)
    earliest = max(0, math.ceil(earliest_depart_min / step - _EPS))
    latest_min = horizon_min if latest_depart_min is None else latest_depart_min
    latest = math.floor(latest_min / step + _EPS)
    return num_steps, earliest, latest


_Labels = tuple[
    NDArray[np.float64], NDArray[np.integer], NDArray[np.integer], NDArray[np.int32]
]


_Att = tuple[NDArray[np.float64], NDArray[np.int64], int]


def _cost_cut(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    ends: tuple[int, int, int, int],
    step: int,
    att: _Att,
    *,
    best_only: bool,
    share: float,
    limit: int,
) -> tuple[NDArray[np.int64], int | None] | None:
    """
    The cost cut of ``plan_schedule`` (Notes), or None where it does not hold.

    ``ends`` is (origin, destination, earliest, latest). A first search on the
    nodes of :func:`~convoy.schedule.tables.bound_nodes` (the ``share`` of the
    network, or its two paths alone when that would exceed a quarter of
    the state limit) gives costs of real trips; their suffix minima (with
    ``best_only`` their least), enlarged by ``COST_MARGIN`` and
    ``COST_ABS_MARGIN``, are the bound U. Where that search finds no trip U is
    inf and nothing is cut; if even the two paths exceed the limit, no
    cut. With ``best_only`` and a positive floor k on the cost of every step
    after departure (:func:`~convoy.schedule.tables.step_cost_floor`), also the
    last arrival a read trip can afford, ``latest + U / k``.
    """
    origin, destination, earliest, latest = ends
    floor = edge_cost_floor(g, tab, float(step), att)
    if floor is None:
        return None
    need, pred = cheapest_through(g, floor, origin, destination)
    idle = idle_price(g, tab)
    if idle is not None:
        # the halts the driving forces: a second floor, the larger bound holds
        floor2 = edge_cost_floor(g, tab, float(step), att, per_step=idle[0])
        if floor2 is not None:
            need2 = cheapest_through(g, floor2, origin, destination)[0] - idle[1]
            need = np.maximum(need, need2)
    keep = bound_nodes(g, need, pred, origin, destination, share)
    few = corridor(
        g, tab, origin, destination, earliest, bucket=1440 // step, keep=keep
    )
    if few.num_states > limit // 4:
        # a network too large for an eighth of it: the two paths alone
        keep = bound_nodes(g, need, pred, origin, destination, share=0.0)
        few = corridor(
            g, tab, origin, destination, earliest, bucket=1440 // step, keep=keep
        )
        if few.num_states > limit:
            return None
    labels = _fill_labels(model, g, tab, few, destination, step, att)
    dep_cost = _departure_labels(
        model, g, tab, few, labels, origin, earliest, latest, step, att
    )[0]
    bound = np.minimum.accumulate(dep_cost[::-1])[::-1]
    if best_only:
        bound[:] = bound[0]
    bound = bound * (1.0 + COST_MARGIN) + COST_ABS_MARGIN
    end = None
    kappa = step_cost_floor(g, tab, floor)
    last = min(latest, tab.num_steps)
    if best_only and kappa > 0.0 and bound[0] / kappa < tab.num_steps - last:
        end = last + math.floor(bound[0] / kappa)
    return cost_cut(need, bound), end


def _check_size(
    model: ExposureModel, tab: StepTables, lay: Corridor, step: int, limit: int
) -> None:
    """Refuse, before any label is allocated, a search larger than ``limit``."""
    if lay.num_states <= limit:
        return
    size = _sized(model, tab, lay.num_states, lay.num_nodes, step, limit)
    raise ScenarioError(_size_message(size, ""))


def _size_message(size: SearchSize, what: str) -> str:
    """The refusal of a search over its limit: its numbers, what to change."""
    limit = size.limit or MAX_STATES
    return (
        f"schedule: the search{what} would hold {size.states:,} states "
        f"({size.nodes:,} of {size.num_nodes:,} nodes can lie on a trip in time, "
        f"{size.points:,} time points of {size.step_min} min, "
        f"{size.levels:,} (time point, driving level) pairs), about "
        f"{size.gib:.1f} GiB of labels, over the limit of {limit:,} states "
        f"({limit * size.bytes_per_state / 2**30:.1f} GiB); expected a longer "
        f"[movement] step_min than {size.step_min}, an earlier deadline (shorter "
        "horizon), a smaller road extract or, with the memory to spare, a larger "
        "[movement] max_search_states"
    )


def _layout(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    ends: tuple[int, int, int, int],
    step: int,
    att: _Att,
    costs_read: str,
    limit: int,
) -> Corridor:
    """The states of the search: the corridor, cut by cost unless each is read."""
    origin, destination, earliest, _latest = ends
    lay = corridor(
        g, tab, origin, destination, earliest, prune=PRUNE, bucket=1440 // step
    )
    if not PRUNE or costs_read == "each":
        return lay
    cut = _cost_cut(
        model,
        g,
        tab,
        ends,
        step,
        att,
        best_only=costs_read == "best",
        # over the limit without the cut: a first search on the two paths
        # alone, a few seconds, so that the count is cheap where it may refuse
        share=BOUND_SHARE if lay.num_states <= limit else 0.0,
        limit=limit,
    )
    if cut is None:
        return lay
    return corridor(
        g,
        tab,
        origin,
        destination,
        earliest,
        prune=PRUNE,
        bucket=1440 // step,
        cut=cut[0],
        end=cut[1],
    )


def _full_search(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    lay: Corridor,
    ends: tuple[int, int, int, int],
    step: int,
    att: _Att,
) -> tuple[
    _Labels,
    tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]],
]:
    """The search itself: every state's label, then every departure's."""
    origin, destination, earliest, latest = ends
    labels = _fill_labels(model, g, tab, lay, destination, step, att)
    dep = _departure_labels(
        model, g, tab, lay, labels, origin, earliest, latest, step, att
    )
    return labels, dep


def _fill_labels(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    lay: Corridor,
    destination: int,
    step: int,
    att: _Att,
) -> _Labels:
    """The backward pass: (cost, arrival, steps driven, action) of every state."""
    num_states = lay.num_states
    cost = np.empty(num_states, dtype=np.float64)
    # int32 halves the memory traffic of the pass; steps and actions fit easily
    # arrivals and steps driven are at most num_steps: uint16 when it fits. An
    # infeasible state's (cost inf) are never read, so their sentinel may wrap.
    arr = np.empty(num_states, dtype=_step_dtype(tab.num_steps))
    drv = np.empty(num_states, dtype=_step_dtype(tab.num_steps))
    act = np.empty(num_states, dtype=np.int32)
    _labels._fill(
        model.num_nodes,
        g.indptr,
        g.indices,
        g.adj_edge,
        g.can_halt,
        g.halt_coef,
        destination,
        tab.num_steps,
        float(step),
        g.dur,
        g.tail,
        g.midnight_guard,
        g.ied_coef,
        g.amb_coef,
        g.fixed,
        g.step_price,
        tab.ci,
        tab.ca,
        tab.ch,
        tab.daycum,
        tab.run_end,
        tab.dayidx,
        tab.nextmid,
        tab.hmax,
        tab.hlo,
        tab.hcnt,
        lay.base,
        lay.rank,
        lay.nlo,
        lay.nhi,
        lay.order,
        lay.held,
        cost,
        arr,
        drv,
        act,
        *att,
    )
    return cost, arr, drv, act


def _departure_labels(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    lay: Corridor,
    labels: _Labels,
    origin: int,
    earliest: int,
    latest: int,
    step: int,
    att: _Att,
) -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]
]:
    """(cost, arrival, steps driven, first action) of leaving the origin at a step."""
    num_steps = tab.num_steps
    cost, arr, drv, _act = labels
    dep_cost = np.full(num_steps + 1, np.inf)
    dep_arr = np.zeros(num_steps + 1, dtype=np.int64)
    dep_drv = np.zeros(num_steps + 1, dtype=np.int64)
    dep_act = np.full(num_steps + 1, -1, dtype=np.int64)
    last = min(latest, num_steps)
    if earliest <= last:
        _labels._departures(
            origin,
            earliest,
            last,
            model.num_nodes,
            g.indptr,
            g.indices,
            g.adj_edge,
            num_steps,
            float(step),
            g.dur,
            g.tail,
            g.midnight_guard,
            g.ied_coef,
            g.amb_coef,
            g.fixed,
            g.step_price,
            tab.ci,
            tab.ca,
            tab.daycum,
            tab.run_end,
            tab.nextmid,
            tab.hmax,
            tab.hlo,
            tab.hcnt,
            lay.base,
            lay.rank,
            lay.nlo,
            lay.nhi,
            cost,
            arr,
            drv,
            dep_cost,
            dep_arr,
            dep_drv,
            dep_act,
            *att,
        )
    return dep_cost, dep_arr, dep_drv, dep_act


def _walk(
    model: ExposureModel,
    g: SearchGraph,
    tab: StepTables,
    lay: Corridor,
    labels: _Labels,
    origin: int,
    t_dep: int,
    dep_arr: NDArray[np.int64],
    dep_act: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Rows (kind, node, edge, mode, t, d, light) of the schedule leaving at t_dep."""
    rows = np.empty((int(dep_arr[t_dep]) - t_dep + 1, 7), dtype=np.int64)
    num_rows = _labels._walk(
        origin,
        t_dep,
        int(dep_act[t_dep]),
        model.num_nodes,
        g.indices,
        g.adj_edge,
        tab.num_steps,
        g.dur,
        g.tail,
        g.midnight_guard,
        tab.daycum,
        tab.run_end,
        tab.dayidx,
        tab.nextmid,
        tab.hmax,
        tab.hlo,
        tab.hcnt,
        lay.base,
        lay.rank,
        lay.nlo,
        lay.nhi,
        labels[3],
        rows,
    )
    return rows[:num_rows]


def _assemble(
    model: ExposureModel,
    g: SearchGraph,
    rows: NDArray[np.int64],
    step: int,
    t_dep: int,
    dep_cost: NDArray[np.float64],
) -> Schedule:
    legs: list[ScheduleLeg] = []
    halts: list[list[int]] = []
    ied_total = amb_total = halt_total = 0.0
    for kind, node, e, md, t, d, light in rows.tolist():
        if kind == 0:
            if halts and halts[-1][0] == node and halts[-1][2] == t:
                halts[-1][2] = t + d
            else:
                halts.append([node, t, t + d])
            continue
        v = float(g.speed[(e * 2 + md) * 2 + light])
        a, b = float(t * step), float((t + d) * step)
        ied = (
            float(g.ied_coef[e * 2 + md])
            * float(model.ied_integral(b) - model.ied_integral(a))
            / (b - a)
        )
        amb = (
            float(g.amb_coef[(e * 2 + md) * 2 + light])
            * float(model.ambush_integral(b) - model.ambush_integral(a))
            / (b - a)
        )
        u = int(model.edge_u[e])
        to = int(model.edge_v[e]) if node == u else u
        legs.append(
            ScheduleLeg(
                int(e),
                int(node),
                to,
                MODES[md],
                bool(light),
                int(t),
                int(t + d),
                v,
                ied,
                amb,
            )
        )
        ied_total += ied
        amb_total += amb
    for node, a, b in halts:
        halt_total += float(g.halt_coef[node]) * float(
            model.halt_integral(float(b * step)) - model.halt_integral(float(a * step))
        )
    dep_cost = dep_cost.copy()
    dep_cost.setflags(write=False)
    return Schedule(
        legs=tuple(legs),
        halts=tuple((int(n), int(a), int(b)) for n, a, b in halts),
        ied=ied_total,
        ambush_moving=amb_total,
        ambush_halted=halt_total,
        step_min=step,
        depart_step=t_dep,
        arrive_step=legs[-1].arrive_step,
        cost_by_departure=dep_cost,
        price=float(sum(float(g.fixed[leg.edge]) for leg in legs))
        + g.step_price * (legs[-1].arrive_step - t_dep),
    )

"""The arrays the schedule search reads: per-step tables and the graph in CSR form.

Both are built once per search from an :class:`~convoy.schedule.exposure.ExposureModel`
and the movement rules, and handed to the numba kernels of
:mod:`convoy.schedule._labels` (see :mod:`convoy.schedule.search` for the model).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from convoy.params import MovementParams
from convoy.schedule.exposure import ExposureModel, periodic_integral, window_profile

_EPS = 1e-9

#: Steps of a traversal in a mode the column cannot drive (route clearance without a
#: clearance team): longer than any horizon, so the search never takes it.
NEVER_STEPS = 1 << 40


@dataclass(frozen=True, slots=True)
class StepTables:
    """Per-step tables of one horizon (see :mod:`convoy.schedule._labels`)."""

    num_steps: int
    ci: NDArray[np.float64]
    ca: NDArray[np.float64]
    ch: NDArray[np.float64]
    daycum: NDArray[np.int64]
    run_end: NDArray[np.int64]
    dayidx: NDArray[np.int64]
    nextmid: NDArray[np.int64]
    hmax: int
    hlo: NDArray[np.int64]
    hcnt: NDArray[np.int64]
    base: NDArray[np.int64]

    @property
    def num_levels(self) -> int:
        """Number of (point, level) pairs over the whole horizon."""
        return int(self.hcnt.sum())


def step_tables(
    model: ExposureModel, movement: MovementParams, num_steps: int, lookahead: int = 0
) -> StepTables:
    """
    Per-step integrals, windows, days and driving levels of one horizon.

    ``run_end[s]`` (the first step >= s outside the windows) looks ``lookahead``
    steps past the horizon, so it may exceed ``num_steps``.
    """
    step = movement.step_min
    pts = np.arange(num_steps + 1, dtype=np.float64) * step
    m0 = model.start_minute_of_day
    ci = np.ascontiguousarray(model.ied_integral(pts), dtype=np.float64)
    ca = np.ascontiguousarray(model.ambush_integral(pts), dtype=np.float64)
    ch = np.ascontiguousarray(model.halt_integral(pts), dtype=np.float64)
    isday = np.diff(model.daylight_integral(pts)) >= step - _EPS
    daycum = np.concatenate(([0], np.cumsum(isday))).astype(np.int64)
    # the windows are looked at ``lookahead`` steps past the deadline: the deadline
    # binds the head's arrival, the tail may clear after it
    ext = num_steps + lookahead
    pts_ext = np.arange(ext + 1, dtype=np.float64) * step
    win = periodic_integral(window_profile(movement.window_minutes()), pts_ext, m0)
    movable_ext = np.diff(win) >= step - _EPS
    run_ext = np.empty(ext + 1, dtype=np.int64)
    run_ext[ext] = ext
    for s in range(ext - 1, -1, -1):
        run_ext[s] = run_ext[s + 1] if movable_ext[s] else s
    run_end = np.ascontiguousarray(run_ext[: num_steps + 1])
    movable = movable_ext[:num_steps]
    # one day more past the look-ahead, so the last midnight is a true one
    pts_mid = np.arange(ext + 1441 // step + 2, dtype=np.float64) * step
    dayidx_ext = np.floor((m0 + pts_mid) / 1440.0 + _EPS).astype(np.int64)
    dayidx = np.ascontiguousarray(dayidx_ext[: num_steps + 1])
    nextmid = np.searchsorted(dayidx_ext, dayidx, side="right").astype(np.int64)
    daystart = np.searchsorted(dayidx, dayidx, side="left")
    hmax = math.floor(movement.daily_driving_limit_h * 60.0 / step + _EPS)
    mc = np.concatenate(([0], np.cumsum(movable))).astype(np.int64)
    t = np.arange(num_steps + 1)
    driven_before = mc[t] - mc[daystart]
    left_today = mc[np.minimum(nextmid, num_steps)] - mc[t]
    hlo = np.maximum(0, hmax - left_today).astype(np.int64)
    hhi = np.minimum(hmax, driven_before)
    hcnt = (np.maximum(hhi - hlo, 0) + 1).astype(np.int64)
    base = np.concatenate(([0], np.cumsum(hcnt)[:-1])).astype(np.int64)
    return StepTables(
        num_steps, ci, ca, ch, daycum, run_end, dayidx, nextmid, hmax, hlo, hcnt, base
    )


@dataclass(frozen=True, slots=True)
class SearchGraph:
    """Adjacency in CSR (neighbours sorted by id, then edge id) and edge tables."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    adj_edge: NDArray[np.int64]
    dur: NDArray[np.int64]
    speed: NDArray[np.float64]
    ied_coef: NDArray[np.float64]
    amb_coef: NDArray[np.float64]
    can_halt: NDArray[np.int64]
    halt_coef: NDArray[np.float64]
    tail: NDArray[np.int64]
    fixed: NDArray[np.float64]
    step_price: float
    midnight_guard: int


def search_graph(
    model: ExposureModel, step_min: int, daily_limit_h: float = 24.0
) -> SearchGraph:
    """
    The model's graph in CSR form with each edge's steps, speeds and costs.

    ``tail[(e * 2 + md) * 2 + light]`` is the column's pass time in whole steps at
    the leg's speed (``ExposureModel.pass_time_min``, rounded up): the head's
    traversal must end that many steps before its movement window closes, so that
    the tail of the last march unit clears the edge's end inside the window.
    ``fixed[e]`` is the price of the edge's km, ``step_price`` that of one step
    after departure (crew hours), both in expected incidents. ``midnight_guard`` is
    1 when the daily driving limit can bind (below 24 h): then no traversal plus
    pass time may straddle midnight UTC, so every march unit drives each leg on the
    head's calendar day and the head's count of driving per day is every unit's.
    """
    n, e = model.num_nodes, model.num_edges
    src = np.concatenate((model.edge_u, model.edge_v))
    dst = np.concatenate((model.edge_v, model.edge_u))
    eid = np.concatenate((np.arange(e), np.arange(e))).astype(np.int64)
    keep = src != dst  # a loop never helps and would stall the walk
    src, dst, eid = src[keep], dst[keep], eid[keep]
    order = np.lexsort((eid, dst, src))
    src, dst, eid = src[order], dst[order], eid[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr).astype(np.int64)
    # speed[e, mode, light]
    v_day = model.edge_speed_kph
    v = np.empty((e, 2, 2))
    v[:, 0, 0] = v_day
    v[:, 0, 1] = v_day * model.night_speed_factor
    v[:, 1, 0] = np.minimum(v[:, 0, 0], model.clearance_speed_kph)
    v[:, 1, 1] = np.minimum(v[:, 0, 1], model.clearance_speed_kph)
    hours = (model.edge_length_m / 1000.0)[:, None, None] / v
    v_model = v
    dur = np.maximum(np.ceil(hours * 60.0 / step_min - _EPS), 1).astype(np.int64)
    if not model.clearance_available:
        # no clearance team: a clearance traversal never fits in any horizon
        dur[:, 1, :] = NEVER_STEPS
    # the column occupies the edge for whole steps: it drives at the pace that fills
    # them, so a short edge cannot hide the column for less time than it spends there
    v = (model.edge_length_m / 1000.0)[:, None, None] / (dur * step_min / 60.0)
    pass_min = model.pass_gap_min + 60.0 * (
        np.array([model.pass_km(False), model.pass_km(True)])[None, None, :]
        / np.maximum(v_model, 1e-9)
    )
    tail = np.ceil(pass_min / step_min - _EPS).astype(np.int64)
    if not model.clearance_available:
        tail[:, 1, :] = 0  # never driven; keeps the look-ahead of the tables short
    col = np.array([model.column_day_km, model.column_night_km])
    amb = model.edge_ambush[:, None, None] * col[None, None, :] / v
    ied = (model.edge_ied * model.ied_column_factor)[:, None] * np.array(
        [1.0, model.clearance_ied_factor]
    )[None, :]
    return SearchGraph(
        indptr=indptr,
        indices=np.ascontiguousarray(dst, dtype=np.int64),
        adj_edge=np.ascontiguousarray(eid, dtype=np.int64),
        dur=np.ascontiguousarray(dur.ravel()),
        speed=np.ascontiguousarray(v.ravel()),
        ied_coef=np.ascontiguousarray(ied.ravel()),
        amb_coef=np.ascontiguousarray(amb.ravel()),
        can_halt=(model.node_can_halt | (model.roadside_halt_factor > 0)).astype(
            np.int64
        ),
        halt_coef=np.ascontiguousarray(
            model.node_ambush
            * model.halt_exposure_factor
            * np.where(model.node_can_halt, 1.0, model.roadside_halt_factor)
        ),
        tail=np.ascontiguousarray(tail.ravel()),
        fixed=np.ascontiguousarray(model.edge_length_m / 1000.0 * model.km_price),
        step_price=model.hour_price * step_min / 60.0,
        midnight_guard=int(daily_limit_h < 24.0),
    )


def connected(g: SearchGraph, a: int, b: int) -> bool:
    """Whether the graph joins nodes ``a`` and ``b``."""
    seen = {a}
    todo = [a]
    while todo:
        n = todo.pop()
        if n == b:
            return True
        for m in g.indices[g.indptr[n] : g.indptr[n + 1]]:
            if int(m) not in seen:
                seen.add(int(m))
                todo.append(int(m))
    return False


@dataclass(frozen=True, slots=True)
class Corridor:
    """
    The states a search holds: node n at the points ``nlo[n] .. nhi[n]``.

    Nodes are ranked by ``nlo`` rounded down to a bucket (then id): ``rank[n]``, and
    ``order[r]`` the node of rank r. At point t the ``held[t]`` first ranks (those
    whose rounded ``nlo`` is at most t) are stored, point after point, each with
    ``hcnt[t]`` levels: state (n, t, level i) lives at
    ``base[t] + rank[n] * hcnt[t] + i``. A node with ``nlo[n] > nhi[n]`` holds none;
    the slots of a held rank before its ``nlo`` or past its ``nhi`` are never used.
    """

    nlo: NDArray[np.int64]
    nhi: NDArray[np.int64]
    rank: NDArray[np.int64]
    order: NDArray[np.int64]
    held: NDArray[np.int64]
    base: NDArray[np.int64]
    num_states: int

    @property
    def num_nodes(self) -> int:
        """Nodes that hold at least one state."""
        return int(np.count_nonzero(self.nlo <= self.nhi))


def _shortest(
    g: SearchGraph, weight: NDArray[np.float64], source: int
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """
    Dijkstra from ``source`` with edge e weighing ``weight[e]`` (>= 0) both ways.

    Returns the distances (inf where not connected) and each node's predecessor
    on a shortest path (negative for the source and unreached nodes).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = len(g.indptr) - 1
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    w = np.asarray(weight, dtype=np.float64)[g.adj_edge]
    # parallel edges: keep the lightest (a CSR matrix would add them up)
    order = np.lexsort((w, g.indices, src))
    src, dst, w = src[order], g.indices[order], w[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    # an explicit zero weight would vanish from a sparse matrix: nudge it up to
    # the smallest positive float (a lower bound stays one within rounding)
    w = np.maximum(w[first], np.finfo(np.float64).tiny)
    mat = csr_matrix((w, (src[first], dst[first])), shape=(n, n))
    dist, pred = dijkstra(mat, directed=True, indices=source, return_predecessors=True)
    return dist, pred


def fastest_steps(g: SearchGraph, source: int) -> NDArray[np.float64]:
    """
    Fewest steps from ``source`` to every node (inf where not connected).

    Each edge weighs its shortest traversal in any mode by day or night, with no
    window, halt, daily limit or pass time: a lower bound on the steps of every
    feasible trip between two nodes (edges are driven both ways at the same speed).
    """
    return _shortest(g, g.dur.reshape(-1, 4).min(axis=1).astype(np.float64), source)[0]


def path_nodes(pred: NDArray[np.int32], target: int) -> list[int]:
    """Nodes of the path to ``target`` in a predecessor tree (empty if unreached)."""
    if pred[target] < 0:
        return []
    out = [target]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out


#: Relative margin of the cost bounds (:func:`edge_cost_floor`,
#: :func:`cost_cut`): far above the rounding of any trip's sum of costs.
COST_MARGIN = 1e-6
#: Absolute margin added to the bound U of :func:`cost_cut` (expected
#: incidents): covers ties with the optimum (``COST_TIE_REL``) near a cost of 0.
COST_ABS_MARGIN = 1e-12


def edge_cost_floor(
    g: SearchGraph,
    tab: StepTables,
    step_min: float,
    att: tuple[NDArray[np.float64], NDArray[np.int64], int],
    per_step: float = 0.0,
) -> NDArray[np.float64] | None:
    """
    A lower bound of the cost of every traversal of each edge, or None.

    ``per_step`` >= 0 is added for each of the traversal's steps (the forced
    halts it entails, :func:`idle_price`).

    A traversal of e in mode md by light l departing at t costs (see
    :mod:`convoy.schedule._labels`) ``ied_coef * mean(d_ied) + amb_coef *
    mean(d_ambush) + fixed[e] + step_price * d + att``, where the means are over
    its steps, each at least the least step mean of the horizon, ``d`` is
    ``dur[e, md, l]`` and ``att`` at least e's least attack cost in md over the
    windows. The floor is the least of these over md and l, times ``1 -
    COST_MARGIN``, in either direction at any time.

    None when a term can be negative (a coefficient, a profile, the price, an
    attack cost or a halt's cost): then a lower bound on a trip's cost from its
    edges alone does not hold, and the cost bounds are not used.
    """
    num_edges = len(g.fixed)
    if num_edges == 0 or tab.num_steps == 0:
        return None
    att_cost, _win, nw = att
    att_min = att_cost[: num_edges * nw * 2].reshape(num_edges, nw, 2).min(axis=1)
    pi = float(np.diff(tab.ci).min()) / step_min
    pa = float(np.diff(tab.ca).min()) / step_min
    nonneg = (
        pi >= 0.0
        and pa >= 0.0
        and g.step_price >= 0.0
        and float(np.diff(tab.ch).min()) >= 0.0
        and all(
            bool(np.all(a >= 0.0))
            for a in (g.ied_coef, g.amb_coef, g.fixed, g.halt_coef, att_min)
        )
    )
    if not nonneg:
        return None
    ied = g.ied_coef.reshape(num_edges, 2, 1)
    amb = g.amb_coef.reshape(num_edges, 2, 2)
    dur = g.dur.reshape(num_edges, 2, 2).astype(np.float64)
    each = ied * pi + amb * pa + (g.step_price + per_step) * dur + att_min[:, :, None]
    floor = (each.min(axis=(1, 2)) + g.fixed) * (1.0 - COST_MARGIN)
    if not np.all(np.isfinite(floor)):
        return None
    return np.ascontiguousarray(floor)


def step_cost_floor(
    g: SearchGraph, tab: StepTables, floor: NDArray[np.float64]
) -> float:
    """
    A lower bound of the cost of every step after departure, driving or halted.

    The least, over the moves a column can make, of a traversal's ``floor``
    over its steps (modes it cannot drive left out) and of a halt's cost over
    one step (``halt_coef`` times the least step of the halt profile, plus
    ``step_price``), times ``1 - COST_MARGIN``; 0 when nothing bounds it.
    """
    dur = g.dur.reshape(-1, 4)
    drivable = dur < NEVER_STEPS
    per_step = np.where(drivable, floor[:, None] / np.maximum(dur, 1), np.inf)
    drive = float(per_step.min(initial=np.inf))
    halt_nodes = g.can_halt > 0
    dch = float(np.diff(tab.ch).min()) if tab.num_steps > 0 else 0.0
    halt = (
        float(g.halt_coef[halt_nodes].min()) * dch + g.step_price
        if halt_nodes.any()
        else np.inf
    )
    kappa = min(drive, halt) * (1.0 - COST_MARGIN)
    return kappa if math.isfinite(kappa) and kappa > 0.0 else 0.0


def idle_price(g: SearchGraph, tab: StepTables) -> tuple[float, float] | None:
    """
    The least cost of the halts that a trip's driving forces: (a, c0).

    A trip that drives D steps costs at least ``a * D - c0`` in halts after its
    departure, a, c0 >= 0; None where no such bound is found (no daily limit, no
    halt site, a limit that fills whole days).

    Why. With the daily limit H = ``hmax`` steps (``midnight_guard``: each
    traversal in one calendar day, its steps counted in that day), a trip
    leaving at point t0 and arriving at t1 drives in each calendar day at most
    min(H, the steps of that day in [t0, t1) inside the windows). Split [t0,
    t1) into its first day's part, the whole days between and its last day's
    part: with rho the largest share min(H, window steps) / steps of a whole
    day of the horizon, each whole day drives at most rho times its steps, so
    D <= rho * (t1 - t0) + c, c the largest excess of the first part's bound
    over rho times its steps plus the last part's (or of one day's part, for a
    trip within a day), computed over every point of the horizon. The trip
    then spends at least (D - c) / rho - D steps after departure not driving,
    each a halt costing at least ``halt_coef * step of ch + step_price`` (its
    least over the halt sites and steps, ``kappa``): a = kappa (1 / rho - 1),
    c0 = kappa c / rho, with ``COST_MARGIN`` on both.
    """
    T = tab.num_steps
    halt_nodes = g.can_halt > 0
    if not g.midnight_guard or T == 0 or not halt_nodes.any():
        return None
    kappa = float(g.halt_coef[halt_nodes].min()) * float(np.diff(tab.ch).min())
    kappa = max(kappa, 0.0) + g.step_price
    H = tab.hmax
    points = np.arange(T + 1)
    movable = tab.run_end[:-1] > points[:-1]
    mc = np.concatenate(([0], np.cumsum(movable))).astype(np.int64)
    day = tab.dayidx
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    # step s lies in the day of point s: day k holds the steps starts[k] ..
    # starts[k + 1] - 1; whole days are those after the first and before the
    # day of the last point
    whole = list(itertools.pairwise(starts[1:].tolist()))
    if whole:
        rho = max(min(H, int(mc[b] - mc[a])) / (b - a) for a, b in whole)
    else:
        rho = H / float(np.diff(starts).max(initial=1))
    if not 0.0 < rho < 1.0 or kappa <= 0.0:
        return None
    nxt = np.minimum(tab.nextmid, T)
    head = np.minimum(H, mc[nxt] - mc) - rho * (nxt - points)
    first = starts[np.searchsorted(starts, points, side="right") - 1]
    tail = np.minimum(H, mc - mc[first]) - rho * (points - first)
    c = float(head.max()) + float(tail.max())
    bounds = [*starts.tolist(), T + 1]
    for a, b in itertools.pairwise(bounds):
        seg = mc[a : min(b, T + 1)]
        pos = np.arange(len(seg))
        one = np.minimum(H, seg[None, :] - seg[:, None]) - rho * (
            pos[None, :] - pos[:, None]
        )
        c = max(c, float(np.triu(one).max()))
    c = max(c, 0.0)
    a_cost = kappa * (1.0 / rho - 1.0) * (1.0 - COST_MARGIN)
    return a_cost, kappa * c / rho * (1.0 + COST_MARGIN)


def cheapest_through(
    g: SearchGraph, floor: NDArray[np.float64], origin: int, destination: int
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """
    The least cost of a trip through each node, and the cheapest paths' tree.

    ``need[n]`` is ``lo[n] + ld[n]``, the cheapest paths by ``floor`` from the
    origin to n and from n to the destination, times ``1 - COST_MARGIN`` (inf
    where not connected): every trip through n costs at least that. ``pred`` is
    the tree of the cheapest paths from the origin.
    """
    lo, pred = _shortest(g, floor, origin)
    ld = _shortest(g, floor, destination)[0]
    return (lo + ld) * (1.0 - COST_MARGIN), pred


#: Share of the nodes, the cheapest by :func:`cheapest_through`, that the first
#: search of the cost cut holds (:func:`bound_nodes`).
BOUND_SHARE = 0.125


def bound_nodes(
    g: SearchGraph,
    need: NDArray[np.float64],
    pred: NDArray[np.int32],
    origin: int,
    destination: int,
    share: float = BOUND_SHARE,
) -> NDArray[np.bool_]:
    """
    The nodes of the first search of the cost cut.

    The cheapest path (``pred``), the fastest path and the ``share`` of the
    nodes with the least ``need``: the search on them alone (:func:`corridor`
    with ``keep``) finds real trips, near the best ones when the best ones run
    near the cheapest paths, at an eighth of the work.
    """
    n = len(g.indptr) - 1
    keep = np.zeros(n, dtype=bool)
    keep[path_nodes(pred, destination)] = True
    steps = g.dur.reshape(-1, 4).min(axis=1).astype(np.float64)
    keep[path_nodes(_shortest(g, steps, origin)[1], destination)] = True
    order = np.argsort(need, kind="stable")[: int(n * share)]
    keep[order[np.isfinite(need[order])]] = True
    return keep


def cost_cut(
    need: NDArray[np.float64], bound: NDArray[np.float64]
) -> NDArray[np.int64]:
    """
    First point at which each node may lie on a trip the caller reads.

    ``bound[t]`` (non-decreasing in t) bounds from above the cost of the trips
    that matter among those leaving at t or earlier; node n, whose trips cost at
    least ``need[n]`` (:func:`cheapest_through`), is needed from the first
    point at which ``bound`` reaches that on (``len(bound)``: never). See
    :func:`convoy.schedule.search.plan_schedule` (``costs_read``) for the proof.
    """
    cut = np.searchsorted(bound, need, side="left").astype(np.int64)
    cut[~np.isfinite(need)] = len(bound)
    return cut


def corridor(
    g: SearchGraph,
    tab: StepTables,
    origin: int,
    destination: int,
    earliest: int,
    *,
    prune: bool = True,
    bucket: int = 1,
    keep: NDArray[np.bool_] | None = None,
    cut: NDArray[np.int64] | None = None,
    end: int | None = None,
) -> Corridor:
    """
    The (node, point) pairs that can lie on a trip leaving at ``earliest`` or later.

    With ``a[n]`` the fewest steps from the origin to n and ``b[n]`` from n to the
    destination (:func:`fastest_steps`), node n is held at the points
    ``earliest + a[n] .. T - b[n]`` only; ``prune=False`` holds every point.
    Nodes are ranked by ``nlo // bucket``, then id: a coarser bucket stores a few
    slots before ``nlo`` (never computed) but keeps neighbours in id order close
    in memory, which the pass's speed depends on.

    ``keep`` (with ``prune``) holds only those nodes: a search on them finds the
    best trips through them alone, each a trip of the whole network. ``cut``
    (with ``prune``) holds node n from the point ``cut[n]`` on, if later than
    ``earliest + a[n]`` (:func:`cost_cut`): the states before it are then read as
    infeasible, which :func:`convoy.schedule.search.plan_schedule` shows changes
    no label the caller reads. ``end`` (with ``prune``) is a last arrival
    (:func:`step_cost_floor`): node n is held up to ``end - b[n]`` at most, the
    states after it read as infeasible (same proof).

    Why the corridor alone is exact. (1) A state (n, t) with ``t > T - b[n]``
    cannot reach the destination by the deadline T: every trip from n lasts at
    least ``b[n]`` steps, since a traversal of an edge lasts at least that
    edge's weight and halts only add steps. Its label is infeasible (cost inf),
    which is what the search reads for a state it does not hold. (2) A state (n, t) with
    ``t < earliest + a[n]`` is never read: the search reads states from the
    origin's departures at t >= earliest, and from a held state (n, t) only
    (n, t + 1) (a halt) and (m, t + d) with d >= w(n, m) >= a[m] - a[n] (a drive,
    triangle inequality of shortest paths), both at or after ``earliest + a``.
    Hence every label read is the one of the full search, and so are the
    optimum, its tie-breaks and ``cost_by_departure``.

    Memory: the points before ``nlo`` are not stored (nodes are ranked by it);
    those after ``nhi`` are skipped, not computed, but their slots are kept when
    the node's rank is stored at that point; a node with ``nlo > nhi`` (out of
    reach before the deadline) holds nothing.
    """
    n = len(g.indptr) - 1
    T = tab.num_steps
    if prune:
        a = fastest_steps(g, origin)
        b = fastest_steps(g, destination)
        ok = np.isfinite(a) & np.isfinite(b)
        nlo = np.where(ok, earliest + np.where(ok, a, 0), T + 1).astype(np.int64)
        nhi = np.where(ok, T - np.where(ok, b, 0), -1).astype(np.int64)
        if keep is not None:
            nhi[~keep] = -1
        if cut is not None:
            nlo = np.maximum(nlo, cut)
        if end is not None:
            nhi = np.minimum(nhi, end - np.where(ok, b, 0).astype(np.int64))
    else:
        nlo = np.zeros(n, dtype=np.int64)
        nhi = np.full(n, T, dtype=np.int64)
    empty = nlo > nhi
    nlo[empty], nhi[empty] = T + 1, -1
    key = nlo // max(1, bucket) * max(1, bucket)
    order = np.lexsort((np.arange(n), key)).astype(np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    held = np.searchsorted(key[order], np.arange(T + 1), side="right").astype(np.int64)
    size = held * tab.hcnt
    base = np.concatenate(([0], np.cumsum(size)[:-1])).astype(np.int64)
    return Corridor(nlo, nhi, rank, order, held, base, int(size.sum()))

"""Chains of two-way nodes merged into single search edges, and expanded back.

The schedule search counts time in whole steps and rounds every edge up to at
least one step (:func:`convoy.schedule.tables.search_graph`). A road layer made of
many short pieces (an OSM-derived layer near a town has pieces of 0.1-0.9 km) would
then take one step per piece. :func:`contract_model` merges every chain of nodes of
degree two into one edge between the chain's end nodes, so that the search rounds
once per chain; :func:`expand_trajectory` turns a trajectory on the contracted
edges back into one on the road network's own edges, with each piece's exact
minutes interpolated along the chain.

A contracted edge is priced so that, driven at constant pace, it costs what its
pieces cost together:

- length: the sum of the pieces' lengths;
- speed: the chain's length over its exact driving time, ``L / sum(l_i / v_i)``
  (the surface mix of the chain, each piece at its own speed);
- IED: the sum of the pieces' IED integrals (IED is per kilometre driven);
- ambush: ``V * sum(a_i / v_i)`` with ``V`` the chain's speed, so that the search's
  ``ambush / speed`` (hours of exposure of the column per unit of ambush field)
  equals the sum over the pieces at their own speeds.

The pieces of a contracted leg get the leg's time in proportion to their driving
times at the leg's mode (normal: ``l_i / v_i``; clearance: ``l_i / min(v_i,
clearance)``), so in normal mode a trajectory priced on the original model has the
same ambush exposure as the contracted leg and the same IED up to where in the day
each piece is driven. In clearance mode every piece moves at the one clearance
pace, so the exact ambush cost is the plain sum of the pieces' ambush; the search
prices it with the speed-weighted sum above instead (the same when the chain's
pieces share a speed). Outputs are always priced on the original edges
(:func:`expand_trajectory`), so the difference touches only which schedule the
search prefers, never the reported numbers.

Nodes are kept (never merged away) when they are in ``keep`` (sites, checkpoints,
halt sites, the origin and the destination), when their degree is not two, or
when they carry a self-loop. A chain whose two ends are the same node (a loop
through two-way nodes, or two parallel edges through one middle node) is left as
it is: merging it would make a cycle on one node, which the search drops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from convoy.errors import ScenarioError
from convoy.schedule.exposure import ExposureModel, FloatArray, IntArray
from convoy.schedule.trajectory import Halt, Leg, Trajectory, trajectory_exposure

#: Relative saving in expected incidents (of a run and its neighbouring halts) for
#: which a run keeps the search's pace rather than exact times and a wait at a
#: halt (an assumption: near ties go to the exact times).
PACE_MARGIN = 0.01

#: One piece of a contracted edge: (edge of the original model, node it is driven
#: from when the contracted edge is driven from its ``edge_u`` to its ``edge_v``).
Piece = tuple[int, int]


@dataclass(frozen=True, eq=False)
class Contraction:
    """
    A contracted exposure model and the pieces of each of its edges.

    Parameters
    ----------
    model
        The contracted model: the same nodes (merged-away nodes have no edge), one
        edge per chain.
    original
        The model it was made from.
    pieces
        Per contracted edge, its original edges in order from the contracted
        edge's ``edge_u`` to its ``edge_v``, each with the node it is entered from.
    """

    model: ExposureModel
    original: ExposureModel
    pieces: tuple[tuple[Piece, ...], ...]

    @property
    def num_merged(self) -> int:
        """Original edges merged away (original edges minus contracted edges)."""
        return self.original.num_edges - self.model.num_edges


def _incidence(model: ExposureModel) -> list[list[int]]:
    inc: list[list[int]] = [[] for _ in range(model.num_nodes)]
    for e, (u, v) in enumerate(
        zip(model.edge_u.tolist(), model.edge_v.tolist(), strict=True)
    ):
        inc[u].append(e)
        inc[v].append(e)
    return inc


def _other(model: ExposureModel, edge: int, node: int) -> int:
    u, v = int(model.edge_u[edge]), int(model.edge_v[edge])
    return v if node == u else u


def _chains(model: ExposureModel, kept: np.ndarray) -> list[list[Piece]]:
    """Every edge in exactly one chain, chains from kept nodes first, in id order."""
    inc = _incidence(model)
    seen = np.zeros(model.num_edges, dtype=bool)
    chains: list[list[Piece]] = []
    for start in np.flatnonzero(kept).tolist():
        for e in inc[start]:
            if seen[e]:
                continue
            chain: list[Piece] = [(e, start)]
            seen[e] = True
            node = _other(model, e, start)
            while not kept[node]:
                nxt = [x for x in inc[node] if not seen[x]]
                if not nxt:  # the chain closed on itself
                    break
                seen[nxt[0]] = True
                chain.append((nxt[0], node))
                node = _other(model, nxt[0], node)
            if node == start and len(chain) > 1:
                chains.extend([p] for p in chain)  # a cycle on one node: as it is
            else:
                chains.append(chain)
    # cycles of two-way nodes that touch no kept node: as they are
    chains.extend([(e, int(model.edge_u[e]))] for e in np.flatnonzero(~seen).tolist())
    return chains


def contract_model(model: ExposureModel, keep: Iterable[int]) -> Contraction:
    """
    Merge chains of two-way nodes of ``model`` into single edges.

    Parameters
    ----------
    model
        An exposure model (any graph: loops, parallel edges, cycles).
    keep
        Nodes that must stay nodes: sites, checkpoints, halt sites, origin,
        destination. Nodes where the column may halt are always kept.

    Returns
    -------
    Contraction
        The contracted model and the pieces of each of its edges.

    Raises
    ------
    ScenarioError
        If a node of ``keep`` is not a node of the model.

    Examples
    --------
    >>> c = contract_model(model, keep=[origin, destination])  # doctest: +SKIP
    >>> c.model.num_edges <= model.num_edges
    True
    """
    n = model.num_nodes
    kept = model.node_can_halt.copy()
    for k in keep:
        if not 0 <= int(k) < n:
            msg = f"contraction: expected nodes in [0, {n}) to keep, found {k}"
            raise ScenarioError(msg)
        kept[int(k)] = True
    u, v = model.edge_u, model.edge_v
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    kept |= degree != 2
    kept[u[u == v]] = True
    chains = _chains(model, kept)
    length = model.edge_length_m
    hours = length / 1000.0 / model.edge_speed_kph
    new_u = np.empty(len(chains), dtype=np.int64)
    new_v = np.empty(len(chains), dtype=np.int64)
    new_len = np.empty(len(chains))
    new_hours = np.empty(len(chains))
    new_ied = np.empty(len(chains))
    amb_hours = np.empty(len(chains))  # sum of ambush / speed over the pieces
    for i, chain in enumerate(chains):
        edges = np.array([e for e, _ in chain], dtype=np.int64)
        last_e, last_from = chain[-1]
        new_u[i] = chain[0][1]
        new_v[i] = _other(model, last_e, last_from)
        new_len[i] = length[edges].sum()
        new_hours[i] = hours[edges].sum()
        new_ied[i] = model.edge_ied[edges].sum()
        amb_hours[i] = (model.edge_ambush[edges] / model.edge_speed_kph[edges]).sum()
    speed = new_len / 1000.0 / new_hours
    contracted = dataclasses.replace(
        model,
        edge_u=new_u,
        edge_v=new_v,
        edge_length_m=new_len,
        edge_speed_kph=speed,
        edge_ied=new_ied,
        edge_ambush=speed * amb_hours,
    )
    pieces = tuple(tuple(chain) for chain in chains)
    return Contraction(contracted, model, pieces)


def _piece_hours(c: Contraction, edges: IntArray, mode: str) -> FloatArray:
    """Driving hours of original edges at ``mode`` (day), the weights of a leg."""
    m = c.original
    speed = m.edge_speed_kph[edges]
    if mode == "clearance":
        speed = np.minimum(speed, m.clearance_speed_kph)
    hours: FloatArray = m.edge_length_m[edges] / 1000.0 / speed
    return hours


def expand_leg(c: Contraction, leg: Leg) -> list[Leg]:
    """
    The legs on original edges that make up ``leg`` on a contracted edge.

    Each piece gets the leg's time in proportion to its driving time at the leg's
    mode; its speed is its length over that time (the pace that fills the leg).

    Raises
    ------
    ScenarioError
        If ``leg.from_node`` is not an end of its contracted edge.
    """
    cm = c.model
    cu, cv = int(cm.edge_u[leg.edge]), int(cm.edge_v[leg.edge])
    chain = c.pieces[leg.edge]
    if leg.from_node == cu:
        ordered = list(chain)
    elif leg.from_node == cv:
        ordered = [(e, _other(c.original, e, f)) for e, f in reversed(chain)]
    else:
        msg = (
            f"contraction: leg on edge {leg.edge}: expected from_node {cu} or "
            f"{cv}, found {leg.from_node}"
        )
        raise ScenarioError(msg)
    edges = np.array([e for e, _ in ordered], dtype=np.int64)
    w = _piece_hours(c, edges, leg.mode)
    cum = np.concatenate(([0.0], np.cumsum(w)))
    span = leg.arrive_min - leg.depart_min
    times = leg.depart_min + span * cum / cum[-1]
    times[-1] = leg.arrive_min
    out = []
    for i, (e, f) in enumerate(ordered):
        a, b = float(times[i]), float(times[i + 1])
        km = float(c.original.edge_length_m[e]) / 1000.0
        speed = km / ((b - a) / 60.0) if b > a else leg.speed_kph
        out.append(Leg(e, f, a, b, leg.mode, speed))
    return out


def expand_trajectory(
    c: Contraction, trajectory: Trajectory, *, exact: bool = False
) -> Trajectory:
    """
    ``trajectory`` on contracted edges as one on the original edges (halts kept).

    With ``exact``, every leg then takes its exact minutes (:func:`exact_times`).
    """
    legs = [piece for leg in trajectory.legs for piece in expand_leg(c, leg)]
    out = Trajectory(tuple(legs), trajectory.halts)
    return exact_times(c.original, out) if exact else out


def _drive(model: ExposureModel, leg: Leg, t: float) -> Leg:
    """``leg`` driven from ``t`` at its mode's top speed (night speed if not day)."""
    km = float(model.edge_length_m[leg.edge]) / 1000.0
    v = model.speed_kph(leg.edge, leg.mode, night=False)
    if not model.is_daylight(t, t + 60.0 * km / v):
        v = model.speed_kph(leg.edge, leg.mode, night=True)
    return Leg(leg.edge, leg.from_node, t, t + 60.0 * km / v, leg.mode, v)


def _drive_run(model: ExposureModel, run: list[Leg], t: float) -> list[Leg]:
    out = []
    for leg in run:
        exact = _drive(model, leg, t)
        out.append(exact)
        t = exact.arrive_min
    return out


def _runs(legs: list[Leg]) -> list[tuple[int, int]]:
    """Index ranges of the runs of legs driven without a stop."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(legs) + 1):
        if i == len(legs) or legs[i].depart_min > legs[i - 1].arrive_min + 1e-9:
            out.append((start, i))
            start = i
    return out


def _halt_at(halts: list[Halt], node: int, t: float, end: bool) -> int | None:
    for j, h in enumerate(halts):
        if h.node == node and abs((h.end_min if end else h.start_min) - t) < 1e-6:
            return j
    return None


def _cost(model: ExposureModel, run: list[Leg], halts: list[Halt]) -> float:
    return trajectory_exposure(model, run, halts).total


def _exact_run(
    model: ExposureModel,
    run: list[Leg],
    halts: list[Halt],
    wait_before: bool,
    wait_after: bool,
) -> tuple[list[Leg], list[Halt]]:
    """The run as searched or at exact times (see :func:`exact_times`), its halts."""
    t0, t1 = run[0].depart_min, run[-1].arrive_min
    before = _halt_at(halts, run[0].from_node, t0, end=True)
    after = _halt_at(halts, _other(model, run[-1].edge, run[-1].from_node), t1, False)
    early = _drive_run(model, run, t0)
    slack = t1 - early[-1].arrive_min
    if slack <= 1e-9:
        return run, halts
    near = (before, after)
    local = [h for j, h in enumerate(halts) if j in near]
    # the searched pace is kept only when it is clearly cheaper: near ties go to
    # the exact times, so that the same road cut differently plans the same
    best = (_cost(model, run, local) * (1.0 + PACE_MARGIN), run, dict[int, Halt]())
    options: list[tuple[list[Leg], dict[int, Halt]]] = []
    if after is not None:
        options.append((early, {after: replace(halts[after], start_min=t1 - slack)}))
    elif wait_after:  # the destination: arriving early costs nothing more
        options.append((early, {}))
    late = _drive_run(model, run, t0 + slack)
    if late[-1].arrive_min <= t1 + 1e-6 and (before is not None or wait_before):
        moved = (
            {}
            if before is None
            else {before: replace(halts[before], end_min=t0 + slack)}
        )
        options.append((late, moved))
    for legs, moved in options:
        new = [moved.get(j, h) for j, h in enumerate(halts) if j in near]
        cost = _cost(model, legs, new)
        if cost <= best[0] + 1e-12:
            best = (cost, legs, moved)
    _, legs, moved = best
    return legs, [moved.get(j, h) for j, h in enumerate(halts)]


def exact_times(model: ExposureModel, trajectory: Trajectory) -> Trajectory:
    """
    ``trajectory`` with its legs at their exact times, rounding moved to the waits.

    The search counts whole steps, so each of its legs ends on a step and the
    column drives at the pace that fills them. Here each run of legs driven
    without a stop may instead drive every leg in its exact minutes (length over
    the mode's speed; night speed when the leg is not wholly in daylight) and
    spend the rest waiting where the column waits anyway: at the halt that
    follows (it starts earlier), at the halt before (the run leaves later; never
    the departure from the origin, which stays the plan's), or at the destination
    (an earlier arrival). A run keeps the
    search's pace only if that costs at least ``PACE_MARGIN`` fewer expected
    incidents than the cheapest of these (waiting at a halt site can cost more
    than a slower pace on a quiet road, and driving earlier in the day can meet
    a higher hourly risk).
    Routes, modes, halt places and the span of every run are unchanged, so the
    movement windows and the daily driving limit still hold.
    """
    legs = list(trajectory.legs)
    halts = list(trajectory.halts)
    runs = _runs(legs)
    out: list[Leg] = []
    for k, (i0, i1) in enumerate(runs):
        # the departure is the plan's (a baseline's rule may fix it): the first run
        # never leaves later; the last may arrive early
        run, halts = _exact_run(
            model, legs[i0:i1], halts, wait_before=False, wait_after=k == len(runs) - 1
        )
        out.extend(run)
    return Trajectory(tuple(out), tuple(halts))

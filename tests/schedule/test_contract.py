"""Contraction of two-way chains: shortest paths, sites, pricing and expansion."""

from __future__ import annotations

import dataclasses
import heapq
import itertools

import numpy as np
import pytest

from convoy.errors import ScenarioError
from convoy.schedule.contract import contract_model, exact_times, expand_trajectory
from convoy.schedule.exposure import ExposureModel
from convoy.schedule.trajectory import Halt, Leg, Trajectory, trajectory_exposure


def _model(u, v, rng, halts=()):
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    n = int(max(u.max(), v.max())) + 1
    e = len(u)
    can_halt = np.zeros(n, dtype=bool)
    can_halt[list(halts)] = True
    return ExposureModel(
        edge_u=u,
        edge_v=v,
        edge_length_m=rng.uniform(50.0, 3000.0, e),
        edge_speed_kph=rng.choice([15.0, 30.0, 45.0, 60.0], e),
        edge_ied=rng.uniform(0.0, 0.01, e),
        edge_ambush=rng.uniform(0.0, 0.02, e),
        node_ambush=rng.uniform(0.0, 0.01, n),
        node_can_halt=can_halt,
        column_day_km=5.0,
        column_night_km=3.0,
    )


def _random_network(seed):
    """A random graph whose edges are subdivided into chains, with loops and twins."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    base = [(int(rng.integers(0, k)), k) for k in range(1, n)]
    for _ in range(int(rng.integers(0, 4))):
        a, b = (int(x) for x in rng.integers(0, n, 2))
        base.append((a, b))  # parallel edges and self-loops allowed
    u, v, nxt = [], [], n
    for a, b in base:
        pieces = int(rng.integers(1, 6))
        chain = [a, *range(nxt, nxt + pieces - 1), b]
        nxt += pieces - 1
        u += chain[:-1]
        v += chain[1:]
    keep = [int(x) for x in rng.choice(n, size=min(n, 2), replace=False)]
    return _model(u, v, rng, halts=[int(rng.integers(0, n))]), keep


def _dijkstra(model: ExposureModel, weight: np.ndarray, source: int) -> np.ndarray:
    adj: list[list[tuple[int, float]]] = [[] for _ in range(model.num_nodes)]
    for e, (a, b) in enumerate(zip(model.edge_u, model.edge_v, strict=True)):
        adj[int(a)].append((int(b), float(weight[e])))
        adj[int(b)].append((int(a), float(weight[e])))
    dist = np.full(model.num_nodes, np.inf)
    dist[source] = 0.0
    todo = [(0.0, source)]
    while todo:
        d, x = heapq.heappop(todo)
        if d > dist[x]:
            continue
        for y, w in adj[x]:
            if d + w < dist[y]:
                dist[y] = d + w
                heapq.heappush(todo, (d + w, y))
    return dist


def _hours(m: ExposureModel) -> np.ndarray:
    return m.edge_length_m / 1000.0 / m.edge_speed_kph


@pytest.mark.parametrize("seed", range(60))
def test_contraction_preserves_shortest_paths(seed):
    """Between any two remaining nodes: the same shortest length and driving time."""
    model, keep = _random_network(seed)
    c = contract_model(model, keep)
    cm = c.model
    nodes = sorted(set(cm.edge_u.tolist()) | set(cm.edge_v.tolist()) | set(keep))
    for a in nodes:
        for w_orig, w_cont in (
            (model.edge_length_m, cm.edge_length_m),
            (_hours(model), _hours(cm)),
        ):
            d0 = _dijkstra(model, w_orig, a)[nodes]
            d1 = _dijkstra(cm, w_cont, a)[nodes]
            np.testing.assert_allclose(d1, d0, rtol=1e-9)


@pytest.mark.parametrize("seed", range(60))
def test_every_edge_in_one_chain_and_kept_nodes_keep_their_degree(seed):
    """Pieces partition the edges; sites, halts and junctions stay with every road."""
    model, keep = _random_network(seed)
    c = contract_model(model, keep)
    pieces = sorted(e for chain in c.pieces for e, _ in chain)
    assert pieces == list(range(model.num_edges))
    n = model.num_nodes
    deg0 = np.bincount(model.edge_u, minlength=n) + np.bincount(
        model.edge_v, minlength=n
    )
    deg1 = np.bincount(c.model.edge_u, minlength=n) + np.bincount(
        c.model.edge_v, minlength=n
    )
    must = set(keep) | set(np.flatnonzero(model.node_can_halt).tolist())
    must |= set(np.flatnonzero(deg0 != 2).tolist())
    for node in must:
        assert deg1[node] == deg0[node], node
    # no chain of several pieces was turned into a loop on one node
    for e, chain in enumerate(c.pieces):
        if len(chain) > 1:
            assert c.model.edge_u[e] != c.model.edge_v[e]
    # sums along each chain
    for e, chain in enumerate(c.pieces):
        idx = [p for p, _ in chain]
        assert c.model.edge_length_m[e] == pytest.approx(model.edge_length_m[idx].sum())
        assert c.model.edge_ied[e] == pytest.approx(model.edge_ied[idx].sum())
        amb = (model.edge_ambush[idx] / model.edge_speed_kph[idx]).sum()
        assert c.model.edge_ambush[e] / c.model.edge_speed_kph[e] == pytest.approx(amb)


def test_two_parallel_roads_through_one_node_are_not_a_loop():
    """A-x-A (two edges between A and x) stays as it is; a chain A-..-B merges."""
    rng = np.random.default_rng(0)
    model = _model([0, 1, 0, 2, 3], [1, 0, 2, 3, 4], rng)
    c = contract_model(model, [0, 4])
    pairs = sorted(
        tuple(sorted((int(a), int(b))))
        for a, b in zip(c.model.edge_u, c.model.edge_v, strict=True)
    )
    assert pairs == [(0, 1), (0, 1), (0, 4)]


def test_unknown_node_to_keep_is_an_error():
    """A node to keep outside the graph is a clear error."""
    rng = np.random.default_rng(0)
    model = _model([0, 1], [1, 2], rng)
    with pytest.raises(ScenarioError, match="nodes in"):
        contract_model(model, [7])


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("mode", ["normal", "clearance"])
def test_expanded_leg_costs_what_the_contracted_leg_costs(seed, mode):
    """Flat daily profiles: the pieces' exposure sums to the contracted edge's."""
    model, keep = _random_network(seed)
    c = contract_model(model, keep)
    e = int(np.argmax([len(p) for p in c.pieces]))
    cm = c.model
    for start in (int(cm.edge_u[e]), int(cm.edge_v[e])):
        hours = float(_hours(cm)[e])
        if mode == "clearance":
            hours = float(cm.edge_length_m[e]) / 1000.0 / cm.clearance_speed_kph
        span = 60.0 * hours * 1.3  # a leg stretched to whole steps
        speed = float(cm.edge_length_m[e]) / 1000.0 / (span / 60.0)
        leg = Leg(e, start, 100.0, 100.0 + span, mode, speed)
        legs = expand_trajectory(c, Trajectory((leg,))).legs
        assert len(legs) == len(c.pieces[e])
        assert legs[0].depart_min == 100.0 and legs[-1].arrive_min == 100.0 + span
        assert legs[0].from_node == start
        for a, b in itertools.pairwise(legs):
            assert a.arrive_min == pytest.approx(b.depart_min)
            assert b.depart_min >= a.depart_min
        exp_c = trajectory_exposure(cm, [leg])
        exp_o = trajectory_exposure(model, legs)
        assert exp_o.ied == pytest.approx(exp_c.ied, rel=1e-9, abs=1e-15)
        if mode == "normal":
            assert exp_o.ambush_moving == pytest.approx(
                exp_c.ambush_moving, rel=1e-9, abs=1e-15
            )
        elif (model.edge_speed_kph >= cm.clearance_speed_kph).all():
            # every piece at the clearance pace: the plain sum of the ambush field
            idx = [p for p, _ in c.pieces[e]]
            amb = cm.edge_ambush.copy()
            amb[e] = model.edge_ambush[idx].sum()
            flat = dataclasses.replace(cm, edge_ambush=amb)
            assert exp_o.ambush_moving == pytest.approx(
                trajectory_exposure(flat, [leg]).ambush_moving, rel=1e-9, abs=1e-15
            )


@pytest.mark.parametrize("seed", range(30))
def test_exact_times_move_the_rounding_to_the_waits(seed):
    """Runs at exact times within their searched spans, never costlier."""
    rng = np.random.default_rng(seed)
    model = _model([0, 1, 2, 3], [1, 2, 3, 4], rng, halts=[2])
    step = 30.0

    def rounded(edge, node, t, mode="normal"):
        v = model.speed_kph(edge, mode, night=False)
        km = model.edge_length_m[edge] / 1000.0
        dur = step * np.ceil(60.0 * km / v / step)
        return Leg(edge, node, t, t + dur, mode, km / (dur / 60.0))

    t0 = 8 * 60.0  # 08:00 UTC, daylight 06:00-18:00
    a = rounded(0, 0, t0)
    b = rounded(1, 1, a.arrive_min, "clearance")
    halt_end = b.arrive_min + 60.0
    c = rounded(2, 2, halt_end)
    d = rounded(3, 3, c.arrive_min)
    traj = Trajectory((a, b, c, d), (Halt(2, b.arrive_min, halt_end),))
    out = exact_times(model, traj)
    assert [g.edge for g in out.legs] == [0, 1, 2, 3]
    for run in (out.legs[:2], out.legs[2:]):
        assert run[1].depart_min == pytest.approx(run[0].arrive_min)
        exact = [
            g.speed_kph == model.speed_kph(g.edge, g.mode, night=False) for g in run
        ]
        assert all(exact) or not any(exact)
        for g in run:
            km = model.edge_length_m[g.edge] / 1000.0
            assert g.arrive_min - g.depart_min == pytest.approx(60.0 * km / g.speed_kph)
    # each run stays inside the span the search gave it
    assert (
        out.legs[0].depart_min >= t0 and out.legs[1].arrive_min <= b.arrive_min + 1e-6
    )
    assert out.legs[2].depart_min >= halt_end - 1e-9
    assert out.legs[3].arrive_min <= d.arrive_min + 1e-9
    (h,) = out.halts
    assert h.node == 2
    assert h.start_min == pytest.approx(out.legs[1].arrive_min)
    assert h.end_min == pytest.approx(out.legs[2].depart_min)
    old = trajectory_exposure(model, traj.legs, traj.halts).total
    new = trajectory_exposure(model, out.legs, out.halts).total
    assert new <= old + 1e-12

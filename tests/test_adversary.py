"""The adversary game: LPs, column generation against enumeration, robust plans."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from convoy.adversary import (
    Attacker,
    SearchRequest,
    best_response,
    cvar,
    matrix_game,
    mixed_strategy,
    robust_plan,
    solve_master,
    worst_case,
)
from convoy.adversary.search import leg_hits, placement_cost, schedule_hits
from convoy.errors import InfeasibleError
from convoy.params import MovementParams
from convoy.schedule.exposure import ExposureModel
from convoy.schedule.tables import search_graph, step_tables
from tests.schedule.schedule_cases import random_case

# --- the attacker's best response: the greedy is the LP's optimum ---------------


@settings(max_examples=60, deadline=None)
@given(
    gains=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=12),
    budget=st.floats(0, 8, allow_nan=False),
    cap=st.floats(0.1, 3, allow_nan=False),
)
def test_greedy_best_response_is_the_lp_optimum(gains, budget, cap):
    gain = {(i, 0): g for i, g in enumerate(gains)}
    total, x = best_response(gain, budget, cap)
    res = linprog(
        -np.array(gains),
        A_ub=np.ones((1, len(gains))),
        b_ub=[budget],
        bounds=[(0, cap)] * len(gains),
        method="highs",
    )
    assert total == pytest.approx(-res.fun, abs=1e-9)
    assert sum(x.values()) <= budget + 1e-9
    assert all(0 <= v <= cap + 1e-12 for v in x.values())


def test_matrix_game_matching_pennies():
    v, q = matrix_game(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    assert v == pytest.approx(0.0, abs=1e-9)
    assert q == pytest.approx([0.5, 0.5])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    budget=st.integers(0, 3),
)
def test_master_lp_equals_the_matrix_game(seed, budget):
    """Over a fixed set of plans, the master LP is the matrix game over subsets."""
    rng = np.random.default_rng(seed)
    nj, nc = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    base = rng.uniform(0, 2, nj)
    a = (rng.random((nj, nc)) < 0.5) * rng.choice([1.0, 0.3], (nj, nc))
    hits = [{(c, 0): a[j, c] for c in range(nc) if a[j, c] > 0} for j in range(nj)]
    sol = solve_master(base, hits, budget, 1.0)
    subsets = list(itertools.combinations(range(nc), min(budget, nc)))
    loss = np.array(
        [[base[j] + a[j, list(s)].sum() for s in subsets] for j in range(nj)]
    )
    v, _q = matrix_game(loss)
    assert sol.value == pytest.approx(v, abs=1e-7)
    # the placement is the attacker's best response to the mix
    gain = {(c, 0): float(sol.mix @ a[:, c]) for c in range(nc)}
    assert float(sol.mix @ base) + best_response(gain, budget, 1.0)[0] == (
        pytest.approx(sol.value, abs=1e-7)
    )


# --- column generation with the schedule search, against enumeration ----------


def _diamond(seed: int) -> SearchRequest:
    """Origin 0, destination 3, two routes through 1 and 2 and a direct track."""
    rng = np.random.default_rng(seed)
    u = np.array([0, 1, 0, 2, 0])
    v = np.array([1, 3, 2, 3, 3])
    model = ExposureModel(
        edge_u=u,
        edge_v=v,
        edge_length_m=rng.uniform(20_000, 60_000, 5) * np.array([1, 1, 1, 1, 2.5]),
        edge_speed_kph=rng.uniform(20, 40, 5),
        edge_ied=rng.uniform(0.05, 0.6, 5),
        edge_ambush=rng.uniform(0, 0.02, 5),
        node_ambush=np.zeros(4),
        node_can_halt=np.array([True, False, False, True]),
        column_day_km=5.0,
        column_night_km=3.0,
        start_minute_of_day=float(rng.integers(0, 24) * 60),
        day_start_min=0,
        day_end_min=1440,
        diurnal_ied=rng.uniform(0.5, 1.5, 24),
        clearance_speed_kph=float(rng.uniform(8, 15)),
        clearance_ied_factor=float(rng.uniform(0.1, 0.6)),
        breakdowns_per_km=0.01,
        breakdown_price=0.01,
    )
    movement = MovementParams(
        windows=(("00:00", "24:00"),), daily_driving_limit_h=24.0, step_min=60
    )
    return SearchRequest(model, 0, 3, 1.5 * 1440.0, movement)


def _enumerate(req: SearchRequest, window_min: float):
    """Every plan of the diamond: route x departure x mode of each leg."""
    m, mv = req.model, req.movement
    step = mv.step_min
    g = search_graph(m, step, mv.daily_driving_limit_h)
    num_steps = int(req.horizon_min // step)
    tab = step_tables(m, mv, num_steps, int(g.tail.max()))
    routes = [[(0, 0), (1, 1)], [(2, 0), (3, 2)], [(4, 0)]]  # (edge, from node)
    plans = []
    for route in routes:
        for modes in itertools.product((0, 1), repeat=len(route)):
            for t0 in range(num_steps):
                t, cost, legs = t0, 0.0, []
                for (e, _n), md in zip(route, modes, strict=True):
                    d = int(g.dur[(e * 2 + md) * 2])
                    if t + d > num_steps:
                        break
                    span = d * step
                    cost += g.ied_coef[e * 2 + md] * (tab.ci[t + d] - tab.ci[t]) / span
                    cost += (
                        g.amb_coef[(e * 2 + md) * 2]
                        * (tab.ca[t + d] - tab.ca[t])
                        / span
                    )
                    cost += g.fixed[e] + g.step_price * d
                    legs.append((e, t * step, ("normal", "clearance")[md]))
                    t += d
                else:
                    hits = leg_hits(
                        legs, m.start_minute_of_day, window_min, m.clearance_ied_factor
                    )
                    plans.append((cost, hits))
    return plans


def _game_by_enumeration(plans, budget: int) -> float:
    cells = sorted({c for _b, h in plans for c in h})
    subsets = list(itertools.combinations(cells, min(budget, len(cells))))
    loss = np.array(
        [[b + sum(h.get(c, 0.0) for c in s) for s in subsets] for b, h in plans]
    )
    return matrix_game(loss)[0]


@pytest.mark.parametrize(("seed", "budget"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_mixed_strategy_value_equals_the_enumerated_game(seed, budget):
    req = _diamond(seed)
    attacker = Attacker(budget=budget, cap=1.0, window_h=12.0)
    mix = mixed_strategy(req, attacker, max_columns=200)
    plans = _enumerate(req, attacker.window_min)
    assert mix.value == pytest.approx(_game_by_enumeration(plans, budget), abs=1e-6)
    assert mix.gap <= 1e-6 * max(1.0, mix.value)
    assert sum(p for _c, p in mix.support()) == pytest.approx(1.0)
    # robust: the least worst case over every plan (Bertsimas-Sim is exact here)
    rob = robust_plan(req, attacker)
    best = min(b + worst_case(h, budget, 1.0) for b, h in plans)
    assert rob.worst == pytest.approx(best, abs=1e-6)
    # mixing never does worse than the best pure plan the attacker knows
    assert mix.value <= rob.worst + 1e-9


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 1000),
    budget=st.integers(0, 3),
    window_h=st.sampled_from([6.0, 12.0, 24.0]),
)
def test_mixed_strategy_against_enumeration_property(seed, budget, window_h):
    req = _diamond(seed)
    attacker = Attacker(budget=budget, cap=1.0, window_h=window_h)
    mix = mixed_strategy(req, attacker, max_columns=300)
    plans = _enumerate(req, attacker.window_min)
    assert mix.value == pytest.approx(_game_by_enumeration(plans, budget), abs=1e-6)


def test_robust_plan_is_never_worse_than_static_in_its_worst_case():
    """On the first 12 feasible random cases (an infeasible one tells nothing)."""
    checked = 0
    for seed in range(60):
        case = random_case(seed)
        req = SearchRequest(
            case.model, case.origin, case.destination, case.horizon_min, case.movement
        )
        try:
            static = req.search()
        except InfeasibleError:
            continue
        attacker = Attacker(budget=float(seed % 3 + 1), window_h=6.0)
        rob = robust_plan(req, attacker, static)
        static_worst = rob.candidates[0][1]
        assert rob.worst <= static_worst + 1e-12, seed
        checked += 1
        if checked == 12:
            break
    assert checked == 12


@pytest.mark.parametrize("seed", [1, 3])
def test_zero_budget_gives_the_static_plan(seed):
    req = _diamond(seed)
    static = req.search()
    attacker = Attacker(budget=0.0)
    mix = mixed_strategy(req, attacker, static)
    [(col, p)] = mix.support()
    assert p == 1.0
    assert col.schedule is static
    assert mix.value == pytest.approx(static.objective)
    assert robust_plan(req, attacker, static).column.schedule is static


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), window_h=st.sampled_from([6.0, 12.0, 24.0]))
def test_search_with_an_attack_is_exact(seed, window_h):
    """The search's best cost under a random placement is the enumerated minimum."""
    req = _diamond(seed)
    wmin = window_h * 60.0
    nw = req.num_windows(wmin)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (req.model.num_edges, nw)) * (rng.random((5, nw)) < 0.5)
    placement = {(e, w): float(x[e, w]) for e in range(5) for w in range(nw)}
    attack = placement_cost(placement, 5, nw, wmin, req.clearance_factor)
    sched = req.search(attack)
    plans = _enumerate(req, wmin)
    best = min(b + sum(a * placement[c] for c, a in h.items()) for b, h in plans)
    assert float(np.min(sched.cost_by_departure)) == pytest.approx(best, abs=1e-9)
    hits = schedule_hits(sched, req.model, wmin)
    priced = sched.objective + sum(a * placement[c] for c, a in hits.items())
    assert priced == pytest.approx(best, abs=1e-9)


def test_search_prices_the_attack_it_is_given():
    """The priced plan's cost is its base plus its hits times the placement."""
    req = _diamond(7)
    attacker = Attacker(budget=2.0, window_h=12.0)
    mix = mixed_strategy(req, attacker, max_columns=3)
    assert len(mix.columns) == 3
    assert mix.history[-1][0] >= mix.history[-1][1] - 1e-9


@settings(max_examples=50, deadline=None)
@given(
    x=st.lists(st.integers(0, 30), min_size=1, max_size=40),
    level=st.sampled_from([0.5, 0.75, 0.9]),
)
def test_cvar_is_the_rockafellar_uryasev_minimum(x, level):
    """CVaR = min_a a + E[(X - a)+] / (1 - level), the minimum at a sample."""
    xs = np.asarray(x, dtype=float)
    best = min(a + np.mean(np.maximum(xs - a, 0)) / (1 - level) for a in xs)
    assert cvar(xs, level) == pytest.approx(best, rel=1e-9, abs=1e-9)
    # equal weights change nothing; a pooled pair of plans is their mixture
    assert cvar(xs, level, np.ones(len(xs))) == pytest.approx(cvar(xs, level))
    assert cvar(np.concatenate((xs, xs)), level, np.ones(2 * len(xs))) == (
        pytest.approx(cvar(xs, level))
    )


def test_cvar():
    assert cvar(np.arange(10)) == pytest.approx(9.0)
    assert cvar(np.arange(100)) == pytest.approx(np.arange(90, 100).mean())
    assert cvar([2, 2, 2]) == pytest.approx(2.0)

"""The time-expanded schedule search against its exhaustive twin, and its output."""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from naive_schedule import NaiveSchedule, enumerate_trajectories
from schedule_cases import Case, random_case

from convoy.errors import InfeasibleError, NoRouteError, ScenarioError
from convoy.params import MovementParams
from convoy.schedule import _labels
from convoy.schedule.exposure import ExposureModel
from convoy.schedule.search import Schedule, plan_schedule
from convoy.schedule.trajectory import trajectory_exposure


def solve(case: Case, **kw) -> Schedule:
    return plan_schedule(
        case.model,
        case.origin,
        case.destination,
        horizon_min=case.horizon_min,
        movement=case.movement,
        earliest_depart_min=case.earliest_min,
        latest_depart_min=case.latest_min,
        **kw,
    )


def check_feasible(case: Case, sched: Schedule) -> None:
    """Assert every hard constraint on a schedule, minute by minute."""
    ref = NaiveSchedule(
        case.model, case.movement, case.horizon_min, case.earliest_min, case.latest_min
    )
    m = case.model
    assert ref.earliest <= sched.depart_step <= min(ref.latest, ref.T)
    assert sched.arrive_step <= ref.T
    assert sched.node_path[0] == case.origin
    assert sched.node_path[-1] == case.destination
    # legs and halts tile [depart, arrive) without gaps
    spans = sorted(
        [(leg.depart_step, leg.arrive_step, "leg") for leg in sched.legs]
        + [(a, b, "halt") for _n, a, b in sched.halts]
    )
    assert spans[0][0] == sched.depart_step
    assert spans[-1][1] == sched.arrive_step
    for (_, b, _), (a, _, _) in itertools.pairwise(spans):
        assert a == b
    for n, a, b in sched.halts:
        assert ref.may_halt(n)
        assert b > a
    driven: dict[int, int] = {}
    for leg in sched.legs:
        assert {int(m.edge_u[leg.edge]), int(m.edge_v[leg.edge])} == {
            leg.from_node,
            leg.to_node,
        }
        for s in range(leg.depart_step, leg.arrive_step):
            assert ref.step_all(s, ref.in_window), "driving outside the windows"
            driven[ref.day(s)] = driven.get(ref.day(s), 0) + 1
        d, night, v = ref.traversal(
            leg.edge, 0 if leg.mode == "normal" else 1, leg.depart_step
        )
        assert (d, night) == (leg.arrive_step - leg.depart_step, leg.night)
        assert v == pytest.approx(leg.speed_kph, rel=1e-12)
    assert max(driven.values()) <= ref.H
    check_column(case, sched)


def check_column(case: Case, sched: Schedule) -> None:
    """Every part of the column, minute by minute: in the windows, under the limit."""
    m = case.model
    mv = case.movement
    ref = NaiveSchedule(m, mv, case.horizon_min, case.earliest_min, case.latest_min)
    step = mv.step_min
    for leg in sched.legs:
        v = m.speed_kph(leg.edge, leg.mode, leg.night)
        pass_min = m.pass_time_min(v, leg.night)
        # the tail of the last unit drives the leg pass_min after the head
        a, b = leg.depart_step * step, leg.arrive_step * step + pass_min
        for x in range(a, math.ceil(b - 1e-9)):
            assert ref.in_window(x), f"a unit drives outside the windows at {x}"
    # the daily limit for a unit at any offset behind the head
    worst = max(
        (
            m.pass_time_min(m.speed_kph(leg.edge, leg.mode, leg.night), leg.night)
            for leg in sched.legs
        ),
        default=0.0,
    )
    for offset in np.linspace(0.0, worst, 7):
        per_day: dict[int, float] = {}
        for leg in sched.legs:
            for x in range(leg.depart_step * step, leg.arrive_step * step):
                day = int((m.start_minute_of_day + x + offset) // 1440)
                per_day[day] = per_day.get(day, 0.0) + 1.0
        limit = ref.H * step
        assert max(per_day.values(), default=0.0) <= limit + 1e-6


@st.composite
def cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    return random_case(seed)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cases())
def test_optimum_equals_exhaustive_search(case):
    """The optimiser's cost equals the exhaustive search's, or both find nothing."""
    ref = NaiveSchedule(
        case.model, case.movement, case.horizon_min, case.earliest_min, case.latest_min
    )
    best, by_dep = ref.best_cost(case.origin, case.destination)
    if math.isinf(best):
        with pytest.raises(InfeasibleError):
            solve(case)
        return
    sched = solve(case)
    assert sched.objective == pytest.approx(best, rel=1e-9, abs=1e-12)
    for t, c in by_dep.items():
        got = sched.cost_by_departure[t]
        if math.isinf(c):
            assert math.isinf(got)
        else:
            assert got == pytest.approx(c, rel=1e-9, abs=1e-12)
    outside = [t for t in range(len(sched.cost_by_departure)) if t not in by_dep]
    assert np.isinf(sched.cost_by_departure[outside]).all()
    check_feasible(case, sched)
    exp = trajectory_exposure(case.model, *_legs_halts(sched))
    assert exp.total == pytest.approx(sched.expected_incidents, rel=1e-9, abs=1e-12)
    assert exp.objective == pytest.approx(sched.objective, rel=1e-9, abs=1e-12)
    assert exp.ied == pytest.approx(sched.ied, rel=1e-9, abs=1e-12)
    assert exp.ambush_halted == pytest.approx(sched.ambush_halted, rel=1e-9, abs=1e-12)


def _legs_halts(sched: Schedule):
    traj = sched.trajectory()
    return traj.legs, traj.halts


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cases())
def test_infeasible_names_earliest_arrival(case):
    """With the deadline cut short, the error names the exhaustive earliest arrival."""
    ref = NaiveSchedule(
        case.model, case.movement, case.horizon_min, case.earliest_min, case.latest_min
    )
    extra = 3 * 1440 // case.movement.step_min
    first = ref.earliest_arrival(case.origin, case.destination, extra)
    if first is None or first - 1 < ref.earliest + 1:
        return
    short = replace(case, horizon_min=float((first - 1) * case.movement.step_min))
    if short.latest_min is not None:
        short = replace(short, latest_min=min(short.latest_min, short.horizon_min))
    with pytest.raises(InfeasibleError) as err:
        solve(short)
    found = re.search(r"earliest feasible arrival is ([0-9.]+) min", str(err.value))
    assert found is not None, str(err.value)
    assert float(found.group(1)) == first * case.movement.step_min
    # and the full-length horizon at that arrival is feasible
    ok = replace(case, horizon_min=float(first * case.movement.step_min))
    if ok.latest_min is not None:
        ok = replace(ok, latest_min=min(ok.latest_min, ok.horizon_min))
    assert solve(ok).arrive_step == first


def line_model(**kw) -> ExposureModel:
    """Three nodes in a line, 30 km at 30 km/h each, halts at every node."""
    args = dict(
        edge_u=[0, 1],
        edge_v=[1, 2],
        edge_length_m=[30_000.0, 30_000.0],
        edge_speed_kph=[30.0, 30.0],
        edge_ied=[0.2, 0.1],
        edge_ambush=[0.01, 0.02],
        node_ambush=[0.0, 0.01, 0.0],
        node_can_halt=[True, True, True],
        column_day_km=5.0,
        column_night_km=3.0,
        start_minute_of_day=360.0,
    )
    args.update(kw)
    return ExposureModel(**args)


def test_infeasible_message_with_dates():
    """A deadline before the earliest arrival is refused, naming constraints, date."""
    model = line_model()
    start = datetime(2023, 10, 31, 6, 0, tzinfo=UTC)
    mv = MovementParams(windows=(("05:30", "18:30"),), daily_driving_limit_h=1.0)
    with pytest.raises(InfeasibleError) as err:
        plan_schedule(
            model,
            0,
            2,
            horizon_min=300.0,
            movement=mv,
            start=start,
            node_names={0: "Kidal", 2: "Gao"},
        )
    msg = str(err.value)
    assert "no schedule reaches Gao by 2023-10-31T11:00Z" in msg
    assert "05:30-18:30" in msg and "1 h driving a day" in msg
    # 1 h of driving a day: first edge on day 1, second on day 2 from 06:00 (before
    # daylight it would be a night leg at 24 km/h, longer than the daily limit)
    assert "the earliest feasible arrival is 2023-11-01T07:00Z" in msg
    # the daily limit binds: without it the column is there at 08:00 on day 1
    assert msg.endswith(
        "(without the daily driving limit it would arrive 2023-10-31T08:00Z)"
    )


def test_no_route_and_bad_nodes():
    """Disconnected ends raise NoRouteError; bad node ids raise ScenarioError."""
    model = line_model(edge_u=[0, 0], edge_v=[1, 1], node_ambush=[0.0, 0.0, 0.0])
    with pytest.raises(NoRouteError):
        plan_schedule(model, 0, 2, horizon_min=1440.0)
    with pytest.raises(ScenarioError, match="origin"):
        plan_schedule(model, 7, 2, horizon_min=1440.0)
    with pytest.raises(ScenarioError, match="differ"):
        plan_schedule(model, 1, 1, horizon_min=1440.0)


def test_deterministic():
    """The same problem twice gives the same schedule, field by field."""
    case = random_case(11, num_nodes=6, days=2.0)
    a, b = solve(case), solve(case)
    assert a.legs == b.legs and a.halts == b.halts
    assert np.array_equal(a.cost_by_departure, b.cost_by_departure)


def test_ties_prefer_earliest_arrival_then_less_driving():
    """With no risk at all the column leaves at once in normal mode, arriving first."""
    model = line_model(
        edge_ied=[0.0, 0.0], edge_ambush=[0.0, 0.0], node_ambush=[0.0, 0.0, 0.0]
    )
    sched = plan_schedule(model, 0, 2, horizon_min=1440.0)
    assert sched.expected_incidents == 0.0
    assert sched.depart_step == 0 and sched.arrive_step == 12
    assert sched.modes == ("normal", "normal") and sched.halts == ()


def test_clearance_and_waiting_for_the_window():
    """A heavy IED edge is cleared; departure waits for the window, free of charge."""
    model = line_model(
        edge_ied=[5.0, 0.0],
        edge_ambush=[0.0, 0.0],
        node_ambush=[0.0, 0.0, 0.0],
        clearance_ied_factor=0.1,
    )
    mv = MovementParams(windows=(("08:00", "18:00"),))
    sched = plan_schedule(model, 0, 2, horizon_min=1440.0, movement=mv)
    assert sched.modes[0] == "clearance"
    assert sched.depart_min == 120.0  # 08:00 when t0 is 06:00
    # clearance at 8 km/h: 30 km in 3 h 45 min, rounded up to 23 steps
    assert sched.legs[0].arrive_step - sched.legs[0].depart_step == 23
    assert sched.ied == pytest.approx(5.0 * 0.1 * _mean_ied(model, 120, 120 + 230))


def test_no_clearance_team_no_clearance_leg():
    """Without a clearance team the heavy IED edge is driven in normal mode."""
    model = line_model(
        edge_ied=[5.0, 0.0],
        edge_ambush=[0.0, 0.0],
        node_ambush=[0.0, 0.0, 0.0],
        clearance_ied_factor=0.1,
        clearance_available=False,
    )
    mv = MovementParams(windows=(("08:00", "18:00"),))
    sched = plan_schedule(model, 0, 2, horizon_min=1440.0, movement=mv)
    assert sched.modes == ("normal", "normal")
    assert sched.ied == pytest.approx(5.0 * _mean_ied(model, 120, 120 + 60))


def test_clearance_teams_set_speed_and_availability():
    """Teams from route-clearance vehicles: none, one, and leapfrogging to the cap."""
    mv = MovementParams(clearance_speed_kph=5.0, clearance_max_speed_kph=12.0)
    assert [mv.clearance_teams(n) for n in (0, 2, 3, 6, 7)] == [0, 0, 1, 2, 2]
    assert [mv.clearance_speed_for(k) for k in (0, 1, 2, 3)] == [0.0, 5.0, 10.0, 12.0]
    slow = MovementParams(clearance_speed_kph=15.0, clearance_max_speed_kph=12.0)
    assert slow.clearance_speed_for(3) == 15.0  # never slower than one team


def _mean_ied(model: ExposureModel, a: float, b: float) -> float:
    return (model.ied_integral(b) - model.ied_integral(a)) / (b - a)


def test_night_driving_uses_night_speed_and_length():
    """A window reaching into the night gives night legs at the night speed."""
    model = line_model(
        day_start_min=360,
        day_end_min=1080,
        night_speed_factor=0.5,
        clearance_ied_factor=1.0,
    )
    mv = MovementParams(windows=(("00:00", "24:00"),))
    sched = plan_schedule(
        model,
        0,
        2,
        horizon_min=1440.0,
        movement=mv,
        earliest_depart_min=12 * 60.0,
        latest_depart_min=12 * 60.0,
    )
    assert all(leg.night for leg in sched.legs)  # 18:00 onwards
    assert sched.legs[0].speed_kph == 15.0
    assert sched.legs[0].arrive_step - sched.legs[0].depart_step == 12


def test_daily_limit_forces_overnight_halt():
    """Two hours of driving with a one-hour limit split over two days with a halt."""
    model = line_model()
    mv = MovementParams(daily_driving_limit_h=1.0)
    sched = plan_schedule(model, 0, 2, horizon_min=2 * 1440.0, movement=mv)
    assert len(sched.halts) == 1 and sched.halts[0][0] == 1
    assert sched.ambush_halted > 0


def test_drive_levels_against_counting():
    """The driven-today counter matches counting steps per calendar day."""
    dayidx = np.repeat(np.arange(4), 6)  # four days of six steps
    dayidx = np.append(dayidx, 4)
    nextmid = np.searchsorted(dayidx, dayidx, side="right").astype(np.int64)
    for t in range(len(dayidx) - 1):
        for d in range(1, len(dayidx) - t):
            for h in range(5):
                for hmax in (2, 4, 6):
                    per: dict[int, int] = {}
                    for s in range(t, t + d):
                        per[dayidx[s]] = per.get(dayidx[s], 0) + 1
                    per[dayidx[t]] = per.get(dayidx[t], 0) + h
                    want = (
                        per.get(dayidx[t + d], 0) if max(per.values()) <= hmax else -1
                    )
                    got = _labels._drive_levels(t, d, h, nextmid, hmax)
                    assert got == want, (t, d, h, hmax)


@st.composite
def tiny_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    return random_case(seed, num_nodes=draw(st.integers(3, 4)), step_min=60, days=1.0)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tiny_cases())
def test_optimum_equals_plain_enumeration(case):
    """On tiny horizons the optimum is the cheapest of all enumerated trajectories."""
    ref = NaiveSchedule(
        case.model, case.movement, case.horizon_min, case.earliest_min, case.latest_min
    )
    trajs = list(
        itertools.islice(
            enumerate_trajectories(ref, case.origin, case.destination), 401
        )
    )
    if len(trajs) > 400:
        return  # too many to price quickly; the memoised search covers such cases
    costs = [
        trajectory_exposure(case.model, legs, halts).objective for legs, halts in trajs
    ]
    if not costs:
        with pytest.raises(InfeasibleError):
            solve(case)
        return
    sched = solve(case)
    assert sched.objective == pytest.approx(min(costs), rel=1e-9, abs=1e-12)


def test_departure_window_and_size_limits(monkeypatch):
    """An empty departure window is infeasible; an oversized search is refused."""
    model = line_model()
    with pytest.raises(InfeasibleError, match="no departure"):
        plan_schedule(
            model,
            0,
            2,
            horizon_min=1440.0,
            earliest_depart_min=600.0,
            latest_depart_min=300.0,
        )
    from convoy.schedule import search

    monkeypatch.setattr(search, "MAX_STATES", 10)

    def no_labels(*args, **kwargs):
        msg = "labels allocated before the size check"
        raise AssertionError(msg)

    monkeypatch.setattr(search, "_fill_labels", no_labels)
    with pytest.raises(ScenarioError, match="step_min") as err:
        plan_schedule(model, 0, 2, horizon_min=1440.0)
    msg = str(err.value)
    for part in ("states", "nodes can lie on a trip", "time points", "GiB"):
        assert part in msg
    assert "deadline" in msg and "smaller road extract" in msg


@st.composite
def corridor_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    num_nodes = draw(st.integers(4, 14))
    return random_case(seed, num_nodes=num_nodes, step_min=30, days=2.5)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(corridor_cases())
def test_corridor_prunes_only_infeasible_states(case):
    """The corridor search returns the full search's schedule, bit for bit."""
    from convoy.schedule import search

    def run():
        try:
            return solve(case)
        except InfeasibleError as err:
            return str(err)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "PRUNE", False)
        full = run()
    pruned = run()
    if isinstance(full, str):
        assert pruned == full
        return
    assert isinstance(pruned, Schedule)
    assert pruned.legs == full.legs
    assert pruned.halts == full.halts
    assert pruned.objective == full.objective
    np.testing.assert_array_equal(pruned.cost_by_departure, full.cost_by_departure)


def test_corridor_drops_nodes_out_of_reach():
    """A node too far to visit before the deadline holds no state."""
    from convoy.schedule.tables import corridor, search_graph, step_tables

    case = random_case(3, num_nodes=10, step_min=30, days=1.0)
    g = search_graph(case.model, 30, case.movement.daily_driving_limit_h)
    tab = step_tables(case.model, case.movement, 48, int(g.tail.max()))
    full = corridor(g, tab, case.origin, case.destination, 0, prune=False)
    lay = corridor(g, tab, case.origin, case.destination, 0)
    assert full.num_states == case.model.num_nodes * tab.num_levels
    assert lay.num_states <= full.num_states
    late = corridor(g, tab, case.origin, case.destination, 47)
    assert late.num_states < lay.num_states or lay.num_states == 0


def test_long_horizon_labels_same_as_short():
    """Arrivals stored as int32 (long horizons) give the uint16 schedule."""
    from convoy.schedule import search

    compared = 0
    for seed in range(8):
        case = random_case(seed, num_nodes=8, step_min=30, days=2.0)
        try:
            short = solve(case)
        except InfeasibleError:
            continue
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(search, "SHORT_STEPS", 0)
            long = solve(case)
        assert long.legs == short.legs and long.halts == short.halts
        np.testing.assert_array_equal(long.cost_by_departure, short.cost_by_departure)
        compared += 1
    assert compared > 0


def _suffix_min(costs):
    return np.minimum.accumulate(np.asarray(costs)[::-1])[::-1]


def _with_attack(case, seed):
    """The case with a random non-negative attack cost by edge, day and mode."""
    from convoy.schedule.attack import AttackCost

    rng = np.random.default_rng(seed)
    cost = rng.uniform(0.0, 0.3, (case.model.num_edges, 3, 2))
    cost *= rng.random(cost.shape) < 0.5
    return AttackCost(cost, 1440.0)


@st.composite
def cut_cases(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    num_nodes = draw(st.integers(4, 16))
    attack = draw(st.booleans())
    case = random_case(seed, num_nodes=num_nodes, step_min=30, days=2.5)
    return case, (_with_attack(case, seed) if attack else None)


_CUT_STATES: list[tuple[int, int]] = []


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cut_cases())
def test_cost_cut_keeps_what_is_read(case_attack):
    """
    The cost cut changes no figure the caller reads, bit for bit.

    ``suffix_min``: the schedule and every suffix minimum of
    ``cost_by_departure``; ``best``: the schedule and the least cost. Both
    against the full search (no corridor, no cut).
    """
    from convoy.schedule import search

    case, attack = case_attack

    def run(read):
        try:
            return solve(case, attack=attack, costs_read=read)
        except InfeasibleError as err:
            return str(err)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "PRUNE", False)
        full = run("each")
    sizes: list[int] = []
    check = search._check_size

    def counted(model, tab, lay, step, limit):
        sizes.append(lay.num_states)
        check(model, tab, lay, step, limit)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "_check_size", counted)
        each = run("each")
        suffix = run("suffix_min")
        best = run("best")
    if isinstance(full, str):
        assert suffix == best == full
        return
    for cut in (suffix, best):
        assert isinstance(cut, Schedule)
        assert cut.legs == full.legs
        assert cut.halts == full.halts
        assert cut.objective == full.objective
        assert cut.depart_step == full.depart_step
        assert (cut.cost_by_departure >= full.cost_by_departure).all()
        assert cut.cost_by_departure.min() == full.cost_by_departure.min()
    np.testing.assert_array_equal(
        _suffix_min(suffix.cost_by_departure), _suffix_min(full.cost_by_departure)
    )
    assert isinstance(each, Schedule)
    np.testing.assert_array_equal(each.cost_by_departure, full.cost_by_departure)
    _CUT_STATES.append((sizes[0], min(sizes[1:])))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cut_cases())
def test_cost_and_time_cut_with_a_fixed_departure(case_attack):
    """
    ``best`` with one departure step (the last arrival cut too): the schedule
    is the full search's, bit for bit, on the case and on its time model (what
    the fast baselines search, where the last arrival binds).
    """
    from convoy.baselines import time_model
    from convoy.schedule import search

    case, attack = case_attack
    case = replace(case, latest_min=case.earliest_min)
    if attack is None:
        case = replace(case, model=time_model(case.model))

    def run(read):
        try:
            return solve(case, attack=attack, costs_read=read)
        except InfeasibleError as err:
            return str(err)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "PRUNE", False)
        full = run("each")
    best = run("best")
    if isinstance(full, str):
        assert best == full
        return
    assert isinstance(best, Schedule)
    assert best.legs == full.legs
    assert best.halts == full.halts
    assert best.objective == full.objective
    assert best.cost_by_departure.min() == full.cost_by_departure.min()


def test_cost_cut_drops_states():
    """On random cases the cut holds fewer states than the corridor alone."""
    if not _CUT_STATES:
        pytest.skip("run with test_cost_cut_keeps_what_is_read")
    fewer = sum(cut < each for each, cut in _CUT_STATES)
    assert fewer >= len(_CUT_STATES) // 4
    assert all(cut <= each for each, cut in _CUT_STATES)


def test_cost_floor_bounds_every_traversal():
    """The edge floor is below the cost of every allowed traversal, any time."""
    from convoy.schedule.attack import kernel_arrays
    from convoy.schedule.tables import (
        edge_cost_floor,
        search_graph,
        step_cost_floor,
        step_tables,
    )

    for seed in range(6):
        case = random_case(seed, num_nodes=6, step_min=30, days=1.5)
        m, mv = case.model, case.movement
        g = search_graph(m, 30, mv.daily_driving_limit_h)
        tab = step_tables(m, mv, 72, int(g.tail.max()))
        att = kernel_arrays(
            _with_attack(case, seed), m.num_edges, 72, 30, m.start_minute_of_day
        )
        floor = edge_cost_floor(g, tab, 30.0, att)
        assert floor is not None
        kappa = step_cost_floor(g, tab, floor)
        for e in range(m.num_edges):
            for md in range(2):
                for t in range(72):
                    d, light = _labels._traversal(
                        t,
                        e,
                        md,
                        72,
                        g.dur,
                        g.tail,
                        tab.daycum,
                        tab.run_end,
                        tab.nextmid,
                        g.midnight_guard,
                    )
                    if d < 0:
                        continue
                    ied, amb = _labels._traversal_cost(
                        t,
                        d,
                        e,
                        md,
                        light,
                        30.0,
                        g.ied_coef,
                        g.amb_coef,
                        tab.ci,
                        tab.ca,
                    )
                    c = ied + amb + g.fixed[e] + g.step_price * d
                    c += att[0][(e * att[2] + att[1][t]) * 2 + md]
                    assert floor[e] <= c
                    assert kappa * d <= c
        for n in np.flatnonzero(g.can_halt):
            for t in range(72):
                halt = g.halt_coef[n] * (tab.ch[t + 1] - tab.ch[t]) + g.step_price
                assert kappa <= halt


def test_cost_cut_off_when_a_cost_can_be_negative():
    """A negative attack cost (or price) leaves no floor: the search is not cut."""
    from convoy.schedule.attack import AttackCost, kernel_arrays
    from convoy.schedule.tables import edge_cost_floor, search_graph, step_tables

    case = random_case(1, num_nodes=6, step_min=30, days=1.5)
    m, mv = case.model, case.movement
    g = search_graph(m, 30, mv.daily_driving_limit_h)
    tab = step_tables(m, mv, 72, int(g.tail.max()))
    cost = np.zeros((m.num_edges, 1, 2))
    cost[0, 0, 0] = -0.01
    att = kernel_arrays(AttackCost(cost, 1440.0), m.num_edges, 72, 30, 0.0)
    assert edge_cost_floor(g, tab, 30.0, att) is None
    att0 = kernel_arrays(None, m.num_edges, 72, 30, 0.0)
    assert edge_cost_floor(g, tab, 30.0, att0) is not None
    assert edge_cost_floor(replace(g, step_price=-1e-3), tab, 30.0, att0) is None


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cut_cases(), st.booleans())
def test_search_size_is_the_count_checked(case_attack, tight):
    """
    ``search_size`` counts what ``plan_schedule``'s state-limit check sees, with
    and without the cost cut, and under a limit below the uncut search (the cut's
    first search then on the two paths alone); ``check_size`` refuses exactly
    the searches over the limit.
    """
    from convoy.schedule import search

    case, attack = case_attack
    request = {
        "horizon_min": case.horizon_min,
        "movement": case.movement,
        "earliest_depart_min": case.earliest_min,
        "latest_depart_min": case.latest_min,
        "attack": attack,
    }
    checked: list[int] = []
    check = search._check_size

    def counted(model, tab, lay, step, limit):
        checked.append(lay.num_states)
        check(model, tab, lay, step, limit)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "_check_size", counted)
        if tight:
            uncut = search.search_size(
                case.model, case.origin, case.destination, **request
            )
            mp.setattr(search, "MAX_STATES", max(1, uncut.states - 1))
        for read in ("each", "suffix_min", "best"):
            size = search.search_size(
                case.model, case.origin, case.destination, costs_read=read, **request
            )
            checked.clear()
            with contextlib.suppress(InfeasibleError, ScenarioError):
                plan_schedule(
                    case.model,
                    case.origin,
                    case.destination,
                    costs_read=read,
                    **request,
                )
            # no check: refused before the search (no route, no departure)
            assert checked in ([size.states], []), read
            if not checked:
                assert size.states == 0, read
            if size.states > search.MAX_STATES:
                with pytest.raises(ScenarioError, match="no search was run"):
                    search.check_size(size, "for x")
            else:
                search.check_size(size, "for x")


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cut_cases())
def test_forced_halts_cost_at_least_the_idle_price(case_attack):
    """
    The optimal trip's halts after departure cost at least ``a * D - c0`` for
    its D steps driven (``tables.idle_price``, the second floor of the cost cut).
    """
    from convoy.schedule.tables import idle_price, search_graph, step_tables

    case, _attack = case_attack
    step = case.movement.step_min
    g = search_graph(case.model, step, case.movement.daily_driving_limit_h)
    num_steps = math.floor(case.horizon_min / step + 1e-9)
    tab = step_tables(case.model, case.movement, num_steps, int(g.tail.max()))
    idle = idle_price(g, tab)
    if idle is None:
        return
    try:
        sched = solve(case)
    except InfeasibleError:
        return
    driven = sched.steps_driven
    halted = sched.arrive_step - sched.depart_step - driven
    cost = sched.ambush_halted + g.step_price * halted
    assert cost >= idle[0] * driven - idle[1] - 1e-12


def test_state_limit_is_a_movement_setting() -> None:
    """``[movement] max_search_states`` moves the limit; 0 keeps the default."""
    from convoy.schedule import search

    case = random_case(3, num_nodes=6, days=2.0)
    movement = case.movement
    request = {"horizon_min": case.horizon_min, "movement": movement}
    size = search.search_size(case.model, case.origin, case.destination, **request)
    assert size.states > 1
    assert size.limit == search.MAX_STATES
    low = replace(movement, max_search_states=size.states - 1)
    with pytest.raises(ScenarioError, match=f"limit of {size.states - 1:,} states"):
        plan_schedule(
            case.model,
            case.origin,
            case.destination,
            horizon_min=case.horizon_min,
            movement=low,
        )
    small = search.search_size(
        case.model, case.origin, case.destination, **{**request, "movement": low}
    )
    with pytest.raises(ScenarioError, match="max_search_states"):
        search.check_size(small, "for x")
    enough = replace(movement, max_search_states=size.states)
    plan_schedule(
        case.model,
        case.origin,
        case.destination,
        horizon_min=case.horizon_min,
        movement=enough,
    )

"""Monte Carlo of a plan: mean incidents against the planner's, determinism, kernel."""

from __future__ import annotations

import copy
import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from convoy.document import PlanDocument
from convoy.errors import ScenarioError
from convoy.params import SimulationParams
from convoy.plan import simulate_plan
from convoy.simulate import (
    ColumnVehicle,
    PlannedVehicle,
    TripExposure,
    count_stats,
    simulate_column,
)
from convoy.simulate._kernels import _breakdown, _ignored, _reset

NUM_RUNS = 4000


@pytest.fixture(scope="module")
def tiny_doc(tiny_scenario):
    """plan.json of the tiny scenario, planned once for this module (as written)."""
    from convoy.plan import plan_withdrawal

    doc = PlanDocument.from_plan(plan_withdrawal(tiny_scenario, runs=0))
    return json.loads(doc.to_json())


def synthetic_trip(*, deadline="2023-11-03T18:00:00Z"):
    """A hand-made trip: 3 legs, 2 halts."""
    return TripExposure(
        plan="optimised",
        leg_ied=(0.8, 0.05, 1.5),
        leg_ambush=(0.1, 0.4, 0.0),
        halt_ambush=(0.3, 0.25),
        leg_km=(100.0, 150.0, 50.0),
        planned_arrive=datetime(2023, 11, 1, 12, tzinfo=UTC),
        deadline=datetime.fromisoformat(deadline.replace("Z", "+00:00")),
    )


def synthetic_loads(tiny_scenario):
    """Every vehicle of the tiny fleet moving, none towing."""
    return [PlannedVehicle(v.id, "moving", None) for v in tiny_scenario.vehicles]


def _sim(tiny_scenario, trip=None, loads=None, **kwargs):
    kwargs.setdefault("seed", 11)
    return simulate_plan(
        tiny_scenario,
        trip or synthetic_trip(),
        loads or synthetic_loads(tiny_scenario),
        **kwargs,
    )


def _within_mc_error(mean, expected, n):
    return abs(mean - expected) < 4.0 * math.sqrt(max(expected, 1e-12) / n)


@pytest.mark.parametrize(
    "params",
    [
        SimulationParams(fixed_rates=True, near_repeat_boost=1.0),
        SimulationParams(near_repeat_boost=3.0, near_repeat_km=5.0),
    ],
    ids=["uncertainty off", "near repeats on"],
)
def test_tiny_plan_mean_incidents_match_planner(tiny_doc, tiny_scenario, params):
    """Each plan of the tiny scenario: simulated mean = expected incidents (4 sigma)."""
    doc = PlanDocument.from_dict(tiny_doc)
    for name, trip in tiny_doc["plans"].items():
        res = simulate_plan(
            tiny_scenario,
            doc.trip_exposure(name),
            doc.planned_vehicles(),
            num_runs=NUM_RUNS,
            params=params,
        )
        s = trip["summary"]
        assert _within_mc_error(
            res.num_ied.mean(), s["expected_ied_incidents"], NUM_RUNS
        ), name
        assert _within_mc_error(
            res.num_ambush.mean(), s["expected_ambush_incidents"], NUM_RUNS
        ), name
        assert _within_mc_error(res.incidents.mean(), s["expected_incidents"], NUM_RUNS)


def test_synthetic_plan_matches_poisson(tiny_scenario):
    """A hand-made plan: means, P(0) of the Poisson sum, and breakdowns per vehicle."""
    n = 20_000
    res = _sim(tiny_scenario, num_runs=n)
    assert res.expected_ied == pytest.approx(2.35)
    assert res.expected_ambush == pytest.approx(1.05)
    assert _within_mc_error(res.num_ied.mean(), 2.35, n)
    assert _within_mc_error(res.num_ambush.mean(), 1.05, n)
    p0 = math.exp(-3.4)
    assert abs(np.mean(res.incidents == 0) - p0) < 4 * math.sqrt(p0 * (1 - p0) / n)
    # an untimed trip has no halt to repair a tow at: a vehicle breaks down at
    # -ln(r) / 100 per km until its first breakdown that needs a tow (share q)
    q = 1.0 - res.params.repair_p
    hazard = [-math.log(v.reliability) * 3.0 for v in tiny_scenario.vehicles]
    want = sum((1.0 - math.exp(-q * h)) / q for h in hazard)
    sd = float(res.breakdowns.std())
    assert abs(res.breakdowns.mean() - want) < 4 * sd / math.sqrt(n)
    assert res.expected_breakdowns == pytest.approx(sum(hazard))
    assert res.num_moving == len(tiny_scenario.vehicles)
    assert res.num_recovery == sum(v.can_tow for v in tiny_scenario.vehicles)
    d = res.to_document()
    assert d["incidents"]["p0"] == pytest.approx(np.mean(res.incidents == 0))
    assert d["incidents"]["p50"] <= d["incidents"]["p90"] <= d["incidents"]["p99"]
    assert d["arrival"]["p50"] <= d["arrival"]["p90"] <= d["arrival"]["p99"]


def test_same_seed_same_result_other_seed_differs(tiny_scenario):
    """Same seed gives identical runs; another seed gives other runs."""
    a = _sim(tiny_scenario, num_runs=500)
    b = _sim(tiny_scenario, num_runs=500)
    c = _sim(tiny_scenario, num_runs=500, seed=12)
    assert a.seed == 11
    for f in (
        "num_ied",
        "num_ambush",
        "delay_h",
        "destroyed",
        "breakdowns",
        "lost_breakdown",
    ):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert a.to_document() == b.to_document()
    assert not np.array_equal(a.delay_h, c.delay_h)
    assert not np.array_equal(a.incidents, c.incidents)


def test_default_seed_is_the_scenario_seed(tiny_scenario):
    """Without a seed, the scenario's seed is used."""
    res = simulate_plan(
        tiny_scenario, synthetic_trip(), synthetic_loads(tiny_scenario), num_runs=10
    )
    assert res.seed == tiny_scenario.seed


def test_deadline_miss_zero_when_far_and_grows_with_delays(tiny_scenario):
    """P(miss) is 0 with a far deadline and rises as incident delays grow."""
    far = synthetic_trip(deadline="2024-01-01T00:00:00Z")
    assert _sim(tiny_scenario, far, num_runs=2000).p_miss_deadline == 0.0
    near = synthetic_trip(deadline="2023-11-01T18:00:00Z")
    p = [
        _sim(
            tiny_scenario,
            near,
            num_runs=2000,
            params=SimulationParams(ied_delay_h=h, ambush_delay_h=h),
        ).p_miss_deadline
        for h in (0.1, 2.0, 20.0)
    ]
    assert p[0] < p[1] < p[2]
    assert p[2] > 0.8


def test_towing_recovery_vehicle_is_not_free(tiny_scenario):
    """A recovery vehicle already towing does not count as free."""
    rec = next(v.id for v in tiny_scenario.vehicles if v.can_tow)
    loads = [
        PlannedVehicle(
            pv.vehicle_id, pv.status, "TRK-2" if pv.vehicle_id == rec else None
        )
        for pv in synthetic_loads(tiny_scenario)
    ]
    # no roadside repairs: every breakdown needs a tow, and none is free
    res = _sim(
        tiny_scenario, loads=loads, num_runs=200, params=SimulationParams(repair_p=0.0)
    )
    assert res.num_recovery == 0
    assert np.all(res.lost_breakdown >= res.breakdowns)


@pytest.mark.parametrize(
    "make",
    [
        lambda sc: _sim(sc, num_runs=0),
        lambda sc: _sim(
            sc,
            synthetic_trip().__class__(
                plan="optimised",
                leg_ied=(0.8, -1.0, 1.5),
                leg_ambush=(0.1, 0.4, 0.0),
                halt_ambush=(0.3, 0.25),
                leg_km=(100.0, 150.0, 50.0),
                planned_arrive=datetime(2023, 11, 1, 12, tzinfo=UTC),
                deadline=datetime(2023, 11, 3, 18, tzinfo=UTC),
            ),
        ),
        lambda sc: _sim(
            sc,
            loads=[PlannedVehicle("NOPE", "moving"), *synthetic_loads(sc)],
        ),
        lambda sc: simulate_column(
            synthetic_trip(),
            [ColumnVehicle("V1", reliability=0.0)],
            seed=1,
            params=SimulationParams(),
        ),
    ],
)
def test_bad_simulation_inputs_are_refused(tiny_scenario, make):
    """Impossible input raises a ScenarioError, not a crash."""
    with pytest.raises(ScenarioError):
        make(tiny_scenario)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["plans"]["optimised"]["legs"][1].update(expected_ied=-1.0),
        lambda d: d["plans"]["optimised"]["halts"][0].pop("expected_ambush"),
        lambda d: d["loads"][0].update(vehicle=7),
        lambda d: d["scenario"].update(deadline="soon"),
        lambda d: d["plans"]["optimised"]["summary"].pop("arrive"),
    ],
)
def test_bad_plan_documents_are_refused(tiny_doc, edit):
    """A corrupt plan.json is refused with a ScenarioError, not a crash."""
    doc = copy.deepcopy(tiny_doc)
    if not doc["plans"]["optimised"]["halts"]:
        doc["plans"]["optimised"]["halts"] = copy.deepcopy(
            next(p["halts"] for p in doc["plans"].values() if p["halts"])
        )
    edit(doc)
    with pytest.raises(ScenarioError):
        PlanDocument.from_dict(doc).trip_exposure()


def test_unknown_plan_is_refused(tiny_doc):
    """A plan name that is not in plan.json is refused, listing the names."""
    with pytest.raises(ScenarioError, match="historical"):
        PlanDocument.from_dict(tiny_doc).trip_exposure("nonsense")


def test_params_are_checked():
    """A probability above 1 or a negative delay is refused."""
    with pytest.raises(ScenarioError, match="ied_destroy_p"):
        SimulationParams(ied_destroy_p=1.5)
    with pytest.raises(ScenarioError, match="breakdown_delay_h"):
        SimulationParams(breakdown_delay_h=-1.0)


def test_count_stats():
    """P(0), P(>=1), P(>=3) and the mean of a small sample."""
    s = count_stats(np.array([0, 1, 3, 4], dtype=np.int64))
    assert (s["p0"], s["p_ge1"], s["p_ge3"], s["mean"]) == (0.25, 0.75, 0.5, 2.0)


# ------------------------------------------------------------------ kernel reference


def reference_runs(num_ied, num_amb, offsets, inc_exp, inc_u, p, bd, halts, column):
    """
    Plain NumPy/Python twin of the kernel, on pre-drawn numbers.

    ``bd`` is (offsets, vehicle, km, time, repair_u, laager_u), ``halts`` (km,
    release), ``column`` (is_recovery, is_towing).
    """
    n = num_ied.size
    kind_ied = np.concatenate(
        [
            np.r_[np.ones(a, bool), np.zeros(b, bool)]
            for a, b in zip(num_ied, num_amb, strict=True)
        ]
        or [np.zeros(0, bool)]
    )
    run_of = np.repeat(np.arange(n), num_ied + num_amb)
    assert np.array_equal(np.diff(offsets), num_ied + num_amb)
    mean = np.where(kind_ied, p["ied_delay_h"], p["ambush_delay_h"])
    pd = np.where(kind_ied, p["ied_destroy_p"], p["ambush_destroy_p"])
    inc_delay = np.bincount(run_of, weights=mean * inc_exp, minlength=n)
    destroyed = np.bincount(run_of, weights=inc_u < pd, minlength=n).astype(np.int64)
    bd_off, vehicle, km, time_h, rep_u, lag_u = bd
    is_rec, is_tow = (c.astype(bool) for c in column)
    num_bd = np.zeros(n, dtype=np.int64)
    lost = np.zeros(n, dtype=np.int64)
    tows = np.zeros(n, dtype=np.int64)
    for r in range(n):
        lost_set: set[int] = set()
        towed_until: dict[int, float] = {}  # vehicle -> back in the column at
        busy: dict[int, tuple[float, int | None]] = {
            w: (math.inf, None) for w in np.flatnonzero(is_rec & is_tow)
        }  # recovery vehicle -> (free at, the column vehicle it tows)
        events = sorted(range(bd_off[r], bd_off[r + 1]), key=lambda e: km[e])
        for e in events:
            v, t = int(vehicle[e]), float(time_h[e])
            if v in lost_set or towed_until.get(v, -math.inf) > t:
                continue
            towed_until.pop(v, None)
            num_bd[r] += 1
            if rep_u[e] < p["repair_p"]:
                continue
            if is_rec[v] and busy.get(v, (-math.inf, None))[0] > t:
                lost[r] += 1  # its tow is dropped
                if busy[v][1] is not None:
                    lost_set.add(busy[v][1])
            if is_rec[v]:
                busy[v] = (math.inf, None)
            cands = [
                (busy.get(w, (-math.inf, None))[0], w)
                for w in np.flatnonzero(is_rec)
                if w != v and w not in lost_set
            ]
            cands = [c for c in cands if c[0] <= t + p["tow_wait_h"]]
            if not cands:
                lost_set.add(v)
                lost[r] += 1
                continue
            free_at, w = min(cands)
            tows[r] += 1
            towed_until.pop(int(w), None)
            pick = max(t, free_at)
            release = math.inf
            for hk, hr in zip(*halts, strict=True):
                if hk >= km[e] and hr >= pick:
                    if lag_u[e] < p["laager_repair_p"]:
                        release = float(hr)
                    break
            towed_until[v] = release
            if is_rec[v]:
                busy[v] = (release, None)
            busy[int(w)] = (release, v)
    return inc_delay + num_bd * p["breakdown_delay_h"], destroyed, num_bd, lost, tows


def _kernel_inputs(seed, n=300, nv=9):
    rng = np.random.default_rng(seed)
    num_ied = rng.poisson(1.5, n).astype(np.int64)
    num_amb = rng.poisson(0.7, n).astype(np.int64)
    offsets = np.r_[0, np.cumsum(num_ied + num_amb)].astype(np.int64)
    t = int(offsets[-1])
    inc = (rng.standard_exponential(t), rng.random(t))
    counts = rng.poisson(rng.uniform(0.0, 2.5, nv), size=(n, nv))
    counts[:, 2] = 0  # a vehicle that never breaks down
    bd_off = np.r_[0, np.cumsum(counts.sum(axis=1))].astype(np.int64)
    vehicle = np.repeat(np.tile(np.arange(nv, dtype=np.int64), n), counts.ravel())
    nb = int(bd_off[-1])
    km = rng.random(nb) * 250.0
    time_h = km / 10.0 + np.floor(km / 80.0) * 12.0  # halts at km 80 and 160
    bd = (bd_off, vehicle, km, time_h, rng.random(nb), rng.random(nb))
    halts = (np.array([80.0, 160.0]), np.array([12.0, 28.0]))
    column = (
        np.array([1, 0, 1, 0, 0, 1, 0, 0, 0], dtype=np.int64),
        np.array([0, 0, 1, 0, 0, 0, 0, 0, 0], dtype=np.int64),
    )
    return num_ied, num_amb, offsets, inc, bd, halts, column


REF_P = {
    "ied_delay_h": 2.0,
    "ambush_delay_h": 1.0,
    "ied_destroy_p": 0.3,
    "ambush_destroy_p": 0.1,
    "breakdown_delay_h": 0.5,
    "repair_p": 0.4,
    "laager_repair_p": 0.7,
    "tow_wait_h": 3.0,
}


def replay_breakdowns(bd, halts, column, p):
    """
    The kernel's recovery steps (_reset, _ignored, _breakdown) on pre-drawn events.

    Every candidate, roadside repairs included, in route order; a repaired one
    leaves the state as it is (the kernel draws those apart, as a count).
    """
    bd_off, vehicle, km, time_h, rep_u, lag_u = bd
    is_rec, is_tow = column
    recovery = np.flatnonzero(is_rec == 1)
    busy = np.flatnonzero((is_rec == 1) & (is_tow == 1))
    nv = is_rec.size
    status = np.empty(nv, np.int64)
    free_h = np.empty(nv)
    towing = np.empty(nv, np.int64)
    n = bd_off.size - 1
    out = [np.zeros(n, np.int64) for _ in range(3)]
    for r in range(n):
        _reset(status, free_h, towing, busy)
        a = bd_off[r]
        for e in a + np.argsort(km[a : bd_off[r + 1]], kind="stable"):
            v, t = int(vehicle[e]), float(time_h[e])
            if _ignored(v, t, status, free_h):
                continue
            out[0][r] += 1
            if rep_u[e] < p["repair_p"]:
                continue
            lost, rescuer, _, _ = _breakdown(
                v,
                t,
                float(km[e]),
                float(lag_u[e]),
                status,
                free_h,
                towing,
                is_rec,
                recovery,
                p["tow_wait_h"],
                *halts,
                p["laager_repair_p"],
            )
            out[1][r] += lost
            out[2][r] += rescuer >= 0
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_kernel_matches_reference(seed):
    """Same pre-drawn events: the kernel's recovery steps and the twin agree."""
    num_ied, num_amb, offsets, inc, bd, halts, column = _kernel_inputs(seed)
    got = replay_breakdowns(bd, halts, column, REF_P)
    ref = reference_runs(num_ied, num_amb, offsets, *inc, REF_P, bd, halts, column)
    for g, want in zip(got, ref[2:], strict=True):
        assert np.array_equal(g, want)
    assert got[0].max() >= 4  # the recovery pool runs out in some runs
    assert (got[1] > 0).any() and (got[1] < got[0]).any()
    assert (got[2] >= 2).any()  # a recovery vehicle freed at a halt tows again


def _old_breakdown_draws(rng, n, line, hazard, distance_km):
    """Candidate breakdowns drawn as the vectorised code did: per vehicle, then km."""
    nv = hazard.size
    counts = rng.poisson(hazard * distance_km, size=(n, nv))
    bd_off = np.r_[0, np.cumsum(counts.sum(axis=1))].astype(np.int64)
    vehicle = np.repeat(np.tile(np.arange(nv, dtype=np.int64), n), counts.ravel())
    nb = int(bd_off[-1])
    km = rng.random(nb) * distance_km
    return bd_off, vehicle, km, line.time_at_km(km), rng.random(nb), rng.random(nb)


def _agree(a, b, k=5.0):
    """Two samples' means within k standard errors of their difference."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) <= k * max(se, 1e-12)


def test_breakdowns_and_recovery_agree_with_the_event_by_event_draws():
    """
    The kernel (tows in route order, roadside repairs as one count) against every
    candidate drawn per vehicle and replayed one by one: same means and spread.
    """
    from convoy.simulate.montecarlo import _column_arrays, _repair_halts, _timeline

    trip = timed_trip(ied=(0.0, 0.0, 0.0), ambush=(0.0, 0.0, 0.0), halt=(0.0,))
    column = [ColumnVehicle(f"V{i}", 0.3 + 0.05 * i) for i in range(7)]
    column += [ColumnVehicle("R1", 0.8, can_tow=True), ColumnVehicle("R2", 0.9, True)]
    params = SimulationParams(
        repair_p=0.4, laager_repair_p=0.7, tow_wait_h=1.0, fixed_rates=True
    )
    n = 6000
    res = _column_sim(trip, params, n, seed=21, column=column)
    line = _timeline(trip)
    cols = _column_arrays(column)
    bd = _old_breakdown_draws(
        np.random.default_rng(22), n, line, cols.hazard_per_km, 120.0
    )
    p = dict(REF_P, repair_p=0.4, laager_repair_p=0.7, tow_wait_h=1.0)
    old = replay_breakdowns(
        bd, _repair_halts(line, params), (cols.is_recovery, cols.is_towing), p
    )
    new = (res.breakdowns, res.lost_breakdown, res.tows)
    for name, a, b in zip(("breakdowns", "lost", "tows"), new, old, strict=True):
        assert _agree(a.astype(float), b.astype(float)), name
        assert a.var() == pytest.approx(b.var(), rel=0.12), name
    assert old[2].max() >= 2 and res.tows.max() >= 2  # freed at the laager
    # no tow ever needed: the breakdowns are Poisson, the planner's expectation
    every = _column_sim(trip, replace(params, repair_p=1.0), n, seed=23, column=column)
    mu = every.expected_breakdowns
    assert _within_mc_error(every.breakdowns.mean(), mu, n)
    assert every.breakdowns.var() == pytest.approx(mu, rel=0.08)
    assert not every.tows.any() and not every.lost_breakdown.any()


def _old_counts(rng, m, rates, gain, line, params):
    """Incidents of a channel as the vectorised code drew them (per piece)."""
    from convoy.simulate.montecarlo import _window_mass

    if gain is None:
        cand = rng.poisson(rates, size=(m, rates.size))
    else:
        cand = rng.poisson(gain[:, None] * rates[None, :])
    if params.near_repeat_boost <= 1.0:
        return cand.sum(axis=1)
    run, piece = np.nonzero(cand)
    reps = cand[run, piece]
    run, piece = np.repeat(run, reps), np.repeat(piece, reps)
    u = rng.random(run.size)
    keep_u = rng.random(run.size)
    t = line.t0[piece] + u * (line.t1[piece] - line.t0[piece])
    x = line.km0[piece] + u * (line.km1[piece] - line.km0[piece])
    g = np.ones(run.size) if gain is None else gain[run]
    w = (params.near_repeat_boost - 1.0) * g * _window_mass(line, rates, t, x, params)
    w = np.where(line.placed[piece], w, 0.0)
    keep = keep_u * (1.0 + w) < 1.0
    extra = rng.poisson(np.where(keep, w, 0.0))
    return np.bincount(run, weights=keep + extra, minlength=m).astype(np.int64)


def test_incidents_agree_with_the_per_piece_draws():
    """
    Near repeats and Gamma scales: the kernel (exponential spacings along the
    trip) against Poisson counts per piece as the vectorised code drew them.
    """
    from convoy.simulate.montecarlo import _timeline

    trip = timed_trip(ied=(0.6, 0.2, 0.4), ambush=(0.3, 0.1, 0.2), halt=(0.5,))
    params = SimulationParams(near_repeat_boost=4.0, near_repeat_km=10.0)
    n = 20_000
    res = _column_sim(trip, params, n, seed=31, rate_shape=(3.0, 5.0))
    line = _timeline(trip)
    rng = np.random.default_rng(32)
    g_ied, g_amb = rng.gamma(3.0, 1 / 3.0, n), rng.gamma(5.0, 1 / 5.0, n)
    old_ied = _old_counts(rng, n, line.ied, g_ied, line, params)
    old_amb = _old_counts(rng, n, line.amb, g_amb, line, params)
    for a, b in ((res.num_ied, old_ied), (res.num_ambush, old_amb)):
        assert _agree(a.astype(float), b.astype(float))
        assert a.var() == pytest.approx(b.var(), rel=0.08)
        pa, pb = np.mean(a >= 2), np.mean(b >= 2)
        assert abs(pa - pb) < 5 * math.sqrt(2 * pb * (1 - pb) / n)


def test_delay_and_losses_to_incidents_match_their_expectation():
    """Fixed rates, no breakdowns: delay and vehicles destroyed, mean and variance."""
    params = SimulationParams(fixed_rates=True, near_repeat_boost=1.0)
    n = 20_000
    res = _column_sim(timed_trip(), params, n, seed=41)
    # compound Poisson: IEDs 3.0 (2 h, p 0.3), ambushes 0.9 (1 h, p 0.1); an
    # exponential delay of mean h has second moment 2 h^2
    mean = 3.0 * 2.0 + 0.9 * 1.0
    var = 3.0 * 2 * 2.0**2 + 0.9 * 2 * 1.0**2
    assert abs(res.delay_h.mean() - mean) < 4 * math.sqrt(var / n)
    assert res.delay_h.var() == pytest.approx(var, rel=0.1)
    lam = 3.0 * 0.3 + 0.9 * 0.1
    assert _within_mc_error(res.destroyed.mean(), lam, n)
    assert res.destroyed.var() == pytest.approx(lam, rel=0.06)
    assert not res.breakdowns.any()


def test_runs_in_chunks(tiny_scenario, monkeypatch):
    """Chunked draws: the first chunk is the short run, and the means still hold."""
    import convoy.simulate.montecarlo as sim

    monkeypatch.setattr(sim, "RUN_CHUNK", 64)
    short = _sim(tiny_scenario, num_runs=64)
    long = _sim(tiny_scenario, num_runs=3000)
    assert np.array_equal(long.delay_h[:64], short.delay_h)
    assert np.array_equal(long.breakdowns[:64], short.breakdowns)
    assert not np.array_equal(long.delay_h[64:128], short.delay_h)
    assert _within_mc_error(long.incidents.mean(), 3.4, 3000)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_same_runs_whatever_the_threads(tiny_scenario, monkeypatch, threads):
    """Chunks in parallel threads: every run is the same as with one thread."""
    import convoy.simulate.montecarlo as sim

    monkeypatch.setattr(sim, "RUN_CHUNK", 64)
    monkeypatch.setattr(sim, "get_num_threads", lambda: 1)
    one = _sim(tiny_scenario, num_runs=1000)
    monkeypatch.setattr(sim, "get_num_threads", lambda: threads)
    seen = []
    many = _sim(tiny_scenario, num_runs=1000, progress=lambda d, n: seen.append(d))
    assert seen == [0, *range(64, 1000, 64), 1000]  # in order, once a chunk
    for name in ("num_ied", "num_ambush", "delay_h", "breakdowns", "tows"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name
    assert np.array_equal(one.lost_breakdown, many.lost_breakdown)
    assert np.array_equal(one.destroyed, many.destroyed)


def test_simulation_table_in_scenario_toml(tmp_path):
    """[simulation] in scenario.toml sets the assumptions; bad values are named."""
    import shutil

    from convoy.io.scenario import read_scenario

    tiny = Path(__file__).parent / "data" / "tiny"
    folder = tmp_path / "tiny"
    shutil.copytree(tiny, folder)
    toml = folder / "scenario.toml"
    base = toml.read_text()
    toml.write_text(base + "\n[simulation]\nrepair_p = 0.25\nied_delay_h = 3.0\n")
    sc = read_scenario(folder)
    assert sc.simulation == SimulationParams(repair_p=0.25, ied_delay_h=3.0)
    toml.write_text(base + "\n[simulation]\nrepair_p = 1.5\n")
    with pytest.raises(ScenarioError, match="repair_p"):
        read_scenario(folder)


# ------------------------------------------------------ uncertainty and near repeats


def timed_trip(ied=(1.5, 0.5, 1.0), ambush=(0.2, 0.2, 0.2), halt=(0.3,)):
    """Three 40 km legs driven at 10 km/h; a 12 h halt after the second."""
    return TripExposure(
        plan="optimised",
        leg_ied=ied,
        leg_ambush=ambush,
        halt_ambush=halt,
        leg_km=(40.0, 40.0, 40.0),
        planned_arrive=datetime(2023, 11, 1, 12, tzinfo=UTC),
        deadline=datetime(2023, 11, 3, 18, tzinfo=UTC),
        leg_hours=((0.0, 4.0), (4.0, 8.0), (20.0, 24.0)),
        halt_hours=((8.0, 20.0),),
    )


def _column_sim(trip, params, n=20_000, seed=5, column=None, **kw):
    return simulate_column(
        trip,
        column or [ColumnVehicle("V1", 1.0)],
        num_runs=n,
        seed=seed,
        params=params,
        **kw,
    )


def test_fixed_rates_give_poisson_counts():
    """Uncertainty off: mean = planned, variance = mean (index of dispersion test)."""
    from scipy import stats

    off = SimulationParams(fixed_rates=True, near_repeat_boost=1.0)
    n = 20_000
    res = _column_sim(timed_trip(), off, n)
    for counts, mu in ((res.num_ied, 3.0), (res.num_ambush, 0.9)):
        assert _within_mc_error(counts.mean(), mu, n)
        d = (n - 1) * counts.var(ddof=1) / counts.mean()
        assert stats.chi2.cdf(d, n - 1) > 0.0005
        assert stats.chi2.sf(d, n - 1) > 0.0005
    assert res.uncertainty()["rate_shape_ied"] is None


def test_gamma_scales_overdisperse_with_the_right_variance():
    """Shape k: negative binomial counts, variance mean + mean^2 / k; mean kept."""
    n = 40_000
    params = SimulationParams(near_repeat_boost=1.0)
    res = _column_sim(timed_trip(), params, n, rate_shape=(2.0, None))
    assert res.rate_shape == (2.0, None)
    mu = 3.0
    assert abs(res.num_ied.mean() - mu) < 4 * math.sqrt((mu + mu * mu / 2) / n)
    assert res.num_ied.var() == pytest.approx(mu + mu * mu / 2.0, rel=0.06)
    assert res.num_ambush.var() == pytest.approx(0.9, rel=0.05)  # still Poisson
    # [simulation] wins over the calibration's shape; fixed_rates turns both off
    own = SimulationParams(near_repeat_boost=1.0, rate_shape_ied=50.0)
    assert own.rate_shapes((2.0, 3.0)) == (50.0, 3.0)
    assert SimulationParams(fixed_rates=True).rate_shapes((2.0, 3.0)) == (None, None)


def test_near_repeats_pair_incidents_and_keep_the_mean():
    """A strong near-repeat boost raises variance and pairs; the mean stays."""
    n = 40_000
    off = SimulationParams(fixed_rates=True, near_repeat_boost=1.0)
    on = SimulationParams(
        fixed_rates=True, near_repeat_boost=4.0, near_repeat_km=10.0, near_repeat_h=48.0
    )
    trip = timed_trip(ied=(0.3, 0.1, 0.2))
    a = _column_sim(trip, off, n)
    b = _column_sim(trip, on, n)
    for res in (a, b):  # the boost keeps the mean (a generous 2 x MC error)
        assert _within_mc_error(res.num_ied.mean(), 0.6, n // 4)
    var_a, var_b = a.num_ied.var(ddof=1), b.num_ied.var(ddof=1)
    se = math.sqrt(2.0 / (n - 1)) * var_a  # standard error of a sample variance
    assert var_b > var_a + 6 * se
    # given one IED, another is likelier: incidents come in pairs

    def pair(x):
        return np.mean(x >= 2) / np.mean(x >= 1)

    hit = np.mean(a.num_ied >= 1) * n
    se_pair = math.sqrt(pair(a.num_ied) * (1 - pair(a.num_ied)) / hit)
    assert pair(b.num_ied) > pair(a.num_ied) + 6 * se_pair
    assert np.mean(b.num_ied == 0) > np.mean(a.num_ied == 0)  # fewer, bigger clusters
    doc = b.to_document()
    assert doc["uncertainty"]["near_repeat_boost"] == 4.0
    assert doc["uncertainty"]["incidents_variance"] == pytest.approx(
        b.incidents.var(ddof=1)
    )


def test_near_repeat_reaches_a_halt_inside_the_window_only():
    """An ambush at the end of a leg boosts the halt after it, not a halt far away."""
    from convoy.simulate.montecarlo import _timeline, _window_mass

    trip = timed_trip()
    line = _timeline(trip)
    params = SimulationParams(near_repeat_km=1.0, near_repeat_h=48.0)
    x = np.array([79.5, 10.0])
    t = line.time_at_km(x)
    assert t == pytest.approx([7.95, 1.0])
    w = _window_mass(line, line.amb, t, x, params)
    # the last 0.5 km of leg 2 (0.2 per 40 km), the whole halt (0.3) and the first
    # 0.5 km of leg 3; then 1 km of leg 1
    assert w == pytest.approx([0.2 * 1.0 / 40 + 0.3, 0.2 / 40])
    short = SimulationParams(near_repeat_km=1.0, near_repeat_h=6.0)
    w = _window_mass(line, line.amb, t[:1], x[:1], short)
    # to 13.95 h: 0.5 km of leg 2 and 5.95 h of the 12 h halt
    assert w == pytest.approx([0.2 * 0.5 / 40 + 0.3 * 5.95 / 12.0])


def test_tows_are_freed_at_a_laager():
    """A recovery vehicle freed at a long halt tows again: fewer losses than without."""
    column = [ColumnVehicle(f"V{i}", 0.5) for i in range(8)]
    column.append(ColumnVehicle("REC", 1.0, can_tow=True))
    params = SimulationParams(repair_p=0.0, laager_repair_p=1.0, tow_wait_h=0.0)
    trip = timed_trip()
    untimed = TripExposure(
        **{
            f: getattr(trip, f)
            for f in ("plan", "leg_ied", "leg_ambush", "halt_ambush", "leg_km")
        },
        planned_arrive=trip.planned_arrive,
        deadline=trip.deadline,
    )
    freed = _column_sim(trip, params, 5000, column=column)
    held = _column_sim(untimed, params, 5000, column=column)
    assert held.tows.max() == 1  # one recovery vehicle, busy to the destination
    assert freed.tows.max() >= 2
    assert freed.lost_breakdown.mean() < held.lost_breakdown.mean()
    # every breakdown needs a tow: each is towed or lost
    assert np.all(freed.tows + freed.lost_breakdown >= freed.breakdowns)
    # breakdowns add up: the planner's expectation less the km spent in tow
    assert freed.breakdowns.mean() <= freed.expected_breakdowns
    long_wait = _column_sim(trip, replace(params, tow_wait_h=48.0), 5000, column=column)
    assert long_wait.lost_breakdown.mean() < freed.lost_breakdown.mean()


def test_recovery_note_compares_with_free_recovery(tiny_scenario):
    """Tows from the camp: the note gives the losses with and without them."""
    from convoy.plan.montecarlo import recovery_note

    rec = next(v.id for v in tiny_scenario.vehicles if v.can_tow)
    loads = [
        PlannedVehicle(
            pv.vehicle_id, pv.status, "TRK-2" if pv.vehicle_id == rec else None
        )
        for pv in synthetic_loads(tiny_scenario)
    ]
    params = SimulationParams(repair_p=0.0)
    res = _sim(tiny_scenario, loads=loads, num_runs=500, params=params)
    note = recovery_note(tiny_scenario, synthetic_trip(), loads, res)
    assert note.startswith("recovery: 1 of 1 recovery vehicles tow")
    free = _sim(tiny_scenario, num_runs=500, params=params)
    assert f"{free.lost_breakdown.mean():.1f} if they were free" in note
    assert free.lost_breakdown.mean() < res.lost_breakdown.mean()
    assert (
        recovery_note(
            tiny_scenario, synthetic_trip(), synthetic_loads(tiny_scenario), free
        )
        == ""
    )


@pytest.mark.parametrize(
    "times",
    [
        {"leg_hours": ((0.0, 4.0), (4.0, 8.0), (20.0, 24.0))},  # halts untimed
        {"halt_hours": ((8.0, 20.0),)},  # legs untimed
        {"leg_hours": ((0.0, 4.0), (4.0, 8.0)), "halt_hours": ((8.0, 20.0),)},
        {
            "leg_hours": ((0.0, 4.0), (4.0, 8.0), (20.0, 24.0)),
            "halt_hours": ((20.0, 8.0),),
        },
        {
            "leg_hours": ((0.0, 4.0), (4.0, math.nan), (20.0, 24.0)),
            "halt_hours": ((8.0, 20.0),),
        },
    ],
)
def test_bad_trip_times_are_refused(times):
    """Times for some pieces only, reversed or not finite: a ScenarioError."""
    base = timed_trip()
    fields = ("plan", "leg_ied", "leg_ambush", "halt_ambush", "leg_km")
    with pytest.raises(ScenarioError):
        TripExposure(
            **{f: getattr(base, f) for f in fields},
            planned_arrive=base.planned_arrive,
            deadline=base.deadline,
            **times,
        )


def test_an_assumed_ambush_level_shares_the_ied_draw():
    """ambush_follows_ied: one multiplier a run for both channels (correlated)."""
    params = SimulationParams(near_repeat_boost=1.0)
    n = 20_000
    apart = _column_sim(timed_trip(), params, n, rate_shape=(2.0, 2.0))
    tied = _column_sim(
        timed_trip(), params, n, rate_shape=(2.0, 2.0), ambush_follows_ied=True
    )
    assert tied.ambush_follows_ied and not apart.ambush_follows_ied

    def corr(r):
        return float(np.corrcoef(r.num_ied, r.num_ambush)[0, 1])

    # independent multipliers: no correlation; a shared one: clearly positive
    assert abs(corr(apart)) < 0.05
    assert corr(tied) > 0.1
    # the means stay the planner's
    for r in (apart, tied):
        assert abs(r.num_ambush.mean() - r.expected_ambush) < 5 * (
            r.num_ambush.std() / np.sqrt(n)
        )

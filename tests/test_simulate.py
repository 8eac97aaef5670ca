"""Monte Carlo of a plan: mean incidents against the planner's, determinism, kernel."""

from __future__ import annotations

import copy
import json
import math
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
from convoy.simulate._kernels import _simulate_runs

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


def test_tiny_plan_mean_incidents_match_planner(tiny_doc, tiny_scenario):
    """Each plan of the tiny scenario: simulated mean = expected incidents (4 sigma)."""
    doc = PlanDocument.from_dict(tiny_doc)
    for name, trip in tiny_doc["plans"].items():
        res = simulate_plan(
            tiny_scenario,
            doc.trip_exposure(name),
            doc.planned_vehicles(),
            num_runs=NUM_RUNS,
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
    p_bd = sum(1 - v.reliability**3.0 for v in tiny_scenario.vehicles)
    sd = math.sqrt(
        sum((1 - v.reliability**3) * v.reliability**3 for v in tiny_scenario.vehicles)
    )
    assert abs(res.breakdowns.mean() - p_bd) < 4 * sd / math.sqrt(n)
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


def reference_runs(
    num_ied,
    num_amb,
    offsets,
    inc_exp,
    inc_u,
    p,
    bd_u,
    rep_u,
    log_rel,
    is_rec,
    is_tow,
    distance_km,
):
    """Plain NumPy/Python twin of _simulate_runs."""
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
    p_break = 1.0 - np.exp(log_rel * distance_km / 100.0)
    breaks = bd_u < p_break[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        where_km = 100.0 * np.log(1.0 - bd_u) / log_rel[None, :]
    lost = np.zeros(n, dtype=np.int64)
    for r in range(n):
        towing = is_tow.astype(bool).copy()
        broken = np.zeros(log_rel.size, bool)
        for v in sorted(np.flatnonzero(breaks[r]), key=lambda v: where_km[r, v]):
            if rep_u[r, v] < p["repair_p"]:
                continue
            broken[v] = True
            if towing[v]:
                towing[v] = False
                lost[r] += 1
            free = np.flatnonzero(is_rec.astype(bool) & ~broken & ~towing)
            if free.size:
                towing[free[0]] = True
            else:
                lost[r] += 1
    num_bd = breaks.sum(axis=1)
    return inc_delay + num_bd * p["breakdown_delay_h"], destroyed, num_bd, lost


def test_kernel_matches_reference():
    """Same pre-drawn numbers: the kernel and its NumPy twin agree run by run."""
    rng = np.random.default_rng(3)
    n, nv = 300, 9
    num_ied = rng.poisson(1.5, n).astype(np.int64)
    num_amb = rng.poisson(0.7, n).astype(np.int64)
    offsets = np.r_[0, np.cumsum(num_ied + num_amb)].astype(np.int64)
    t = int(offsets[-1])
    inc_exp = rng.standard_exponential(t)
    inc_u = rng.random(t)
    bd_u = rng.random((n, nv))
    rep_u = rng.random((n, nv))
    rel = rng.uniform(0.5, 1.0, nv)
    rel[2] = 1.0  # a vehicle that never breaks down
    log_rel = np.log(rel)
    is_rec = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0], dtype=np.int64)
    is_tow = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0], dtype=np.int64)
    p = {
        "ied_delay_h": 2.0,
        "ambush_delay_h": 1.0,
        "ied_destroy_p": 0.3,
        "ambush_destroy_p": 0.1,
        "breakdown_delay_h": 0.5,
        "repair_p": 0.4,
    }
    out = (
        np.empty(n),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
    )
    _simulate_runs(
        num_ied,
        num_amb,
        offsets,
        inc_exp,
        inc_u,
        p["ied_delay_h"],
        p["ambush_delay_h"],
        p["ied_destroy_p"],
        p["ambush_destroy_p"],
        bd_u,
        rep_u,
        p["repair_p"],
        log_rel,
        is_rec,
        is_tow,
        250.0,
        p["breakdown_delay_h"],
        *out,
    )
    ref = reference_runs(
        num_ied,
        num_amb,
        offsets,
        inc_exp,
        inc_u,
        p,
        bd_u,
        rep_u,
        log_rel,
        is_rec,
        is_tow,
        250.0,
    )
    np.testing.assert_allclose(out[0], ref[0], rtol=1e-12, atol=1e-12)
    for got, want in zip(out[1:], ref[1:], strict=True):
        assert np.array_equal(got, want)
    assert out[2].max() >= 4  # the recovery pool runs out in some runs
    assert (out[3] > 0).any() and (out[3] < out[2]).any()


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

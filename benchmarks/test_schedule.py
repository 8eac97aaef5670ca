"""Benchmark of plan_schedule on a synthetic network of the embedded scenario's size.

About 120 nodes and 180 edges over a 350 km square, origin in the north-west and
destination in the south-east, a halt site at about one node in three, risk on
every edge, 10-minute steps, a 10-day horizon, the default movement windows
(05:30-18:30) and 10 h driving a day. Timings are warm: a warm-up round absorbs
the JIT compilation. With ``CONVOY_BENCH_SMOKE=1`` a tiny network and a four-day
horizon are used. The embedded Kidal-Gao scenario is planned too when it is there
(not in smoke mode).

Run: ``pytest benchmarks/test_schedule.py --benchmark-only``
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from convoy.params import DEFAULT_DIURNAL_AMBUSH, DEFAULT_DIURNAL_IED, MovementParams
from convoy.schedule import ExposureModel, plan_schedule

SMOKE = os.environ.get("CONVOY_BENCH_SMOKE") == "1"
KIDAL_GAO = Path(__file__).resolve().parents[1] / "geodata" / "kidal-gao"


def synthetic_network(seed: int, num_nodes: int, num_edges: int) -> ExposureModel:
    """A spanning tree of nearest neighbours plus the shortest extra links."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 350_000, (num_nodes, 2))
    xy[0] = (50_000, 330_000)
    xy[num_nodes - 1] = (300_000, 20_000)
    u, v = [], []
    for i in range(1, num_nodes):
        d = np.hypot(*(xy[:i] - xy[i]).T)
        u.append(int(np.argmin(d)))
        v.append(i)
    have = {(min(a, b), max(a, b)) for a, b in zip(u, v, strict=True)}
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    iu, ju = np.triu_indices(num_nodes, 1)
    for k in np.argsort(dist[iu, ju], kind="stable"):
        if len(u) >= num_edges:
            break
        a, b = int(iu[k]), int(ju[k])
        if (a, b) not in have:
            u.append(a)
            v.append(b)
            have.add((a, b))
    ua, va = np.array(u, dtype=np.int64), np.array(v, dtype=np.int64)
    length = dist[ua, va] * rng.uniform(1.05, 1.3, len(u))
    e = len(u)
    can_halt = rng.random(num_nodes) < 0.35
    can_halt[0] = can_halt[-1] = True
    return ExposureModel(
        edge_u=ua,
        edge_v=va,
        edge_length_m=length,
        edge_speed_kph=rng.choice([20.0, 30.0, 40.0, 50.0], e),
        edge_ied=rng.gamma(0.5, 0.02, e) * length / 1000.0,
        edge_ambush=rng.gamma(0.5, 0.002, e) * length / 1000.0,
        node_ambush=rng.gamma(0.5, 0.002, num_nodes),
        node_can_halt=can_halt,
        column_day_km=15.0,
        column_night_km=8.0,
        start_minute_of_day=360.0,
        diurnal_ied=np.array(DEFAULT_DIURNAL_IED),
        diurnal_ambush=np.array(DEFAULT_DIURNAL_AMBUSH),
    )


SIZES = (
    [(8, 12, 4.0)] if SMOKE else [(60, 100, 10.0), (120, 180, 10.0), (150, 200, 10.0)]
)


@pytest.mark.parametrize(("num_nodes", "num_edges", "days"), SIZES)
def test_plan_schedule(benchmark, num_nodes, num_edges, days):
    """Warm time of one full search (every departure step priced) on 10-minute steps."""
    model = synthetic_network(20231031, num_nodes, num_edges)
    movement = MovementParams(step_min=10)
    sched = benchmark.pedantic(
        plan_schedule,
        args=(model, 0, num_nodes - 1),
        kwargs={"horizon_min": days * 1440.0, "movement": movement},
        warmup_rounds=1,
        rounds=3 if SMOKE else 10,
    )
    assert sched.node_path[-1] == num_nodes - 1
    assert np.isfinite(sched.cost_by_departure).sum() > 0
    benchmark.extra_info["expected_incidents"] = sched.expected_incidents
    benchmark.extra_info["legs"] = len(sched.legs)
    benchmark.extra_info["arrive_h"] = sched.arrive_min / 60.0


@pytest.mark.skipif(SMOKE or not KIDAL_GAO.exists(), reason="full run, embedded data")
def test_plan_kidal_gao(benchmark):
    """Warm time of the embedded Kidal-Gao scenario's schedule (risk built once)."""
    from convoy.io.scenario import read_scenario
    from convoy.plan import plan_scenario_schedule, scenario_risk_field
    from convoy.risk.edges import edge_risk

    scn = read_scenario(KIDAL_GAO)
    risk = edge_risk(scenario_risk_field(scn), scn.roads)
    sched = benchmark.pedantic(
        plan_scenario_schedule, args=(scn, risk), warmup_rounds=1, rounds=10
    )
    benchmark.extra_info["nodes"] = scn.roads.num_nodes
    benchmark.extra_info["edges"] = len(scn.roads.edge_u)
    benchmark.extra_info["expected_incidents"] = sched.expected_incidents
    benchmark.extra_info["arrive_h"] = sched.arrive_min / 60.0

"""Benchmark of the fleet routing of a sector (OR-Tools RoutingModel).

Synthetic sectors of 5 and 10 camps (300-1,000 vehicles, 2,000-5,000 lots, lots
aggregated into cargo groups as the planner does) and the embedded northern
sector. Records the time, the routing status, its cost and the gap to the lower
bound of :func:`convoy.sector.bound.lower_bound` (the legs every camp vehicle
drives, plus per camp the value a linear relaxation of its capacity cannot
carry): ``gap = (cost - bound) / cost``, an upper bound on the true gap. The
synthetic sectors have more cargo groups than ``[solver] routing_decompose_groups``
(600), so they are routed camp by camp. With
``CONVOY_BENCH_SMOKE=1`` the sectors are small (3 camps, 40 vehicles, 200 lots).

Run: ``pytest benchmarks/test_sector.py --benchmark-only -s``
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from convoy.params import SolverParams
from convoy.scenario import Lot, Vehicle
from convoy.sector import (
    Carrier,
    RoutingProblem,
    SectorCamp,
    group_cargo,
    route_fleet,
)
from convoy.sector.bound import lower_bound
from convoy.sector.routing import DESTINATION

SMOKE = os.environ.get("CONVOY_BENCH_SMOKE") == "1"
GEODATA = Path(__file__).resolve().parents[1] / "geodata" / "north-sector"
#: (camps, vehicles, lots) of the synthetic sectors.
SIZES = [(3, 40, 200)] if SMOKE else [(5, 300, 2_000), (10, 1_000, 5_000)]
LIMIT_S = 5.0 if SMOKE else 60.0
TYPES = [  # (payload_kg, deck_m2, seats)
    (500.0, 0.0, 10),
    (9_000.0, 14.0, 2),
    (20_000.0, 30.0, 2),
    (1_000.0, 2.0, 20),
]


def synthetic_sector(n_camps: int, n_vehicles: int, n_lots: int) -> RoutingProblem:
    """A random sector: camps 1-6 days away, closing over two weeks."""
    rng = np.random.default_rng(n_camps)
    names = [f"Camp {i:02d}" for i in range(n_camps)]
    camps = []
    for name in names:
        leg = int(rng.integers(1, 6)) * 1440
        opens = int(rng.integers(0, 4)) * 1440
        camps.append(
            SectorCamp(
                name,
                opens,
                opens + int(rng.integers(2, 10)) * 1440,
                leg,
                leg,
                int(rng.integers(50_000, 400_000)),
                int(rng.integers(50_000, 400_000)),
            )
        )
    vehicles = []
    for k in range(n_vehicles):
        kg, m2, seats = TYPES[int(rng.integers(len(TYPES)))]
        camp = DESTINATION if k % 5 == 0 else names[int(rng.integers(n_camps))]
        vehicles.append(
            Vehicle(
                f"V{k:04d}",
                "t",
                8.0,
                kg,
                m2,
                seats,
                (60.0, 45.0, 30.0, 20.0),
                0.95,
                True,
                False,
                camp or "Dest",
            )
        )
    cats = ["container", "generator", "ammunition", "stores", "spares"]
    lots = [
        Lot(
            f"L{j:05d}",
            cats[int(rng.integers(len(cats)))],
            float(rng.integers(200, 9_000)),
            float(rng.uniform(0.5, 14.0)),
            float(rng.integers(1_000, 300_000)),
            bool(rng.random() < 0.1),
            0.5,
            bool(rng.random() < 0.05),
            names[int(rng.integers(n_camps))],
        )
        for j in range(n_lots)
    ]
    cargo = group_cargo(
        [(n, int(rng.integers(0, 40))) for n in names],
        vehicles,
        lots,
        personnel_group=10,
    )
    carriers = tuple(
        Carrier(
            v.id,
            DESTINATION if v.camp == "Dest" else v.camp,
            v.payload_kg,
            v.deck_m2,
            v.seats,
        )
        for v in vehicles
    )
    return RoutingProblem(
        tuple(camps),
        carriers,
        tuple(cargo),
        40 * 1440,
        20_000,
        time_limit_s=LIMIT_S,
        decompose_groups=SolverParams().routing_decompose_groups,
    )


def _record(benchmark, problem: RoutingProblem) -> None:
    result = benchmark.pedantic(route_fleet, args=(problem,), rounds=1, iterations=1)
    bound = lower_bound(problem)
    gap = (result.cost_usd - bound) / max(result.cost_usd, 1)
    benchmark.extra_info.update(
        status=result.status,
        cost_usd=result.cost_usd,
        bound_usd=bound,
        gap=gap,
        vehicles=len(problem.carriers),
        cargo_groups=len(problem.cargo),
        dropped=len(result.dropped),
    )
    print(
        f"\n{len(problem.camps)} camps, {len(problem.carriers)} vehicles, "
        f"{len(problem.cargo)} groups: {result.status}, cost {result.cost_usd:,}, "
        f"bound {bound:,.0f}, gap {100 * gap:.1f} %"
    )
    assert bound <= result.cost_usd + 1e-6


@pytest.mark.parametrize(("camps", "vehicles", "lots"), SIZES)
def test_synthetic_sector(benchmark, camps: int, vehicles: int, lots: int) -> None:
    _record(benchmark, synthetic_sector(camps, vehicles, lots))


@pytest.mark.skipif(not GEODATA.is_dir(), reason="north-sector not present")
def test_north_sector(benchmark) -> None:
    from convoy.io.scenario import read_scenario
    from convoy.plan.inputs import (
        scenario_calibration,
        scenario_edge_risk,
        scenario_risk_field,
    )
    from convoy.plan.sector import sector_routing_problem

    sc = read_scenario(GEODATA)
    er = scenario_edge_risk(sc, scenario_risk_field(sc))
    cal = scenario_calibration(sc, er)
    _c, _g, problem = sector_routing_problem(
        sc, er.with_scales(cal.scale_ied, cal.scale_ambush)
    )
    # the first solution alone takes seconds here: never less than 30 s
    _record(benchmark, dataclasses.replace(problem, time_limit_s=max(LIMIT_S, 30.0)))

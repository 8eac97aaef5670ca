"""The mixed strategy of the adversary game on the embedded Kidal-Gao scenario.

Column generation (:func:`convoy.adversary.mixed_strategy`) against the default
attacker, from the static plan: the master LP (HiGHS) and one exact schedule
search per plan generated. The scenario is planned once outside the timing (risk,
calibration, loads, static schedule); timings are warm. ``extra_info`` records the
plans generated (``columns``), the pricing searches, the game's value and the
duality gap. The target is under a minute on two cores.

``CONVOY_BENCH_SMOKE=1`` uses the tiny test scenario instead.

Run: ``pytest benchmarks/test_adversary.py --benchmark-only``
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convoy.adversary import mixed_strategy
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal
from convoy.plan.adversary import scenario_attacker, search_request

SMOKE = os.environ.get("CONVOY_BENCH_SMOKE") == "1"
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "tests" / "data" / "tiny") if SMOKE else "kidal-gao"
ROUNDS = 1 if SMOKE else 3

#: Seconds the mixed strategy may take on the embedded scenario (two cores).
TARGET_S = 60.0


@pytest.fixture(scope="module")
def game():
    scn = read_scenario(SCENARIO)
    plan = plan_withdrawal(scn, runs=0)
    req = search_request(scn, plan.loadout, plan.contraction)
    attacker, _source = scenario_attacker(plan.edge_risk, None)
    return req, attacker, plan.schedule


def test_mixed_strategy(benchmark, game):
    """Column generation to a zero duality gap, warm."""
    req, attacker, static = game
    mix = benchmark.pedantic(
        mixed_strategy,
        args=(req, attacker, static),
        warmup_rounds=1,
        rounds=ROUNDS,
        iterations=1,
    )
    benchmark.extra_info["budget"] = attacker.budget
    benchmark.extra_info["columns"] = len(mix.columns)
    benchmark.extra_info["pricing_searches"] = mix.iterations
    benchmark.extra_info["plans_in_mix"] = len(mix.support())
    benchmark.extra_info["value"] = mix.value
    benchmark.extra_info["duality_gap"] = mix.gap
    assert mix.gap <= 1e-6 * max(1.0, mix.value)
    if benchmark.stats is not None:
        assert benchmark.stats.stats.max < TARGET_S

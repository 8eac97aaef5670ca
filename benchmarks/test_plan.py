"""The whole default plan: `plan_withdrawal` on the embedded Kidal-Gao scenario.

- ``test_plan_warm``: in-process, after a warm-up round (numba compiled, libraries
  imported): what a planner iterating on a scenario waits for. Reading the scenario
  is included; maps are not (they are timed by ``test_maps``).
- ``test_plan_cold``: ``convoy plan --no-maps`` in a fresh interpreter, once with
  numba's on-disk cache warm and once with an empty cache (``NUMBA_CACHE_DIR`` a new
  folder), so the compilation cost shows on its own.

``CONVOY_BENCH_SMOKE=1`` plans the tiny test scenario instead.

Run: ``pytest benchmarks/test_plan.py --benchmark-only``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from convoy.document import PlanDocument
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal

SMOKE = os.environ.get("CONVOY_BENCH_SMOKE") == "1"
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "tests" / "data" / "tiny") if SMOKE else "kidal-gao"
ROUNDS = 1 if SMOKE else 3


def _plan() -> dict:
    return PlanDocument.from_plan(
        plan_withdrawal(read_scenario(SCENARIO), runs=0)
    ).to_dict()


def test_plan_warm(benchmark):
    """Whole default plan, warm (compilation absorbed by the warm-up round)."""
    doc = benchmark.pedantic(_plan, warmup_rounds=1, rounds=ROUNDS, iterations=1)
    benchmark.extra_info["expected_incidents"] = doc["summary"]["expected_incidents"]
    benchmark.extra_info["loadout_gap"] = doc["loadout"]["gap"]
    assert doc["summary"]["expected_incidents"] > 0


@pytest.mark.parametrize("cache", ["warm", "empty"])
def test_plan_cold(benchmark, cache, tmp_path):
    """`convoy plan --no-maps` in a new interpreter, numba cache warm or empty."""
    env = dict(os.environ)
    if cache == "empty":
        env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-", dir=tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "convoy.cli",
        "plan",
        SCENARIO,
        "--no-maps",
        "--overwrite",
        "-o",
    ]

    def run() -> float:
        out = tempfile.mkdtemp(dir=tmp_path)
        t0 = time.perf_counter()
        subprocess.run([*cmd, out], check=True, env=env, capture_output=True)
        return time.perf_counter() - t0

    if cache == "warm":
        run()  # fills the on-disk cache
    benchmark.pedantic(run, rounds=1, iterations=1)

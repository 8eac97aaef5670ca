"""Monte Carlo throughput and the report's charts on the embedded scenario.

- ``test_monte_carlo``: :func:`convoy.plan.simulate_plan` of the embedded plan's
  optimised trip (calibrated rate multipliers, near repeats, breakdowns and tows),
  1,000,000 runs, with one and with two threads (``numba.set_num_threads``);
  ``extra_info`` holds runs per second. Both thread counts must give the same runs.
- ``test_charts``: :func:`convoy.report.html.write_report` on a plan folder made
  once with maps (``convoy plan --pareto --runs 2000``), warm; ``extra_info``
  holds the seconds spent in ``Figure.savefig``.

``CONVOY_BENCH_SMOKE=1`` uses the tiny test scenario and 20,000 runs.

Run: ``pytest benchmarks/test_simulate.py --benchmark-only``
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path

import numba
import numpy as np
import pytest

from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal, planned_vehicles, simulate_plan, trip_exposure

SMOKE = os.environ.get("CONVOY_BENCH_SMOKE") == "1"
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "tests" / "data" / "tiny") if SMOKE else "kidal-gao"
RUNS = 20_000 if SMOKE else 1_000_000
ROUNDS = 1 if SMOKE else 3


@cache
def _setup():
    sc = read_scenario(SCENARIO)
    plan = plan_withdrawal(sc, runs=0)
    shape = plan.calibration.posterior_shape
    kw = {
        "rate_shape": (shape.get("ied"), shape.get("ambush")),
        "ambush_follows_ied": plan.calibration.ambush_assumed,
    }
    return sc, trip_exposure(sc, plan.optimised), planned_vehicles(plan.loadout), kw


@cache
def _runs(threads: int) -> np.ndarray:
    sc, trip, loads, kw = _setup()
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return simulate_plan(sc, trip, loads, num_runs=RUNS, **kw).delay_h
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_monte_carlo(benchmark, threads):
    """Runs per second of the embedded plan's Monte Carlo, 1 or 2 threads."""
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"NUMBA_NUM_THREADS is {numba.config.NUMBA_NUM_THREADS}")
    sc, trip, loads, kw = _setup()
    simulate_plan(sc, trip, loads, num_runs=1000, **kw)  # compiled

    def run() -> float:
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            t0 = time.perf_counter()
            simulate_plan(sc, trip, loads, num_runs=RUNS, **kw)
            return time.perf_counter() - t0
        finally:
            numba.set_num_threads(before)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    seconds = benchmark.stats.stats.median if benchmark.stats else run()
    benchmark.extra_info["runs_per_s"] = RUNS / seconds
    if threads > 1:
        assert np.array_equal(_runs(1), _runs(threads))


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory) -> Path:
    """A plan folder with maps, the Pareto front and a Monte Carlo."""
    from click.testing import CliRunner

    from convoy.cli.main import cli as main

    out = tmp_path_factory.mktemp("plan")
    args = ["plan", SCENARIO, "--pareto", "--runs", "2000", "--overwrite", "-o"]
    res = CliRunner().invoke(main, [*args, str(out)])
    assert res.exit_code in (0, 3), res.output
    return out


def test_charts(benchmark, plan_folder, tmp_path):
    """write_report's charts and page, warm; layout and savefig's share in extra_info.

    The charts' constrained layout runs before ``savefig`` (``convoy.report.
    _common.save``), so both are timed: together they are what drawing costs.
    """
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from convoy.document import PlanDocument
    from convoy.report.html import write_report

    doc = PlanDocument.read_folder(plan_folder)
    sc = read_scenario(SCENARIO)
    spent = [0.0]
    savefig = Figure.savefig
    execute = ConstrainedLayoutEngine.execute

    def timed(fn):
        def wrapper(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(self, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0

        return wrapper

    def run() -> None:
        write_report(
            doc,
            sc.sites,
            tmp_path,
            risk_tif=plan_folder / "risk.tif",
            diurnal_ied=sc.risk.diurnal_ied,
        )

    run()  # fonts and caches
    Figure.savefig = timed(savefig)  # type: ignore[method-assign]
    ConstrainedLayoutEngine.execute = timed(execute)  # type: ignore[method-assign]
    try:
        benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    finally:
        Figure.savefig = savefig  # type: ignore[method-assign]
        ConstrainedLayoutEngine.execute = execute  # type: ignore[method-assign]
    benchmark.extra_info["layout_and_savefig_s_per_round"] = spent[0] / ROUNDS
    assert (tmp_path / "report.html").is_file()

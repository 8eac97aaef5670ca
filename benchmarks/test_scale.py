"""
Theatre scale: the whole plan on road grids of growing size and horizon.

Each workload is the embedded scenario (fleet, manifest, sites, events, movement
rules) on a synthetic road grid over its bounding box
(:func:`benchmarks.workloads.grid_scenario`), planned without Monte Carlo in a
fresh interpreter (:mod:`benchmarks.scale_run`, numba's on-disk cache warm after
the first workload), so the peak memory measured (``ru_maxrss``) is that plan's
alone. ``extra_info`` holds the read and plan seconds, the schedule searches' own
seconds, each phase's, the peak memory and the network's size; the embedded
scenario runs in the same session for the ratios of docs/benchmarks.md.
Workloads the search refuses (the state limit) record the message and the seconds
to the refusal.

``CONVOY_BENCH_SMOKE=1`` plans one grid of about a hundred edges.

Run: ``pytest benchmarks/test_scale.py --benchmark-only -s``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import workloads

SMOKE = workloads.smoke()
ROOT = Path(__file__).resolve().parents[1]

#: (id, grid edges or 0 for the embedded roads, horizon in days or None for the
#: scenario's deadline, 11.5 days).
WORKLOADS = (
    [("grid100", 100, None)]
    if SMOKE
    else [
        ("embedded", 0, None),
        ("grid1250", 1_250, None),
        ("grid2500", 2_500, None),
        ("grid5000", 5_000, None),
        ("grid1250-4d", 1_250, 4.0),
        ("grid1250-23d", 1_250, 23.0),
        ("grid5000-30d", 5_000, 30.0),
        ("grid50000-30d", 50_000, 30.0),
    ]
)


def run_plan(folder: Path) -> dict:
    """The figures of :mod:`benchmarks.scale_run` for one scenario folder."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *sys.path]))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale_run", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("name", "edges", "days"), WORKLOADS, ids=[w[0] for w in WORKLOADS]
)
def test_plan_at_scale(benchmark, tmp_path_factory, name, edges, days):
    """Whole plan (no Monte Carlo, no maps) of one workload, in a new process."""
    if edges == 0:
        folder = workloads.KIDAL_GAO
    else:
        folder = workloads.grid_scenario(tmp_path_factory.mktemp(name), edges, days)
    figures: dict = {}

    def run() -> None:
        figures.update(run_plan(folder))

    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    print(name, json.dumps(figures))
    if "error" in figures:
        # the only refusal expected: a search too large, said before allocating
        assert "step_min" in figures["error"], figures["error"]
    else:
        assert figures["expected_incidents"] > 0

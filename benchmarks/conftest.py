"""
Workloads of the risk-field benchmarks, built once per session.

Full sizes follow DESIGN.md: a 2000 x 2000 raster of 200 m cells over a 400 km box,
10k-200k events clustered along a 350 km route, 100k-1M points along routes.
``CONVOY_BENCH_SMOKE=1`` shrinks every workload (a 200 x 200 raster of 2 km cells,
100 times fewer events and points) so the suite runs in seconds.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from benchmarks import workloads

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from naive import kernel_sum

SMOKE = workloads.smoke()
#: Numbers of events, of query points, and the raster (shape, cell in metres).
NUM_EVENTS = [100, 500, 2_000] if SMOKE else [10_000, 50_000, 200_000]
NUM_POINTS = [1_000, 10_000] if SMOKE else [100_000, 1_000_000]
RASTER = (
    ((200, 200), 2000.0) if SMOKE else (workloads.RASTER_SHAPE, workloads.RASTER_CELL_M)
)
#: Timed rounds after one warm-up round (which absorbs compilation).
ROUNDS = 1 if SMOKE else 3
#: Query points checked against the exact direct sum after each benchmark.
NUM_CHECKED = 200 if SMOKE else 1_000


@cache
def events(num_events: int, variable_h: bool) -> workloads.Events:
    """Events of one workload (cached for the session)."""
    return workloads.make_events(num_events, variable_h)


@cache
def route_points(num_points: int) -> np.ndarray:
    """Points along the routes (cached for the session)."""
    return workloads.make_route_points(num_points)


def check_accuracy(
    ev: workloads.Events, points: np.ndarray, values: np.ndarray, accuracy: float = 1e-6
) -> float:
    """Max error on a random subset of points over the field's scale; asserts it."""
    rng = np.random.default_rng(1)
    idx = rng.choice(len(points), min(NUM_CHECKED, len(points)), replace=False)
    exact = kernel_sum(ev.xy, ev.weights, ev.bandwidths_m, points[idx])
    # the field's scale: its largest value at the checked points or at events
    at_events = kernel_sum(
        ev.xy,
        ev.weights,
        ev.bandwidths_m,
        ev.xy[rng.choice(len(ev.xy), min(500, len(ev.xy)))],
    )
    scale = max(float(exact.max()), float(at_events.max()))
    err = float(np.abs(values[idx] - exact).max()) / scale
    assert err <= accuracy
    return err


@pytest.fixture(params=[False, True], ids=["h5km", "h2-10km"])
def variable_h(request: pytest.FixtureRequest) -> bool:
    """Fixed 5 km bandwidth, or uniform in 2-10 km."""
    return bool(request.param)

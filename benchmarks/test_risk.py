"""
Benchmarks of the risk kernels: rasters, points along routes, and compilation.

Run ``pytest benchmarks`` (``--benchmark-disable`` to only check that they run;
``CONVOY_BENCH_SMOKE=1`` for tiny workloads). Each benchmark also checks its
result against the exact direct sum on a random subset of points.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import workloads
from benchmarks.conftest import (
    NUM_EVENTS,
    NUM_POINTS,
    RASTER,
    ROUNDS,
    SMOKE,
    check_accuracy,
    events,
    route_points,
)
from convoy.risk import kernel_at, kernel_raster

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from naive import raster_centres

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("num_events", NUM_EVENTS)
def test_kernel_raster(benchmark, num_events, variable_h):
    """Raster of the field over the 400 km box; one warm-up round absorbs JIT."""
    ev = events(num_events, variable_h)
    shape, cell = RASTER
    args = (ev.xy, ev.weights, ev.bandwidths_m, workloads.RASTER_ORIGIN, cell, shape)
    out = benchmark.pedantic(kernel_raster, args=args, warmup_rounds=1, rounds=ROUNDS)
    centres = raster_centres(workloads.RASTER_ORIGIN, cell, shape)
    err = check_accuracy(ev, centres, out.ravel())
    benchmark.extra_info.update(
        cells=shape[0] * shape[1], events=num_events, max_rel_error=err
    )


@pytest.mark.parametrize("num_points", NUM_POINTS)
@pytest.mark.parametrize("num_events", NUM_EVENTS)
def test_kernel_at(benchmark, num_events, num_points, variable_h):
    """Field at points spaced evenly along the routes; one warm-up round."""
    ev = events(num_events, variable_h)
    pts = route_points(num_points)
    out = benchmark.pedantic(
        kernel_at,
        args=(ev.xy, ev.weights, ev.bandwidths_m, pts),
        warmup_rounds=1,
        rounds=ROUNDS,
    )
    err = check_accuracy(ev, pts, out)
    benchmark.extra_info.update(points=num_points, events=num_events, max_rel_error=err)


def _first_call(cache_dir: str | None) -> float:
    """Seconds of the first kernel calls in a fresh interpreter using ``cache_dir``."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    env.pop("NUMBA_DISABLE_JIT", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    res = subprocess.run(
        [sys.executable, "-m", "benchmarks.first_call"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(res.stdout.split()[-1])


@pytest.mark.skipif(SMOKE, reason="compiling every kernel takes ~20 s")
def test_first_call_cold_cache(benchmark, tmp_path_factory):
    """First calls with an empty numba cache: compilation included."""

    def setup():
        return (str(tmp_path_factory.mktemp("numba-cold")),), {}

    seconds = benchmark.pedantic(_first_call, setup=setup, rounds=1)
    benchmark.extra_info["seconds_in_subprocess"] = seconds


def test_first_call_warm_cache(benchmark, tmp_path):
    """First calls with the on-disk cache filled by an earlier interpreter."""
    if SMOKE:
        # the default cache, filled by this session's own calls
        cache_dir, cold = None, None
        _first_call(cache_dir)
    else:
        cache_dir = str(tmp_path / "numba")
        cold = _first_call(cache_dir)
    seconds = benchmark.pedantic(_first_call, args=(cache_dir,), rounds=ROUNDS)
    benchmark.extra_info.update(seconds_in_subprocess=seconds, cold_seconds=cold)
    if cold is not None:
        assert seconds < cold

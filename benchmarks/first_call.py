"""
Time the first calls of the risk kernels, or of the Monte Carlo, in a fresh interpreter.

Run as ``python -m benchmarks.first_call``; prints one line, the seconds taken by
the first :func:`convoy.risk.kernel_raster` and :func:`convoy.risk.kernel_at`
calls (fixed and variable bandwidths), compilation or cache loading included.
``python -m benchmarks.first_call --montecarlo`` times the first
:func:`convoy.simulate.simulate_column` call instead (its import included).
Point ``NUMBA_CACHE_DIR`` at an empty folder to time compilation.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import numpy as np


def montecarlo() -> None:
    """One small Monte Carlo: Gamma scales, near repeats, breakdowns and a tow."""
    t0 = time.perf_counter()
    from convoy.params import SimulationParams
    from convoy.simulate import ColumnVehicle, TripExposure, simulate_column

    trip = TripExposure(
        plan="optimised",
        leg_ied=(0.5, 0.2),
        leg_ambush=(0.1, 0.1),
        halt_ambush=(0.2,),
        leg_km=(40.0, 40.0),
        planned_arrive=datetime(2023, 11, 1, 12, tzinfo=UTC),
        deadline=datetime(2023, 11, 3, 18, tzinfo=UTC),
        leg_hours=((0.0, 4.0), (16.0, 20.0)),
        halt_hours=((4.0, 16.0),),
    )
    column = [ColumnVehicle("A", 0.9), ColumnVehicle("R", 0.95, can_tow=True)]
    simulate_column(
        trip,
        column,
        num_runs=100,
        seed=1,
        params=SimulationParams(),
        rate_shape=(3.0, 3.0),
    )
    print(f"{time.perf_counter() - t0:.3f}")


def main() -> None:
    """Call each kernel once on small inputs that reach every compiled path."""
    if "--montecarlo" in sys.argv[1:]:
        montecarlo()
        return
    t0 = time.perf_counter()
    from convoy.risk import kernel_at, kernel_raster

    rng = np.random.default_rng(0)
    xy = rng.uniform(0.0, 20e3, size=(300, 2))
    w = rng.uniform(0.0, 1.0, 300)
    pts = rng.uniform(9e3, 10e3, size=(2000, 2))
    kernel_raster(xy, w, 2e3, (0.0, 20e3), 500.0, (40, 40))
    kernel_raster(xy, w, rng.uniform(1e3, 3e3, 300), (0.0, 20e3), 500.0, (40, 40))
    # many events sharing a bandwidth 20 cells wide: the series path
    kernel_raster(
        np.tile(xy, (3, 1)), np.tile(w, 3), 2e3, (5e3, 15e3), 100.0, (100, 100)
    )
    kernel_at(xy, w, 2e3, pts)
    kernel_at(xy, w, rng.uniform(1e3, 3e3, 300), pts)
    kernel_at(xy, w, 2e3, pts[:3])
    print(f"{time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    main()

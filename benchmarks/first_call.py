"""
Time the first calls of the risk kernels in a fresh interpreter.

Run as ``python -m benchmarks.first_call``; prints one line, the seconds taken by
the first :func:`convoy.risk.kernel_raster` and :func:`convoy.risk.kernel_at`
calls (fixed and variable bandwidths), compilation or cache loading included.
Point ``NUMBA_CACHE_DIR`` at an empty folder to time compilation.
"""

from __future__ import annotations

import time

import numpy as np


def main() -> None:
    """Call each kernel once on small inputs that reach every compiled path."""
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

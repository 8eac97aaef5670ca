"""
Side-by-side comparison of convoy's risk kernels with peer KDE implementations.

Run ``python -m benchmarks.peers`` (``--smoke`` for tiny workloads); prints a
Markdown table: for each workload and implementation, the time, the ratio to
convoy's time, and the largest error against the exact direct sum over the
field's scale (its largest value at the checked points or at events).

Peers (the ``bench`` extra): the NumPy direct sum (the tests' reference),
``scipy.stats.gaussian_kde`` (weighted, covariance fixed at ``h^2 I``),
``sklearn.neighbors.KernelDensity`` (kd-tree, Gaussian, tolerance set for 1e-6
of the field's scale) and ``KDEpy.FFTKDE`` (binning and FFT on the raster's
grid). The peers normalise by the total weight; their output is multiplied back.
Only convoy handles a bandwidth per event, so the peers run on the fixed-bandwidth
workloads only, and KDEpy's FFT only on rasters.

The exact peers would take hours on millions of points, so they are timed on a
random subset of the query points (``--checked``, 10 000 by default) and their
time scaled linearly to the whole workload; the "timed on" column says so.
Convoy and KDEpy are timed on the whole workload (median of ``--repeat`` runs
after a warm-up run that absorbs compilation).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks import workloads
from convoy.risk import kernel_at, kernel_raster

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from naive import kernel_sum, raster_centres


@dataclass(frozen=True)
class Workload:
    """One comparison: a raster or points along routes, and the events."""

    name: str
    kind: str  # "raster" or "points"
    num_events: int
    variable_h: bool
    num_points: int = 0  # points workloads
    shape: tuple[int, int] = workloads.RASTER_SHAPE  # raster workloads
    cell_m: float = workloads.RASTER_CELL_M


@dataclass
class Row:
    """One line of the table."""

    workload: str
    name: str
    seconds: float
    timed_on: str
    error: float | None


def full_workloads() -> list[Workload]:
    """The workloads of DESIGN.md's targets."""
    return [
        Workload("raster 2000x2000, K=50k, h=5 km", "raster", 50_000, False),
        Workload("raster 2000x2000, K=50k, h=2-10 km", "raster", 50_000, True),
        Workload("raster 2000x2000, K=200k, h=5 km", "raster", 200_000, False),
        Workload("points M=1M, K=50k, h=5 km", "points", 50_000, False, 1_000_000),
        Workload("points M=1M, K=50k, h=2-10 km", "points", 50_000, True, 1_000_000),
    ]


def smoke_workloads() -> list[Workload]:
    """Tiny versions of the same, to check the script itself."""
    return [
        Workload(
            "raster 200x200, K=500, h=5 km",
            "raster",
            500,
            False,
            shape=(200, 200),
            cell_m=2000.0,
        ),
        Workload(
            "raster 200x200, K=500, h=2-10 km",
            "raster",
            500,
            True,
            shape=(200, 200),
            cell_m=2000.0,
        ),
        Workload("points M=10k, K=500, h=5 km", "points", 500, False, 10_000),
    ]


def timed(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    """Median seconds of ``repeat`` calls after one warm-up call, and the result."""
    out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def once(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    """Seconds of one call, and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def scipy_kde(ev: workloads.Events, pts: np.ndarray) -> np.ndarray:
    """scipy's weighted gaussian_kde with covariance h^2 I, times the total weight."""
    from scipy.stats import gaussian_kde

    h = float(ev.bandwidths_m[0])
    kde = gaussian_kde(ev.xy.T, bw_method=1.0, weights=ev.weights)
    # an isotropic kernel: replace the data covariance the bandwidth scales
    kde._data_covariance = np.eye(2) * h * h
    kde._data_cho_cov = np.eye(2) * h
    kde._compute_covariance()
    return kde(pts.T) * ev.weights.sum()


def sklearn_kde(
    ev: workloads.Events, pts: np.ndarray, scale: float
) -> tuple[float, float, np.ndarray]:
    """scikit-learn's KernelDensity (kd-tree): fit and query seconds, and values."""
    from sklearn.neighbors import KernelDensity

    total = ev.weights.sum()
    # atol is on the normalised density: half of 1e-6 of the field's scale
    kde = KernelDensity(
        kernel="gaussian",
        bandwidth=float(ev.bandwidths_m[0]),
        algorithm="kd_tree",
        rtol=0.0,
        atol=0.5e-6 * scale / total,
    )
    t0 = time.perf_counter()
    kde.fit(ev.xy, sample_weight=ev.weights)
    t1 = time.perf_counter()
    values = np.exp(kde.score_samples(pts)) * total
    return t1 - t0, time.perf_counter() - t1, values


def kdepy_raster(ev: workloads.Events, w: Workload) -> np.ndarray:
    """KDEpy's FFTKDE on the raster's grid widened to hold every event."""
    from KDEpy import FFTKDE

    rows, cols = w.shape
    x_min, y_max = workloads.RASTER_ORIGIN
    cell = w.cell_m
    # the grid must contain every event: widen it by whole cells, then crop
    lo = ev.xy.min(axis=0)
    hi = ev.xy.max(axis=0)
    west = int(max(0, np.ceil((x_min + 0.5 * cell - lo[0]) / cell) + 2))
    south = int(max(0, np.ceil((y_max - (rows - 0.5) * cell - lo[1]) / cell) + 2))
    east = int(max(0, np.ceil((hi[0] - x_min - (cols - 0.5) * cell) / cell) + 2))
    north = int(max(0, np.ceil((hi[1] - y_max + 0.5 * cell) / cell) + 2))
    xs = x_min + (np.arange(-west, cols + east) + 0.5) * cell
    ys = y_max - (np.arange(rows + north - 1, -south - 1, -1) + 0.5) * cell
    # in kilometres: KDEpy cannot find the support of a 5000-unit Gaussian
    grid = np.column_stack([np.repeat(xs, len(ys)), np.tile(ys, len(xs))]) / 1e3
    kde = FFTKDE(kernel="gaussian", bw=float(ev.bandwidths_m[0]) / 1e3)
    dens = kde.fit(ev.xy / 1e3, weights=ev.weights).evaluate(grid) / 1e6
    # KDEpy orders the grid by x then y; the raster is north-up
    full = dens.reshape(len(xs), len(ys)).T[::-1, :] * ev.weights.sum()
    return full[north : north + rows, west : west + cols]


def compare(w: Workload, repeat: int, checked: int) -> list[Row]:
    """Time convoy and each peer on one workload, and measure their errors."""
    ev = workloads.make_events(w.num_events, w.variable_h)
    if w.kind == "raster":
        pts = raster_centres(workloads.RASTER_ORIGIN, w.cell_m, w.shape)

        def ours() -> np.ndarray:
            return kernel_raster(
                ev.xy,
                ev.weights,
                ev.bandwidths_m,
                workloads.RASTER_ORIGIN,
                w.cell_m,
                w.shape,
            ).ravel()
    else:
        pts = workloads.make_route_points(w.num_points)

        def ours() -> np.ndarray:
            return kernel_at(ev.xy, ev.weights, ev.bandwidths_m, pts)

    n = len(pts)
    rng = np.random.default_rng(2)
    idx = np.sort(rng.choice(n, min(checked, n), replace=False))
    sub = pts[idx]
    factor = n / len(idx)
    share = f"{100.0 * len(idx) / n:.2g} %, scaled"

    t_exact, exact = once(lambda: kernel_sum(ev.xy, ev.weights, ev.bandwidths_m, sub))
    at_events = kernel_sum(
        ev.xy,
        ev.weights,
        ev.bandwidths_m,
        ev.xy[rng.choice(len(ev.xy), min(2000, len(ev.xy)))],
    )
    scale = max(float(exact.max()), float(at_events.max()))

    def err(values: np.ndarray) -> float:
        return float(np.abs(values - exact).max()) / scale

    t_ours, out = timed(ours, repeat)
    rows = [
        Row(w.name, "convoy", t_ours, "all", err(out[idx])),
        Row(w.name, "NumPy direct sum (exact)", t_exact * factor, share, 0.0),
    ]
    if w.variable_h:
        return rows
    scipy_kde(ev, sub[:1])  # imports
    t, val = once(lambda: scipy_kde(ev, sub))
    rows.append(Row(w.name, "scipy gaussian_kde", t * factor, share, err(val)))
    sklearn_kde(ev, sub[:1], scale)  # imports
    t_fit, t_query, val = sklearn_kde(ev, sub, scale)
    rows.append(
        Row(
            w.name,
            "sklearn KernelDensity (kd_tree)",
            t_fit + t_query * factor,
            share,
            err(val),
        )
    )
    if w.kind == "raster":
        t, ras = timed(lambda: kdepy_raster(ev, w), repeat)
        rows.append(Row(w.name, "KDEpy FFTKDE", t, "all", err(ras.ravel()[idx])))
    return rows


def markdown(rows: list[Row]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        "| workload | implementation | time (s) | timed on | time / convoy's "
        "| max error / max f |",
        "|---|---|---:|---|---:|---:|",
    ]
    ours = {r.workload: r.seconds for r in rows if r.name == "convoy"}
    for r in rows:
        ratio = r.seconds / ours[r.workload]
        error = "exact" if r.error == 0.0 else f"{r.error:.1e}"
        lines.append(
            f"| {r.workload} | {r.name} | {r.seconds:.3g} | {r.timed_on} "
            f"| {ratio:.3g} | {error} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--smoke", action="store_true", help="tiny workloads")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs of convoy and KDEpy (median)"
    )
    parser.add_argument(
        "--checked",
        type=int,
        default=10_000,
        help="query points the exact peers are timed and checked on",
    )
    parser.add_argument(
        "--only", default="", help="run the workloads whose name contains this text"
    )
    args = parser.parse_args(argv)
    smoke = args.smoke or workloads.smoke()
    chosen = smoke_workloads() if smoke else full_workloads()
    chosen = [w for w in chosen if args.only in w.name]
    rows: list[Row] = []
    for w in chosen:
        print(f"running {w.name} ...", file=sys.stderr, flush=True)
        rows.extend(compare(w, args.repeat, args.checked))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"<!-- python -m benchmarks.peers, {stamp} -->")
    print(markdown(rows))


if __name__ == "__main__":
    main()

"""The kernel sums' inputs: checked, then arranged for the numba kernels.

The checks turn bad arrays into a :class:`~convoy.errors.ScenarioError` naming the
function, the argument, the row and the value, so the kernels of
:mod:`convoy.risk._kernels` never see a NaN; the buckets sort events into a uniform
grid for :func:`convoy.risk.kernels.kernel_at`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convoy.errors import Problem, ScenarioError

#: Largest coordinate magnitude accepted, metres. Planar coordinates on Earth stay
#: below 4e7 m; the bound keeps grid indices far from integer overflow.
MAX_COORD_M = 1e9
#: Accepted bandwidths, metres: from a millimetre to 10 000 km.
MIN_BANDWIDTH_M = 1e-3
MAX_BANDWIDTH_M = 1e7
#: Largest number of cells in the grid that buckets events, per event (the grid
#: coarsens when events are spread far apart relative to their radius).
MAX_CELLS_PER_EVENT = 4


def _bucket(
    exy: NDArray[np.float64],
    w: NDArray[np.float64],
    h: NDArray[np.float64],
    rad: NDArray[np.float64],
) -> tuple[Any, ...]:
    """Sort events into a uniform grid of cells; returns sorted arrays and the grid."""
    k = exy.shape[0]
    x0, y0 = exy.min(axis=0)
    x1, y1 = exy.max(axis=0)
    cell = max(float(np.median(rad)) / 4.0, 1e-3)
    # coarsen when events are sparse relative to their radius, to bound memory
    max_cells = MAX_CELLS_PER_EVENT * k + 16
    while ((x1 - x0) / cell + 1.0) * ((y1 - y0) / cell + 1.0) > max_cells:
        cell *= 2.0
    nx = int((x1 - x0) / cell) + 1
    ny = int((y1 - y0) / cell) + 1
    gx = np.minimum(((exy[:, 0] - x0) / cell).astype(np.int64), nx - 1)
    gy = np.minimum(((exy[:, 1] - y0) / cell).astype(np.int64), ny - 1)
    cid = gy * nx + gx
    order = np.argsort(cid, kind="stable")
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cid, minlength=nx * ny), out=start[1:])
    hs = h[order]
    ex = np.ascontiguousarray(exy[order, 0])
    ey = np.ascontiguousarray(exy[order, 1])
    wn = w[order] / (2.0 * np.pi * hs * hs)
    q = 0.5 / (hs * hs)
    return ex, ey, wn, q, rad[order], start, (float(x0), float(y0), cell, nx, ny)


def _events_near(
    start: NDArray[np.int64],
    grid: tuple[float, float, float, int, int],
    block_xy: NDArray[np.float64],
    bsize: float,
    rmax: float,
) -> NDArray[np.float64]:
    """Number of events in the grid cells within ``rmax`` of each block's square."""
    x0, y0, cell, nx, ny = grid
    counts = np.diff(start).reshape(ny, nx)
    csum = np.zeros((ny + 1, nx + 1))
    csum[1:, 1:] = counts.cumsum(axis=0).cumsum(axis=1)
    cx0 = np.clip(np.floor((block_xy[:, 0] - rmax - x0) / cell), 0, nx)
    cx1 = np.clip(np.floor((block_xy[:, 0] + bsize + rmax - x0) / cell) + 1, 0, nx)
    cy0 = np.clip(np.floor((block_xy[:, 1] - rmax - y0) / cell), 0, ny)
    cy1 = np.clip(np.floor((block_xy[:, 1] + bsize + rmax - y0) / cell) + 1, 0, ny)
    ix0, ix1, iy0, iy1 = (a.astype(np.int64) for a in (cx0, cx1, cy0, cy1))
    return csum[iy1, ix1] - csum[iy0, ix1] - csum[iy1, ix0] + csum[iy0, ix0]


def _check_accuracy(where: str, accuracy: float) -> float:
    """Accuracy as a float in (0, 0.01), or a ScenarioError."""
    try:
        acc = float(accuracy)
    except (TypeError, ValueError):
        acc = math.nan
    if not 0.0 < acc < 1e-2:
        msg = Problem(where, "", "accuracy", "a number in (0, 0.01)", repr(accuracy))
        raise ScenarioError(msg)
    return acc


def _as_float_array(where: str, name: str, value: ArrayLike) -> NDArray[np.float64]:
    """``value`` as a float64 array, or a ScenarioError naming it."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = Problem(where, "", name, "an array of numbers", f"{exc}")
        raise ScenarioError(msg) from None


def _first_bad(mask: NDArray[np.bool_]) -> int:
    """Index of the first True of a flat mask."""
    return int(np.flatnonzero(mask)[0])


def _check_xy(where: str, name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Planar coordinates of shape (N, 2), finite and within MAX_COORD_M."""
    xy = _as_float_array(where, name, value)
    if xy.size == 0 and xy.ndim <= 2:
        return np.zeros((0, 2), dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        msg = Problem(where, "", name, "an array of shape (N, 2)", f"shape {xy.shape}")
        raise ScenarioError(msg)
    bad = np.asarray(~(np.abs(xy) <= MAX_COORD_M).all(axis=1))
    if bad.any():
        i = _first_bad(bad)
        msg = Problem(
            where,
            f"row {i}",
            name,
            f"finite metres with |value| <= {MAX_COORD_M:g}",
            f"{xy[i].tolist()}",
        )
        raise ScenarioError(msg)
    return np.ascontiguousarray(xy)


def _check_events(
    where: str, events_xy: ArrayLike, weights: ArrayLike, bandwidths_m: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Checked event positions, weights and per-event bandwidths."""
    exy = _check_xy(where, "events_xy", events_xy)
    k = exy.shape[0]
    w = _as_float_array(where, "weights", weights)
    if w.shape != (k,):
        msg = Problem(
            where, "", "weights", f"an array of shape ({k},)", f"shape {w.shape}"
        )
        raise ScenarioError(msg)
    bad = ~(np.isfinite(w) & (w >= 0.0))
    if bad.any():
        i = _first_bad(bad)
        msg = Problem(
            where, f"row {i}", "weights", "a finite number >= 0", repr(float(w[i]))
        )
        raise ScenarioError(msg)
    h = _as_float_array(where, "bandwidths_m", bandwidths_m)
    if h.ndim == 0:
        h = np.full(k, float(h))
    if h.shape != (k,):
        msg = Problem(
            where, "", "bandwidths_m", f"one number or shape ({k},)", f"shape {h.shape}"
        )
        raise ScenarioError(msg)
    bad = ~((h >= MIN_BANDWIDTH_M) & (h <= MAX_BANDWIDTH_M))
    if bad.any():
        i = _first_bad(bad)
        msg = Problem(
            where,
            f"row {i}",
            "bandwidths_m",
            f"metres in [{MIN_BANDWIDTH_M:g}, {MAX_BANDWIDTH_M:g}]",
            repr(float(h[i])),
        )
        raise ScenarioError(msg)
    return exy, np.ascontiguousarray(w), np.ascontiguousarray(h)


def _check_raster(
    where: str, origin_xy: ArrayLike, cell_m: float, shape: tuple[int, int]
) -> tuple[float, float, float, int, int]:
    """Checked raster origin, cell size and shape."""
    org = _as_float_array(where, "origin_xy", origin_xy)
    if org.shape != (2,) or not (np.abs(org) <= MAX_COORD_M).all():
        msg = Problem(
            where,
            "",
            "origin_xy",
            f"(x_min, y_max), finite metres with |value| <= {MAX_COORD_M:g}",
            repr(origin_xy),
        )
        raise ScenarioError(msg)
    try:
        cell = float(cell_m)
    except (TypeError, ValueError):
        cell = math.nan
    if not 0.0 < cell <= MAX_COORD_M:
        msg = Problem(
            where, "", "cell_m", f"metres in (0, {MAX_COORD_M:g}]", repr(cell_m)
        )
        raise ScenarioError(msg)
    try:
        rows, cols = (int(n) for n in shape)
        ok = all(int(n) == n for n in shape) and rows >= 0 and cols >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        msg = Problem(where, "", "shape", "(rows, cols), integers >= 0", repr(shape))
        raise ScenarioError(msg)
    return float(org[0]), float(org[1]), cell, rows, cols

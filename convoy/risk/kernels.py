"""
Sums of Gaussian kernels over events, at points and on rasters.

The two public functions evaluate

    f(x) = sum_k w_k * exp(-|x - x_k|^2 / (2 h_k^2)) / (2 pi h_k^2)

in planar metres: ``w_k`` is an event's weight (dimensionless, ``>= 0``), ``h_k`` its
bandwidth (the Gaussian's standard deviation, metres), and ``f`` has units of
weight per square metre. Each kernel integrates to its weight.

Accuracy
--------
Weights are non-negative, so errors are measured against the field's own scale,
its maximum over the plane: ``|f_computed - f| <= accuracy * max f``.

*Truncation.* Each event is dropped beyond ``R_k = a * h_k``, where its Gaussian
is ``exp(-a^2 / 2)`` of its peak. Events spread along a circle of radius ``R``
around a point drop ``sqrt(2 pi) * a * exp(-a^2 / 2) * max f`` there, and
averaging ``f`` over that circle (with ``I0(z) >= e^z / sqrt(2 pi z)``) shows no
layout of events sharing a bandwidth drops more. So ``a`` solves
``exp(-a^2 / 2) = 0.99 * accuracy / (sqrt(2 pi) * a)``: 5.74 for 1e-6
(:func:`cutoff_factor`). Cutting where the Gaussian falls to ``accuracy`` of its
peak (``a = 5.26``) would let the circle exceed the bound 13-fold. With mixed
bandwidths the argument holds for each bandwidth: concentric circles of events
whose bandwidths differ by large factors, each just beyond its own radius, could
add up to ``accuracy`` per circle; the property tests (bandwidths 100 m to 50 km)
stay within the bound.

*Expansion.* :func:`kernel_at` replaces the direct sum by a Taylor expansion
about the centre of a block of points when the block holds many points. Along
each axis the Gaussian's series ``sum_n e^{-x^2} H_n(x) t^n / n!`` is cut after
``p`` terms; by Cramer's inequality ``|H_n(x)| <= 1.0865 e^{x^2/2} 2^{n/2}
sqrt(n!)`` the tail is below ``tau e^{-x^2/2}`` with ``tau = 1.0865 rho^p /
sqrt(p!) / (1 - rho / sqrt(p + 1))``, ``rho`` the block's half side over the
smallest bandwidth. An event's error is then at most ``(2 tau e^{rho^2/2} +
tau^2) w_k G_{sqrt(2) h_k}(d) * 2``, whose sum is at most ``2 Gamma (2 tau
e^{rho^2/2} + tau^2) max f`` with ``Gamma = 1 + (2/e) ln(h_max / h_min)``
(``G_{sqrt(2) h} = G_h * G_h``). ``p`` is the smallest that keeps this below
``0.005 * accuracy``.

*Arithmetic.* The vectorised exponential is exact to 6e-12 (relative) and sums
are in float64, so accuracies below about 1e-9 are not met.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from convoy.risk import _kernels, _point_kernels
from convoy.risk._inputs import (
    _bucket,
    _check_accuracy,
    _check_events,
    _check_raster,
    _check_xy,
    _events_near,
)

__all__ = [
    "cutoff_factor",
    "expansion_terms",
    "kernel_at",
    "kernel_raster",
    "series_terms",
]

#: Tile of the raster kernel, in cells: 64 x 512 float64 (256 KiB) stays in a
#: core's L2 cache while its events are added, and an event's factors are reused
#: over up to 64 rows.
TILE_ROWS = 64
TILE_COLS = 512
#: Shares of ``accuracy`` given to the truncation and to the expansion of
#: :func:`kernel_at`; the rest covers float64 arithmetic.
TRUNCATION_SHARE = 0.99
EXPANSION_SHARE = 0.005
#: Most terms per axis of the expansion (its cost grows as the square).
MAX_TERMS = 24
#: Cost of one expansion term per event or point against one event's term of
#: the direct sum at one point; a block of points is expanded when that is
#: cheaper. On the benchmark workloads (100k and 1M points, 50k events) any value
#: in 0.1-1 gave the same times within 5 %; 2 was up to 1.8x slower.
TERM_COST = 0.5
#: :func:`kernel_at` splits its blocks over numba's threads (a thread pool round a
#: ``nogil`` kernel) when they hold more than this many point-event pairs. A plan
#: of the embedded scenario sums about 12,000 points in about 20 ms, as fast on
#: one thread as on two; a ``prange`` kernel would cost seconds more to compile
#: on a first run (docs/benchmarks.md).
PARALLEL_MIN_COST = 5e7
#: Share of ``accuracy`` given to the series of :func:`kernel_raster`'s one-bandwidth
#: path; its truncation then gets ``TRUNCATION_SHARE - SERIES_SHARE`` (the cutoff
#: grows from 5.74 h to 5.76 h for 1e-6).
SERIES_SHARE = 0.1
#: Most terms of that series (``d / h`` up to about 0.1 for 1e-6); beyond it the
#: scatter is used.
MAX_SERIES_TERMS = 6
#: Cost of one product of the series path against one cell of the scatter (one
#: product per event per cell of its window). Measured on the benchmark raster
#: (2000 x 2000, h = 5 km, 200 m cells, M = 4): 0.48, 0.56 and 0.66 for 10k, 50k
#: and 200k events (docs/benchmarks.md).
SERIES_COST = 0.6
#: Largest array of padded rows the series path allocates, bytes.
SERIES_MAX_BYTES = 2**30


def cutoff_factor(accuracy: float) -> float:
    """
    Truncation radius of an event's kernel in units of its bandwidth.

    Solves ``exp(-a^2 / 2) = TRUNCATION_SHARE * accuracy / (sqrt(2 pi) * a)`` by
    fixed-point iteration, so that dropping every event beyond ``a * h_k``
    changes a field of events sharing one bandwidth by at most
    ``TRUNCATION_SHARE * accuracy * max f`` (see the module's notes).

    Parameters
    ----------
    accuracy
        Relative accuracy, in (0, 0.01).

    Returns
    -------
    float
        The factor ``a`` (dimensionless); about 5.74 for 1e-6.

    Raises
    ------
    ScenarioError
        If ``accuracy`` is outside (0, 0.01).

    Examples
    --------
    >>> round(cutoff_factor(1e-6), 2)
    5.74
    """
    acc = _check_accuracy("cutoff_factor()", accuracy)
    return _cutoff(acc * TRUNCATION_SHARE)


def _cutoff(bound: float) -> float:
    """``a`` with ``exp(-a^2 / 2) = bound / (sqrt(2 pi) a)``, for ``bound < 0.01``."""
    a = math.sqrt(2.0 * math.log(1.0 / bound))
    for _ in range(50):
        a = math.sqrt(2.0 * math.log(math.sqrt(2.0 * math.pi) * a / bound))
    return a


def series_terms(cell_over_h: float, accuracy: float) -> int:
    """
    Terms of the series along rows that meets ``SERIES_SHARE * accuracy``.

    With one bandwidth ``h`` and cells of side ``d``, the row factor of an event
    ``e`` cells off its nearest row centre (``|e| <= 1/2``) at a row ``u`` whole
    cells away is ``exp(-(u - e)^2 s / 2) = exp(-u^2 s / 2) exp(u e s) exp(-e^2 s /
    2)`` with ``s = d^2 / h^2``; :func:`kernel_raster` keeps ``M`` terms of the
    series of ``exp(u e s)``. The remainder is at most ``|x|^M e^|x| / M!`` with
    ``x = u e s``, ``|x| <= |v| d / 2h`` for ``v = u d / h``. Splitting
    ``exp(-v^2 / 2) = exp(-theta v^2 / 2) exp(-(1 - theta) v^2 / 2)``, ``|v|^M
    exp(-theta v^2 / 2) <= (M / (e theta))^(M/2)``, and the events' sum of the
    second factors (a Gaussian of bandwidth ``h / sqrt(1 - theta)`` along the
    column, ``h`` along the row) is at most ``max f / sqrt(1 - theta)`` (it is
    ``f`` smoothed along the column, scaled). So the error is at most

        (M / (e theta))^(M/2) / sqrt(1 - theta) * (d / 2h)^M / M! * e^(2 x_max)
        * max f

    with ``theta = M / (M + 1)`` (its minimiser) and ``x_max`` the largest
    ``|x|`` inside the truncated window.

    Parameters
    ----------
    cell_over_h
        Cell side over the bandwidth, ``d / h`` (dimensionless, > 0).
    accuracy
        Relative accuracy, in (0, 0.01).

    Returns
    -------
    int
        The smallest ``M <= MAX_SERIES_TERMS`` whose bound is below
        ``SERIES_SHARE * accuracy``, or 0 when none is.

    Examples
    --------
    >>> series_terms(0.04, 1e-6)
    4
    """
    r = cell_over_h
    if not 0.0 < r <= 1.0:  # no short series (and the bound would overflow)
        return 0
    a = _cutoff(accuracy * (TRUNCATION_SHARE - SERIES_SHARE))
    x_max = (a + 1.5 * r) * 0.5 * r
    for m in range(1, MAX_SERIES_TERMS + 1):
        theta = m / (m + 1.0)
        bound = (
            (m / (math.e * theta)) ** (0.5 * m)
            / math.sqrt(1.0 - theta)
            * (0.5 * r) ** m
            / math.factorial(m)
            * math.exp(2.0 * x_max)
        )
        if bound <= SERIES_SHARE * accuracy:
            return m
    return 0


def expansion_terms(rho: float, bandwidth_ratio: float, accuracy: float) -> int:
    """
    Terms per axis of the Taylor expansion that meets ``EXPANSION_SHARE * accuracy``.

    Parameters
    ----------
    rho
        Half side of a block of points over the smallest bandwidth.
    bandwidth_ratio
        Largest over smallest bandwidth, ``>= 1``.
    accuracy
        Relative accuracy, in (0, 0.01).

    Returns
    -------
    int
        The smallest ``p <= MAX_TERMS`` whose error bound (module notes) is below
        ``EXPANSION_SHARE * accuracy``, or 0 when none is.
    """
    gamma = 1.0 + (2.0 / math.e) * math.log(bandwidth_ratio)
    for p in range(1, MAX_TERMS + 1):
        if rho >= math.sqrt(p + 1.0):
            continue
        tau = (
            1.0865
            * rho**p
            / math.sqrt(math.factorial(p))
            / (1.0 - rho / math.sqrt(p + 1.0))
        )
        bound = 2.0 * gamma * (2.0 * tau * math.exp(0.5 * rho * rho) + tau * tau)
        if bound <= EXPANSION_SHARE * accuracy:
            return p
    return 0


def kernel_at(
    events_xy: ArrayLike,
    weights: ArrayLike,
    bandwidths_m: ArrayLike,
    points_xy: ArrayLike,
    *,
    accuracy: float = 1e-6,
) -> NDArray[np.float64]:
    """
    Sum of the events' Gaussian kernels at arbitrary points.

    ``f(x) = sum_k w_k exp(-|x - x_k|^2 / (2 h_k^2)) / (2 pi h_k^2)``, truncated so
    that the result is within ``accuracy * max f`` of the exact sum.

    Parameters
    ----------
    events_xy
        Event positions, shape (K, 2), planar metres.
    weights
        Event weights ``w_k``, shape (K,), dimensionless, ``>= 0``.
    bandwidths_m
        Gaussian standard deviations ``h_k`` in metres: one number for every
        event, or shape (K,). In [1e-3, 1e7].
    points_xy
        Query points, shape (M, 2), planar metres.
    accuracy
        Relative accuracy of the truncation, in (0, 0.01). Default 1e-6.

    Returns
    -------
    ndarray of float64, shape (M,)
        Field values in weight per square metre.

    Raises
    ------
    ScenarioError
        If an array has the wrong shape, a value is not finite, a weight is
        negative or a bandwidth is out of range.

    Examples
    --------
    >>> kernel_at([[0.0, 0.0]], [1.0], 1000.0, [[0.0, 0.0]])  # 1 / (2 pi 1e6)
    array([1.59154943e-07])
    """
    where = "kernel_at()"
    acc = _check_accuracy(where, accuracy)
    exy, w, h = _check_events(where, events_xy, weights, bandwidths_m)
    pxy = _check_xy(where, "points_xy", points_xy)
    out = np.zeros(pxy.shape[0], dtype=np.float64)
    if exy.shape[0] == 0 or pxy.shape[0] == 0:
        return out
    rad = cutoff_factor(acc) * h
    ex, ey, wn, q, rad_s, start, grid = _bucket(exy, w, h, rad)
    x0, y0, cell, nx, ny = grid
    # blocks of points a quarter of a typical radius wide, so each block's buffer
    # of events is at most about 1.3 times what its points need; no wider than
    # the smallest bandwidth, so the expansion converges fast (rho <= 0.5)
    h_min = float(h.min())
    bsize = min(float(np.median(rad)) / 4.0, max(h_min, float(np.median(h)) / 4.0))
    rho = 0.5 * bsize * (1.0 + 1e-9) / h_min
    num_terms = expansion_terms(rho, float(h.max()) / h_min, acc)
    bi = np.floor(pxy / bsize)
    order = np.lexsort((bi[:, 0], bi[:, 1]))
    bi = bi[order]
    px = np.ascontiguousarray(pxy[order, 0])
    py = np.ascontiguousarray(pxy[order, 1])
    bounds = _point_kernels._block_bounds(
        np.ascontiguousarray(bi[:, 0]), np.ascontiguousarray(bi[:, 1])
    )
    block_xy = bi[bounds[:-1]] * bsize
    near = _events_near(start, grid, block_xy, bsize, float(rad.max()))
    cost = np.diff(bounds) * near
    todo = np.argsort(-cost, kind="stable")
    fixed_q = float(q[0]) if np.all(h == h[0]) else 0.0
    res = np.empty(len(px))
    args = (
        px,
        py,
        bounds,
        np.ascontiguousarray(block_xy[:, 0]),
        np.ascontiguousarray(block_xy[:, 1]),
        bsize,
        ex,
        ey,
        wn,
        q,
        rad_s,
        start,
        x0,
        y0,
        cell,
        nx,
        ny,
        float(rad.max()),
        fixed_q,
        num_terms,
        TERM_COST,
    )
    threads = min(numba.get_num_threads(), len(todo))
    if threads < 2 or float(cost.sum()) < PARALLEL_MIN_COST:
        _point_kernels._kernel_at(*args[:3], todo, *args[3:], res)
    else:
        # every block writes only its own points, so the result does not depend
        # on the threads; dealt round the threads costliest first, for balance
        with ThreadPoolExecutor(threads) as pool:
            jobs = [
                pool.submit(
                    _point_kernels._kernel_at,
                    *args[:3],
                    np.ascontiguousarray(todo[i::threads]),
                    *args[3:],
                    res,
                )
                for i in range(threads)
            ]
            for job in jobs:
                job.result()
    out[order] = res
    return out


def kernel_raster(
    events_xy: ArrayLike,
    weights: ArrayLike,
    bandwidths_m: ArrayLike,
    origin_xy: ArrayLike,
    cell_m: float,
    shape: tuple[int, int],
    *,
    accuracy: float = 1e-6,
) -> NDArray[np.float64]:
    """
    Sum of the events' Gaussian kernels at the cell centres of a north-up raster.

    Cell ``(r, c)`` is centred at ``(x_min + (c + 0.5) * cell_m,
    y_max - (r + 0.5) * cell_m)``: row 0 is the northern edge, column 0 the
    western edge, as in a GeoTIFF with a north-up geotransform.

    Two methods, chosen by their cost: each event adds its separable kernel to
    the cells of its window (one product per cell, so the cost grows with the
    number of events), or, when every event has the same bandwidth and the cell
    is small against it, a series along the rows (:func:`_series_raster`) whose
    cost is ``M (2 W + 1)`` products per cell whatever the number of events
    (``M`` terms from :func:`series_terms`, ``W`` the truncation radius in
    cells). Both meet ``accuracy``.

    Parameters
    ----------
    events_xy
        Event positions, shape (K, 2), planar metres.
    weights
        Event weights ``w_k``, shape (K,), dimensionless, ``>= 0``.
    bandwidths_m
        Gaussian standard deviations ``h_k`` in metres: one number for every
        event, or shape (K,). In [1e-3, 1e7].
    origin_xy
        ``(x_min, y_max)``: the raster's north-west corner, metres.
    cell_m
        Cell side, metres, ``> 0``.
    shape
        ``(rows, cols)``, each ``>= 0``.
    accuracy
        Relative accuracy of the truncation, in (0, 0.01). Default 1e-6.

    Returns
    -------
    ndarray of float64, shape (rows, cols)
        Field values in weight per square metre.

    Raises
    ------
    ScenarioError
        If an array has the wrong shape, a value is not finite, a weight is
        negative, a bandwidth is out of range, or the raster is malformed.

    Examples
    --------
    >>> kernel_raster([[50.0, 50.0]], [1.0], 30.0, (0.0, 100.0), 50.0, (2, 2)).shape
    (2, 2)
    """
    where = "kernel_raster()"
    acc = _check_accuracy(where, accuracy)
    exy, w, h = _check_events(where, events_xy, weights, bandwidths_m)
    x_min, y_max, cell, rows, cols = _check_raster(where, origin_xy, cell_m, shape)
    out = np.zeros((rows, cols), dtype=np.float64)
    if exy.shape[0] == 0 or rows == 0 or cols == 0:
        return out
    if _series_cheaper(exy, h, x_min, y_max, cell, rows, cols, acc):
        return _series_raster(exy, w, float(h[0]), x_min, y_max, cell, rows, cols, acc)
    # spatial order (bands of 8 rows, west to east), so that neighbours in a
    # tile's list of events have nearly the same window and share passes
    order = np.lexsort((exy[:, 0], np.floor((y_max - exy[:, 1]) / (8.0 * cell))))
    h = h[order]
    rad = cutoff_factor(acc) * h
    wn = w[order] / (2.0 * np.pi * h * h)
    q = 0.5 / (h * h)
    ex = np.ascontiguousarray(exy[order, 0])
    ey = np.ascontiguousarray(exy[order, 1])
    win = np.empty((len(ex), 4), dtype=np.int64)
    _kernels._raster_windows(ex, ey, rad, x_min, y_max, cell, rows, cols, win)
    num_tr = -(-rows // TILE_ROWS)
    num_tc = -(-cols // TILE_COLS)
    start, events, cost = _kernels._raster_tiles(
        win, TILE_ROWS, TILE_COLS, num_tr, num_tc
    )
    todo = np.argsort(-cost, kind="stable")
    with numba.parallel_chunksize(1):
        _kernels._kernel_raster(
            ex,
            ey,
            wn,
            q,
            x_min,
            y_max,
            cell,
            win,
            TILE_ROWS,
            TILE_COLS,
            num_tc,
            todo,
            start,
            events,
            out,
        )
    return out


def _series_window(h: float, cell: float, accuracy: float) -> tuple[int, int]:
    """Terms ``M`` (0 when the series does not converge fast) and half-window ``W``."""
    num_m = series_terms(cell / h, accuracy)
    rad = _cutoff(accuracy * (TRUNCATION_SHARE - SERIES_SHARE)) * h
    return num_m, math.ceil(rad / cell + 0.5)


def _series_cheaper(
    exy: NDArray[np.float64],
    h: NDArray[np.float64],
    x_min: float,
    y_max: float,
    cell: float,
    rows: int,
    cols: int,
    accuracy: float,
) -> bool:
    """
    Whether :func:`_series_raster` should compute this raster (see kernel_raster).

    Only for one bandwidth, a series of at most ``MAX_SERIES_TERMS`` terms and
    padded rows of at most ``SERIES_MAX_BYTES``; then when its cost, ``M (2 W + 1)``
    products per cell plus ``M`` per event per column of its window, times
    ``SERIES_COST``, is below the scatter's one product per event per cell of its
    window on the raster.
    """
    if h.min() != h.max():
        return False
    num_m, half = _series_window(float(h[0]), cell, accuracy)
    if num_m == 0 or num_m * (rows + 2 * half) * cols * 8 > SERIES_MAX_BYTES:
        return False
    t = (y_max - exy[:, 1]) / cell - 0.5
    xc = (exy[:, 0] - x_min) / cell - 0.5
    reach = half - 0.5  # rows and columns within the radius, in cells
    r_in = np.clip(
        np.minimum(t + reach, rows - 1.0) - np.maximum(t - reach, 0.0) + 1.0, 0.0, None
    )
    c_in = np.clip(
        np.minimum(xc + reach, cols - 1.0) - np.maximum(xc - reach, 0.0) + 1.0,
        0.0,
        None,
    )
    scatter = float(np.dot(np.floor(r_in), np.floor(c_in)))
    series = (
        SERIES_COST
        * num_m
        * (rows * cols * (2.0 * half + 1.0) + float(np.floor(c_in).sum()))
    )
    return series < scatter


def _series_raster(
    exy: NDArray[np.float64],
    w: NDArray[np.float64],
    h: float,
    x_min: float,
    y_max: float,
    cell: float,
    rows: int,
    cols: int,
    accuracy: float,
) -> NDArray[np.float64]:
    """
    The raster of events sharing one bandwidth, by a series along the rows.

    An event ``t_k = (y_max - y_k) / d - 1/2`` rows from the raster's first row
    centre has a nearest row ``r_k`` and an offset ``e_k = t_k - r_k`` in
    ``[-1/2, 1/2]``. Its row factor at row ``r_k + j`` is ``exp(-(j - e_k)^2 s / 2)``
    (``s = d^2 / h^2``) ``~= sum_{m < M} E_m(j) e_k^m exp(-e_k^2 s / 2)`` with the
    template ``E_m(j) = exp(-j^2 s / 2) (j s)^m / m!`` (:func:`series_terms` bounds
    the error). So the raster is ``sum_m sum_j E_m(j) U_m(r - j, c)``, where
    ``U_m(p, c)`` sums over the events of row ``p`` their exact column factors times
    ``w_k / (2 pi h^2) e_k^m exp(-e_k^2 s / 2)``: a pass along rows costing
    ``M`` products per event per column of its window, then one along columns
    costing ``M (2 W + 1)`` per cell whatever the number of events. ``U`` holds
    ``W`` rows of padding each side, so events beyond the raster's edges count.

    ``accuracy`` is shared between the truncation at ``a h`` (``a`` from
    ``TRUNCATION_SHARE - SERIES_SHARE``) and the series (``SERIES_SHARE``); the
    caller has checked that ``series_terms`` is positive.
    """
    num_m, half = _series_window(h, cell, accuracy)
    rad = _cutoff(accuracy * (TRUNCATION_SHARE - SERIES_SHARE)) * h
    s = (cell / h) ** 2
    t = (y_max - exy[:, 1]) / cell - 0.5
    xlo = (exy[:, 0] - rad - x_min) / cell - 0.5
    xhi = (exy[:, 0] + rad - x_min) / cell - 0.5
    # rows r_k in [-W, rows - 1 + W] and a column window that meets the raster;
    # compared in floating point, so that far events never overflow an integer
    keep = (
        (t > -half - 0.5) & (t < rows - 0.5 + half) & (xhi >= 0.0) & (xlo <= cols - 1.0)
    )
    t = t[keep]
    r = np.rint(t)
    e = t - r
    pad = (r + half).astype(np.int64)
    order = np.argsort(pad, kind="stable")
    pad = pad[order]
    e = e[order]
    c_lo = np.maximum(np.ceil(xlo[keep][order]), 0.0).astype(np.int64)
    c_hi = np.minimum(np.floor(xhi[keep][order]), cols - 1.0).astype(np.int64)
    ex = np.ascontiguousarray(exy[keep, 0][order])
    coef = np.empty((len(e), num_m))
    coef[:, 0] = w[keep][order] / (2.0 * np.pi * h * h) * np.exp(-0.5 * e * e * s)
    for m in range(1, num_m):
        coef[:, m] = coef[:, m - 1] * e
    j = np.arange(half, -half - 1, -1, dtype=np.float64)  # reversed: W .. -W
    trev = np.empty((2 * half + 1, num_m))
    trev[:, 0] = np.exp(-0.5 * j * j * s)
    for m in range(1, num_m):
        trev[:, m] = trev[:, m - 1] * (j * s) / m
    num_rows = rows + 2 * half
    row_start = np.zeros(num_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(pad, minlength=num_rows), out=row_start[1:])
    u = np.zeros((num_rows, num_m, cols))
    out = np.empty((rows, cols))
    with numba.parallel_chunksize(1):
        _kernels._raster_series_scatter(
            ex, coef, c_lo, c_hi, row_start, x_min, cell, 0.5 / (h * h), u
        )
        _kernels._raster_series_rows(trev, u, out)
    return out

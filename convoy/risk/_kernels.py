"""
Numba kernels of the Gaussian risk field: arrays in, arrays out.

Every function here takes contiguous ``float64``/``int64`` arrays and scalars that
:mod:`convoy.risk.kernels` has already checked: no NaN, no infinities, weights
``>= 0``, bandwidths ``> 0``. Nothing here raises. The tests compare each kernel
with a plain NumPy twin (the direct sums in ``tests/naive.py``, and NumPy sums of
the two passes of the raster series).

The kernels at arbitrary points are in :mod:`convoy.risk._point_kernels`, which
shares the flags and :func:`_exp_neg` set here. The field is

    f(x) = sum_k wn_k * exp(-|x - x_k|^2 * q_k),   wn_k = w_k / (2 pi h_k^2),
                                                  q_k = 1 / (2 h_k^2),

truncated per event at a radius ``rad_k`` chosen by the wrapper. Terms beyond the
radius may be added too (they only make the sum more exact); the kernels do so
where skipping them would cost a branch in a vectorised loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: Run the outer loops of the kernels on all numba threads.
PARALLEL = True
#: LLVM fast-math flags. ``reassoc`` lets the compiler vectorise the sums (it may
#: reorder additions, which changes results in the last bits only, and the same
#: way on every run); ``nnan``/``ninf`` are left out because the masks below rely
#: on comparisons.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}

#: :func:`_exp_neg` is exact to a few 1e-12 (relative) on ``[0, EXP_NEG_MAX)``
#: and returns 0 beyond, where ``exp(-z) < 4.3e-18``.
EXP_NEG_MAX = 40.0
_EXP_SHIFT = 0.3125
_EXP_SHIFT_VALUE = math.exp(-_EXP_SHIFT)
#: Events the raster kernel adds in one pass, and how much larger than their mean
#: window the union of their windows may be (extra cells get exact terms).
#: Measured on the 50k-event raster: 4 was 1.5x faster than 1; 8 was no faster.
GROUP = 4
GROUP_SLACK = 1.3


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _exp_neg(z):
    """
    ``exp(-z)`` for ``z >= 0`` by a polynomial LLVM can vectorise.

    numba's ``math.exp`` is a scalar libm call; this is not. ``exp(-z) =
    exp(-z / 64) ** 64``; ``exp(-u)`` on ``u = z / 64 in [0, 0.625]`` is a degree-10
    Taylor polynomial about 0.3125 (remainder < 7e-14), and six squarings
    multiply the relative error by 64: below 6e-12 over ``[0, 40)`` (measured on
    1e6 points against ``numpy.exp``). Returns 0 for ``z >= 40``.
    """
    t = z * 0.015625 - _EXP_SHIFT
    p = 1.0 + t * (
        -1.0
        + t
        * (
            0.5
            + t
            * (
                -1.0 / 6.0
                + t
                * (
                    1.0 / 24.0
                    + t
                    * (
                        -1.0 / 120.0
                        + t
                        * (
                            1.0 / 720.0
                            + t
                            * (
                                -1.0 / 5040.0
                                + t
                                * (
                                    1.0 / 40320.0
                                    + t * (-1.0 / 362880.0 + t * (1.0 / 3628800.0))
                                )
                            )
                        )
                    )
                )
            )
        )
    )
    p *= _EXP_SHIFT_VALUE
    p *= p
    p *= p
    p *= p
    p *= p
    p *= p
    p *= p
    return p if z < EXP_NEG_MAX else 0.0


@njit(cache=True, fastmath=FASTMATH)
def _gauss_factors(x0, step, n, centre, q, out):
    """``out[i] = exp(-(x0 + i * step - centre)^2 * q)`` for ``i < n``."""
    for i in range(n):
        d = x0 + i * step - centre
        out[i] = _exp_neg(d * d * q)


# --------------------------------------------------------------------------- raster


@njit(cache=True)
def _raster_windows(ex, ey, rad, x_min, y_max, cell, rows, cols, win):
    """
    Row and column window of each event on the raster, or an empty one.

    ``win[k] = (r0, r1, c0, c1)``: the rows and columns (inclusive) whose centres
    lie within ``rad[k]`` of the event along each axis; ``r0 > r1`` when the
    event's disc misses the raster. Computed in floating point first, so that
    events far away never overflow an integer.
    """
    for k in range(ex.shape[0]):
        lo = (y_max - ey[k] - rad[k]) / cell - 0.5
        hi = (y_max - ey[k] + rad[k]) / cell - 0.5
        xlo = (ex[k] - rad[k] - x_min) / cell - 0.5
        xhi = (ex[k] + rad[k] - x_min) / cell - 0.5
        if hi < 0.0 or lo > rows - 1 or xhi < 0.0 or xlo > cols - 1:
            win[k, 0] = 1
            win[k, 1] = 0
            win[k, 2] = 1
            win[k, 3] = 0
            continue
        win[k, 0] = max(0, math.ceil(lo))
        win[k, 1] = min(rows - 1, math.floor(hi))
        win[k, 2] = max(0, math.ceil(xlo))
        win[k, 3] = min(cols - 1, math.floor(xhi))


@njit(cache=True)
def _raster_tiles(win, tile_rows, tile_cols, num_tr, num_tc):
    """
    Events of each tile: CSR arrays ``(start, events)`` and each tile's cost.

    A tile is ``tile_rows x tile_cols`` cells; tile ``t = tr * num_tc + tc``.
    The cost is the number of cells the tile's events cover in it.
    """
    num_tiles = num_tr * num_tc
    count = np.zeros(num_tiles + 1, dtype=np.int64)
    cost = np.zeros(num_tiles, dtype=np.float64)
    for k in range(win.shape[0]):
        if win[k, 0] > win[k, 1] or win[k, 2] > win[k, 3]:
            continue
        for tr in range(win[k, 0] // tile_rows, win[k, 1] // tile_rows + 1):
            nr = (
                min(win[k, 1], tr * tile_rows + tile_rows - 1)
                - max(win[k, 0], tr * tile_rows)
                + 1
            )
            for tc in range(win[k, 2] // tile_cols, win[k, 3] // tile_cols + 1):
                nc = (
                    min(win[k, 3], tc * tile_cols + tile_cols - 1)
                    - max(win[k, 2], tc * tile_cols)
                    + 1
                )
                count[tr * num_tc + tc + 1] += 1
                cost[tr * num_tc + tc] += nr * nc
    start = np.cumsum(count)
    fill = start[:-1].copy()
    events = np.empty(start[-1], dtype=np.int64)
    for k in range(win.shape[0]):
        if win[k, 0] > win[k, 1] or win[k, 2] > win[k, 3]:
            continue
        for tr in range(win[k, 0] // tile_rows, win[k, 1] // tile_rows + 1):
            for tc in range(win[k, 2] // tile_cols, win[k, 3] // tile_cols + 1):
                t = tr * num_tc + tc
                events[fill[t]] = k
                fill[t] += 1
    return start, events, cost


@njit(cache=True, parallel=PARALLEL, fastmath=FASTMATH)
def _kernel_raster(
    ex,
    ey,
    wn,
    q,
    x_min,
    y_max,
    cell,
    win,
    tile_rows,
    tile_cols,
    num_tc,
    tile_order,
    tile_start,
    tile_events,
    out,
):
    """
    Scatter the truncated kernels onto a north-up raster, separably, tile by tile.

    Cell ``(r, c)`` is centred at ``(x_min + (c + 0.5) cell, y_max - (r + 0.5) cell)``.
    ``exp(-(dx^2 + dy^2) q) = exp(-dx^2 q) * exp(-dy^2 q)``: in each tile an event
    computes its row and column factors once and adds one product per cell of the
    square window around its disc (cells whose centres are within ``rad`` of it
    along both axes; the corners add exact terms beyond the radius). Tiles are
    small enough to stay in a core's cache while their events are added, run in
    parallel in ``tile_order`` (costliest first), and own their cells, so no two
    threads write the same cell and every cell adds its events in the same order
    on every run.

    Parameters
    ----------
    ex, ey, wn, q
        Events: position (m), scaled weight (1/m^2), ``1/(2 h^2)`` (1/m^2).
    x_min, y_max, cell
        West edge, north edge and cell side of the raster, metres.
    win
        Each event's window from :func:`_raster_windows`, shape (K, 4).
    tile_rows, tile_cols, num_tc
        Tile shape in cells, and tiles per raster row.
    tile_order
        The tiles to compute (every tile once).
    tile_start, tile_events
        Events of each tile (CSR), from :func:`_raster_tiles`.
    out
        Output, shape (rows, cols), zero on entry.
    """
    rows, cols = out.shape
    for i in prange(tile_order.shape[0]):
        t = tile_order[i]
        tr0 = (t // num_tc) * tile_rows
        tc0 = (t % num_tc) * tile_cols
        tr1 = min(rows, tr0 + tile_rows) - 1
        tc1 = min(cols, tc0 + tile_cols) - 1
        _raster_tile(
            ex,
            ey,
            wn,
            q,
            x_min,
            y_max,
            cell,
            win,
            tr0,
            tr1,
            tc0,
            tc1,
            tile_events[tile_start[t] : tile_start[t + 1]],
            out,
        )


@njit(cache=True, fastmath=FASTMATH)
def _raster_tile(
    ex, ey, wn, q, x_min, y_max, cell, win, tr0, tr1, tc0, tc1, events, out
):
    """
    Add ``events`` to the tile of rows ``tr0..tr1`` and columns ``tc0..tc1``.

    Events come in spatial order, so neighbours in the list have nearly the same
    window: four at a time share one pass over the union of their windows (one
    load and store of each cell per four products, where one event at a time
    needs one per product) whenever the union is at most ``GROUP_SLACK`` times
    their mean window; otherwise the first goes alone.
    """
    nc = tc1 - tc0 + 1
    nr = tr1 - tr0 + 1
    fx = np.empty((GROUP, nc))
    fy = np.empty((GROUP, nr))
    n = events.shape[0]
    i = 0
    while i < n:
        size = 1
        r0 = max(tr0, win[events[i], 0])
        r1 = min(tr1, win[events[i], 1])
        c0 = max(tc0, win[events[i], 2])
        c1 = min(tc1, win[events[i], 3])
        if i + GROUP <= n:
            u0, u1, v0, v1 = r0, r1, c0, c1
            cells = (r1 - r0 + 1) * (c1 - c0 + 1)
            for j in range(i + 1, i + GROUP):
                k = events[j]
                a0 = max(tr0, win[k, 0])
                a1 = min(tr1, win[k, 1])
                b0 = max(tc0, win[k, 2])
                b1 = min(tc1, win[k, 3])
                cells += (a1 - a0 + 1) * (b1 - b0 + 1)
                u0 = min(u0, a0)
                u1 = max(u1, a1)
                v0 = min(v0, b0)
                v1 = max(v1, b1)
            if GROUP * (u1 - u0 + 1) * (v1 - v0 + 1) <= GROUP_SLACK * cells:
                size = GROUP
                r0, r1, c0, c1 = u0, u1, v0, v1
        for j in range(size):
            k = events[i + j]
            _gauss_factors(
                x_min + (c0 + 0.5) * cell, cell, c1 - c0 + 1, ex[k], q[k], fx[j]
            )
            _gauss_factors(
                -(y_max - (r0 + 0.5) * cell), cell, r1 - r0 + 1, -ey[k], q[k], fy[j]
            )
        # the whole square window: clipping each row to the disc's chord costs
        # more in per-row work than the corners' products (measured: 2.7x)
        if size == GROUP:
            g = np.empty(GROUP)
            for r in range(r0, r1 + 1):
                for j in range(GROUP):
                    g[j] = wn[events[i + j]] * fy[j, r - r0]
                _axpy_group(g, fx, c1 - c0 + 1, out[r, c0 : c1 + 1])
        else:
            wk = wn[events[i]]
            for r in range(r0, r1 + 1):
                _axpy(wk * fy[0, r - r0], fx[0, : c1 - c0 + 1], out[r, c0 : c1 + 1])
        i += size


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _axpy(g, x, y):
    """``y += g * x`` over 1-d views of equal length."""
    for i in range(x.shape[0]):
        y[i] += g * x[i]


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _axpy_group(g, x, n, y):
    """``y[:n] += sum_j g[j] * x[j, :n]`` for the ``GROUP`` rows of ``x``."""
    for i in range(n):
        acc = y[i]
        for j in range(GROUP):
            acc += g[j] * x[j, i]
        y[i] = acc


# --------------------------------------------------------------------- raster, series


#: Columns per task of :func:`_raster_series_rows`: their padded rows (16 x 2290 x 4
#: float64 for h = 5 km on 200 m cells, 1.2 MB) are copied to one contiguous
#: buffer per task.
SERIES_BLOCK_COLS = 16
#: Output rows :func:`_raster_series_rows` sums together, sharing each template load.
SERIES_ROWS_AT_ONCE = 4


@njit(cache=True, parallel=PARALLEL, fastmath=FASTMATH)
def _raster_series_scatter(ex, coef, c_lo, c_hi, row_start, x_min, cell, q, u):
    """
    Add each event's column factors, times its series coefficients, to its padded row.

    ``u[p, m, c] += coef[k, m] * exp(-(x_min + (c + 0.5) cell - ex[k])^2 q)`` for
    ``c_lo[k] <= c <= c_hi[k]`` and every event ``k`` of padded row ``p``
    (``row_start[p]:row_start[p + 1]``, events sorted by padded row). Rows run in
    parallel; each adds its own events in order, so the result does not depend on
    the number of threads.

    Parameters
    ----------
    ex
        Event abscissae, metres, shape (K,), sorted by padded row.
    coef
        Series coefficients of each event, weight per m^2, shape (K, M).
    c_lo, c_hi
        First and last column of each event's window (inclusive), in the raster.
    row_start
        CSR bounds of the events of each padded row, shape (P + 1,).
    x_min, cell, q
        West edge (m), cell side (m) and ``1 / (2 h^2)`` (1/m^2).
    u
        Output, shape (P, M, cols), zero on entry.
    """
    num_p, num_m, cols = u.shape
    for p in prange(num_p):
        if row_start[p] == row_start[p + 1]:
            continue
        fx = np.empty(cols)
        for k in range(row_start[p], row_start[p + 1]):
            n = c_hi[k] - c_lo[k] + 1
            _gauss_factors(x_min + (c_lo[k] + 0.5) * cell, cell, n, ex[k], q, fx)
            for m in range(num_m):
                _axpy(coef[k, m], fx[:n], u[p, m, c_lo[k] : c_hi[k] + 1])


@njit(cache=True, parallel=PARALLEL, fastmath=FASTMATH)
def _raster_series_rows(trev, u, out):
    """
    Sum each column's padded rows against the reversed series template.

    ``out[r, c] = sum_{i < T} sum_{m < M} trev[i, m] * u[r + i, m, c]``: padded row
    ``r + i`` holds the events ``W - i`` rows north of row ``r`` and ``trev[i]`` is
    the template at ``j = W - i``. Each task copies the padded rows of a block of
    ``SERIES_BLOCK_COLS`` columns into a buffer, one column after another (row-major,
    ``M`` terms per row), so that each output is a contiguous dot product of
    length ``T * M``; ``SERIES_ROWS_AT_ONCE`` rows share each load of the template.
    Every output adds its products in the same order on every run.

    Parameters
    ----------
    trev
        Reversed template, shape (T, M).
    u
        Padded rows, shape (rows + T - 1, M, cols).
    out
        Output, shape (rows, cols), overwritten.
    """
    rows, cols = out.shape
    num_t, num_m = trev.shape
    num_p = u.shape[0]
    n = num_t * num_m
    tf = trev.ravel()
    m1 = num_m
    m2 = 2 * num_m
    m3 = 3 * num_m
    num_b = -(-cols // SERIES_BLOCK_COLS)
    for b in prange(num_b):
        c0 = b * SERIES_BLOCK_COLS
        nc = min(cols, c0 + SERIES_BLOCK_COLS) - c0
        buf = np.empty((nc, num_p * num_m))
        for p in range(num_p):
            for m in range(num_m):
                for j in range(nc):
                    buf[j, p * num_m + m] = u[p, m, c0 + j]
        for j in range(nc):
            x = buf[j]
            r = 0
            while r + SERIES_ROWS_AT_ONCE <= rows:
                o = r * num_m
                # views, so that the loads are at unit stride from known bases
                x0 = x[o : o + n]
                x1 = x[o + m1 : o + m1 + n]
                x2 = x[o + m2 : o + m2 + n]
                x3 = x[o + m3 : o + m3 + n]
                a0 = 0.0
                a1 = 0.0
                a2 = 0.0
                a3 = 0.0
                for f in range(n):
                    t = tf[f]
                    a0 += t * x0[f]
                    a1 += t * x1[f]
                    a2 += t * x2[f]
                    a3 += t * x3[f]
                out[r, c0 + j] = a0
                out[r + 1, c0 + j] = a1
                out[r + 2, c0 + j] = a2
                out[r + 3, c0 + j] = a3
                r += SERIES_ROWS_AT_ONCE
            while r < rows:
                x0 = x[r * num_m : r * num_m + n]
                a0 = 0.0
                for f in range(n):
                    a0 += tf[f] * x0[f]
                out[r, c0 + j] = a0
                r += 1

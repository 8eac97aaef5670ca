"""
Numba kernels of the Gaussian risk field: arrays in, arrays out.

Every function here takes contiguous ``float64``/``int64`` arrays and scalars that
:mod:`convoy.risk.kernels` has already checked: no NaN, no infinities, weights
``>= 0``, bandwidths ``> 0``. Nothing here raises. Each kernel has a plain NumPy
twin in ``tests/naive.py`` that the tests compare it with.

The field is

    f(x) = sum_k wn_k * exp(-|x - x_k|^2 * q_k),   wn_k = w_k / (2 pi h_k^2),
                                                  q_k = 1 / (2 h_k^2),

truncated per event at a radius ``rad_k`` chosen by the wrapper.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: Run the outer loops of the kernels on all numba threads.
PARALLEL = True
#: LLVM fast-math flags. ``reassoc`` lets the compiler vectorise the sums (it may
#: reorder additions of non-negative terms, which changes results in the last bits
#: only); ``nnan``/``ninf`` are left out because the masks below rely on comparisons.
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True)
def _cell_of(x, y, x0, y0, cell, nx, ny):
    """Grid cell ``(gx, gy)`` holding ``(x, y)``, or ``(-1, -1)`` when outside."""
    fx = (x - x0) / cell
    fy = (y - y0) / cell
    if fx < 0.0 or fy < 0.0 or fx >= nx or fy >= ny:
        return -1, -1
    return int(fx), int(fy)


@njit(cache=True, parallel=PARALLEL, fastmath=FASTMATH)
def _kernel_at(px, py, ex, ey, wn, q, rad2, start, x0, y0, cell, nx, ny, reach, out):
    """
    Sum the truncated kernels at each point, visiting only nearby grid cells.

    Parameters
    ----------
    px, py
        Query points, metres, shape (M,).
    ex, ey, wn, q, rad2
        Events sorted by grid cell: position (m), scaled weight ``w/(2 pi h^2)``
        (1/m^2), ``1/(2 h^2)`` (1/m^2) and squared truncation radius (m^2).
    start
        ``start[c]:start[c + 1]`` are the events of cell ``c = gy * nx + gx``.
    x0, y0, cell, nx, ny
        The grid: lower-left corner (m), cell side (m), cells along x and y.
    reach
        Cells to visit on each side of the point's cell (covers every radius).
    out
        Output, shape (M,), overwritten.
    """
    for i in prange(px.shape[0]):
        x = px[i]
        y = py[i]
        # the point's cell may lie outside the grid; clamp in float before int
        fx = (x - x0) / cell
        fy = (y - y0) / cell
        acc = 0.0
        inside_x = -reach - 1.0 < fx < nx + reach
        if inside_x and -reach - 1.0 < fy < ny + reach:
            gx = math.floor(fx)
            gy = math.floor(fy)
            for cy in range(max(gy - reach, 0), min(gy + reach + 1, ny)):
                for cx in range(max(gx - reach, 0), min(gx + reach + 1, nx)):
                    c = cy * nx + cx
                    for j in range(start[c], start[c + 1]):
                        dx = x - ex[j]
                        dy = y - ey[j]
                        d2 = dx * dx + dy * dy
                        if d2 <= rad2[j]:
                            acc += wn[j] * math.exp(-d2 * q[j])
        out[i] = acc


@njit(cache=True, parallel=PARALLEL, fastmath=FASTMATH)
def _kernel_raster(ex, ey, wn, q, rad, x_min, y_max, cell, band_rows, out):
    """
    Scatter the truncated kernels onto a north-up raster, separably.

    Cell ``(r, c)`` is centred at ``(x_min + (c + 0.5) cell, y_max - (r + 0.5) cell)``.
    ``exp(-(dx^2 + dy^2) q) = exp(-dx^2 q) * exp(-dy^2 q)``: each event computes its
    column factors once per band of rows and adds one product per cell of its
    disc. Bands of ``band_rows`` rows run in parallel; each band owns its rows, so
    no two threads write the same cell.

    Parameters
    ----------
    ex, ey, wn, q, rad
        Events: position (m), scaled weight (1/m^2), ``1/(2 h^2)`` (1/m^2),
        truncation radius (m).
    x_min, y_max, cell
        West edge, north edge and cell side of the raster, metres.
    band_rows
        Rows per parallel band.
    out
        Output, shape (rows, cols), overwritten.
    """
    rows, cols = out.shape
    num_bands = (rows + band_rows - 1) // band_rows
    for b in prange(num_bands):
        r_first = b * band_rows
        r_last = min(rows, r_first + band_rows) - 1
        out[r_first : r_last + 1, :] = 0.0
        fx = np.empty(cols)
        for k in range(ex.shape[0]):
            # rows whose centre lies within rad of the event, as floats first so that
            # far events never overflow an integer
            lo = (y_max - ey[k] - rad[k]) / cell - 0.5
            hi = (y_max - ey[k] + rad[k]) / cell - 0.5
            if hi < r_first or lo > r_last:
                continue
            r0 = max(r_first, math.ceil(lo))
            r1 = min(r_last, math.floor(hi))
            lo = (ex[k] - rad[k] - x_min) / cell - 0.5
            hi = (ex[k] + rad[k] - x_min) / cell - 0.5
            if hi < 0.0 or lo > cols - 1 or r0 > r1:
                continue
            c0 = max(0, math.ceil(lo))
            c1 = min(cols - 1, math.floor(hi))
            for c in range(c0, c1 + 1):
                dx = x_min + (c + 0.5) * cell - ex[k]
                fx[c] = math.exp(-dx * dx * q[k])
            rad2 = rad[k] * rad[k]
            for r in range(r0, r1 + 1):
                dy = y_max - (r + 0.5) * cell - ey[k]
                half2 = rad2 - dy * dy
                if half2 < 0.0:
                    continue
                half = math.sqrt(half2)
                # the chord of the disc on this row
                a = max(c0, math.ceil((ex[k] - half - x_min) / cell - 0.5))
                z = min(c1, math.floor((ex[k] + half - x_min) / cell - 0.5))
                fy = wn[k] * math.exp(-dy * dy * q[k])
                for c in range(a, z + 1):
                    out[r, c] += fy * fx[c]

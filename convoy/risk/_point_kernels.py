"""
Numba kernels of the Gaussian risk field at arbitrary points: arrays in, arrays out.

The same contract as :mod:`convoy.risk._kernels` (checked contiguous arrays, no
NaN, nothing raises), whose numba flags and vectorised exponential these share.
Points come sorted into square blocks; each block either sums its buffer of events
directly or, when the block holds many points, through a Taylor (Hermite)
expansion about its centre (see :func:`convoy.risk.kernels.kernel_at`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from convoy.risk._kernels import FASTMATH, _exp_neg


@njit(cache=True)
def _block_bounds(bx, by):
    """Start of each run of equal ``(bx[i], by[i])`` in sorted arrays, plus the end."""
    n = bx.shape[0]
    num = 1 if n else 0
    for i in range(1, n):
        if bx[i] != bx[i - 1] or by[i] != by[i - 1]:
            num += 1
    bounds = np.empty(num + 1, dtype=np.int64)
    bounds[0] = 0
    j = 1
    for i in range(1, n):
        if bx[i] != bx[i - 1] or by[i] != by[i - 1]:
            bounds[j] = i
            j += 1
    bounds[num] = n
    return bounds


@njit(cache=True, fastmath=FASTMATH)
def _sum_fixed(px, py, lo, hi, bx, by, bw, nb, q, out):
    """Sum of ``bw[j] exp(-d^2 q)`` over a buffer, for points ``lo:hi``."""
    for i in range(lo, hi):
        x = px[i]
        y = py[i]
        acc = 0.0
        for j in range(nb):
            dx = x - bx[j]
            dy = y - by[j]
            acc += bw[j] * _exp_neg((dx * dx + dy * dy) * q)
        out[i] = acc


@njit(cache=True, fastmath=FASTMATH)
def _sum_variable(px, py, lo, hi, bx, by, bw, bq, nb, out):
    """Sum of ``bw[j] exp(-d^2 bq[j])`` over a buffer, for points ``lo:hi``."""
    for i in range(lo, hi):
        x = px[i]
        y = py[i]
        acc = 0.0
        for j in range(nb):
            dx = x - bx[j]
            dy = y - by[j]
            acc += bw[j] * _exp_neg((dx * dx + dy * dy) * bq[j])
        out[i] = acc


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _kernel_at(
    px,
    py,
    bounds,
    order,
    block_x0,
    block_y0,
    bsize,
    ex,
    ey,
    wn,
    q,
    rad,
    start,
    x0,
    y0,
    cell,
    nx,
    ny,
    rmax,
    fixed_q,
    num_terms,
    term_cost,
    out,
):
    """
    Sum the truncated kernels at points, a block of nearby points at a time.

    Points arrive sorted into square blocks of side ``bsize``. For each block the
    events whose disc reaches the block's square are copied into contiguous
    buffers (events a little beyond their radius add their exact, tiny terms).
    Events are found through a uniform grid of cells. Then either every point of
    the block sums over the whole buffer in a loop the compiler vectorises, or,
    when the block has many points, the buffer is condensed into a Taylor
    expansion about the block's centre (:func:`_hermite_moments`) that each
    point evaluates in ``num_terms^2`` operations; whichever costs less.

    Parameters
    ----------
    px, py
        Query points sorted by block, metres, shape (M,).
    bounds
        ``bounds[b]:bounds[b + 1]`` are the points of block ``b``.
    order
        The blocks to compute; the others' points are left untouched, so that
        threads may share ``out`` (:func:`convoy.risk.kernels.kernel_at`).
    block_x0, block_y0
        South-west corner of each block's square, metres.
    bsize
        Side of a block, metres.
    ex, ey, wn, q, rad
        Events sorted by grid cell: position (m), scaled weight ``w/(2 pi h^2)``
        (1/m^2), ``1/(2 h^2)`` (1/m^2) and truncation radius (m).
    start
        ``start[c]:start[c + 1]`` are the events of cell ``c = gy * nx + gx``.
    x0, y0, cell, nx, ny
        The event grid: lower-left corner (m), cell side (m), cells along x, y.
    rmax
        Largest truncation radius, metres.
    fixed_q
        ``1/(2 h^2)`` when every event has the same bandwidth, else 0.
    num_terms
        Terms per axis of the expansion that meets the accuracy in a block; 0
        when no expansion does.
    term_cost
        Cost of one expansion term for one event or point, in units of one
        event's term of the direct sum at one point.
    out
        Output, shape (M,), overwritten.
    """
    for ib in range(order.shape[0]):
        b = order[ib]
        lo = bounds[b]
        hi = bounds[b + 1]
        bx0 = block_x0[b]
        by0 = block_y0[b]
        bx1 = bx0 + bsize
        by1 = by0 + bsize
        gx0 = (bx0 - rmax - x0) / cell
        gx1 = (bx1 + rmax - x0) / cell
        gy0 = (by0 - rmax - y0) / cell
        gy1 = (by1 + rmax - y0) / cell
        if gx1 < 0.0 or gy1 < 0.0 or gx0 >= nx or gy0 >= ny:
            out[lo:hi] = 0.0
            continue
        cx0 = max(0, math.floor(gx0))
        cx1 = min(nx - 1, math.floor(gx1))
        cy0 = max(0, math.floor(gy0))
        cy1 = min(ny - 1, math.floor(gy1))
        cap = 0
        for cy in range(cy0, cy1 + 1):
            cap += start[cy * nx + cx1 + 1] - start[cy * nx + cx0]
        bx = np.empty(cap)
        by = np.empty(cap)
        bw = np.empty(cap)
        bq = np.empty(cap)
        # int64, not a literal 0: typed as Literal[int](0), the callees below would
        # compile twice, once for each type
        nb = np.int64(0)
        for cy in range(cy0, cy1 + 1):
            for j in range(start[cy * nx + cx0], start[cy * nx + cx1 + 1]):
                # distance from the event to the block's square
                dx = max(bx0 - ex[j], 0.0, ex[j] - bx1)
                dy = max(by0 - ey[j], 0.0, ey[j] - by1)
                if dx * dx + dy * dy <= rad[j] * rad[j]:
                    bx[nb] = ex[j]
                    by[nb] = ey[j]
                    bw[nb] = wn[j]
                    bq[nb] = q[j]
                    nb += 1
        p = num_terms
        if p > 0 and (hi - lo) * nb > term_cost * p * p * (nb + hi - lo):
            half = 0.5 * bsize
            mom = np.zeros((p, p))
            _hermite_moments(bx, by, bw, bq, nb, bx0 + half, by0 + half, half, mom)
            _eval_moments(px, py, lo, hi, bx0 + half, by0 + half, half, mom, out)
        elif fixed_q > 0.0:
            _sum_fixed(px, py, lo, hi, bx, by, bw, nb, fixed_q, out)
        else:
            _sum_variable(px, py, lo, hi, bx, by, bw, bq, nb, out)


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _hermite_coeffs(s, q, half, a):
    """
    Taylor coefficients of ``exp(-q (u - s)^2)`` in ``u / half``, into ``a``.

    ``exp(-q (u - s)^2) = sum_n a_n (u / half)^n`` with ``a_n = exp(-q s^2)
    H_n(s sqrt(q)) (half sqrt(q))^n / n!`` (``H_n`` the Hermite polynomials), by
    their three-term recurrence.
    """
    p = a.shape[0]
    a[0] = math.exp(-q * s * s)
    t1 = 2.0 * q * s * half
    t2 = 2.0 * q * half * half
    if p > 1:
        a[1] = t1 * a[0]
    for n in range(1, p - 1):
        a[n + 1] = (t1 * a[n] - t2 * a[n - 1]) / (n + 1)


@njit(cache=True, fastmath=FASTMATH)
def _hermite_moments(bx, by, bw, bq, nb, cx, cy, half, mom):
    """
    Add the buffer's events to the expansion about ``(cx, cy)``.

    ``sum_j bw_j exp(-bq_j |(cx, cy) + u - e_j|^2) = sum_{n,m} mom[n, m]
    (u_x / half)^n (u_y / half)^m``: the Gaussian factorises along the axes and
    each factor is a Taylor series (:func:`_hermite_coeffs`) truncated after
    ``p = mom.shape[0]`` terms.
    """
    p = mom.shape[0]
    ax = np.empty(p)
    ay = np.empty(p)
    for j in range(nb):
        _hermite_coeffs(bx[j] - cx, bq[j], half, ax)
        _hermite_coeffs(by[j] - cy, bq[j], half, ay)
        for n in range(p):
            g = bw[j] * ax[n]
            for m in range(p):
                mom[n, m] += g * ay[m]


@njit(cache=True, fastmath=FASTMATH)
def _eval_moments(px, py, lo, hi, cx, cy, half, mom, out):
    """Evaluate the expansion ``mom`` about ``(cx, cy)`` at points ``lo:hi``."""
    p = mom.shape[0]
    n = hi - lo
    ux = np.empty(n)
    uy = np.empty(n)
    for i in range(n):
        ux[i] = (px[lo + i] - cx) / half
        uy[i] = (py[lo + i] - cy) / half
    acc = np.zeros(n)
    inner = np.empty(n)
    # Horner in u_y inside Horner in u_x, vectorised across the block's points
    for a in range(p - 1, -1, -1):
        inner[:] = 0.0
        for b in range(p - 1, -1, -1):
            c = mom[a, b]
            for i in range(n):
                inner[i] = inner[i] * uy[i] + c
        for i in range(n):
            acc[i] = acc[i] * ux[i] + inner[i]
    # element by element: an array-to-array slice assignment makes numba compile
    # its shape-mismatch message (string formatting, about 2 s on an empty cache)
    for i in range(n):
        out[lo + i] = acc[i]

"""Slow, obviously right twins of the numeric kernels, for the tests to compare with."""

from __future__ import annotations

import numpy as np


def kernel_sum(events_xy, weights, bandwidths_m, points_xy):
    """Exact sum of w_k exp(-d^2 / 2 h_k^2) / (2 pi h_k^2) at each point."""
    exy = np.asarray(events_xy, dtype=np.float64).reshape(-1, 2)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    h = np.broadcast_to(np.asarray(bandwidths_m, dtype=np.float64), w.shape)
    pxy = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    out = np.zeros(len(pxy))
    step = max(1, 1_000_000 // max(len(w), 1))  # about 8 MB per temporary
    for lo in range(0, len(pxy), step):
        p = pxy[lo : lo + step]
        dx = p[:, None, 0] - exy[None, :, 0]
        dy = p[:, None, 1] - exy[None, :, 1]
        d2 = dx * dx + dy * dy
        g = np.exp(-d2 / (2.0 * h * h)) / (2.0 * np.pi * h * h)
        out[lo : lo + step] = g @ w
    return out


def raster_centres(origin_xy, cell_m, shape):
    """Cell centres of a north-up raster, shape (rows * cols, 2), row-major."""
    x_min, y_max = origin_xy
    rows, cols = shape
    xs = x_min + (np.arange(cols) + 0.5) * cell_m
    ys = y_max - (np.arange(rows) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def kernel_raster_sum(events_xy, weights, bandwidths_m, origin_xy, cell_m, shape):
    """Exact kernel sum at the cell centres of a north-up raster, (rows, cols)."""
    centres = raster_centres(origin_xy, cell_m, shape)
    return kernel_sum(events_xy, weights, bandwidths_m, centres).reshape(shape)

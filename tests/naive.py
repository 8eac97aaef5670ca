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
    for lo in range(0, len(pxy), 256):
        p = pxy[lo : lo + 256]
        d2 = ((p[:, None, :] - exy[None, :, :]) ** 2).sum(axis=2)
        g = np.exp(-d2 / (2.0 * h * h)) / (2.0 * np.pi * h * h)
        out[lo : lo + 256] = g @ w
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

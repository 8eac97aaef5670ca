"""Numba kernels of the load planner: first-fit and best-fit packing onto vehicles.

Arrays in, arrays out; no objects, no exceptions, no NaN. The checked wrappers are in
:mod:`convoy.loadout`; ``tests/test_loadout.py`` holds the plain NumPy twin.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Relative slack allowed on a capacity, so that loads summing exactly to a capacity
#: in decimal are not refused for binary rounding (1e-9 of the capacity).
CAP_RTOL = 1e-9


@njit(cache=True)
def _first_fit(
    item_kg: np.ndarray,
    item_m2: np.ndarray,
    order_idx: np.ndarray,
    cap_kg: np.ndarray,
    cap_m2: np.ndarray,
    used_kg: np.ndarray,
    used_m2: np.ndarray,
    out_bin: np.ndarray,
    best_fit: bool,
) -> int:
    """
    Place items in the given order on a vehicle with room in both sizes.

    First fit takes the first such vehicle; best fit the one left with the least
    room, measured as the sum of the free shares of payload and deck.

    Parameters
    ----------
    item_kg, item_m2
        (I,) float64: weight (kg) and deck area (m2) of each item.
    order_idx
        (I,) int64: the order items are placed in (e.g. decreasing size).
    cap_kg, cap_m2
        (V,) float64: payload (kg) and deck area (m2) of each vehicle.
    used_kg, used_m2
        (V,) float64, updated in place: load already on each vehicle.
    out_bin
        (I,) int64, written: vehicle index of each item, -1 if it did not fit.
    best_fit
        Best fit (True) or first fit (False).

    Returns
    -------
    int
        Number of items that did not fit.
    """
    num_left = 0
    num_bins = cap_kg.shape[0]
    for k in range(order_idx.shape[0]):
        i = order_idx[k]
        out_bin[i] = -1
        best_room = np.inf
        for b in range(num_bins):
            if used_kg[b] + item_kg[i] <= cap_kg[b] * (1.0 + CAP_RTOL) and used_m2[
                b
            ] + item_m2[i] <= cap_m2[b] * (1.0 + CAP_RTOL):
                if not best_fit:
                    out_bin[i] = b
                    break
                room = 0.0
                if cap_kg[b] > 0.0:
                    room += (cap_kg[b] - used_kg[b] - item_kg[i]) / cap_kg[b]
                if cap_m2[b] > 0.0:
                    room += (cap_m2[b] - used_m2[b] - item_m2[i]) / cap_m2[b]
                if room < best_room:
                    best_room = room
                    out_bin[i] = b
        if out_bin[i] < 0:
            num_left += 1
        else:
            used_kg[out_bin[i]] += item_kg[i]
            used_m2[out_bin[i]] += item_m2[i]
    return num_left

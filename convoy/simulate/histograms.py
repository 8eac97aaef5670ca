"""Histograms of a simulation's runs, as plan.json stores them for the report."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from convoy.simulate.montecarlo import SimulationResult

#: Largest number of bars of a count histogram in plan.json's ``simulation``: counts
#: 0 .. COUNT_BINS - 2 each get a bar, the last bar holds every run at or above
#: COUNT_BINS - 1 (a plan with that many incidents is off the chart anyway).
COUNT_BINS = 40

#: Largest number of bars of the delay histogram; the bar width is the smallest of
#: DELAY_BIN_H that keeps the bars under this number.
DELAY_BINS = 48

#: Bar widths of the delay histogram, hours.
DELAY_BIN_H: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0)


def count_histogram(x: NDArray[np.int64], max_bins: int = COUNT_BINS) -> dict[str, Any]:
    """
    Runs per count of a per-run count (incidents, vehicles lost), for the report.

    Parameters
    ----------
    x
        One count per run, int64 (n,), >= 0.
    max_bins
        Largest number of bars (>= 2).

    Returns
    -------
    dict
        ``counts[k]``: runs with exactly ``k``, for ``k`` from 0 to the largest count
        seen; when that would take more than ``max_bins`` bars, the last bar holds
        every run at or above ``max_bins - 1`` and ``open_top`` is true.

    Examples
    --------
    >>> count_histogram(np.array([0, 2, 2, 5]), max_bins=4)
    {'counts': [1, 0, 2, 1], 'open_top': True}
    """
    top = int(x.max()) if x.size else 0
    open_top = top > max_bins - 1
    capped = np.minimum(x, max_bins - 1) if open_top else x
    counts = np.bincount(capped, minlength=min(top, max_bins - 1) + 1)
    return {"counts": [int(c) for c in counts], "open_top": bool(open_top)}


def delay_histogram(
    delay_h: NDArray[np.float64], max_bins: int = DELAY_BINS
) -> dict[str, Any]:
    """
    Runs per delay interval, hours, from 0 to the largest delay seen.

    ``counts[i]`` is the runs with delay in ``[i * bin_h, (i + 1) * bin_h)``.

    Examples
    --------
    >>> delay_histogram(np.array([0.0, 0.1, 0.6, 1.2]))
    {'bin_h': 0.25, 'counts': [2, 0, 1, 0, 1]}
    """
    top = float(delay_h.max()) if delay_h.size else 0.0
    bin_h = next((w for w in DELAY_BIN_H if top / w < max_bins), DELAY_BIN_H[-1])
    idx = np.minimum(np.floor(delay_h / bin_h).astype(np.int64), int(top // bin_h))
    return {"bin_h": bin_h, "counts": [int(c) for c in np.bincount(idx)]}


def result_histograms(result: SimulationResult) -> dict[str, Any]:
    """The ``histograms`` object of plan.json's ``simulation`` (docs/plan-json.md)."""
    return {
        "incidents": count_histogram(result.incidents),
        "vehicles_lost": count_histogram(result.vehicles_lost),
        "delay_h": delay_histogram(result.delay_h),
    }

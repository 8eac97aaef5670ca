"""The tail of a plan's incidents: CVaR from the Monte Carlo's runs."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: Level of the conditional value at risk reported next to the expected incidents.
CVAR_LEVEL = 0.9


def cvar(
    samples: ArrayLike, level: float = CVAR_LEVEL, weights: ArrayLike | None = None
) -> float:
    """
    Conditional value at risk: the mean of the worst ``1 - level`` of the runs.

    The exact tail mean of the empirical distribution (Rockafellar and Uryasev,
    2002): the runs sorted, the worst ``(1 - level)`` of the probability mass
    averaged, the run at the boundary counted by its fraction. ``weights`` (one per
    run, >= 0; default equal) pool runs of several plans drawn with probabilities.

    Examples
    --------
    >>> cvar([0, 0, 0, 0, 0, 0, 0, 0, 1, 3])
    3.0
    >>> round(cvar([0, 0, 0, 0, 0, 0, 0, 0, 1, 3], 0.8), 9)
    2.0
    >>> cvar([0, 1, 2, 3], 0.5)
    2.5
    >>> cvar([0, 4], 0.5, weights=[3, 1])
    2.0
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return math.nan
    w = (
        np.ones_like(x)
        if weights is None
        else np.asarray(weights, dtype=np.float64).copy()
    )
    order = np.argsort(-x, kind="stable")
    x, w = x[order], w[order] / w.sum()
    tail = 1.0 - level
    before = np.concatenate(([0.0], np.cumsum(w)[:-1]))
    take = np.clip(tail - before, 0.0, w)
    return float(np.dot(take, x) / tail)

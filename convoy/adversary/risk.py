"""The tail of a plan's incidents: CVaR from the Monte Carlo's runs."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

#: Level of the conditional value at risk reported next to the expected incidents.
CVAR_LEVEL = 0.9


def cvar(samples: ArrayLike, level: float = CVAR_LEVEL) -> float:
    """
    Conditional value at risk: the mean of the worst ``1 - level`` of the runs.

    The exact tail mean of the empirical distribution (Rockafellar and Uryasev,
    2002): the runs sorted, the worst ``(1 - level) n`` of them averaged, the run
    at the boundary counted by its fraction.

    Examples
    --------
    >>> cvar([0, 0, 0, 0, 0, 0, 0, 0, 1, 3])
    2.0
    >>> cvar([0, 1, 2, 3], 0.5)
    2.5
    """
    x = np.sort(np.asarray(samples, dtype=np.float64))[::-1]
    n = x.size
    if n == 0:
        return math.nan
    tail = (1.0 - level) * n
    whole = math.floor(tail + 1e-9)
    total = float(x[:whole].sum())
    frac = tail - whole
    if frac > 1e-9 and whole < n:
        total += frac * float(x[whole])
    return total / tail

"""An adversary's effort as extra cost of the schedule search, by segment and window.

The search (:mod:`convoy.schedule.search`) may take an :class:`AttackCost`: an
extra cost, in expected incidents, of entering edge ``e`` in mode ``md`` during
time window ``w``. Windows are ``window_min`` long and aligned on midnight UTC
(with 24 h windows, the UTC days); window 0 holds the scenario start t0. A
traversal belongs to the window in which its head enters the edge.
:mod:`convoy.adversary` fills it with an attacker's placement of effort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from convoy.errors import ScenarioError


@dataclass(frozen=True, slots=True)
class AttackCost:
    """
    Extra expected incidents of a traversal, by (edge, window, mode).

    Parameters
    ----------
    cost
        float64 (E, W, 2): extra expected incidents of entering edge e in window w
        in mode md (0 normal, 1 clearance), >= 0.
    window_min
        Length of a window, in minutes (> 0).
    """

    cost: NDArray[np.float64]
    window_min: float

    def __post_init__(self) -> None:
        c = self.cost
        if c.ndim != 3 or c.shape[2] != 2 or c.shape[1] < 1:
            msg = f"attack cost: expected an (E, W, 2) array, found shape {c.shape}"
            raise ScenarioError(msg)
        if not (math.isfinite(self.window_min) and self.window_min > 0):
            msg = (
                "attack cost: field 'window_min' expected minutes > 0, "
                f"found {self.window_min}"
            )
            raise ScenarioError(msg)

    @property
    def num_windows(self) -> int:
        """Number of time windows W."""
        return int(self.cost.shape[1])


def window_of_minute(
    minutes: NDArray[np.float64] | float, start_minute_of_day: float, window_min: float
) -> NDArray[np.int64]:
    """
    Window index of times ``minutes`` after t0 (windows aligned on midnight UTC).

    Examples
    --------
    >>> window_of_minute(np.array([0.0, 60.0, 1439.0]), 1380.0, 1440.0).tolist()
    [0, 1, 1]
    """
    m = np.asarray(minutes, dtype=np.float64) + start_minute_of_day
    first = math.floor(start_minute_of_day / window_min + 1e-9)
    return (np.floor(m / window_min + 1e-9) - first).astype(np.int64)


def kernel_arrays(
    attack: AttackCost | None,
    num_edges: int,
    num_steps: int,
    step_min: int,
    start_minute_of_day: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64], int]:
    """
    ``(att, att_win, att_nw)`` as :mod:`convoy.schedule._labels` reads them.

    Without an attack: zeros, so the search adds exactly 0.0 to every traversal.
    """
    if attack is None:
        return (
            np.zeros(2 * max(num_edges, 1)),
            np.zeros(num_steps + 1, dtype=np.int64),
            1,
        )
    if attack.cost.shape[0] != num_edges:
        msg = f"attack cost: expected {num_edges} edges, found {attack.cost.shape[0]}"
        raise ScenarioError(msg)
    nw = attack.num_windows
    pts = np.arange(num_steps + 1, dtype=np.float64) * step_min
    win = np.clip(
        window_of_minute(pts, start_minute_of_day, attack.window_min), 0, nw - 1
    )
    att = np.ascontiguousarray(attack.cost, dtype=np.float64).ravel()
    return att, np.ascontiguousarray(win, dtype=np.int64), nw

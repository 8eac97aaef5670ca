"""The leader-follower game of a convoy and an adversary who places effort.

Model (plain arrays; :mod:`convoy.adversary.search` builds them from schedules)
-------------------------------------------------------------------------------
A *cell* is a road segment in a time window. A defender's pure strategy (a plan,
a *column* of the master problem) ``j`` has a base loss ``b_j`` (what the
schedule search minimises: expected incidents of the static threat field plus the
priced km and crew hours, in expected incidents) and a hit coefficient ``a_jc``
for each cell: 1 per traversal of the segment in that window in normal mode,
``clearance_ied_factor`` in route clearance (the engineers find the rest of the
devices), 0 when the plan does not drive the segment in that window.

The attacker places effort ``x_c`` (devices or ambush positions; one unit costs a
column that passes it one expected incident) with ``sum(x) <= B`` (the budget)
and ``0 <= x_c <= u`` (at most ``u`` on one cell). The loss of plan ``j`` under
``x`` is ``b_j + a_j . x``.

Leader-follower, zero-sum: the defender draws a plan from a distribution ``q``
known to the attacker, who best-responds to ``q`` without knowing the draw. The
defender's optimal ``q`` solves

    min_q  max_x  sum_j q_j (b_j + a_j . x)

and, replacing the inner LP by its dual (``lambda`` for the budget, ``mu_c`` for
the caps), the master LP

    min  sum_j q_j b_j + B lambda + u sum_c mu_c
    s.t. lambda + mu_c >= sum_j q_j a_jc   (every cell c; dual variable x_c)
         sum_j q_j = 1,  q, lambda, mu >= 0.

Its dual is the attacker's maximin LP (``max w`` s.t. ``w <= b_j + a_j . x``),
so the constraint marginals are the attacker's best placement against the mix.
Column generation adds the plan that is best against that placement (the
schedule search with the placement as extra cost); that plan's loss is a lower
bound on the game's value, the master's value an upper bound, and their
difference is the duality gap reported.

The attacker's best response to a given mix is a fractional knapsack with unit
weights: fill the cells by decreasing ``g_c = sum_j q_j a_jc``, ``u`` each,
until the budget is spent (:func:`best_response`). It is optimal: any feasible
``x`` can be moved, unit by unit, from a cell of smaller ``g`` to an unfilled cell
of larger ``g`` without lowering the objective (the exchange argument), and the
greedy is the end point; ``tests/test_adversary.py`` checks it against the LP.

Both LPs are solved by :func:`scipy.optimize.linprog` with HiGHS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from convoy.errors import ConvoyError

#: A cell: (segment, time window).
Cell = tuple[int, int]

#: Coefficients below this are zero (round-off of the LP).
_TINY = 1e-12


@dataclass(frozen=True)
class GameSolution:
    """
    The defender's optimal mix over a set of plans, and the attacker's answer.

    Parameters
    ----------
    value
        The game's value over these plans: the mix's expected loss against the
        attacker's best response.
    mix
        Probability of each plan (sums to 1).
    placement
        The attacker's best response to the mix, effort by cell (cells with none
        are left out).
    """

    value: float
    mix: NDArray[np.float64]
    placement: dict[Cell, float]


def best_response(
    gain: Mapping[Cell, float], budget: float, cap: float
) -> tuple[float, dict[Cell, float]]:
    """
    The attacker's optimal placement against a known mix: the greedy.

    Parameters
    ----------
    gain
        ``g_c``: expected hits per unit of effort on each cell (>= 0).
    budget
        Total effort B (>= 0).
    cap
        Largest effort on one cell u (> 0).

    Returns
    -------
    (gain, placement)
        The attacker's total gain ``sum(g_c x_c)`` and ``x`` (cells with effort).
        Ties are broken by cell, so the answer is deterministic.

    Examples
    --------
    >>> best_response({(0, 0): 0.5, (1, 0): 1.0, (2, 0): 0.2}, 1.5, 1.0)
    (1.25, {(1, 0): 1.0, (0, 0): 0.5})
    """
    left = float(budget)
    total = 0.0
    out: dict[Cell, float] = {}
    for c, g in sorted(gain.items(), key=lambda kv: (-kv[1], kv[0])):
        if left <= _TINY or g <= _TINY:
            break
        x = min(cap, left)
        out[c] = x
        total += g * x
        left -= x
    return total, out


def worst_case(hits: Mapping[Cell, float], budget: float, cap: float) -> float:
    """
    Extra loss of one plan whose cells the attacker knows (the "plan leaked" risk).

    The Bertsimas-Sim worst case: the budget on the plan's most exposed cells.
    """
    return best_response(hits, budget, cap)[0]


def solve_master(
    base: Sequence[float],
    hits: Sequence[Mapping[Cell, float]],
    budget: float,
    cap: float,
) -> GameSolution:
    """
    The defender's optimal mix over the plans given (the master LP).

    Parameters
    ----------
    base
        ``b_j`` of each plan.
    hits
        ``a_jc`` of each plan, by cell (cells the plan does not drive left out).
    budget, cap
        The attacker's total effort B and largest effort on one cell u.

    Returns
    -------
    GameSolution
    """
    nj = len(base)
    cells = sorted({c for h in hits for c in h})
    nc = len(cells)
    idx = {c: i for i, c in enumerate(cells)}
    # variables: q (nj), lambda, mu (nc)
    cost = np.concatenate((np.asarray(base, dtype=np.float64), [budget], [cap] * nc))
    a_ub = np.zeros((nc, nj + 1 + nc))
    for j, h in enumerate(hits):
        for c, a in h.items():
            a_ub[idx[c], j] = a
    a_ub[:, nj] = -1.0
    a_ub[np.arange(nc), nj + 1 + np.arange(nc)] = -1.0
    a_eq = np.zeros((1, nj + 1 + nc))
    a_eq[0, :nj] = 1.0
    res = linprog(
        cost,
        A_ub=a_ub if nc else None,
        b_ub=np.zeros(nc) if nc else None,
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        msg = f"game: the master LP failed: {res.message}"
        raise ConvoyError(msg)
    q = np.clip(res.x[:nj], 0.0, None)
    q = q / q.sum()
    marg = -np.asarray(res.ineqlin.marginals) if nc else np.zeros(0)
    placement = {cells[i]: float(x) for i, x in enumerate(marg) if x > 1e-9}
    return GameSolution(float(res.fun), q, placement)


def matrix_game(loss: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    """
    Value and the row player's optimal mix of a zero-sum matrix game.

    The row player (defender) minimises ``q . loss[:, k]`` against the worst column
    ``k`` (attacker's pure strategy): ``min v`` s.t. ``loss^T q <= v``,
    ``sum(q) = 1``, ``q >= 0``, by LP (HiGHS).

    Examples
    --------
    >>> v, q = matrix_game(np.array([[0.0, 1.0], [1.0, 0.0]]))
    >>> round(v, 6), q.round(6).tolist()
    (0.5, [0.5, 0.5])
    """
    m, k = loss.shape
    cost = np.zeros(m + 1)
    cost[m] = 1.0
    a_ub = np.hstack((loss.T, -np.ones((k, 1))))
    a_eq = np.zeros((1, m + 1))
    a_eq[0, :m] = 1.0
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.zeros(k),
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=[(0, None)] * m + [(None, None)],
        method="highs",
    )
    if res.status != 0:
        msg = f"game: the matrix game LP failed: {res.message}"
        raise ConvoyError(msg)
    return float(res.fun), np.clip(res.x[:m], 0.0, None)

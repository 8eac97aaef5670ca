"""An adversary who reads the plan: the leader-follower game, robust and mixed plans.

:mod:`convoy.adversary.game` holds the LPs over plain arrays (master, best
response, matrix game); :mod:`convoy.adversary.search` generates the plans with the
exact schedule search; :mod:`convoy.adversary.risk` the tail measure (CVaR).
"""

from convoy.adversary.game import (
    Cell,
    GameSolution,
    best_response,
    matrix_game,
    solve_master,
    worst_case,
)
from convoy.adversary.risk import cvar
from convoy.adversary.search import (
    Attacker,
    Column,
    MixedStrategy,
    RobustPlan,
    SearchRequest,
    default_budget,
    handful,
    mixed_strategy,
    robust_plan,
    schedule_hits,
    trajectory_hits,
)

__all__ = [
    "Attacker",
    "Cell",
    "Column",
    "GameSolution",
    "MixedStrategy",
    "RobustPlan",
    "SearchRequest",
    "best_response",
    "cvar",
    "default_budget",
    "handful",
    "matrix_game",
    "mixed_strategy",
    "robust_plan",
    "schedule_hits",
    "solve_master",
    "trajectory_hits",
    "worst_case",
]

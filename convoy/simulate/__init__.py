"""Monte Carlo of a plan: incidents, breakdowns, recovery, losses and arrival."""

from convoy.simulate.montecarlo import (
    MAX_RUNS,
    SimulationResult,
    count_stats,
    simulate_plan,
    value_stats,
)

__all__ = [
    "MAX_RUNS",
    "SimulationResult",
    "count_stats",
    "simulate_plan",
    "value_stats",
]

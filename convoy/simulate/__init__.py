"""Monte Carlo of a plan: incidents, breakdowns, recovery, losses and arrival."""

from convoy.simulate.histograms import (
    count_histogram,
    delay_histogram,
    result_histograms,
)
from convoy.simulate.montecarlo import (
    MAX_RUNS,
    SimulationResult,
    count_stats,
    simulate_column,
    value_stats,
)
from convoy.simulate.records import (
    MAX_EXPECTED,
    ColumnVehicle,
    PlannedVehicle,
    TripExposure,
)

__all__ = [
    "MAX_EXPECTED",
    "MAX_RUNS",
    "ColumnVehicle",
    "PlannedVehicle",
    "SimulationResult",
    "TripExposure",
    "count_histogram",
    "count_stats",
    "delay_histogram",
    "result_histograms",
    "simulate_column",
    "value_stats",
]

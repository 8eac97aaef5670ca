"""Timing of the withdrawal: exposure model, trajectories, time-expanded search."""

from convoy.schedule.costs import ColumnCosts, column_costs, column_gaps_min
from convoy.schedule.exposure import (
    MODES,
    ExposureModel,
    build_exposure_model,
    column_lengths_km,
    column_surface_speeds,
)
from convoy.schedule.search import Schedule, ScheduleLeg, plan_schedule
from convoy.schedule.trajectory import (
    Exposure,
    Halt,
    Leg,
    Trajectory,
    edge_path_nodes,
    paced_trajectory,
    trajectory_exposure,
)

__all__ = [
    "MODES",
    "ColumnCosts",
    "Exposure",
    "ExposureModel",
    "Halt",
    "Leg",
    "Schedule",
    "ScheduleLeg",
    "Trajectory",
    "build_exposure_model",
    "column_costs",
    "column_gaps_min",
    "column_lengths_km",
    "column_surface_speeds",
    "edge_path_nodes",
    "paced_trajectory",
    "plan_schedule",
    "trajectory_exposure",
]

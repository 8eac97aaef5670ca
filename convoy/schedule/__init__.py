"""Timing of the withdrawal: the exposure model and the time-expanded search."""

from convoy.schedule.exposure import (
    MODES,
    Exposure,
    ExposureModel,
    Halt,
    Leg,
    Trajectory,
    build_exposure_model,
    column_lengths_km,
    column_surface_speeds,
    paced_trajectory,
    trajectory_exposure,
)
from convoy.schedule.search import (
    Schedule,
    ScheduleLeg,
    plan_scenario_schedule,
    plan_schedule,
    scenario_exposure_model,
)

__all__ = [
    "MODES",
    "Exposure",
    "ExposureModel",
    "Halt",
    "Leg",
    "Schedule",
    "ScheduleLeg",
    "Trajectory",
    "build_exposure_model",
    "column_lengths_km",
    "column_surface_speeds",
    "paced_trajectory",
    "plan_scenario_schedule",
    "plan_schedule",
    "scenario_exposure_model",
    "trajectory_exposure",
]

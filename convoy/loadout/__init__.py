"""Loads: which lots ride on which vehicle, which vehicles move, what is left (CP-SAT)."""

from convoy.loadout.model import (
    DISPOSITIONS,
    VEHICLE_STATUSES,
    LoadPlan,
    LotDecision,
    RiskTable,
    VehicleDecision,
    choose_loadout,
    evaluate_greedy_loadout,
)

__all__ = [
    "DISPOSITIONS",
    "VEHICLE_STATUSES",
    "LoadPlan",
    "LotDecision",
    "RiskTable",
    "VehicleDecision",
    "choose_loadout",
    "evaluate_greedy_loadout",
]

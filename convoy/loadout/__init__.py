"""Loads: which lots ride on which vehicle, which vehicles move, what is left (CP-SAT).

``instance.py`` holds the camp as arrays, ``greedy.py`` the greedy plan,
``model.py`` the aggregate CP-SAT model and its solve loop, ``packing.py`` the
per-vehicle packing (with the ``_pack.py`` kernel), ``result.py`` the decisions and
``risk_table.py`` the risk table they trade against.
"""

from convoy.loadout.greedy import evaluate_greedy_loadout
from convoy.loadout.model import choose_loadout
from convoy.loadout.result import (
    DISPOSITIONS,
    VEHICLE_STATUSES,
    LoadPlan,
    LotDecision,
    VehicleDecision,
)
from convoy.loadout.risk_table import RiskTable

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

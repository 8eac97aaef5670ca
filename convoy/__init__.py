"""
convoy: plan the withdrawal of a force by road convoy through contested ground.

The public API: read a scenario, plan, write the outputs, read plan.json back.

>>> import convoy  # doctest: +SKIP
>>> scenario = convoy.read_scenario("kidal-gao")  # doctest: +SKIP
>>> plan = convoy.plan_withdrawal(scenario, runs=10_000)  # doctest: +SKIP
>>> doc = convoy.write_outputs(plan, "plan", overwrite=True)  # doctest: +SKIP
>>> again = convoy.PlanDocument.read("plan/plan.json")  # doctest: +SKIP
>>> again.summary.expected_incidents  # doctest: +SKIP

Everything but the errors is imported on first use, so ``import convoy`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from convoy._version import __version__
from convoy.errors import (
    ConvoyError,
    DataQualityWarning,
    GeodataError,
    InfeasibleError,
    NoRouteError,
    ScenarioError,
)

if TYPE_CHECKING:  # the lazy names below, for type checkers and editors
    from convoy.document import PlanDocument
    from convoy.events import ThreatEvents
    from convoy.io.scenario import read_scenario
    from convoy.outputs.folder import write_outputs
    from convoy.plan import Plan, plan_withdrawal, simulate_plan
    from convoy.roads.network import RoadNetwork
    from convoy.scenario import Lot, Scenario, Site, Vehicle
    from convoy.simulate import SimulationResult

#: Public name -> module that defines it (imported on first access).
_LAZY: dict[str, str] = {
    "read_scenario": "convoy.io.scenario",
    "plan_withdrawal": "convoy.plan",
    "simulate_plan": "convoy.plan",
    "Plan": "convoy.plan",
    "write_outputs": "convoy.outputs.folder",
    "PlanDocument": "convoy.document",
    "SimulationResult": "convoy.simulate",
    "Scenario": "convoy.scenario",
    "Site": "convoy.scenario",
    "Vehicle": "convoy.scenario",
    "Lot": "convoy.scenario",
    "ThreatEvents": "convoy.events",
    "RoadNetwork": "convoy.roads.network",
}

__all__ = [
    "ConvoyError",
    "DataQualityWarning",
    "GeodataError",
    "InfeasibleError",
    "Lot",
    "NoRouteError",
    "Plan",
    "PlanDocument",
    "RoadNetwork",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Site",
    "ThreatEvents",
    "Vehicle",
    "__version__",
    "plan_withdrawal",
    "read_scenario",
    "simulate_plan",
    "write_outputs",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'convoy' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, including the lazy ones."""
    return sorted(set(globals()) | set(__all__))

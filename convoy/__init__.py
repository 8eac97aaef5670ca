"""convoy: plan the withdrawal of a force by road convoy through contested ground."""

from convoy.errors import (
    ConvoyError,
    DataQualityWarning,
    GeodataError,
    InfeasibleError,
    NoRouteError,
    ScenarioError,
)

__version__ = "0.1.0"

__all__ = [
    "ConvoyError",
    "DataQualityWarning",
    "GeodataError",
    "InfeasibleError",
    "NoRouteError",
    "ScenarioError",
    "__version__",
]

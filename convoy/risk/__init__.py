"""The risk field: Gaussian kernel sums over past threat events, and road tables."""

from convoy.risk.edges import EdgeRisk, edge_risk, edge_samples
from convoy.risk.field import (
    CHANNELS,
    RiskChannel,
    RiskField,
    raster_grid,
    risk_field_from_events,
)
from convoy.risk.kernels import cutoff_factor, kernel_at, kernel_raster

__all__ = [
    "CHANNELS",
    "EdgeRisk",
    "RiskChannel",
    "RiskField",
    "cutoff_factor",
    "edge_risk",
    "edge_samples",
    "kernel_at",
    "kernel_raster",
    "raster_grid",
    "risk_field_from_events",
]

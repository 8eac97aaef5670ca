"""The risk field: sums of Gaussian kernels over past threat events.

The package exports the kernel sums only, so that importing it stays cheap (the
first-call benchmark times the import); the field is in :mod:`convoy.risk.field`
(:class:`~convoy.risk.field.RiskField`, :func:`~convoy.risk.field.
risk_field_from_events`, :func:`~convoy.risk.field.raster_grid`) and its tables
along the roads in :mod:`convoy.risk.edges` (:class:`~convoy.risk.edges.EdgeRisk`,
:func:`~convoy.risk.edges.edge_risk`).
"""

from convoy.risk.kernels import cutoff_factor, kernel_at, kernel_raster

__all__ = ["cutoff_factor", "kernel_at", "kernel_raster"]

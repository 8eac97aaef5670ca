"""The risk field: sums of Gaussian kernels over past threat events."""

from convoy.risk.kernels import cutoff_factor, kernel_at, kernel_raster

__all__ = ["cutoff_factor", "kernel_at", "kernel_raster"]

"""The human-readable report: report.html and its PNG charts (matplotlib, Agg)."""

from convoy.report.html import write_report

__all__ = ["write_report"]

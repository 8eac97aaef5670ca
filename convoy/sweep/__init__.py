"""Sweeps: many plans over a grid of scenario parameters and threat draws, on Dask.

:func:`run_sweep` plans every combination of a :class:`SweepSpec` as a task on
``dask.distributed`` (or in this process), keeps one crash-safe part per finished
combination so that a rerun resumes, and writes the table (Parquet), the summary
(CSV) and the page (HTML) as one set.
"""

from convoy.sweep.run import (
    LOCAL,
    SUMMARY_FILE,
    SYNCHRONOUS,
    TABLE_FILE,
    SweepResult,
    output_files,
    prepare,
    run_sweep,
)
from convoy.sweep.spec import SweepSpec, parse_grid, read_sweep_file
from convoy.sweep.table import read_table
from convoy.sweep.task import OUTCOMES, run_combination

__all__ = [
    "LOCAL",
    "OUTCOMES",
    "SUMMARY_FILE",
    "SYNCHRONOUS",
    "TABLE_FILE",
    "SweepResult",
    "SweepSpec",
    "output_files",
    "parse_grid",
    "prepare",
    "read_sweep_file",
    "read_table",
    "run_combination",
    "run_sweep",
]

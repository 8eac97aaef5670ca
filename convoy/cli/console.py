"""The console the human summaries are printed on (stdout)."""

from __future__ import annotations

import os

from rich.console import Console

#: Width of the summary when stdout is neither a terminal nor sized by COLUMNS.
PIPE_WIDTH = 120


def summary_console(*, highlight: bool = True) -> Console:
    """
    stdout, as wide as the terminal or ``COLUMNS``; else :data:`PIPE_WIDTH`.

    Every summary fits in 80 columns (cells wrap, they are never cut), so a
    narrower ``COLUMNS`` only wraps text.
    """
    probe = Console(highlight=highlight)
    if probe.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return probe
    return Console(width=PIPE_WIDTH, highlight=highlight)

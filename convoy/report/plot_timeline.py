"""The march timeline: each march unit's movement and halts against time."""

from __future__ import annotations

import itertools
from pathlib import Path

from matplotlib.patches import Patch

from convoy.document import MarchTableRow, PlanDocument
from convoy.report._common import (
    day_numbers,
    new_figure,
    save,
    utc_time_axis,
)


def plot_march_timeline(doc: PlanDocument, path: Path) -> Path:
    """
    Draw one row per march unit: on the move (green) and halted (blue), in UTC.

    Each unit moves from its head arrival at one checkpoint to its head arrival at
    the next; at a halt site it waits until ``halt_until``.

    Parameters
    ----------
    doc
        The plan document (its ``march_table``).
    path
        PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    units: dict[str, list[MarchTableRow]] = {}
    for r in doc.march_table:
        units.setdefault(r.unit, []).append(r)
    names = list(units)
    fig = new_figure(10.0, 1.6 + 0.45 * max(len(names), 1))
    ax = fig.subplots()
    for y, name in enumerate(names):
        seq = sorted(
            units[name],
            key=lambda r: (float(r.km), r.head_arrival),
        )
        # one collection of bars per unit and state: few artists to draw and for
        # the legend to avoid
        moving = []
        for a, b in itertools.pairwise(seq):
            start, end = day_numbers([a.halt_until or a.head_arrival, b.head_arrival])
            if end > start:
                moving.append((start, end - start))
        halted = []
        for r in seq:
            if r.halt_until:
                s, e = day_numbers([r.head_arrival, r.halt_until])
                halted.append((s, e - s))
                ax.annotate(r.checkpoint, (s, y + 0.32), fontsize=7)
        if moving:
            ax.broken_barh(moving, (y - 0.3, 0.6), color="#41ab5d")
        if halted:
            ax.broken_barh(halted, (y - 0.3, 0.6), color="#2171b5")
    ax.set_yticks(
        range(len(names)),
        labels=[f"{n} ({units[n][0].serial})" for n in names],
    )
    ax.invert_yaxis()
    utc_time_axis(ax)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("march unit (serial)")
    ax.set_title("March timeline: march units on the move and halted")
    ax.legend(
        handles=[
            Patch(color="#41ab5d", label="moving"),
            Patch(color="#2171b5", label="halted"),
        ],
        # outside, right of the axes: never over a bar, and no search for a place
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
    )
    ax.grid(True, axis="x", lw=0.3, alpha=0.5)
    return save(fig, path)

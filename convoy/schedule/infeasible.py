"""Why no schedule fits: the earliest feasible arrival and the rule that binds.

When the search of :mod:`convoy.schedule.search` finds no schedule by the deadline,
a forward earliest-arrival search (risk ignored, deadline pushed back by up to
``EXTRA_DAYS``) names the earliest feasible arrival, and the same search with the
daily driving limit, then the movement windows, lifted says which of them binds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from convoy.params import MovementParams
from convoy.schedule import _labels
from convoy.schedule.exposure import ExposureModel
from convoy.schedule.tables import SearchGraph, step_tables

#: Days past the deadline the earliest-arrival search looks when nothing fits.
EXTRA_DAYS = 14


def fmt_time(minutes: float, start: datetime | None) -> str:
    """``minutes`` after t0 as a UTC time, or as minutes when t0 is unknown."""
    if start is None:
        return f"{minutes:g} min after start"
    t = start + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%MZ")


def _earliest_arrival_step(
    model: ExposureModel,
    g: SearchGraph,
    movement: MovementParams,
    origin: int,
    destination: int,
    earliest: int,
    latest: int,
    num_steps: int,
) -> int:
    tab = step_tables(model, movement, num_steps, int(g.tail.max(initial=0)))
    scratch = np.empty((num_steps + 1) * model.num_nodes, dtype=np.int64)
    return int(
        _labels._earliest_arrival(
            origin,
            destination,
            earliest,
            latest,
            model.num_nodes,
            g.indptr,
            g.indices,
            g.adj_edge,
            g.can_halt,
            num_steps,
            g.dur,
            g.tail,
            int(movement.daily_driving_limit_h < 24.0),
            tab.daycum,
            tab.run_end,
            tab.dayidx,
            tab.nextmid,
            tab.hmax,
            scratch,
        )
    )


def infeasible_message(
    model: ExposureModel,
    g: SearchGraph,
    movement: MovementParams,
    origin: int,
    destination: int,
    earliest: int,
    latest: int,
    num_steps: int,
    start: datetime | None,
    o_name: str,
    d_name: str,
) -> str:
    """The message of the InfeasibleError when no schedule meets the deadline."""
    step = movement.step_min
    ext = num_steps + int(EXTRA_DAYS * 1440 // step)
    found = _earliest_arrival_step(
        model, g, movement, origin, destination, earliest, max(latest, earliest), ext
    )
    wins = ", ".join(f"{a}-{b}" for a, b in movement.windows)
    head = (
        f"no schedule reaches {d_name} by {fmt_time(num_steps * step, start)} "
        f"within the movement windows {wins} and "
        f"{movement.daily_driving_limit_h:g} h driving a day, leaving {o_name} "
        f"no earlier than {fmt_time(earliest * step, start)}"
    )
    if found < 0:
        tail = (
            f"; nothing arrives even {EXTRA_DAYS} days later: no route can be driven "
            f"from halt to halt with the whole column (its pass time included) "
            f"inside the movement windows and the daily limit"
        )
    else:
        tail = f"; the earliest feasible arrival is {fmt_time(found * step, start)}"
    # which hard rule binds: relax each alone and see whether the deadline is met
    relaxed = []
    for label, variant in (
        ("the daily driving limit", replace(movement, daily_driving_limit_h=24.0)),
        ("the movement windows", replace(movement, windows=(("00:00", "24:00"),))),
    ):
        got = _earliest_arrival_step(
            model,
            g,
            variant,
            origin,
            destination,
            earliest,
            max(latest, earliest),
            num_steps,
        )
        if got >= 0:
            relaxed.append(
                f"without {label} it would arrive {fmt_time(got * step, start)}"
            )
    if relaxed:
        tail += " (" + "; ".join(relaxed) + ")"
    return head + tail

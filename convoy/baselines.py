"""The simple plans every optimised plan is reported beside.

Same model, same numbers: each baseline is a trajectory priced by the same exposure
model (:func:`convoy.schedule.trajectory_exposure`) as the optimised plan.

- ``depart_at_once``: leave as soon as the destruction work allows and drive every
  movement window to arrive as early as possible (the fastest schedule), on the
  fastest route, with the optimised plan's column.
- ``daylight_only``: the same, but moving only in daylight (``day_start`` to
  ``day_end``), with the optimised plan's column.
- ``historical``: the observed trip the risk is calibrated to (leave Kidal on the
  morning of 31 October, reach Gao on the night of 7 November, every vehicle, the
  main axis), rebuilt as a paced profile.

The fastest schedule is found with the same exact search as the optimised one, by
pricing time instead of risk: with every channel set to zero but a unit "ambush"
per hour (moving or halted) and a column of unit length, the search's cost is
elapsed hours, and with the departure pinned to the earliest step it returns the
earliest arrival that respects the windows, the daily driving limit and the halt
sites -- "drive every window".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from convoy.errors import InfeasibleError
from convoy.params import MovementParams
from convoy.schedule import (
    Exposure,
    ExposureModel,
    Trajectory,
    plan_schedule,
    trajectory_exposure,
)
from convoy.times import parse_hhmm

#: Baselines in the order reports show them.
BASELINE_NAMES: tuple[str, ...] = ("depart_at_once", "daylight_only", "historical")


@dataclass(frozen=True, slots=True)
class PricedTrip:
    """A trajectory of one column with its exposure."""

    trajectory: Trajectory
    exposure: Exposure


def time_model(model: ExposureModel) -> ExposureModel:
    """
    The model whose expected "incidents" are the column's elapsed hours.

    Moving cost is ``edge_ambush * (L / v)`` per leg; with ``edge_ambush`` equal to
    the edge length in km times the halt exposure factor, ``L = 1`` and flat
    profiles it is that factor times the leg's hours. A halt costs
    ``node_ambush * factor * L * hours``, the same factor times hours with
    ``node_ambush = 1``. So every schedule costs ``factor * (arrival - departure)``.
    """
    hf = model.halt_exposure_factor
    return dataclasses.replace(
        model,
        edge_ied=np.zeros_like(model.edge_ied),
        edge_ambush=model.edge_length_m / 1000.0 * hf,
        node_ambush=np.ones_like(model.node_ambush),
        column_day_km=1.0,
        column_night_km=1.0,
        diurnal_ied=np.ones(24),
        diurnal_ambush=np.ones(24),
    )


def fastest_trip(
    model: ExposureModel,
    origin: int,
    destination: int,
    *,
    horizon_min: float,
    movement: MovementParams,
    depart_min: float,
) -> PricedTrip:
    """
    Leave at ``depart_min`` and arrive as early as the rules allow; priced by ``model``.

    Raises
    ------
    InfeasibleError
        If even the fastest schedule misses the deadline (the message names the
        earliest feasible arrival).
    """
    # the first whole step at or after depart_min: the search counts in steps
    step = movement.step_min
    depart = math.ceil(depart_min / step - 1e-9) * step
    fast = plan_schedule(
        time_model(model),
        origin,
        destination,
        horizon_min=horizon_min,
        movement=movement,
        earliest_depart_min=depart,
        latest_depart_min=depart,
    )
    traj = fast.trajectory()
    return PricedTrip(traj, trajectory_exposure(model, traj.legs, traj.halts))


def daylight_movement(movement: MovementParams) -> MovementParams:
    """
    The same movement rules with each window cut to daylight.

    Raises
    ------
    InfeasibleError
        If no window overlaps daylight.
    """
    d0, d1 = parse_hhmm(movement.day_start), parse_hhmm(movement.day_end)
    cut = []
    for a, b in movement.window_minutes():
        lo, hi = max(a, d0), min(b, d1)
        if hi > lo:
            cut.append(
                (f"{lo // 60:02d}:{lo % 60:02d}", f"{hi // 60:02d}:{hi % 60:02d}")
            )
    if not cut:
        msg = (
            f"daylight only: no movement window overlaps daylight "
            f"{movement.day_start}-{movement.day_end}"
        )
        raise InfeasibleError(msg)
    return dataclasses.replace(movement, windows=tuple(cut))

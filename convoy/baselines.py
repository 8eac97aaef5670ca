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
from collections.abc import Mapping
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
from convoy.schedule.search import SearchSize, search_size
from convoy.times import parse_hhmm

#: Baselines in the order reports show them.
BASELINE_NAMES: tuple[str, ...] = ("depart_at_once", "daylight_only", "historical")


@dataclass(frozen=True, slots=True)
class PricedTrip:
    """A trajectory of one column with its exposure."""

    trajectory: Trajectory
    exposure: Exposure


@dataclass(frozen=True)
class Trip:
    """
    One column's trip, priced: the optimised plan or a baseline.

    Parameters
    ----------
    name
        ``"optimised"`` or a baseline name.
    vehicle_ids
        Vehicles of the column (towed ones included).
    model
        The exposure model that priced it.
    trip
        Trajectory and exposure.
    value_carried, value_left_behind
        Value of the lots carried plus the vehicles moved, and of everything
        left, in US dollars.
    note
        Why it is what it is, in words, when that needs saying.
    """

    name: str
    vehicle_ids: tuple[str, ...]
    model: ExposureModel
    trip: PricedTrip
    value_carried: float
    value_left_behind: float
    note: str = ""


def priced_trip(
    name: str,
    model: ExposureModel,
    trajectory: Trajectory,
    vehicle_ids: tuple[str, ...],
    values: tuple[float, float],
    note: str = "",
) -> Trip:
    """
    A trip priced by ``model``.

    ``values`` is (value carried including the vehicles moved, value left behind),
    in US dollars.
    """
    exp = trajectory_exposure(model, trajectory.legs, trajectory.halts)
    return Trip(
        name,
        vehicle_ids,
        model,
        PricedTrip(trajectory, exp),
        values[0],
        values[1],
        note,
    )


def time_model(model: ExposureModel) -> ExposureModel:
    """
    The model whose expected "incidents" are the column's elapsed hours.

    Moving cost is ``edge_ambush * (L / v)`` per leg; with ``edge_ambush`` equal to
    the edge length in km times the halt exposure factor, ``L = 1`` and flat
    profiles it is that factor times the leg's hours. A halt costs
    ``node_ambush * factor * L * hours``, the same factor times hours with
    ``node_ambush = 1`` (``1 / roadside_halt_factor`` where the column may only halt
    at the roadside). So every schedule costs ``factor * (arrival - departure)``;
    the price of km and hours is set to zero.
    """
    hf = model.halt_exposure_factor
    # a roadside halt costs roadside_halt_factor times a laager's per unit of
    # node_ambush: divide it out, so an hour costs the same wherever it is spent
    roadside = max(1.0, model.roadside_halt_factor)
    return dataclasses.replace(
        model,
        edge_ied=np.zeros_like(model.edge_ied),
        edge_ambush=model.edge_length_m / 1000.0 * hf,
        node_ambush=np.where(model.node_can_halt, 1.0, 1.0 / roadside),
        breakdown_price=0.0,
        fuel_price_l=0.0,
        crew_hour_price=0.0,
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
        costs_read="best",
    )
    traj = fast.trajectory()
    return PricedTrip(traj, trajectory_exposure(model, traj.legs, traj.halts))


def fast_baseline_sizes(
    model: ExposureModel,
    origin: int,
    destination: int,
    *,
    horizon_min: float,
    movement: MovementParams,
    depart_min: float,
) -> list[tuple[str, SearchSize]]:
    """
    The sizes of the searches of :func:`fast_baselines` (same arguments), by name.

    Counted as their state-limit checks count them
    (:func:`convoy.schedule.search.search_size`), so that a plan can be refused
    before any of its searches runs; a baseline with no daylight window is left
    out (:func:`fast_baselines` notes it).
    """
    step = movement.step_min
    depart = math.ceil(depart_min / step - 1e-9) * step
    out: list[tuple[str, SearchSize]] = []
    for name in ("depart_at_once", "daylight_only"):
        try:
            rules = (
                movement if name == "depart_at_once" else daylight_movement(movement)
            )
        except InfeasibleError:
            continue
        size = search_size(
            time_model(model),
            origin,
            destination,
            horizon_min=horizon_min,
            movement=rules,
            earliest_depart_min=depart,
            latest_depart_min=depart,
            costs_read="best",
        )
        out.append((f"for the {name} baseline", size))
    return out


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


def fast_baselines(
    model: ExposureModel,
    origin: int,
    destination: int,
    *,
    horizon_min: float,
    movement: MovementParams,
    depart_min: float,
    vehicle_ids: tuple[str, ...],
    values: tuple[float, float],
) -> tuple[dict[str, Trip], list[str]]:
    """
    The ``depart_at_once`` and ``daylight_only`` baselines of the optimised column.

    Parameters
    ----------
    model
        The optimised column's exposure model.
    origin, destination
        Node ids.
    horizon_min
        Minutes from the start to the deadline.
    movement
        The scenario's movement rules (cut to daylight for ``daylight_only``).
    depart_min
        Earliest departure, minutes after the start (destruction work).
    vehicle_ids, values
        The column and its (carried, left behind) values, as in :class:`Trip`.

    Returns
    -------
    tuple
        The baselines that meet the deadline, by name, and a note for each that
        does not.
    """
    trips: dict[str, Trip] = {}
    notes: list[str] = []
    for name, rules in (
        ("depart_at_once", movement),
        ("daylight_only", daylight_movement(movement)),
    ):
        try:
            fast = fastest_trip(
                model,
                origin,
                destination,
                horizon_min=horizon_min,
                movement=rules,
                depart_min=depart_min,
            )
            trips[name] = priced_trip(name, model, fast.trajectory, vehicle_ids, values)
        except InfeasibleError as exc:
            notes.append(f"{name}: no such schedule meets the deadline ({exc})")
    return trips, notes


def baseline_notes(
    optimised: Trip, baselines: Mapping[str, Trip], incident_usd: float
) -> list[str]:
    """
    Why a baseline looks better than the optimised plan on one count, in words.

    A baseline with fewer expected incidents moves another column or ignores a
    rule the plan keeps; one that leaves less behind takes more risk than the
    price of an incident (``incident_usd``, US dollars) pays for.
    """
    notes: list[str] = []
    opt = optimised
    for name in BASELINE_NAMES:
        if name not in baselines:
            continue
        b = baselines[name]
        if opt.trip.exposure.total > b.trip.exposure.total + 1e-12:
            notes.append(
                f"{name}: fewer expected incidents ({b.trip.exposure.total:.2f} "
                f"against {opt.trip.exposure.total:.2f}) because it moves a different "
                "column or ignores a rule the plan keeps (halt sites, windows)"
            )
        if b.value_left_behind + 1e-6 < opt.value_left_behind:
            notes.append(
                f"{name}: leaves less behind (${b.value_left_behind:,.0f} against "
                f"${opt.value_left_behind:,.0f}) by moving every vehicle, at "
                f"{b.trip.exposure.total:.2f} expected incidents against "
                f"{opt.trip.exposure.total:.2f}: at "
                f"${incident_usd:,.0f} per incident the extra value is "
                "not worth the extra risk"
            )
    return notes


def driving_hours_by_day(
    trajectory: Trajectory, start_minute_of_day: float
) -> list[float]:
    """Hours the column's head drives on each UTC day the trajectory spans."""
    hours: dict[int, float] = {}
    for leg in trajectory.legs:
        a, b = (
            leg.depart_min + start_minute_of_day,
            leg.arrive_min + start_minute_of_day,
        )
        while b > a:
            day = math.floor(a / 1440.0)
            end = min(b, (day + 1) * 1440.0)
            hours[day] = hours.get(day, 0.0) + (end - a) / 60.0
            a = end
    return [hours[d] for d in sorted(hours)]


def historical_notes(
    trajectory: Trajectory,
    *,
    start_minute_of_day: float,
    daily_limit_h: float,
    mode: str,
    pace_kph: float | None,
    distance_km: float,
) -> list[str]:
    """
    What the historical reconstruction does that a plan may not, in words.

    It is history, not a plan: it may drive more than the daily driving limit
    (``daily_limit_h``) and moves in the mode the column moved in; the note says
    so, with its pace against the pace reported (``pace_kph``) when one was.
    """
    notes: list[str] = []
    days = driving_hours_by_day(trajectory, start_minute_of_day)
    over = [h for h in days if h > daily_limit_h + 1e-9]
    if over:
        notes.append(
            f"historical: the reconstruction drives up to {max(days):.1f} h a day "
            f"on {len(over)} of the {len(days)} days it moved, "
            f"beyond the {daily_limit_h:g} h "
            "daily driving limit the plans keep: it is what the column did, "
            "paced through its waypoints, not a plan"
        )
    moving_h = sum(days)
    if moving_h > 0:
        pace = distance_km / moving_h
        said = f" (reported: {pace_kph:g} km/h)" if pace_kph is not None else ""
        notes.append(
            f"historical: priced in {mode} mode at its paced speed, "
            f"{pace:.1f} km/h on average while moving{said}"
        )
    return notes

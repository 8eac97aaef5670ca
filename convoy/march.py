"""The road movement table: march units, serials, intervals, pass times, checkpoints.

The column is cut into march units of at most ``march_unit_max`` vehicles, grouped
into serials of ``march_units_per_serial`` units (FM 55-30, ch. 5, "Organization of a
convoy"). Each march unit follows the head of the column along the same road, at the
same speeds and with the same halts, delayed by the pass times of the units ahead of
it plus the time gaps between them. The formulas are FM 55-30's:

- density (vehicles per km) = 1000 / (vehicle interval m + mean vehicle length m);
- pass time of a unit (min) = vehicles * 60 / (density * speed km/h);
- column pass time (min) = sum of unit pass times + (units - 1) * march unit gap
  + (serials - 1) * extra serial gap;
- arrival of a unit's head at a point = the column head's arrival + the unit's offset
  (the pass times and gaps of the units ahead), and its tail clears the point one
  unit pass time after its head arrives (FM 4-01.011, road movement table).

The interval is the open-column figure by day and the close-column figure by night
(``MovementParams.interval_day_m`` / ``interval_night_m``); the speed is the one the
head of the column has on the leg that contains the point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from convoy.params import MovementParams
from convoy.times import parse_hhmm


@dataclass(frozen=True, slots=True)
class MarchUnit:
    """
    One march unit of the column.

    Parameters
    ----------
    name
        ``"MU01"``, ``"MU02"``, ... in order of march.
    serial
        ``"S1"``, ``"S2"``, ...
    vehicle_ids
        Vehicles in the unit, in order of march.
    length_m
        Road space of the unit by day, in metres (vehicles plus intervals).
    offset_min
        Minutes between the column head passing a point and this unit's head
        passing it, at the reference speed (the pass times and gaps ahead of it).
    """

    name: str
    serial: str
    vehicle_ids: tuple[str, ...]
    length_m: float
    offset_min: float


@dataclass(frozen=True, slots=True)
class MarchRow:
    """One line of the road movement table: a march unit at a checkpoint."""

    unit: str
    serial: str
    checkpoint: str
    kind: str
    km: float
    head_arrival_min: float
    tail_clearance_min: float
    pass_time_min: float
    halt_until_min: float | None


def is_daylight(
    t_min: float, start_minute_of_day: int, movement: MovementParams
) -> bool:
    """Whether minute ``t_min`` after the scenario start is inside daylight (UTC)."""
    minute = (start_minute_of_day + t_min) % 1440.0
    return parse_hhmm(movement.day_start) <= minute < parse_hhmm(movement.day_end)


def pass_time_min(
    num_vehicles: int, mean_length_m: float, interval_m: float, speed_kph: float
) -> float:
    """
    Pass time of a group of vehicles, in minutes (FM 55-30).

    Examples
    --------
    >>> round(pass_time_min(20, 8.0, 100.0, 30.0), 2)
    4.32
    """
    if num_vehicles <= 0 or speed_kph <= 0:
        return 0.0
    density_per_km = 1000.0 / (interval_m + mean_length_m)
    return num_vehicles * 60.0 / (density_per_km * speed_kph)


def march_units(
    vehicle_ids: Sequence[str],
    lengths_m: Sequence[float],
    movement: MovementParams,
    reference_speed_kph: float,
) -> list[MarchUnit]:
    """
    Cut the moving column into march units and serials.

    Vehicles keep the order given (the planner puts escorts and route clearance
    first). Units are as even as the maximum size allows: 143 vehicles with a
    maximum of 20 make 8 units of 17-18 rather than 7 of 20 and one of 3.

    Parameters
    ----------
    vehicle_ids, lengths_m
        The moving vehicles (towed ones included) in order of march, and their
        lengths in metres.
    movement
        Unit size, gaps and intervals.
    reference_speed_kph
        Speed used to turn road space into the offsets between units, in km/h
        (the column's typical march speed).
    """
    n = len(vehicle_ids)
    if n == 0:
        return []
    num_units = -(-n // movement.march_unit_max)
    sizes = [n // num_units + (1 if i < n % num_units else 0) for i in range(num_units)]
    units: list[MarchUnit] = []
    offset = 0.0
    pos = 0
    for i, size in enumerate(sizes):
        ids = tuple(vehicle_ids[pos : pos + size])
        lens = np.asarray(lengths_m[pos : pos + size], dtype=np.float64)
        pos += size
        serial_idx = i // movement.march_units_per_serial
        if i > 0:
            offset += movement.march_unit_gap_min
            if i % movement.march_units_per_serial == 0:
                offset += movement.serial_gap_min
        length_m = float(lens.sum() + (size - 1) * movement.interval_day_m)
        units.append(
            MarchUnit(f"MU{i + 1:02d}", f"S{serial_idx + 1}", ids, length_m, offset)
        )
        offset += pass_time_min(
            size, float(lens.mean()), movement.interval_day_m, reference_speed_kph
        )
    return units


def march_table(
    units: Sequence[MarchUnit],
    lengths_by_id: dict[str, float],
    trajectory: np.ndarray,
    checkpoints: Sequence[tuple[str, str, float]],
    halts: Sequence[tuple[float, float, float]],
    movement: MovementParams,
    start_minute_of_day: int,
    speed_at: Callable[[float], float] | None = None,
) -> list[MarchRow]:
    """
    The road movement table: every march unit at every checkpoint.

    Parameters
    ----------
    units
        From :func:`march_units`.
    lengths_by_id
        Vehicle lengths in metres, by id.
    trajectory
        (P, 2) array of (minutes from start, km from the start point) of the column
        head, non-decreasing in both; between points the head moves at constant
        speed (a flat piece is a halt).
    checkpoints
        (name, kind, km) of each point to report, in order of km: the start point,
        named places, halt sites and the release point.
    halts
        (km, start_min, end_min) of each halt of the head.
    movement
        Intervals by day and night.
    start_minute_of_day
        Minute of day (UTC) of the scenario start, for day or night intervals.
    speed_at
        The column's speed (km/h) at a km of the route, for pass times. FM 55-30
        tells *speed* (what the vehicles drive at) from *rate of march* (distance
        over time, halts included): pass time uses the speed. Default: the head's
        speed on the trajectory piece containing the point.

    Returns
    -------
    list of MarchRow
        In order of march: unit by unit, checkpoint by checkpoint.
    """
    traj = np.asarray(trajectory, dtype=np.float64)
    rows: list[MarchRow] = []
    for unit in units:
        lens = [lengths_by_id[v] for v in unit.vehicle_ids]
        mean_len = float(np.mean(lens))
        for name, kind, km in checkpoints:
            t_head = head_time_at(traj, km)
            speed = speed_at(km) if speed_at is not None else head_speed_at(traj, km)
            t_unit = t_head + unit.offset_min
            day = is_daylight(t_unit, start_minute_of_day, movement)
            interval = movement.interval_day_m if day else movement.interval_night_m
            pt = pass_time_min(len(lens), mean_len, interval, speed)
            halt_until = None
            for h_km, _h_start, h_end in halts:
                if abs(h_km - km) < 1e-6:
                    halt_until = h_end + unit.offset_min
            rows.append(
                MarchRow(
                    unit.name,
                    unit.serial,
                    name,
                    kind,
                    km,
                    t_unit,
                    t_unit + pt,
                    pt,
                    halt_until,
                )
            )
    return rows


def head_time_at(trajectory: np.ndarray, km: float) -> float:
    """First minute at which the head reaches ``km`` (linear between points)."""
    t, d = trajectory[:, 0], trajectory[:, 1]
    if km <= d[0]:
        return float(t[0])
    if km >= d[-1]:
        return float(t[np.argmax(d >= d[-1])])
    j = int(np.searchsorted(d, km, side="left"))
    if d[j] == km:
        return float(t[j])
    d0, d1, t0, t1 = d[j - 1], d[j], t[j - 1], t[j]
    return float(t0 + (t1 - t0) * (km - d0) / (d1 - d0))


def head_speed_at(trajectory: np.ndarray, km: float) -> float:
    """Speed of the head in km/h on the moving piece that contains ``km``."""
    t, d = trajectory[:, 0], trajectory[:, 1]
    moving = np.nonzero(np.diff(d) > 0)[0]
    if len(moving) == 0:
        return 0.0
    j = moving[np.searchsorted(d[moving + 1], km, side="left").clip(0, len(moving) - 1)]
    return float((d[j + 1] - d[j]) / max(t[j + 1] - t[j], 1e-9) * 60.0)

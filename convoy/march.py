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

The table is derived from the legs and halts of the plan (:func:`leg_march_table`):
one row per unit and per arrival of the head at a named site or a halt. The interval
is the open-column figure by day and the close-column figure by night
(``MovementParams.interval_day_m`` / ``interval_night_m``) and the speed the column's
on the leg that brings the head there, day or night as that leg is: the same pass
time the schedule keeps inside the movement windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from convoy.loadout import LoadPlan
from convoy.params import MovementParams
from convoy.scenario import Vehicle
from convoy.schedule import ExposureModel, Trajectory

#: Order of march by vehicle role (a word in the type): route clearance leads, then
#: the escort and command, the troops, the cargo and tankers; ambulances and recovery
#: vehicles form the trail party at the rear (FM 55-30, ch. 5, "Convoy
#: organization": trail party with maintenance and recovery; ATP 4-01.45).
MARCH_ORDER: tuple[str, ...] = (
    "clearance",
    "engineer",
    "armoured vehicle",
    "apc",
    "command",
    "troop",
    "cargo",
    "water",
    "fuel",
    "low-bed",
    "ambulance",
    "recovery",
)


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


#: The word of ``MARCH_ORDER`` a vehicle role (fleet.csv ``role``) marches as; a
#: vehicle with no role marches by the words of its type.
ROLE_MARCH_WORD: dict[str, str] = {
    "route_clearance": "clearance",
    "escort": "armoured vehicle",
    "command": "command",
    "cargo": "cargo",
    "ambulance": "ambulance",
    "recovery": "recovery",
}


def march_rank(vehicle: Vehicle) -> int:
    """Place of a vehicle's role in ``MARCH_ORDER`` (cargo when none matches)."""
    if vehicle.role in ROLE_MARCH_WORD:
        return MARCH_ORDER.index(ROLE_MARCH_WORD[vehicle.role])
    t = vehicle.type.lower()
    for i, word in enumerate(MARCH_ORDER):
        if word in t:
            return i
    return MARCH_ORDER.index("cargo")


def column_order(vehicles: Sequence[Vehicle], ids: Sequence[str]) -> list[Vehicle]:
    """The vehicles ``ids`` by role (``MARCH_ORDER``), then in fleet order."""
    by_id = {v.id: v for v in vehicles}
    return sorted(
        (by_id[i] for i in ids), key=lambda v: (march_rank(v), vehicles.index(v))
    )


def order_of_march(vehicles: Sequence[Vehicle], loadout: LoadPlan) -> list[Vehicle]:
    """
    Moving vehicles in order of march; a towed vehicle follows its tow.

    Parameters
    ----------
    vehicles
        The fleet, in input order (which breaks ties between equal roles).
    loadout
        The loads decided: which vehicles move and which tow which.
    """
    by_id = {v.id: v for v in vehicles}
    decisions = {d.vehicle_id: d for d in loadout.vehicles}
    movers = [by_id[d.vehicle_id] for d in loadout.vehicles if d.status == "moving"]
    movers.sort(key=lambda v: (march_rank(v), vehicles.index(v)))
    out: list[Vehicle] = []
    for v in movers:
        out.append(v)
        tow = decisions[v.id].tows
        if tow is not None:
            out.append(by_id[tow])
    return out


def leg_nodes(model: ExposureModel, trajectory: Trajectory) -> list[tuple[int, int]]:
    """(from node, to node) of each leg of a trajectory."""
    out = []
    for leg in trajectory.legs:
        u, v = int(model.edge_u[leg.edge]), int(model.edge_v[leg.edge])
        out.append((leg.from_node, v if leg.from_node == u else u))
    return out


def unit_timing(
    units: Sequence[MarchUnit],
    lengths_by_id: Mapping[str, float],
    movement: MovementParams,
    speed_kph: float,
    night: bool,
) -> list[tuple[float, float]]:
    """
    (offset, pass time) of each march unit at one speed, in minutes.

    A unit's head passes a point ``offset`` minutes after the column's head: the
    gaps and the pass times of the units ahead of it at that speed (day or night
    interval). The last unit's offset plus its pass time is the column's pass time,
    ``ExposureModel.pass_time_min`` (gaps plus road space over speed).
    """
    interval = movement.interval_night_m if night else movement.interval_day_m
    out: list[tuple[float, float]] = []
    offset = 0.0
    for i, unit in enumerate(units):
        if i > 0:
            offset += movement.march_unit_gap_min
            if i % movement.march_units_per_serial == 0:
                offset += movement.serial_gap_min
        lens = [lengths_by_id[v] for v in unit.vehicle_ids]
        pt = pass_time_min(len(lens), float(np.mean(lens)), interval, speed_kph)
        out.append((offset, pt))
        offset += pt
    return out


@dataclass(frozen=True, slots=True)
class _Visit:
    """The head at a checkpoint: where, when, and the legs in and out."""

    name: str
    kind: str
    km: float
    arrive_min: float
    leg_in: int
    halt_end_min: float | None
    leg_out: int | None


def _visits(
    model: ExposureModel,
    trajectory: Trajectory,
    places: tuple[Mapping[int, str], Mapping[str, str], str, str],
) -> list[_Visit]:
    """Every arrival of the head at a named site or a halt, in the order driven."""
    node_names, site_kinds, origin, destination = places
    legs = trajectory.legs
    nodes = leg_nodes(model, trajectory)
    halt_at = {(h.node, h.start_min): h.end_min for h in trajectory.halts}
    out = [
        _Visit(origin, "start point", 0.0, legs[0].depart_min, 0, None, 0)
        if nodes
        else None
    ]
    km = 0.0
    first_km: dict[int, float] = {}  # a roadside halt is named by its first km
    for i, ((_a, b), leg) in enumerate(zip(nodes, legs, strict=True)):
        km += float(model.edge_length_m[leg.edge]) / 1000.0
        first_km.setdefault(b, km)
        end = halt_at.get((b, leg.arrive_min))
        if b not in node_names and end is None:
            continue
        if b in node_names:
            name = node_names[b]
            kind = site_kinds.get(name, "checkpoint")
            if i == len(legs) - 1 and name == destination:
                kind = "release point"
        else:
            name, kind = f"roadside halt at km {first_km[b]:.0f}", "halt"
        nxt = i + 1 if i + 1 < len(legs) else None
        out.append(_Visit(name, kind, km, leg.arrive_min, i, end, nxt))
    return [v for v in out if v is not None]


def leg_march_table(
    units: Sequence[MarchUnit],
    lengths_by_id: Mapping[str, float],
    model: ExposureModel,
    trajectory: Trajectory,
    places: tuple[Mapping[int, str], Mapping[str, str], str, str],
    movement: MovementParams,
) -> list[MarchRow]:
    """
    The road movement table derived from the legs and halts, for every march unit.

    One row per unit and per arrival of the head at a named site or a halt (a site
    passed twice has two rows). A unit's head arrives ``offset`` after the column's
    head and its tail clears one unit pass time later, both at the speed of the leg
    that brings the head there (``ExposureModel.speed_kph``, the day or night speed
    and interval of that leg): the same pass time the schedule keeps inside the
    movement windows. A unit halted there leaves ``offset`` after the head leaves,
    at the speed of the next leg.
    """
    legs = trajectory.legs

    def timing(i: int) -> list[tuple[float, float]]:
        leg = legs[i]
        night = not model.is_daylight(leg.depart_min, leg.arrive_min)
        v = model.speed_kph(leg.edge, leg.mode, night)
        return unit_timing(units, lengths_by_id, movement, v, night)

    rows: list[MarchRow] = []
    visits = _visits(model, trajectory, places)
    for k, unit in enumerate(units):
        for vis in visits:
            offset, pt = timing(vis.leg_in)[k]
            until = None
            if vis.halt_end_min is not None:
                out_offset = offset
                if vis.leg_out is not None:
                    out_offset = timing(vis.leg_out)[k][0]
                until = vis.halt_end_min + out_offset
            head = vis.arrive_min + offset
            rows.append(
                MarchRow(
                    unit.name,
                    unit.serial,
                    vis.name,
                    vis.kind,
                    vis.km,
                    head,
                    head + pt,
                    pt,
                    until,
                )
            )
    return rows


def trip_march(
    model: ExposureModel,
    trajectory: Trajectory,
    order: Sequence[Vehicle],
    places: tuple[Mapping[int, str], Mapping[str, str], str, str],
    movement: MovementParams,
    start_minute_of_day: int,
) -> tuple[list[MarchUnit], list[MarchRow]]:
    """
    March units and the road movement table of one trip, from its legs and halts.

    Parameters
    ----------
    model, trajectory
        The trip.
    order
        Its vehicles in order of march.
    places
        ``(node_names, site_kinds, origin, destination)``: the site name of each
        named node, the kind of each site, and the start and release points.
    movement
        Intervals, gaps and march unit sizes.
    start_minute_of_day
        Minute of the UTC day at the scenario start (kept for callers; day and
        night come from the model).
    """
    legs = trajectory.legs
    # Speed, not rate of march (FM 55-30): the units' offsets shown in the unit
    # list are at the column's median speed; the table uses each leg's own.
    leg_speed = np.array(
        [
            model.speed_kph(
                leg.edge,
                leg.mode,
                not model.is_daylight(leg.depart_min, leg.arrive_min),
            )
            for leg in legs
        ]
    )
    units = march_units(
        [v.id for v in order],
        [v.length_m for v in order],
        movement,
        float(np.median(leg_speed)),
    )
    rows = leg_march_table(
        units,
        {v.id: v.length_m for v in order},
        model,
        trajectory,
        places,
        movement,
    )
    return units, rows

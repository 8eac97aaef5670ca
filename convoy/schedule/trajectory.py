"""Trajectories of a column: legs and halts, their price, and paced profiles.

A trajectory is what a column did or will do: legs (one road edge each, in a mode at
a speed, between two times) and halts. :func:`trajectory_exposure` prices any of
them with an :class:`~convoy.schedule.exposure.ExposureModel` (the three terms of
:mod:`convoy.schedule.exposure`); :func:`paced_trajectory` rebuilds the fixed-route,
fixed-timing profile of a historical convoy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from convoy.errors import InfeasibleError, ScenarioError
from convoy.schedule.exposure import (
    _EPS,
    _MIN_PER_DAY,
    MODES,
    ExposureModel,
    FloatArray,
)


@dataclass(frozen=True, slots=True)
class Leg:
    """
    One edge driven by the column.

    Parameters
    ----------
    edge
        Edge id.
    from_node
        Node the leg starts from (``edge_u`` or ``edge_v`` of the edge).
    depart_min, arrive_min
        Head of the column leaves ``from_node`` and reaches the other end, minutes
        after t0 (arrive > depart).
    mode
        ``"normal"`` or ``"clearance"``.
    speed_kph
        Speed of the column on the leg, in km/h (> 0); sets the ambush exposure
        L / v. The optimiser's legs move at their mode's speed and may take a little
        longer than length / speed because time is counted in whole steps.
    """

    edge: int
    from_node: int
    depart_min: float
    arrive_min: float
    mode: str = "normal"
    speed_kph: float = 0.0


@dataclass(frozen=True, slots=True)
class Halt:
    """The column halted at ``node`` from ``start_min`` to ``end_min`` after t0."""

    node: int
    start_min: float
    end_min: float


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Legs in order and halts (after departure) of one column."""

    legs: tuple[Leg, ...]
    halts: tuple[Halt, ...] = ()


@dataclass(frozen=True, slots=True)
class Exposure:
    """
    Expected incidents of a trajectory, by channel.

    Parameters
    ----------
    ied
        IED incidents.
    ambush_moving
        Ambush incidents while driving.
    ambush_halted
        Ambush incidents while halted.
    leg_ied, leg_ambush
        Per leg, in the order of the trajectory.
    halt_ambush
        Per halt.
    km, hours
        Route length in km, and hours from the first departure to the arrival.
    breakdowns, fuel_l, crew_hours
        Expected breakdowns (``breakdowns_per_km * km``), litres of fuel and crew
        hours of the trip.
    price
        Their price in expected-incident equivalents (not in ``total``).
    """

    ied: float
    ambush_moving: float
    ambush_halted: float
    leg_ied: FloatArray
    leg_ambush: FloatArray
    halt_ambush: FloatArray
    km: float = 0.0
    hours: float = 0.0
    breakdowns: float = 0.0
    fuel_l: float = 0.0
    crew_hours: float = 0.0
    price: float = 0.0

    @property
    def objective(self) -> float:
        """Expected incidents plus the price of the km and hours, as the search."""
        return self.total + self.price

    @property
    def ambush(self) -> float:
        """Ambush incidents, moving and halted."""
        return self.ambush_moving + self.ambush_halted

    @property
    def total(self) -> float:
        """All expected incidents."""
        return self.ied + self.ambush_moving + self.ambush_halted


def _to_node(model: ExposureModel, leg: Leg) -> int:
    u, v = int(model.edge_u[leg.edge]), int(model.edge_v[leg.edge])
    if leg.from_node == u:
        return v
    if leg.from_node == v:
        return u
    msg = (
        f"trajectory: leg on edge {leg.edge}: expected from_node {u} or {v}, "
        f"found {leg.from_node}"
    )
    raise ScenarioError(msg)


def trajectory_exposure(
    model: ExposureModel, legs: Sequence[Leg], halts: Sequence[Halt] = ()
) -> Exposure:
    """
    Expected incidents of any trajectory, split by channel.

    Parameters
    ----------
    model
        The exposure model.
    legs
        Legs in order; each must start where the previous one ended and not before
        it arrived.
    halts
        Halts after departure (waits at the origin before departure are free and
        must not be listed).

    Returns
    -------
    Exposure
        IED, ambush moving and ambush halted expected incidents.

    Raises
    ------
    ScenarioError
        If a leg is not on the model's graph, runs backwards in time, is
        disconnected from the previous one, or has a speed <= 0.

    Examples
    --------
    >>> traj = schedule.trajectory()
    >>> trajectory_exposure(model, traj.legs, traj.halts).total  # doctest: +SKIP
    """
    leg_ied = np.zeros(len(legs))
    leg_amb = np.zeros(len(legs))
    prev_node, prev_arrive = -1, -math.inf
    for i, leg in enumerate(legs):
        where = f"leg {i} (edge {leg.edge})"
        if not 0 <= leg.edge < model.num_edges:
            msg = f"trajectory: {where}: expected an edge id in [0, {model.num_edges})"
            raise ScenarioError(msg)
        to = _to_node(model, leg)
        if i and leg.from_node != prev_node:
            msg = (
                f"trajectory: {where}: expected to start at node {prev_node}, "
                f"found {leg.from_node}"
            )
            raise ScenarioError(msg)
        if not leg.arrive_min > leg.depart_min or leg.depart_min < prev_arrive - _EPS:
            msg = (
                f"trajectory: {where}: expected arrive > depart >= previous arrival "
                f"{prev_arrive}, found depart {leg.depart_min}, "
                f"arrive {leg.arrive_min}"
            )
            raise ScenarioError(msg)
        if not (math.isfinite(leg.speed_kph) and leg.speed_kph > 0):
            msg = f"trajectory: {where}: expected speed_kph > 0, found {leg.speed_kph}"
            raise ScenarioError(msg)
        if leg.mode not in MODES:
            msg = (
                f"trajectory: {where}: mode expected one of {list(MODES)}, "
                f"found {leg.mode!r}"
            )
            raise ScenarioError(msg)
        a, b = leg.depart_min, leg.arrive_min
        span = b - a
        f = 1.0 if leg.mode == "normal" else model.clearance_ied_factor
        mean_ied = (model.ied_integral(b) - model.ied_integral(a)) / span
        mean_amb = (model.ambush_integral(b) - model.ambush_integral(a)) / span
        length_km = (
            model.column_day_km if model.is_daylight(a, b) else model.column_night_km
        )
        leg_ied[i] = model.edge_ied[leg.edge] * model.ied_column_factor * f * mean_ied
        leg_amb[i] = (
            model.edge_ambush[leg.edge] * (length_km / leg.speed_kph) * mean_amb
        )
        prev_node, prev_arrive = to, b
    halt_amb = np.zeros(len(halts))
    for j, h in enumerate(halts):
        if not 0 <= h.node < model.num_nodes or not h.end_min >= h.start_min:
            msg = (
                f"trajectory: halt {j}: expected a node in [0, {model.num_nodes}) "
                f"and end >= start, found node {h.node}, {h.start_min}-{h.end_min}"
            )
            raise ScenarioError(msg)
        halt_amb[j] = (
            model.node_ambush[h.node]
            * model.halt_factor(h.node)
            * (model.halt_integral(h.end_min) - model.halt_integral(h.start_min))
        )
    km = sum(float(model.edge_length_m[leg.edge]) for leg in legs) / 1000.0
    hours = (legs[-1].arrive_min - legs[0].depart_min) / 60.0 if legs else 0.0
    return Exposure(
        ied=float(leg_ied.sum()),
        ambush_moving=float(leg_amb.sum()),
        ambush_halted=float(halt_amb.sum()),
        leg_ied=leg_ied,
        leg_ambush=leg_amb,
        halt_ambush=halt_amb,
        km=km,
        hours=hours,
        breakdowns=model.breakdowns_per_km * km,
        fuel_l=model.fuel_l_per_km * km,
        crew_hours=model.crew * hours,
        price=model.km_price * km + model.hour_price * hours,
    )


def edge_path_nodes(
    model: ExposureModel, origin: int, edge_path: Sequence[int]
) -> list[int]:
    """
    Nodes visited by an edge path that starts at ``origin``.

    Raises
    ------
    ScenarioError
        If consecutive edges do not share a node.
    """
    nodes = [int(origin)]
    for i, e in enumerate(edge_path):
        u, v = int(model.edge_u[e]), int(model.edge_v[e])
        if nodes[-1] == u:
            nodes.append(v)
        elif nodes[-1] == v:
            nodes.append(u)
        else:
            msg = (
                f"edge path: edge {e} (position {i}): expected an edge touching "
                f"node {nodes[-1]}, found one joining {u} and {v}"
            )
            raise ScenarioError(msg)
    return nodes


def paced_trajectory(
    model: ExposureModel,
    origin: int,
    edge_path: Sequence[int],
    depart_min: float,
    arrive_min: float,
    windows_min: Sequence[tuple[int, int]],
    mode: str = "normal",
) -> Trajectory:
    """
    A fixed-route, fixed-timing profile: leave at one time, arrive at another.

    The rule, kept simple on purpose (it reconstructs what a convoy did, it does
    not plan): the column drives only inside the movement windows between
    departure and arrival, plus, when the arrival falls outside a window, from the
    end of the last window to the arrival (the 2023 convoy reached Gao after dark).
    An ideal column moving at one uniform pace through these driving periods would
    be at distance x_k when period k ends; the column stops instead at the halt node
    (``node_can_halt``, the origin included) nearest to x_k along the path, never
    behind its previous stop; it reaches the destination in the last period. Within
    each period it drives from its previous stop to the next at that period's own
    uniform pace; between periods it halts (through a whole period when it has no
    next stop to reach in it: one halt, so the idle day is priced). Legs are in
    ``mode`` (``"normal"`` unless the column moved behind route clearance,
    ``"clearance"``) at that pace, whatever the edges' speeds: the profile is
    priced as it was driven, not checked against the speed model.

    Parameters
    ----------
    model
        The exposure model.
    origin
        Start node.
    edge_path
        Edges from the origin to the destination.
    depart_min, arrive_min
        Departure and arrival, minutes after t0.
    windows_min
        Movement windows, (start, end) minutes after midnight UTC.
    mode
        Mode of every leg, one of ``MODES``.

    Returns
    -------
    Trajectory
        Legs and halts.

    Raises
    ------
    ScenarioError
        If the path is broken or empty or arrive <= depart.
    InfeasibleError
        If there is no driving time between departure and arrival.

    Examples
    --------
    >>> traj = paced_trajectory(model, kidal, path, 0.0, 10920.0, [(330, 1110)])
    >>> trajectory_exposure(model, traj.legs, traj.halts).total  # doctest: +SKIP
    """
    if not edge_path or not arrive_min > depart_min:
        msg = (
            f"paced profile: expected a non-empty path and arrive > depart, found "
            f"{len(edge_path)} edges, depart {depart_min}, arrive {arrive_min}"
        )
        raise ScenarioError(msg)
    nodes = edge_path_nodes(model, origin, edge_path)
    lengths = model.edge_length_m[np.asarray(edge_path, dtype=np.int64)] / 1000.0
    pos = np.concatenate(([0.0], np.cumsum(lengths)))  # km at each node
    periods = _driving_periods(
        model.start_minute_of_day, depart_min, arrive_min, windows_min
    )
    if not periods:
        msg = (
            f"paced profile: no movement window between departure {depart_min} and "
            f"arrival {arrive_min} minutes after start"
        )
        raise InfeasibleError(msg)
    drive_total = sum(b - a for a, b in periods)
    halt_idx = [
        i
        for i, n in enumerate(nodes)
        if model.node_can_halt[n] or i in (0, len(nodes) - 1)
    ]
    legs: list[Leg] = []
    halts: list[Halt] = []
    stop = 0  # index into nodes of the current stop
    elapsed = 0.0
    idle_since_halt = False
    for k, (a, b) in enumerate(periods):
        elapsed += b - a
        if k == len(periods) - 1:
            nxt = len(nodes) - 1
        else:
            x = pos[-1] * elapsed / drive_total
            # the destination is reached in the last period only
            cands = [i for i in halt_idx if stop <= i < len(nodes) - 1]
            nxt = min(cands, key=lambda i: (abs(pos[i] - x), i))
        if nxt > stop:
            idle_since_halt = False
            pace = (pos[nxt] - pos[stop]) * 60.0 / (b - a)
            for i in range(stop, nxt):
                t1 = a + (pos[i] - pos[stop]) / (pos[nxt] - pos[stop]) * (b - a)
                t2 = a + (pos[i + 1] - pos[stop]) / (pos[nxt] - pos[stop]) * (b - a)
                legs.append(Leg(int(edge_path[i]), nodes[i], t1, t2, mode, pace))
            stop = nxt
        if k + 1 < len(periods):
            end = periods[k + 1][0]
            if halts and halts[-1].node == nodes[stop] and idle_since_halt:
                # no move since the last halt: the column stayed, halted, all day
                halts[-1] = Halt(nodes[stop], halts[-1].start_min, end)
            else:
                halts.append(Halt(nodes[stop], b, end))
            idle_since_halt = True
    # a stop before the first leg is still inside the camp: not a halt
    first = legs[0].depart_min
    halts = [h for h in halts if h.start_min >= first]
    return Trajectory(tuple(legs), tuple(h for h in halts if h.end_min > h.start_min))


def _driving_periods(
    start_minute_of_day: float,
    depart_min: float,
    arrive_min: float,
    windows_min: Sequence[tuple[int, int]],
) -> list[tuple[float, float]]:
    """Intervals (minutes after t0) inside the windows between departure and arrival."""
    out: list[tuple[float, float]] = []
    day0 = math.floor((start_minute_of_day + depart_min) / _MIN_PER_DAY)
    day1 = math.floor((start_minute_of_day + arrive_min) / _MIN_PER_DAY)
    spans: list[tuple[float, float]] = []
    for d in range(day0, day1 + 1):
        for wa, wb in sorted(windows_min):
            a = d * _MIN_PER_DAY + wa - start_minute_of_day
            b = d * _MIN_PER_DAY + wb - start_minute_of_day
            a, b = max(a, depart_min), min(b, arrive_min)
            if b > a:
                spans.append((a, b))
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    if out and out[-1][1] < arrive_min:
        out.append((out[-1][1], arrive_min))
    return out

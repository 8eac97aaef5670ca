"""Expected incidents of a column's trajectory: the exposure model the schedule uses.

A trajectory is a sequence of legs (one road edge each, driven from ``depart_min`` to
``arrive_min`` minutes after the scenario start t0, in a mode at a speed) and halts
(a node, from ``start_min`` to ``end_min``). Its expected incidents are the sum of
three terms, each an exact integral of piecewise-constant functions of time:

IED (head of the column, and command-initiated along it)
    ``edge_ied[e] * k * f_mode * mean(d_ied over [depart, arrive))``, where
    ``edge_ied`` is the integral of the IED channel along the edge (expected
    incidents, daily mean, calibrated on a reference column), ``f_mode`` is 1 for
    ``"normal"`` and ``clearance_ied_factor`` for ``"clearance"``, ``d_ied`` the
    hourly IED profile normalised to mean 1, and ``k`` the column factor
    (:attr:`ExposureModel.ied_column_factor`): ``1 - c + c * L / L_ref`` with ``c``
    the command-initiated share of IEDs and ``L / L_ref`` the column's day length
    over the reference column's. A victim-operated IED strikes the first vehicle to
    pass, whatever follows it; a command-initiated one may be fired at any vehicle,
    so its chance grows with the column's time over the device, its pass time, and
    at a given speed that is proportional to its length.
Ambush, moving (the whole column)
    ``edge_ambush[e] * (L_km / v_kph) * mean(d_ambush over [depart, arrive))``.
    ``edge_ambush`` is the integral along the edge of the ambush rate (incidents per
    hour per km of column, times km). A column of length L at speed v covers each
    point of the road for L / v hours, so the double integral of the rate over the
    column's length and over time equals (L / v) times the integral along the road.
    L is the column length by day or by night (the leg is a day leg when it lies
    wholly inside daylight ``[day_start, day_end)``), v the leg's speed.
Ambush, halted
    ``node_ambush[n] * halt_exposure_factor * integral of L(t) * d_ambush(t) dt``
    over the halt, in hours: a laagered column packs into a perimeter, so only a
    fraction of its length is exposed (``halt_exposure_factor``, an assumption), and
    ``L(t)`` is the day or night length at each instant.

The hourly profiles are functions of the UTC hour; the minute of day of t0 is
``start_minute_of_day``. Waiting at the origin before departure costs nothing: the
force is still inside its camp, and such a wait is not a halt.

The same numbers are used by the optimiser (:mod:`convoy.schedule.search`), by the
baselines and by calibration; :func:`convoy.schedule.trajectory.trajectory_exposure`
prices any trajectory, the optimiser's or not, and
:func:`~convoy.schedule.trajectory.paced_trajectory` builds the fixed-route,
fixed-timing profile of a historical convoy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convoy.errors import Problem, ScenarioError
from convoy.params import SURFACES, MovementParams, RiskParams
from convoy.schedule.costs import ColumnCosts, column_gaps_min
from convoy.times import parse_hhmm

#: Speed modes of a leg. ``"clearance"`` is route clearance: engineers lead at
#: ``clearance_speed_kph`` and the IED channel is multiplied by
#: ``clearance_ied_factor``.
MODES: tuple[str, ...] = ("normal", "clearance")

_MIN_PER_DAY = 1440
_EPS = 1e-9

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _fail(field_name: str, expected: str, found: object) -> NoReturn:
    raise ScenarioError(
        Problem("exposure model", "", field_name, expected, repr(found))
    )


def _per_minute(hourly: ArrayLike) -> FloatArray:
    """A 24-value hourly profile spread over the 1440 minutes of a day."""
    return np.repeat(np.asarray(hourly, dtype=np.float64), 60)


def _daylight_minutes(day_start_min: int, day_end_min: int) -> FloatArray:
    """1 for each minute of the day inside daylight, else 0 (wraps past midnight)."""
    m = np.arange(_MIN_PER_DAY)
    if day_start_min <= day_end_min:
        inside = (m >= day_start_min) & (m < day_end_min)
    else:
        inside = (m >= day_start_min) | (m < day_end_min)
    return inside.astype(np.float64)


def window_profile(windows_min: Sequence[tuple[int, int]]) -> FloatArray:
    """
    1 for each minute of the day inside a movement window, else 0.

    Parameters
    ----------
    windows_min
        (start, end) minutes after midnight UTC, start < end <= 1440.
    """
    out = np.zeros(_MIN_PER_DAY)
    for a, b in windows_min:
        out[int(a) : int(b)] = 1.0
    return out


def periodic_integral(
    per_minute: FloatArray,
    x_min: Any,
    start_minute_of_day: float,
    cum: FloatArray | None = None,
) -> Any:
    """
    Integral over [0, x) of a daily-periodic, minute-wise constant function.

    Parameters
    ----------
    per_minute
        The function's value in each of the 1440 minutes of a UTC day.
    x_min
        Upper limit(s), minutes after t0 (scalar or array, >= 0).
    start_minute_of_day
        Minute of the UTC day at t0, in [0, 1440).
    cum
        ``per_minute``'s cumulative sum with a leading 0 (1441 values), if at hand.

    Returns
    -------
    The integral in value x minutes, counted from the midnight before t0 (so only
    differences are meaningful), with the shape of ``x_min``.
    """
    if cum is None:
        cum = np.concatenate(([0.0], np.cumsum(per_minute)))
    x = np.asarray(x_min, dtype=np.float64) + start_minute_of_day
    days = np.floor(x / _MIN_PER_DAY)
    r = x - days * _MIN_PER_DAY
    ri = np.clip(np.floor(r).astype(np.int64), 0, _MIN_PER_DAY - 1)
    return days * cum[-1] + cum[ri] + per_minute[ri] * (r - ri)


@dataclass(frozen=True, slots=True)
class ExposureModel:
    """
    Everything that prices a column's movement, as plain arrays.

    Parameters
    ----------
    edge_u, edge_v
        End nodes of each edge (E,).
    edge_length_m
        Edge lengths, in metres (> 0).
    edge_speed_kph
        Day speed of the column in normal mode on each edge, in km/h (> 0): the
        slowest moving vehicle's speed on the edge's surface, capped by the edge's
        maxspeed and ``max_speed_kph``.
    edge_ied
        Integral of the IED channel along each edge, in expected incidents (>= 0),
        daily mean.
    edge_ambush
        Integral of the ambush channel along each edge, in incidents per hour per km
        of column times km (>= 0), daily mean.
    node_ambush
        Ambush channel at each node, incidents per hour per km of column (>= 0).
    node_can_halt
        Whether the column may halt at each node (camps, halt sites, destination).
    column_day_km, column_night_km
        Column length by day and by night, in km (> 0): the vehicles' lengths plus
        (n - 1) intervals (FM 55-30: open column by day, close column by night).
    start_minute_of_day
        Minute of the UTC day at t0, in [0, 1440).
    day_start_min, day_end_min
        Daylight, minutes after midnight UTC.
    diurnal_ied, diurnal_ambush
        24 hourly multipliers (UTC); normalised here to mean 1.
    clearance_speed_kph
        Speed of route clearance, in km/h: the column's teams' (MovementParams
        ``clearance_speed_for``).
    clearance_ied_factor
        Fraction of the IED channel left under route clearance.
    clearance_available
        Whether the column has a route clearance team; without one the search
        drives no leg in ``"clearance"`` (a given trajectory with clearance legs,
        e.g. a historical one, is still priced).
    night_speed_factor
        Night speed as a fraction of day speed.
    halt_exposure_factor
        Fraction of the column length exposed while halted.
    roadside_halt_factor
        Exposure of a halt at a node where the column may not laager
        (``node_can_halt`` false), as a multiple of a laager's; 0 forbids it.
    pass_gap_min
        Time gaps inside the column (between march units and serials), in minutes:
        the column's pass time at speed v is ``pass_gap_min + 60 * P / v``.
    pass_day_km, pass_night_km
        Road space P of the column for its pass time, in km (FM 55-30: vehicles
        times (interval + length), one interval more than the column length);
        0 for the column length.
    breakdowns_per_km
        Expected breakdowns per km of route of the whole column: the sum over its
        vehicles of ``-ln(reliability) / 100`` (the Monte Carlo's law).
    fuel_l_per_km
        Litres of fuel the whole column burns per km of route.
    crew
        Crew of the column (persons), for crew hours.
    breakdown_price, fuel_price_l, crew_hour_price
        Price of a breakdown, a litre and a crew hour, in expected incidents.
    ied_command_share
        Share of IEDs that are command-initiated (fired at any vehicle of the
        column), in [0, 1]; the rest strike the head. Default 0.
    ied_reference_km
        Day length of the column ``edge_ied`` was calibrated on, in km; 0 (the
        default) for this column's own, so that ``ied_column_factor`` is 1.
    """

    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    edge_speed_kph: FloatArray
    edge_ied: FloatArray
    edge_ambush: FloatArray
    node_ambush: FloatArray
    node_can_halt: NDArray[np.bool_]
    column_day_km: float
    column_night_km: float
    start_minute_of_day: float = 0.0
    day_start_min: int = 360
    day_end_min: int = 1080
    diurnal_ied: FloatArray = field(default_factory=lambda: np.ones(24))
    diurnal_ambush: FloatArray = field(default_factory=lambda: np.ones(24))
    clearance_speed_kph: float = 8.0
    clearance_ied_factor: float = 0.3
    clearance_available: bool = True
    night_speed_factor: float = 0.8
    halt_exposure_factor: float = 0.5
    roadside_halt_factor: float = 0.0
    pass_gap_min: float = 0.0
    pass_day_km: float = 0.0
    pass_night_km: float = 0.0
    breakdowns_per_km: float = 0.0
    fuel_l_per_km: float = 0.0
    crew: float = 0.0
    breakdown_price: float = 0.0
    fuel_price_l: float = 0.0
    crew_hour_price: float = 0.0
    ied_command_share: float = 0.0
    ied_reference_km: float = 0.0
    _ied_min: FloatArray = field(init=False, repr=False)
    _amb_min: FloatArray = field(init=False, repr=False)
    _day_min: FloatArray = field(init=False, repr=False)
    _ambday_min: FloatArray = field(init=False, repr=False)
    _cums: dict[str, FloatArray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        def arr(name: str, dtype: Any) -> Any:
            a = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            object.__setattr__(self, name, a)
            return a

        u = arr("edge_u", np.int64)
        v = arr("edge_v", np.int64)
        num_edges = len(u)
        num_nodes = len(arr("node_ambush", np.float64))
        halt = arr("node_can_halt", np.bool_)
        if len(halt) != num_nodes:
            _fail("node_can_halt", f"{num_nodes} values", len(halt))
        for name in (
            "edge_v",
            "edge_length_m",
            "edge_speed_kph",
            "edge_ied",
            "edge_ambush",
        ):
            a = arr(name, v.dtype if name == "edge_v" else np.float64)
            if a.shape != (num_edges,):
                _fail(name, f"shape ({num_edges},)", a.shape)
        if num_edges and (
            min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= num_nodes
        ):
            _fail("edge_u/edge_v", f"node ids in [0, {num_nodes})", "out of range")
        checks: list[tuple[str, FloatArray, bool]] = [
            ("edge_length_m", self.edge_length_m, False),
            ("edge_speed_kph", self.edge_speed_kph, False),
            ("edge_ied", self.edge_ied, True),
            ("edge_ambush", self.edge_ambush, True),
            ("node_ambush", self.node_ambush, True),
        ]
        for name, a, zero_ok in checks:
            ok = np.isfinite(a) & ((a >= 0) if zero_ok else (a > 0))
            if not ok.all():
                i = int(np.flatnonzero(~ok)[0])
                _fail(
                    f"{name}[{i}]",
                    "a finite number >= 0" if zero_ok else "a finite number > 0",
                    float(a[i]),
                )
        for name in ("column_day_km", "column_night_km", "clearance_speed_kph"):
            x = float(getattr(self, name))
            if not (math.isfinite(x) and x > 0):
                _fail(name, "a finite number > 0", x)
        for name in ("clearance_ied_factor", "halt_exposure_factor"):
            x = float(getattr(self, name))
            if not 0 <= x <= 1:
                _fail(name, "a fraction in [0, 1]", x)
        for name in (
            "roadside_halt_factor",
            "pass_gap_min",
            "pass_day_km",
            "pass_night_km",
            "breakdowns_per_km",
            "fuel_l_per_km",
            "crew",
            "breakdown_price",
            "fuel_price_l",
            "crew_hour_price",
            "ied_reference_km",
        ):
            x = float(getattr(self, name))
            if not (math.isfinite(x) and x >= 0):
                _fail(name, "a finite number >= 0", x)
        if not 0 <= self.ied_command_share <= 1:
            _fail("ied_command_share", "a share in [0, 1]", self.ied_command_share)
        if not 0 < self.night_speed_factor <= 1:
            _fail("night_speed_factor", "a fraction in (0, 1]", self.night_speed_factor)
        if not 0 <= self.start_minute_of_day < _MIN_PER_DAY:
            _fail(
                "start_minute_of_day", "minutes in [0, 1440)", self.start_minute_of_day
            )
        for name in ("day_start_min", "day_end_min"):
            x = getattr(self, name)
            if not 0 <= x <= _MIN_PER_DAY:
                _fail(name, "minutes in [0, 1440]", x)
        for name in ("diurnal_ied", "diurnal_ambush"):
            d = np.asarray(getattr(self, name), dtype=np.float64)
            if (
                d.shape != (24,)
                or not np.isfinite(d).all()
                or d.min() < 0
                or d.sum() <= 0
            ):
                _fail(name, "24 finite numbers >= 0, not all 0", d.tolist())
            object.__setattr__(self, name, np.ascontiguousarray(d / d.mean()))
        object.__setattr__(self, "_ied_min", _per_minute(self.diurnal_ied))
        object.__setattr__(self, "_amb_min", _per_minute(self.diurnal_ambush))
        object.__setattr__(
            self, "_day_min", _daylight_minutes(self.day_start_min, self.day_end_min)
        )
        object.__setattr__(self, "_ambday_min", self._amb_min * self._day_min)
        object.__setattr__(
            self,
            "_cums",
            {
                name: np.concatenate(([0.0], np.cumsum(getattr(self, name))))
                for name in ("_ied_min", "_amb_min", "_day_min", "_ambday_min")
            },
        )

    def _integral(self, name: str, x_min: Any) -> Any:
        return periodic_integral(
            getattr(self, name), x_min, self.start_minute_of_day, self._cums[name]
        )

    @property
    def km_price(self) -> float:
        """Price of one km of route (breakdowns and fuel), in expected incidents."""
        return (
            self.breakdowns_per_km * self.breakdown_price
            + self.fuel_l_per_km * self.fuel_price_l
        )

    @property
    def ied_column_factor(self) -> float:
        """
        IED price of this column relative to the reference column's, per km.

        ``1 - c + c * column_day_km / ied_reference_km`` (1 without a reference):
        victim-operated IEDs (share ``1 - c``) strike the head whatever the column's
        length, command-initiated ones (share ``c``) in proportion to its length.
        """
        if self.ied_reference_km <= 0:
            return 1.0
        c = self.ied_command_share
        return 1.0 - c + c * self.column_day_km / self.ied_reference_km

    @property
    def hour_price(self) -> float:
        """Price of one hour after departure (crew hours), in expected incidents."""
        return self.crew * self.crew_hour_price

    def pass_time_min(self, speed_kph: float, night: bool) -> float:
        """Column pass time at a speed, in minutes: gaps plus road space over speed."""
        return self.pass_gap_min + 60.0 * self.pass_km(night) / speed_kph

    def pass_km(self, night: bool) -> float:
        """Road space of the column for its pass time, in km."""
        if night:
            return self.pass_night_km or self.column_night_km
        return self.pass_day_km or self.column_day_km

    def halt_factor(self, node: int) -> float:
        """
        Exposed fraction of the column halted at a node.

        A laager's where the column may laager, else ``roadside_halt_factor``
        times that (at least a laager's: a reconstructed trip may halt where the
        search may not).
        """
        if self.node_can_halt[node]:
            return self.halt_exposure_factor
        return self.halt_exposure_factor * max(1.0, self.roadside_halt_factor)

    @property
    def num_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ambush)

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return len(self.edge_u)

    def ied_integral(self, x_min: Any) -> Any:
        """Integral of the normalised IED profile from t0's midnight, in minutes."""
        return self._integral("_ied_min", x_min)

    def ambush_integral(self, x_min: Any) -> Any:
        """Integral of the normalised ambush profile, in minutes (see ied_integral)."""
        return self._integral("_amb_min", x_min)

    def daylight_integral(self, x_min: Any) -> Any:
        """Minutes of daylight from t0's midnight to t0 + x."""
        return self._integral("_day_min", x_min)

    def halt_integral(self, x_min: Any) -> Any:
        """
        Integral of L(t) * d_ambush(t), in km * hours, from t0's midnight to t0 + x.

        L(t) is the column length by day or by night at each instant.
        """
        both = self._integral("_ambday_min", x_min)
        total = self.ambush_integral(x_min)
        return (
            self.column_night_km * total
            + (self.column_day_km - self.column_night_km) * both
        ) / 60.0

    def is_daylight(self, a_min: float, b_min: float) -> bool:
        """Whether the interval [a, b) minutes after t0 lies wholly inside daylight."""
        got = self.daylight_integral(b_min) - self.daylight_integral(a_min)
        return bool(got >= (b_min - a_min) - _EPS)

    def speed_kph(self, edge: int, mode: str, night: bool) -> float:
        """
        Column speed on an edge, in km/h.

        Normal: ``edge_speed_kph`` (times ``night_speed_factor`` at night).
        Clearance: the smaller of ``clearance_speed_kph`` and the normal speed.
        This is the top speed that sets a traversal's whole steps; the optimiser's
        legs then move at the slightly slower pace that fills them.
        """
        v = float(self.edge_speed_kph[edge])
        if night:
            v *= self.night_speed_factor
        if mode == "clearance":
            v = min(v, self.clearance_speed_kph)
        elif mode != "normal":
            msg = f"leg mode: expected one of {list(MODES)}, found {mode!r}"
            raise ScenarioError(msg)
        return v


class _RoadsLike(Protocol):
    """What :func:`build_exposure_model` reads of a road network (read-only)."""

    @property
    def edge_u(self) -> Any: ...
    @property
    def edge_v(self) -> Any: ...
    @property
    def edge_length_m(self) -> Any: ...
    @property
    def edge_surface(self) -> Any: ...
    @property
    def edge_maxspeed_kph(self) -> Any: ...
    @property
    def site_node(self) -> Mapping[str, int]: ...


class _EdgeRiskLike(Protocol):
    """What :func:`build_exposure_model` reads of the edge risk tables (read-only)."""

    @property
    def edge_ied(self) -> Any: ...
    @property
    def edge_ambush(self) -> Any: ...
    @property
    def node_ambush(self) -> Any: ...


def column_lengths_km(
    vehicle_lengths_m: Sequence[float], movement: MovementParams
) -> tuple[float, float]:
    """
    Column length by day and by night, in km.

    The vehicles' lengths plus (n - 1) intervals of ``interval_day_m`` /
    ``interval_night_m`` (FM 55-30, ch. 5).
    """
    n = len(vehicle_lengths_m)
    if n == 0:
        msg = "column: expected at least one moving vehicle, found none"
        raise ScenarioError(msg)
    total = float(sum(vehicle_lengths_m))
    return (
        (total + (n - 1) * movement.interval_day_m) / 1000.0,
        (total + (n - 1) * movement.interval_night_m) / 1000.0,
    )


def build_exposure_model(
    roads: _RoadsLike,
    risk: _EdgeRiskLike,
    *,
    surface_speed_kph: ArrayLike,
    vehicle_lengths_m: Sequence[float],
    halt_sites: Sequence[str],
    start: datetime,
    movement: MovementParams,
    risk_params: RiskParams,
    costs: ColumnCosts | None = None,
    ied_reference_km: float = 0.0,
    clearance_teams: int = 1,
) -> ExposureModel:
    """
    The exposure model of one column on a road network with its risk.

    Parameters
    ----------
    roads
        A RoadNetwork (``edge_u``, ``edge_v``, ``edge_length_m``, ``edge_surface``
        (index into ``SURFACES``), ``edge_maxspeed_kph`` (inf if none),
        ``site_node``).
    risk
        An EdgeRisk (``edge_ied``, ``edge_ambush``, ``node_ambush``).
    surface_speed_kph
        Speed of the column on each surface of ``SURFACES``, in km/h: the slowest
        moving vehicle's (see :func:`column_surface_speeds`).
    vehicle_lengths_m
        Lengths of the moving vehicles, in metres.
    halt_sites
        Names of the sites where the column may halt (camps, halts, destination).
    start
        t0, a timezone-aware UTC datetime.
    movement, risk_params
        Parameter tables.
    costs
        What a km and an hour of this column cost (default: nothing).
    ied_reference_km
        Day length of the column the IED channel was calibrated on, in km (see
        :attr:`ExposureModel.ied_column_factor`); 0 for this column's own.
    clearance_teams
        Route clearance teams of the column (``MovementParams.clearance_teams``):
        0 makes clearance unavailable; more teams clear faster
        (``MovementParams.clearance_speed_for``). Default 1.

    Returns
    -------
    ExposureModel

    Raises
    ------
    ScenarioError
        On inconsistent arrays or an unknown site.

    Examples
    --------
    >>> model = build_exposure_model(net, edge_risk, surface_speed_kph=speeds,
    ...     vehicle_lengths_m=lengths, halt_sites=["Kidal", "Anefis", "Gao"],
    ...     start=scn.start, movement=scn.movement, risk_params=scn.risk)
    """
    speeds = np.asarray(surface_speed_kph, dtype=np.float64)
    if speeds.shape != (len(SURFACES),) or not (speeds > 0).all():
        _fail("surface_speed_kph", f"{len(SURFACES)} speeds > 0", speeds.tolist())
    surf = np.asarray(roads.edge_surface, dtype=np.int64)
    cap = np.asarray(roads.edge_maxspeed_kph, dtype=np.float64)
    edge_speed = np.minimum(np.minimum(speeds[surf], cap), movement.max_speed_kph)
    node_ambush = np.asarray(risk.node_ambush, dtype=np.float64)
    can_halt = np.zeros(len(node_ambush), dtype=bool)
    for name in halt_sites:
        if name not in roads.site_node:
            msg = f"halt sites: expected a site snapped to the network, found {name!r}"
            raise ScenarioError(msg)
        can_halt[roads.site_node[name]] = True
    day_km, night_km = column_lengths_km(vehicle_lengths_m, movement)
    costs = costs or ColumnCosts()
    mod = start.hour * 60 + start.minute + start.second / 60.0
    return ExposureModel(
        edge_u=np.asarray(roads.edge_u),
        edge_v=np.asarray(roads.edge_v),
        edge_length_m=np.asarray(roads.edge_length_m),
        edge_speed_kph=edge_speed,
        edge_ied=np.asarray(risk.edge_ied),
        edge_ambush=np.asarray(risk.edge_ambush),
        node_ambush=node_ambush,
        node_can_halt=can_halt,
        column_day_km=day_km,
        column_night_km=night_km,
        start_minute_of_day=mod,
        day_start_min=parse_hhmm(movement.day_start),
        day_end_min=parse_hhmm(movement.day_end),
        diurnal_ied=np.asarray(risk_params.diurnal_ied, dtype=np.float64),
        diurnal_ambush=np.asarray(risk_params.diurnal_ambush, dtype=np.float64),
        clearance_speed_kph=movement.clearance_speed_for(max(clearance_teams, 1)),
        clearance_ied_factor=movement.clearance_ied_factor,
        clearance_available=clearance_teams >= 1,
        night_speed_factor=movement.night_speed_factor,
        halt_exposure_factor=movement.halt_exposure_factor,
        roadside_halt_factor=movement.roadside_halt_factor,
        pass_gap_min=column_gaps_min(len(vehicle_lengths_m), movement),
        pass_day_km=day_km + movement.interval_day_m / 1000.0,
        pass_night_km=night_km + movement.interval_night_m / 1000.0,
        breakdowns_per_km=costs.breakdowns_per_km,
        fuel_l_per_km=costs.fuel_l_per_km,
        crew=costs.crew,
        breakdown_price=costs.breakdown_price,
        fuel_price_l=costs.fuel_price_l,
        crew_hour_price=costs.crew_hour_price,
        ied_command_share=risk_params.ied_command_fraction,
        ied_reference_km=ied_reference_km,
    )


def column_surface_speeds(vehicle_speeds_kph: Sequence[Sequence[float]]) -> FloatArray:
    """
    Speed of the column on each surface: the slowest moving vehicle's, in km/h.

    Parameters
    ----------
    vehicle_speeds_kph
        One row per moving vehicle: its speed on each surface of ``SURFACES``.
    """
    a = np.asarray(vehicle_speeds_kph, dtype=np.float64).reshape(-1, len(SURFACES))
    if len(a) == 0:
        msg = "column: expected at least one moving vehicle, found none"
        raise ScenarioError(msg)
    return np.ascontiguousarray(a.min(axis=0))

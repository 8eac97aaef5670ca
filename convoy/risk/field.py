"""The risk field: two channels of kernel-summed past events, at points, rasters, roads.

Each channel ``c`` (``"ied"`` and ``"ambush"``, DESIGN.md "The risk field") is

    lambda_c(x, hour) = s_c * d_c(hour) * m_c * 1e6
                        * sum_k w_k * exp(-|x - x_k|^2 / (2 h_k^2)) / (2 pi h_k^2)

- ``w_k = rule.weight * (1 + fatality_weight * fatalities_k)
  * 0.5 ** (age_k / half_life)`` with the rule of the event's type
  (:meth:`convoy.params.RiskParams.channel_rules`, keyed
  ``"event_type|sub_event_type"``, falling back to ``"event_type"``, then for old
  ACLED types to the current type they became);
- ``h_k = sqrt(h_rule^2 + p_k^2)``, in metres: the rule's bandwidth widened by the
  event's location uncertainty ``p_k`` (its precision code's width,
  ``RiskParams.precision_km_acled`` / ``precision_km_ucdp``), so an event coded at a
  town's centre for "somewhere near the town" spreads over the town's surroundings
  instead of making a spike at the centre;
- the kernel sum is a density per square metre; ``1e6`` makes it per km^2, so with
  ``s_c = 1`` a channel reads "weighted events per km^2";
- ``s_c`` the calibration scale (``RiskParams.scale_ied`` / ``scale_ambush``, 1 when
  not given). Once calibrated the IED channel reads *expected incidents per km
  traversed* by the head of the column and the ambush channel *expected incidents per
  hour per km of column exposed*;
- ``m_c`` the air-cover multiplier (ambush only: ``air_cover_ambush_factor`` with air
  cover, 1 without);
- ``d_c`` the 24-hour profile (UTC), normalised to mean 1; ``hour=None`` means the
  daily mean (``d = 1``).

The kernel sums are :func:`convoy.risk.kernels.kernel_at` and
:func:`~convoy.risk.kernels.kernel_raster` (numba); this module turns events and
parameters into their inputs; :mod:`convoy.risk.edges` turns the field into the
planner's tables along the roads (:func:`~convoy.risk.edges.edge_risk`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from convoy.errors import DataQualityWarning, GeodataError, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.params import ChannelRule, RiskParams
from convoy.risk.kernels import kernel_at, kernel_raster

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The risk channels, in band order.
CHANNELS: tuple[str, ...] = ("ied", "ambush")

#: Square metres per square kilometre: kernel sums are per m^2, channels per km^2.
M2_PER_KM2 = 1e6

#: Event types of ACLED's schema before 2019 that have no rule of their own, read
#: as the current type they became (ACLED, "Codebook 2019", annex on the transition).
LEGACY_ACLED_TYPES: dict[str, str] = {
    "Battle-No change of territory": "Battles",
    "Battle-Government regains territory": "Battles",
    "Battle-Non-state actor overtakes territory": "Battles",
    "Riots/Protests": "Protests",
    "Strategic development": "Strategic developments",
    "Headquarters or base established": "Strategic developments",
    "Non-violent transfer of territory": "Strategic developments",
}

#: Units of each channel, as written in rasters and reports.
UNITS_CALIBRATED: dict[str, str] = {
    "ied": "expected incidents per km traversed (head of column)",
    "ambush": "expected incidents per hour per km of column exposed",
}
UNITS_RELATIVE = "weighted events per km2 (relative: channel not calibrated)"


@dataclass(frozen=True, eq=False)
class RiskChannel:
    """
    The kernel sources and factors of one channel.

    Parameters
    ----------
    name
        ``"ied"`` or ``"ambush"``.
    xy
        (K, 2) event positions in the field's CRS, metres.
    weight
        (K,) event weights ``w_k`` (> 0), dimensionless.
    bandwidth_m
        (K,) Gaussian sigma ``h_k``, metres (> 0).
    event_idx
        (K,) index of each source in the :class:`~convoy.events.ThreatEvents` it
        came from.
    scale
        Calibration scale ``s_c`` (1 when not calibrated).
    multiplier
        Air-cover multiplier ``m_c``.
    diurnal
        (24,) hourly profile ``d_c`` (UTC), mean 1.
    calibrated
        Whether ``scale`` came from calibration or the scenario (units are then
        incidents, otherwise relative).
    """

    name: str
    xy: FloatArray
    weight: FloatArray
    bandwidth_m: FloatArray
    event_idx: IntArray
    scale: float = 1.0
    multiplier: float = 1.0
    diurnal: FloatArray = dataclasses.field(default_factory=lambda: np.ones(24))
    calibrated: bool = False

    @property
    def num_events(self) -> int:
        """Number of events feeding the channel."""
        return int(self.weight.shape[0])

    @property
    def units(self) -> str:
        """What one unit of the channel means."""
        return UNITS_CALIBRATED[self.name] if self.calibrated else UNITS_RELATIVE

    def factor(self, hour: ArrayLike | None = None) -> Any:
        """
        ``s_c * m_c * d_c(hour) * 1e6``: kernel density per m^2 to channel units.

        ``hour`` is the hour of day UTC (any real; its floor modulo 24 picks the
        profile's entry), an array of them, or None for the daily mean.
        """
        base = self.scale * self.multiplier * M2_PER_KM2
        if hour is None:
            return base
        h = np.asarray(hour, dtype=np.float64)
        if not np.isfinite(h).all():
            msg = f"hour: expected finite hours of day, found {hour!r}"
            raise ScenarioError(msg)
        idx = np.floor(h).astype(np.int64) % 24
        out = base * self.diurnal[idx]
        return float(out) if out.ndim == 0 else out


def _rule_for(
    event_type: str, sub_type: str, rules: dict[str, ChannelRule]
) -> ChannelRule | None:
    if sub_type and (r := rules.get(f"{event_type}|{sub_type}")) is not None:
        return r
    if (r := rules.get(event_type)) is not None:
        return r
    legacy = LEGACY_ACLED_TYPES.get(event_type)
    if legacy is not None:
        return rules.get(legacy)
    return None


def _profile(values: tuple[float, ...] | FloatArray, name: str) -> FloatArray:
    d = np.asarray(values, dtype=np.float64)
    if d.shape != (24,) or not np.isfinite(d).all() or (d < 0).any() or d.mean() <= 0:
        raise ScenarioError(
            Problem(
                "",
                "[risk]",
                name,
                "24 numbers >= 0 with a positive mean",
                repr(list(values)),
            )
        )
    return np.ascontiguousarray(d / d.mean())


@dataclass(frozen=True, slots=True)
class Staleness:
    """
    How old the newest event is at the scenario start, and what the decay made of it.

    Parameters
    ----------
    newest_date
        Date of the newest event kept, ISO ``YYYY-MM-DD``.
    newest_age_days
        Days from it to the start.
    decay_weight
        Its time-decay weight at the start, ``0.5 ** (age / half_life)`` (1 for an
        event of the start's day).
    stale_after_days
        The age beyond which the events are called stale (``[risk]``).
    stale
        Whether ``newest_age_days > stale_after_days``.
    """

    newest_date: str
    newest_age_days: float
    decay_weight: float
    stale_after_days: float
    stale: bool

    def message(self, source: str) -> str:
        """The warning printed for stale events."""
        return (
            f"{source}: the newest event ({self.newest_date}) is "
            f"{self.newest_age_days:.0f} days before the start (more than "
            f"[risk] stale_after_days = {self.stale_after_days:g}); its time-decay "
            f"weight at the start is {self.decay_weight:.3g}, and calibration rescales "
            "the field to the reference trip, so the risk reads as if current: "
            "update the events"
        )


def event_staleness(events: ThreatEvents, params: RiskParams) -> Staleness | None:
    """
    The age of the newest event at the start (None without events).

    Examples
    --------
    >>> event_staleness(events, RiskParams()).stale  # doctest: +SKIP
    False
    """
    if len(events) == 0:
        return None
    i = int(np.argmin(events.age_days))
    age = float(events.age_days[i])
    return Staleness(
        newest_date=str(events.date[i]),
        newest_age_days=age,
        decay_weight=float(0.5 ** (age / params.half_life_days)),
        stale_after_days=float(params.stale_after_days),
        stale=age > params.stale_after_days,
    )


def precision_widths_m(events: ThreatEvents, params: RiskParams) -> FloatArray:
    """
    (K,) location uncertainty of each event from its precision code, metres.

    Codes beyond the table (not read from a file) take its last width.
    """
    widths = np.asarray(params.precision_widths_km(events.fmt), dtype=np.float64)
    code = np.clip(np.asarray(events.geo_precision, dtype=np.int64), 1, len(widths))
    return widths[code - 1] * 1000.0


@dataclass(frozen=True, eq=False)
class RiskField:
    """
    The two-channel risk field of a scenario.

    Build it with :func:`risk_field_from_events`.

    Parameters
    ----------
    crs
        The projected CRS of every coordinate (metres).
    ied, ambush
        The channels.
    accuracy
        Relative accuracy of the kernel sums (truncation of the Gaussian tails).
    num_events
        Events read (before the channel rules).
    num_ignored
        Events whose rule puts them in no channel (or gives them weight 0).
    unknown_types
        Types with no rule, and how many events had each (ignored too).
    """

    crs: pyproj.CRS
    ied: RiskChannel
    ambush: RiskChannel
    accuracy: float = 1e-6
    num_events: int = 0
    num_ignored: int = 0
    unknown_types: dict[str, int] = dataclasses.field(default_factory=dict)
    staleness: Staleness | None = None

    def channel(self, name: str) -> RiskChannel:
        """The channel called ``name``; ScenarioError listing the choices otherwise."""
        if name == "ied":
            return self.ied
        if name == "ambush":
            return self.ambush
        raise ScenarioError(
            Problem("", "", "channel", f"one of {list(CHANNELS)}", repr(name))
        )

    @property
    def num_unknown(self) -> int:
        """Events ignored because no rule knows their type."""
        return sum(self.unknown_types.values())

    def with_scales(self, scale_ied: float, scale_ambush: float) -> RiskField:
        """
        The same field with calibration scales ``s_c`` set (channels then calibrated).

        Raises
        ------
        ScenarioError
            If a scale is not a finite number >= 0.

        Examples
        --------
        >>> calibrated = field.with_scales(0.8, 0.05)  # doctest: +SKIP
        """
        for name, s in (("scale_ied", scale_ied), ("scale_ambush", scale_ambush)):
            if not (math.isfinite(s) and s >= 0):
                raise ScenarioError(
                    Problem("", "[risk]", name, "a number >= 0", repr(s))
                )
        return dataclasses.replace(
            self,
            ied=dataclasses.replace(self.ied, scale=float(scale_ied), calibrated=True),
            ambush=dataclasses.replace(
                self.ambush, scale=float(scale_ambush), calibrated=True
            ),
        )

    def density_at(self, points_xy: ArrayLike, channel: str) -> FloatArray:
        """
        The raw kernel sum ``sum_k w_k K_h(x - x_k)`` at points, per m^2 (no factors).

        Raises
        ------
        ScenarioError
            If the points are not an (M, 2) array of finite metres.
        """
        ch = self.channel(channel)
        pts = _points(points_xy)
        if ch.num_events == 0 or pts.shape[0] == 0:
            return np.zeros(pts.shape[0])
        return np.asarray(
            kernel_at(ch.xy, ch.weight, ch.bandwidth_m, pts, accuracy=self.accuracy),
            dtype=np.float64,
        )

    def at(
        self, points_xy: ArrayLike, channel: str, hour: ArrayLike | None = None
    ) -> FloatArray:
        """
        The channel's value at points.

        Parameters
        ----------
        points_xy
            (M, 2) positions in the field's CRS, metres.
        channel
            ``"ied"`` (per km traversed) or ``"ambush"`` (per hour per km of column).
        hour
            Hour of day UTC (a number, or (M,) numbers), or None for the daily mean.

        Returns
        -------
        numpy.ndarray
            (M,) values in the channel's units (see :attr:`RiskChannel.units`).

        Raises
        ------
        ScenarioError
            Bad points, channel or hour.

        Examples
        --------
        >>> field.at([[250_000.0, 1_990_000.0]], "ied", hour=6)  # doctest: +SKIP
        array([0.0123])
        """
        ch = self.channel(channel)
        dens = self.density_at(points_xy, channel)
        f = ch.factor(hour)
        if np.ndim(f) and np.shape(f) != dens.shape:
            msg = (
                f"hour: expected one hour or {dens.shape[0]} hours, found "
                f"{np.shape(f)[0]}"
            )
            raise ScenarioError(msg)
        return np.asarray(dens * f, dtype=np.float64)

    def raster(
        self,
        origin_xy: tuple[float, float],
        cell_m: float,
        shape: tuple[int, int],
        channel: str,
        hour: float | None = None,
    ) -> FloatArray:
        """
        The channel on a north-up grid of cell centres.

        Parameters
        ----------
        origin_xy
            ``(x_min, y_max)``: the grid's upper-left corner, metres.
        cell_m
            Cell size, metres (> 0). Cell ``(r, c)`` is centred at
            ``(x_min + (c + 0.5) cell_m, y_max - (r + 0.5) cell_m)``.
        shape
            ``(rows, cols)``.
        channel, hour
            As in :meth:`at` (one hour for the whole grid).

        Returns
        -------
        numpy.ndarray
            (rows, cols) float64 values in the channel's units.

        Raises
        ------
        ScenarioError
            Bad grid, channel or hour.

        Examples
        --------
        >>> field.raster((200_000.0, 2_050_000.0), 500.0, (400, 300), "ambush")
        ... # doctest: +SKIP
        """
        ch = self.channel(channel)
        rows, cols = (int(shape[0]), int(shape[1]))
        x0, y0 = float(origin_xy[0]), float(origin_xy[1])
        if not (math.isfinite(x0) and math.isfinite(y0)):
            raise ScenarioError(
                Problem("", "", "origin_xy", "finite metres", repr(origin_xy))
            )
        if not (math.isfinite(cell_m) and cell_m > 0):
            raise ScenarioError(Problem("", "", "cell_m", "metres > 0", repr(cell_m)))
        if rows < 0 or cols < 0:
            raise ScenarioError(
                Problem("", "", "shape", "(rows, cols) >= 0", repr(shape))
            )
        if hour is not None and np.ndim(hour) != 0:
            raise ScenarioError(
                Problem("", "", "hour", "one hour of day for a raster", repr(hour))
            )
        if ch.num_events == 0 or rows == 0 or cols == 0:
            return np.zeros((rows, cols))
        dens = kernel_raster(
            ch.xy,
            ch.weight,
            ch.bandwidth_m,
            (x0, y0),
            float(cell_m),
            (rows, cols),
            accuracy=self.accuracy,
        )
        return np.asarray(dens, dtype=np.float64) * ch.factor(hour)


def _points(points_xy: ArrayLike) -> FloatArray:
    pts = np.asarray(points_xy, dtype=np.float64)
    if pts.ndim == 1 and pts.shape[0] == 2:
        pts = pts.reshape(1, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ScenarioError(
            Problem(
                "", "", "points_xy", "an (M, 2) array of metres", f"shape {pts.shape}"
            )
        )
    if not np.isfinite(pts).all():
        bad = int(np.flatnonzero(~np.isfinite(pts).all(axis=1))[0])
        raise ScenarioError(
            Problem(
                "",
                f"point {bad}",
                "points_xy",
                "finite metres",
                repr(pts[bad].tolist()),
            )
        )
    return np.ascontiguousarray(pts)


def _event_xy(events: ThreatEvents, target: pyproj.CRS) -> FloatArray:
    """(K, 2) event positions in ``target``, projected from lon/lat if need be."""
    xy = events.xy
    if events.crs and pyproj.CRS.from_user_input(events.crs) != target:
        t = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = t.transform(events.lonlat[:, 0], events.lonlat[:, 1])
        xy = np.column_stack([np.asarray(x), np.asarray(y)])
    xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(xy).all():
        msg = f"{events.source}: events do not project to {target.name}"
        raise GeodataError(msg)
    return xy


def _apply_rules(
    events: ThreatEvents, rules: dict[str, ChannelRule]
) -> tuple[IntArray, FloatArray, FloatArray, Counter[str]]:
    """
    Each event's channel (-1 for none), rule weight and bandwidth (metres).

    Also counts the events of each type no rule knows.
    """
    num = len(events)
    channel_of = np.full(num, -1, dtype=np.int64)
    rule_w = np.zeros(num)
    rule_h = np.zeros(num)
    unknown: Counter[str] = Counter()
    for i in range(num):
        etype = str(events.event_type[i])
        sub = str(events.sub_event_type[i])
        rule = _rule_for(etype, sub, rules)
        if rule is None:
            unknown[f"{etype}|{sub}" if sub else etype] += 1
            continue
        if rule.channel in CHANNELS and rule.weight > 0:
            if not (math.isfinite(rule.bandwidth_km) and rule.bandwidth_km > 0):
                raise ScenarioError(
                    Problem(
                        "",
                        "[risk.rules]",
                        f"{etype}.bandwidth_km",
                        "km > 0",
                        repr(rule.bandwidth_km),
                    )
                )
            channel_of[i] = CHANNELS.index(rule.channel)
            rule_w[i] = rule.weight
            rule_h[i] = rule.bandwidth_km * 1000.0
    return channel_of, rule_w, rule_h, unknown


def risk_field_from_events(
    events: ThreatEvents,
    params: RiskParams | None = None,
    *,
    crs: Any = None,
    air_cover: bool = False,
) -> RiskField:
    """
    Build the risk field from threat events and the ``[risk]`` parameters.

    Parameters
    ----------
    events
        The events (their ``age_days`` are counted from the scenario start).
    params
        Rules, half-life, fatality weight, scales, diurnal profiles, accuracy;
        defaults as :class:`~convoy.params.RiskParams`.
    crs
        The projected CRS to work in; default the events' own. If it differs, the
        events' lon/lat are projected to it.
    air_cover
        Whether the column has air cover (the ambush channel is then multiplied by
        ``params.air_cover_ambush_factor``).

    Returns
    -------
    RiskField

    Raises
    ------
    ScenarioError
        A bad rule override or diurnal profile.

    Warns
    -----
    DataQualityWarning
        When events have types no rule knows (they are ignored; the message counts
        them per type), and when the newest event is older than
        ``params.stale_after_days`` at the start.

    Examples
    --------
    >>> field = risk_field_from_events(events, RiskParams(), air_cover=False)
    ... # doctest: +SKIP
    >>> field.ied.num_events  # doctest: +SKIP
    212
    """
    params = params or RiskParams()
    rules = params.channel_rules()
    target = pyproj.CRS.from_user_input(crs if crs is not None else events.crs)
    xy = _event_xy(events, target)
    num = len(events)
    channel_of, rule_w, rule_h, unknown = _apply_rules(events, rules)
    if unknown:
        listed = ", ".join(f"{t!r} ({n})" for t, n in sorted(unknown.items()))
        warnings.warn(
            f"{events.source}: {sum(unknown.values())} events of {len(unknown)} "
            f"types with no rule in [risk.rules] are ignored: {listed}",
            DataQualityWarning,
            stacklevel=2,
        )
    stale = event_staleness(events, params)
    if stale is not None and stale.stale:
        warnings.warn(stale.message(events.source), DataQualityWarning, stacklevel=2)
    rule_h = np.sqrt(rule_h**2 + precision_widths_m(events, params) ** 2)
    decay = 0.5 ** (events.age_days / params.half_life_days)
    weight = rule_w * (1.0 + params.fatality_weight * events.fatalities) * decay

    def make(
        idx: int,
        scale: float | None,
        multiplier: float,
        diurnal: tuple[float, ...],
        pname: str,
    ) -> RiskChannel:
        sel = np.flatnonzero((channel_of == idx) & (weight > 0))
        return RiskChannel(
            name=CHANNELS[idx],
            xy=np.ascontiguousarray(xy[sel]),
            weight=np.ascontiguousarray(weight[sel]),
            bandwidth_m=np.ascontiguousarray(rule_h[sel]),
            event_idx=sel.astype(np.int64),
            scale=1.0 if scale is None else float(scale),
            multiplier=multiplier,
            diurnal=_profile(diurnal, pname),
            calibrated=scale is not None,
        )

    ied = make(0, params.scale_ied, 1.0, params.diurnal_ied, "diurnal_ied")
    ambush = make(
        1,
        params.scale_ambush,
        params.air_cover_ambush_factor if air_cover else 1.0,
        params.diurnal_ambush,
        "diurnal_ambush",
    )
    return RiskField(
        crs=target,
        ied=ied,
        ambush=ambush,
        accuracy=params.accuracy,
        num_events=num,
        num_ignored=num - ied.num_events - ambush.num_events - sum(unknown.values()),
        unknown_types=dict(sorted(unknown.items())),
        staleness=stale,
    )


# ------------------------------------------------------------------ grids


def raster_grid(
    bounds: tuple[float, float, float, float], cell_m: float, pad_m: float = 25_000.0
) -> tuple[tuple[float, float], tuple[int, int]]:
    """
    A north-up grid covering ``bounds`` padded by ``pad_m``, snapped to ``cell_m``.

    Parameters
    ----------
    bounds
        ``(x_min, y_min, x_max, y_max)`` in metres.
    cell_m
        Cell size, metres (> 0).
    pad_m
        Margin added on every side, metres (>= 0). Default 25 km: about five
        bandwidths of a clash, so the field fades out inside the raster.

    Returns
    -------
    tuple
        ``((x_min, y_max), (rows, cols))`` for :meth:`RiskField.raster`.

    Raises
    ------
    ScenarioError
        Non-finite bounds or a bad cell size or padding.

    Examples
    --------
    >>> raster_grid((1000.0, 2000.0, 5000.0, 3000.0), 500.0, pad_m=0.0)
    ((1000.0, 3000.0), (2, 8))
    """
    x_min, y_min, x_max, y_max = (float(b) for b in bounds)
    if not all(math.isfinite(v) for v in (x_min, y_min, x_max, y_max)) or (
        x_max < x_min or y_max < y_min
    ):
        raise ScenarioError(
            Problem(
                "", "", "bounds", "finite (x_min, y_min, x_max, y_max)", repr(bounds)
            )
        )
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise ScenarioError(Problem("", "", "cell_m", "metres > 0", repr(cell_m)))
    if not (math.isfinite(pad_m) and pad_m >= 0):
        raise ScenarioError(Problem("", "", "pad_m", "metres >= 0", repr(pad_m)))
    x0 = math.floor((x_min - pad_m) / cell_m) * cell_m
    y1 = math.ceil((y_max + pad_m) / cell_m) * cell_m
    x1 = math.ceil((x_max + pad_m) / cell_m) * cell_m
    y0 = math.floor((y_min - pad_m) / cell_m) * cell_m
    cols = max(1, round((x1 - x0) / cell_m))
    rows = max(1, round((y1 - y0) / cell_m))
    return (float(x0), float(y1)), (int(rows), int(cols))

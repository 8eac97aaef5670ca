"""The risk field: two channels of kernel-summed past events, at points, rasters, roads.

Each channel ``c`` (``"ied"`` and ``"ambush"``, DESIGN.md "The risk field") is

    lambda_c(x, hour) = s_c * d_c(hour) * m_c * 1e6
                        * sum_k w_k * exp(-|x - x_k|^2 / (2 h_k^2)) / (2 pi h_k^2)

- ``w_k = rule.weight * (1 + fatality_weight * fatalities_k)
  * 0.5 ** (age_k / half_life)`` with the rule of the event's type
  (:meth:`convoy.params.RiskParams.channel_rules`, keyed
  ``"event_type|sub_event_type"``, falling back to ``"event_type"``, then for old
  ACLED types to the current type they became);
- ``h_k`` the rule's bandwidth, in metres;
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
parameters into their inputs and their outputs into the planner's tables
(:func:`edge_risk`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from convoy.errors import DataQualityWarning, GeodataError, Problem, ScenarioError
from convoy.params import ChannelRule, RiskParams
from convoy.risk.kernels import kernel_at, kernel_raster

if TYPE_CHECKING:
    from convoy.events import ThreatEvents
    from convoy.roads import RoadNetwork
    from convoy.scenario import Scenario

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


@dataclass(frozen=True, eq=False)
class RiskField:
    """
    The two-channel risk field of a scenario.

    Build it with :func:`build_risk_field` or :func:`risk_field_from_events`.

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
        them per type).

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
    xy = events.xy
    if events.crs and pyproj.CRS.from_user_input(events.crs) != target:
        t = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True)
        x, y = t.transform(events.lonlat[:, 0], events.lonlat[:, 1])
        xy = np.column_stack([np.asarray(x), np.asarray(y)])
    xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(xy).all():
        msg = f"{events.source}: events do not project to {target.name}"
        raise GeodataError(msg)

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
    if unknown:
        listed = ", ".join(f"{t!r} ({n})" for t, n in sorted(unknown.items()))
        warnings.warn(
            f"{events.source}: {sum(unknown.values())} events of {len(unknown)} "
            f"types with no rule in [risk.rules] are ignored: {listed}",
            DataQualityWarning,
            stacklevel=2,
        )
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
    )


def build_risk_field(scenario: Scenario) -> RiskField:
    """
    The risk field of a loaded scenario, in its road network's CRS.

    Examples
    --------
    >>> field = build_risk_field(read_scenario("geodata/kidal-gao"))  # doctest: +SKIP
    """
    return risk_field_from_events(
        scenario.events,
        scenario.risk,
        crs=scenario.roads.crs,
        air_cover=scenario.air_cover,
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


# ------------------------------------------------------------------ road edges


@dataclass(frozen=True, eq=False)
class EdgeRisk:
    """
    Both channels sampled along every road edge: the planner's risk tables.

    Samples of edge ``e`` are ``offsets[e]:offsets[e + 1]``, at positions ``s_m``
    from the edge's ``u`` end (0, step, 2 step, ..., length). Values are daily
    means including scale and air-cover multiplier; multiply by ``diurnal_*[hour]``
    for an hour of day. Between samples the field is taken as linear, so the
    prefix integrals are trapezoid sums and :meth:`integral` is exact for that
    piecewise-linear field.

    Parameters
    ----------
    step_m
        Sample spacing, metres.
    offsets
        (E + 1,) start of each edge's samples.
    s_m
        (S,) position of each sample along its edge, metres.
    ied, ambush
        (S,) channel values at the samples: IED per km traversed, ambush per hour
        per km of column.
    ied_cum, ambush_cum
        (S,) integral of the value over kilometres from the edge's start to the
        sample: for IED, the expected incidents of the head of a column driving
        that stretch; for ambush, the expected incidents per hour of a column
        spread over that stretch.
    edge_ied, edge_ambush
        (E,) integrals over each whole edge.
    node_ambush, node_ied
        (N,) channel values at each node (a halted column's exposure is
        ``node_ambush * column_km * hours``).
    diurnal_ied, diurnal_ambush
        (24,) hourly profiles (UTC), mean 1.
    scale_ied, scale_ambush
        The calibration scales included in the values.
    """

    step_m: float
    offsets: IntArray
    s_m: FloatArray
    ied: FloatArray
    ambush: FloatArray
    ied_cum: FloatArray
    ambush_cum: FloatArray
    edge_ied: FloatArray
    edge_ambush: FloatArray
    node_ied: FloatArray
    node_ambush: FloatArray
    diurnal_ied: FloatArray
    diurnal_ambush: FloatArray
    scale_ied: float = 1.0
    scale_ambush: float = 1.0

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return int(self.offsets.shape[0] - 1)

    def values(self, channel: str) -> tuple[FloatArray, FloatArray]:
        """``(values, prefix integrals)`` of a channel."""
        if channel == "ied":
            return self.ied, self.ied_cum
        if channel == "ambush":
            return self.ambush, self.ambush_cum
        raise ScenarioError(
            Problem("", "", "channel", f"one of {list(CHANNELS)}", repr(channel))
        )

    def cumulative(self, edge_idx: ArrayLike, pos_m: ArrayLike, channel: str) -> Any:
        """
        Integral of a channel from an edge's ``u`` end to ``pos_m`` along it, over km.

        ``pos_m`` is clipped to ``[0, length]``. Vectorised over ``edge_idx`` and
        ``pos_m`` (broadcast together); O(1) per query.
        """
        vals, cum = self.values(channel)
        e = np.asarray(edge_idx, dtype=np.int64)
        pos = np.asarray(pos_m, dtype=np.float64)
        e, pos = np.broadcast_arrays(e, pos)
        if e.size and (e.min() < 0 or e.max() >= self.num_edges):
            raise ScenarioError(
                Problem(
                    "",
                    "",
                    "edge_idx",
                    f"edge indices in [0, {self.num_edges})",
                    repr(e.min() if e.min() < 0 else e.max()),
                )
            )
        lo = self.offsets[e]
        hi = self.offsets[e + 1] - 1  # last sample, at the edge's length
        length = self.s_m[hi]
        p = np.clip(pos, 0.0, length)
        # Samples are uniform except the last: the segment index is p // step, capped.
        i = lo + np.minimum((p // self.step_m).astype(np.int64), hi - lo - 1)
        i = np.maximum(i, lo)
        j = np.minimum(i + 1, hi)
        ds = self.s_m[j] - self.s_m[i]
        t = p - self.s_m[i]
        v0, v1 = vals[i], vals[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(ds > 0, (v1 - v0) / np.where(ds > 0, ds, 1.0), 0.0)
        out = cum[i] + (v0 * t + 0.5 * slope * t * t) / 1000.0
        return float(out) if out.ndim == 0 else out

    def integral(
        self, edge_idx: ArrayLike, a_m: ArrayLike, b_m: ArrayLike, channel: str
    ) -> Any:
        """
        Integral of a channel over the stretch between two positions on an edge.

        Parameters
        ----------
        edge_idx
            Edge index (or array of them).
        a_m, b_m
            Positions along the edge from its ``u`` end, metres (either order;
            clipped to the edge).
        channel
            ``"ied"``: expected IED incidents for the head of a column driving the
            stretch; ``"ambush"``: km-integrated ambush rate, i.e. expected incidents
            per hour of a column spread over the stretch.

        Returns
        -------
        float or numpy.ndarray
            The integral (>= 0), in the channel's units times km.

        Raises
        ------
        ScenarioError
            An unknown channel or an edge index out of range.

        Examples
        --------
        >>> table.integral(12, 0.0, 1_500.0, "ied")  # doctest: +SKIP
        0.0031
        """
        ca = self.cumulative(edge_idx, a_m, channel)
        cb = self.cumulative(edge_idx, b_m, channel)
        return np.abs(cb - ca) if np.ndim(ca) else abs(cb - ca)

    def with_scales(self, scale_ied: float, scale_ambush: float) -> EdgeRisk:
        """The same tables with the channels rescaled to new calibration scales."""
        fi = _ratio(scale_ied, self.scale_ied)
        fa = _ratio(scale_ambush, self.scale_ambush)
        return dataclasses.replace(
            self,
            ied=self.ied * fi,
            ied_cum=self.ied_cum * fi,
            edge_ied=self.edge_ied * fi,
            node_ied=self.node_ied * fi,
            ambush=self.ambush * fa,
            ambush_cum=self.ambush_cum * fa,
            edge_ambush=self.edge_ambush * fa,
            node_ambush=self.node_ambush * fa,
            scale_ied=float(scale_ied),
            scale_ambush=float(scale_ambush),
        )


def _ratio(new: float, old: float) -> float:
    if not (math.isfinite(new) and new >= 0):
        raise ScenarioError(Problem("", "[risk]", "scale", "a number >= 0", repr(new)))
    if old == 0:
        msg = "cannot rescale edge tables built with scale 0; rebuild them"
        raise ScenarioError(msg)
    return new / old


def edge_samples(
    roads: RoadNetwork, step_m: float
) -> tuple[IntArray, FloatArray, FloatArray]:
    """
    Sample positions along every edge: ``(offsets, s_m, xy)``.

    Positions are 0, step, 2 step, ... and the edge's length (at least two per
    edge); ``xy`` are the points on the edge geometry, in the network's CRS.
    """
    if not (math.isfinite(step_m) and step_m > 0):
        raise ScenarioError(
            Problem("", "[risk]", "edge_sample_m", "metres > 0", repr(step_m))
        )
    length = np.asarray(roads.edge_length_m, dtype=np.float64)
    num_edges = length.shape[0]
    full = np.floor(length / step_m).astype(np.int64)
    # The end sample is added unless the last regular one already sits on it.
    tail = (length - full * step_m) > 1e-6
    counts = np.maximum(full + 1 + tail, 2)
    offsets = np.zeros(num_edges + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    edge_of = np.repeat(np.arange(num_edges), counts)
    k = np.arange(total) - offsets[edge_of]
    s = np.minimum(k * step_m, length[edge_of])
    s[offsets[1:] - 1] = length
    geoms = np.asarray(roads.edge_geometry, dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(length[edge_of] > 0, s / length[edge_of], 0.0)
    pts = shapely.line_interpolate_point(
        geoms[edge_of], np.clip(frac, 0.0, 1.0), normalized=True
    )
    xy = np.ascontiguousarray(shapely.get_coordinates(pts), dtype=np.float64)
    if xy.shape != (total, 2) or not np.isfinite(xy).all():
        msg = "road edges: expected LineString geometries to sample, found empty ones"
        raise GeodataError(msg)
    return offsets, np.ascontiguousarray(s), xy


def _cum_trapezoid(
    values: FloatArray, s_m: FloatArray, offsets: IntArray
) -> FloatArray:
    """Per-edge prefix integrals over km of piecewise-linear samples."""
    ds_km = np.diff(s_m) / 1000.0
    seg = 0.5 * (values[1:] + values[:-1]) * ds_km
    # Segments that straddle two edges are zeroed so each edge starts at 0.
    starts = offsets[1:-1]
    seg[starts - 1] = 0.0
    cum = np.zeros_like(values)
    np.cumsum(seg, out=cum[1:])
    edge_of = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    return cum - cum[offsets[:-1]][edge_of]


def edge_risk(field: RiskField, roads: RoadNetwork, step_m: float = 250.0) -> EdgeRisk:
    """
    Sample both channels along every road edge and tabulate their integrals.

    Parameters
    ----------
    field
        The risk field, in the network's CRS.
    roads
        The road network (edge geometries oriented ``u`` to ``v``).
    step_m
        Sample spacing along edges, metres (> 0). Default 250 m
        (``RiskParams.edge_sample_m``): a twelfth of the narrowest default
        bandwidth, so linear interpolation between samples is accurate to well
        under 1 %.

    Returns
    -------
    EdgeRisk

    Raises
    ------
    GeodataError
        If the field and the network are in different CRSs.
    ScenarioError
        A bad step.

    Examples
    --------
    >>> table = edge_risk(build_risk_field(scenario), scenario.roads)
    ... # doctest: +SKIP
    >>> table.edge_ied.sum()  # doctest: +SKIP
    """
    if pyproj.CRS.from_user_input(roads.crs) != field.crs:
        msg = (
            f"risk field CRS {field.crs.name} differs from the road network's "
            f"{pyproj.CRS.from_user_input(roads.crs).name}"
        )
        raise GeodataError(msg)
    offsets, s_m, xy = edge_samples(roads, step_m)
    node_xy = np.ascontiguousarray(roads.node_xy, dtype=np.float64).reshape(-1, 2)
    both = np.ascontiguousarray(np.vstack([xy, node_xy]))
    n_s = xy.shape[0]
    tables: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name in CHANNELS:
        v = field.at(both, name)
        tables[name] = (np.ascontiguousarray(v[:n_s]), np.ascontiguousarray(v[n_s:]))
    ied, node_ied = tables["ied"]
    ambush, node_ambush = tables["ambush"]
    ied_cum = _cum_trapezoid(ied, s_m, offsets)
    ambush_cum = _cum_trapezoid(ambush, s_m, offsets)
    last = offsets[1:] - 1
    return EdgeRisk(
        step_m=float(step_m),
        offsets=offsets,
        s_m=s_m,
        ied=ied,
        ambush=ambush,
        ied_cum=ied_cum,
        ambush_cum=ambush_cum,
        edge_ied=np.ascontiguousarray(ied_cum[last]),
        edge_ambush=np.ascontiguousarray(ambush_cum[last]),
        node_ied=node_ied,
        node_ambush=node_ambush,
        diurnal_ied=field.ied.diurnal.copy(),
        diurnal_ambush=field.ambush.diurnal.copy(),
        scale_ied=field.ied.scale,
        scale_ambush=field.ambush.scale,
    )

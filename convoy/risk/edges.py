"""The risk field along the roads: both channels sampled on every edge, integrated.

:func:`edge_risk` samples a :class:`~convoy.risk.field.RiskField` every
``step_m`` along each road edge and tabulates the prefix integrals the exposure
model prices trips with (:class:`EdgeRisk`).

Every road also carries a background rate of each channel (:func:`background_rates`):
a road with no event reported near it is a road where nothing was reported, not a
safe road, so it takes a documented fraction of the region's mean rather than 0.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike

from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.params import SURFACES
from convoy.risk.field import CHANNELS, FloatArray, IntArray, RiskField
from convoy.roads.network import RoadNetwork


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
    background_ied, background_ambush
        Background rate of each channel on a road of surface factor 1, in the
        channel's units (included in the values; 0 without background).
    edge_bg_ied, edge_bg_ambush, node_bg_ambush
        (E,), (E,), (N,) the background's part of ``edge_ied``, ``edge_ambush``
        and ``node_ambush`` (zeros without background).
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
    background_ied: float = 0.0
    background_ambush: float = 0.0
    edge_bg_ied: FloatArray | None = None
    edge_bg_ambush: FloatArray | None = None
    node_bg_ambush: FloatArray | None = None

    def __post_init__(self) -> None:
        for name, like in (
            ("edge_bg_ied", self.edge_ied),
            ("edge_bg_ambush", self.edge_ambush),
            ("node_bg_ambush", self.node_ambush),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.zeros_like(like))

    def background_only(self) -> EdgeRisk:
        """The tables of the background alone (no events), to price its share."""
        assert self.edge_bg_ied is not None and self.edge_bg_ambush is not None
        assert self.node_bg_ambush is not None
        return dataclasses.replace(
            self,
            edge_ied=self.edge_bg_ied,
            edge_ambush=self.edge_bg_ambush,
            node_ambush=self.node_bg_ambush,
            node_ied=np.zeros_like(self.node_ied),
        )

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
            background_ied=self.background_ied * fi,
            background_ambush=self.background_ambush * fa,
            edge_bg_ied=None if self.edge_bg_ied is None else self.edge_bg_ied * fi,
            edge_bg_ambush=(
                None if self.edge_bg_ambush is None else self.edge_bg_ambush * fa
            ),
            node_bg_ambush=(
                None if self.node_bg_ambush is None else self.node_bg_ambush * fa
            ),
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


def background_rates(
    values: FloatArray, s_m: FloatArray, offsets: IntArray, factor: float
) -> float:
    """
    A channel's background rate: ``factor`` times its mean along the road network.

    The mean is length-weighted over every edge: the integral of the channel along
    all roads over their total length, i.e. the rate a column would meet per km on
    a road drawn at random from the region's network. An estimator that needs no
    extra parameter (no buffer width, no quantile), scales with the region's
    violence, and is calibrated with the rest of the field.

    Parameters
    ----------
    values, s_m, offsets
        The channel's samples along the edges (as in :class:`EdgeRisk`).
    factor
        The fraction of the mean (``RiskParams.background_factor``), >= 0.

    Returns
    -------
    float
        The background rate, in the channel's units (0 for a network of no length).
    """
    if not (math.isfinite(factor) and factor >= 0):
        raise ScenarioError(
            Problem("", "[risk]", "background_factor", "a number >= 0", repr(factor))
        )
    cum = _cum_trapezoid(values, s_m, offsets)
    last = offsets[1:] - 1
    total_km = float(s_m[last].sum()) / 1000.0
    if total_km <= 0:
        return 0.0
    return factor * float(cum[last].sum()) / total_km


def edge_risk(
    field: RiskField,
    roads: RoadNetwork,
    step_m: float = 250.0,
    *,
    background_factor: float = 0.0,
    surface_factors: ArrayLike | None = None,
) -> EdgeRisk:
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
    background_factor
        Every road carries this fraction of each channel's network mean
        (:func:`background_rates`) on top of its events' field. Default 0 (none);
        ``convoy plan`` uses ``RiskParams.background_factor``.
    surface_factors
        Multiplier of the background per surface of ``SURFACES`` (default all 1).

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
    >>> table = edge_risk(risk_field_from_events(events, crs=roads.crs), roads)
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
    sf = np.ones(len(SURFACES)) if surface_factors is None else surface_factors
    sf = np.asarray(sf, dtype=np.float64)
    if sf.shape != (len(SURFACES),) or not (np.isfinite(sf) & (sf >= 0)).all():
        raise ScenarioError(
            Problem(
                "",
                "[risk]",
                "background_surface_factors",
                f"{len(SURFACES)} numbers >= 0",
                repr(sf.tolist()),
            )
        )
    edge_of = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    edge_sf = sf[np.asarray(roads.edge_surface, dtype=np.int64)]
    node_sf = np.zeros(node_xy.shape[0])
    if edge_sf.size:
        np.maximum.at(node_sf, np.asarray(roads.edge_u, dtype=np.int64), edge_sf)
        np.maximum.at(node_sf, np.asarray(roads.edge_v, dtype=np.int64), edge_sf)
    bg = {
        name: background_rates(tables[name][0], s_m, offsets, background_factor)
        for name in CHANNELS
    }
    bg_ied = bg["ied"] * edge_sf[edge_of]
    bg_amb = bg["ambush"] * edge_sf[edge_of]
    ied = ied + bg_ied
    ambush = ambush + bg_amb
    node_bg_ambush = bg["ambush"] * node_sf
    node_ied = node_ied + bg["ied"] * node_sf
    node_ambush = node_ambush + node_bg_ambush
    ied_cum = _cum_trapezoid(ied, s_m, offsets)
    ambush_cum = _cum_trapezoid(ambush, s_m, offsets)
    last = offsets[1:] - 1
    edge_km = s_m[last] / 1000.0
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
        background_ied=bg["ied"],
        background_ambush=bg["ambush"],
        edge_bg_ied=np.ascontiguousarray(bg["ied"] * edge_sf * edge_km),
        edge_bg_ambush=np.ascontiguousarray(bg["ambush"] * edge_sf * edge_km),
        node_bg_ambush=np.ascontiguousarray(node_bg_ambush),
    )

"""Calibrate the risk channels to an observed convoy.

The kernel sums give the *shape* of the threat; their *level* comes from one fact: a
reference trip whose incidents were counted. For the embedded scenario that is the
MINUSMA column of 2023 -- Kidal 31 October 06:00Z to Gao on the night of 7 November,
143 vehicles on the main axis -- which reported six IED strikes. The reference trip
is rebuilt as a paced profile (:func:`convoy.schedule.paced_trajectory`: driving
inside the movement windows at one pace, halting at laager sites, finishing after
dark as the real column did) and priced with scale 1; the IED scale is then
``ied_incidents / E_ied`` so that the reference trip has exactly the observed count,
and the ambush scale is set so that the trip's expected ambush incidents are
``ambush_per_ied`` times that count (six IEDs and "a few" attacks by fire were
reported; there is no count of them to calibrate against separately).

Why calibrate to a trip and not to event counts: the quantity the planner compares
is incidents *per trip*, and a trip's incidents depend on the column's length, speed
and hours as much as on the map; calibrating the same model that plans makes the
planned and the observed numbers directly comparable.

Nothing here sees a scenario: :mod:`convoy.plan` unpacks ``[calibration]`` into a
model of the reference column, its route's edges and its times.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from convoy.errors import Problem, ScenarioError
from convoy.roads.network import RoadNetwork
from convoy.schedule import (
    Exposure,
    ExposureModel,
    Trajectory,
    paced_trajectory,
    trajectory_exposure,
)
from convoy.schedule.trajectory import Halt, edge_path_nodes

#: Channels of the risk, in the order scales are given.
CHANNELS: tuple[str, ...] = ("ied", "ambush")


@dataclass(frozen=True, slots=True)
class TripFit:
    """
    One reference trip's predicted (at scale 1) and observed incidents.

    Parameters
    ----------
    name
        The trip's name.
    unit_ied, unit_ambush
        Expected incidents of the trip, priced with channel scale 1.
    observed_ied, observed_ambush
        Observed counts; None where not known.
    used
        Whether the trip sets the scales (``calibrate`` and not ``holdout``).
    holdout
        Never used for calibration.
    """

    name: str
    unit_ied: float
    unit_ambush: float
    observed_ied: float | None
    observed_ambush: float | None
    used: bool = True
    holdout: bool = False

    def unit(self, channel: str) -> float:
        """Expected incidents of ``channel`` at scale 1."""
        return self.unit_ied if channel == "ied" else self.unit_ambush

    def observed(self, channel: str) -> float | None:
        """Observed count of ``channel``, None when unknown."""
        return self.observed_ied if channel == "ied" else self.observed_ambush


@dataclass(frozen=True, slots=True)
class ChannelFit:
    """
    One channel's scale, its interval and its Gamma posterior.

    The trips observing the channel give a Poisson likelihood in the scale s:
    ``count ~ Poisson(s * exposure)`` summed, so the maximum likelihood scale is
    ``count / exposure`` and the exact (Garwood) interval of the count divided by
    the exposure is the scale's interval. With a Gamma(``prior_shape``, 0) prior
    the posterior is Gamma(``posterior_shape`` = count + prior_shape, rate =
    exposure): a Monte Carlo draws a scale as ``scale * g`` with ``g ~
    Gamma(posterior_shape, 1 / posterior_shape)``, mean 1.

    Parameters
    ----------
    channel
        ``"ied"`` or ``"ambush"``.
    scale
        Maximum likelihood scale (or the scale given, ``source = "given"``).
    lower, upper
        The interval on the scale; None when the scale was given.
    count
        Observed incidents summed over the trips used (for an assumed ambush
        channel: the IED count it is tied to).
    exposure
        Expected incidents at scale 1 summed over the same trips (for an
        assumed ambush channel: its exposure divided by ``ambush_per_ied``), the
        posterior's rate.
    posterior_shape
        ``count + prior_shape``; None when the scale was given.
    source
        ``"observed"`` (fitted to counts of this channel), ``"assumed"`` (ambush
        unobserved: ``ambush_per_ied`` times the IED level, the same draw) or
        ``"given"`` (``[risk] scale_*``).
    """

    channel: str
    scale: float
    lower: float | None
    upper: float | None
    count: float
    exposure: float
    posterior_shape: float | None
    source: str


def scale_interval(
    count: float, exposure: float, interval: float = 0.9
) -> tuple[float, float]:
    """
    Exact (Garwood) interval of a Poisson rate: ``count`` events over ``exposure``.

    The lower bound is ``chi2(a/2; 2n) / 2 / E``, the upper ``chi2(1 - a/2; 2n+2)
    / 2 / E`` with ``a = 1 - interval`` (0 below when ``n = 0``).

    Examples
    --------
    >>> lo, hi = scale_interval(6, 1.0, 0.95)
    >>> round(lo, 2), round(hi, 2)
    (2.2, 13.06)
    """
    alpha = 1.0 - interval
    lo = float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2 if count > 0 else 0.0
    hi = float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return lo / exposure, hi / exposure


def predictive_interval(
    shape: float, rate: float, unit: float, interval: float = 0.9
) -> tuple[int, int]:
    """
    Interval of a trip's count when its scale has a Gamma(shape, rate) posterior.

    ``count ~ Poisson(s * unit)`` with ``s ~ Gamma(shape, rate)`` is negative
    binomial with ``n = shape`` and ``p = rate / (rate + unit)``; the interval is
    its central ``interval`` quantiles.
    """
    alpha = 1.0 - interval
    if unit <= 0:
        return 0, 0
    law = stats.nbinom(shape, rate / (rate + unit))
    return int(law.ppf(alpha / 2)), int(law.ppf(1 - alpha / 2))


def fit_scales(
    trips: Sequence[TripFit],
    *,
    ambush_per_ied: float,
    interval: float = 0.9,
    prior_shape: float = 0.5,
    where: str = "[[reference_trips]]",
) -> tuple[ChannelFit, ChannelFit]:
    """
    Joint Poisson maximum likelihood of both channel scales on the trips ``used``.

    Each channel's scale is ``sum(observed) / sum(predicted at scale 1)`` over the
    used trips that observed it, with its exact interval (:func:`scale_interval`).
    When no used trip observed ambushes, the ambush scale is tied to the IED one:
    the used trips' expected ambushes are ``ambush_per_ied`` times their observed
    IEDs (assumed, not observed), with the IED count's interval.

    Raises
    ------
    ScenarioError
        If no used trip observed IEDs, or the trips see no risk of a channel.

    Examples
    --------
    >>> ied, amb = fit_scales([TripFit("a", 2.0, 4.0, 6.0, None)], ambush_per_ied=0.5)
    >>> ied.scale, amb.scale, amb.source
    (3.0, 0.75, 'assumed')
    """
    used = [t for t in trips if t.used]
    fits: dict[str, ChannelFit] = {}
    for ch in CHANNELS:
        seen = [t for t in used if t.observed(ch) is not None]
        if not seen:
            continue
        count = float(sum(t.observed(ch) or 0.0 for t in seen))
        exposure = float(sum(t.unit(ch) for t in seen))
        if not (exposure > 0 and np.isfinite(exposure)):
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    where,
                    "route",
                    f"reference routes that pass near {ch} events",
                    f"{ch} expected at scale 1: {exposure:.3g} on "
                    f"{[t.name for t in seen]}",
                )
            )
        lo, hi = scale_interval(count, exposure, interval)
        fits[ch] = ChannelFit(
            ch,
            count / exposure,
            lo,
            hi,
            count,
            exposure,
            count + prior_shape,
            "observed",
        )
    if "ied" not in fits:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                where,
                "observed",
                "at least one trip marked for calibration with an IED count",
                f"none among {[t.name for t in used]}",
            )
        )
    if "ambush" not in fits:
        ied = fits["ied"]
        seen = [t for t in used if t.observed_ied is not None]
        amb = float(sum(t.unit_ambush for t in seen))
        if not (amb > 0 and np.isfinite(amb)):
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    where,
                    "route",
                    "reference routes that pass near ambush events",
                    f"ambush expected at scale 1: {amb:.3g}",
                )
            )
        rate = amb / ambush_per_ied if ambush_per_ied > 0 else float("inf")
        lo, hi = scale_interval(ied.count, rate, interval)
        fits["ambush"] = ChannelFit(
            "ambush",
            ied.count / rate,
            lo,
            hi,
            ied.count,
            rate,
            ied.posterior_shape,
            "assumed",
        )
    return fits["ied"], fits["ambush"]


@dataclass(frozen=True, slots=True)
class LooRow:
    """
    One row of the leave-one-out table: a trip's count predicted from the others.

    Parameters
    ----------
    trip, channel
        The trip and the channel compared.
    observed
        The trip's observed count.
    predicted
        Expected count with the scale fitted on the other trips (or the full
        calibration for a holdout trip); None when nothing was left to fit.
    lower, upper
        The predictive interval (negative binomial from the Gamma posterior).
    inside
        Whether the observed count lies in it; None when not predicted.
    calibrated_on
        The trips the scale was fitted on.
    note
        Why there is no prediction, or how the channel's scale was set.
    """

    trip: str
    channel: str
    observed: float
    predicted: float | None
    lower: int | None
    upper: int | None
    inside: bool | None
    calibrated_on: tuple[str, ...]
    note: str = ""


def leave_one_out(
    trips: Sequence[TripFit],
    *,
    ambush_per_ied: float,
    interval: float = 0.9,
    prior_shape: float = 0.5,
) -> list[LooRow]:
    """
    Predict each trip's observed counts from the calibration on the other trips.

    A trip marked for calibration is predicted by the scales fitted on the other
    trips marked for calibration; a holdout trip (or one not marked) by the scales
    of every trip marked. Each known count gets a row with the predictive interval
    of :func:`predictive_interval`; a trip with nothing left to fit on gets a row
    saying so, without a prediction.

    Examples
    --------
    >>> rows = leave_one_out([TripFit("a", 2.0, 4.0, 6.0, None)], ambush_per_ied=0.5)
    >>> rows[0].predicted is None
    True
    """
    rows: list[LooRow] = []
    for trip in trips:
        others = [
            dataclasses.replace(t, used=t.used and t.name != trip.name) for t in trips
        ]
        basis = tuple(t.name for t in others if t.used)
        try:
            fits = fit_scales(
                others,
                ambush_per_ied=ambush_per_ied,
                interval=interval,
                prior_shape=prior_shape,
            )
        except ScenarioError:
            fits = None
        for k, ch in enumerate(CHANNELS):
            obs = trip.observed(ch)
            if obs is None:
                continue
            if fits is None:
                note = (
                    "nothing left to calibrate on: no other trip marked for "
                    "calibration counts IEDs"
                    if not any(t.observed_ied is not None for t in others if t.used)
                    else "the other trips see no risk of this channel"
                )
                rows.append(
                    LooRow(trip.name, ch, obs, None, None, None, None, basis, note)
                )
                continue
            fit = fits[k]
            shape = fit.posterior_shape or (fit.count + prior_shape)
            unit = trip.unit(ch)
            lo, hi = predictive_interval(shape, fit.exposure, unit, interval)
            note = (
                "ambush scale assumed (ambush_per_ied), not observed"
                if (fit.source == "assumed")
                else ""
            )
            rows.append(
                LooRow(
                    trip.name,
                    ch,
                    obs,
                    fit.scale * unit,
                    lo,
                    hi,
                    lo <= obs <= hi,
                    basis,
                    note,
                )
            )
    return rows


def incidents_interval(
    channels: tuple[ChannelFit, ChannelFit] | None, unit_ied: float, unit_ambush: float
) -> tuple[float, float] | None:
    """
    Interval of a plan's expected incidents from the channels' scale intervals.

    ``unit_ied`` and ``unit_ambush`` are the plan's expected incidents at scale 1;
    the interval is ``sum(lower_c * unit_c)`` to ``sum(upper_c * unit_c)``. When
    the ambush scale is tied to the IED one (``source = "assumed"``) both move
    together and this is exact; with two observed channels it is conservative
    (both channels at their bounds at once). None when the scales were given.

    Examples
    --------
    >>> fits = fit_scales([TripFit("a", 2.0, 4.0, 6.0, None)], ambush_per_ied=0.5)
    >>> lo, hi = incidents_interval(fits, 2.0, 4.0)
    >>> lo < 9.0 < hi
    True
    """
    if channels is None or any(c.lower is None or c.upper is None for c in channels):
        return None
    pairs = list(zip(channels, (unit_ied, unit_ambush), strict=True))
    lo = sum((c.lower or 0.0) * u for c, u in pairs)
    hi = sum((c.upper or 0.0) * u for c, u in pairs)
    return lo, hi


def ratio_interval(
    channels: tuple[ChannelFit, ChannelFit] | None,
    num: tuple[float, float],
    den: tuple[float, float],
) -> tuple[float, float, float] | None:
    """
    A ratio of two plans' expected incidents, with its interval.

    ``num`` and ``den`` are (IED, ambush) expected incidents of the two plans at
    the fitted scales. The ratio depends on the scales only through the ambush to
    IED ratio: when the ambush scale is tied to the IED one it is scale-free and
    the interval is the value itself; with two observed channels it spans the
    ratio at the extremes of ``ambush scale / IED scale`` that the two intervals
    allow. None when ``den`` is zero.
    """
    total = sum(den)
    if total <= 0:
        return None
    value = sum(num) / total
    if channels is None:
        return value, value, value
    ied, amb = channels
    if amb.source != "observed" or ied.scale <= 0 or amb.scale <= 0:
        return value, value, value
    # relative ambush weight t multiplies the ambush parts
    ends = []
    for t in (
        (amb.lower or 0.0) / amb.scale / ((ied.upper or ied.scale) / ied.scale),
        (amb.upper or 0.0) / amb.scale / max((ied.lower or 0.0) / ied.scale, 1e-12),
    ):
        d = den[0] + t * den[1]
        ends.append((num[0] + t * num[1]) / d if d > 0 else value)
    return value, min(ends), max(ends)


@dataclass(frozen=True, slots=True)
class Calibration:
    """
    The calibration scales and the reference trip they came from.

    Parameters
    ----------
    scale_ied, scale_ambush
        Scales s_c applied to the channels (see RiskParams).
    calibrated
        False when the scales were given in the scenario instead.
    target_ied_incidents
        Observed IED incidents of the reference trip.
    vehicle_ids
        Vehicles of the reference column.
    edge_path
        Edges of the reference route, in order.
    trajectory
        The reference trip as driven (paced profile).
    channels
        The IED and ambush fits, with intervals and Gamma posteriors; None when
        the scales were given.
    trips
        Every reference trip's predicted (scale 1) and observed incidents.
    interval
        Probability of the intervals.
    historical
        Name of the trip that is the historical baseline.
    """

    scale_ied: float
    scale_ambush: float
    calibrated: bool
    target_ied_incidents: float
    vehicle_ids: tuple[str, ...]
    edge_path: tuple[int, ...]
    trajectory: Trajectory
    channels: tuple[ChannelFit, ChannelFit] | None = None
    trips: tuple[TripFit, ...] = ()
    interval: float = 0.9
    historical: str = "reference"

    @property
    def posterior_shape(self) -> dict[str, float]:
        """
        Gamma posterior shape of each channel's scale (observed + prior shape).

        A Monte Carlo run multiplies a channel's scale by ``g ~ Gamma(shape, 1 /
        shape)``; an ``"assumed"`` ambush channel has the IED shape and must share
        the IED draw. Empty when the scales were given.
        """
        if self.channels is None:
            return {}
        return {
            c.channel: float(c.posterior_shape)
            for c in self.channels
            if c.posterior_shape is not None
        }

    @property
    def ambush_assumed(self) -> bool:
        """True when no trip observed ambushes and ``ambush_per_ied`` set the level."""
        return self.channels is not None and self.channels[1].source == "assumed"


def reference_route(
    roads: RoadNetwork, site_names: Sequence[str], origin: str, destination: str
) -> tuple[int, ...]:
    """
    Edges of a calibration route: shortest paths between the listed sites.

    Parameters
    ----------
    roads
        The road network (its sites snapped to nodes).
    site_names
        Sites the reference column passed, from ``origin`` to ``destination``.
    origin, destination
        Names of the scenario's origin and destination.

    Raises
    ------
    ScenarioError
        If the list does not run from ``origin`` to ``destination`` or names a
        site the network does not know.
    """
    names = list(site_names)
    if not names or names[0] != origin or names[-1] != destination:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "route",
                f"site names from {origin!r} to {destination!r}",
                repr(names),
            )
        )
    edges: list[int] = []
    for a, b in itertools.pairwise(names):
        if a not in roads.site_node or b not in roads.site_node:
            bad = a if a not in roads.site_node else b
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    "[calibration]",
                    "route",
                    "names of sites in sites layer",
                    repr(bad),
                )
            )
        _nodes, e, _len = roads.site_path(a, b)
        edges.extend(int(x) for x in e)
    return tuple(edges)


def reference_trip(
    model: ExposureModel,
    origin: int,
    route_edges: Sequence[int],
    depart_min: float,
    arrive_min: float,
    windows_min: Sequence[tuple[int, int]],
    *,
    anchors: Sequence[tuple[int, float]] = (),
    mode: str = "normal",
) -> tuple[ExposureModel, Trajectory, Exposure]:
    """
    The reference (historical) trip, priced by ``model``.

    Between consecutive waypoints (departure, each of ``anchors``, arrival) the
    column follows its own paced profile (:func:`paced_trajectory`), and halts at
    a waypoint from its arrival there until it moves on.

    Parameters
    ----------
    model
        Exposure model of the reference column.
    origin
        Node the trip leaves from.
    route_edges
        Edges of the reference route, in order from ``origin``.
    depart_min, arrive_min
        Observed departure and arrival, minutes after the scenario start.
    windows_min
        Movement windows, (start, end) minutes after midnight UTC.
    anchors
        Intermediate waypoints: (number of route edges before the waypoint's
        node, minutes after the scenario start), in order.
    mode
        The mode the column moved in (``"clearance"`` when behind its engineers).

    Returns
    -------
    tuple
        The model with halts allowed along the route, the paced trajectory and its
        exposure.

    Raises
    ------
    ScenarioError
        If ``arrive_min`` is not after ``depart_min`` or the route is broken.
    InfeasibleError
        If no movement window falls between departure and arrival.
    """
    edges = [int(e) for e in route_edges]
    # The reference trip is a reconstruction, not a plan: the 2023 column laagered
    # beside the road wherever night found it, so it may halt at any node of its
    # route (laager sites on spurs would add detours it did not make).
    can_halt = model.node_can_halt.copy()
    can_halt[model.edge_u[edges]] = True
    can_halt[model.edge_v[edges]] = True
    model = dataclasses.replace(model, node_can_halt=can_halt)
    nodes = edge_path_nodes(model, origin, edges)
    cuts = [(0, depart_min), *anchors, (len(edges), arrive_min)]
    legs: list = []
    halts: list[Halt] = []
    for (i, t0), (j, t1) in itertools.pairwise(cuts):
        if j <= i:
            continue  # two waypoints at one node: the column waited there
        part = paced_trajectory(
            model, nodes[i], edges[i:j], t0, t1, windows_min, mode=mode
        )
        if legs and part.legs[0].depart_min > legs[-1].arrive_min:
            halts.append(Halt(nodes[i], legs[-1].arrive_min, part.legs[0].depart_min))
        legs.extend(part.legs)
        halts.extend(part.halts)
    traj = Trajectory(tuple(legs), tuple(halts))
    return model, traj, trajectory_exposure(model, traj.legs, traj.halts)


def calibrate(
    model: ExposureModel,
    route_edges: Sequence[int],
    depart_min: float,
    arrive_min: float,
    *,
    origin: int,
    windows_min: Sequence[tuple[int, int]],
    ied_incidents: float,
    ambush_per_ied: float,
    table_scales: tuple[float, float] = (1.0, 1.0),
    vehicle_ids: Sequence[str] = (),
    given_scales: tuple[float, float] | None = None,
) -> Calibration:
    """
    Scales that make the reference trip show the observed IED count.

    Parameters
    ----------
    model
        Exposure model of the reference column, on edge tables built with any
        scales (``table_scales``); the result is absolute.
    route_edges
        Edges of the reference route, in order from ``origin``.
    depart_min, arrive_min
        Observed departure and arrival, minutes after the scenario start.
    origin
        Node the trip leaves from.
    windows_min
        Movement windows, (start, end) minutes after midnight UTC.
    ied_incidents
        IED incidents observed on the reference trip.
    ambush_per_ied
        Expected ambush incidents of the trip per observed IED incident.
    table_scales
        ``(scale_ied, scale_ambush)`` already included in the model's edge tables.
    vehicle_ids
        Vehicles of the reference column, recorded in the result.
    given_scales
        ``(scale_ied, scale_ambush)`` to use as they are (calibration disabled):
        the reference trip is only rebuilt.

    Returns
    -------
    Calibration

    Raises
    ------
    ScenarioError
        If the reference trip sees no risk at all (no events near the route), or
        its times or route are broken.

    Examples
    --------
    >>> cal = calibrate(model, route, 0.0, 10_920.0, origin=kidal,
    ...     windows_min=[(330, 1110)], ied_incidents=6.0, ambush_per_ied=0.5)
    ... # doctest: +SKIP
    >>> table = edge_risk.with_scales(cal.scale_ied, cal.scale_ambush)  # doctest: +SKIP
    """
    _m, traj, exp = reference_trip(
        model, origin, route_edges, depart_min, arrive_min, windows_min
    )
    edges = tuple(int(e) for e in route_edges)
    vehicles = tuple(vehicle_ids)
    if given_scales is not None:
        s_ied, s_amb = given_scales
        return Calibration(s_ied, s_amb, False, ied_incidents, vehicles, edges, traj)
    table_ied, table_amb = table_scales
    fit = TripFit(
        "reference",
        exp.ied / table_ied if table_ied else 0.0,
        exp.ambush / table_amb if table_amb else 0.0,
        ied_incidents,
        None,
    )
    if not (fit.unit_ied > 0 and fit.unit_ambush > 0) or not np.isfinite(
        fit.unit_ied + fit.unit_ambush
    ):
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "route",
                "a reference route that passes near IED and ambush events",
                f"IED mass {fit.unit_ied:.3g}, ambush mass {fit.unit_ambush:.3g}",
            )
        )
    channels = fit_scales([fit], ambush_per_ied=ambush_per_ied, where="[calibration]")
    return Calibration(
        channels[0].scale,
        channels[1].scale,
        True,
        ied_incidents,
        vehicles,
        edges,
        traj,
        channels=channels,
        trips=(fit,),
    )

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

from convoy.errors import Problem, ScenarioError
from convoy.roads.network import RoadNetwork
from convoy.schedule import (
    Exposure,
    ExposureModel,
    Trajectory,
    paced_trajectory,
    trajectory_exposure,
)


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
    """

    scale_ied: float
    scale_ambush: float
    calibrated: bool
    target_ied_incidents: float
    vehicle_ids: tuple[str, ...]
    edge_path: tuple[int, ...]
    trajectory: Trajectory


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
) -> tuple[ExposureModel, Trajectory, Exposure]:
    """
    The reference (historical) trip, priced by ``model``.

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
    traj = paced_trajectory(model, origin, edges, depart_min, arrive_min, windows_min)
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
    ied_per_scale = exp.ied / table_ied if table_ied else 0.0
    amb_per_scale = exp.ambush / table_amb if table_amb else 0.0
    if not (ied_per_scale > 0 and amb_per_scale > 0) or not np.isfinite(
        ied_per_scale + amb_per_scale
    ):
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "route",
                "a reference route that passes near IED and ambush events",
                f"IED mass {ied_per_scale:.3g}, ambush mass {amb_per_scale:.3g}",
            )
        )
    s_ied = ied_incidents / ied_per_scale
    s_amb = ambush_per_ied * ied_incidents / amb_per_scale
    return Calibration(s_ied, s_amb, True, ied_incidents, vehicles, edges, traj)

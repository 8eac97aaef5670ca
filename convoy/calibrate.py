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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from convoy.errors import Problem, ScenarioError
from convoy.risk.field import EdgeRisk
from convoy.scenario import Scenario
from convoy.schedule import (
    Exposure,
    ExposureModel,
    Trajectory,
    paced_trajectory,
    trajectory_exposure,
)
from convoy.schedule.search import scenario_exposure_model


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


def _minutes(t: datetime, start: datetime) -> float:
    return (t - start).total_seconds() / 60.0


def _parse_iso(text: str, key: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                key,
                "an ISO 8601 UTC time",
                repr(text),
            )
        ) from None
    if t.tzinfo is None:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                key,
                "a time with a zone (Z or +00:00)",
                repr(text),
            )
        )
    return t


def reference_route(scenario: Scenario) -> tuple[int, ...]:
    """Edges of the calibration route: shortest paths between the listed sites."""
    names = list(scenario.calibration.route) or [scenario.origin, scenario.destination]
    if names[0] != scenario.origin or names[-1] != scenario.destination:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "route",
                f"site names from {scenario.origin!r} to {scenario.destination!r}",
                repr(names),
            )
        )
    edges: list[int] = []
    for a, b in zip(names[:-1], names[1:], strict=True):
        if a not in scenario.roads.site_node or b not in scenario.roads.site_node:
            bad = a if a not in scenario.roads.site_node else b
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    "[calibration]",
                    "route",
                    "names of sites in sites layer",
                    repr(bad),
                )
            )
        _nodes, e, _len = scenario.roads.site_path(a, b)
        edges.extend(int(x) for x in e)
    return tuple(edges)


def reference_vehicles(scenario: Scenario) -> tuple[str, ...]:
    """The reference column: the first ``calibration.vehicles`` at the origin."""
    ids = [v.id for v in scenario.vehicles if v.camp == scenario.origin]
    return tuple(ids[: scenario.calibration.vehicles])


def reference_trip(
    scenario: Scenario, edge_risk: EdgeRisk
) -> tuple[ExposureModel, Trajectory, Exposure, tuple[int, ...]]:
    """The reference (historical) trip priced on ``edge_risk``."""
    cal = scenario.calibration
    depart = _minutes(_parse_iso(cal.depart, "depart"), scenario.start)
    arrive = _minutes(_parse_iso(cal.arrive, "arrive"), scenario.start)
    if not arrive > depart:
        raise ScenarioError(
            Problem(
                "scenario.toml",
                "[calibration]",
                "arrive",
                f"a time after depart ({cal.depart})",
                repr(cal.arrive),
            )
        )
    vehicles = reference_vehicles(scenario)
    model = scenario_exposure_model(scenario, edge_risk, vehicle_ids=vehicles)
    edges = reference_route(scenario)
    origin = scenario.roads.site_node[scenario.origin]
    # The reference trip is a reconstruction, not a plan: the 2023 column laagered
    # beside the road wherever night found it, so it may halt at any node of its
    # route (laager sites on spurs would add detours it did not make).
    can_halt = model.node_can_halt.copy()
    can_halt[scenario.roads.edge_u[list(edges)]] = True
    can_halt[scenario.roads.edge_v[list(edges)]] = True
    model = dataclasses.replace(model, node_can_halt=can_halt)
    traj = paced_trajectory(
        model, origin, edges, depart, arrive, scenario.movement.window_minutes()
    )
    return model, traj, trajectory_exposure(model, traj.legs, traj.halts), edges


def calibrate(scenario: Scenario, edge_risk: EdgeRisk) -> Calibration:
    """
    Scales that make the reference trip show the observed IED count.

    ``edge_risk`` may carry any scales; the result is absolute. When
    ``[calibration] enabled = false`` the scenario's ``[risk] scale_ied`` and
    ``scale_ambush`` are used as given (both must then be set).

    Raises
    ------
    ScenarioError
        If calibration is disabled without scales, or the reference trip sees no
        risk at all (no events near the route).

    Examples
    --------
    >>> cal = calibrate(scenario, edge_risk)  # doctest: +SKIP
    >>> edge_risk = edge_risk.with_scales(cal.scale_ied, cal.scale_ambush)  # doctest: +SKIP
    """
    cal = scenario.calibration
    vehicles = reference_vehicles(scenario)
    if not cal.enabled:
        if scenario.risk.scale_ied is None or scenario.risk.scale_ambush is None:
            raise ScenarioError(
                Problem(
                    "scenario.toml",
                    "[risk]",
                    "scale_ied, scale_ambush",
                    "both set when [calibration] enabled = false",
                    "missing",
                )
            )
        _m, traj, _e, edges = reference_trip(scenario, edge_risk)
        return Calibration(
            scenario.risk.scale_ied,
            scenario.risk.scale_ambush,
            False,
            cal.ied_incidents,
            vehicles,
            edges,
            traj,
        )
    _m, traj, exp, edges = reference_trip(scenario, edge_risk)
    ied_per_scale = exp.ied / edge_risk.scale_ied if edge_risk.scale_ied else 0.0
    amb_per_scale = (
        exp.ambush / edge_risk.scale_ambush if edge_risk.scale_ambush else 0.0
    )
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
    s_ied = cal.ied_incidents / ied_per_scale
    s_amb = scenario.risk.ambush_per_ied * cal.ied_incidents / amb_per_scale
    return Calibration(s_ied, s_amb, True, cal.ied_incidents, vehicles, edges, traj)

"""Calibration below plan.py: an exposure model, a route and times, no scenario."""

from __future__ import annotations

import pytest

from convoy.calibrate import calibrate, reference_route, reference_trip
from convoy.errors import ScenarioError
from convoy.plan import scenario_exposure_model, scenario_risk_field
from convoy.risk.edges import edge_risk


@pytest.fixture(scope="module")
def tiny_parts(tiny_scenario):
    sc = tiny_scenario
    er = edge_risk(scenario_risk_field(sc), sc.roads, sc.risk.edge_sample_m)
    route = reference_route(
        sc.roads, [sc.origin, sc.destination], sc.origin, sc.destination
    )
    return sc, er, route


def test_calibrated_scales_reproduce_the_observed_count(tiny_parts):
    """Priced with the scales it returns, the reference trip shows the count."""
    sc, er, route = tiny_parts
    origin = sc.roads.site_node[sc.origin]
    windows = sc.movement.window_minutes()
    arrive = sc.horizon_min
    cal = calibrate(
        scenario_exposure_model(sc, er),
        route,
        0.0,
        arrive,
        origin=origin,
        windows_min=windows,
        ied_incidents=2.0,
        ambush_per_ied=0.5,
        table_scales=(er.scale_ied, er.scale_ambush),
        vehicle_ids=("A", "B"),
    )
    assert cal.calibrated
    assert cal.edge_path == route
    assert cal.vehicle_ids == ("A", "B")
    scaled = er.with_scales(cal.scale_ied, cal.scale_ambush)
    _m, traj, exp = reference_trip(
        scenario_exposure_model(sc, scaled), origin, route, 0.0, arrive, windows
    )
    assert traj == cal.trajectory
    assert exp.ied == pytest.approx(2.0, rel=1e-9)
    assert exp.ambush == pytest.approx(1.0, rel=1e-9)


def test_given_scales_are_kept(tiny_parts):
    """With scales given (calibration disabled) only the trip is rebuilt."""
    sc, er, route = tiny_parts
    cal = calibrate(
        scenario_exposure_model(sc, er),
        route,
        0.0,
        sc.horizon_min,
        origin=sc.roads.site_node[sc.origin],
        windows_min=sc.movement.window_minutes(),
        ied_incidents=2.0,
        ambush_per_ied=0.5,
        given_scales=(0.25, 0.5),
    )
    assert (cal.scale_ied, cal.scale_ambush, cal.calibrated) == (0.25, 0.5, False)


def test_reference_route_names_the_bad_site(tiny_parts):
    """A route that leaves the origin elsewhere, or names no site, is refused."""
    sc, _er, _route = tiny_parts
    with pytest.raises(ScenarioError, match="route"):
        reference_route(sc.roads, [sc.destination], sc.origin, sc.destination)
    with pytest.raises(ScenarioError, match="Nowhere"):
        reference_route(
            sc.roads, [sc.origin, "Nowhere", sc.destination], sc.origin, sc.destination
        )

"""The scenario unpacked (plan.py): its risk field, exposure model and schedule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convoy.errors import ScenarioError
from convoy.plan import (
    plan_scenario_schedule,
    scenario_exposure_model,
    scenario_risk_field,
)
from convoy.risk.edges import edge_risk
from convoy.risk.field import CHANNELS, risk_field_from_events
from convoy.schedule import paced_trajectory, trajectory_exposure

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def tiny_risk(tiny_scenario):
    return edge_risk(scenario_risk_field(tiny_scenario), tiny_scenario.roads)


def test_tiny_scenario_schedule(tiny_scenario, tiny_risk):
    """The tiny scenario is scheduled from its camp to its destination in time."""
    scn = tiny_scenario
    sched = plan_scenario_schedule(scn, tiny_risk)
    roads = scn.roads
    assert sched.node_path[0] == roads.site_node[scn.origin]
    assert sched.node_path[-1] == roads.site_node[scn.destination]
    assert sched.arrive_min <= scn.horizon_min
    assert sched.expected_incidents > 0
    model = scenario_exposure_model(scn, tiny_risk)
    traj = sched.trajectory()
    exp = trajectory_exposure(model, traj.legs, traj.halts)
    assert exp.total == pytest.approx(sched.expected_incidents, rel=1e-9)
    assert sched.cost_by_departure[sched.depart_step] == pytest.approx(
        sched.expected_incidents, rel=1e-9
    )
    # a later earliest departure can only cost as much or more
    later = plan_scenario_schedule(scn, tiny_risk, earliest_depart_min=24 * 60.0)
    assert later.depart_min >= 24 * 60.0
    assert later.expected_incidents >= sched.expected_incidents * (1 - 1e-9)
    finite = sched.cost_by_departure[np.isfinite(sched.cost_by_departure)]
    assert finite.min() == pytest.approx(sched.expected_incidents, rel=1e-9)


def test_paced_profile_costs_more_than_the_optimum(tiny_scenario, tiny_risk):
    """On the tiny scenario, its route paced over the whole horizon is no safer."""
    scn = tiny_scenario
    model = scenario_exposure_model(scn, tiny_risk)
    sched = plan_scenario_schedule(scn, tiny_risk)
    traj = paced_trajectory(
        model,
        sched.node_path[0],
        sched.edge_path,
        0.0,
        scn.horizon_min,
        scn.movement.window_minutes(),
    )
    assert traj.legs[-1].arrive_min == pytest.approx(scn.horizon_min)
    paced = trajectory_exposure(model, traj.legs, traj.halts)
    assert paced.total >= sched.expected_incidents


def test_unknown_vehicle_is_refused(tiny_scenario, tiny_risk):
    """Naming a vehicle that is not in the fleet raises ScenarioError."""
    with pytest.raises(ScenarioError, match="NOPE"):
        plan_scenario_schedule(tiny_scenario, tiny_risk, vehicle_ids=["NOPE"])


def test_scenario_risk_field():
    """A scenario's field uses its events, [risk] table, network CRS and air cover."""
    from convoy.io.scenario import read_scenario

    sc = read_scenario(TINY)
    f = scenario_risk_field(sc)
    assert f.crs == sc.roads.crs
    assert f.num_events == len(sc.events)
    ref = risk_field_from_events(
        sc.events, sc.risk, crs=sc.roads.crs, air_cover=sc.air_cover
    )
    for ch in CHANNELS:
        np.testing.assert_array_equal(
            f.at(sc.roads.node_xy, ch), ref.at(sc.roads.node_xy, ch)
        )
    assert f.ambush.multiplier == (
        sc.risk.air_cover_ambush_factor if sc.air_cover else 1.0
    )

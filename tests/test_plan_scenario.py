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
        sched.objective, rel=1e-9
    )
    assert exp.objective == pytest.approx(sched.objective, rel=1e-9)
    # a later earliest departure can only cost as much or more
    later = plan_scenario_schedule(scn, tiny_risk, earliest_depart_min=24 * 60.0)
    assert later.depart_min >= 24 * 60.0
    assert later.objective >= sched.objective * (1 - 1e-9)
    finite = sched.cost_by_departure[np.isfinite(sched.cost_by_departure)]
    assert finite.min() == pytest.approx(sched.objective, rel=1e-9)


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


def test_running_costs_of_the_column(tiny_scenario, tiny_risk):
    """Breakdowns, fuel and crew of the moving column, from the fleet and [prices]."""
    import dataclasses
    import math

    from convoy.params import fuel_l_per_km

    scn = tiny_scenario
    model = scenario_exposure_model(scn, tiny_risk)
    moving = [v for v in scn.vehicles if v.roadworthy and v.camp == scn.origin]
    rate = sum(-math.log(v.reliability) / 100 for v in moving)
    assert model.breakdowns_per_km == pytest.approx(rate)
    assert model.fuel_l_per_km == pytest.approx(
        sum(fuel_l_per_km(v.type) for v in moving)
    )
    usd = scn.prices.incident_usd
    assert model.breakdown_price == pytest.approx(scn.prices.breakdown_usd / usd)
    assert model.crew == pytest.approx(scn.prices.crew_per_vehicle * len(moving))
    # a fleet column overrides the type's default
    fleet = [dataclasses.replace(v, fuel_l_per_km=2.0) for v in scn.vehicles]
    model2 = scenario_exposure_model(
        dataclasses.replace(scn, vehicles=fleet), tiny_risk
    )
    assert model2.fuel_l_per_km == pytest.approx(2.0 * len(moving))


def test_halt_sites_too_small_for_the_column(tiny_scenario, tiny_risk):
    """A halt site smaller than the column is no laager; camps always are."""
    import dataclasses

    from convoy.plan import halt_sites_too_small

    scn = tiny_scenario
    halts = [s.name for s in scn.sites if s.kind == "halt"]
    assert halts
    assert halt_sites_too_small(scn, 1) == []
    small = dataclasses.replace(
        scn, movement=dataclasses.replace(scn.movement, halt_capacity_vehicles=1)
    )
    assert halt_sites_too_small(small, 2) == halts
    model = scenario_exposure_model(small, tiny_risk)
    for name in halts:
        assert not model.node_can_halt[scn.roads.site_node[name]]
    big = dataclasses.replace(
        small,
        sites=[dataclasses.replace(s, capacity=1000) for s in small.sites],
    )
    assert halt_sites_too_small(big, 2) == []


def test_site_capacity_and_fleet_fuel_are_read(tmp_path):
    """A site's ``capacity`` property and the fleet's ``fuel_l_per_km`` column."""
    import json
    import shutil

    from convoy.io.scenario import read_scenario

    d = tmp_path / "tiny"
    shutil.copytree(TINY, d)
    doc = json.loads((d / "sites.geojson").read_text())
    for f in doc["features"]:
        if f["properties"]["name"] == "Wells":
            f["properties"]["capacity"] = 7
    (d / "sites.geojson").write_text(json.dumps(doc))
    lines = (d / "fleet.csv").read_text().splitlines()
    lines = [lines[0] + ",fuel_l_per_km"] + [
        line + (",0.9" if i == 0 else ",") for i, line in enumerate(lines[1:])
    ]
    (d / "fleet.csv").write_text("\n".join(lines) + "\n")
    scn = read_scenario(d)
    caps = {s.name: s.capacity for s in scn.sites}
    assert caps["Wells"] == 7 and caps["North"] is None
    fuel = [v.fuel_l_per_km for v in scn.vehicles]
    assert fuel[0] == 0.9 and all(x is None for x in fuel[1:])


def test_no_laager_big_enough_and_no_roadside_halts_says_so(tiny_scenario):
    """Halt sites too small and roadside halts forbidden: the error names both."""
    import dataclasses

    from convoy.errors import InfeasibleError
    from convoy.plan import plan_withdrawal

    scn = tiny_scenario
    mv = dataclasses.replace(
        scn.movement,
        halt_capacity_vehicles=1,
        roadside_halt_factor=0.0,
        windows=(("06:00", "07:00"),),
    )
    with pytest.raises(InfeasibleError) as err:
        plan_withdrawal(dataclasses.replace(scn, movement=mv), runs=0)
    text = str(err.value)
    assert "the halt sites Wells hold fewer than the" in text
    assert "roadside_halt_factor = 0" in text


def test_revisit_note_names_the_node():
    """A route through a node twice is explained in the notes; a simple one is not."""
    from types import SimpleNamespace

    from convoy.plan import revisit_note

    model = SimpleNamespace(km_price=1e-4, hour_price=2e-4)
    twice = SimpleNamespace(node_path=(0, 1, 2, 1, 3), halts=())
    once = SimpleNamespace(node_path=(0, 1, 3), halts=())
    assert "passes Wells more than once" in revisit_note(model, twice, {1: "Wells"})
    assert revisit_note(model, once, {1: "Wells"}) == ""
    # into a halt site off the road (node 2) for the night and back out: no loop
    laager = SimpleNamespace(node_path=(0, 1, 2, 1, 3), halts=((2, 10, 90),))
    assert revisit_note(model, laager, {1: "Wells"}) == ""
    again = SimpleNamespace(node_path=(0, 1, 2, 1, 4, 1, 3), halts=((2, 10, 90),))
    assert "passes Wells" in revisit_note(model, again, {1: "Wells"})

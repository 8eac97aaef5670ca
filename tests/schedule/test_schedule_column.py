"""The column's rules in the search: priced km, roadside halts, no circling."""

from __future__ import annotations

import collections
import dataclasses
import math

import numpy as np
import pytest

from convoy.params import MovementParams, PriceParams
from convoy.schedule import ExposureModel, column_costs, column_gaps_min, plan_schedule
from convoy.schedule.trajectory import trajectory_exposure


def tempting(**kw) -> ExposureModel:
    """
    A halt site A beside a zero-risk loop A-B-C-A; the road on from A is mined in
    the morning. The column reaches A at 06:40 and must wait until noon: halting
    costs ambush exposure, the loop costs nothing but its kilometres.
    """
    ied = np.ones(24)
    ied[6:12] = 20.0
    args = dict(
        edge_u=[0, 1, 2, 3, 1],
        edge_v=[1, 2, 3, 1, 4],
        edge_length_m=[20_000.0, 10_000.0, 10_000.0, 10_000.0, 30_000.0],
        edge_speed_kph=[30.0] * 5,
        edge_ied=[0.0, 0.0, 0.0, 0.0, 0.5],
        edge_ambush=[0.0] * 5,
        node_ambush=[2e-4, 2e-4, 2e-4, 2e-4, 0.0],
        node_can_halt=[True, True, False, False, True],
        column_day_km=1.0,
        column_night_km=1.0,
        start_minute_of_day=360.0,
        diurnal_ied=ied,
        day_start_min=360,
        day_end_min=1080,
    )
    args.update(kw)
    return ExposureModel(**args)


MOVE = MovementParams(windows=(("06:00", "18:00"),), step_min=10)


def nodes_of(model, sched):
    return [sched.legs[0].from_node, *(leg.to_node for leg in sched.legs)]


def solve(model):
    return plan_schedule(
        model, 0, 4, horizon_min=1440.0, movement=MOVE, latest_depart_min=0.0
    )


def test_unpriced_kilometres_tempt_the_column_to_circle():
    """Without a price on a km and with no roadside halt, the column circles."""
    sched = solve(tempting())
    counts = collections.Counter(nodes_of(tempting(), sched))
    assert max(counts.values()) > 1


def test_priced_kilometres_stop_the_circling():
    """With the fleet's km priced the column waits at the halt site instead."""
    costs = column_costs([0.95] * 20, [0.6] * 20, PriceParams())
    model = dataclasses.replace(
        tempting(),
        roadside_halt_factor=3.0,
        breakdowns_per_km=costs.breakdowns_per_km,
        fuel_l_per_km=costs.fuel_l_per_km,
        crew=costs.crew,
        breakdown_price=costs.breakdown_price,
        fuel_price_l=costs.fuel_price_l,
        crew_hour_price=costs.crew_hour_price,
    )
    sched = solve(model)
    path = nodes_of(model, sched)
    assert len(path) == len(set(path)), path
    assert path == [0, 1, 4]
    # it halts at A, the halt site, not at the roadside of B or C
    assert {n for n, _a, _b in sched.halts} == {1}
    exp = trajectory_exposure(model, *_legs_halts(sched))
    assert exp.km == pytest.approx(50.0)
    assert exp.objective == pytest.approx(sched.objective, rel=1e-9)
    assert sched.price > 0


def _legs_halts(sched):
    traj = sched.trajectory()
    return traj.legs, traj.halts


def test_roadside_halt_is_allowed_and_dearer_than_a_laager():
    """Where no halt site is near, the column halts at the roadside, at a price."""
    base = tempting(node_can_halt=[True, False, False, False, True])
    with pytest.raises(Exception):  # noqa: B017 -- no halt, no wait: infeasible
        plan_schedule(
            dataclasses.replace(base, edge_length_m=[20_000.0] * 4 + [300_000.0]),
            0,
            4,
            horizon_min=1440.0,
            movement=MOVE,
            latest_depart_min=0.0,
        )
    road = dataclasses.replace(
        base, roadside_halt_factor=3.0, breakdowns_per_km=1.0, breakdown_price=1e-3
    )
    sched = solve(road)
    assert {n for n, _a, _b in sched.halts} == {1}
    laager = dataclasses.replace(road, node_can_halt=[True, True, False, False, True])
    assert solve(laager).objective < sched.objective
    hours = sum(b - a for _n, a, b in sched.halts) * MOVE.step_min / 60.0
    # the halt is priced at three times a laager's exposure (flat profiles, L = 1)
    assert sched.ambush_halted == pytest.approx(2e-4 * 0.5 * 3.0 * hours, rel=1e-6)


def test_column_costs_follow_the_monte_carlo_law():
    """Breakdowns per km are the hazard of 1 - r ** (D / 100); prices in incidents."""
    prices = PriceParams(incident_usd=1e6, breakdown_usd=1e4, fuel_usd_per_l=2.0)
    c = column_costs([0.9, 0.8], [0.5, 0.25], prices)
    assert c.breakdowns_per_km == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 100)
    # over D km the expected breakdowns of the Monte Carlo are sum(1 - r ** (D/100));
    # for a short distance the hazard gives the same to first order
    d = 0.1
    mc = (1 - 0.9 ** (d / 100)) + (1 - 0.8 ** (d / 100))
    assert c.breakdowns_per_km * d == pytest.approx(mc, rel=1e-3)
    assert c.fuel_l_per_km == pytest.approx(0.75)
    assert c.crew == pytest.approx(4.0)
    assert c.breakdown_price == pytest.approx(0.01)
    assert c.fuel_price_l == pytest.approx(2e-6)
    assert column_costs([0.9], [0.5], PriceParams(incident_usd=0.0)).fuel_price_l == 0


def test_column_gaps_match_the_march_units():
    """The pass-time gaps of the search are those of the march organisation."""
    from convoy.march import march_units

    mv = MovementParams()
    for n in (1, 19, 20, 21, 60, 61, 143):
        units = march_units([f"V{i}" for i in range(n)], [8.0] * n, mv, 30.0)
        gaps = 0.0
        for k in range(1, len(units)):
            gaps += mv.march_unit_gap_min
            gaps += mv.serial_gap_min if k % mv.march_units_per_serial == 0 else 0.0
        assert column_gaps_min(n, mv) == pytest.approx(gaps)

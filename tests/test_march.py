import numpy as np
import pytest

from convoy.march import (
    head_speed_at,
    head_time_at,
    march_table,
    march_units,
    pass_time_min,
)
from convoy.params import MovementParams


def test_pass_time_matches_fm55_30():
    """Pass time = vehicles * 60 / (density * speed), density = 1000 / (gap + len)."""
    # 30 vehicles, 10 m long, 90 m apart: 10 vehicles per km; at 20 km/h -> 9 min
    assert pass_time_min(30, 10.0, 90.0, 20.0) == pytest.approx(9.0)
    assert pass_time_min(0, 10.0, 90.0, 20.0) == 0.0


def test_march_units_are_even_and_bounded():
    """143 vehicles with at most 20 per unit make 8 units of 17-18, serials of 3."""
    mv = MovementParams()
    ids = [f"V{i:03d}" for i in range(143)]
    units = march_units(ids, [8.0] * 143, mv, 30.0)
    sizes = [len(u.vehicle_ids) for u in units]
    assert len(units) == 8 and max(sizes) <= 20 and min(sizes) >= 17
    assert sum(sizes) == 143
    assert [u.serial for u in units] == ["S1"] * 3 + ["S2"] * 3 + ["S3"] * 2
    offsets = [u.offset_min for u in units]
    assert offsets[0] == 0.0 and all(np.diff(offsets) > mv.march_unit_gap_min)
    # the serial gap is added between serials
    d = np.diff(offsets)
    assert d[2] == pytest.approx(d[1] + mv.serial_gap_min)


def test_head_time_and_speed_interpolate():
    """The head's time at a km interpolates the trajectory; halts are flat pieces."""
    traj = np.array([[0.0, 0.0], [60.0, 30.0], [120.0, 30.0], [180.0, 60.0]])
    assert head_time_at(traj, 15.0) == pytest.approx(30.0)
    assert head_time_at(traj, 30.0) == pytest.approx(60.0)
    assert head_time_at(traj, 45.0) == pytest.approx(150.0)
    assert head_speed_at(traj, 45.0) == pytest.approx(30.0)


def test_march_table_orders_units_and_clears_tail_after_head():
    """Each unit arrives after the one ahead, and its tail clears after its head."""
    mv = MovementParams()
    ids = [f"V{i}" for i in range(45)]
    lengths = {v: 8.0 for v in ids}
    units = march_units(ids, [8.0] * 45, mv, 30.0)
    traj = np.array([[0.0, 0.0], [120.0, 60.0], [840.0, 60.0], [960.0, 120.0]])
    cps = [("SP", "start", 0.0), ("Halt", "halt", 60.0), ("RP", "release", 120.0)]
    rows = march_table(units, lengths, traj, cps, [(60.0, 120.0, 840.0)], mv, 360)
    assert len(rows) == len(units) * len(cps)
    by_cp = {}
    for r in rows:
        assert r.tail_clearance_min > r.head_arrival_min
        by_cp.setdefault(r.checkpoint, []).append(r.head_arrival_min)
    for times in by_cp.values():
        assert times == sorted(times)
    halt_rows = [r for r in rows if r.checkpoint == "Halt"]
    assert all(r.halt_until_min is not None for r in halt_rows)


def test_order_of_march_and_trip_march_on_the_tiny_plan(tiny_scenario):
    """Movers in role order, a towed vehicle behind its tow; one table per trip."""
    from convoy.march import MARCH_ORDER, column_order, march_rank, order_of_march
    from convoy.plan import plan_withdrawal

    sc = tiny_scenario
    plan = plan_withdrawal(sc)
    order = order_of_march(sc.vehicles, plan.loadout)
    assert sorted(v.id for v in order) == sorted(plan.loadout.moving_ids)
    decisions = {d.vehicle_id: d for d in plan.loadout.vehicles}
    movers = [v for v in order if decisions[v.id].status == "moving"]
    ranks = [march_rank(v) for v in movers]
    assert ranks == sorted(ranks)
    assert all(0 <= r < len(MARCH_ORDER) for r in ranks)
    for i, v in enumerate(order):
        if decisions[v.id].tows is not None:
            assert order[i + 1].id == decisions[v.id].tows
    hist = plan.trips["historical"]
    ids = [v.id for v in column_order(sc.vehicles, hist.vehicle_ids)]
    assert sorted(ids) == sorted(hist.vehicle_ids)
    assert [i for u in plan.march_units for i in u.vehicle_ids] == [v.id for v in order]
    assert set(plan.baseline_march) == set(plan.trips) - {"optimised"}

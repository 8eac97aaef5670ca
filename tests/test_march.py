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
    """Pass time = vehicles * 60 / (density * speed), density = 1000 / (gap + length)."""
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

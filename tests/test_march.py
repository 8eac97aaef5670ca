import numpy as np
import pytest

from convoy.march import leg_march_table, march_units, pass_time_min, unit_timing
from convoy.params import MovementParams
from convoy.schedule import ExposureModel, Halt, Leg, Trajectory


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


def line_model() -> ExposureModel:
    """Kidal (0) - Wells (1) - Gao (2), 60 km each at 30 km/h; a spur 1 - 3."""
    return ExposureModel(
        edge_u=[0, 1, 1],
        edge_v=[1, 2, 3],
        edge_length_m=[60_000.0, 60_000.0, 10_000.0],
        edge_speed_kph=[30.0, 30.0, 30.0],
        edge_ied=[0.0, 0.0, 0.0],
        edge_ambush=[0.0, 0.0, 0.0],
        node_ambush=[0.0] * 4,
        node_can_halt=[True, True, True, False],
        column_day_km=5.0,
        column_night_km=3.0,
        start_minute_of_day=0.0,
    )


PLACES = (
    {0: "Kidal", 1: "Wells", 2: "Gao"},
    {"Kidal": "camp", "Wells": "halt", "Gao": "destination"},
    "Kidal",
    "Gao",
)


def test_leg_march_table_follows_the_legs_and_halts():
    """Head, tail and halt times of every unit come from the legs and the offsets."""
    mv = MovementParams()
    ids = [f"V{i}" for i in range(45)]
    lengths = {v: 8.0 for v in ids}
    units = march_units(ids, [8.0] * 45, mv, 30.0)
    traj = Trajectory(
        (
            Leg(0, 0, 420.0, 540.0, "normal", 30.0),
            Leg(1, 1, 780.0, 900.0, "normal", 30.0),
        ),
        (Halt(1, 540.0, 780.0),),
    )
    rows = leg_march_table(units, lengths, line_model(), traj, PLACES, mv)
    assert len(rows) == len(units) * 3
    timing = unit_timing(units, lengths, mv, 30.0, False)
    for k, unit in enumerate(units):
        mine = [r for r in rows if r.unit == unit.name]
        assert [r.checkpoint for r in mine] == ["Kidal", "Wells", "Gao"]
        assert [r.kind for r in mine] == ["start point", "halt", "release point"]
        off, pt = timing[k]
        assert [r.head_arrival_min for r in mine] == pytest.approx(
            [420.0 + off, 540.0 + off, 900.0 + off]
        )
        for r in mine:
            assert r.tail_clearance_min == pytest.approx(r.head_arrival_min + pt)
        assert mine[1].halt_until_min == pytest.approx(780.0 + off)
        assert mine[0].halt_until_min is None and mine[2].halt_until_min is None
    # the last unit's tail is the column's pass time behind the head
    off, pt = timing[-1]
    road_km = 45 * (mv.interval_day_m + 8.0) / 1000.0
    gaps = (len(units) - 1) * mv.march_unit_gap_min + mv.serial_gap_min * (
        (len(units) - 1) // mv.march_units_per_serial
    )
    assert off + pt == pytest.approx(gaps + road_km / 30.0 * 60.0)


def test_a_site_passed_twice_has_two_rows_and_a_roadside_halt_is_named():
    """Kidal - Wells - spur end (halt) - Wells - Gao: Wells twice, the halt by km."""
    mv = MovementParams()
    ids = [f"V{i}" for i in range(10)]
    lengths = {v: 8.0 for v in ids}
    units = march_units(ids, [8.0] * 10, mv, 30.0)
    legs = (
        Leg(0, 0, 420.0, 540.0, "normal", 30.0),
        Leg(2, 1, 540.0, 560.0, "normal", 30.0),
        Leg(2, 3, 600.0, 620.0, "normal", 30.0),
        Leg(1, 1, 620.0, 740.0, "normal", 30.0),
    )
    traj = Trajectory(legs, (Halt(3, 560.0, 600.0),))
    rows = leg_march_table(units, lengths, line_model(), traj, PLACES, mv)
    cps = [r.checkpoint for r in rows if r.unit == units[0].name]
    assert cps == ["Kidal", "Wells", "roadside halt at km 70", "Wells", "Gao"]
    halt = next(r for r in rows if r.checkpoint.startswith("roadside"))
    assert halt.kind == "halt" and halt.halt_until_min == pytest.approx(600.0)


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

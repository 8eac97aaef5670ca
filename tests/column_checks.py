"""Checks of a plan against the column's rules, recomputed from its legs alone."""

from __future__ import annotations

import math

import pytest

from convoy.march import column_order, march_units, order_of_march


def _unit_groups(plan, name):
    """The march units of a trip as (name, vehicle ids)."""
    sc = plan.scenario
    if name == "historical":
        order = column_order(sc.vehicles, plan.trips[name].vehicle_ids)
    else:
        order = order_of_march(sc.vehicles, plan.loadout)
    units = march_units(
        [v.id for v in order], [v.length_m for v in order], sc.movement, 30.0
    )
    return [(u.name, u.vehicle_ids) for u in units]


def _leg_speed(model, leg, night):
    v = float(model.edge_speed_kph[leg.edge]) * (
        model.night_speed_factor if night else 1
    )
    return min(v, model.clearance_speed_kph) if leg.mode == "clearance" else v


def _unit_times(units, lengths, mv, v, night):
    """(offset, pass time) of each unit at speed v, from FM 55-30 directly."""
    gap_m = mv.interval_night_m if night else mv.interval_day_m
    out, t = [], 0.0
    for k, (_name, ids) in enumerate(units):
        if k:
            t += mv.march_unit_gap_min
            t += mv.serial_gap_min if k % mv.march_units_per_serial == 0 else 0.0
        road_km = sum(gap_m + lengths[i] for i in ids) / 1000.0
        out.append((t, road_km / v * 60.0))
        t += road_km / v * 60.0
    return out


def _expected_rows(plan, name, units):
    """The march table recomputed from the legs and halts of a trip."""
    trip = plan.trips[name]
    model, traj = trip.model, trip.trip.trajectory
    sc = plan.scenario
    lengths = {v.id: v.length_m for v in sc.vehicles}
    named = set(sc.roads.site_node.values())
    legs = traj.legs

    def timing(i):
        leg = legs[i]
        night = not model.is_daylight(leg.depart_min, leg.arrive_min)
        return _unit_times(
            units, lengths, sc.movement, _leg_speed(model, leg, night), night
        )

    visits = [(legs[0].depart_min, 0, None, None)]
    for i, leg in enumerate(legs):
        u, v = int(model.edge_u[leg.edge]), int(model.edge_v[leg.edge])
        to = v if leg.from_node == u else u
        halt = [h for h in traj.halts if h.node == to and h.start_min == leg.arrive_min]
        if to in named or halt:
            nxt = i + 1 if i + 1 < len(legs) else None
            visits.append((leg.arrive_min, i, halt[0].end_min if halt else None, nxt))
    rows = []
    for k, _unit in enumerate(units):
        for t, i, end, nxt in visits:
            off, pt = timing(i)[k]
            until = None
            if end is not None:
                until = end + (timing(nxt)[k][0] if nxt is not None else off)
            rows.append((t + off, t + off + pt, until))
    return rows


def _in_windows(sc, a_min, b_min):
    """Whether every minute of [a, b) after the start is inside a movement window."""
    m0 = sc.start.hour * 60 + sc.start.minute
    wins = sc.movement.window_minutes()
    x = math.floor(a_min)
    while x < b_min - 1e-9:
        mod = (m0 + x) % 1440
        if not any(a <= mod < b for a, b in wins):
            return False
        x += 1
    return True


def check_plan_column_rules(plan) -> None:
    """
    Every plan's march table is its legs and halts, unit by unit; every unit of
    every plan but the historical reconstruction moves only inside the windows and
    within the daily driving limit.
    """
    sc = plan.scenario
    tables = {"optimised": plan.march_rows, **plan.baseline_march}
    assert set(tables) == set(plan.trips)
    for name, trip in plan.trips.items():
        units = _unit_groups(plan, name)
        want = _expected_rows(plan, name, units)
        got = tables[name]
        assert len(got) == len(want), name
        for r, (head, tail, until) in zip(got, want, strict=True):
            assert r.head_arrival_min == pytest.approx(head, abs=1e-6), (name, r)
            assert r.tail_clearance_min == pytest.approx(tail, abs=1e-6), (name, r)
            if until is None:
                assert r.halt_until_min is None, (name, r)
            else:
                assert r.halt_until_min == pytest.approx(until, abs=1e-6), (name, r)
        if name == "historical":
            continue  # drove after dark, as the real column did
        model = trip.model
        lengths = {v.id: v.length_m for v in sc.vehicles}
        per_unit_day: dict[tuple[int, int], float] = {}
        m0 = sc.start.hour * 60 + sc.start.minute
        for leg in trip.trip.trajectory.legs:
            night = not model.is_daylight(leg.depart_min, leg.arrive_min)
            times = _unit_times(
                units, lengths, sc.movement, _leg_speed(model, leg, night), night
            )
            last_off, last_pt = times[-1]
            # from the head leaving to the last unit's tail clearing the leg's end
            assert _in_windows(
                sc, leg.depart_min, leg.arrive_min + last_off + last_pt - 1e-6
            ), (name, leg)
            for k, (off, _pt) in enumerate(times):
                x = leg.depart_min + off
                while x < leg.arrive_min + off - 1e-9:
                    day = int((m0 + x) // 1440)
                    step = min(1.0, leg.arrive_min + off - x)
                    per_unit_day[k, day] = per_unit_day.get((k, day), 0.0) + step
                    x += step
        limit = sc.movement.daily_driving_limit_h * 60.0
        assert max(per_unit_day.values()) <= limit + 1e-6, name

"""Tests of convoy.loadout: the packing kernel, the risk table and choose_loadout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convoy.errors import InfeasibleError, ScenarioError
from convoy.loadout import (
    DISPOSITIONS,
    VEHICLE_STATUSES,
    LoadPlan,
    RiskTable,
    choose_loadout,
    evaluate_greedy_loadout,
)
from convoy.loadout._pack import CAP_RTOL, _first_fit
from convoy.loadout.result import LOAD_STATUSES
from convoy.params import LoadParams, PriceParams, SolverParams
from convoy.scenario import Lot, Vehicle

CAMP = "Kidal"
SOLVER = SolverParams(time_limit_s=2.0, workers=2, relative_gap=0.0)
#: The size of camp whose first solve stops before CP-SAT finds a plan at 0.01 s
#: and short of the 1 % target at 0.2 s (on any machine: deterministic time).
BIG_CAMP = (140, 500)
SEED = 20231031


def veh(
    vid,
    kg=9000.0,
    m2=14.0,
    seats=2,
    *,
    road=True,
    tow=False,
    value=100_000.0,
    vtype=None,
    camp=CAMP,
):
    return Vehicle(
        id=vid,
        type=vtype or f"t{kg}-{m2}-{seats}-{road}-{tow}-{value}",
        length_m=8.0,
        payload_kg=kg,
        deck_m2=m2,
        seats=seats,
        speed_kph=(60.0, 45.0, 30.0, 20.0),
        reliability=0.95,
        roadworthy=road,
        can_tow=tow,
        camp=camp,
        value_usd=value,
    )


def lot(
    lid,
    kg=1000.0,
    m2=2.0,
    value=10_000.0,
    *,
    sens=False,
    hours=0.0,
    mand=False,
    camp=CAMP,
):
    return Lot(
        id=lid,
        category="test",
        weight_kg=kg,
        deck_m2=m2,
        value_usd=value,
        sensitive=sens,
        destroy_hours=hours,
        mandatory=mand,
        camp=camp,
    )


def table(n_max=20, per_vehicle=0.01, per_hour=0.0, last_delay=600.0, base=0.1):
    """Incidents base + per_vehicle * n + per_hour * delay_h, on a 60-min delay grid."""
    nv = np.array([1, n_max], dtype=np.int64)
    delay = np.arange(0.0, last_delay + 1.0, 60.0)
    inc = base + per_vehicle * nv[:, None] + per_hour * delay[None, :] / 60.0
    return RiskTable(nv, delay, inc)


def solve(
    vehicles,
    lots,
    risk=None,
    *,
    personnel=2,
    price=1_000_000.0,
    loads=None,
    handover_fraction=0.0,
    solver=SOLVER,
):
    return choose_loadout(
        vehicles,
        lots,
        personnel=personnel,
        origin=CAMP,
        risk_table=risk if risk is not None else table(),
        prices=PriceParams(incident_usd=price, handover_fraction=handover_fraction),
        solver=solver,
        loads=loads or LoadParams(),
        seed=SEED,
    )


def objective_of(plan: LoadPlan, vehicles, lots, risk, price, loads, fraction=0.0):
    """The objective recomputed from the plan's decisions, not from the solver."""
    byv = {v.id: v for v in vehicles}
    value = sum(x.value_usd for x in lots if plan.lot(x.id).disposition == "carried")
    value += fraction * sum(
        x.value_usd for x in lots if plan.lot(x.id).disposition == "handed_over"
    )
    moved = [d for d in plan.vehicles if d.status in ("moving", "towed")]
    value += sum(byv[d.vehicle_id].value_usd for d in moved)
    hours = sum(
        x.destroy_hours for x in lots if plan.lot(x.id).disposition == "destroyed"
    )
    if loads.destroy_vehicles_left:
        hours += loads.vehicle_destroy_hours * sum(
            d.status == "destroyed" for d in plan.vehicles
        )
    delay = hours * 60.0 / loads.destruction_teams
    return value - price * risk.incidents_at(len(moved), delay), delay


def assert_valid(
    plan: LoadPlan,
    vehicles,
    lots,
    personnel,
    risk,
    price=1_000_000.0,
    loads=None,
    fraction=0.0,
):
    """Every hard constraint holds, and the plan's numbers are what it says."""
    loads = loads or LoadParams()
    byv = {v.id: v for v in vehicles}
    byl = {x.id: x for x in lots}
    assert sorted(d.lot_id for d in plan.lots) == sorted(byl)
    assert sorted(d.vehicle_id for d in plan.vehicles) == sorted(byv)
    kg = dict.fromkeys(byv, 0.0)
    m2 = dict.fromkeys(byv, 0.0)
    for d in plan.lots:
        x = byl[d.lot_id]
        assert d.disposition in DISPOSITIONS
        if d.disposition == "carried":
            assert plan.vehicle(d.vehicle_id).status == "moving"
            kg[d.vehicle_id] += x.weight_kg
            m2[d.vehicle_id] += x.deck_m2
        else:
            assert d.vehicle_id is None
        if x.mandatory:
            assert d.disposition == "carried"
        if x.sensitive:
            assert d.disposition in ("carried", "destroyed")
        if d.disposition == "destroyed":
            assert x.sensitive
        if d.disposition == "handed_over":
            assert loads.handover_allowed
    towers = []
    for d in plan.vehicles:
        v = byv[d.vehicle_id]
        assert d.status in VEHICLE_STATUSES
        assert kg[v.id] <= v.payload_kg * (1 + CAP_RTOL)
        assert m2[v.id] <= v.deck_m2 * (1 + CAP_RTOL)
        assert d.load_kg == pytest.approx(kg[v.id])
        assert d.load_m2 == pytest.approx(m2[v.id])
        assert d.seats_used <= v.seats
        if d.status == "moving":
            assert v.roadworthy
        else:
            assert d.seats_used == 0
        if d.status == "towed":
            assert kg[v.id] == 0 and m2[v.id] == 0
            t = plan.vehicle(d.towed_by)
            assert t.status == "moving" and byv[t.vehicle_id].can_tow
            assert t.tows == v.id
            towers.append(d.towed_by)
        if d.status in ("destroyed", "abandoned"):
            assert d.status == (
                "destroyed" if loads.destroy_vehicles_left else "abandoned"
            )
        if not v.roadworthy:
            assert d.status != "moving"
    assert len(towers) == len(set(towers))
    assert sum(d.seats_used for d in plan.vehicles) == personnel
    obj, delay = objective_of(plan, vehicles, lots, risk, price, loads, fraction)
    assert plan.departure_delay_min == pytest.approx(delay)
    assert plan.objective_usd == pytest.approx(obj, rel=1e-9, abs=1e-3)
    assert_honest(plan)


def assert_honest(plan):
    """Bound, gap, status and the solves agree with each other."""
    assert plan.status in LOAD_STATUSES
    if not plan.solves:  # the greedy baseline alone
        assert plan.status == "GREEDY" and plan.gap is None and not plan.proven
        return
    assert plan.solves[0].role == "aggregate"
    if plan.bound_usd is None:
        assert plan.gap is None and plan.status in ("NOT_PROVEN", "GREEDY")
        assert plan.solves[0].status == "UNKNOWN"
        assert not plan.proven
        return
    assert plan.objective_usd <= plan.bound_usd + 1e-6
    assert plan.gap == pytest.approx(
        (plan.bound_usd - plan.objective_usd) / max(abs(plan.bound_usd), 1.0), abs=1e-12
    )
    assert plan.proven == (plan.gap <= plan.gap_target + 1e-12)
    if plan.status == "GREEDY":
        assert plan.method == "greedy" and plan.solves[0].status == "UNKNOWN"
    else:
        want = (
            "OPTIMAL"
            if plan.gap <= 1e-9
            else "WITHIN_TARGET"
            if plan.proven
            else "NOT_PROVEN"
        )
        assert plan.status == want


# ------------------------------------------------------------------------ kernel


def first_fit_reference(item_kg, item_m2, order, cap_kg, cap_m2, best_fit):
    """Plain Python twin of _first_fit."""
    used_kg = np.zeros_like(cap_kg)
    used_m2 = np.zeros_like(cap_m2)
    out = np.full(item_kg.size, -1)
    for i in order:
        fits = (used_kg + item_kg[i] <= cap_kg * (1 + CAP_RTOL)) & (
            used_m2 + item_m2[i] <= cap_m2 * (1 + CAP_RTOL)
        )
        if not fits.any():
            continue
        if best_fit:
            with np.errstate(divide="ignore", invalid="ignore"):
                room = np.where(
                    cap_kg > 0, (cap_kg - used_kg - item_kg[i]) / cap_kg, 0.0
                ) + np.where(cap_m2 > 0, (cap_m2 - used_m2 - item_m2[i]) / cap_m2, 0.0)
            room = np.where(fits, room, np.inf)
            b = int(np.argmin(room))
        else:
            b = int(np.flatnonzero(fits)[0])
        out[i] = b
        used_kg[b] += item_kg[i]
        used_m2[b] += item_m2[i]
    return out, used_kg, used_m2


@pytest.mark.parametrize("best_fit", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_fit_matches_reference(seed, best_fit):
    """The numba packing kernel places every item exactly as the Python reference."""
    rng = np.random.default_rng(seed)
    item_kg = rng.uniform(100, 3000, 80)
    item_m2 = rng.uniform(0.5, 6.0, 80)
    order = np.argsort(-item_m2).astype(np.int64)
    cap_kg = rng.choice([0.0, 2000.0, 9000.0], 12)
    cap_m2 = rng.choice([0.0, 4.0, 14.0], 12)
    used_kg, used_m2 = np.zeros(12), np.zeros(12)
    out = np.empty(80, dtype=np.int64)
    left = _first_fit(
        item_kg, item_m2, order, cap_kg, cap_m2, used_kg, used_m2, out, best_fit
    )
    ref, ref_kg, ref_m2 = first_fit_reference(
        item_kg, item_m2, order, cap_kg, cap_m2, best_fit
    )
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(used_kg, ref_kg)
    np.testing.assert_allclose(used_m2, ref_m2)
    assert left == int((ref < 0).sum())
    assert 0 < left < 80


# -------------------------------------------------------------------- risk table


def test_risk_table_interpolates_and_steps():
    """Linear in column size, next larger grid delay, inf outside or next to inf."""
    t = RiskTable(
        np.array([2, 12, 22]),
        np.array([0.0, 60.0, 120.0]),
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, np.inf], [3.0, 6.0, 9.0]]),
    )
    assert t.incidents_at(2, 0.0) == 1.0
    assert t.incidents_at(7, 0.0) == pytest.approx(1.5)
    assert t.incidents_at(7, 0.5) == pytest.approx(3.0)
    assert t.incidents_at(7, 60.0) == pytest.approx(3.0)
    assert t.incidents_at(17, 61.0) == math.inf
    assert t.incidents_at(12, 120.0) == math.inf
    assert t.incidents_at(22, 120.0) == 9.0
    assert t.incidents_at(1, 0.0) == math.inf
    assert t.incidents_at(23, 0.0) == math.inf
    assert t.incidents_at(7, 121.0) == math.inf
    col = t.column_incidents(25)
    assert col.shape == (26, 3)
    np.testing.assert_allclose(col[2:23, 0], np.linspace(1.0, 3.0, 21))


@pytest.mark.parametrize(
    "args",
    [
        (np.array([1.5, 3.0]), np.array([0.0]), np.zeros((2, 1))),
        (np.array([3, 1]), np.array([0.0]), np.zeros((2, 1))),
        (np.array([1, 3]), np.array([60.0, 0.0]), np.zeros((2, 2))),
        (np.array([1, 3]), np.array([0.0]), np.zeros((3, 1))),
        (np.array([1, 3]), np.array([0.0]), np.array([[np.nan], [1.0]])),
        (np.array([1, 3]), np.array([0.0]), np.array([[-1.0], [1.0]])),
    ],
)
def test_risk_table_rejects(args):
    """A malformed risk table is refused with a ScenarioError naming the field."""
    with pytest.raises(ScenarioError, match="risk table"):
        RiskTable(*args)


# ----------------------------------------------------------------- constraints


def test_small_fleet_meets_every_constraint():
    """Capacities, seats, mandatory, sensitive lots and towing hold on a mixed fleet."""
    vehicles = [
        veh("T1"),
        veh("T2"),
        veh("T3", kg=2000.0, m2=4.0, seats=5, value=40_000.0),
        veh("BUS", kg=500.0, m2=1.0, seats=30),
        veh("REC", kg=2000.0, m2=4.0, seats=3, tow=True, value=500_000.0),
        veh("BROKEN", road=False, value=300_000.0),
    ]
    lots = (
        [lot(f"P{i}", 1000.0, 1.2, 20_000.0) for i in range(14)]
        + [lot(f"G{i}", 3000.0, 5.0, 5_000.0 * (i + 1)) for i in range(6)]
        + [
            lot("CRYPTO", 200.0, 0.5, 100_000.0, sens=True, hours=1.0, mand=True),
            lot("AMMO1", 1000.0, 1.2, 1_000.0, sens=True, hours=0.5),
            lot("AMMO2", 1000.0, 1.2, 1_000.0, sens=True, hours=0.5),
            lot("SHELTER", 8000.0, 20.0, 300_000.0, sens=True, hours=2.0),
            lot("OTHER", 500.0, 1.0, 2_000.0, camp="Aguelhok"),
        ]
    )
    risk = table(per_vehicle=0.05)
    plan = solve(vehicles, lots, risk, personnel=35)
    camp_lots = [x for x in lots if x.camp == CAMP]
    assert_valid(plan, vehicles, camp_lots, 35, risk)
    assert plan.vehicle("BROKEN").status == "towed"
    assert plan.vehicle("BROKEN").towed_by == "REC"
    shelter = plan.lot("SHELTER")
    assert shelter.disposition == "destroyed"
    assert shelter.reason == "sensitive: cannot be carried, destroyed"
    assert plan.lot("CRYPTO").reason == "mandatory"
    assert plan.destruction_team_hours >= 2.0
    assert plan.gap <= 1e-9 and plan.status == "OPTIMAL"
    with pytest.raises(KeyError):
        plan.lot("OTHER")


def test_destruction_delay_and_vehicles_left():
    """Destroying lots and vehicles left delays departure by team-hours / teams."""
    vehicles = [veh("T1", seats=4), veh("T2", value=1_000.0), veh("T3", value=1_000.0)]
    lots = [
        lot("BIG", 1000.0, 20.0, 0.0, sens=True, hours=3.0),
        lot("L1", 1000.0, 2.0, 50_000.0),
    ]
    loads = LoadParams(destruction_teams=2, vehicle_destroy_hours=0.5)
    risk = table(per_vehicle=0.1)
    plan = solve(vehicles, lots, risk, personnel=3, loads=loads)
    assert_valid(plan, vehicles, lots, 3, risk, loads=loads)
    assert plan.num_vehicles_moving == 1
    assert plan.destruction_team_hours == pytest.approx(3.0 + 2 * 0.5)
    assert plan.departure_delay_min == pytest.approx(4.0 * 60.0 / 2)
    assert plan.risk_delay_min == 120.0
    assert plan.expected_incidents == pytest.approx(risk.incidents_at(1, 120.0))
    assert [plan.vehicle(v).status for v in ("T2", "T3")] == ["destroyed", "destroyed"]

    abandon = LoadParams(
        destruction_teams=2, vehicle_destroy_hours=0.5, destroy_vehicles_left=False
    )
    plan = solve(vehicles, lots, risk, personnel=3, loads=abandon)
    assert_valid(plan, vehicles, lots, 3, risk, loads=abandon)
    assert plan.departure_delay_min == pytest.approx(3.0 * 60.0 / 2)
    assert plan.vehicle("T2").status == "abandoned"


def test_price_of_risk_leaves_a_vehicle_and_its_lots():
    """A high price of an incident leaves a low-value truck and its cheap lots."""
    vehicles = [veh("T1", seats=3, value=100_000.0), veh("T2", value=100_000.0)]
    lots = [lot(f"A{i}", 1000.0, 2.0, 50_000.0) for i in range(7)] + [
        lot(f"B{i}", 1000.0, 2.0, 5_000.0) for i in range(7)
    ]
    loads = LoadParams(vehicle_destroy_hours=0.0)
    risk = table(per_vehicle=0.1)
    cheap = solve(vehicles, lots, risk, personnel=3, price=100_000.0, loads=loads)
    assert_valid(cheap, vehicles, lots, 3, risk, price=100_000.0, loads=loads)
    assert cheap.num_vehicles_moving == 2
    assert all(d.disposition == "carried" for d in cheap.lots)

    dear = solve(vehicles, lots, risk, personnel=3, price=2_000_000.0, loads=loads)
    assert_valid(dear, vehicles, lots, 3, risk, price=2_000_000.0, loads=loads)
    assert dear.num_vehicles_moving == 1
    assert dear.vehicle("T2").status == "destroyed"
    assert all(dear.lot(f"A{i}").disposition == "carried" for i in range(7))
    assert all(dear.lot(f"B{i}").disposition == "abandoned" for i in range(7))
    assert dear.lot("B0").reason == "value per m2 below the risk price"
    assert dear.value_left_usd == pytest.approx(7 * 5_000.0 + 100_000.0)
    assert dear.objective_usd == pytest.approx(
        7 * 50_000.0 + 100_000.0 - 2_000_000.0 * risk.incidents_at(1, 0.0)
    )


def test_handover_credits_its_fraction():
    """With handover allowed, lots not carried are handed over and credited in part."""
    vehicles = [veh("T1", m2=4.0, seats=3)]
    lots = [
        lot("A", 1000.0, 4.0, 50_000.0),
        lot("B", 1000.0, 4.0, 10_000.0),
        lot("S", 1000.0, 4.0, 1_000.0, sens=True, hours=1.0),
    ]
    loads = LoadParams(handover_allowed=True)
    risk = table()
    plan = solve(vehicles, lots, risk, personnel=3, loads=loads, handover_fraction=0.5)
    assert_valid(plan, vehicles, lots, 3, risk, loads=loads, fraction=0.5)
    assert plan.lot("A").disposition == "carried"
    assert plan.lot("B").disposition == "handed_over"
    assert plan.lot("B").reason == "no capacity"
    assert plan.lot("S").disposition == "destroyed"
    assert plan.value_handed_over_usd == 10_000.0


# ---------------------------------------------------------------- infeasibility


def test_infeasible_seats():
    """Too few seats on the roadworthy fleet names seats and both numbers."""
    vehicles = [veh("T1", seats=4), veh("T2", seats=60, road=False)]
    with pytest.raises(InfeasibleError, match=r"seats: .* seat 4, but 10 personnel"):
        solve(vehicles, [], personnel=10)


def test_infeasible_mandatory_too_large():
    """A mandatory lot larger than any roadworthy vehicle is named with its size."""
    vehicles = [veh("T1", m2=14.0, seats=4), veh("LL", m2=30.0, road=False)]
    lots = [lot("GEN", 2000.0, 20.0, mand=True)]
    with pytest.raises(
        InfeasibleError, match=r"mandatory lot GEN .*20 m2.*largest deck 14"
    ):
        solve(vehicles, lots)


def test_infeasible_mandatory_total():
    """Mandatory lots that fit one by one but not together are refused."""
    vehicles = [veh("T1", m2=4.0, seats=4), veh("T2", m2=4.0, seats=4)]
    lots = [lot(f"M{i}", 1000.0, 3.0, mand=True) for i in range(3)]
    with pytest.raises(InfeasibleError, match="mandatory"):
        solve(vehicles, lots)


def test_infeasible_sensitive_destruction_too_slow():
    """Sensitive lots destroyed past the latest feasible delay are refused."""
    vehicles = [veh("T1", seats=4)]
    lots = [lot("SHELTER", 8000.0, 20.0, sens=True, hours=50.0)]
    with pytest.raises(
        InfeasibleError,
        match=r"sensitive lots: 1 .*SHELTER.*750 min with 4 teams.*600 min",
    ):
        solve(vehicles, lots)


# ------------------------------------------------------- determinism, baseline


def random_camp(num_vehicles, num_lots, seed):
    rng = np.random.default_rng(seed)
    kinds = [
        (9000.0, 14.0, 2, False, 250_000.0),
        (1500.0, 2.0, 10, False, 800_000.0),
        (800.0, 2.5, 5, False, 45_000.0),
        (25_000.0, 30.0, 2, False, 400_000.0),
        (2000.0, 4.0, 3, True, 600_000.0),
    ]
    vehicles = []
    for i in range(num_vehicles):
        kg, m2, seats, tow, value = kinds[i % len(kinds)]
        vehicles.append(
            veh(
                f"V{i:03d}",
                kg,
                m2,
                seats,
                road=i % 11 != 3,
                tow=tow,
                value=value,
                vtype=f"kind{i % len(kinds)}",
            )
        )
    lots = []
    for i in range(num_lots):
        m2 = float(rng.choice([1.2, 1.2, 2.0, 3.5, 6.0, 12.0]))
        lots.append(
            lot(
                f"L{i:03d}",
                round(float(rng.uniform(300, 700)) * m2, -1),
                m2,
                round(float(rng.uniform(2_000, 60_000)) * m2, -3),
                sens=i % 9 == 0,
                hours=0.5 if i % 9 == 0 else 0.0,
                mand=i % 17 == 0,
            )
        )
    return vehicles, lots


def test_same_inputs_same_plan():
    """Two solves of the same camp with two workers give identical plans."""
    vehicles, lots = random_camp(15, 50, seed=3)
    risk = table(n_max=15, per_vehicle=0.03, per_hour=0.01)
    solver = SolverParams(time_limit_s=0.3, workers=2, relative_gap=0.0)
    plans = [
        solve(vehicles, lots, risk, personnel=30, price=3_000_000.0, solver=solver)
        for _ in range(2)
    ]
    assert plans[0] == plans[1]
    assert plans[0].lots == plans[1].lots and plans[0].vehicles == plans[1].vehicles
    assert_valid(plans[0], vehicles, lots, 30, risk, price=3_000_000.0)


def test_beats_greedy_on_a_random_camp():
    """CP-SAT's plan is no worse than the greedy baseline, within 2 % of its bound."""
    vehicles, lots = random_camp(30, 120, seed=5)
    risk = table(n_max=30, per_vehicle=0.03, per_hour=0.01)
    kwargs = dict(
        personnel=70,
        origin=CAMP,
        risk_table=risk,
        prices=PriceParams(incident_usd=3_000_000.0),
        loads=LoadParams(),
    )
    plan = choose_loadout(
        vehicles,
        lots,
        **kwargs,
        seed=SEED,
        solver=SolverParams(time_limit_s=1.0, workers=2, relative_gap=0.02),
    )
    greedy = evaluate_greedy_loadout(vehicles, lots, **kwargs)
    assert greedy is not None
    assert_valid(plan, vehicles, lots, 70, risk, price=3_000_000.0)
    assert_valid(greedy, vehicles, lots, 70, risk, price=3_000_000.0)
    assert plan.objective_usd >= greedy.objective_usd
    assert plan.gap < 0.02


def test_strictly_better_than_greedy_where_density_misleads():
    """Where the densest lot blocks two worth more together, CP-SAT takes the two."""
    vehicles = [veh("T1", kg=9000.0, m2=10.0, seats=3, value=0.0)]
    lots = [
        lot("A", 1000.0, 6.0, 7_000.0),
        lot("B", 1000.0, 5.0, 5_000.0),
        lot("C", 1000.0, 5.0, 5_000.0),
    ]
    risk = table()
    kwargs = dict(
        personnel=3,
        origin=CAMP,
        risk_table=risk,
        prices=PriceParams(incident_usd=1_000.0),
        loads=LoadParams(),
    )
    greedy = evaluate_greedy_loadout(vehicles, lots, **kwargs)
    plan = choose_loadout(vehicles, lots, **kwargs, solver=SOLVER, seed=SEED)
    assert greedy is not None and greedy.lot("A").disposition == "carried"
    assert plan.objective_usd == pytest.approx(greedy.objective_usd + 3_000.0)
    assert plan.lot("A").disposition == "abandoned"
    assert plan.status == "OPTIMAL"


def test_cp_sat_search_is_deterministic():
    """The aggregate CP-SAT search itself, with two workers, repeats exactly."""
    from convoy.loadout import model as loadout

    vehicles, lots = random_camp(45, 100, seed=3)
    risk = table(n_max=45, per_vehicle=0.03, per_hour=0.01)
    inst = loadout._make_instance(
        vehicles, lots, 90, CAMP, risk, PriceParams(incident_usd=3e6), LoadParams()
    )
    hint = loadout._greedy(inst)
    solver = SolverParams(time_limit_s=0.3, workers=2, relative_gap=0.0)
    runs = [loadout._solve_aggregate(inst, solver, SEED, hint, {}) for _ in range(2)]
    assert runs[0][1] is not None
    assert runs[0][1].moving == runs[1][1].moving
    assert runs[0][1].carried == runs[1][1].carried
    assert runs[0][2] == runs[1][2]


@pytest.mark.parametrize(("limit_s", "status"), [(0.01, "GREEDY"), (0.2, "NOT_PROVEN")])
def test_small_time_limits_are_honest(limit_s, status):
    """A solve cut short says so: no crash on an unfinished bound, status, solves."""
    n, m = BIG_CAMP
    vehicles, lots = random_camp(n, m, seed=3)
    risk = table(n_max=n, per_vehicle=0.03, per_hour=0.01)
    plan = solve(
        vehicles,
        lots,
        risk,
        personnel=2 * n,
        price=3e6,
        solver=SolverParams(time_limit_s=limit_s),
    )
    assert_honest(plan)
    # CP-SAT's limit is deterministic, but a wall-clock guard of ten times the
    # limit may stop a solve early on an overloaded machine: then GREEDY
    assert plan.status in (status, "GREEDY")
    assert not plan.proven
    assert plan.time_limit_s == limit_s and plan.gap_target == 0.01
    if plan.status == "GREEDY":
        assert plan.bound_usd is None and plan.method == "greedy"
    else:
        assert plan.gap is not None and plan.gap > plan.gap_target


@pytest.mark.parametrize("limit_s", [0.01, 0.2, 1.0])
def test_any_legal_time_limit_works_on_a_small_camp(limit_s):
    """Small camps are proven within the target at small limits, never a crash."""
    vehicles, lots = random_camp(45, 100, seed=3)
    risk = table(n_max=45, per_vehicle=0.03, per_hour=0.01)
    plan = solve(
        vehicles,
        lots,
        risk,
        personnel=90,
        price=3e6,
        solver=SolverParams(time_limit_s=limit_s),
    )
    assert_honest(plan)
    # at 0.01 s a loaded machine may stop short of the proof (honestly reported)
    assert plan.proven or (limit_s < 0.1 and plan.status in ("GREEDY", "NOT_PROVEN"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_limit_s", 0.0),
        ("time_limit_s", -1.0),
        ("time_limit_s", math.inf),
        ("time_limit_s", math.nan),
        ("gap_target", -0.01),
        ("gap_target", 1.0),
    ],
)
def test_solver_params_refuse_illegal_values(field, value):
    """An illegal limit or target is a clear error naming the field."""
    with pytest.raises(ScenarioError, match=field):
        SolverParams(**{field: value})


def test_zero_gap_target_is_not_proven_unless_optimal():
    """With a 0 % target only a proven optimum passes."""
    n, m = BIG_CAMP
    vehicles, lots = random_camp(n, m, seed=3)
    risk = table(n_max=n, per_vehicle=0.03, per_hour=0.01)
    plan = solve(
        vehicles,
        lots,
        risk,
        personnel=2 * n,
        price=3e6,
        solver=SolverParams(time_limit_s=0.2, gap_target=0.0),
    )
    assert_honest(plan)
    assert plan.status == "NOT_PROVEN" and plan.gap_target == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_re_solves_stop_at_the_gap_target_and_are_all_packed(seed):
    """No re-solve once the gap target is proven; at most one, and it is packed."""
    vehicles, lots = random_camp(15, 60, seed=seed)
    risk = table(n_max=15, per_vehicle=0.03, per_hour=0.01)
    loose = SolverParams(time_limit_s=0.3, workers=2, relative_gap=0.0, gap_target=0.5)
    plan = solve(vehicles, lots, risk, personnel=30, solver=loose)
    assert plan.gap is not None and plan.gap <= 0.5
    assert [s.role for s in plan.solves] == ["aggregate"]
    strict = SolverParams(time_limit_s=0.3, workers=2, relative_gap=0.0, gap_target=0.0)
    plan = solve(vehicles, lots, risk, personnel=30, solver=strict)
    roles = [s.role for s in plan.solves]
    assert roles[0] == "aggregate" and roles[1:] in ([], ["tightened"])
    assert_valid(plan, vehicles, lots, 30, risk, price=1_000_000.0)


def test_refill_swaps_a_cheap_lot_for_two_left_behind():
    """Reloading a vehicle replaces a cheap lot by two lots left over worth more."""
    from convoy.loadout import packing
    from convoy.loadout.instance import _Candidate, _check, _evaluate, _make_instance

    vehicles = [veh("T1", kg=9000.0, m2=10.0, seats=3, value=0.0)]
    lots = [
        lot("D", 1000.0, 6.0, 1_000.0),
        lot("E", 1000.0, 5.0, 5_000.0),
        lot("F", 1000.0, 4.0, 4_000.0),
        lot("M", 500.0, 1.0, 100.0, mand=True),
    ]
    inst = _make_instance(
        vehicles,
        lots,
        3,
        CAMP,
        table(),
        PriceParams(incident_usd=1_000.0),
        LoadParams(),
    )
    cand = _Candidate(
        np.zeros(1, dtype=np.int64),
        np.full(1, -1, dtype=np.int64),
        np.array([0, -1, -1, 0], dtype=np.int64),
        "test",
    )
    before = _evaluate(inst, cand)[0]
    better = packing._refilled(inst, cand)
    assert cand.lot_vehicle.tolist() == [0, -1, -1, 0]  # the copy changed, not cand
    assert better.lot_vehicle.tolist() == [-1, 0, 0, 0]  # the mandatory lot stays
    assert _check(inst, better) == ""
    assert _evaluate(inst, better)[0] == pytest.approx(before + 8_000.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_refill_never_lowers_the_objective(seed):
    """On random camps the reloaded greedy plan is valid and worth at least as much."""
    from convoy.loadout import packing
    from convoy.loadout.greedy import _greedy
    from convoy.loadout.instance import _check, _evaluate, _make_instance

    vehicles, lots = random_camp(20, 90, seed=seed)
    risk = table(n_max=20, per_vehicle=0.03, per_hour=0.01)
    inst = _make_instance(
        vehicles, lots, 40, CAMP, risk, PriceParams(incident_usd=3e6), LoadParams()
    )
    greedy = _greedy(inst)
    assert greedy is not None
    better = packing._refilled(inst, greedy)
    assert _check(inst, better) == ""
    assert _evaluate(inst, better)[0] >= _evaluate(inst, greedy)[0] - 1e-6
    assert np.array_equal(better.v_status, greedy.v_status)

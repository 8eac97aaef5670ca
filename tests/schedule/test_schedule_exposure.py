"""The exposure model: exact time integrals, trajectory pricing, the paced profile."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest

from convoy.errors import InfeasibleError, ScenarioError
from convoy.params import MovementParams, RiskParams
from convoy.schedule.exposure import (
    ExposureModel,
    build_exposure_model,
    column_lengths_km,
    column_surface_speeds,
    periodic_integral,
)
from convoy.schedule.trajectory import (
    Halt,
    Leg,
    paced_trajectory,
    trajectory_exposure,
)


def flat_model(**kw) -> ExposureModel:
    """Four nodes in a line, flat diurnal profiles, halts at nodes 0, 2 and 3."""
    args = dict(
        edge_u=[0, 1, 2],
        edge_v=[1, 2, 3],
        edge_length_m=[20_000.0, 30_000.0, 50_000.0],
        edge_speed_kph=[40.0, 30.0, 20.0],
        edge_ied=[0.3, 0.2, 0.5],
        edge_ambush=[0.01, 0.02, 0.03],
        node_ambush=[0.0, 0.01, 0.02, 0.0],
        node_can_halt=[True, False, True, True],
        column_day_km=6.0,
        column_night_km=4.0,
        start_minute_of_day=360.0,
        day_start_min=360,
        day_end_min=1080,
    )
    args.update(kw)
    return ExposureModel(**args)


def test_periodic_integral_matches_minute_sums():
    """The closed form equals a fine Riemann sum, fractional limits included."""
    rng = np.random.default_rng(3)
    prof = np.repeat(rng.uniform(0, 2, 24), 60)
    for m0 in (0.0, 333.25, 1439.5):
        for x in (0.0, 0.4, 59.9, 61.0, 1440.0, 3000.7, 10_000.3):
            fine = np.arange(0.0, x, 0.05) + 0.025  # midpoints, exact for these x
            ref = prof[np.floor((m0 + fine) % 1440).astype(int)].sum() * 0.05
            got = periodic_integral(prof, x, m0) - periodic_integral(prof, 0.0, m0)
            assert got == pytest.approx(ref, rel=1e-9, abs=2e-2 * 0.05 * 2)


def test_leg_and_halt_formulas_with_flat_profiles():
    """IED, moving and halted ambush follow the documented formulas."""
    m = flat_model()
    legs = [
        Leg(0, 0, 0.0, 30.0, "normal", 40.0),
        Leg(1, 1, 30.0, 90.0, "clearance", 30.0),
    ]
    halts = [Halt(2, 90.0, 150.0)]
    exp = trajectory_exposure(m, legs, halts)
    assert exp.ied == pytest.approx(0.3 + 0.2 * m.clearance_ied_factor)
    assert exp.ambush_moving == pytest.approx(0.01 * 6 / 40 + 0.02 * 6 / 30)
    assert exp.ambush_halted == pytest.approx(0.02 * m.halt_exposure_factor * 6 * 1.0)
    assert exp.total == pytest.approx(exp.ied + exp.ambush)


def test_diurnal_profile_is_normalised_and_averaged_exactly():
    """A leg across two hours takes the exact time-weighted mean of the profile."""
    prof = np.ones(24)
    prof[6], prof[7] = 2.0, 4.0  # mean (24 + 4) / 24
    m = flat_model(diurnal_ied=prof)
    # 06:30 to 07:30: half an hour at 2, half at 4 -> 3, normalised by 28 / 24
    exp = trajectory_exposure(m, [Leg(0, 0, 30.0, 90.0, "normal", 40.0)])
    assert exp.ied == pytest.approx(0.3 * 3.0 * 24 / 28)


def test_night_leg_uses_night_column_length():
    """A leg reaching past day_end is priced with the night column length."""
    m = flat_model()
    day = trajectory_exposure(m, [Leg(0, 0, 600.0, 660.0, "normal", 40.0)])
    night = trajectory_exposure(m, [Leg(0, 0, 690.0, 750.0, "normal", 40.0)])
    assert day.ambush_moving == pytest.approx(0.01 * 6 / 40)
    assert night.ambush_moving == pytest.approx(0.01 * 4 / 40)


def test_halt_across_dusk_integrates_both_lengths():
    """A halt 17:00-19:00 counts an hour at the day and an hour at the night length."""
    m = flat_model()
    exp = trajectory_exposure(m, [], [Halt(1, 660.0, 780.0)])
    assert exp.ambush_halted == pytest.approx(0.01 * 0.5 * (6 + 4))


@pytest.mark.parametrize(
    ("legs", "match"),
    [
        ([Leg(0, 2, 0.0, 10.0, "normal", 40.0)], "from_node"),
        ([Leg(0, 0, 10.0, 10.0, "normal", 40.0)], "arrive > depart"),
        ([Leg(0, 0, 0.0, 10.0, "fast", 40.0)], "mode"),
        ([Leg(0, 0, 0.0, 10.0, "normal", 0.0)], "speed_kph"),
        (
            [Leg(0, 0, 0.0, 10.0), Leg(2, 2, 20.0, 30.0, "normal", 5.0)],
            "start at node 1",
        ),
        ([Leg(9, 0, 0.0, 10.0, "normal", 40.0)], "edge id"),
    ],
)
def test_bad_trajectories_are_refused(legs, match):
    """Broken trajectories raise ScenarioError naming the leg and the field."""
    legs = [
        Leg(
            g.edge, g.from_node, g.depart_min, g.arrive_min, g.mode, g.speed_kph or 40.0
        )
        if g.speed_kph == 0.0 and match != "speed_kph"
        else g
        for g in legs
    ]
    with pytest.raises(ScenarioError, match=match):
        trajectory_exposure(flat_model(), legs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("edge_length_m", [0.0, 1.0, 1.0]),
        ("edge_ied", [np.nan, 0.0, 0.0]),
        ("node_can_halt", [True]),
        ("edge_v", [1, 2, 9]),
        ("diurnal_ied", np.ones(23)),
        ("column_day_km", -1.0),
    ],
)
def test_bad_models_are_refused(field, value):
    """ExposureModel checks its arrays and names the offending field."""
    with pytest.raises(ScenarioError, match=field.split("_")[0]):
        flat_model(**{field: value})


def test_paced_profile_arrives_on_time_and_halts_only_at_halt_sites():
    """The paced profile leaves and arrives when told, halting only at halt nodes."""
    m = flat_model()
    windows = [(330, 1110)]
    depart, arrive = 0.0, 2 * 1440 + 840.0  # three days later at 20:00
    traj = paced_trajectory(m, 0, [0, 1, 2], depart, arrive, windows)
    assert traj.legs[0].depart_min == depart
    assert traj.legs[-1].arrive_min == pytest.approx(arrive)
    assert [leg.from_node for leg in traj.legs] == [0, 1, 2]
    for h in traj.halts:
        assert m.node_can_halt[h.node]
    for a, b in zip(traj.legs, traj.legs[1:], strict=False):
        assert b.depart_min >= a.arrive_min - 1e-9
    # every leg lies inside a window, or in the last evening stretch
    for leg in traj.legs[:-1]:
        mod = (m.start_minute_of_day + leg.depart_min) % 1440
        assert 330 - 1e-6 <= mod <= 1110 + 1e-6
    exp = trajectory_exposure(m, traj.legs, traj.halts)
    assert exp.total > 0 and exp.ambush_halted > 0


def test_paced_profile_needs_driving_time():
    """Departure after arrival is refused."""
    with pytest.raises(ScenarioError):
        paced_trajectory(flat_model(), 0, [0], 100.0, 50.0, [(330, 1110)])
    with pytest.raises(InfeasibleError):
        paced_trajectory(flat_model(), 0, [0], 0.0, 10.0, [])
    with pytest.raises(ScenarioError, match="touching"):
        paced_trajectory(flat_model(), 0, [0, 2], 0.0, 1000.0, [(330, 1110)])


def test_builder_from_network_and_risk():
    """The builder caps speeds, sums the column and marks halt sites."""
    roads = SimpleNamespace(
        edge_u=np.array([0, 1]),
        edge_v=np.array([1, 2]),
        edge_length_m=np.array([1000.0, 2000.0]),
        edge_surface=np.array([0, 3]),
        edge_maxspeed_kph=np.array([30.0, np.inf]),
        site_node={"Kidal": 0, "Anefis": 1, "Gao": 2},
    )
    risk = SimpleNamespace(
        edge_ied=np.array([0.1, 0.2]),
        edge_ambush=np.array([0.01, 0.02]),
        node_ambush=np.array([0.0, 0.1, 0.0]),
    )
    mv = MovementParams(max_speed_kph=45.0)
    speeds = column_surface_speeds([[60, 40, 30, 20], [50, 45, 25, 15]])
    assert speeds.tolist() == [50, 40, 25, 15]
    model = build_exposure_model(
        roads,
        risk,
        surface_speed_kph=speeds,
        vehicle_lengths_m=[10.0, 10.0, 5.0],
        halt_sites=["Kidal", "Gao"],
        start=datetime(2023, 10, 31, 6, 30, tzinfo=UTC),
        movement=mv,
        risk_params=RiskParams(),
    )
    assert model.edge_speed_kph.tolist() == [30.0, 15.0]
    assert model.node_can_halt.tolist() == [True, False, True]
    assert model.column_day_km == pytest.approx((25 + 2 * 100) / 1000)
    assert model.column_night_km == pytest.approx((25 + 2 * 50) / 1000)
    assert model.start_minute_of_day == 390.0
    assert model.diurnal_ied.mean() == pytest.approx(1.0)
    assert column_lengths_km([5.0], mv) == (0.005, 0.005)
    with pytest.raises(ScenarioError, match="Tessalit"):
        build_exposure_model(
            roads,
            risk,
            surface_speed_kph=speeds,
            vehicle_lengths_m=[10.0],
            halt_sites=["Tessalit"],
            start=datetime(2023, 10, 31, tzinfo=UTC),
            movement=mv,
            risk_params=RiskParams(),
        )

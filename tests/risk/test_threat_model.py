"""The threat model's assumptions.

Background rate, IED triggers, location precision, hourly profiles, stale events.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convoy.document import PlanDocument
from convoy.errors import DataQualityWarning, ScenarioError
from convoy.io.scenario import read_scenario
from convoy.params import (
    FLAT_DIURNAL,
    SHAPED_DIURNAL_AMBUSH,
    SHAPED_DIURNAL_IED,
    RiskParams,
)
from convoy.plan import plan_withdrawal
from convoy.plan.inputs import (
    _historical_trip,
    scenario_edge_risk,
    scenario_exposure_model,
    scenario_risk_field,
)
from convoy.risk.edges import background_rates, edge_risk
from convoy.risk.field import event_staleness, risk_field_from_events
from convoy.schedule import trajectory_exposure

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_field import CLASH, IED, X0, Y0, make_events
from test_field import roads as _roads
from test_plan_towns import towns_only_copy

roads = _roads


def _events(precision=(1,), ages=(0.0,), rows=None):
    rows = rows or [(X0, Y0, *IED, a, 0.0) for a in ages]
    ev = make_events(rows)
    prec = np.resize(np.asarray(precision, dtype=np.int64), len(rows))
    return dataclasses.replace(ev, geo_precision=prec)


# ------------------------------------------------------------------ background


def test_background_is_factor_times_network_mean(roads):
    field = risk_field_from_events(_events(), RiskParams())
    plain = edge_risk(field, roads)
    lengths = np.asarray(roads.edge_length_m) / 1000.0
    mean_ied = plain.edge_ied.sum() / lengths.sum()
    with_bg = edge_risk(field, roads, background_factor=0.5)
    assert with_bg.background_ied == pytest.approx(0.5 * mean_ied, rel=1e-12)
    np.testing.assert_allclose(
        with_bg.edge_ied - plain.edge_ied, 0.5 * mean_ied * lengths, rtol=1e-9
    )
    np.testing.assert_allclose(with_bg.edge_bg_ied, 0.5 * mean_ied * lengths)
    assert (with_bg.ied > 0).all() and (with_bg.ambush >= 0).all()
    assert (plain.edge_bg_ied == 0).all()


@settings(max_examples=30, deadline=None)
@given(
    factor=st.floats(0.0, 3.0),
    surf=st.lists(st.floats(0.0, 4.0), min_size=4, max_size=4),
)
def test_background_by_surface_and_rescaling(roads, factor, surf):
    ev = _events(rows=[(X0, Y0, *IED, 0.0, 0.0), (X0 + 3000, Y0, *CLASH, 5.0, 1.0)])
    field = risk_field_from_events(ev, RiskParams())
    er = edge_risk(field, roads, background_factor=factor, surface_factors=surf)
    lengths = np.asarray(roads.edge_length_m) / 1000.0
    sf = np.asarray(surf)[np.asarray(roads.edge_surface)]
    np.testing.assert_allclose(
        er.edge_bg_ambush, er.background_ambush * sf * lengths, rtol=1e-9
    )
    scaled = er.with_scales(2.0, 3.0)
    assert scaled.background_ied == pytest.approx(2.0 * er.background_ied)
    np.testing.assert_allclose(scaled.edge_bg_ambush, 3.0 * er.edge_bg_ambush)
    only = er.background_only()
    np.testing.assert_allclose(only.edge_ied, er.edge_bg_ied)


def test_background_rates_of_a_constant_is_factor_times_it():
    s = np.array([0.0, 250.0, 500.0, 0.0, 100.0])
    off = np.array([0, 3, 5])
    assert background_rates(np.full(5, 2.0), s, off, 0.25) == pytest.approx(0.5)
    with pytest.raises(ScenarioError, match="background_factor"):
        background_rates(np.ones(5), s, off, -1.0)


def test_background_params_checked():
    assert RiskParams().background and RiskParams().background_factor == 0.5
    assert RiskParams(
        background_surface_factors={"track": 2}
    ).surface_background_factors() == (
        1.0,
        1.0,
        2.0,
        1.0,
    )
    with pytest.raises(ScenarioError, match=r"background_surface_factors\.mud"):
        RiskParams.from_toml({"background_surface_factors": {"mud": 1.0}})
    with pytest.raises(ScenarioError, match="background_factor"):
        RiskParams.from_toml({"background_factor": -0.1})


def _no_zero_risk_edge(plan):
    for name, trip in plan.trips.items():
        m = trip.model
        for leg in trip.trip.trajectory.legs:
            assert m.edge_ied[leg.edge] > 0, (name, leg.edge)
            assert m.edge_ambush[leg.edge] > 0, (name, leg.edge)


@pytest.fixture(scope="module")
def embedded_plan(embedded_kidal_gao):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return plan_withdrawal(read_scenario(embedded_kidal_gao), runs=0)


@pytest.mark.slow
def test_embedded_plan_has_background_everywhere(embedded_plan):
    _no_zero_risk_edge(embedded_plan)
    doc = PlanDocument.from_plan(embedded_plan)
    for name in doc.plan_keys():
        s = doc.trip(name).summary
        assert s.background_incidents is not None
        assert 0 < s.background_incidents < s.expected_incidents
    rm = doc.risk_model
    assert rm is not None and rm.background and rm.background_ied_per_km > 0
    assert rm.diurnal == "flat" and not rm.events_stale
    again = PlanDocument.from_json(doc.to_json())
    assert again.to_json() == doc.to_json()
    assert again.risk_model is not None
    assert again.risk_model.background_factor == rm.background_factor
    # plan.json keeps 6 significant digits of each number the share is made of
    assert again.summary.background_share == pytest.approx(
        doc.summary.background_share, rel=1e-5
    )


@pytest.mark.slow
def test_background_share_matches_a_plan_without_background(embedded_plan):
    """The background part is what pricing the same trip on the bare field removes."""
    sc = embedded_plan.scenario
    trip = embedded_plan.optimised
    er = embedded_plan.edge_risk
    bare = dataclasses.replace(
        trip.model,
        edge_ied=er.edge_ied - er.edge_bg_ied,
        edge_ambush=er.edge_ambush - er.edge_bg_ambush,
        node_ambush=er.node_ambush - er.node_bg_ambush,
    )
    traj = trip.trip.trajectory
    events_part = trajectory_exposure(bare, traj.legs, traj.halts).total
    doc = PlanDocument.from_plan(embedded_plan)
    assert doc.summary.background_incidents == pytest.approx(
        trip.trip.exposure.total - events_part, rel=1e-9
    )
    assert sc.risk.background


@pytest.mark.slow
def test_towns_only_plan_has_background_everywhere(embedded_kidal_gao, tmp_path):
    sc = read_scenario(towns_only_copy(embedded_kidal_gao, tmp_path / "towns"))
    er = scenario_edge_risk(sc, scenario_risk_field(sc))
    sharp = dataclasses.replace(
        sc,
        risk=dataclasses.replace(
            sc.risk, background=False, precision_km_acled=(0.0, 0.0, 0.0)
        ),
    )
    bare = scenario_edge_risk(sharp, scenario_risk_field(sharp))
    assert (bare.edge_ied == 0).any()  # the towns-only field leaves roads at zero
    assert (er.edge_ied > 0).all() and (er.edge_ambush > 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        _no_zero_risk_edge(plan_withdrawal(sc, runs=0))


# ------------------------------------------------------------------ IED triggers


def test_ied_command_fraction_splits_the_unknown():
    assert RiskParams().ied_command_fraction == pytest.approx(16 / 83)
    assert (
        RiskParams(ied_victim_share=1.0, ied_command_share=0.0).ied_command_fraction
        == 0
    )
    with pytest.raises(ScenarioError, match="ied_command_share"):
        RiskParams(ied_victim_share=0.9, ied_command_share=0.2)


@pytest.mark.slow
def test_ied_of_a_smaller_column_is_lower_by_the_command_share(embedded_kidal_gao):
    """100 vehicles against the reference 143, on the same trip: IED scales as
    (1 - c) + c * L100 / L143."""
    sc = read_scenario(embedded_kidal_gao)
    er = scenario_edge_risk(sc, scenario_risk_field(sc))
    model143, traj = _historical_trip(sc, er)
    ids = [v.id for v in sc.vehicles if v.camp == sc.origin][:100]
    model100 = scenario_exposure_model(sc, er, vehicle_ids=ids)
    ied143 = trajectory_exposure(model143, traj.legs, traj.halts).ied
    ied100 = trajectory_exposure(model100, traj.legs, traj.halts).ied
    c = 16 / 83
    want = (1 - c) + c * model100.column_day_km / model143.column_day_km
    assert model143.ied_column_factor == pytest.approx(1.0)
    assert ied100 < ied143
    assert ied100 / ied143 == pytest.approx(want, rel=1e-9)
    assert 0.9 < want < 0.97  # about 6 % fewer IEDs for 30 % fewer vehicles
    # with every IED victim-operated the column length does not matter
    flat = dataclasses.replace(model100, ied_command_share=0.0)
    assert trajectory_exposure(flat, traj.legs, traj.halts).ied == pytest.approx(
        ied143, rel=1e-12
    )


# ------------------------------------------------------------------ precision


def test_coarse_event_spreads_wider():
    p = RiskParams()
    exact = risk_field_from_events(_events(precision=(1,)), p)
    near = risk_field_from_events(_events(precision=(2,)), p)
    region = risk_field_from_events(_events(precision=(3,)), p)
    assert exact.ied.bandwidth_m[0] == pytest.approx(3_000.0)
    assert near.ied.bandwidth_m[0] == pytest.approx(np.hypot(3_000.0, 25_000.0))
    assert region.ied.bandwidth_m[0] == pytest.approx(np.hypot(3_000.0, 50_000.0))
    at_event = [[X0, Y0]]
    far = [[X0 + 30_000.0, Y0]]
    assert exact.at(at_event, "ied")[0] > near.at(at_event, "ied")[0]
    assert near.at(far, "ied")[0] > exact.at(far, "ied")[0]
    # the mass is the same: a wider kernel, not more risk
    grid = dict(
        origin_xy=(X0 - 300_000, Y0 + 300_000), cell_m=2_000.0, shape=(300, 300)
    )
    masses = [
        f.raster(channel="ied", **grid).sum() * 4.0 for f in (exact, near, region)
    ]
    np.testing.assert_allclose(masses, masses[0], rtol=1e-3)


def test_precision_widths_overridable_and_checked():
    p = RiskParams.from_toml({"precision_km_acled": [0, 10, 20]})
    f = risk_field_from_events(_events(precision=(3,)), p)
    assert f.ied.bandwidth_m[0] == pytest.approx(np.hypot(3_000.0, 20_000.0))
    with pytest.raises(ScenarioError, match="precision_km_ucdp"):
        RiskParams.from_toml({"precision_km_ucdp": [0, 1]})


@pytest.mark.slow
def test_kidal_spike_flattens(embedded_kidal_gao, tmp_path):
    """Events coded at the town's centre, as ACLED codes them, make a spike there
    unless their precision widens them."""
    sc = read_scenario(towns_only_copy(embedded_kidal_gao, tmp_path / "towns"))
    kidal = sc.roads.node_xy[sc.roads.site_node["Kidal"]]
    sharp_params = dataclasses.replace(sc.risk, precision_km_acled=(0.0, 0.0, 0.0))
    sharp = risk_field_from_events(sc.events, sharp_params, crs=sc.roads.crs)
    wide = risk_field_from_events(sc.events, sc.risk, crs=sc.roads.crs)
    ring = kidal + 40_000.0 * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]])
    for ch in ("ied", "ambush"):
        peak_sharp, peak_wide = sharp.at([kidal], ch)[0], wide.at([kidal], ch)[0]
        assert peak_wide < 0.5 * peak_sharp
        # 40 km out the town's events still count
        assert wide.at(ring, ch).mean() > sharp.at(ring, ch).mean()


# ------------------------------------------------------------------ diurnal


def test_diurnal_flat_by_default_shaped_on_request():
    assert RiskParams().diurnal_ied == FLAT_DIURNAL
    assert RiskParams().diurnal_ambush == FLAT_DIURNAL
    shaped = RiskParams.from_toml({"diurnal": "shaped"})
    assert shaped.diurnal_ied == SHAPED_DIURNAL_IED
    assert shaped.diurnal_ambush == SHAPED_DIURNAL_AMBUSH
    custom = RiskParams.from_toml({"diurnal": "shaped", "diurnal_ied": [2.0] * 24})
    assert custom.diurnal_ied == (2.0,) * 24
    assert custom.diurnal_ambush == SHAPED_DIURNAL_AMBUSH
    with pytest.raises(ScenarioError, match="diurnal"):
        RiskParams.from_toml({"diurnal": "nocturnal"})


# ------------------------------------------------------------------ staleness


def test_stale_events_warn_with_the_decay():
    ev = _events(ages=(3 * 365.0 + 10, 4 * 365.0))
    p = RiskParams()
    with pytest.warns(DataQualityWarning, match=r"1105 days before the start.*0\.123"):
        f = risk_field_from_events(ev, p)
    st_ = f.staleness
    assert st_ is not None and st_.stale
    assert st_.newest_age_days == 1105.0
    assert st_.decay_weight == pytest.approx(0.5 ** (1105 / 365))
    assert st_.newest_date == str(
        np.datetime64("2023-10-31") - np.timedelta64(1105, "D")
    )


def test_recent_events_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        f = risk_field_from_events(_events(ages=(30.0, 900.0)), RiskParams())
    assert f.staleness is not None and not f.staleness.stale
    assert event_staleness(make_events([]), RiskParams()) is None
    with pytest.warns(DataQualityWarning):
        risk_field_from_events(_events(ages=(30.0,)), RiskParams(stale_after_days=10.0))


def _stale_copy(embedded_kidal_gao, tmp_path):
    """The embedded scenario with every event dated three years earlier."""
    import shutil

    dst = tmp_path / "stale"
    shutil.copytree(embedded_kidal_gao, dst)
    with (embedded_kidal_gao / "events.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (dst / "events.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            y, rest = r["event_date"].split("-", 1)
            y3 = str(int(y) - 3)
            r["event_date"] = f"{y3}-{rest}".replace("-02-29", "-02-28")
            r["year"] = y3
            w.writerow(r)
    return dst


@pytest.mark.slow
def test_stale_scenario_recorded_in_plan_json(embedded_kidal_gao, tmp_path):
    """Events all moved three years back: the plan warns and plan.json says so."""
    dst = _stale_copy(embedded_kidal_gao, tmp_path)
    sc = read_scenario(dst)
    with pytest.warns(DataQualityWarning, match="newest event"):
        plan = plan_withdrawal(sc, runs=0)
    doc = PlanDocument.from_plan(plan)
    rm = json.loads(doc.to_json())["risk_model"]
    assert rm["events_stale"] is True
    assert rm["newest_event_age_days"] > 3 * 365 - 60
    assert 0 < rm["newest_event_decay_weight"] < 0.2
    assert doc.risk_model is not None and "calibration rescales" in (
        doc.risk_model.stale_message()
    )


@pytest.mark.slow
def test_risk_table_prices_smaller_columns_lower_ied(embedded_kidal_gao):
    """The loads' risk table sees the trigger split: the full (reference) column
    costs the same with or without it, smaller columns cost less with it."""
    from convoy.plan.inputs import scenario_risk_table

    sc = read_scenario(embedded_kidal_gao)
    er = scenario_edge_risk(sc, scenario_risk_field(sc))
    victim_only = dataclasses.replace(
        sc, risk=dataclasses.replace(sc.risk, ied_command_share=0.0)
    )
    split = scenario_risk_table(sc, er).incidents[:, 0]
    head = scenario_risk_table(victim_only, er).incidents[:, 0]
    assert split[-1] == pytest.approx(head[-1], rel=1e-9)
    assert (split[:-1] < head[:-1]).all()


@pytest.mark.slow
def test_report_states_the_background_share(embedded_plan):
    from convoy.report.html import render_report

    doc = PlanDocument.from_plan(embedded_plan)
    html = render_report(doc, {})
    share = 100 * (doc.summary.background_share or 0)
    assert 'id="risk-model"' in html
    assert f"Background: {share:.0f} % of the optimised plan" in html
    assert "command-initiated" in html and "every hour alike" in html
    # a document without the record (older plan.json) renders without the paragraph
    old = dataclasses.replace(doc, risk_model=None)
    assert 'id="risk-model"' not in render_report(old, {})


@pytest.mark.slow
def test_validate_warns_of_stale_events(embedded_kidal_gao, tmp_path):
    from click.testing import CliRunner

    from convoy.cli.main import cli

    dst = _stale_copy(embedded_kidal_gao, tmp_path)
    result = CliRunner().invoke(cli, ["validate", str(dst)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "days before the start" in result.output
    fresh = CliRunner().invoke(
        cli, ["validate", str(embedded_kidal_gao)], catch_exceptions=False
    )
    assert "stale_after_days" not in fresh.output

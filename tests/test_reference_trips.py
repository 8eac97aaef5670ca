"""Reference trips as data, their joint calibration, intervals and leave-one-out."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from convoy.calibrate import (
    TripFit,
    fit_scales,
    incidents_interval,
    leave_one_out,
    predictive_interval,
    ratio_interval,
    scale_interval,
)
from convoy.cli.main import cli
from convoy.document import CalibrationInfo, PlanDocument, ReferenceTripInfo
from convoy.errors import ScenarioError
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal, reference_vehicles, validate_reference_trips

TINY = Path(__file__).parent / "data" / "tiny"

#: Three trips on the tiny scenario: two calibrate, one is held out with a count
#: far above anything the others predict.
THREE_TRIPS = """
[[reference_trips]]
name = "first"
route = ["North", "South"]
waypoints = [
  { site = "North", time = "2023-10-31T06:00:00Z" },
  { site = "South", date = "2023-11-01" },
]
vehicles = 3
observed = { ied = 2 }

[[reference_trips]]
name = "second"
route = ["West", "South"]
waypoints = [
  { site = "West", date = "2023-11-01" },
  { site = "South", date = "2023-11-02" },
]
vehicles = ["REC-1"]
mode = "clearance"
observed = { ied = 1, ambush = 0 }

[[reference_trips]]
name = "third"
route = ["North", "Wells", "South"]
waypoints = [
  { site = "North", date = "2023-11-02" },
  { site = "Wells", date = "2023-11-02" },
  { site = "South", date = "2023-11-03" },
]
vehicles = 2
observed = { ied = 40 }
holdout = true
"""


@pytest.fixture(scope="module")
def three_trips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("trips") / "tiny-trips"
    shutil.copytree(TINY, d)
    toml = d / "scenario.toml"
    toml.write_text(toml.read_text() + THREE_TRIPS)
    return d


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --------------------------------------------------------------------- reading


def test_embedded_scenario_has_two_reference_trips():
    sc = read_scenario("kidal-gao")
    kidal, tessalit = sc.reference_trips
    assert sc.reference_trip is kidal
    assert (kidal.name, kidal.mode, kidal.ied_incidents) == (
        "Kidal 2023",
        "clearance",
        6,
    )
    assert kidal.ambush_incidents is None  # attacks by fire were not counted
    assert kidal.used_for_calibration
    sites = [(w.site, w.time, w.timed) for w in kidal.waypoints]
    assert sites == [
        ("Kidal", _utc("2023-10-31T06:00"), True),
        ("Anefis", _utc("2023-11-04T12:00"), False),  # middle of 05:30-18:30
        ("Gao", _utc("2023-11-07T18:30"), False),  # close of the window
    ]
    assert tessalit.holdout and not tessalit.used_for_calibration
    assert tessalit.ied_incidents is None and tessalit.ambush_incidents is None
    assert tessalit.route[:3] == ("Tessalit", "Aguelhok", "Anefis")
    assert tessalit.depart == _utc("2023-10-21T05:30")


def test_three_trips_read(three_trips):
    sc = read_scenario(three_trips)
    names = [t.name for t in sc.reference_trips]
    assert names == ["first", "second", "third"]
    first, second, third = sc.reference_trips
    assert sc.reference_trip is first
    assert second.vehicle_ids == ("REC-1",) and second.ambush_incidents == 0
    assert third.holdout and not third.calibrate
    # two date-only waypoints on one day: opening, then the middle of the windows
    assert [w.time.hour for w in third.waypoints] == [5, 12, 18]


def test_old_calibration_table_is_one_trip(tiny_scenario):
    (trip,) = tiny_scenario.reference_trips
    assert trip is tiny_scenario.reference_trip
    assert trip.where == "[calibration]" and trip.ied_incidents == 6.0


# ------------------------------------------------------------------ vehicles


def _fleet(types: dict[str, int], seed: int = 1) -> SimpleNamespace:
    vehicles = [
        SimpleNamespace(id=f"{t}-{i}", type=t, camp="A")
        for t, n in types.items()
        for i in range(n)
    ]
    return SimpleNamespace(vehicles=tuple(vehicles), seed=seed)


def _trip(n: int, name: str = "t") -> SimpleNamespace:
    return SimpleNamespace(vehicle_ids=(), route=("A", "B"), vehicles=n, name=name)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["APC", "truck", "tanker", "bus", "engineer"]),
        st.integers(1, 30),
        min_size=1,
    ),
    st.data(),
)
def test_vehicle_draw_is_stratified_and_seeded(types, data):
    fleet = _fleet(types)
    total = sum(types.values())
    n = data.draw(st.integers(1, total))
    ids = reference_vehicles(fleet, _trip(n))
    assert len(ids) == n == len(set(ids))
    assert ids == reference_vehicles(fleet, _trip(n))  # deterministic
    got = Counter(i.split("-")[0] for i in ids)
    for t, size in types.items():
        quota = n * size / total
        assert math.floor(quota) <= got[t] <= math.ceil(quota), (t, quota, got)
    order = [v.id for v in fleet.vehicles]
    assert list(ids) == sorted(ids, key=order.index)  # fleet order


def test_vehicle_draw_is_not_the_first_rows():
    fleet = _fleet({"APC": 20, "truck": 60})
    ids = reference_vehicles(fleet, _trip(40))
    assert ids != tuple(v.id for v in fleet.vehicles[:40])
    assert sum(i.startswith("APC") for i in ids) == 10


# --------------------------------------------------------------- calibration


def test_garwood_interval_of_six():
    lo, hi = scale_interval(6, 1.0, 0.95)
    assert (lo, hi) == pytest.approx((2.2015, 13.0595), abs=1e-3)
    # the same interval as Gamma quantiles, scaled by the exposure
    lo2, hi2 = scale_interval(6, 4.0, 0.90)
    assert lo2 == pytest.approx(stats.gamma.ppf(0.05, 6) / 4.0)
    assert hi2 == pytest.approx(stats.gamma.ppf(0.95, 7) / 4.0)
    assert scale_interval(0, 2.0, 0.9)[0] == 0.0


def test_garwood_interval_covers_at_least_its_probability():
    """Brute force: the exact interval is conservative for every true rate."""
    rng = np.random.default_rng(3)
    for true in (0.5, 2.0, 6.0, 15.0):
        counts = rng.poisson(true, size=4000)
        bounds = {n: scale_interval(int(n), 1.0, 0.9) for n in np.unique(counts)}
        inside = np.mean([bounds[n][0] <= true <= bounds[n][1] for n in counts])
        assert inside >= 0.89, (true, inside)


def test_predictive_interval_is_the_gamma_poisson_mixture():
    rng = np.random.default_rng(5)
    shape, rate, unit = 6.5, 1.44, 2.0
    draws = rng.poisson(rng.gamma(shape, 1 / rate, size=200_000) * unit)
    lo, hi = predictive_interval(shape, rate, unit, 0.9)
    assert np.mean(draws < lo) <= 0.05 + 0.005
    assert np.mean(draws > hi) <= 0.05 + 0.005
    assert np.mean(draws <= lo) > 0.05 - 0.005 or lo == 0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.05, 20.0),
            st.floats(0.05, 20.0),
            st.integers(0, 30),
            st.one_of(st.none(), st.integers(0, 10)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_scales_are_the_poisson_maximum_likelihood(rows):
    trips = [TripFit(f"t{i}", a, b, n, m) for i, (a, b, n, m) in enumerate(rows)]
    ied, amb = fit_scales(trips, ambush_per_ied=0.5)
    n_ied = sum(r[2] for r in rows)
    e_ied = sum(r[0] for r in rows)
    assert ied.scale == pytest.approx(n_ied / e_ied)
    assert ied.lower <= ied.scale <= ied.upper
    assert ied.posterior_shape == pytest.approx(n_ied + 0.5)
    # the log-likelihood is highest at the fitted scale
    for s in (ied.scale * 0.9, ied.scale * 1.1 + 1e-6):
        ll = stats.poisson.logpmf([r[2] for r in rows], [s * r[0] for r in rows]).sum()
        best = stats.poisson.logpmf(
            [r[2] for r in rows], [max(ied.scale, 1e-300) * r[0] for r in rows]
        ).sum()
        assert best >= ll - 1e-9
    seen = [r for r in rows if r[3] is not None]
    if seen:
        assert amb.source == "observed"
        assert amb.scale == pytest.approx(
            sum(r[3] for r in seen) / sum(r[1] for r in seen)
        )
    else:
        # assumed: the trips' expected ambushes are half their observed IEDs
        assert amb.source == "assumed"
        assert amb.posterior_shape == ied.posterior_shape
        assert sum(r[1] for r in rows) * amb.scale == pytest.approx(0.5 * n_ied)


def test_holdout_and_uncalibrated_trips_do_not_set_the_scale():
    trips = [
        TripFit("a", 2.0, 4.0, 6.0, None),
        TripFit("b", 2.0, 4.0, 60.0, None, used=False, holdout=True),
    ]
    ied, _amb = fit_scales(trips, ambush_per_ied=0.5)
    assert ied.scale == 3.0


def test_no_ied_count_on_calibration_trips_is_an_error():
    with pytest.raises(ScenarioError, match="IED count"):
        fit_scales([TripFit("a", 2.0, 4.0, None, 3.0)], ambush_per_ied=0.5)


def test_intervals_of_plans_and_ratio():
    tied = fit_scales([TripFit("a", 2.0, 4.0, 6.0, None)], ambush_per_ied=0.5)
    lo, hi = incidents_interval(tied, 1.0, 2.0)
    value = tied[0].scale * 1.0 + tied[1].scale * 2.0
    assert lo < value < hi
    # tied channels: the interval is the IED scale's, exactly
    assert lo / value == pytest.approx(tied[0].lower / tied[0].scale)
    assert ratio_interval(tied, (3.0, 1.0), (1.0, 1.0)) == (2.0, 2.0, 2.0)
    free = fit_scales([TripFit("a", 2.0, 4.0, 6.0, 2.0)], ambush_per_ied=0.5)
    v, rlo, rhi = ratio_interval(free, (3.0, 1.0), (1.0, 1.0))
    assert rlo < v < rhi
    # an observed zero: scale 0, the plan's upper bound still counts it
    zero = fit_scales([TripFit("a", 2.0, 4.0, 6.0, 0.0)], ambush_per_ied=0.5)
    assert zero[1].scale == 0.0 and zero[1].upper > 0
    assert incidents_interval(zero, 0.0, 1.0)[1] == pytest.approx(zero[1].upper)


# ------------------------------------------------------------- leave one out


def test_leave_one_out_with_one_trip_says_so():
    rows = leave_one_out([TripFit("a", 2.0, 4.0, 6.0, None)], ambush_per_ied=0.5)
    (row,) = rows
    assert row.predicted is None and row.inside is None
    assert "nothing left to calibrate on" in row.note


def test_leave_one_out_on_three_trips(three_trips):
    v = validate_reference_trips(read_scenario(three_trips))
    by = {(r.trip, r.channel): r for r in v.rows}
    assert by[("first", "ied")].calibrated_on == ("second",)
    assert by[("second", "ied")].calibrated_on == ("first",)
    third = by[("third", "ied")]
    assert third.calibrated_on == ("first", "second")  # holdout: the full set
    assert third.inside is False and third.observed > third.upper
    assert by[("first", "ied")].inside is True


def test_validate_model_cli_embedded(tmp_path):
    out = tmp_path / "v.json"
    res = CliRunner().invoke(cli, ["validate-model", "kidal-gao", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "nothing left to calibrate on" in res.output
    assert "Tessalit 2023: no observed count" in res.output
    doc = json.loads(out.read_text())
    assert doc["calibration_trips"] == ["Kidal 2023"]
    (row,) = doc["rows"]
    assert row["trip"] == "Kidal 2023" and row["predicted"] is None
    assert doc["unobserved"][0]["trip"] == "Tessalit 2023"


def test_validate_model_cli_three_trips(three_trips, tmp_path):
    out = tmp_path / "sub" / "v.json"
    res = CliRunner().invoke(cli, ["validate-model", str(three_trips), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "NO" in res.output
    doc = json.loads(out.read_text())
    assert doc["interval"] == 0.9
    rows = {(r["trip"], r["channel"]): r for r in doc["rows"]}
    assert set(rows) == {
        ("first", "ied"),
        ("second", "ied"),
        ("second", "ambush"),
        ("third", "ied"),
    }
    assert rows[("third", "ied")]["inside"] is False
    assert rows[("third", "ied")]["observed"] == 40
    assert rows[("second", "ambush")]["note"].startswith("ambush scale assumed")
    assert sorted(p.name for p in out.parent.iterdir()) == ["v.json"]
    again = CliRunner().invoke(
        cli, ["validate-model", str(three_trips), "--json", "-o", str(out)]
    )
    assert again.exit_code == 2  # exists: --overwrite needed
    again = CliRunner().invoke(
        cli,
        ["validate-model", str(three_trips), "--json", "--overwrite", "-o", str(out)],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["rows"] == doc["rows"]


def test_validate_model_cli_bad_scenario_exits_2(tmp_path):
    res = CliRunner().invoke(cli, ["validate-model", str(tmp_path / "none")])
    assert res.exit_code == 2


# --------------------------------------------------------------- plan.json


def test_plan_records_calibration_and_intervals(three_trips, tmp_path):
    plan = plan_withdrawal(read_scenario(three_trips), runs=0)
    doc = PlanDocument.from_plan(plan)
    again = PlanDocument.read(doc.write(tmp_path / "plan.json"))
    cal = again.calibration
    assert [c.channel for c in cal.channels] == ["ied", "ambush"]
    ied, amb = cal.channels
    assert ied.source == "observed" and ied.observed == 3
    assert amb.source == "observed" and amb.scale == 0.0 and amb.upper > 0
    assert [t.name for t in cal.trips] == ["first", "second", "third"]
    assert [t.used for t in cal.trips] == [True, True, False]
    for name, s in [("optimised", again.summary), *again.baselines.items()]:
        assert s.expected_incidents_low <= s.expected_incidents, name
        assert s.expected_incidents <= s.expected_incidents_high, name
    assert again.summary.expected_incidents_high > again.summary.expected_incidents
    assert any("Calibration" in s or "scale" in s for s in cal.sentences())


def test_given_scales_say_the_counts_are_unused():
    trip = ReferenceTripInfo("old", 1.0, 0.5, 6.0, None, True, False)
    info = CalibrationInfo(1.0, 1.0, "historical", 6.0, False, 0.9, None, (trip,))
    text = " ".join(info.sentences())
    assert "not calibrated" in text and "not used" in text
    assert "old (unused): predicted IED 1.00" in text


def test_route_not_joined_by_road_is_named():
    from convoy.errors import NoRouteError
    from convoy.io.reference import trip_problems

    class Roads:
        def site_path(self, a, b):
            if {a, b} == {"B", "C"}:
                msg = "no road"
                raise NoRouteError(msg)
            return (), (), 0.0

    sc = read_scenario(TINY)
    trip = dataclasses.replace(
        sc.reference_trip, route=("A", "B", "C"), where="reference_trips[3]"
    )
    (p,) = trip_problems(
        [trip], sites=["A", "B", "C"], roads=Roads(), vehicle_ids=[], file="s.toml"
    )
    assert (p.where, p.field) == ("reference_trips[3]", "route")
    assert "'B' to 'C'" in p.found


def test_historical_notes_say_when_the_daily_limit_is_broken():
    from convoy.baselines import driving_hours_by_day, historical_notes
    from convoy.schedule.trajectory import Leg, Trajectory

    # start at 06:00; drive 06:00-19:00 on day one, 05:30-09:30 the next day
    legs = (
        Leg(0, 0, 0.0, 13 * 60.0, "clearance", 3.0),
        Leg(1, 1, 23.5 * 60.0, 27.5 * 60.0, "clearance", 3.0),
    )
    traj = Trajectory(legs, ())
    assert driving_hours_by_day(traj, 360.0) == pytest.approx([13.0, 4.0])
    notes = historical_notes(
        traj,
        start_minute_of_day=360.0,
        daily_limit_h=10.0,
        mode="clearance",
        pace_kph=2.0,
        distance_km=51.0,
    )
    assert "up to 13.0 h a day on 1 of the 2 days it moved" in notes[0]
    assert "clearance mode" in notes[1] and "3.0 km/h" in notes[1]
    assert "reported: 2 km/h" in notes[1]


def test_air_cover_is_not_calibrated_away(tmp_path):
    """The reference trip flew without air cover: a plan with it gains the factor."""
    docs = {}
    for cover in (False, True):
        d = tmp_path / f"cover-{cover}"
        shutil.copytree(TINY, d)
        toml = d / "scenario.toml"
        toml.write_text(
            toml.read_text().replace(
                "air_cover = false", f"air_cover = {str(cover).lower()}"
            )
        )
        docs[cover] = PlanDocument.from_plan(plan_withdrawal(read_scenario(d), runs=0))
    off, on = docs[False], docs[True]
    factor = read_scenario(TINY).risk.air_cover_ambush_factor
    # the same reference trip, priced as it flew, gives the same IED scale and an
    # ambush scale that keeps the field's air-cover factor out
    assert on.calibration.scale_ied == pytest.approx(off.calibration.scale_ied)
    assert on.calibration.scale_ambush == pytest.approx(off.calibration.scale_ambush)
    # the historical profile with air cover meets fewer ambushes, by the factor
    hist_off = off.baselines["historical"].expected_ambush_incidents
    hist_on = on.baselines["historical"].expected_ambush_incidents
    assert hist_on == pytest.approx(factor * hist_off, rel=1e-4)
    assert on.summary.expected_ambush_incidents < off.summary.expected_ambush_incidents

"""The risk field: rules, weights, decay, diurnal, air cover; rasters; edge tables."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from convoy.errors import DataQualityWarning, GeodataError, ScenarioError
from convoy.events import ThreatEvents
from convoy.params import RiskParams, RoadParams
from convoy.risk.edges import EdgeRisk, edge_risk, edge_samples
from convoy.risk.field import (
    CHANNELS,
    UNITS_CALIBRATED,
    UNITS_RELATIVE,
    raster_grid,
    risk_field_from_events,
)
from convoy.roads import road_network_from_layer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from naive import kernel_sum

CRS = "EPSG:32631"
TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)

IED = ("Explosions/Remote violence", "Remote explosive/landmine/IED")
CLASH = ("Battles", "Armed clash")


def make_events(rows, source="events.csv"):
    """ThreatEvents from (x, y, type, sub, age_days, fatalities) rows, EPSG:32631."""
    xy = np.array([[r[0], r[1]] for r in rows], dtype=np.float64).reshape(-1, 2)
    lon, lat = TO_LONLAT.transform(xy[:, 0], xy[:, 1])
    age = np.array([r[4] for r in rows], dtype=np.float64)
    return ThreatEvents(
        lonlat=np.column_stack([lon, lat]).reshape(-1, 2),
        xy=xy,
        date=(np.datetime64("2023-10-31") - age.astype("timedelta64[D]")).astype(
            "datetime64[D]"
        ),
        age_days=age,
        event_type=np.array([r[2] for r in rows], dtype=np.str_),
        sub_event_type=np.array([r[3] for r in rows], dtype=np.str_),
        fatalities=np.array([r[5] for r in rows], dtype=np.float64),
        geo_precision=np.ones(len(rows), dtype=np.int64),
        source=source,
        fmt="acled",
        crs=CRS,
    )


X0, Y0 = 250_000.0, 1_990_000.0
ROWS = [
    (X0, Y0, *IED, 0.0, 0.0),
    (X0 + 4_000.0, Y0 + 1_000.0, *IED, 200.0, 3.0),
    (X0 - 9_000.0, Y0 - 6_000.0, *CLASH, 30.0, 12.0),
    (
        X0 + 15_000.0,
        Y0 - 2_000.0,
        "Battles",
        "Government regains territory",
        400.0,
        1.0,
    ),
    (X0, Y0 + 20_000.0, "Protests", "Peaceful protest", 1.0, 0.0),
]
PARAMS = RiskParams(
    half_life_days=180.0,
    fatality_weight=0.2,
    diurnal_ied=tuple(float(i % 5 + 1) for i in range(24)),
    diurnal_ambush=tuple(float((i * 7) % 11 + 1) for i in range(24)),
)
POINTS = np.array(
    [
        [X0, Y0],
        [X0 + 2_500.0, Y0 + 300.0],
        [X0 - 8_000.0, Y0 - 5_000.0],
        [X0 + 14_000.0, Y0],
        [X0 + 60_000.0, Y0],
    ]
)


def formula(points, channel, *, hour=None, air_cover=False, params=PARAMS):
    """Direct NumPy evaluation of lambda_c from the events table above."""
    rules = {
        "ied": [(0, 1.0, 3.0), (1, 1.0, 3.0)],
        "ambush": [(2, 1.0, 8.0), (3, 0.5, 15.0)],
    }[channel]
    total = np.zeros(len(points))
    for k, weight, h_km in rules:
        x, y, _, _, age, fat = ROWS[k]
        w = (
            weight
            * (1 + params.fatality_weight * fat)
            * 0.5 ** (age / params.half_life_days)
        )
        h = h_km * 1000.0
        d2 = (points[:, 0] - x) ** 2 + (points[:, 1] - y) ** 2
        total += w * np.exp(-d2 / (2 * h * h)) / (2 * np.pi * h * h)
    prof = np.array(params.diurnal_ied if channel == "ied" else params.diurnal_ambush)
    d = 1.0 if hour is None else prof[int(hour) % 24] / prof.mean()
    m = params.air_cover_ambush_factor if (air_cover and channel == "ambush") else 1.0
    return total * 1e6 * d * m


@pytest.fixture(scope="module")
def field():
    return risk_field_from_events(make_events(ROWS), PARAMS)


def test_channels_take_their_events(field):
    """IEDs feed the ied channel, clashes the ambush channel, protests neither."""
    np.testing.assert_array_equal(field.ied.event_idx, [0, 1])
    np.testing.assert_array_equal(field.ambush.event_idx, [2, 3])
    assert field.num_ignored == 1
    assert field.num_unknown == 0
    np.testing.assert_allclose(field.ied.bandwidth_m, [3_000.0, 3_000.0])
    np.testing.assert_allclose(field.ambush.bandwidth_m, [8_000.0, 15_000.0])


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("hour", [None, 0, 6, 13.5, 23])
@pytest.mark.parametrize("air_cover", [False, True])
def test_field_matches_formula(channel, hour, air_cover):
    """Values equal the formula: decay, fatalities, diurnal, air cover, per km2."""
    f = risk_field_from_events(make_events(ROWS), PARAMS, air_cover=air_cover)
    got = f.at(POINTS, channel, hour=hour)
    want = formula(POINTS, channel, hour=hour, air_cover=air_cover)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6 * want.max())


def test_half_life_halves_weight():
    """An event one half-life old weighs half as much as a fresh one."""
    fresh = risk_field_from_events(make_events([(X0, Y0, *IED, 0.0, 0.0)]), PARAMS)
    old = risk_field_from_events(
        make_events([(X0, Y0, *IED, PARAMS.half_life_days, 0.0)]), PARAMS
    )
    assert old.at([[X0, Y0]], "ied")[0] == pytest.approx(
        0.5 * fresh.at([[X0, Y0]], "ied")[0]
    )


def test_fatality_weight():
    """Ten fatalities with weight 0.1 per fatality double an event's weight."""
    p = dataclasses.replace(PARAMS, fatality_weight=0.1)
    a = risk_field_from_events(make_events([(X0, Y0, *CLASH, 0.0, 0.0)]), p)
    b = risk_field_from_events(make_events([(X0, Y0, *CLASH, 0.0, 10.0)]), p)
    assert b.ambush.weight[0] == pytest.approx(2.0 * a.ambush.weight[0])


def test_diurnal_profile_has_mean_one(field):
    """The hourly values average to the daily mean."""
    hours = np.arange(24)
    for ch in CHANNELS:
        by_hour = np.array([field.at(POINTS[:2], ch, hour=h) for h in hours])
        np.testing.assert_allclose(by_hour.mean(axis=0), field.at(POINTS[:2], ch))


def test_hour_array_per_point(field):
    """One hour per point gives each point its own diurnal factor."""
    hours = np.array([0, 6, 12, 18, 23])
    got = field.at(POINTS, "ambush", hour=hours)
    want = [
        field.at(POINTS[i : i + 1], "ambush", hour=h)[0] for i, h in enumerate(hours)
    ]
    np.testing.assert_allclose(got, want)
    with pytest.raises(ScenarioError, match="hour"):
        field.at(POINTS, "ambush", hour=[1, 2])


def test_air_cover_only_changes_ambush():
    """Air cover multiplies ambush by the factor and leaves IED alone."""
    ev = make_events(ROWS)
    off = risk_field_from_events(ev, PARAMS, air_cover=False)
    on = risk_field_from_events(ev, PARAMS, air_cover=True)
    np.testing.assert_allclose(on.at(POINTS, "ied"), off.at(POINTS, "ied"))
    np.testing.assert_allclose(
        on.at(POINTS, "ambush"),
        PARAMS.air_cover_ambush_factor * off.at(POINTS, "ambush"),
    )


def test_with_scales(field):
    """Scales multiply the channels and make their units incidents."""
    assert field.ied.units == UNITS_RELATIVE
    cal = field.with_scales(0.5, 3.0)
    np.testing.assert_allclose(cal.at(POINTS, "ied"), 0.5 * field.at(POINTS, "ied"))
    np.testing.assert_allclose(
        cal.at(POINTS, "ambush"), 3.0 * field.at(POINTS, "ambush")
    )
    assert cal.ied.units == UNITS_CALIBRATED["ied"]
    with pytest.raises(ScenarioError, match="scale_ied"):
        field.with_scales(-1.0, 1.0)


def test_scales_from_params():
    """Scales given in [risk] are used and count as calibrated."""
    p = dataclasses.replace(PARAMS, scale_ied=2.0)
    f = risk_field_from_events(make_events(ROWS), p)
    want = 2.0 * formula(POINTS, "ied")
    np.testing.assert_allclose(f.at(POINTS, "ied"), want, atol=1e-6 * want.max())
    assert f.ied.calibrated and not f.ambush.calibrated


def test_unknown_types_warn_and_are_ignored():
    """Types with no rule are ignored with one warning counting them."""
    rows = [*ROWS, (X0, Y0, "Looting", "", 0.0, 0.0), (X0, Y0, "Looting", "", 5.0, 0.0)]
    with pytest.warns(
        DataQualityWarning, match=r"2 events of 1 types.*'Looting' \(2\)"
    ):
        f = risk_field_from_events(make_events(rows), PARAMS)
    assert f.unknown_types == {"Looting": 2}
    want = formula(POINTS, "ied")
    np.testing.assert_allclose(f.at(POINTS, "ied"), want, atol=1e-6 * want.max())


def test_rule_fallbacks():
    """An unknown sub-type falls back to its type; old ACLED types map to new ones."""
    rows = [
        (X0, Y0, "Explosions/Remote violence", "Something new", 0.0, 0.0),
        (X0, Y0, "Battle-No change of territory", "", 0.0, 0.0),
        (X0, Y0, "Remote violence", "", 0.0, 0.0),
    ]
    f = risk_field_from_events(make_events(rows), PARAMS)
    np.testing.assert_array_equal(f.ied.event_idx, [0, 2])
    np.testing.assert_allclose(f.ied.weight, [0.8, 0.8])
    np.testing.assert_array_equal(f.ambush.event_idx, [1])
    np.testing.assert_allclose(f.ambush.bandwidth_m, [15_000.0])


def test_rule_override():
    """A [risk.rules] override changes channel, weight and bandwidth."""
    p = dataclasses.replace(
        PARAMS,
        rules={"Protests": {"channel": "ambush", "weight": 2.0, "bandwidth_km": 1.0}},
    )
    f = risk_field_from_events(make_events(ROWS), p)
    np.testing.assert_array_equal(f.ambush.event_idx, [2, 3, 4])
    assert f.ambush.bandwidth_m[-1] == 1_000.0


def test_bad_channel_lists_choices(field):
    """An unknown channel name is refused with the allowed names."""
    with pytest.raises(ScenarioError, match=r"\['ied', 'ambush'\]"):
        field.at(POINTS, "mortar")


def test_bad_points(field):
    """Points must be an (M, 2) array of finite metres."""
    with pytest.raises(ScenarioError, match="points_xy"):
        field.at(np.ones((3, 3)), "ied")
    with pytest.raises(ScenarioError, match="point 1"):
        field.at([[0.0, 0.0], [np.nan, 1.0]], "ied")


def test_empty_channel_is_zero():
    """A channel with no events is zero everywhere, at points and on rasters."""
    f = risk_field_from_events(make_events([ROWS[0]]), PARAMS)
    assert f.ambush.num_events == 0
    np.testing.assert_array_equal(f.at(POINTS, "ambush"), 0.0)
    assert not f.raster((X0, Y0), 500.0, (3, 4), "ambush").any()


def test_raster_matches_points(field):
    """Raster cells equal the field at their centres (north-up, origin top-left)."""
    origin, cell, shape = (X0 - 20_000.0, Y0 + 20_000.0), 1_000.0, (40, 45)
    r = field.raster(origin, cell, shape, "ambush", hour=5)
    xs = origin[0] + (np.arange(shape[1]) + 0.5) * cell
    ys = origin[1] - (np.arange(shape[0]) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    want = field.at(pts, "ambush", hour=5).reshape(shape)
    np.testing.assert_allclose(r, want, rtol=1e-6, atol=1e-6 * want.max())
    direct = kernel_sum(
        field.ambush.xy, field.ambush.weight, field.ambush.bandwidth_m, pts
    ).reshape(shape) * field.ambush.factor(5)
    np.testing.assert_allclose(r, direct, rtol=1e-6, atol=1e-6 * direct.max())


def test_events_reprojected_to_requested_crs():
    """Asking for another CRS projects the events' lon/lat to it."""
    ev = make_events(ROWS)
    f = risk_field_from_events(ev, PARAMS, crs="EPSG:32630")
    t = Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True)
    x, y = t.transform(ev.lonlat[0, 0], ev.lonlat[0, 1])
    np.testing.assert_allclose(f.ied.xy[0], [x, y])


def test_raster_grid_pads_and_snaps():
    """The grid covers the bounds plus padding, on multiples of the cell size."""
    origin, shape = raster_grid((1_234.0, 5_678.0, 11_000.0, 9_100.0), 500.0, 1_000.0)
    assert origin == (0.0, 10_500.0)
    x_max = origin[0] + shape[1] * 500.0
    y_min = origin[1] - shape[0] * 500.0
    assert x_max >= 12_000.0 and y_min <= 4_678.0
    assert shape == (12, 24)
    with pytest.raises(ScenarioError, match="cell_m"):
        raster_grid((0.0, 0.0, 1.0, 1.0), 0.0)


# ------------------------------------------------------------------ edge tables


@pytest.fixture(scope="module")
def roads():
    """Three edges through the events: a bent road, a short spur, a straight one."""
    lines = [
        shapely.LineString(
            [
                (X0 - 30_000, Y0 - 10_000),
                (X0 - 5_000, Y0 - 1_000),
                (X0 + 1_000, Y0 + 200),
                (X0 + 30_000, Y0 + 2_000),
            ]
        ),
        shapely.LineString([(X0 + 30_000, Y0 + 2_000), (X0 + 30_180, Y0 + 2_050)]),
        shapely.LineString([(X0 + 30_000, Y0 + 2_000), (X0 + 10_000, Y0 - 40_000)]),
    ]
    gdf = gpd.GeoDataFrame(
        {"surface": ["paved", "track", "laterite"]}, geometry=lines, crs=CRS
    )
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", DataQualityWarning
        )  # repairs are not tested here
        return road_network_from_layer(gdf, params=RoadParams(crs=CRS))


@pytest.fixture(scope="module")
def table(field, roads):
    return edge_risk(field, roads, step_m=250.0)


def reference_integral(field, roads, e, a_m, b_m, channel, n=20_001):
    """NumPy reference: dense trapezoid of the field along the edge, over km."""
    g = roads.edge_geometry[e]
    length = roads.edge_length_m[e]
    s = np.linspace(min(a_m, b_m), max(a_m, b_m), n)
    pts = shapely.get_coordinates(
        shapely.line_interpolate_point(g, s / length, normalized=True)
    )
    v = field.at(pts, channel)
    return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(s)) / 1000.0)


def test_edge_samples_layout(roads):
    """Samples sit at 0, step, 2 step, ..., length on every edge, at least two each."""
    offsets, s_m, xy = edge_samples(roads, 250.0)
    assert offsets[0] == 0 and offsets[-1] == len(s_m) == len(xy)
    for e in range(roads.num_edges):
        s = s_m[offsets[e] : offsets[e + 1]]
        length = roads.edge_length_m[e]
        assert len(s) >= 2
        assert s[0] == 0.0 and s[-1] == pytest.approx(length)
        np.testing.assert_allclose(np.diff(s[:-1]), 250.0)
        assert 0 < s[-1] - s[-2] <= 250.0 + 1e-9
        u = roads.node_xy[roads.edge_u[e]]
        np.testing.assert_allclose(xy[offsets[e]], u, atol=1e-6)


@pytest.mark.parametrize("channel", CHANNELS)
def test_edge_totals_match_numerical_integration(field, roads, table, channel):
    """Each edge's total matches a dense numerical integral of the field."""
    totals = table.edge_ied if channel == "ied" else table.edge_ambush
    assert totals.shape == (roads.num_edges,)
    for e in range(roads.num_edges):
        ref = reference_integral(field, roads, e, 0.0, roads.edge_length_m[e], channel)
        assert totals[e] == pytest.approx(ref, rel=2e-3, abs=1e-9)
    assert totals[0] > 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_prefix_integrals_match_numerical_integration(field, roads, table, channel):
    """Prefix sums at samples match the numerical integral from the edge start."""
    _, cum = table.values(channel)
    e = 0
    lo, hi = table.offsets[e], table.offsets[e + 1]
    for i in (lo + 7, lo + 100, (lo + hi) // 2, hi - 1):
        ref = reference_integral(field, roads, e, 0.0, table.s_m[i], channel, n=4_001)
        # Far in a Gaussian's tail linear interpolation is off by a few tenths of a
        # percent of a tiny number: the bound is relative to the edge's total there.
        assert cum[i] == pytest.approx(ref, rel=2e-3, abs=1e-4 * cum[hi - 1])
    assert np.all(np.diff(cum[lo:hi]) >= 0)
    assert cum[lo] == 0.0


def test_integral_between_positions(field, roads, table):
    """integral(e, a, b) matches numerical integration, in either order, vectorised."""
    e, length = 0, roads.edge_length_m[0]
    lo, hi = table.offsets[e], table.offsets[e + 1]
    peak = float(table.s_m[lo + int(np.argmax(table.ied[lo:hi]))])
    pairs = [
        (0.0, length),
        (1_234.5, 20_000.0),
        (peak + 170.0, peak - 130.0),
        (peak + 3_000.0, peak + 3_100.0),
        (40_000.0, 100.0),
        (length - 10.0, length),
    ]
    for a, b in pairs:
        ref = reference_integral(field, roads, e, a, b, "ied")
        assert table.integral(e, a, b, "ied") == pytest.approx(
            ref, rel=2e-3, abs=1e-4 * table.edge_ied[e]
        )
    assert (
        table.integral(e, peak + 170.0, peak - 130.0, "ied") > 1e-3 * table.edge_ied[e]
    )
    got = table.integral(
        np.zeros(len(pairs), dtype=int),
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        "ied",
    )
    want = [table.integral(e, a, b, "ied") for a, b in pairs]
    np.testing.assert_allclose(got, want)
    assert table.integral(e, -50.0, length + 1e6, "ied") == pytest.approx(
        table.edge_ied[e]
    )


def test_integral_exact_for_piecewise_linear(table):
    """Between samples, the integral is that of the linear interpolation."""
    e = 0
    lo = table.offsets[e]
    s0, s1 = table.s_m[lo + 10], table.s_m[lo + 11]
    v0, v1 = table.ied[lo + 10], table.ied[lo + 11]
    t = 0.3 * (s1 - s0)
    exact = (v0 * t + 0.5 * (v1 - v0) / (s1 - s0) * t * t) / 1000.0
    assert table.integral(e, s0, s0 + t, "ied") == pytest.approx(exact, rel=1e-9)


def test_short_edge_and_nodes(field, roads, table):
    """A spur shorter than the step has two samples; node values equal the field."""
    assert table.offsets[2] - table.offsets[1] == 2
    np.testing.assert_allclose(table.node_ambush, field.at(roads.node_xy, "ambush"))
    np.testing.assert_allclose(table.node_ied, field.at(roads.node_xy, "ied"))
    assert table.node_ambush.shape == (roads.num_nodes,)


def test_edge_values_equal_field_at_samples(field, roads, table):
    """Sampled values are the field (daily mean) at the sample points."""
    _, _, xy = edge_samples(roads, 250.0)
    np.testing.assert_allclose(table.ied, field.at(xy, "ied"))
    np.testing.assert_allclose(table.ambush, field.at(xy, "ambush"))
    np.testing.assert_allclose(table.diurnal_ied.mean(), 1.0)


def test_edge_tables_rescale(field, roads, table):
    """Rescaling the tables equals rebuilding them from a rescaled field."""
    rescaled = table.with_scales(0.4, 2.5)
    rebuilt = edge_risk(field.with_scales(0.4, 2.5), roads, step_m=250.0)
    for name in (
        "ied",
        "ambush",
        "ied_cum",
        "ambush_cum",
        "edge_ied",
        "edge_ambush",
        "node_ambush",
    ):
        np.testing.assert_allclose(
            getattr(rescaled, name), getattr(rebuilt, name), rtol=1e-12
        )
    assert isinstance(rescaled, EdgeRisk)


def test_edge_risk_refuses_other_crs(roads):
    """A field in another CRS than the roads is a GeodataError."""
    other = risk_field_from_events(make_events(ROWS), PARAMS, crs="EPSG:32630")
    with pytest.raises(GeodataError, match="CRS"):
        edge_risk(other, roads)


def test_edge_integral_bad_input(table):
    """Unknown channels and edge indices out of range are refused."""
    with pytest.raises(ScenarioError, match="channel"):
        table.integral(0, 0.0, 1.0, "both")
    with pytest.raises(ScenarioError, match="edge_idx"):
        table.integral(99, 0.0, 1.0, "ied")


def test_deterministic(roads):
    """Same events and parameters give identical tables."""
    a = edge_risk(risk_field_from_events(make_events(ROWS), PARAMS), roads)
    b = edge_risk(risk_field_from_events(make_events(ROWS), PARAMS), roads)
    np.testing.assert_array_equal(a.ied_cum, b.ied_cum)
    np.testing.assert_array_equal(a.node_ambush, b.node_ambush)

"""plan.gpkg: layers, CRS, features, GeoPackage version and stored QGIS styles."""

from __future__ import annotations

import copy
import itertools
import re
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pyogrio
import pytest

from convoy.document import PlanDocument
from convoy.errors import ScenarioError
from convoy.outputs import styles
from convoy.outputs.gpkg import LAYER_ORDER, write_plan_gpkg

LAYERS = set(LAYER_ORDER)


def _qml_root(qml):
    return ET.fromstring(qml.split("\n", 1)[1])


def test_layers_and_crs(maps_dir):
    """Every layer is there, in EPSG:4326, with a geometry of the right kind."""
    listed = {name: geom for name, geom in pyogrio.list_layers(maps_dir / "plan.gpkg")}
    assert set(listed) >= LAYERS
    assert set(listed) - LAYERS == {"layer_styles"}
    assert listed["layer_styles"] is None
    for name in LAYERS:
        info = pyogrio.read_info(maps_dir / "plan.gpkg", layer=name)
        assert info["crs"] == "EPSG:4326", name
        kind = "Line" if name in ("route", "route_risk", "legs", "roads") else "Point"
        assert kind in info["geometry_type"], (name, info["geometry_type"])


def test_feature_counts_match_plan(maps_dir, export_plan, export_scenario):
    """Feature counts follow the plan: a route per plan, each halt, row, site, event."""
    gpkg = maps_dir / "plan.gpkg"
    plans = export_plan["plans"]
    count = {n: pyogrio.read_info(gpkg, layer=n)["features"] for n in LAYERS}
    assert count["route"] == len(plans)
    assert count["halts"] == sum(len(p["halts"]) for p in plans.values())
    # one checkpoint per place of the march table
    assert count["checkpoints"] == len(
        {r["checkpoint"] for r in export_plan["march_table"]}
    )
    assert count["legs"] == sum(len(p["legs"]) for p in plans.values())
    assert count["sites"] == len(export_scenario.sites)
    assert count["events"] == len(export_scenario.events)
    assert count["route_risk"] == len(plans["optimised"]["risk_along_route"])
    assert count["left_behind"] == len({r["camp"] for r in export_plan["left_behind"]})


def test_route_attributes(maps_dir, export_plan):
    """The route layer carries each plan's summary figures."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="route")
    for _, row in df.iterrows():
        s = export_plan["plans"][row["plan"]]["summary"]
        assert row["expected_incidents"] == pytest.approx(s["expected_incidents"])
        assert row["distance_km"] == pytest.approx(s["distance_km"])
        assert row["vehicles_moving"] == s["vehicles_moving"]
        assert row["depart"] == pd.Timestamp(s["depart"])
        assert row["arrive"] == pd.Timestamp(s["arrive"])
    opt = df[df["plan"] == "optimised"].geometry.iloc[0]
    first = export_plan["plans"]["optimised"]["legs"][0]["coords"][0]
    assert opt.geoms[0].coords[0] == pytest.approx(tuple(first))


def test_route_risk_per_km(maps_dir, export_plan):
    """risk_per_km is each piece's expected incidents over its length."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="route_risk")
    rows = export_plan["plans"]["optimised"]["risk_along_route"]
    want = np.array([r["expected"] / (r["km_to"] - r["km_from"]) for r in rows])
    np.testing.assert_allclose(df["risk_per_km"].to_numpy(), want, rtol=1e-12)


def test_left_behind_totals(maps_dir, export_plan):
    """The camp point adds up the counts and value of what is left, by disposition."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="left_behind")
    rows = export_plan["left_behind"]
    assert df["value_usd"].sum() == pytest.approx(sum(r["value_usd"] for r in rows))
    for d in ("destroyed", "handed_over", "abandoned"):
        assert df[f"num_{d}"].sum() == sum(r["disposition"] == d for r in rows)


def test_geopackage_version(maps_dir):
    """The file is a GeoPackage 1.3 (older GDAL and QGIS read it without warnings)."""
    con = sqlite3.connect(maps_dir / "plan.gpkg")
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10300
    finally:
        con.close()


def test_layer_styles_rows(maps_dir):
    """One default style per layer, on its geometry column, schema '' not NULL."""
    con = sqlite3.connect(maps_dir / "plan.gpkg")
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        rows = con.execute(
            "SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
        geomcol = dict(
            con.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns"
            ).fetchall()
        )
        contents = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    finally:
        con.close()
    assert cols == [
        "id",
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
        "useAsDefault",
        "description",
        "owner",
        "ui",
        "update_time",
    ]
    assert "layer_styles" in contents
    assert sorted(r[2] for r in rows) == sorted(LAYERS)
    for catalog, schema, table, geom, name, qml, default in rows:
        assert catalog == "" and schema == ""
        assert geom == geomcol[table] == "geom"
        assert name == table and default == 1
        root = _qml_root(qml)
        assert root.tag == "qgis" and root.get("version").startswith("3.22")
        assert root.find("renderer-v2") is not None


def test_style_fields_exist(maps_dir):
    """Every attribute a style classifies by or labels with is a field of its layer."""
    con = sqlite3.connect(maps_dir / "plan.gpkg")
    try:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    finally:
        con.close()
    for name, doc in qml.items():
        fields = set(pyogrio.read_info(maps_dir / "plan.gpkg", layer=name)["fields"])
        root = _qml_root(doc)
        attr = root.find("renderer-v2").get("attr")
        if attr:
            assert attr in fields, (name, attr)
        text = root.find("labeling/settings/text-style")
        if text is not None:
            used = set(__import__("re").findall(r'"(\w+)"', text.get("fieldName")))
            assert used and used <= fields, (name, used - fields)


def test_categories_cover_values(maps_dir):
    """Categorised styles have a class for every value in their layer."""
    con = sqlite3.connect(maps_dir / "plan.gpkg")
    try:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles"))
    finally:
        con.close()
    for name, attr in (("route", "plan"), ("sites", "kind"), ("events", "channel")):
        r = _qml_root(qml[name]).find("renderer-v2")
        assert r.get("type") == "categorizedSymbol" and r.get("attr") == attr
        values = {c.get("value") for c in r.iter("category")}
        df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer=name)
        assert set(df[attr]) <= values, name


def test_risk_classes_cover_values(maps_dir):
    """The graduated risk style's ranges cover every piece's risk per km."""
    con = sqlite3.connect(maps_dir / "plan.gpkg")
    try:
        qml = con.execute(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = 'route_risk'"
        ).fetchone()[0]
    finally:
        con.close()
    r = _qml_root(qml).find("renderer-v2")
    assert r.get("type") == "graduatedSymbol" and r.get("attr") == "risk_per_km"
    lo = [float(x.get("lower")) for x in r.iter("range")]
    hi = [float(x.get("upper")) for x in r.iter("range")]
    assert lo == sorted(lo) and all(a < b for a, b in zip(lo, hi, strict=True))
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="route_risk")
    v = df["risk_per_km"]
    assert lo[0] <= v.min() and v.max() <= hi[-1]


def test_risk_classes_reference():
    """Class breaks: increasing, covering the values, degenerate input handled."""
    v = np.linspace(0.001, 0.2, 101)
    b = styles.risk_classes(v, 5)
    assert len(b) == 6 and b == sorted(set(b)) and b[0] <= v.min() and b[-1] >= v.max()
    assert styles.risk_classes(np.full(10, 0.5), 5) == [0.5, 1.0]
    assert styles.risk_classes(np.array([]), 5) == [0.0, 1.0]


def _gpkg(doc, sc, path, **kwargs):
    return write_plan_gpkg(doc, sc.sites, sc.events, sc.risk, path, **kwargs)


def test_projected_crs(tmp_path, export_doc, export_scenario):
    """With crs='EPSG:32631' the layers are written in UTM 31N, in metres."""
    names = _gpkg(export_doc, export_scenario, tmp_path / "p.gpkg", crs="EPSG:32631")
    info = pyogrio.read_info(tmp_path / "p.gpkg", layer="sites")
    # no road network given: no roads layer
    assert set(names) == LAYERS - {"roads"}
    assert info["crs"] == "EPSG:32631"
    x0, y0, x1, y1 = info["total_bounds"]
    assert 200_000 < x0 < x1 < 400_000 and 1_900_000 < y0 < y1 < 2_100_000


def test_empty_layer_left_out(tmp_path, export_plan, export_scenario):
    """A plan that leaves nothing behind has no left_behind layer (nor style)."""
    plan = copy.deepcopy(export_plan)
    plan["left_behind"] = []
    names = _gpkg(PlanDocument.from_dict(plan), export_scenario, tmp_path / "p.gpkg")
    assert "left_behind" not in names
    assert "left_behind" not in {n for n, _ in pyogrio.list_layers(tmp_path / "p.gpkg")}


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda p: p["plans"]["optimised"]["legs"][1].update(coords=[[1.0, 18.0]]),
            ["plans.optimised.legs[1]", "coords"],
        ),
        (
            lambda p: p["march_table"][2].update(checkpoint="Tessalit"),
            ["march_table[2]", "checkpoint", "Tessalit"],
        ),
        (
            lambda p: p["left_behind"][0].update(disposition="sold"),
            ["left_behind[0]", "disposition", "sold"],
        ),
        (
            lambda p: p["plans"]["daylight_only"]["halts"][0].pop("lon"),
            ["plans.daylight_only.halts[0]", "lon"],
        ),
    ],
)
def test_bad_plan_rejected(tmp_path, export_plan, export_scenario, edit, words):
    """A malformed plan stops with a ScenarioError naming the place and the field."""
    plan = copy.deepcopy(export_plan)
    edit(plan)
    with pytest.raises(ScenarioError) as err:
        _gpkg(PlanDocument.from_dict(plan), export_scenario, tmp_path / "p.gpkg")
    for w in words:
        assert w in str(err.value)
    assert not (tmp_path / "p.gpkg").exists()


def test_reproducible_bytes(tmp_path, monkeypatch, export_doc, export_scenario):
    """With SOURCE_DATE_EPOCH set, the same plan gives the same GeoPackage bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    _gpkg(export_doc, export_scenario, tmp_path / "a.gpkg")
    _gpkg(export_doc, export_scenario, tmp_path / "b.gpkg")
    assert (tmp_path / "a.gpkg").read_bytes() == (tmp_path / "b.gpkg").read_bytes()
    con = sqlite3.connect(tmp_path / "a.gpkg")
    try:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in con.execute("SELECT update_time FROM layer_styles")}
    finally:
        con.close()
    assert stamps == {"2023-11-14T22:13:20.000Z"}


def test_checkpoints_one_per_place(maps_dir, export_plan):
    """A checkpoint feature holds the first head and last tail of all its units."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="checkpoints")
    assert df["checkpoint"].is_unique
    for _, row in df.iterrows():
        rows = [
            r
            for r in export_plan["march_table"]
            if r["checkpoint"] == row["checkpoint"]
        ]
        assert row["units"] == len(rows)
        assert row["first_head"] == min(pd.Timestamp(r["head_arrival"]) for r in rows)
        assert row["last_tail"] == max(pd.Timestamp(r["tail_clearance"]) for r in rows)
        for r in rows:
            assert f"{r['unit']}: " in row["times"]


def test_legs_layer(maps_dir, export_plan):
    """One leg feature per leg of each plan: mode, road, km and times of plan.json."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="legs")
    want = [
        (k, i, lg)
        for k, p in export_plan["plans"].items()
        for i, lg in enumerate(p["legs"])
    ]
    assert len(df) == len(want)
    got = {(r["plan"], r["seq"]): r for _, r in df.iterrows()}
    for key, i, lg in want:
        r = got[(key, i + 1)]
        assert r["mode"] == lg["mode"] and r["road"] == lg["road"]
        assert r["km"] == pytest.approx(lg["length_km"], abs=0.005)
        assert r["depart"] == pd.Timestamp(lg["depart"])
        assert r["arrive"] == pd.Timestamp(lg["arrive"])
        assert r.geometry.coords[0] == pytest.approx(tuple(lg["coords"][0]))


def test_time_fields_are_datetime(maps_dir):
    """Times are DateTime fields of the GeoPackage, not strings."""
    gpkg = maps_dir / "plan.gpkg"
    for layer, cols in {
        "route": ("depart", "arrive"),
        "legs": ("depart", "arrive"),
        "halts": ("start", "end"),
        "checkpoints": ("first_head", "last_tail"),
        "route_risk": ("head_time",),
        "events": ("date",),
    }.items():
        info = pyogrio.read_info(gpkg, layer=layer)
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        for c in cols:
            assert types[c].startswith("datetime64"), (layer, c, types[c])


def test_roads_layer(maps_dir, export_scenario):
    """The road network: one line per edge, its total length the network's."""
    df = pyogrio.read_dataframe(maps_dir / "plan.gpkg", layer="roads")
    net = export_scenario.roads
    assert len(df) == len(net.edge_geometry)
    assert df["km"].sum() == pytest.approx(net.edge_length_m.sum() / 1000, rel=1e-3)


@pytest.mark.parametrize(
    ("breaks", "want"),
    [
        (
            [6.1e-08, 0.00025, 0.0056, 0.085, 0.56, 3.05],
            [0, 0.00025, 0.0056, 0.085, 0.56, 3.1],
        ),
        ([0.2, 0.2001, 5.0], [0, 0.2, 5.0]),
        ([1.0, 12.34, 12.36, 99.1], [0, 12, 100]),
    ],
)
def test_readable_breaks(breaks, want):
    """Breaks: 0 at the bottom, two significant digits, the top rounded up."""
    got = styles.readable_breaks(breaks)
    assert got == pytest.approx(want)
    assert all(a < b for a, b in itertools.pairwise(got))
    assert got[-1] >= breaks[-1]


def test_risk_legend_unit():
    """The legend reads per km, per 100 km, ... whichever makes the top class >= 1."""
    assert styles.risk_unit(3.0) == (1.0, "per km")
    assert styles.risk_unit(0.03) == (100.0, "per 100 km")
    assert styles.risk_unit(2.98e-06)[1] == "per million km"
    qml = styles.route_risk_qml(np.array([8.33e-10, 1e-8, 2e-7, 1e-6, 2.98e-06]))
    labels = re.findall(r' label="([^"]*)"', qml)
    assert len(labels) >= 2 and all("per million km" in lb for lb in labels)
    assert not any("e-" in lb for lb in labels), labels

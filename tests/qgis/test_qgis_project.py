"""plan.qgz and its layers in a real QGIS: groups, legs, temporal settings, layout.

``plan_project_check.py`` (beside this file) is run by Debian's Python, which has
PyQGIS, headless; it loads every layer and the project, exports the print layout
to a PNG and prints what it found as JSON. The assertions are here. Skipped where
PyQGIS is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest

from convoy.outputs.maps import GROUP_ORDER, PROJECT_LAYERS, RASTER_LAYERS
from convoy.outputs.styles import PLAN_STYLES
from tests.qgis.qgis_python import QGIS_PYTHON, have_qgis

SCRIPT = Path(__file__).resolve().parent / "plan_project_check.py"


@pytest.fixture(scope="module")
def qgis_report(tmp_path_factory, maps_dir):
    """The JSON of plan_project_check.py on a copy of the export scenario's maps."""
    if not have_qgis():
        pytest.skip(f"{QGIS_PYTHON} cannot import qgis.core (python3-qgis missing)")
    tmp = tmp_path_factory.mktemp("qgis_project")
    out = tmp / "maps"
    shutil.copytree(maps_dir, out)
    png = tmp / "layout.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(
        [QGIS_PYTHON, str(SCRIPT), str(out), str(png)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    report = json.loads(r.stdout)
    report["_dir"] = str(out)
    report["_png"] = str(png)
    return report


def _project_layers(report):
    return {ly["name"]: ly for ly in report["project"]["layers"]}


@pytest.mark.qgis
def test_every_layer_loads_valid_and_styled(qgis_report, maps_dir):
    """Each GeoPackage layer and the raster open valid with their stored style."""
    names = [n for n, g in pyogrio.list_layers(maps_dir / "plan.gpkg") if g]
    got = {v["name"]: v for v in qgis_report["vectors"]}
    assert set(got) == set(names)
    for name, v in got.items():
        assert v["valid"], name
        assert v["features"] > 0, name
        # the default style of layer_styles, not QGIS' random single symbol
        assert v["renderer"] in {"singleSymbol", "categorizedSymbol", "graduatedSymbol"}
    assert got["route"]["renderer"] == "categorizedSymbol"
    assert got["route_risk"]["renderer"] == "graduatedSymbol"
    assert qgis_report["raster"]["valid"]
    assert qgis_report["raster"]["bands"] == 2
    assert qgis_report["raster"]["renderer"] == "singlebandpseudocolor"


@pytest.mark.qgis
def test_time_fields_are_datetime(qgis_report):
    """Every time QGIS sees is a DateTime field, not a string."""
    fields = {v["name"]: v["fields"] for v in qgis_report["vectors"]}
    want = {
        "route": ("depart", "arrive"),
        "legs": ("depart", "arrive"),
        "halts": ("start", "end"),
        "checkpoints": ("first_head", "last_tail"),
        "route_risk": ("head_time",),
    }
    for layer, cols in want.items():
        for c in cols:
            assert fields[layer][c] == "DateTime", (layer, c, fields[layer][c])


@pytest.mark.qgis
def test_project_groups_and_names(qgis_report):
    """The project reads; its tree has the groups in order, with human names."""
    p = qgis_report["project"]
    assert p["read_ok"] and p["crs"] == "EPSG:4326"
    groups = [g["group"] for g in p["tree"] if "group" in g]
    assert groups == [g for g in GROUP_ORDER if g in groups]
    assert {"Plans", "Threat", "Network", "Sites"} <= set(groups)
    in_group = {
        c["layer"]: g["group"] for g in p["tree"] if "group" in g for c in g["children"]
    }
    names = [v["name"] for v in qgis_report["vectors"]]
    for raw in names:
        shown, group, _, _ = PROJECT_LAYERS[raw]
        assert in_group[shown] == group, (raw, shown)
    for _, shown, group, _ in RASTER_LAYERS:
        assert in_group[shown] == group
    layers = _project_layers(qgis_report)
    assert len(layers) == len(names) + len(RASTER_LAYERS)
    assert all(ly["valid"] for ly in layers.values())
    # no raw table names left in the tree
    assert not set(in_group) & {"route_risk", "route", "left_behind"}


@pytest.mark.qgis
def test_road_network_and_ambush_band(qgis_report, maps_dir):
    """The road network and the ambush band of risk.tif are layers of their own."""
    layers = _project_layers(qgis_report)
    roads = layers[PROJECT_LAYERS["roads"][0]]
    assert (
        roads["features"]
        == pyogrio.read_info(maps_dir / "plan.gpkg", "roads")["features"]
    )
    bands = {layers[shown]["band"][0] for _, shown, _, _ in RASTER_LAYERS}
    assert bands == {1, 2}
    assert all(layers[shown]["overviews"] for _, shown, _, _ in RASTER_LAYERS)


@pytest.mark.qgis
def test_temporal_settings(qgis_report, export_plan):
    """Legs and halts play in the Temporal Controller over the plans' span."""
    layers = _project_layers(qgis_report)
    for raw in ("legs", "halts", "checkpoints"):
        shown, _, fields, _ = PROJECT_LAYERS[raw]
        t = layers[shown]["temporal"]
        assert fields is not None
        # mode 2: ModeFeatureDateTimeStartAndEndFromFields
        assert t == {"active": True, "mode": 2, "start": fields[0], "end": fields[1]}
    legs = [lg for p in export_plan["plans"].values() for lg in p["legs"]]
    time = qgis_report["project"]["time"]
    assert time["start"] == min(lg["depart"] for lg in legs).rstrip("Z")[:19]
    assert time["end"] == max(lg["arrive"] for lg in legs).rstrip("Z")[:19]


@pytest.mark.qgis
def test_legs_layer(qgis_report, export_plan):
    """One leg feature per leg of every plan, with its mode."""
    legs = pyogrio.read_dataframe(Path(qgis_report["_dir"]) / "plan.gpkg", "legs")
    want = sum(len(p["legs"]) for p in export_plan["plans"].values())
    assert len(legs) == want
    assert set(legs["mode"]) <= {"normal", "clearance"}
    layers = _project_layers(qgis_report)
    assert layers[PROJECT_LAYERS["legs"][0]]["features"] == want


@pytest.mark.qgis
def test_print_layout(qgis_report, export_plan):
    """The layout has map, legend, scale bar, title and march table, and exports."""
    lay = qgis_report["layout"]
    assert lay["count"] == 1 and lay["pages"] == 1
    items = lay["items"]
    for kind in (
        "QgsLayoutItemMap",
        "QgsLayoutItemLegend",
        "QgsLayoutItemScaleBar",
        "QgsLayoutItemLabel",
        "QgsLayoutFrame",
    ):
        assert items.get(kind, 0) >= 1, (kind, items)
    assert lay["multiframes"] == ["QgsLayoutItemHtml"]
    (html,) = lay["html"]
    for cp in {r["checkpoint"] for r in export_plan["march_table"]}:
        assert cp in html
    assert lay["export"] == 0  # QgsLayoutExporter.Success


@pytest.mark.qgis
def test_layout_png_pixels(qgis_report):
    """The exported layout is not blank and shows the optimised route's colour."""
    png = qgis_report["png"]
    assert png["ok"] and png["width"] > 300 and png["height"] > 200
    colours = {tuple(c): n for c, n in png["top"]}
    white = colours.get((255, 255, 255), 0)
    assert white < 0.97 * png["sampled"], "the layout is (nearly) blank"
    assert png["distinct"] > 50
    green = PLAN_STYLES["optimised"][1]
    near = sum(
        n
        for c, n in colours.items()
        if max(abs(a - b) for a, b in zip(c, green, strict=True)) <= 12
    )
    assert near >= 5, f"no pixel of the optimised route's colour {green}"

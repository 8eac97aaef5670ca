"""plan.qgz: a zipped QGIS project with relative, existing, ordered, styled layers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import pytest

from convoy.errors import ScenarioError
from convoy.outputs.maps import GROUP_ORDER, PROJECT_LAYERS, RASTER_LAYERS
from convoy.outputs.qgis_layout import fit_extent
from convoy.outputs.qgis_project import (
    ProjectLayer,
    spatialrefsys_xml,
    view_extent,
    write_qgis_project,
)


def _project(maps_dir):
    with zipfile.ZipFile(maps_dir / "plan.qgz") as zf:
        names = zf.namelist()
        assert names == ["plan.qgs"]
        text = zf.read("plan.qgs").decode("utf-8")
    return ET.fromstring(text.split("\n", 1)[1])


def test_zip_holds_one_qgs(maps_dir):
    """The .qgz is a zip with a single .qgs QGIS document."""
    root = _project(maps_dir)
    assert root.tag == "qgis" and root.get("version").startswith("3.22")


def test_sources_relative_and_exist(maps_dir):
    """Every layer source is ./<file> and that file is in the output folder."""
    root = _project(maps_dir)
    sources = [ml.findtext("datasource") for ml in root.iter("maplayer")]
    assert sources
    for src in sources:
        path = src.split("|", 1)[0]
        assert path.startswith("./"), src
        assert (maps_dir / path[2:]).is_file(), src
    assert "./risk.tif" in sources
    assert "./plan.gpkg|layername=route" in sources


def test_layer_order(maps_dir):
    """Points and labels on top, lines below, the risk raster at the bottom."""
    root = _project(maps_dir)
    tree = root.find("layer-tree-group")
    custom = tree.find("custom-order")
    assert custom.get("enabled") == "1"
    ids = {ly.findtext("id"): ly.findtext("layername") for ly in root.iter("maplayer")}
    order = [ids[item.text] for item in custom]
    assert order[-2:] == [shown for _, shown, _, _ in RASTER_LAYERS]
    names = {raw: v[0] for raw, v in PROJECT_LAYERS.items()}
    assert order.index(names["sites"]) < order.index(names["route"])
    assert order.index(names["halts"]) < order.index(names["route_risk"])
    assert order.index(names["route"]) < order.index(names["roads"])
    drawn = [ly.get("id") for ly in root.find("layerorder")]
    assert drawn == [item.text for item in custom]


def test_layer_tree_groups(maps_dir):
    """The tree holds the groups in order, each layer in its group, by human name."""
    root = _project(maps_dir)
    tree = root.find("layer-tree-group")
    groups = [g.get("name") for g in tree.findall("layer-tree-group")]
    assert groups == list(GROUP_ORDER)
    assert tree.findall("layer-tree-layer") == []
    where = {
        ly.get("name"): g.get("name")
        for g in tree.findall("layer-tree-group")
        for ly in g.findall("layer-tree-layer")
    }
    for shown, group, _, _ in PROJECT_LAYERS.values():
        if shown in where:
            assert where[shown] == group
    assert where["Risk field: ambush"] == "Threat"


def test_temporal_and_layout_written(maps_dir):
    """Legs and halts carry temporal settings; the project has one print layout."""
    root = _project(maps_dir)
    temporal = {
        ml.findtext("layername"): ml.find("temporal") for ml in root.iter("maplayer")
    }
    for raw in ("legs", "halts", "checkpoints"):
        shown, _, fields, _ = PROJECT_LAYERS[raw]
        t = temporal[shown]
        assert t is not None and t.get("enabled") == "1" and t.get("mode") == "2"
        assert (t.get("startField"), t.get("endField")) == fields
    rng = root.find("ProjectTimeSettings/TemporalRange")
    assert rng.findtext("start") < rng.findtext("end")
    (layout,) = root.findall("Layouts/Layout")
    kinds = {int(it.get("type")) for it in layout.iter("LayoutItem")}
    assert kinds >= {65638, 65639, 65641, 65642, 65646, 65647}
    assert layout.find("LayoutMultiFrame").get("type") == "65648"


def test_fit_extent():
    """The map item's extent keeps the whole view and takes the item's shape."""
    for ext, aspect in [((0, 0, 1, 4), 1.5), ((0, 0, 10, 1), 0.5), ((2, 2, 3, 3), 1.0)]:
        x0, y0, x1, y1 = fit_extent(ext, aspect)
        assert (x1 - x0) / (y1 - y0) == pytest.approx(aspect)
        assert x0 <= ext[0] and y0 <= ext[1] and x1 >= ext[2] and y1 >= ext[3]
        assert (x0 + x1) / 2 == pytest.approx((ext[0] + ext[2]) / 2)


def test_styles_embedded(maps_dir):
    """Vector layers carry their renderer (and labels), the raster its pipe."""
    root = _project(maps_dir)
    for ml in root.iter("maplayer"):
        if ml.get("type") == "vector":
            assert ml.find("renderer-v2") is not None, ml.findtext("layername")
            assert (ml.find("labeling") is not None) == (ml.get("labelsEnabled") == "1")
        else:
            assert ml.find("pipe/rasterrenderer") is not None


def test_crs_title_extent(maps_dir, export_plan):
    """Project CRS EPSG:4326, title naming the scenario, a view framing the routes."""
    root = _project(maps_dir)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4326"
    assert export_plan["scenario"]["title"] in root.findtext("title")
    ext = root.find("mapcanvas/extent")
    x0, y0, x1, y1 = (float(ext.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
    for p in export_plan["plans"].values():
        for leg in p["legs"]:
            for lon, lat in leg["coords"]:
                assert x0 < lon < x1 and y0 < lat < y1


def test_missing_source_rejected(tmp_path):
    """A layer whose file is not in the output folder is refused."""
    layer = ProjectLayer(
        "route",
        "./plan.gpkg|layername=route",
        "vector",
        "<qgis/>",
        (0.0, 0.0, 1.0, 1.0),
        "EPSG:4326",
        "Line",
        "MultiLineString",
    )
    with pytest.raises(ScenarioError, match=r"plan\.gpkg"):
        write_qgis_project(tmp_path, [layer], title="t")


def test_bad_crs_rejected():
    """An unknown CRS is a ScenarioError naming it."""
    with pytest.raises(ScenarioError, match=r"EPSG:999999"):
        spatialrefsys_xml("EPSG:999999")


def test_view_extent_transforms():
    """Extents in another CRS are transformed before they are combined."""
    a = ProjectLayer(
        "a",
        "./a",
        "raster",
        "",
        (280_000.0, 2_000_000.0, 290_000.0, 2_010_000.0),
        "EPSG:32631",
    )
    x0, y0, x1, y1 = view_extent([a], "EPSG:4326")
    assert 0.9 < x0 < x1 < 1.1 and 18.0 < y0 < y1 < 18.3

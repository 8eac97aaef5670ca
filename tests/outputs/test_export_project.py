"""plan.qgz: a zipped QGIS project with relative, existing, ordered, styled layers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import pytest

from convoy.errors import ScenarioError
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
    order = [
        ly.get("name")
        for ly in root.find("layer-tree-group")
        if ly.tag == "layer-tree-layer"
    ]
    assert order[-1] == "risk"
    assert order.index("sites") < order.index("route") < order.index("risk")
    assert order.index("halts") < order.index("route_risk")
    drawn = [ly.get("id") for ly in root.find("layerorder")]
    ids = {ly.findtext("layername"): ly.findtext("id") for ly in root.iter("maplayer")}
    assert drawn == [ids[n] for n in order]


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

"""Open a convoy plan folder in real QGIS and report what it finds, as JSON.

Run by a Python that has PyQGIS (Debian's ``/usr/bin/python3`` with python3-qgis),
headless (``QT_QPA_PLATFORM=offscreen``)::

    python3 plan_project_check.py PLANDIR OUT.png

It loads every layer of plan.gpkg and every band of risk.tif on their own, then
plan.qgz, and prints one JSON object: each layer's validity, feature count, field
types and renderer; the project's layer tree (groups and layers), each layer's
temporal settings, the project's time range, the print layout's items; and the
colours of a PNG the layout exports (map, legend, scale bar, title, march table).
It checks nothing itself: the pytest test beside it asserts on the JSON, so a
failure there names what is wrong. This file imports only QGIS and the standard
library: it runs outside the project's virtual environment.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsLayoutExporter,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QImage


def _vector(path: Path, name: str) -> dict:
    ly = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    info: dict = {"name": name, "valid": ly.isValid()}
    if not ly.isValid():
        return info
    info["features"] = ly.featureCount()
    info["fields"] = {f.name(): f.typeName() for f in ly.fields()}
    # the GeoPackage's default style (layer_styles) as QGIS applies it on load
    info["renderer"] = ly.renderer().type() if ly.renderer() else None
    info["labels"] = ly.labelsEnabled()
    return info


def _tree(group: QgsLayerTreeGroup) -> list:
    out = []
    for child in group.children():
        if isinstance(child, QgsLayerTreeGroup):
            out.append({"group": child.name(), "children": _tree(child)})
        elif isinstance(child, QgsLayerTreeLayer):
            out.append({"layer": child.name(), "checked": child.isVisible()})
    return out


def _project_layer(ly) -> dict:
    info = {"name": ly.name(), "valid": ly.isValid(), "type": int(ly.type())}
    if isinstance(ly, QgsVectorLayer):
        tp = ly.temporalProperties()
        info["renderer"] = ly.renderer().type() if ly.renderer() else None
        info["labels"] = ly.labelsEnabled()
        info["temporal"] = {
            "active": tp.isActive(),
            "mode": int(tp.mode()),
            "start": tp.startField(),
            "end": tp.endField(),
        }
        info["features"] = ly.featureCount()
    elif isinstance(ly, QgsRasterLayer):
        info["renderer"] = ly.renderer().type() if ly.renderer() else None
        info["band"] = ly.renderer().usesBands() if ly.renderer() else None
        dp = ly.dataProvider()
        info["overviews"] = dp.hasPyramids() if dp else False
    return info


def _layout(project: QgsProject, png: Path) -> dict:
    layouts = project.layoutManager().printLayouts()
    if not layouts:
        return {"count": 0}
    lay = layouts[0]
    kinds = Counter(type(item).__name__ for item in lay.items())
    frames = [mf for mf in lay.multiFrames()]
    exporter = QgsLayoutExporter(lay)
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 60
    result = exporter.exportToImage(str(png), settings)
    return {
        "count": len(layouts),
        "name": lay.name(),
        "items": dict(kinds),
        "multiframes": [type(mf).__name__ for mf in frames],
        "html": [mf.html()[:20000] for mf in frames if hasattr(mf, "html")],
        "export": int(result),
        "pages": lay.pageCollection().pageCount(),
    }


def _colours(png: Path) -> dict:

    img = QImage(str(png))
    if img.isNull():
        return {"ok": False}
    counts: Counter = Counter()
    step = 2
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            c = img.pixelColor(x, y)
            counts[(c.red(), c.green(), c.blue())] += 1
    top = counts.most_common(400)
    return {
        "ok": True,
        "width": img.width(),
        "height": img.height(),
        "distinct": len(counts),
        "sampled": sum(counts.values()),
        "top": [[list(k), v] for k, v in top],
    }


def main(folder: Path, png: Path) -> dict:
    """Everything the test asserts on, as a dict."""
    gpkg = folder / "plan.gpkg"
    probe = QgsVectorLayer(str(gpkg), "probe", "ogr")
    names = [s.split("!!::!!")[1] for s in probe.dataProvider().subLayers()]
    vectors = [_vector(gpkg, n) for n in names]
    risk = QgsRasterLayer(str(folder / "risk.tif"), "risk", "gdal")
    raster = {
        "valid": risk.isValid(),
        "bands": risk.bandCount(),
        "renderer": risk.renderer().type() if risk.renderer() else None,
    }
    project = QgsProject.instance()
    read_ok = project.read(str(folder / "plan.qgz"))
    tree = _tree(project.layerTreeRoot())
    layers = [_project_layer(ly) for ly in project.mapLayers().values()]
    ts = project.timeSettings()
    rng = ts.temporalRange()
    time = {
        "start": rng.begin().toString("yyyy-MM-ddTHH:mm:ss"),
        "end": rng.end().toString("yyyy-MM-ddTHH:mm:ss"),
        "step": ts.timeStep(),
    }
    layout = _layout(project, png)
    return {
        "vectors": vectors,
        "raster": raster,
        "project": {
            "read_ok": read_ok,
            "crs": project.crs().authid(),
            "title": project.title(),
            "tree": tree,
            "layers": layers,
            "time": time,
        },
        "layout": layout,
        "png": _colours(png) if png.is_file() else {"ok": False},
    }


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    try:
        report = main(Path(sys.argv[1]), Path(sys.argv[2]))
    finally:
        QgsProject.instance().clear()
    print(json.dumps(report))
    app.exitQgis()

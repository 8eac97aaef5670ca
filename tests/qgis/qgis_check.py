#!/usr/bin/python3
"""Headless "does it open in real QGIS?" check for map outputs.

Run with Debian's Python (the one that can `import qgis`), e.g.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_check.py OUT_DIR \
        [--bbox -0.1,16.2,1.5,18.5] [--png render.png] [--size 1200x900]

For every *.gpkg (all vector/raster sublayers, except QGIS' own `layer_styles`
/ `qgis_projects` tables), every *.tif/*.tiff and every *.qgs/*.qgz project
under OUT_DIR it loads the layer the way QGIS Desktop does (QgsVectorLayer /
QgsRasterLayer with the default style loaded), checks it, renders everything to
one PNG, prints a JSON summary on stdout and exits 1 if anything failed
(0 = all good, 2 = usage error / QGIS could not start).

Checks per vector layer: isValid(), CRS valid, feature count > 0, extent not
null/NaN (zero-area allowed only for point layers), extent inside --bbox (after
transforming to --bbox-crs), default style from the GeoPackage `layer_styles`
table found by QGIS *and* actually applied (renderer identical to importing that
QML), renderer fields exist, layer draws at least one pixel on its own.
Per raster: isValid(), CRS, extent, bands, at least one valid (non-nodata)
pixel, sidecar <name>.qml style applied if present, draws pixels.
Per project: QgsProject.read() succeeds and every layer in it is valid.
"""

import argparse
import ctypes.util
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless; no X display needed
TMP_DIRS = []  # removed before exit (os._exit skips normal cleanup)
if not os.environ.get(
    "XDG_RUNTIME_DIR"
):  # silences "QStandardPaths: XDG_RUNTIME_DIR not set"
    TMP_DIRS.append(tempfile.mkdtemp(prefix="qgis_check_xdg_"))
    os.environ["XDG_RUNTIME_DIR"] = TMP_DIRS[-1]

try:
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeatureRequest,
        QgsMapLayerType,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProject,
        QgsProviderRegistry,
        QgsRasterBandStats,
        QgsRasterLayer,
        QgsRectangle,
        QgsRenderContext,
        QgsVectorLayer,
        QgsWkbTypes,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter
    from qgis.PyQt.QtXml import QDomDocument
except ImportError as exc:  # wrong interpreter (e.g. a pyenv/venv python)
    print(
        json.dumps(
            {
                "ok": False,
                "failures": [
                    f"cannot import qgis ({exc}); run with Debian's /usr/bin/python3 "
                    "(apt-get install python3-qgis)"
                ],
            }
        )
    )
    sys.exit(2)

SKIP_TABLES = {"layer_styles", "qgis_projects"}
VECTOR_EXT = {".gpkg"}
RASTER_EXT = {".tif", ".tiff"}
PROJECT_EXT = {".qgs", ".qgz"}


class Report:
    def __init__(self):
        self.failures, self.warnings = [], []

    def fail(self, msg):
        self.failures.append(msg)

    def warn(self, msg):
        self.warnings.append(msg)


def rect_json(r):
    return (
        None if r is None else [r.xMinimum(), r.yMinimum(), r.xMaximum(), r.yMaximum()]
    )


def rect_is_finite(r):
    vals = rect_json(r)
    return all(v == v and abs(v) != float("inf") for v in vals)


def transform_rect(rect, src_crs, dst_crs):
    if src_crs == dst_crs:
        return QgsRectangle(rect)
    ct = QgsCoordinateTransform(src_crs, dst_crs, QgsProject.instance())
    if not ct.isValid():
        raise ValueError(
            f"no coordinate transform {src_crs.authid() or 'custom CRS'} -> {dst_crs.authid()}"
        )
    return ct.transformBoundingBox(rect)


def check_crs(crs, args, rep, name, info):
    """Valid, georeferenced (not an 'Undefined SRS' engineering CRS) and, if asked, the expected one."""
    wkt = crs.toWkt()
    info["crs"] = crs.authid() or (crs.description() or wkt[:80])
    georef = crs.isValid() and not wkt.startswith(("LOCAL_CS", "ENGCRS", "ENGINEERING"))
    info["crs_valid"] = georef
    if not crs.isValid():
        rep.fail(f"{name}: CRS is missing/invalid")
    elif not georef:
        rep.fail(
            f"{name}: CRS is an undefined/engineering CRS ({info['crs']}); QGIS shows 'Unknown CRS'"
        )
    elif not crs.authid():
        rep.warn(f"{name}: CRS has no authority id (custom CRS)")
    if georef and args.crs is not None and crs != args.crs:
        rep.fail(
            f"{name}: CRS {crs.authid() or info['crs']} differs from expected {args.crs.authid()}"
        )


def count_drawn_pixels(img, bg=0xFFFFFFFF):
    """Number of pixels differing from the (white) background."""
    img = img.convertToFormat(QImage.Format_ARGB32)
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    mv = memoryview(bytes(ptr)).cast("I")
    return sum(1 for v in mv if v != bg)


def render(layers, crs, extent, size, background=QColor("white")):
    ms = QgsMapSettings()
    ms.setLayers(layers)
    ms.setDestinationCrs(crs)
    ms.setOutputSize(size)
    ms.setOutputDpi(96)
    ms.setBackgroundColor(background)
    ms.setFlag(QgsMapSettings.Antialiasing, True)
    ms.setFlag(QgsMapSettings.DrawLabeling, True)
    ms.setExtent(extent)
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    errors = [f"{e.layerID}: {e.message}" for e in job.errors()]
    return job.renderedImage(), errors


# --------------------------------------------------------------------------- styles
def gpkg_style_rows(path, rep):
    """Read `layer_styles` straight from SQLite (independent of QGIS)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if not con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='layer_styles'"
            ).fetchone():
                return []
            cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
            need = {
                "f_table_schema",
                "f_table_name",
                "f_geometry_column",
                "styleName",
                "styleQML",
                "useAsDefault",
            }
            missing = sorted(need - set(cols))
            if missing:
                rep.fail(
                    f"{path.name}: layer_styles lacks columns {missing} (QGIS will not read it)"
                )
                return []
            rows = con.execute(
                "SELECT f_table_schema, f_table_name, f_geometry_column, styleName, useAsDefault, "
                "length(styleQML) FROM layer_styles"
            ).fetchall()
            return [
                dict(
                    zip(
                        [
                            "f_table_schema",
                            "f_table_name",
                            "f_geometry_column",
                            "styleName",
                            "useAsDefault",
                            "qml_chars",
                        ],
                        r,
                    )
                )
                for r in rows
            ]
        finally:
            con.close()
    except sqlite3.Error as exc:
        rep.warn(f"{path.name}: cannot read layer_styles via sqlite: {exc}")
        return []


def gpkg_geometry_column(path, table):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?",
                (table,),
            ).fetchone()
        finally:
            con.close()
        return row[0] if row else ""
    except sqlite3.Error:
        return ""


def qml_renderer_type(qml):
    doc = QDomDocument()
    ok = doc.setContent(qml)
    ok = ok[0] if isinstance(ok, tuple) else ok
    if not ok:
        return None, False
    el = doc.documentElement().firstChildElement("renderer-v2")
    return (el.attribute("type") if not el.isNull() else None), True


def renderer_signature(layer):
    r = layer.renderer()
    return None if r is None else r.dump()


def check_vector_style(vl, uri, path, style_rows, rep, info):
    """Did QGIS pick up and apply the default style from layer_styles?"""
    table = info["name"]
    geomcol = gpkg_geometry_column(path, table)
    rows = [r for r in style_rows if r["f_table_name"] == table]
    st = {
        "rows_in_layer_styles": len(rows),
        "renderer": vl.renderer().type() if vl.renderer() else None,
        "labels_enabled": vl.labelsEnabled(),
    }
    for r in rows:  # explain why QGIS would ignore a row
        if r["f_table_schema"] is None:
            rep.warn(
                f"{table}: layer_styles row '{r['styleName']}' has f_table_schema NULL; "
                "QGIS only matches f_table_schema='' (empty string)"
            )
        if (r["f_geometry_column"] or "") != geomcol:
            rep.warn(
                f"{table}: layer_styles row '{r['styleName']}' has f_geometry_column="
                f"{r['f_geometry_column']!r} but the layer's geometry column is {geomcol!r}"
            )
    try:
        n_related = vl.listStylesInDatabase()[0]
    except Exception:
        n_related = None
    st["qgis_related_styles"] = n_related
    qml = QgsProviderRegistry.instance().loadStyle(vl.providerType(), uri, "")
    if isinstance(qml, tuple):
        qml = qml[0]
    st["default_style_found_by_qgis"] = bool(qml)
    if not qml:
        st["applied"] = False
        st["note"] = (
            "no default style in layer_styles: QGIS uses a random single-symbol style"
        )
        if any(r["useAsDefault"] for r in rows):
            rep.fail(
                f"{table}: layer_styles has a useAsDefault row but QGIS found no default style for it"
            )
        return st
    qtype, parsed = qml_renderer_type(qml)
    st["qml_renderer"] = qtype
    if not parsed:
        rep.fail(f"{table}: default style QML in layer_styles is not well-formed XML")
        st["applied"] = False
        return st
    # Reference: a fresh layer without default style + the QML imported explicitly.
    opts = QgsVectorLayer.LayerOptions(QgsProject.instance().transformContext())
    opts.loadDefaultStyle = False
    ref = QgsVectorLayer(uri, table + "_ref", vl.providerType(), opts)
    doc = QDomDocument()
    doc.setContent(qml)
    ok, err = ref.importNamedStyle(doc)
    if not ok:
        rep.fail(f"{table}: QGIS could not import the default QML: {err}")
    applied = bool(ok) and renderer_signature(ref) == renderer_signature(vl)
    st["applied"] = applied
    if not applied:
        rep.fail(
            f"{table}: default style exists in layer_styles but was not applied on load "
            f"(renderer {st['renderer']!r}, QML says {qtype!r})"
        )
    return st


def check_renderer_fields(vl, rep, name):
    r = vl.renderer()
    if r is None:
        rep.fail(f"{name}: layer has no renderer")
        return
    ctx = QgsRenderContext()
    used = set(r.usedAttributes(ctx))
    fields = set(vl.fields().names())
    missing = sorted(a for a in used if a not in fields)
    # usedAttributes may contain expression-derived names only if they are fields
    if missing:
        rep.fail(f"{name}: renderer uses fields {missing} that the layer does not have")


# --------------------------------------------------------------------------- vectors
def check_vector(uri, name, path, style_rows, args, rep):
    vl = QgsVectorLayer(
        uri, name, "ogr"
    )  # default options: loads default style like Desktop
    info = {"name": name, "uri": uri, "kind": "vector", "valid": vl.isValid()}
    if not vl.isValid():
        err = vl.error().summary() if vl.error() else ""
        rep.fail(f"{path.name}:{name}: QgsVectorLayer is not valid {err}".strip())
        return None, info
    info["provider"] = vl.providerType()
    info["geometry"] = QgsWkbTypes.displayString(vl.wkbType())
    info["fields"] = vl.fields().names()
    if vl.isSpatial():
        check_crs(vl.crs(), args, rep, name, info)
    fc = vl.featureCount()
    if fc < 0:  # unknown: count by iterating
        fc = sum(
            1
            for _ in vl.getFeatures(
                QgsFeatureRequest()
                .setNoAttributes()
                .setFlags(QgsFeatureRequest.NoGeometry)
            )
        )
    info["feature_count"] = fc
    if fc <= 0:
        rep.fail(f"{name}: layer has no features")
    is_spatial = vl.isSpatial()
    info["spatial"] = is_spatial
    if not is_spatial:
        rep.warn(f"{path.name}:{name}: table has no geometry (not rendered)")
        return None, info
    null_geoms = invalid = 0
    for i, f in enumerate(vl.getFeatures(QgsFeatureRequest().setNoAttributes())):
        g = f.geometry()
        if g is None or g.isNull() or g.isEmpty():
            null_geoms += 1
        elif i < 20000 and not g.isGeosValid():
            invalid += 1
    info["null_or_empty_geometries"] = null_geoms
    info["invalid_geometries"] = invalid
    if null_geoms:
        rep.warn(f"{name}: {null_geoms} feature(s) with null/empty geometry")
    if invalid:
        rep.warn(f"{name}: {invalid} feature(s) with GEOS-invalid geometry")
    vl.updateExtents()
    ext = vl.extent()
    info["extent"] = rect_json(ext)
    geom_type = QgsWkbTypes.geometryType(vl.wkbType())
    degenerate = ext.width() == 0 and ext.height() == 0
    if (
        ext.isNull()
        or not rect_is_finite(ext)
        or (degenerate and geom_type != QgsWkbTypes.PointGeometry and fc > 0)
    ):
        rep.fail(f"{name}: extent is null/empty/non-finite {rect_json(ext)}")
    elif args.bbox is not None:
        check_bbox(ext, vl.crs(), args, rep, name, info)
    info["style"] = check_vector_style(vl, uri, path, style_rows, rep, info)
    check_renderer_fields(vl, rep, name)
    return vl, info


def check_bbox(ext, crs, args, rep, name, info):
    try:
        e = transform_rect(ext, crs, args.bbox_crs)
    except Exception as exc:
        rep.fail(f"{name}: cannot transform extent to {args.bbox_crs.authid()}: {exc}")
        return
    tol = 1e-9 * max(1.0, args.bbox.width(), args.bbox.height())
    b = QgsRectangle(
        args.bbox.xMinimum() - tol,
        args.bbox.yMinimum() - tol,
        args.bbox.xMaximum() + tol,
        args.bbox.yMaximum() + tol,
    )
    inside = b.contains(e)
    info["extent_in_bbox_crs"] = rect_json(e)
    info["inside_bbox"] = inside
    if not inside:
        where = "partly outside" if b.intersects(e) else "completely outside"
        rep.fail(
            f"{name}: extent {rect_json(e)} is {where} bbox {rect_json(args.bbox)}"
        )


# --------------------------------------------------------------------------- rasters
def check_raster(uri, name, path, args, rep, provider="gdal"):
    rl = QgsRasterLayer(
        uri, name, provider
    )  # default options load <name>.qml sidecar like Desktop
    info = {"name": name, "uri": uri, "kind": "raster", "valid": rl.isValid()}
    if not rl.isValid():
        err = rl.error().summary() if rl.error() else ""
        rep.fail(f"{name}: QgsRasterLayer is not valid {err}".strip())
        return None, info
    dp = rl.dataProvider()
    check_crs(rl.crs(), args, rep, name, info)
    dtypes = {
        1: "Byte",
        2: "UInt16",
        3: "Int16",
        4: "UInt32",
        5: "Int32",
        6: "Float32",
        7: "Float64",
    }
    info.update(
        width=rl.width(),
        height=rl.height(),
        bands=rl.bandCount(),
        data_type=dtypes.get(int(dp.dataType(1)), int(dp.dataType(1)))
        if rl.bandCount()
        else None,
    )
    if rl.bandCount() < 1 or rl.width() < 1 or rl.height() < 1:
        rep.fail(f"{name}: raster has no bands/pixels")
        return rl, info
    ext = rl.extent()
    info["extent"] = rect_json(ext)
    if ext.isNull() or ext.isEmpty() or not rect_is_finite(ext):
        rep.fail(f"{name}: extent is null/empty {rect_json(ext)}")
    elif args.bbox is not None:
        check_bbox(ext, rl.crs(), args, rep, name, info)
    info["nodata"] = dp.sourceNoDataValue(1) if dp.sourceHasNoDataValue(1) else None
    stats = dp.bandStatistics(1, QgsRasterBandStats.All, ext, 0)
    info["band1_stats"] = {
        "min": stats.minimumValue,
        "max": stats.maximumValue,
        "mean": stats.mean,
        "valid_pixels": stats.elementCount,
    }
    if stats.elementCount == 0:
        rep.fail(f"{name}: band 1 has no valid (non-nodata) pixels")
    elif stats.minimumValue == stats.maximumValue:
        rep.warn(f"{name}: band 1 is constant ({stats.minimumValue})")
    renderer = rl.renderer().type() if rl.renderer() else None
    style = {"renderer": renderer}
    sidecar = path.with_suffix(".qml") if path.is_file() else None
    if sidecar is not None and sidecar.exists():
        doc = QDomDocument()
        parsed = doc.setContent(sidecar.read_text(encoding="utf-8", errors="replace"))
        parsed = parsed[0] if isinstance(parsed, tuple) else parsed
        el = (
            doc.documentElement()
            .firstChildElement("pipe")
            .firstChildElement("rasterrenderer")
        )
        want = el.attribute("type") if parsed and not el.isNull() else None
        style.update(
            sidecar_qml=sidecar.name,
            qml_renderer=want,
            applied=bool(want) and want == renderer,
        )
        if not style["applied"]:
            rep.fail(
                f"{name}: sidecar {sidecar.name} present but not applied (renderer {renderer!r}, QML {want!r})"
            )
    else:
        style["note"] = "no sidecar .qml: QGIS default raster style"
    info["style"] = style
    return rl, info


# --------------------------------------------------------------------------- containers
def list_sublayers(path):
    """[(name, uri, provider, type)] via QGIS' own sublayer query (what the Browser/Add-Layer uses)."""
    out = []
    reg = QgsProviderRegistry.instance()
    if hasattr(reg, "querySublayers"):  # QGIS >= 3.22
        for d in reg.querySublayers(str(path)):
            typ = (
                "vector"
                if d.type() == QgsMapLayerType.VectorLayer
                else (
                    "raster"
                    if d.type() == QgsMapLayerType.RasterLayer
                    else str(d.type())
                )
            )
            out.append((d.name(), d.uri(), d.providerKey(), typ))
        return out
    probe = QgsVectorLayer(str(path), "probe", "ogr")  # older QGIS fallback
    if probe.isValid():
        sep = getattr(probe.dataProvider(), "SUBLAYER_SEPARATOR", "!!::!!")
        for s in probe.dataProvider().subLayers():
            parts = s.split(sep)
            out.append((parts[1], f"{path}|layername={parts[1]}", "ogr", "vector"))
    return out


def check_gpkg(path, args, rep, layers_for_render):
    finfo = {"file": str(path), "layers": []}
    # sanity: SQLite header / integrity (QGIS may still list a damaged file)
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
        if header != b"SQLite format 3\x00":
            rep.fail(f"{path.name}: not an SQLite/GeoPackage file (bad header)")
        else:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                res = con.execute("PRAGMA quick_check").fetchone()[0]
                finfo["sqlite_quick_check"] = res
                if res != "ok":
                    rep.fail(f"{path.name}: sqlite quick_check: {res}")
                app_id = con.execute("PRAGMA application_id").fetchone()[0]
                user_ver = con.execute("PRAGMA user_version").fetchone()[0]
                finfo["gpkg_application_id"] = hex(app_id)
                finfo["gpkg_user_version"] = user_ver
                if app_id != 0x47504B47:
                    rep.warn(f"{path.name}: application_id is not 'GPKG'")
                if user_ver > 10300:
                    rep.warn(
                        f"{path.name}: GeoPackage version {user_ver} (>1.3); GDAL < 3.7 warns "
                        "'may only be partially supported' — write with VERSION=1.2/1.3 for old QGIS"
                    )
            finally:
                con.close()
    except (OSError, sqlite3.Error) as exc:
        rep.fail(f"{path.name}: cannot read as SQLite: {exc}")
    style_rows = gpkg_style_rows(path, rep) if "sqlite_quick_check" in finfo else []
    finfo["layer_styles_rows"] = style_rows
    subs = list_sublayers(path)
    finfo["sublayers"] = [s[0] for s in subs]
    if not subs:
        rep.fail(f"{path.name}: QGIS finds no layers (file unreadable or empty)")
    known = {s[0] for s in subs}
    for r in style_rows:
        if r["f_table_name"] not in known:
            rep.warn(
                f"{path.name}: layer_styles row '{r['styleName']}' refers to unknown table {r['f_table_name']!r}"
            )
    for name, uri, provider, typ in subs:
        if name in SKIP_TABLES:
            continue
        if typ == "vector":
            lyr, info = check_vector(uri, name, path, style_rows, args, rep)
        elif typ == "raster":
            lyr, info = check_raster(uri, name, path, args, rep, provider=provider)
        else:
            rep.warn(f"{path.name}:{name}: unsupported sublayer type {typ}")
            continue
        finfo["layers"].append(info)
        if lyr is not None:
            layers_for_render.append(lyr)
    if "qgis_projects" in known:  # projects stored inside the GeoPackage
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            names = [r[0] for r in con.execute("SELECT name FROM qgis_projects")]
            con.close()
        except sqlite3.Error:
            names = []
        finfo["embedded_projects"] = [
            f"geopackage:{path}?projectName={n}" for n in names
        ]
    return finfo


def check_project(uri, label, args, rep, out_png):
    proj = QgsProject.instance()
    proj.clear()
    ok = proj.read(uri)
    pinfo = {"project": label, "read_ok": bool(ok), "layers": []}
    if not ok:
        rep.fail(f"{label}: QgsProject.read failed: {proj.error()}")
        return pinfo
    pinfo["crs"] = proj.crs().authid()
    base = Path(proj.absolutePath() or ".")
    for lid, lyr in proj.mapLayers().items():
        li = {
            "name": lyr.name(),
            "provider": lyr.providerType(),
            "valid": lyr.isValid(),
            "source": lyr.source(),
        }
        if isinstance(lyr, QgsVectorLayer) and lyr.isValid():
            li["feature_count"] = lyr.featureCount()
            li["renderer"] = lyr.renderer().type() if lyr.renderer() else None
        src_path = lyr.source().split("|")[0]
        if os.path.isabs(src_path) and not Path(src_path).resolve().is_relative_to(
            base.resolve()
        ):
            rep.warn(
                f"{label}: layer {lyr.name()!r} uses absolute path outside the project folder: {src_path}"
            )
        if not lyr.isValid():
            rep.fail(
                f"{label}: layer {lyr.name()!r} is invalid (source {lyr.source()})"
            )
        pinfo["layers"].append(li)
    if not pinfo["layers"]:
        rep.fail(f"{label}: project has no layers")
    visible = [
        l
        for l in proj.layerTreeRoot().layerOrder()
        if proj.layerTreeRoot().findLayer(l.id())
        and proj.layerTreeRoot().findLayer(l.id()).isVisible()
        and l.isValid()
    ]
    if visible and out_png:
        crs = proj.crs() if proj.crs().isValid() else visible[0].crs()
        ext = QgsRectangle()
        ext.setMinimal()
        for l in visible:
            try:
                ext.combineExtentWith(transform_rect(l.extent(), l.crs(), crs))
            except Exception as exc:
                rep.fail(
                    f"{label}: layer {l.name()!r}: cannot transform extent to project CRS: {exc}"
                )
        ext.scale(1.05)
        img, errors = render(visible, crs, ext, QSize(*args.size))
        img.save(str(out_png), "PNG")
        pinfo["png"] = str(out_png)
        pinfo["render_errors"] = errors
        for e in errors:
            rep.fail(f"{label}: render error {e}")
    proj.clear()
    return pinfo


def with_footer(img, lines):
    """Return a copy of `img` with a white strip below it listing the layers (map stays unobscured)."""
    line_h = 17
    out = QImage(
        img.width(), img.height() + line_h * len(lines) + 12, QImage.Format_ARGB32
    )
    out.fill(QColor("white"))
    p = QPainter(out)
    p.drawImage(0, 0, img)
    p.setPen(QColor(160, 160, 160))
    p.drawLine(0, img.height(), img.width(), img.height())
    f = QFont("DejaVu Sans")
    f.setPixelSize(12)
    p.setFont(f)
    p.setPen(QColor("black"))
    for i, l in enumerate(lines):
        p.drawText(10, img.height() + 6 + line_h * (i + 1) - 4, l)
    p.end()
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument(
        "--bbox", help="minx,miny,maxx,maxy that every layer extent must lie in"
    )
    ap.add_argument("--bbox-crs", default="EPSG:4326")
    ap.add_argument(
        "--crs",
        help="expected CRS of every layer, e.g. EPSG:4326 (default: any georeferenced CRS)",
    )
    ap.add_argument(
        "--png",
        type=Path,
        help="output PNG (default FOLDER/../<folder>_qgis_render.png)",
    )
    ap.add_argument("--size", default="1200x900")
    ap.add_argument(
        "--no-annotate",
        action="store_true",
        help="no layer-list footer below the map in the PNG",
    )
    ap.add_argument(
        "--allow-blank",
        action="store_true",
        help="do not fail when a layer draws no pixels on its own",
    )
    args = ap.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
        args.size = (w, h)
    except ValueError:
        ap.error("--size must look like 1200x900")
    args.bbox_crs = QgsCoordinateReferenceSystem(args.bbox_crs)
    if not args.bbox_crs.isValid():
        ap.error("--bbox-crs is not a valid CRS")
    if args.crs:
        args.crs = QgsCoordinateReferenceSystem(args.crs)
        if not args.crs.isValid():
            ap.error("--crs is not a valid CRS")
    if args.bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in args.bbox.split(","))
        except ValueError:
            ap.error("--bbox must be minx,miny,maxx,maxy")
        args.bbox = QgsRectangle(x0, y0, x1, y1)
    if not args.folder.is_dir():
        ap.error(f"{args.folder} is not a directory")
    if args.png is None:
        args.png = (
            args.folder.resolve().parent
            / f"{args.folder.resolve().name}_qgis_render.png"
        )
    return args


def main(argv):
    profile = tempfile.mkdtemp(
        prefix="qgis_check_profile_"
    )  # don't depend on a user's QGIS profile
    TMP_DIRS.append(profile)
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False, profile)
    app.initQgis()
    args = parse_args(argv)
    rep = Report()
    messages = []

    def on_msg(message, tag, level):
        if level >= Qgis.Warning:
            messages.append(f"[{tag}] {message}"[:400])

    QgsApplication.messageLog().messageReceived.connect(on_msg)
    gdal_messages = []
    try:  # GDAL/OGR warnings (e.g. "GeoPackage ... may only be partially supported") into the JSON
        from osgeo import gdal as _gdal

        def on_gdal(err_class, err_no, msg):
            if err_class >= _gdal.CE_Warning and len(gdal_messages) < 1000:
                gdal_messages.append(
                    f"GDAL {'warning' if err_class == _gdal.CE_Warning else 'error'} "
                    f"{err_no}: {msg}"[:400]
                )

        _gdal.SetErrorHandler(
            on_gdal
        )  # global handler (render threads too), replaces stderr printing
    except Exception:
        pass

    try:
        from osgeo import gdal

        gdal_version = gdal.__version__
    except Exception:
        lib = ctypes.util.find_library("gdal")
        gdal_version = (
            ctypes.CDLL(lib).GDALVersionInfo(b"RELEASE_NAME") if lib else None
        )
    summary = {
        "qgis_version": Qgis.QGIS_VERSION,
        "gdal_version": gdal_version,
        "folder": str(args.folder.resolve()),
        "bbox": rect_json(args.bbox) if args.bbox else None,
        "bbox_crs": args.bbox_crs.authid(),
        "files": [],
        "projects": [],
    }

    files = sorted(p for p in args.folder.rglob("*") if p.is_file())
    gpkgs = [p for p in files if p.suffix.lower() in VECTOR_EXT]
    tifs = [p for p in files if p.suffix.lower() in RASTER_EXT]
    projects = [p for p in files if p.suffix.lower() in PROJECT_EXT]
    if not (gpkgs or tifs or projects):
        rep.fail(f"no .gpkg/.tif/.qgs/.qgz files under {args.folder}")

    layers = []
    for p in gpkgs:
        try:
            summary["files"].append(check_gpkg(p, args, rep, layers))
        except Exception as exc:
            rep.fail(f"{p.name}: checker crashed: {type(exc).__name__}: {exc}")
    for p in tifs:
        try:
            lyr, info = check_raster(str(p), p.stem, p, args, rep)
        except Exception as exc:
            rep.fail(f"{p.name}: checker crashed: {type(exc).__name__}: {exc}")
            continue
        summary["files"].append({"file": str(p), "layers": [info]})
        if lyr is not None:
            layers.append(lyr)

    # ---- render everything together (points on top, rasters at the bottom)
    def z(l):
        if isinstance(l, QgsRasterLayer):
            return 9
        return {
            QgsWkbTypes.PointGeometry: 0,
            QgsWkbTypes.LineGeometry: 1,
            QgsWkbTypes.PolygonGeometry: 2,
        }.get(l.geometryType(), 3)

    layers.sort(key=z)
    render_info = {"png": None}
    if layers:
        crs = args.bbox_crs if args.bbox is not None else layers[0].crs()
        ext = QgsRectangle()
        ext.setMinimal()
        for l in layers:
            try:
                ext.combineExtentWith(transform_rect(l.extent(), l.crs(), crs))
            except Exception as exc:
                rep.fail(f"{l.name()}: cannot transform extent for rendering: {exc}")
        if ext.xMinimum() > ext.xMaximum() or not rect_is_finite(ext):
            rep.fail(
                "nothing could be placed on the map (no layer extent transformable to "
                f"{crs.authid()}); render skipped"
            )
            layers = []
        else:
            if ext.isEmpty():
                ext.grow(0.01)
            ext.scale(1.08)
    if layers:
        per_layer = {}
        for l in layers:  # each layer alone: does it draw anything with its style?
            img, errors = render([l], crs, ext, QSize(300, 225))
            n = count_drawn_pixels(img)
            per_layer[l.name()] = n
            for e in errors:
                rep.fail(f"{l.name()}: render error {e}")
            if n == 0:
                msg = f"{l.name()}: layer draws no pixels with its style (invisible to the user)"
                rep.warn(msg) if args.allow_blank else rep.fail(msg)
        img, errors = render(layers, crs, ext, QSize(*args.size))
        for e in errors:
            rep.fail(f"render error {e}")
        png_img = img
        if not args.no_annotate:
            png_img = with_footer(
                img,
                [
                    f"QGIS {Qgis.QGIS_VERSION} render of {args.folder.name} ({crs.authid()})"
                ]
                + [
                    f"{l.name()}"
                    + (
                        f"  [{l.featureCount()} features, {l.renderer().type()}]"
                        if isinstance(l, QgsVectorLayer)
                        else f"  [raster, {l.renderer().type()}]"
                    )
                    for l in layers
                ],
            )
        args.png.parent.mkdir(parents=True, exist_ok=True)
        saved = png_img.save(str(args.png), "PNG")
        if not saved:
            rep.fail(f"could not write {args.png}")
        total = img.width() * img.height()
        render_info = {
            "png": str(args.png),
            "size": list(args.size),
            "crs": crs.authid(),
            "extent": rect_json(ext),
            "layer_order_top_first": [l.name() for l in layers],
            "pixels_drawn_per_layer_300x225": per_layer,
            "non_background_fraction": round(count_drawn_pixels(img) / total, 4),
            "errors": errors,
        }
    summary["render"] = render_info

    # ---- projects (files in the folder and projects embedded in GeoPackages)
    proj_uris = [(str(p), p.name) for p in projects]
    for f in summary["files"]:
        proj_uris += [(u, u) for u in f.get("embedded_projects", [])]
    for i, (uri, label) in enumerate(proj_uris):
        png = args.png.with_name(f"{args.png.stem}_project{i + 1}.png")
        try:
            summary["projects"].append(check_project(uri, label, args, rep, png))
        except Exception as exc:
            rep.fail(f"{label}: checker crashed: {type(exc).__name__}: {exc}")

    summary["qgis_messages"] = sorted(set(messages))[:50]
    summary["gdal_messages"] = sorted(set(gdal_messages))[:50]
    summary["warnings"] = list(dict.fromkeys(rep.warnings))  # de-duplicated, order kept
    summary["failures"] = list(dict.fromkeys(rep.failures))
    summary["ok"] = not rep.failures
    print(json.dumps(summary, indent=2, default=str))
    sys.stdout.flush()
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:
        import traceback

        traceback.print_exc()
        print(
            json.dumps(
                {
                    "ok": False,
                    "failures": [f"checker crashed: {type(exc).__name__}: {exc}"],
                }
            )
        )
        code = 2
    for d in TMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # PyQGIS standalone scripts often segfault in QgsApplication/PyQt teardown (exitQgis with
    # layers still referenced from Python). Skip teardown so the exit code is the check result.
    os._exit(code)

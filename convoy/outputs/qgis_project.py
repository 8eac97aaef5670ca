"""plan.qgz: a QGIS project showing plan.gpkg and risk.tif, styled and ordered.

The project XML is written directly (QGIS 3.22 project format), so convoy does not
need QGIS installed. Layers point at their files by relative paths
(``./plan.gpkg|layername=route``, ``./risk.tif``), so the output folder can be moved
or zipped as a whole. Each layer carries the same style as its default in
``layer_styles`` (vectors) or its ``.qml`` sidecar (the raster).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pyproj

from convoy.errors import ScenarioError
from convoy.outputs.qgis_layout import layout_xml
from convoy.outputs.styles import QGIS_VERSION

#: Margin added around the layers' extent for the initial view, as a fraction.
EXTENT_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class ProjectLayer:
    """
    One layer of the project.

    Parameters
    ----------
    name
        Name shown in the layer tree.
    source
        Data source relative to the project, e.g. ``"./plan.gpkg|layername=route"``.
    kind
        ``"vector"`` or ``"raster"``.
    qml
        The layer's style document (QML); its renderer, labeling or raster pipe is
        copied into the project.
    extent
        (xmin, ymin, xmax, ymax) in ``crs``.
    crs
        The layer's CRS (any string pyproj reads).
    geometry
        ``"Point"``, ``"Line"`` or ``"Polygon"`` for vectors; ignored for rasters.
    wkb_type
        The vector layer's WKB type name, e.g. ``"MultiLineString"``.
    group
        Layer-tree group the layer is shown in ("" for the top level).
    temporal
        (start field, end field) of DateTime fields: the layer's temporal
        properties, so QGIS' Temporal Controller shows each feature over that span.
    visible
        Whether the layer is checked (drawn) when the project opens.
    """

    name: str
    source: str
    kind: str
    qml: str
    extent: tuple[float, float, float, float]
    crs: str
    geometry: str = ""
    wkb_type: str = ""
    group: str = ""
    temporal: tuple[str, str] | None = None
    visible: bool = True

    @property
    def layer_id(self) -> str:
        """A stable id, unique within the project."""
        return "convoy_" + "".join(c if c.isalnum() else "_" for c in self.name)


def spatialrefsys_xml(crs: str) -> str:
    """
    The ``<spatialrefsys>`` element QGIS stores for a CRS.

    The WKT comes from pyproj (no PROJ string: it can lose datum information);
    ``authid`` lets QGIS look the CRS up in its own database. ``srsid`` (QGIS'
    internal id) is left out, so QGIS builds the CRS from the authid or the WKT.

    Raises
    ------
    ScenarioError
        If pyproj does not know the CRS.
    """
    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = (
            f"crs: expected a CRS pyproj reads (e.g. 'EPSG:4326'), found {crs!r}: {exc}"
        )
        raise ScenarioError(msg) from None
    auth = c.to_authority()
    authid = f"{auth[0]}:{auth[1]}" if auth else ""
    srid = auth[1] if auth and auth[0] == "EPSG" else "0"
    geographic = "true" if c.is_geographic else "false"
    return (
        '<spatialrefsys nativeFormat="Wkt">'
        f"<wkt>{escape(c.to_wkt())}</wkt>"
        f"<srid>{srid}</srid><authid>{escape(authid)}</authid>"
        f"<description>{escape(c.name)}</description>"
        f"<projectionacronym>{'longlat' if c.is_geographic else ''}</projectionacronym>"
        f"<geographicflag>{geographic}</geographicflag>"
        "</spatialrefsys>"
    )


def _provider(layer: ProjectLayer) -> str:
    return "ogr" if layer.kind == "vector" else "gdal"


def _style_parts(qml: str, kind: str) -> str:
    """The elements of a QML document that a project's ``<maplayer>`` carries."""
    root = ET.fromstring(qml.split("\n", 1)[1] if qml.startswith("<!DOCTYPE") else qml)
    keep = (
        ("pipe", "blendMode")
        if kind == "raster"
        else ("renderer-v2", "labeling", "blendMode", "featureBlendMode")
    )
    parts = [ET.tostring(el, encoding="unicode") for el in root if el.tag in keep]
    if kind == "vector" and not any(p.startswith("<renderer-v2") for p in parts):
        msg = "layer style: expected a QML document with a <renderer-v2> element"
        raise ScenarioError(msg)
    if kind == "raster" and not any(p.startswith("<pipe") for p in parts):
        msg = "raster style: expected a QML document with a <pipe> element"
        raise ScenarioError(msg)
    return "".join(parts)


def _extent_xml(tag: str, e: Sequence[float]) -> str:
    return (
        f"<{tag}><xmin>{e[0]!r}</xmin><ymin>{e[1]!r}</ymin>"
        f"<xmax>{e[2]!r}</xmax><ymax>{e[3]!r}</ymax></{tag}>"
    )


def _tree_layer(ly: ProjectLayer) -> str:
    checked = "Qt::Checked" if ly.visible else "Qt::Unchecked"
    return (
        f'<layer-tree-layer id="{ly.layer_id}" name={quoteattr(ly.name)} '
        f"source={quoteattr(ly.source)} providerKey={quoteattr(_provider(ly))} "
        f'checked="{checked}" expanded="1" legend_exp="" patch_size="-1,-1" '
        'legend_split_behavior="0"><customproperties/></layer-tree-layer>'
    )


def layer_tree_xml(
    layers: Sequence[ProjectLayer], group_order: Sequence[str] = ()
) -> str:
    """
    The layer tree: each group holding its layers, in their drawing order.

    Groups named in ``group_order`` come first, in that order; the others follow
    in order of their first layer. Layers with no group stand at the top level,
    where they come in the order.
    """
    rank = {g: i for i, g in enumerate(group_order)}
    layers = sorted(layers, key=lambda ly: rank.get(ly.group, len(rank)))
    order: list[ProjectLayer | str] = []
    groups: dict[str, list[ProjectLayer]] = {}
    for ly in layers:
        if not ly.group:
            order.append(ly)
        elif ly.group not in groups:
            groups[ly.group] = [ly]
            order.append(ly.group)
        else:
            groups[ly.group].append(ly)
    parts = []
    for item in order:
        if isinstance(item, ProjectLayer):
            parts.append(_tree_layer(item))
            continue
        inner = "".join(_tree_layer(ly) for ly in groups[item])
        parts.append(
            f'<layer-tree-group name={quoteattr(item)} checked="Qt::Checked" '
            f'expanded="1"><customproperties/>{inner}</layer-tree-group>'
        )
    return "".join(parts)


def temporal_xml(ly: ProjectLayer) -> str:
    """
    The vector layer's ``<temporal>`` element: start and end from two fields.

    Mode 2 is QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromFields.
    """
    if ly.kind != "vector" or ly.temporal is None:
        return ""
    start, end = ly.temporal
    return (
        f'<temporal enabled="1" mode="2" startField={quoteattr(start)} '
        f'endField={quoteattr(end)} durationField="" durationUnit="min" '
        'fixedDuration="0" accumulate="0" startExpression="" endExpression="" '
        'limitMode="1"><fixedRange><start></start><end></end></fixedRange></temporal>'
    )


def time_settings_xml(time_range: tuple[str, str] | None) -> str:
    """``<ProjectTimeSettings>``: the animation's range (ISO, UTC), 10-minute steps."""
    if time_range is None:
        return "<ProjectTimeSettings/>"
    return (
        '<ProjectTimeSettings cumulativeTemporalRange="0" timeStep="10" '
        'timeStepUnit="min" frameRate="2">'
        f"<TemporalRange><start>{escape(time_range[0])}</start>"
        f"<end>{escape(time_range[1])}</end></TemporalRange></ProjectTimeSettings>"
    )


def project_xml(
    title: str,
    layers: Sequence[ProjectLayer],
    crs: str,
    extent: Sequence[float],
    *,
    time_range: tuple[str, str] | None = None,
    layout_html: str | None = None,
    group_order: Sequence[str] = (),
) -> str:
    """
    The .qgs document: layers top first, project CRS, initial extent, title.

    Parameters
    ----------
    title
        Project title (shown in QGIS' title bar).
    layers
        Layers in drawing order, the top one first.
    crs
        Project CRS.
    extent
        Initial view (xmin, ymin, xmax, ymax) in ``crs``.
    time_range
        (start, end), ISO 8601 UTC: the Temporal Controller's range.
    layout_html
        The march table (HTML) of the print layout; no layout when None.
    group_order
        Order of the layer tree's groups; the drawing order stays ``layers``'
        (a custom layer order), so points draw above lines whatever the groups.
    """
    srs = spatialrefsys_xml(crs)
    geographic = pyproj.CRS.from_user_input(crs).is_geographic
    tree = layer_tree_xml(layers, group_order)
    custom = "1" if group_order else "0"
    maplayers = []
    for ly in layers:
        style = _style_parts(ly.qml, ly.kind)
        if ly.kind == "vector":
            labels = "1" if "<labeling" in style else "0"
            head = (
                f'<maplayer type="vector" geometry="{ly.geometry}" '
                f'wkbType="{ly.wkb_type}" '
                f'labelsEnabled="{labels}" autoRefreshEnabled="0" autoRefreshTime="0" '
                'hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" '
                'readOnly="0" refreshOnNotifyEnabled="0" refreshOnNotifyMessage="" '
                'simplifyAlgorithm="0" simplifyDrawingHints="1" simplifyDrawingTol="1" '
                'simplifyLocal="1" simplifyMaxScale="1" '
                'styleCategories="AllStyleCategories">'
            )
            provider = '<provider encoding="UTF-8">ogr</provider>'
        else:
            head = (
                '<maplayer type="raster" autoRefreshEnabled="0" autoRefreshTime="0" '
                'hasScaleBasedVisibilityFlag="0" minScale="1e+08" maxScale="0" '
                'refreshOnNotifyEnabled="0" refreshOnNotifyMessage="" '
                'styleCategories="AllStyleCategories">'
            )
            provider = "<provider>gdal</provider>"
        maplayers.append(
            f"{head}{_extent_xml('extent', ly.extent)}<id>{ly.layer_id}</id>"
            f"<datasource>{escape(ly.source)}</datasource>"
            f"<layername>{escape(ly.name)}</layername>"
            f"<srs>{spatialrefsys_xml(ly.crs)}</srs>{provider}"
            f"<layerOpacity>1</layerOpacity>{style}{temporal_xml(ly)}</maplayer>"
        )
    order = "".join(f'<layer id="{ly.layer_id}"/>' for ly in layers)
    custom_order = "".join(f"<item>{ly.layer_id}</item>" for ly in layers)
    units = "degrees" if geographic else "meters"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}" saveUser="" '
        'saveUserFull="">\n'
        '<homePath path=""/>\n'
        f"<title>{escape(title)}</title>\n"
        '<autotransaction active="0"/><evaluateDefaultValues active="0"/>'
        '<trust active="0"/>\n'
        f"<projectCrs>{srs}</projectCrs>\n"
        f"<layer-tree-group><customproperties/>{tree}"
        f'<custom-order enabled="{custom}">{custom_order}</custom-order>'
        "</layer-tree-group>\n"
        '<snapping-settings enabled="0" mode="2" type="1" tolerance="12" unit="1" '
        'intersection-snapping="0"><individual-layer-settings/></snapping-settings>\n'
        "<relations/>\n"
        '<mapcanvas name="theMapCanvas" annotationsVisible="1">'
        f"<units>{units}</units>{_extent_xml('extent', extent)}<rotation>0</rotation>"
        f"<destinationsrs>{srs}</destinationsrs><rendermaptile>0</rendermaptile>"
        "<expressionContextScope/></mapcanvas>\n"
        f"<projectlayers>{''.join(maplayers)}</projectlayers>\n"
        f"<layerorder>{order}</layerorder>\n"
        "<properties>"
        '<Paths><Absolute type="bool">false</Absolute></Paths>'
        # without ProjectionsEnabled QGIS ignores <projectCrs> and the project has none
        '<SpatialRefSys><ProjectionsEnabled type="int">1</ProjectionsEnabled>'
        "</SpatialRefSys>"
        # distances (the layout's scale bar) on the WGS 84 ellipsoid, in km
        '<Measure><Ellipsoid type="QString">EPSG:7030</Ellipsoid></Measure>'
        '<Measurement><DistanceUnits type="QString">km</DistanceUnits>'
        '<AreaUnits type="QString">km2</AreaUnits></Measurement>'
        '<PositionPrecision><Automatic type="bool">true</Automatic>'
        '<DecimalPlaces type="int">2</DecimalPlaces></PositionPrecision>'
        "</properties>\n"
        '<ProjectViewSettings UseProjectScales="0" rotation="0"><Scales/>'
        f'<DefaultViewExtent xmin="{extent[0]!r}" ymin="{extent[1]!r}" '
        f'xmax="{extent[2]!r}" ymax="{extent[3]!r}">{srs}</DefaultViewExtent>'
        "</ProjectViewSettings>\n"
        f"<ProjectStyleSettings/>{time_settings_xml(time_range)}\n"
        f"{'' if layout_html is None else layout_xml(title, extent, layout_html)}\n"
        "</qgis>\n"
    )


def view_extent(
    layers: Sequence[ProjectLayer], crs: str, focus: Sequence[str] = ()
) -> tuple[float, float, float, float]:
    """
    Union of the layers' extents (those named in ``focus``, if any), with a margin.

    Extents are transformed to ``crs`` when a layer is in another CRS.
    """
    chosen = [ly for ly in layers if ly.name in focus] or list(layers)
    xs: list[float] = []
    ys: list[float] = []
    for ly in chosen:
        x0, y0, x1, y1 = ly.extent
        if pyproj.CRS.from_user_input(ly.crs) != pyproj.CRS.from_user_input(crs):
            t = pyproj.Transformer.from_crs(ly.crs, crs, always_xy=True)
            x0, y0, x1, y1 = t.transform_bounds(x0, y0, x1, y1)
        xs += [x0, x1]
        ys += [y0, y1]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    dx = (x1 - x0) * EXTENT_MARGIN or 0.01
    dy = (y1 - y0) * EXTENT_MARGIN or 0.01
    return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)


def write_qgis_project(
    out_dir: str | Path,
    layers: Sequence[ProjectLayer],
    *,
    title: str,
    crs: str = "EPSG:4326",
    name: str = "plan.qgz",
    focus: Sequence[str] = (),
    time_range: tuple[str, str] | None = None,
    layout_html: str | None = None,
    group_order: Sequence[str] = (),
) -> Path:
    """
    Write a QGIS project (a .qgz zip holding one .qgs) into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder holding the layers' files; the project is written beside them.
    layers
        Layers in drawing order, the top one first.
    title
        Project title.
    crs
        Project CRS.
    name
        File name of the project.
    focus
        Names of the layers the initial view frames (all when empty).
    time_range
        (start, end), ISO 8601 UTC: the Temporal Controller's range.
    layout_html
        The march table (HTML) of the print layout; no layout when None.
    group_order
        Order of the layer tree's groups (see :func:`project_xml`).

    Returns
    -------
    Path
        The project file.

    Raises
    ------
    ScenarioError
        If a layer's file is missing from ``out_dir`` or a style is unusable.

    Examples
    --------
    >>> write_qgis_project("out", layers, title="Kidal to Gao")  # doctest: +SKIP
    PosixPath('out/plan.qgz')
    """
    out_dir = Path(out_dir)
    for ly in layers:
        rel = ly.source.split("|", 1)[0]
        if not rel.startswith("./") or not (out_dir / rel).is_file():
            msg = (
                f"{out_dir / name}: layer {ly.name!r}: source expected a file "
                f"'./<name>' in {out_dir}, found {ly.source!r}"
            )
            raise ScenarioError(msg)
    if not layers:
        msg = f"{out_dir / name}: expected at least one layer, found none"
        raise ScenarioError(msg)
    xml = project_xml(
        title,
        layers,
        crs,
        view_extent(layers, crs, focus),
        time_range=time_range,
        layout_html=layout_html,
        group_order=group_order,
    )
    path = out_dir / name
    qgs_name = Path(name).with_suffix(".qgs").name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(qgs_name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, xml.encode("utf-8"))
    return path

"""write_maps(): every map output of a plan, from its document and scenario records.

Writes into one folder: ``plan.gpkg`` (styled layers), ``risk.tif`` and ``risk.qml``
(the risk field, by :func:`convoy.outputs.geotiff.write_risk_geotiff`), ``plan.qgz``
(a QGIS project of both), ``report.html`` with its PNG charts, and the field exports:
``plan.gpx``, ``plan.kml``, ``march_table.xlsx`` and ``loads.xlsx``.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyproj

from convoy.document import PlanDocument, iso
from convoy.errors import DataQualityWarning
from convoy.events import ThreatEvents
from convoy.io.files import file_sha256
from convoy.io.scenario import read_scenario
from convoy.outputs.geotiff import risk_qml, write_field_raster
from convoy.outputs.gpkg import write_plan_gpkg
from convoy.outputs.gpx import GPX_FILE, write_gpx
from convoy.outputs.kml import KML_FILE, write_kml
from convoy.outputs.qgis_layout import march_table_html
from convoy.outputs.qgis_project import ProjectLayer, write_qgis_project
from convoy.outputs.write import OutputExistsError, staged_outputs
from convoy.outputs.xlsx import LOADS_XLSX, MARCH_XLSX, write_xlsx_tables
from convoy.params import RiskParams
from convoy.report import write_report
from convoy.report.html import CHARTS
from convoy.risk.field import RiskField, risk_field_from_events
from convoy.roads.network import RoadNetwork
from convoy.scenario import Scenario, Site
from convoy.times import dtg

#: Files write_maps() writes (the report's charts come on top, see convoy.report).
MAP_FILES: tuple[str, ...] = (
    "plan.gpkg",
    "risk.tif",
    "risk.qml",
    "plan.qgz",
    "report.html",
    GPX_FILE,
    KML_FILE,
    MARCH_XLSX,
    LOADS_XLSX,
)

#: The report's charts, written beside report.html.
REPORT_CHARTS: tuple[str, ...] = CHARTS

#: How the project shows each layer of plan.gpkg: name in the layer tree, group,
#: temporal (start, end) DateTime fields (None: always shown), checked at opening.
PROJECT_LAYERS: dict[str, tuple[str, str, tuple[str, str] | None, bool]] = {
    "left_behind": ("Left behind at the camps", "Sites", None, True),
    "checkpoints": (
        "Checkpoints (times of every unit)",
        "Plans",
        ("first_head", "last_tail"),
        True,
    ),
    "halts": ("Halts", "Plans", ("start", "end"), True),
    "sites": ("Sites", "Sites", None, True),
    "events": ("Threat events", "Threat", None, True),
    "legs": ("Legs (normal / clearance)", "Plans", ("depart", "arrive"), False),
    "route_risk": ("Risk along the route", "Plans", None, True),
    "route": ("Optimised route and baselines", "Plans", None, True),
    "roads": ("Road network", "Network", None, True),
}

#: The raster layers: band, name in the layer tree, group, checked at opening.
RASTER_LAYERS: tuple[tuple[int, str, str, bool], ...] = (
    (1, "Risk field: IED", "Threat", True),
    (2, "Risk field: ambush", "Threat", False),
)

#: Layers the project's initial view frames (names in the layer tree).
FOCUS_LAYERS: tuple[str, ...] = ("Optimised route and baselines", "Sites")

#: Columns of the march table in the print layout.
LAYOUT_COLUMNS: tuple[str, ...] = (
    "Checkpoint",
    "km",
    "Units",
    "First head",
    "Last tail",
)

#: Order of the project's layer-tree groups.
GROUP_ORDER: tuple[str, ...] = ("Plans", "Threat", "Network", "Sites")

_GEOMETRY = {
    "Point": "Point",
    "MultiPoint": "Point",
    "LineString": "Line",
    "MultiLineString": "Line",
    "Polygon": "Polygon",
    "MultiPolygon": "Polygon",
}


@dataclass(frozen=True, slots=True)
class MapInputs:
    """
    What the maps need of the scenario besides the plan document.

    Parameters
    ----------
    sites
        The scenario's sites.
    events
        The threat events the risk field sums.
    risk
        ``[risk]`` parameters (event channels, raster cell, diurnal profiles).
    crs
        The working (projected) CRS of the risk field.
    air_cover
        Whether the column has air cover (scales the field).
    roads
        The road network, drawn as a layer (none when None).
    """

    sites: tuple[Site, ...]
    events: ThreatEvents
    risk: RiskParams
    crs: object
    air_cover: bool
    roads: RoadNetwork | None = None


def map_inputs(scenario: Scenario) -> MapInputs:
    """The records of a scenario the maps draw (the one place outputs unpack one)."""
    return MapInputs(
        sites=tuple(scenario.sites),
        events=scenario.events,
        risk=scenario.risk,
        crs=scenario.roads.crs,
        air_cover=scenario.air_cover,
        roads=scenario.roads,
    )


def plan_bounds_lonlat(
    doc: PlanDocument, sites: Sequence[Site]
) -> tuple[float, float, float, float]:
    """(west, south, east, north) of every plan's legs and the scenario's sites."""
    pts = [(s.lon, s.lat) for s in sites]
    for p in doc.plans.values():
        for leg in p.legs:
            pts += [(float(x), float(y)) for x, y in leg.coords]
    a = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    return (
        float(a[:, 0].min()),
        float(a[:, 1].min()),
        float(a[:, 0].max()),
        float(a[:, 1].max()),
    )


def calibrated_field(doc: PlanDocument, inputs: MapInputs) -> RiskField:
    """
    The scenario's risk field with the plan's calibration scales.

    plan.json records the scales the planner used (``calibration.scale_ied``,
    ``scale_ambush``); applying them gives the raster the same units and numbers as
    the plan's risk along the route.
    """
    field = risk_field_from_events(
        inputs.events, inputs.risk, crs=inputs.crs, air_cover=inputs.air_cover
    )
    cal = doc.calibration
    return field.with_scales(float(cal.scale_ied), float(cal.scale_ambush))


def write_risk_raster(
    doc: PlanDocument,
    inputs: MapInputs,
    out_dir: Path,
    field: RiskField | None = None,
) -> Path:
    """
    risk.tif and risk.qml over the plan's area, in the field's (projected) CRS.

    The grid covers every route and site, padded by 25 km (see
    :func:`convoy.risk.field.raster_grid`), with the scenario's ``raster_cell_m``.
    """
    if field is None:
        field = calibrated_field(doc, inputs)
    west, south, east, north = plan_bounds_lonlat(doc, inputs.sites)
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", field.crs, always_xy=True)
    bounds = to_xy.transform_bounds(west, south, east, north, densify_pts=21)
    x0, y0, x1, y1 = (float(b) for b in bounds)
    summary = write_field_raster(
        out_dir / "risk.tif",
        field,
        (x0, y0, x1, y1),
        cell_m=float(inputs.risk.raster_cell_m),
        overwrite=True,
        tags={"scenario": doc.scenario.name},
    )
    return Path(summary.path)


def project_layers(
    out_dir: Path, gpkg_layers: list[str], raster: Path | None
) -> list[ProjectLayer]:
    """
    The project's layers, top first: the GeoPackage's, then one per raster band.

    Names, groups and temporal fields come from :data:`PROJECT_LAYERS` and
    :data:`RASTER_LAYERS`; a band the raster lacks is left out. Band 1 keeps the
    style of ``risk.qml``; any other band gets the same ramp, topped at the band's
    stored maximum.
    """
    gpkg = out_dir / "plan.gpkg"
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        qml = dict(
            con.execute(
                "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1"
            ).fetchall()
        )
    finally:
        con.close()
    layers = []
    for name in gpkg_layers:
        info = pyogrio.read_info(gpkg, layer=name)
        gtype = str(info["geometry_type"])
        bx0, by0, bx1, by1 = (float(v) for v in info["total_bounds"])
        shown, group, temporal, visible = PROJECT_LAYERS.get(
            name, (name, "", None, True)
        )
        layers.append(
            ProjectLayer(
                name=shown,
                source=f"./plan.gpkg|layername={name}",
                kind="vector",
                qml=qml[name],
                extent=(bx0, by0, bx1, by1),
                crs=str(info["crs"]),
                geometry=_GEOMETRY.get(gtype.replace(" Z", ""), "Line"),
                wkb_type=gtype.replace(" ", ""),
                group=group,
                temporal=temporal,
                visible=visible,
            )
        )
    if raster is not None:
        layers += raster_layers(raster)
    return layers


def raster_layers(raster: Path) -> list[ProjectLayer]:
    """One project layer per band of :data:`RASTER_LAYERS` that the raster has."""
    # imported here: rasterio takes a noticeable share of the command line's start-up,
    # and a plan without maps reads no raster
    import rasterio

    with rasterio.open(raster) as src:
        b = src.bounds
        crs = src.crs.to_string()
        count = src.count
        tops = [
            float(src.tags(i).get("STATISTICS_MAXIMUM", "1") or 1)
            for i in range(1, count + 1)
        ]
        labels = [src.tags(i).get("channel", "") for i in range(1, count + 1)]
    first = raster.with_suffix(".qml").read_text(encoding="utf-8")
    out = []
    for band, shown, group, visible in RASTER_LAYERS:
        if band > count:
            continue
        style = first
        if band > 1:
            style = risk_qml(tops[band - 1] or 1.0, band=band, label=labels[band - 1])
        out.append(
            ProjectLayer(
                name=shown,
                source=f"./{raster.name}",
                kind="raster",
                qml=style,
                extent=(b.left, b.bottom, b.right, b.top),
                crs=crs,
                group=group,
                visible=visible,
            )
        )
    return out


def march_table_rows(doc: PlanDocument) -> list[tuple[str, ...]]:
    """
    The layout's march table, one row per checkpoint in order of passing.

    Checkpoint, km, number of march units, the first head's arrival and the last
    tail's clearance as date-time groups (``DDHHMMZ``, UTC).
    """
    places: dict[str, list[Any]] = {}
    for r in doc.march_table:
        places.setdefault(r.checkpoint, []).append(r)
    return [
        (
            name,
            f"{float(rs[0].km):.1f}",
            str(len(rs)),
            dtg(min(r.head_arrival for r in rs), short=True),
            dtg(max(r.tail_clearance for r in rs), short=True),
        )
        for name, rs in places.items()
    ]


def time_range(doc: PlanDocument) -> tuple[str, str] | None:
    """First departure and last arrival of every plan, ISO 8601 UTC."""
    legs = [leg for k in doc.plan_keys() for leg in doc.plans[k].legs]
    if not legs:
        return None
    start = min(leg.depart for leg in legs)
    end = max(leg.arrive for leg in legs)
    return (iso(start), iso(end))


def write_maps(
    doc: PlanDocument,
    inputs: MapInputs,
    out_dir: str | Path,
    *,
    crs: str = "EPSG:4326",
    field: RiskField | None = None,
) -> list[Path]:
    """
    Write plan.gpkg, risk.tif (+ .qml), plan.qgz, report.html (+ PNGs), field exports.

    The field exports are plan.gpx, plan.kml, march_table.xlsx and loads.xlsx.

    Parameters
    ----------
    doc
        The plan document.
    inputs
        The scenario's records the maps draw (:func:`map_inputs`).
    out_dir
        Folder to write into (created if missing); files of these names are replaced.
    crs
        CRS of the GeoPackage layers and of the project (the raster stays in the
        field's projected CRS; QGIS reprojects it on the fly).
    field
        The calibrated :class:`convoy.risk.field.RiskField`, if the caller has it;
        otherwise built from the events and the plan's calibration scales.

    Returns
    -------
    list of Path
        Every file written.

    Raises
    ------
    ScenarioError
        If the plan names a site the scenario lacks or the CRS is unknown.

    Examples
    --------
    >>> write_maps(doc, map_inputs(scenario), "out")  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    layers = write_plan_gpkg(
        doc,
        inputs.sites,
        inputs.events,
        inputs.risk,
        out / "plan.gpkg",
        crs=crs,
        roads=inputs.roads,
    )
    raster = write_risk_raster(doc, inputs, out, field)
    title = doc.scenario.title or "convoy plan"
    project = write_qgis_project(
        out,
        project_layers(out, layers, raster),
        title=f"{title}: withdrawal plan",
        crs=crs,
        focus=FOCUS_LAYERS,
        time_range=time_range(doc),
        layout_html=march_table_html(march_table_rows(doc), LAYOUT_COLUMNS),
        group_order=GROUP_ORDER,
    )
    report = write_report(
        doc,
        inputs.sites,
        out,
        risk_tif=raster,
        diurnal_ied=inputs.risk.diurnal_ied,
    )
    charts = sorted(p for p in out.glob("*.png"))
    written = [out / "plan.gpkg", raster, raster.with_suffix(".qml"), project, report]
    written += [write_gpx(doc, out / GPX_FILE), write_kml(doc, out / KML_FILE)]
    written += write_xlsx_tables(doc, out)
    return written + [c for c in charts if c not in written]


#: Files of a plan folder that exporting never writes over.
PLAN_INPUTS: tuple[str, ...] = (
    "plan.json",
    "march_table.csv",
    "loads.csv",
    "left_behind.csv",
)


def changed_inputs(doc: PlanDocument) -> list[str]:
    """Scenario input files whose SHA-256 differs from the one plan.json records."""
    base = Path(doc.scenario.path)
    out = []
    for name, digest in sorted(doc.scenario.inputs.items()):
        f = base / name
        if not f.is_file() or file_sha256(f) != digest:
            out.append(name)
    return out


def export_plan_dir(
    plan_dir: str | Path,
    *,
    crs: str = "EPSG:4326",
    overwrite: bool = False,
    scenario: Scenario | None = None,
) -> list[Path]:
    """
    Rebuild a plan folder's maps and report from its plan.json.

    Everything is built in a staging folder beside ``plan_dir`` (in its parent, on
    the same file system) and switched into ``plan_dir`` at once only when all of it
    succeeded (:func:`convoy.outputs.write.staged_outputs`); plan.json and the CSV
    tables are never written. A plan.json that cannot be read (no plans, a mistyped
    field) stops the export before anything is built.

    Parameters
    ----------
    plan_dir
        A folder written by ``convoy plan``.
    crs
        CRS of the GeoPackage layers and the QGIS project.
    overwrite
        Replace map outputs that exist; otherwise an existing one is an error.
    scenario
        The scenario, if already loaded; otherwise read from the path plan.json names.

    Returns
    -------
    list of Path
        The files now in ``plan_dir``.

    Raises
    ------
    ScenarioError
        Bad plan.json or scenario.
    convoy._io.OutputExistsError
        An output exists and ``overwrite`` is false.

    Examples
    --------
    >>> export_plan_dir("runs/kidal-gao", overwrite=True)  # doctest: +SKIP
    """
    plan_dir = Path(plan_dir).resolve()
    doc = PlanDocument.read_folder(plan_dir)
    if not overwrite:
        existing = sorted(
            p.name
            for p in plan_dir.iterdir()
            if p.name in MAP_FILES or (p.suffix == ".png" and p.name in REPORT_CHARTS)
        )
        if existing:
            msg = (
                f"{plan_dir}: {', '.join(existing)} exist; pass --overwrite to "
                "replace them"
            )
            raise OutputExistsError(msg)
    changed = changed_inputs(doc)
    if changed:
        warnings.warn(
            f"{plan_dir / 'plan.json'}: scenario files changed since the plan was "
            f"made: {', '.join(changed)}; the maps show the files as they are now",
            DataQualityWarning,
            stacklevel=2,
        )
    if scenario is None:
        scenario = read_scenario(Path(doc.scenario.path))
    names = MAP_FILES + tuple(n for n in REPORT_CHARTS if n not in MAP_FILES)
    protect = scenario.files.inputs()
    with staged_outputs(
        plan_dir, names, overwrite=True, protect=protect, swap_folder=True
    ) as tmp:
        written = write_maps(doc, map_inputs(scenario), tmp, crs=crs)
        for path in written:
            if path.name in PLAN_INPUTS:
                msg = f"{plan_dir / path.name}: refusing to write over the plan's files"
                raise OutputExistsError(msg)
    return [plan_dir / path.name for path in written]

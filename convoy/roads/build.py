"""The road network built from line geometries: check, project, repair, snap sites.

:func:`build_road_network` takes a line layer already read (a GeoDataFrame; reading
files is :func:`convoy.io.roads.read_roads`'s job), checks its geometries and
coordinates, projects it to metres, nodes the lines where they cross or touch, joins
endpoints closer than ``snap_tolerance_m``, drops duplicate and zero-length pieces and
snaps the scenario's sites onto it (:mod:`convoy.roads.repair`,
:mod:`convoy.roads.snap`). Every fix is listed in ``RoadNetwork.repairs``.

Messages number a layer's features from 1, in file order.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from convoy._problems import Problems
from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.params import SURFACES, RoadParams
from convoy.roads.coordinates import coordinate_problems, utm_crs
from convoy.roads.network import FloatArray, IntArray, RoadNetwork
from convoy.roads.repair import (
    drop_bad_pieces,
    drop_unused_nodes,
    extend_dangles,
    join_ends,
    node_lines,
)
from convoy.roads.snap import Edges, NamedPoint, assemble, snap_sites

logger = logging.getLogger(__name__)

#: Values of a road layer's ``surface`` attribute and the surface each reads as.
#: convoy's own names plus the OpenStreetMap values common in the Sahel (OSM wiki,
#: ``Key:surface``). Matching ignores case and surrounding blanks.
SURFACE_ALIASES: dict[str, str] = {
    "paved": "paved",
    "asphalt": "paved",
    "concrete": "paved",
    "chipseal": "paved",
    "paving_stones": "paved",
    "laterite": "laterite",
    "unpaved": "laterite",
    "gravel": "laterite",
    "fine_gravel": "laterite",
    "compacted": "laterite",
    "dirt": "laterite",
    "track": "track",
    "ground": "track",
    "earth": "track",
    "sand": "sand",
}

#: OSM ``highway`` classes that read as paved when a road has no ``surface``: in
#: Mali the national routes (RN) mapped as trunk/primary are sealed.
PAVED_HIGHWAYS: frozenset[str] = frozenset(
    {"motorway", "trunk", "primary", "motorway_link", "trunk_link", "primary_link"}
)

_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


def _target_crs(gdf: gpd.GeoDataFrame, params: RoadParams) -> pyproj.CRS:
    """Projected metric CRS to work in: ``params.crs`` or the centroid's UTM zone."""
    if params.crs:
        try:
            crs = pyproj.CRS.from_user_input(params.crs)
        except pyproj.exceptions.CRSError:
            raise ScenarioError(
                Problem(
                    "",
                    "[roads]",
                    "crs",
                    "a CRS pyproj knows, e.g. 'EPSG:32631'",
                    repr(params.crs),
                )
            ) from None
    else:
        bounds = gdf.geometry.total_bounds
        if not gdf.crs.equals("EPSG:4326"):
            tr = pyproj.Transformer.from_crs(gdf.crs, "EPSG:4326", always_xy=True)
            bounds = np.asarray(tr.transform_bounds(*bounds))
        crs = utm_crs((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    units = {ax.unit_name for ax in crs.axis_info}
    if not crs.is_projected or units - {"metre"}:
        raise ScenarioError(
            Problem(
                "",
                "[roads]",
                "crs",
                "a projected CRS in metres",
                crs.to_string(),
            )
        )
    return crs


def _parse_maxspeed(value: Any) -> float:
    """A speed cap in km/h from an OSM-style ``maxspeed``; ``nan`` when not numeric."""
    if value is None:
        return math.nan
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else math.nan
    m = _MAXSPEED.match(str(value))
    if not m:
        return math.nan
    v = float(m.group(1))
    if m.group(2) and m.group(2).lower() == "mph":
        v *= 1.609344
    return v if v > 0 else math.nan


def _text(value: Any) -> str:
    """A layer attribute as stripped text; '' for null/NaN."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def _feature_label(names: Sequence[str], f: int) -> str:
    return f"feature {f + 1}" + (f" ({names[f]!r})" if names[f] else "")


def _layer_problems(
    gdf: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    names: Sequence[str],
    label: str,
) -> tuple[Problems, IntArray]:
    """
    Every problem with the features: geometry type, coordinates, surfaces.

    Returns
    -------
    problems
        The problems found, in feature order within each kind.
    surf_idx
        Each feature's surface index, -1 where it has no ``surface``.
    """
    problems = Problems(label)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    is_line = np.isin(shapely.get_type_id(geoms), (1, 5))  # (Multi)LineString
    for f in np.flatnonzero(~missing & ~is_line).tolist():
        problems.add(
            label,
            f"feature {f + 1}",
            "geometry",
            "a LineString or MultiLineString",
            geoms[f].geom_type,
        )
    coords, cidx = shapely.get_coordinates(geoms, return_index=True)
    problems.extend(
        coordinate_problems(
            coords,
            cidx,
            geographic=bool(gdf.crs.is_geographic),
            file=label,
            labels=names,
        )
    )
    surf_idx = np.full(len(gdf), -1, dtype=np.int64)
    if "surface" in gdf.columns:
        for f, raw in enumerate(gdf["surface"]):
            text = _text(raw).lower()
            if not text:
                continue
            if text not in SURFACE_ALIASES:
                problems.add(
                    label,
                    _feature_label(names, f),
                    "surface",
                    f"one of {sorted(SURFACE_ALIASES)}",
                    repr(_text(raw)),
                )
                continue
            surf_idx[f] = SURFACES.index(SURFACE_ALIASES[text])
    return problems, surf_idx


def _fill_surfaces(
    gdf: gpd.GeoDataFrame,
    surf_idx: IntArray,
    missing: NDArray[np.bool_],
    default_surface: str,
    repairs: list[str],
) -> None:
    """Give features without ``surface`` one: paved for main highways, else default."""
    num_features = len(gdf)
    no_surface = np.flatnonzero((surf_idx < 0) & ~missing)
    if not no_surface.size:
        return
    from_highway = 0
    if "highway" in gdf.columns:
        hw = gdf["highway"]
        for f in no_surface.tolist():
            if _text(hw.iloc[f]).lower() in PAVED_HIGHWAYS:
                surf_idx[f] = SURFACES.index("paved")
                from_highway += 1
    defaulted = int(no_surface.size - from_highway)
    text = f"{no_surface.size} of {num_features} features had no surface: "
    notes: list[str] = []
    if from_highway:
        notes.append(f"{from_highway} read as paved from highway=trunk/primary")
    if defaulted:
        notes.append(f"{defaulted} set to default_surface {default_surface!r}")
    repairs.append(text + "; ".join(notes))
    surf_idx[surf_idx < 0] = SURFACES.index(default_surface)


def _maxspeeds(gdf: gpd.GeoDataFrame, repairs: list[str]) -> FloatArray:
    """Each feature's speed cap in km/h; inf where there is none."""
    maxspeed = np.full(len(gdf), math.inf)
    if "maxspeed" in gdf.columns:
        unparsed = 0
        for f, raw in enumerate(gdf["maxspeed"]):
            if not _text(raw):
                continue
            cap = _parse_maxspeed(raw)
            if math.isnan(cap):
                unparsed += 1
            else:
                maxspeed[f] = cap
        if unparsed:
            repairs.append(
                f"ignored {unparsed} maxspeed values that are not a speed "
                "(no cap on those roads)"
            )
    return maxspeed


def _project_lines(
    gdf: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    missing: NDArray[np.bool_],
    crs: pyproj.CRS,
    label: str,
    repairs: list[str],
) -> tuple[NDArray[np.object_], IntArray]:
    """The features' lines in ``crs``, multi-lines exploded, with their feature."""
    types = shapely.get_type_id(geoms)
    keep = np.flatnonzero(~missing)
    projected = gpd.GeoSeries(geoms[keep], crs=gdf.crs).to_crs(crs).values
    parts, part_src = shapely.get_parts(
        np.asarray(projected, dtype=object), return_index=True
    )
    part_feature = keep[part_src]
    num_multi = int(np.sum(types[keep] == 5))
    if num_multi:
        repairs.append(
            f"exploded {num_multi} MultiLineStrings into "
            f"{int(np.isin(part_src, np.flatnonzero(types[keep] == 5)).sum())} lines"
        )
    parts = np.asarray(parts, dtype=object)
    ok = ~shapely.is_empty(parts)
    parts, part_feature = parts[ok], part_feature[ok]
    if parts.size == 0:
        raise GeodataError(
            Problem(
                label, "", "geometry", "at least one line", "no lines with coordinates"
            )
        )
    return parts, part_feature


def _feature_names(gdf: gpd.GeoDataFrame) -> list[str]:
    """Each feature's ``name``, else its ``ref``, else ''."""
    names = (
        [_text(v) for v in gdf["name"]] if "name" in gdf.columns else [""] * len(gdf)
    )
    if "ref" in gdf.columns:
        names = [n or _text(r) for n, r in zip(names, gdf["ref"], strict=True)]
    return names


def _prepared(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """The layer checked for a CRS and features, attribute names lower-cased."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = (
            f"{label}: expected a GeoDataFrame of lines, found {type(gdf).__name__} "
            "(read files with convoy.io.roads.read_roads)"
        )
        raise TypeError(msg)
    if gdf.crs is None:
        raise GeodataError(
            Problem(
                label, "", "crs", "a layer with a coordinate reference system", "none"
            )
        )
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        raise GeodataError(
            Problem(label, "", "", "at least one line feature", "an empty layer")
        )
    # attribute names are matched ignoring case (Shapefiles often capitalise them)
    lower = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    return gdf.rename(
        columns={
            lower[k]: k
            for k in ("surface", "highway", "maxspeed", "name", "ref")
            if k in lower
        }
    )


# --------------------------------------------------------------------------------------
# The builder


def build_road_network(
    gdf: gpd.GeoDataFrame,
    *,
    params: RoadParams | None = None,
    sites: Sequence[NamedPoint] = (),
    label: str = "roads",
    sites_label: str = "sites",
) -> RoadNetwork:
    """
    Build a routable network from a line layer.

    Parameters
    ----------
    gdf
        The lines: LineString or MultiLineString features with a CRS (read from a
        file by :func:`convoy.io.roads.read_roads`). Attributes used when present,
        matched ignoring case: ``surface``, ``highway``, ``maxspeed`` (km/h, or
        ``"30 mph"``), ``name``, ``ref``.
    params
        Snap tolerance, default surface and working CRS; defaults as
        :class:`~convoy.params.RoadParams`.
    sites
        Sites to snap onto the network. A site lying along an edge splits it so
        that it gets its own node; a site within ``snap_tolerance_m`` of a node
        takes that node.
    label
        How to name the layer in messages.
    sites_label
        How to name the sites' file in messages.

    Returns
    -------
    RoadNetwork
        In the metric CRS, with every fix listed in ``repairs``.

    Raises
    ------
    GeodataError
        No CRS, an empty layer, non-line geometry, NaN or out of range or swapped
        coordinates (each named by feature); a site whose coordinates look swapped
        (far from every road, near one once swapped); a site farther than
        ``max_snap_m`` from every road (site and distance named).
    ScenarioError
        An unknown ``surface`` value (feature, value and the allowed values named),
        or a ``[roads] crs`` that is not a projected metric CRS.

    Warns
    -----
    DataQualityWarning
        A site farther than ``site_snap_warn_m`` from the road.

    Examples
    --------
    >>> net = build_road_network(gdf, sites=sites)  # doctest: +SKIP
    >>> round(net.surface_km()["paved"], 1)  # doctest: +SKIP
    182.4
    """
    params = params or RoadParams()
    gdf = _prepared(gdf, label)
    num_features = len(gdf)
    repairs: list[str] = []
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    names = _feature_names(gdf)
    t0 = time.perf_counter()

    # 1. geometry types, coordinates and attributes, every problem collected
    problems, surf_idx = _layer_problems(gdf, geoms, names, label)
    problems.raise_if_any(geodata_files=[label])
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    _fill_surfaces(gdf, surf_idx, missing, params.default_surface, repairs)
    maxspeed = _maxspeeds(gdf, repairs)
    if missing.any():
        repairs.append(f"dropped {int(missing.sum())} features without geometry")

    # 2. project to metres, explode multi-lines, repair
    crs = _target_crs(gdf, params)
    parts, part_feature = _project_lines(gdf, geoms, missing, crs, label, repairs)
    parts = extend_dangles(parts, params.snap_tolerance_m, repairs)
    noded, piece_feature = node_lines(parts, part_feature, repairs)
    node_xy, u, v, geom = join_ends(noded, params.snap_tolerance_m, repairs)
    sel = drop_bad_pieces(u, v, geom, params.snap_tolerance_m, repairs)
    u, v, geom, piece_feature = u[sel], v[sel], geom[sel], piece_feature[sel]
    node_xy, u, v = drop_unused_nodes(node_xy, u, v)
    edges = Edges(
        u=list(u.tolist()),
        v=list(v.tolist()),
        geom=list(geom),
        surface=list(surf_idx[piece_feature].tolist()),
        maxspeed=list(maxspeed[piece_feature].tolist()),
        name=[names[f] for f in piece_feature],
        node_xy=[tuple(p) for p in node_xy.tolist()],
    )

    # 3. sites
    site_node, site_snap = snap_sites(
        edges, sites, crs, params, label, sites_label, repairs
    )
    net = assemble(crs, edges, site_node, site_snap, repairs)
    logger.info(
        "%s: %d features -> %d nodes, %d edges, %.1f km in %s (%.2f s)",
        label,
        num_features,
        net.num_nodes,
        net.num_edges,
        float(net.edge_length_m.sum()) / 1000.0,
        crs.to_string(),
        time.perf_counter() - t0,
    )
    for r in repairs:
        logger.debug("%s: %s", label, r)
    return net


#: The name callers used before the builder stopped reading files.
road_network_from_layer = build_road_network

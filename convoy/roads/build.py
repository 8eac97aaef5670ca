"""The road network: a line layer turned into a routable, undirected graph.

:func:`road_network_from_layer` reads any line layer GeoPandas can read (GeoJSON,
GeoPackage, Shapefile, an OpenStreetMap extract exported to one of these), checks its
coordinates, projects it to metres, nodes the lines where they cross or touch, joins
endpoints closer than ``snap_tolerance_m``, drops duplicate and zero-length pieces and
snaps the scenario's sites onto it. Every fix is listed in ``RoadNetwork.repairs``.

The result, :class:`RoadNetwork`, holds arrays only (no Python object per node or
edge): node coordinates, edge endpoints, lengths, surfaces, speed caps, and a CSR
adjacency in which each undirected edge appears in both directions. Shortest paths
use :mod:`scipy.sparse.csgraph`.

Messages number a layer's features from 1, in file order, as :mod:`convoy.events`
does.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
import shapely.ops
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from convoy.errors import (
    DataQualityWarning,
    GeodataError,
    Problem,
    ScenarioError,
)
from convoy.params import SURFACES, RoadParams
from convoy.roads.network import FloatArray, IntArray, RoadNetwork

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    import geopandas as gpd

    from convoy.scenario import Site

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

#: Problems listed one by one before the rest are summarised in one line.
MAX_LISTED_PROBLEMS = 25

_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)

# --------------------------------------------------------------------------------------
# Coordinate checks shared with the sites layer


def coordinate_problems(
    xy: FloatArray,
    feature_idx: IntArray,
    *,
    geographic: bool,
    file: str,
    labels: Sequence[str] | None = None,
) -> list[Problem]:
    """
    Problems with a layer's coordinates: NaN/inf, out of range, swapped.

    Parameters
    ----------
    xy
        (M, 2) vertex coordinates in the layer's own CRS.
    feature_idx
        (M,) 0-based feature of each vertex; messages number features from 1.
    geographic
        True if the layer's CRS is in degrees (x longitude, y latitude).
    file
        The file, as the user named it, for messages.
    labels
        Optional text per feature added to ``"feature i"``, e.g. a name.

    Returns
    -------
    problems
        At most one per feature, in feature order.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    x, y = xy[:, 0], xy[:, 1]
    finite = np.isfinite(xy).all(axis=1)
    bad = ~finite
    kind = np.zeros(xy.shape[0], dtype=np.int64)  # 1 non-finite, 2 swapped, 3 range
    kind[bad] = 1
    if geographic:
        with np.errstate(invalid="ignore"):
            out_y = finite & (np.abs(y) > 90)
            out_x = finite & (np.abs(x) > 180)
            swapped = out_y & (np.abs(x) <= 90)
        kind[(out_y | out_x) & (kind == 0)] = 3
        kind[swapped] = 2
    problems: list[Problem] = []
    seen: set[int] = set()
    for i in np.flatnonzero(kind):
        f = int(feature_idx[i])
        if f in seen:
            continue
        seen.add(f)
        where = f"feature {f + 1}"
        if labels is not None and labels[f]:
            where += f" ({labels[f]!r})"
        found = f"({x[i]:g}, {y[i]:g})"
        if kind[i] == 1:
            problems.append(
                Problem(file, where, "geometry", "finite coordinates", found)
            )
        elif kind[i] == 2:
            problems.append(
                Problem(
                    file,
                    where,
                    "geometry",
                    "a latitude in [-90, 90] (x, y must be longitude, latitude; "
                    "these look swapped)",
                    found,
                )
            )
        else:
            problems.append(
                Problem(
                    file,
                    where,
                    "geometry",
                    "longitude in [-180, 180] and latitude in [-90, 90] (the layer's "
                    "CRS is in degrees; are the coordinates projected?)",
                    found,
                )
            )
    return problems


def cap_problems(problems: list[Problem], file: str) -> list[Problem]:
    """The first :data:`MAX_LISTED_PROBLEMS` problems and one line counting the rest."""
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    rest = len(problems) - MAX_LISTED_PROBLEMS
    return [
        *problems[:MAX_LISTED_PROBLEMS],
        Problem(file, "", "", "", f"{rest} more problems like these"),
    ]


def read_layer(path: Path, label: str) -> gpd.GeoDataFrame:
    """
    Read a vector layer with pyogrio; every failure is a GeodataError naming it.

    Raises
    ------
    GeodataError
        If the file is missing, empty, unreadable, or the layer has no CRS.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise GeodataError(Problem(label, "", "", "an existing file", "no such file"))
    if path.is_file() and path.stat().st_size == 0:
        raise GeodataError(Problem(label, "", "", "a vector layer", "an empty file"))
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        first = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise GeodataError(
            Problem(
                label,
                "",
                "",
                "a vector layer GDAL can read (GeoJSON, GeoPackage, Shapefile)",
                first,
            )
        ) from None
    if gdf.crs is None:
        raise GeodataError(
            Problem(
                label,
                "",
                "crs",
                "a layer with a coordinate reference system (e.g. EPSG:4326; a "
                "Shapefile needs its .prj)",
                "none",
            )
        )
    return gdf


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """
    The WGS 84 / UTM zone CRS of a point, in metres.

    The plain 6-degree zones (EPSG:326zz north of the equator, 327zz south); the
    Norway and Svalbard exceptions are not applied.

    Examples
    --------
    >>> utm_crs(1.4, 18.4).to_epsg()  # Kidal
    32631
    """
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


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


# --------------------------------------------------------------------------------------
# The builder


def road_network_from_layer(
    source: str | Path | gpd.GeoDataFrame,
    *,
    params: RoadParams | None = None,
    sites: Sequence[Site] = (),
    label: str | None = None,
    sites_label: str | None = None,
) -> RoadNetwork:
    """
    Build a routable network from a line layer.

    Parameters
    ----------
    source
        A path to a line layer (GeoJSON, GeoPackage, Shapefile; LineString or
        MultiLineString features with a CRS), or a GeoDataFrame of lines.
        Attributes used when present: ``surface``, ``highway``, ``maxspeed``
        (km/h, or ``"30 mph"``), ``name``, ``ref``.
    params
        Snap tolerance, default surface and working CRS; defaults as
        :class:`~convoy.params.RoadParams`.
    sites
        Sites to snap onto the network. A site lying along an edge splits it so
        that it gets its own node; a site within ``snap_tolerance_m`` of a node
        takes that node.
    label
        How to name the layer in messages (default: the path, or ``"roads"``).
    sites_label
        How to name the sites' file in messages (default ``"sites"``).

    Returns
    -------
    RoadNetwork
        In the metric CRS, with every fix listed in ``repairs``.

    Raises
    ------
    GeodataError
        Missing/unreadable/empty layer, no CRS, non-line geometry, NaN or out of
        range or swapped coordinates (each named by feature); a site whose
        coordinates look swapped (far from every road, near one once swapped).
    ScenarioError
        An unknown ``surface`` value (feature, value and the allowed values named),
        or a ``[roads] crs`` that is not a projected metric CRS.

    Warns
    -----
    DataQualityWarning
        A site farther than ``site_snap_warn_m`` from the road.

    Examples
    --------
    >>> net = road_network_from_layer("roads.geojson", sites=sites)  # doctest: +SKIP
    >>> round(net.surface_km()["paved"], 1)  # doctest: +SKIP
    182.4
    """
    import geopandas as gpd

    params = params or RoadParams()
    if isinstance(source, gpd.GeoDataFrame):
        label = label or "roads"
        gdf = source
        if gdf.crs is None:
            raise GeodataError(
                Problem(
                    label,
                    "",
                    "crs",
                    "a layer with a coordinate reference system",
                    "none",
                )
            )
    else:
        label = label or str(source)
        gdf = read_layer(Path(source), label)
    repairs: list[str] = []
    gdf = gdf.reset_index(drop=True)
    num_features = len(gdf)
    if num_features == 0:
        raise GeodataError(
            Problem(label, "", "", "at least one line feature", "an empty layer")
        )
    # attribute names are matched ignoring case (Shapefiles often capitalise them)
    lower = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    gdf = gdf.rename(
        columns={
            lower[k]: k
            for k in ("surface", "highway", "maxspeed", "name", "ref")
            if k in lower
        }
    )
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    names = (
        [_text(v) for v in gdf["name"]]
        if "name" in gdf.columns
        else [""] * num_features
    )
    if "ref" in gdf.columns:
        names = [n or _text(r) for n, r in zip(names, gdf["ref"], strict=True)]

    t0 = time.perf_counter()

    # 1. geometry types and coordinates, every problem collected
    problems: list[Problem] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    is_line = np.isin(types, (1, 5))  # LineString, MultiLineString
    for f in np.flatnonzero(~missing & ~is_line).tolist():
        problems.append(
            Problem(
                label,
                f"feature {f + 1}",
                "geometry",
                "a LineString or MultiLineString",
                geoms[f].geom_type,
            )
        )
    coords, cidx = shapely.get_coordinates(geoms, return_index=True)
    problems += coordinate_problems(
        coords, cidx, geographic=bool(gdf.crs.is_geographic), file=label, labels=names
    )

    # 2. attributes
    surf_idx = np.full(num_features, -1, dtype=np.int64)
    if "surface" in gdf.columns:
        for f, raw in enumerate(gdf["surface"]):
            text = _text(raw).lower()
            if not text:
                continue
            if text not in SURFACE_ALIASES:
                problems.append(
                    Problem(
                        label,
                        f"feature {f + 1}" + (f" ({names[f]!r})" if names[f] else ""),
                        "surface",
                        f"one of {sorted(SURFACE_ALIASES)}",
                        repr(_text(raw)),
                    )
                )
                continue
            surf_idx[f] = SURFACES.index(SURFACE_ALIASES[text])
    if problems:
        raise GeodataError(cap_problems(problems, label))
    no_surface = np.flatnonzero((surf_idx < 0) & ~missing)
    if no_surface.size:
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
            notes.append(
                f"{defaulted} set to default_surface {params.default_surface!r}"
            )
        repairs.append(text + "; ".join(notes))
        surf_idx[surf_idx < 0] = SURFACES.index(params.default_surface)
    maxspeed = np.full(num_features, math.inf)
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
    if missing.any():
        repairs.append(f"dropped {int(missing.sum())} features without geometry")

    # 3. project to metres, explode multi-lines
    crs = _target_crs(gdf, params)
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

    parts, num_extended = _extend_dangles(parts, max(params.snap_tolerance_m, 0.0))
    if num_extended:
        repairs.append(
            f"extended {num_extended} line ends that stopped short of another road "
            f"(by less than {params.snap_tolerance_m:g} m) to meet it"
        )

    # 4. node: split where lines cross or touch; overlapping stretches become one
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    noded = np.asarray(noded, dtype=object)
    if noded.size != parts.size:
        repairs.append(
            f"split {parts.size} lines into {noded.size} pieces where they "
            "cross or touch"
        )
    tree = shapely.STRtree(parts)
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    src_of = tree.query_nearest(mids, all_matches=False)[1]
    covers = tree.query(mids, predicate="dwithin", distance=1e-6)
    multiplicity = np.bincount(covers[0], minlength=noded.size)
    if (multiplicity > 1).any():
        repairs.append(
            f"merged {int((multiplicity > 1).sum())} pieces where lines overlap "
            "or repeat"
        )
    piece_feature = part_feature[src_of]

    # 5. join endpoints within the snap tolerance into one node
    starts = shapely.get_coordinates(shapely.get_point(noded, 0))
    ends = shapely.get_coordinates(shapely.get_point(noded, -1))
    pts = np.concatenate([starts, ends])
    tol = max(params.snap_tolerance_m, 1e-6)
    pairs = cKDTree(pts).query_pairs(tol, output_type="ndarray")
    n_pts = pts.shape[0]
    adj = sparse.coo_matrix(
        (np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n_pts, n_pts)
    )
    _, cluster = csgraph.connected_components(adj, directed=False)
    node_xy, node_of_pt = _cluster_points(pts, cluster)
    num_distinct = np.unique(pts, axis=0).shape[0]
    if node_xy.shape[0] < num_distinct:
        repairs.append(
            f"joined {num_distinct} line ends into {node_xy.shape[0]} nodes "
            f"(ends closer than {params.snap_tolerance_m:g} m)"
        )
    u = node_of_pt[: noded.size]
    v = node_of_pt[noded.size :]
    geom = _set_ends(noded, node_xy[u], node_xy[v])
    length = shapely.length(geom)

    # 6. drop zero-length pieces, loops and duplicates
    zero = (u == v) & (length <= tol * 2)
    loop = (u == v) & ~zero
    if zero.any():
        repairs.append(
            f"dropped {int(zero.sum())} zero-length pieces (shorter than the "
            "snap tolerance)"
        )
    if loop.any():
        repairs.append(f"dropped {int(loop.sum())} loops that return to their own node")
    keep_e = ~(zero | loop)
    dup = _duplicates(u, v, length, geom, keep_e, tol)
    if dup.any():
        repairs.append(
            f"dropped {int(dup.sum())} duplicate pieces joining the same nodes"
        )
    keep_e &= ~dup
    sel = np.flatnonzero(keep_e)
    u, v, geom, length = u[sel], v[sel], geom[sel], length[sel]
    piece_feature = piece_feature[sel]

    # unused nodes (only on dropped pieces) are removed
    used = np.zeros(node_xy.shape[0], dtype=bool)
    used[u] = True
    used[v] = True
    remap = np.cumsum(used) - 1
    node_xy = node_xy[used]
    u, v = remap[u], remap[v]

    edges = _Edges(
        u=list(u.tolist()),
        v=list(v.tolist()),
        geom=list(geom),
        surface=list(surf_idx[piece_feature].tolist()),
        maxspeed=list(maxspeed[piece_feature].tolist()),
        name=[names[f] for f in piece_feature],
        node_xy=[tuple(p) for p in node_xy.tolist()],
    )

    # 7. sites
    site_node, site_snap = _snap_sites(
        edges, sites, crs, params, label, sites_label or "sites", repairs
    )

    net = _assemble(crs, edges, site_node, site_snap, repairs)
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


@dataclass
class _Edges:
    """Edge lists while the network is being built (sites may still split edges)."""

    u: list[int]
    v: list[int]
    geom: list[Any]
    surface: list[int]
    maxspeed: list[float]
    name: list[str]
    node_xy: list[tuple[float, float]]


def _extend_dangles(
    parts: NDArray[np.object_], tol: float
) -> tuple[NDArray[np.object_], int]:
    """
    Extend line ends that stop short of another line (an undershot junction).

    An end is extended when another line passes within ``tol`` of it but no other
    line end does (ends near each other are joined later, as nodes) and it does not
    already touch a line. The end is prolonged straight to the nearest point of
    that line, and that point becomes a vertex of the line too, so that the noder
    splits both there exactly.

    Returns
    -------
    parts
        The lines, extended where needed (a new array; the input is not changed).
    num_extended
        How many ends were extended.
    """
    if tol <= 0 or parts.size < 2:
        return parts, 0
    starts = shapely.get_point(parts, 0)
    ends = shapely.get_point(parts, -1)
    pts = np.concatenate([starts, ends])
    owner = np.concatenate([np.arange(parts.size), np.arange(parts.size)])
    xy = shapely.get_coordinates(pts)
    # ends with another line's end nearby are left to the node joining
    pairs = cKDTree(xy).query_pairs(tol, output_type="ndarray")
    near_end = np.zeros(pts.size, dtype=bool)
    if pairs.size:
        other = owner[pairs[:, 0]] != owner[pairs[:, 1]]
        near_end[pairs[other, 0]] = True
        near_end[pairs[other, 1]] = True
    tree = shapely.STRtree(parts)
    pt_idx, line_idx = tree.query(pts, predicate="dwithin", distance=tol)
    keep = (owner[pt_idx] != line_idx) & ~near_end[pt_idx]
    pt_idx, line_idx = pt_idx[keep], line_idx[keep]
    if pt_idx.size == 0:
        return parts, 0
    dist = shapely.distance(pts[pt_idx], parts[line_idx])
    touching = np.zeros(pts.size, dtype=bool)
    touching[pt_idx[dist == 0]] = True
    best: dict[int, tuple[float, int]] = {}
    for p, ln, d in zip(pt_idx.tolist(), line_idx.tolist(), dist.tolist(), strict=True):
        if not touching[p] and (p not in best or d < best[p][0]):
            best[p] = (d, ln)
    if not best:
        return parts, 0
    out = parts.copy()
    for p in sorted(best):
        _, ln = best[p]
        target = shapely.get_coordinates(shapely.shortest_line(pts[p], out[ln]))[-1]
        out[ln] = _insert_vertex(out[ln], target)
        i = int(owner[p])
        coords = shapely.get_coordinates(out[i])
        if p < parts.size:
            coords = np.vstack([target, coords])
        else:
            coords = np.vstack([coords, target])
        out[i] = shapely.linestrings(coords)
    return out, len(best)


def _insert_vertex(line: shapely.LineString, xy: FloatArray) -> shapely.LineString:
    """The line with ``xy`` (a point on or next to it) added as a vertex in place."""
    coords = shapely.get_coordinates(line)
    seg = np.diff(coords, axis=0)
    rel = xy - coords[:-1]
    seg_len2 = np.einsum("ij,ij->i", seg, seg)
    t = np.clip(
        np.einsum("ij,ij->i", rel, seg) / np.where(seg_len2 > 0, seg_len2, 1), 0.0, 1.0
    )
    foot = coords[:-1] + seg * t[:, None]
    k = int(np.argmin(np.einsum("ij,ij->i", foot - xy, foot - xy)))
    if np.any(np.all(coords == xy, axis=1)):
        return line
    return shapely.linestrings(np.vstack([coords[: k + 1], xy, coords[k + 1 :]]))


def _cluster_points(pts: FloatArray, cluster: IntArray) -> tuple[FloatArray, IntArray]:
    """
    One node per cluster of line ends, numbered by first appearance.

    The node sits on the cluster's most repeated point (a junction where several
    lines meet stays put when a stray end is joined to it), else on the first one.
    """
    _, first_idx, inverse = np.unique(cluster, return_index=True, return_inverse=True)
    order = np.argsort(first_idx, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    node_of_pt = rank[inverse].astype(np.int64)
    node_xy = pts[first_idx[order]].copy()
    sizes = np.bincount(node_of_pt)
    for k in np.flatnonzero(sizes > 1):
        members = pts[node_of_pt == k]
        uniq, counts = np.unique(members, axis=0, return_counts=True)
        if uniq.shape[0] > 1:
            best = uniq[np.argmax(counts)] if counts.max() > 1 else members[0]
            node_xy[k] = best
    return node_xy, node_of_pt


def _set_ends(
    lines: NDArray[np.object_], start: FloatArray, end: FloatArray
) -> NDArray[np.object_]:
    """The lines with their first and last vertices moved onto the given points."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    counts = np.bincount(idx, minlength=lines.shape[0])
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    coords[first] = start
    coords[last] = end
    out: NDArray[np.object_] = np.asarray(
        shapely.linestrings(coords, indices=idx), dtype=object
    )
    return out


def _duplicates(
    u: IntArray,
    v: IntArray,
    length: FloatArray,
    geom: NDArray[np.object_],
    keep: NDArray[np.bool_],
    tol: float,
) -> NDArray[np.bool_]:
    """Pieces that repeat an earlier one between the same nodes (within ``tol``)."""
    dup = np.zeros(u.shape[0], dtype=bool)
    a, b = np.minimum(u, v), np.maximum(u, v)
    cand = np.flatnonzero(keep)
    order = cand[np.lexsort((cand, b[cand], a[cand]))]
    for i in range(1, order.shape[0]):
        j = order[i]
        k = i - 1
        while k >= 0 and a[order[k]] == a[j] and b[order[k]] == b[j]:
            p = order[k]
            if (
                not dup[p]
                and abs(length[p] - length[j]) <= tol
                and shapely.hausdorff_distance(geom[p], geom[j]) <= tol
            ):
                dup[j] = True
                break
            k -= 1
    return dup


def _check_swapped_sites(
    tree: shapely.STRtree,
    sites: Sequence[Site],
    tr: pyproj.Transformer,
    params: RoadParams,
    sites_label: str,
) -> None:
    """
    Refuse sites whose latitude and longitude look swapped.

    In much of the world swapped coordinates are still in range (Kidal at 1.4 E,
    18.4 N swapped is in the Gulf of Guinea), so range checks cannot see them. A
    site far from every road whose swapped position is near one is taken as
    swapped.
    """
    with np.errstate(invalid="ignore"):
        x, y = tr.transform([s.lon for s in sites], [s.lat for s in sites])
        xs, ys = tr.transform([s.lat for s in sites], [s.lon for s in sites])
    near = params.site_snap_warn_m
    d = tree.query_nearest(
        shapely.points(np.column_stack([x, y])), return_distance=True, all_matches=False
    )[1]
    problems = []
    for i in np.flatnonzero(d > near).tolist():
        ps = shapely.points(xs[i], ys[i])
        if not np.isfinite([xs[i], ys[i]]).all():
            continue
        ds = tree.query_nearest(ps, return_distance=True, all_matches=False)[1][0]
        if ds <= near:
            site = sites[i]
            problems.append(
                Problem(
                    sites_label,
                    f"site {site.name!r}",
                    "geometry",
                    f"longitude, latitude (as given it is {d[i] / 1000:.0f} km from "
                    f"the nearest road, swapped {ds / 1000:.1f} km: they look swapped)",
                    f"({site.lon:g}, {site.lat:g})",
                )
            )
    if problems:
        raise GeodataError(problems)


def _snap_sites(
    edges: _Edges,
    sites: Sequence[Site],
    crs: pyproj.CRS,
    params: RoadParams,
    label: str,
    sites_label: str,
    repairs: list[str],
) -> tuple[dict[str, int], dict[str, float]]:
    """Give every site a node: the nearest road point, splitting an edge if needed."""
    site_node: dict[str, int] = {}
    site_snap: dict[str, float] = {}
    if not sites:
        return site_node, site_snap
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    tol = params.snap_tolerance_m
    tree = shapely.STRtree(edges.geom)
    _check_swapped_sites(tree, sites, tr, params, sites_label)
    split = 0
    for site in sites:
        x, y = tr.transform(site.lon, site.lat)
        p = shapely.Point(x, y)
        e = int(tree.query_nearest(p, all_matches=False)[0])
        line = edges.geom[e]
        along = float(line.project(p))
        total = float(line.length)
        if along <= tol or total - along <= tol:
            ends = (edges.u[e], edges.v[e])
            d = [math.dist((x, y), edges.node_xy[n]) for n in ends]
            node = ends[int(np.argmin(d))]
        else:
            node = len(edges.node_xy)
            q = line.interpolate(along)
            edges.node_xy.append((q.x, q.y))
            first = shapely.ops.substring(line, 0.0, along)
            second = shapely.ops.substring(line, along, total)
            first = _set_ends(
                np.array([first], dtype=object),
                np.array([edges.node_xy[edges.u[e]]]),
                np.array([[q.x, q.y]]),
            )[0]
            second = _set_ends(
                np.array([second], dtype=object),
                np.array([[q.x, q.y]]),
                np.array([edges.node_xy[edges.v[e]]]),
            )[0]
            old_v = edges.v[e]
            edges.v[e] = node
            edges.geom[e] = first
            edges.u.append(node)
            edges.v.append(old_v)
            edges.geom.append(second)
            edges.surface.append(edges.surface[e])
            edges.maxspeed.append(edges.maxspeed[e])
            edges.name.append(edges.name[e])
            tree = shapely.STRtree(edges.geom)
            split += 1
        dist = math.dist((x, y), edges.node_xy[node])
        site_node[site.name] = int(node)
        site_snap[site.name] = dist
        if dist > params.site_snap_warn_m:
            warnings.warn(
                f"{label}: site {site.name!r} is {dist / 1000:.1f} km from the nearest "
                f"road (more than site_snap_warn_m = {params.site_snap_warn_m:g} m); "
                "it is snapped there anyway",
                DataQualityWarning,
                stacklevel=3,
            )
    far = max(site_snap.values())
    repairs.append(
        f"snapped {len(site_node)} sites to the road (farthest "
        f"{far:.0f} m away); {split} edge{'' if split == 1 else 's'} split to give "
        "sites a node"
    )
    return site_node, site_snap


def _assemble(
    crs: pyproj.CRS,
    edges: _Edges,
    site_node: dict[str, int],
    site_snap: dict[str, float],
    repairs: list[str],
) -> RoadNetwork:
    """Freeze edge lists into the array-only :class:`RoadNetwork` with CSR adjacency."""
    u = np.ascontiguousarray(edges.u, dtype=np.int64)
    v = np.ascontiguousarray(edges.v, dtype=np.int64)
    n = len(edges.node_xy)
    geom = np.empty(len(edges.geom), dtype=object)
    geom[:] = edges.geom
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    eid = np.concatenate([np.arange(u.shape[0]), np.arange(u.shape[0])]).astype(
        np.int64
    )
    order = np.lexsort((eid, dst, src))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return RoadNetwork(
        crs=crs,
        node_xy=np.ascontiguousarray(edges.node_xy, dtype=np.float64).reshape(n, 2),
        edge_u=u,
        edge_v=v,
        edge_length_m=np.ascontiguousarray(shapely.length(geom), dtype=np.float64),
        edge_surface=np.ascontiguousarray(edges.surface, dtype=np.int64),
        edge_maxspeed_kph=np.ascontiguousarray(edges.maxspeed, dtype=np.float64),
        edge_name=tuple(edges.name),
        edge_geometry=geom,
        indptr=indptr,
        indices=np.ascontiguousarray(dst[order], dtype=np.int64),
        adj_edge=np.ascontiguousarray(eid[order], dtype=np.int64),
        site_node=site_node,
        site_snap_m=site_snap,
        repairs=tuple(repairs),
    )

"""Sites onto the road, and the finished network: snap, split edges, build the CSR.

:func:`snap_sites` gives every site a node (the nearest road point, splitting an edge
when the site lies along it) and refuses sites whose coordinates look swapped;
:func:`assemble` freezes the edge lists into the array-only
:class:`~convoy.roads.network.RoadNetwork`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyproj
import shapely
import shapely.ops

from convoy.errors import DataQualityWarning, GeodataError, Problem
from convoy.params import RoadParams
from convoy.roads.network import RoadNetwork
from convoy.roads.repair import set_ends


class NamedPoint(Protocol):
    """What the builder needs of a site: a name and WGS 84 degrees."""

    @property
    def name(self) -> str:
        """The site's name."""

    @property
    def lon(self) -> float:
        """Longitude, degrees."""

    @property
    def lat(self) -> float:
        """Latitude, degrees."""


@dataclass
class Edges:
    """Edge lists while the network is being built (sites may still split edges)."""

    u: list[int]
    v: list[int]
    geom: list[Any]
    surface: list[int]
    maxspeed: list[float]
    name: list[str]
    node_xy: list[tuple[float, float]]


def _check_swapped_sites(
    tree: shapely.STRtree,
    sites: Sequence[NamedPoint],
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


def snap_sites(
    edges: Edges,
    sites: Sequence[NamedPoint],
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
    far_sites: list[Problem] = []
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
            first = set_ends(
                np.array([first], dtype=object),
                np.array([edges.node_xy[edges.u[e]]]),
                np.array([[q.x, q.y]]),
            )[0]
            second = set_ends(
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
        if dist > params.max_snap_m:
            far_sites.append(
                Problem(
                    sites_label,
                    f"site {site.name!r}",
                    "geometry",
                    f"a site within [roads] max_snap_m = {params.max_snap_m:g} m of "
                    f"a road of {label}",
                    f"{dist / 1000:.1f} km from the nearest road",
                )
            )
            continue
        if dist > params.site_snap_warn_m:
            warnings.warn(
                f"{label}: site {site.name!r} is {dist / 1000:.1f} km from the nearest "
                f"road (more than site_snap_warn_m = {params.site_snap_warn_m:g} m); "
                "it is snapped there anyway",
                DataQualityWarning,
                stacklevel=3,
            )
    if far_sites:
        raise GeodataError(far_sites)
    far = max(site_snap.values())
    repairs.append(
        f"snapped {len(site_node)} sites to the road (farthest "
        f"{far:.0f} m away); {split} edge{'' if split == 1 else 's'} split to give "
        "sites a node"
    )
    return site_node, site_snap


def assemble(
    crs: pyproj.CRS,
    edges: Edges,
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

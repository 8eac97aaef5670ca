"""Reading the sites point layer into :class:`~convoy.scenario.Site` records.

The layer is read by :func:`convoy.io.layers.read_layer`; features are numbered from
1, in file order, and a feature's name is added to its place in messages
(``feature 3 ('Wells')``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from convoy._problems import Problems
from convoy.errors import ScenarioError
from convoy.io.files import label_of
from convoy.io.layers import read_layer
from convoy.io.tables import describe_header
from convoy.params import RoadParams
from convoy.roads.coordinates import coordinate_problems, utm_crs
from convoy.scenario import Site


def cell_text(value: Any) -> str:
    """An attribute as stripped text; '' for null/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _feature(f: int, name: str) -> str:
    return f"feature {f + 1}" + (f" ({name!r})" if name else "")


def _point_problems(
    gdf: gpd.GeoDataFrame, names: list[str], label: str, problems: Problems
) -> NDArray[np.bool_]:
    """Record every feature that is not a sound point; True where it is."""
    geoms = gdf.geometry.values
    ok = np.ones(len(gdf), dtype=bool)
    for f, g in enumerate(geoms):
        if g is None or g.is_empty:
            problems.add(
                label, _feature(f, names[f]), "geometry", "a point", "no geometry"
            )
            ok[f] = False
        elif g.geom_type != "Point":
            problems.add(
                label, _feature(f, names[f]), "geometry", "a point", g.geom_type
            )
            ok[f] = False
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    coord = coordinate_problems(
        xy, idx, geographic=bool(gdf.crs.is_geographic), file=label, labels=names
    )
    for p in coord:
        ok[int(p.where.split()[1]) - 1] = False
    problems.extend(coord)
    return ok


def read_sites(
    path: Path, problems: Problems, unreadable: set[str], *, layer: str = ""
) -> list[tuple[str, Site]]:
    """
    The sites that load, each with its feature; every bad feature is a problem.

    Parameters
    ----------
    path
        The point layer, with ``name`` and ``kind`` attributes (any case).
    problems
        Where problems are recorded.
    unreadable
        Filled with the names of sites in the layer that could not be loaded, so
        that references to them are not reported again.
    layer
        The layer of a multi-layer file (a GeoPackage's table); empty: the first.

    Returns
    -------
    list of (str, Site)
        Place in the file (``"feature 3 ('Wells')"``) and the site, in WGS 84.

    Examples
    --------
    >>> sites = read_sites(Path("sites.geojson"), Problems(), set())  # doctest: +SKIP
    """
    label = label_of(path)
    try:
        gdf = read_layer(path, label, layer)
    except ScenarioError as exc:
        problems.take(exc, file=label)
        return []
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        problems.add(
            label,
            "",
            "",
            "at least one site (the origin and destination)",
            "an empty layer",
        )
        return []
    cols = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    missing = [c for c in ("name", "kind") if c not in cols]
    for col in missing:
        problems.add(
            label,
            "",
            col,
            f"an attribute {col!r}",
            describe_header(sorted(cols), kind="attributes"),
        )
    names = (
        [cell_text(v) for v in gdf[cols["name"]]] if "name" in cols else [""] * len(gdf)
    )
    ok = _point_problems(gdf, names, label, problems)
    unreadable.update(n for n, good in zip(names, ok, strict=True) if n and not good)
    if missing or not ok.any():
        return []
    sub = gdf[ok]
    if not (gdf.crs.is_geographic and gdf.crs.equals("EPSG:4326")):
        sub = sub.to_crs("EPSG:4326")
    out: list[tuple[str, Site]] = []
    cap_col = cols.get("capacity")
    for f, idx, g, name, kind in zip(
        np.flatnonzero(ok).tolist(),
        sub.index,
        sub.geometry.values,
        sub[cols["name"]],
        sub[cols["kind"]],
        strict=True,
    ):
        nm = cell_text(name)
        where = _feature(f, nm)
        kwargs = {
            "name": nm,
            "kind": cell_text(kind).lower(),
            "lon": float(g.x),
            "lat": float(g.y),
        }
        if cap_col is not None:
            kwargs["capacity"] = _capacity(sub.loc[idx, cap_col])
        site = problems.build(Site, kwargs, label, where)
        if site is not None:
            out.append((where, site))
        elif nm:
            unreadable.add(nm)
    return out


def _capacity(value: Any) -> Any:
    """A site's capacity cell: None when empty, a number when it reads as one."""
    text = cell_text(value)
    if not text or text.lower() == "nan":
        return None
    try:
        return float(text)
    except ValueError:
        return text  # Site names the field, the expected and the found value


def fallback_crs(sites: list[tuple[str, Site]], params: RoadParams) -> Any:
    """
    A working CRS for the events when the roads could not be built.

    ``[roads] crs`` when set, else the UTM zone of the sites' centre; None when
    there are no sites.
    """
    if params.crs:
        return params.crs
    if not sites:
        return None
    lon = float(np.mean([s.lon for _, s in sites]))
    lat = float(np.mean([s.lat for _, s in sites]))
    crs: pyproj.CRS = utm_crs(lon, lat)
    return crs

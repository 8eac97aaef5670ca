"""The one vector-layer reader: any file GDAL reads, through pyogrio.

Every failure is a :class:`~convoy.errors.GeodataError` naming the file: missing,
empty, unreadable, or a layer without a coordinate reference system. What a layer
must hold (lines, points, attributes) and whether its coordinates are sound is
checked by the reader of that kind of layer, with
:func:`convoy.roads.coordinates.coordinate_problems`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.io.files import check_size


def _bad_geometries(path: Path, label: str) -> list[Problem]:
    """
    The features whose geometry GEOS refuses (a one-point line...), by number.

    Read again feature by feature after the whole layer failed to load; empty when
    the file itself is what cannot be read.
    """
    try:
        wkb = pyogrio.raw.read(path)[2]
    except Exception:  # the file itself is unreadable: the caller says so
        return []
    problems: list[Problem] = []
    for i, g in enumerate(wkb):
        try:
            shapely.from_wkb(g)
        except Exception as exc:  # GEOS errors: the geometry is malformed
            text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
            problems.append(
                Problem(
                    label,
                    f"feature {i + 1}",
                    "geometry",
                    "a valid geometry (a line needs two points or more, a polygon "
                    "ring four)",
                    text or type(exc).__name__,
                )
            )
    return problems


def read_layer(path: Path, label: str) -> gpd.GeoDataFrame:
    """
    Read a vector layer with pyogrio; every failure is a GeodataError naming it.

    Parameters
    ----------
    path
        A GeoJSON, GeoPackage, Shapefile or any other vector file GDAL reads.
    label
        How messages name the file.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's features, in file order, with its CRS.

    Raises
    ------
    GeodataError
        If the file is missing, empty, larger than the input limit
        (:func:`~convoy.io.files.check_size`), unreadable, or the layer has no CRS.

    Examples
    --------
    >>> gdf = read_layer(Path("roads.geojson"), "roads.geojson")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise GeodataError(Problem(label, "", "", "an existing file", "no such file"))
    try:
        check_size(path, label)
    except ScenarioError as exc:
        raise GeodataError(exc.problems) from None
    if path.is_file() and path.stat().st_size == 0:
        raise GeodataError(Problem(label, "", "", "a vector layer", "an empty file"))
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        bad = _bad_geometries(path, label)
        if bad:
            raise GeodataError(bad) from None
        text = str(exc).strip()
        first = text.splitlines()[0][:200] if text else type(exc).__name__
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
                "a layer with a coordinate reference system (CRS, e.g. EPSG:4326; "
                "a Shapefile needs its .prj)",
                "none",
            )
        )
    return gdf

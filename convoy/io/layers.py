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


def _bad_geometries(path: Path, label: str, layer: str = "") -> list[Problem]:
    """
    The features whose geometry GEOS refuses (a one-point line...), by number.

    Read again feature by feature after the whole layer failed to load; empty when
    the file itself is what cannot be read.
    """
    try:
        wkb = pyogrio.raw.read(path, layer=layer or None)[2]
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


def layer_names(path: Path, label: str) -> list[str]:
    """
    The layers of a vector file, in order.

    Raises
    ------
    GeodataError
        The file cannot be opened by GDAL.
    """
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        text = str(exc).strip()
        first = text.splitlines()[0][:200] if text else type(exc).__name__
        raise GeodataError(
            Problem(label, "", "", "a vector file GDAL can read", first)
        ) from None


def _check_layer(path: Path, label: str, layer: str) -> None:
    """Refuse a layer name the file does not have, listing the layers it has."""
    names = layer_names(path, label)
    if layer not in names:
        more = " ..." if len(names) > 20 else ""
        raise GeodataError(
            Problem(
                label,
                "",
                "layername",
                f"one of the file's layers {names[:20]}{more}",
                repr(layer),
            )
        )


def read_layer(path: Path, label: str, layer: str = "") -> gpd.GeoDataFrame:
    """
    Read a vector layer with pyogrio; every failure is a GeodataError naming it.

    Parameters
    ----------
    path
        A GeoJSON, GeoPackage, Shapefile or any other vector file GDAL reads.
    label
        How messages name the file.
    layer
        The layer of a multi-layer file (a GeoPackage's table, an OSM file's
        ``lines``); empty for the first.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's features, in file order, with its CRS.

    Raises
    ------
    GeodataError
        If the file is missing, empty, larger than the input limit
        (:func:`~convoy.io.files.check_size`), unreadable, has no layer of that
        name (the layers it has are listed), or the layer has no CRS.

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
    if layer:
        _check_layer(path, label, layer)
    try:
        gdf = gpd.read_file(path, engine="pyogrio", layer=layer or None)
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        bad = _bad_geometries(path, label, layer)
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

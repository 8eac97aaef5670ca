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

from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.io.files import check_size


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

"""Reading a road line layer from a file into a :class:`~convoy.roads.RoadNetwork`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from convoy.io.layers import read_layer
from convoy.io.osm import OSM_LINES, is_osm, osm_roads
from convoy.params import RoadParams
from convoy.roads.build import build_road_network
from convoy.roads.network import RoadNetwork
from convoy.roads.snap import NamedPoint


def read_roads(
    path: str | Path,
    *,
    params: RoadParams | None = None,
    sites: Sequence[NamedPoint] = (),
    label: str | None = None,
    sites_label: str = "sites",
    layer: str = "",
) -> RoadNetwork:
    """
    Read a line layer and build the routable network from it.

    Parameters
    ----------
    path
        A line layer (GeoJSON, GeoPackage, Shapefile; LineString or
        MultiLineString features with a CRS), or an OpenStreetMap extract
        (``.osm.pbf``, ``.osm``) read by :func:`convoy.io.osm.osm_roads`.
    params, sites, sites_label
        As :func:`convoy.roads.build.build_road_network`.
    label
        How to name the layer in messages (default: the path as given).
    layer
        The layer of a multi-layer file (empty: the first; an OSM extract's is
        always ``lines``).

    Returns
    -------
    RoadNetwork
        In the metric CRS, with every fix listed in ``repairs``.

    Raises
    ------
    GeodataError
        A missing, empty or unreadable file, a layer without CRS, and every
        problem :func:`~convoy.roads.build.build_road_network` finds.
    ScenarioError
        As :func:`~convoy.roads.build.build_road_network`.

    Examples
    --------
    >>> net = read_roads("roads.geojson", sites=sites)  # doctest: +SKIP
    """
    label = label or str(path)
    path = Path(path)
    if is_osm(path) and layer in ("", OSM_LINES):
        gdf = osm_roads(path, label)
    else:
        gdf = read_layer(path, label, layer)
    return build_road_network(
        gdf, params=params, sites=sites, label=label, sites_label=sites_label
    )

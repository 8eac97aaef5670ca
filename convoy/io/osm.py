"""Roads from an OpenStreetMap extract (``.osm.pbf`` or ``.osm`` XML).

GDAL's OSM driver (through pyogrio) reads the ways of the file's ``lines`` layer;
:func:`osm_roads` keeps the ways whose ``highway`` class is a road a convoy can
use and gives each a convoy ``surface`` and a ``maxspeed``, by the tables below
(documented in ``docs/scenario-format.md``):

- kept: the ``highway`` classes of :data:`ROAD_HIGHWAYS` (footways, paths,
  cycleways, steps, bridleways, ways under construction or proposed are not
  roads for a convoy);
- surface: the ``surface`` tag read by :data:`OSM_SURFACES`, else the
  ``tracktype`` tag by :data:`TRACKTYPE_SURFACES`, else the ``highway`` class by
  :data:`HIGHWAY_SURFACES`;
- speed cap: the ``maxspeed`` tag where present (km/h, or ``"30 mph"``), else
  none (the vehicle's own speed on the surface).

Source of the tag values: the OSM wiki pages ``Key:highway``, ``Key:surface``,
``Key:tracktype`` and ``Key:maxspeed``. Which surface each value reads as is an
assumption of this project, made for Sahel roads.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from convoy.errors import GeodataError, Problem
from convoy.io.layers import read_layer

#: File name endings read as OpenStreetMap extracts.
OSM_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".osm", ".pbf")

#: The layer of GDAL's OSM driver that holds the ways.
OSM_LINES = "lines"

#: OSM ``highway`` classes kept as roads, and the surface each has when the way
#: has neither ``surface`` nor ``tracktype``: trunk and primary roads (Mali's
#: national routes) are sealed, secondary and tertiary roads laterite, the rest
#: tracks. An assumption for the Sahel, not a source.
HIGHWAY_SURFACES: dict[str, str] = {
    "motorway": "paved",
    "motorway_link": "paved",
    "trunk": "paved",
    "trunk_link": "paved",
    "primary": "paved",
    "primary_link": "paved",
    "secondary": "laterite",
    "secondary_link": "laterite",
    "tertiary": "laterite",
    "tertiary_link": "laterite",
    "unclassified": "track",
    "residential": "track",
    "living_street": "track",
    "service": "track",
    "road": "track",
    "track": "track",
}
#: The ``highway`` classes kept as roads.
ROAD_HIGHWAYS: frozenset[str] = frozenset(HIGHWAY_SURFACES)

#: OSM ``surface`` values and the convoy surface each reads as; a value not listed
#: is not used (the way's ``tracktype`` or class decides).
OSM_SURFACES: dict[str, str] = {
    **dict.fromkeys(
        (
            "paved",
            "asphalt",
            "concrete",
            "concrete:plates",
            "concrete:lanes",
            "chipseal",
            "paving_stones",
            "sett",
            "cobblestone",
            "metal",
        ),
        "paved",
    ),
    **dict.fromkeys(
        (
            "unpaved",
            "laterite",
            "compacted",
            "gravel",
            "fine_gravel",
            "pebblestone",
            "rock",
        ),
        "laterite",
    ),
    **dict.fromkeys(
        ("track", "dirt", "earth", "ground", "grass", "mud", "clay", "salt"),
        "track",
    ),
    "sand": "sand",
}

#: OSM ``tracktype`` grades and the convoy surface each reads as (grade1 solid,
#: grade2 gravel, grade3 mixed, grade4 and grade5 soft ground; OSM wiki
#: ``Key:tracktype``).
TRACKTYPE_SURFACES: dict[str, str] = {
    "grade1": "laterite",
    "grade2": "laterite",
    "grade3": "track",
    "grade4": "track",
    "grade5": "track",
}

_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def is_osm(path: Path) -> bool:
    """
    Whether a file is read as an OpenStreetMap extract (by its name's ending).

    Examples
    --------
    >>> is_osm(Path("mali-latest.osm.pbf")), is_osm(Path("roads.gpkg"))
    (True, False)
    """
    return path.name.lower().endswith(OSM_SUFFIXES)


def other_tags(text: object) -> dict[str, str]:
    """
    The tags GDAL's OSM driver packs in ``other_tags`` (``"k"=>"v",...``).

    Examples
    --------
    >>> other_tags('"surface"=>"sand","maxspeed"=>"60"')
    {'surface': 'sand', 'maxspeed': '60'}
    """
    if not isinstance(text, str):
        return {}
    return {
        k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _HSTORE.findall(text)
    }


def osm_surface(highway: str, surface: str, tracktype: str) -> str:
    """
    The convoy surface of a way from its tags (see the module notes).

    Examples
    --------
    >>> osm_surface("track", "", "grade1"), osm_surface("primary", "sand", "")
    ('laterite', 'sand')
    >>> osm_surface("secondary", "sett;asphalt", "")
    'laterite'
    """
    s = surface.strip().lower()
    if s in OSM_SURFACES:
        return OSM_SURFACES[s]
    t = tracktype.strip().lower()
    if t in TRACKTYPE_SURFACES:
        return TRACKTYPE_SURFACES[t]
    return HIGHWAY_SURFACES[highway]


def osm_roads(path: Path, label: str) -> gpd.GeoDataFrame:
    """
    The road ways of an OSM extract, with ``surface``, ``maxspeed`` and ``ref``.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` file.
    label
        How messages name it.

    Returns
    -------
    geopandas.GeoDataFrame
        One line per kept way (see the module notes), columns ``osm_id``,
        ``name``, ``ref``, ``highway``, ``surface``, ``maxspeed``, in EPSG:4326.

    Raises
    ------
    GeodataError
        As :func:`~convoy.io.layers.read_layer`; a file without any road way
        (the highway classes kept are named).

    Examples
    --------
    >>> gdf = osm_roads(Path("mali.osm.pbf"), "mali.osm.pbf")  # doctest: +SKIP
    """
    gdf = read_layer(path, label, OSM_LINES)
    highway = (
        gdf["highway"].fillna("").astype(str).str.strip().str.lower()
        if "highway" in gdf.columns
        else pd.Series([""] * len(gdf), index=gdf.index)
    )
    kept = gdf[highway.isin(ROAD_HIGHWAYS).to_numpy()]
    if kept.empty:
        raise GeodataError(
            Problem(
                label,
                "layer 'lines'",
                "highway",
                f"ways with a highway tag of {sorted(ROAD_HIGHWAYS)}",
                f"{len(gdf)} ways, none of them a road",
            )
        )
    tags = [other_tags(t) for t in kept.get("other_tags", [None] * len(kept))]
    classes = highway[highway.isin(ROAD_HIGHWAYS)].tolist()
    names = kept["name"] if "name" in kept.columns else [None] * len(kept)
    return gpd.GeoDataFrame(
        {
            "osm_id": kept["osm_id"].tolist() if "osm_id" in kept.columns else None,
            "name": [n if isinstance(n, str) else "" for n in names],
            "ref": [t.get("ref", "") for t in tags],
            "highway": classes,
            "surface": [
                osm_surface(h, t.get("surface", ""), t.get("tracktype", ""))
                for h, t in zip(classes, tags, strict=True)
            ],
            "maxspeed": [t.get("maxspeed") for t in tags],
        },
        geometry=kept.geometry.to_numpy(),
        crs=kept.crs,
    )

"""Which layer has latitude and longitude swapped: the sites or the roads.

When every site is far from every road but lies on one once its coordinates are
swapped (:func:`convoy.roads.snap.snap_sites` refuses such sites), either the sites
or the roads have their latitude and longitude swapped: the two layers alone cannot
tell which. The events file is a third witness: ACLED and UCDP GED name their
``latitude`` and ``longitude`` columns, so their events are where they are. The
layer whose points lie near the events is taken as right and the other is blamed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from convoy.errors import Problem, ScenarioError
from convoy.io.tables import csv_rows
from convoy.scenario import Site

#: Events read, at most, to find where they lie.
_SAMPLE = 10_000


def events_centre(path: Path, fmt: str) -> tuple[float, float] | None:
    """
    The median (longitude, latitude) of an ACLED or UCDP events CSV.

    None for a layer, an unreadable file or one without usable coordinates.
    """
    if fmt not in ("acled", "ucdp"):
        return None
    lon: list[float] = []
    lat: list[float] = []
    try:
        with csv_rows(path, str(path), empty_expected="events") as (header, rows):
            if "latitude" not in header or "longitude" not in header:
                return None
            ila, ilo = header.index("latitude"), header.index("longitude")
            for _, row in rows:
                if len(lon) >= _SAMPLE:
                    break
                try:
                    la, lo = float(row[ila]), float(row[ilo])
                except (ValueError, IndexError):
                    continue
                if math.isfinite(la) and math.isfinite(lo):
                    lat.append(la)
                    lon.append(lo)
    except ScenarioError:
        return None
    if not lon:
        return None
    return float(np.median(lon)), float(np.median(lat))


def blame_roads(
    problems: Sequence[str | Problem],
    sites: Sequence[Site],
    centre: tuple[float, float] | None,
    roads_label: str,
) -> list[str | Problem]:
    """
    The road builder's problems, swapped sites blamed on the roads if need be.

    When every site looks swapped and the events lie where the sites are, the
    roads layer is the one with latitude and longitude swapped.

    Parameters
    ----------
    problems
        What the road builder reported.
    sites
        The sites it was given.
    centre
        Where the events lie (:func:`events_centre`), or None: then nothing
        changes.
    roads_label
        The roads layer, as messages name it.
    """
    swapped = [
        p for p in problems if isinstance(p, Problem) and "look swapped" in p.expected
    ]
    if centre is None or len(sites) < 2 or len(swapped) < len(sites):
        return list(problems)
    lon = float(np.median([s.lon for s in sites]))
    lat = float(np.median([s.lat for s in sites]))
    as_given = math.dist(centre, (lon, lat))
    as_swapped = math.dist(centre, (lat, lon))
    if as_given >= as_swapped:
        return list(problems)
    names = ", ".join(repr(s.name) for s in sites[:4]) + (
        ", ..." if len(sites) > 4 else ""
    )
    blamed = Problem(
        roads_label,
        "every feature",
        "geometry",
        "longitude, latitude: the sites and the events lie near "
        f"({lon:.2f}, {lat:.2f}), the roads only once their coordinates are swapped",
        f"roads around ({lat:.2f}, {lon:.2f}), "
        f"{as_swapped * 111:.0f} km from the events; every site ({names}) is far "
        "from them: the roads layer has latitude and longitude swapped",
    )
    return [blamed, *(p for p in problems if p not in swapped)]

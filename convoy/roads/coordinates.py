"""Coordinate helpers shared by the road builder and the layer readers.

:func:`coordinate_problems` finds non-finite, out-of-range and swapped coordinates in a
layer's vertices; :func:`utm_crs` gives the metric working CRS of a place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyproj

from convoy.errors import Problem
from convoy.roads.network import FloatArray, IntArray


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

"""
Synthetic workloads for the risk-field benchmarks, shaped on the Kidal-Gao corridor.

Events cluster along a 350 km route through a 400 km x 400 km box (planar metres,
origin at the box's south-west corner): most lie within a few kilometres of the
road, a few hotspots hold dense clusters, and a tenth are scattered over the box.
Query points are spaced evenly along the route and along an alternative route
that leaves it and rejoins it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

#: Side of the square area of interest, metres.
BOX_M = 400e3
#: Vertices of the main route, metres: about 350 km long.
ROUTE_XY = np.array(
    [
        [79e3, 338e3],
        [122e3, 286e3],
        [157e3, 243e3],
        [200e3, 191e3],
        [243e3, 148e3],
        [286e3, 114e3],
        [312e3, 79e3],
    ]
)
#: Vertices of the alternative route (a loop to the east of the middle third).
ALT_XY = np.array(
    [[122e3, 286e3], [174e3, 278e3], [235e3, 217e3], [269e3, 157e3], [243e3, 148e3]]
)
#: Raster of the benchmarks: 2000 x 2000 cells of 200 m over the box.
RASTER_SHAPE = (2000, 2000)
RASTER_CELL_M = 200.0
RASTER_ORIGIN = (0.0, BOX_M)


def smoke() -> bool:
    """True when CONVOY_BENCH_SMOKE=1 asks for tiny workloads (CI)."""
    return os.environ.get("CONVOY_BENCH_SMOKE", "") not in ("", "0")


@dataclass(frozen=True)
class Events:
    """Event positions (K, 2) in metres, weights (K,) and bandwidths (K,) in metres."""

    xy: np.ndarray
    weights: np.ndarray
    bandwidths_m: np.ndarray


def _along(route: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at arc lengths ``s`` along a polyline, and the unit normal there."""
    seg = np.diff(route, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(length)])
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    t = (s - cum[i]) / length[i]
    xy = route[i] + t[:, None] * seg[i]
    tangent = seg[i] / length[i, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    return xy, normal


def route_length_m(route: np.ndarray = ROUTE_XY) -> float:
    """Length of a polyline, metres."""
    return float(np.hypot(*np.diff(route, axis=0).T).sum())


def make_events(num_events: int, variable_h: bool, seed: int = 0) -> Events:
    """
    Events along the route: 60 % spread along it, 30 % in ten hotspots, 10 % anywhere.

    Perpendicular offsets are normal with a 3 km standard deviation; weights are
    exponential with mean 1; bandwidths are 5 km, or uniform in 2-10 km.
    """
    rng = np.random.default_rng(seed)
    n_line = int(0.6 * num_events)
    n_hot = int(0.3 * num_events)
    n_bg = num_events - n_line - n_hot
    total = route_length_m()
    s = rng.uniform(0.0, total, n_line)
    hot = rng.uniform(0.0, total, 10)
    s = np.concatenate([s, rng.choice(hot, n_hot) + rng.normal(0.0, 2e3, n_hot)])
    s = np.clip(s, 0.0, total)
    xy, normal = _along(ROUTE_XY, s)
    xy = xy + normal * rng.normal(0.0, 3e3, len(s))[:, None]
    xy = np.vstack([xy, rng.uniform(0.0, BOX_M, (n_bg, 2))])
    weights = rng.exponential(1.0, num_events)
    if variable_h:
        h = rng.uniform(2e3, 10e3, num_events)
    else:
        h = np.full(num_events, 5e3)
    return Events(np.ascontiguousarray(xy), weights, h)


def make_route_points(num_points: int) -> np.ndarray:
    """Points evenly spaced along the main and the alternative route, shape (M, 2)."""
    main = route_length_m(ROUTE_XY)
    alt = route_length_m(ALT_XY)
    n_main = round(num_points * main / (main + alt))
    a, _ = _along(ROUTE_XY, np.linspace(0.0, main, n_main))
    b, _ = _along(ALT_XY, np.linspace(0.0, alt, num_points - n_main))
    return np.ascontiguousarray(np.vstack([a, b]))


#: The embedded scenario the theatre-scale road grids are laid over.
KIDAL_GAO = Path(__file__).resolve().parents[1] / "geodata" / "kidal-gao"
#: Surfaces of the grid's roads and their shares (assumption: mostly tracks and
#: sand off the main axis, as in the embedded extract).
GRID_SURFACES = (("track", 0.4), ("sand", 0.3), ("laterite", 0.2), ("paved", 0.1))


def grid_scenario(
    folder: Path, num_edges: int, horizon_days: float | None = None, seed: int = 0
) -> Path:
    """
    The embedded scenario on a road grid of about ``num_edges`` edges.

    The grid covers the bounding box of the embedded roads (about 205 km x
    455 km, Kidal-Gao and the northern camps) with square-ish cells; each site
    gets a spur to its nearest grid node, so sites snap exactly. Surfaces are
    drawn from ``GRID_SURFACES``. ``horizon_days`` moves the deadline to that many
    days after the start (None keeps the scenario's). Returns the scenario folder.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("events.csv", "fleet.csv", "manifest.csv", "sites.geojson"):
        shutil.copyfile(KIDAL_GAO / name, folder / name)
    toml = (KIDAL_GAO / "scenario.toml").read_text(encoding="utf-8")
    if horizon_days is not None:
        start = re.search(r'^start = "([^"]+)"', toml, re.M)
        assert start is not None
        t0 = datetime.fromisoformat(start.group(1).replace("Z", "+00:00"))
        end = (t0 + timedelta(days=horizon_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        toml = re.sub(r'^deadline = "[^"]+"', f'deadline = "{end}"', toml, flags=re.M)
    (folder / "scenario.toml").write_text(toml, encoding="utf-8")
    sites = json.loads((KIDAL_GAO / "sites.geojson").read_text(encoding="utf-8"))
    site_xy = np.array([f["geometry"]["coordinates"] for f in sites["features"]])
    lon0, lat0 = site_xy.min(axis=0) - 0.1
    lon1, lat1 = site_xy.max(axis=0) + 0.1
    # cells about square on the ground: a degree of longitude is cos(lat) shorter
    aspect = (lat1 - lat0) / ((lon1 - lon0) * np.cos(np.radians(18.0)))
    nx = max(2, round(np.sqrt(num_edges / (2.0 * aspect))))
    ny = max(2, round(num_edges / (2.0 * nx)))
    lon = np.linspace(lon0, lon1, nx)
    lat = np.linspace(lat0, lat1, ny)
    names, shares = zip(*GRID_SURFACES, strict=True)
    feats = []

    def road(coords: list[list[float]], surface: str) -> None:
        feats.append(
            {
                "type": "Feature",
                "properties": {"surface": surface, "name": "", "ref": ""},
                "geometry": {"type": "LineString", "coordinates": coords},
            }
        )

    surf = rng.choice(len(names), size=2 * nx * ny, p=np.asarray(shares))
    k = 0
    for j in range(ny):
        for i in range(nx):
            p = [round(float(lon[i]), 6), round(float(lat[j]), 6)]
            if i + 1 < nx:
                road([p, [round(float(lon[i + 1]), 6), p[1]]], names[surf[k]])
            if j + 1 < ny:
                road([p, [p[0], round(float(lat[j + 1]), 6)]], names[surf[k + 1]])
            k += 2
    for x, y in site_xy:
        i = int(np.argmin(np.abs(lon - x)))
        j = int(np.argmin(np.abs(lat - y)))
        road(
            [[float(x), float(y)], [round(float(lon[i]), 6), round(float(lat[j]), 6)]],
            "laterite",
        )
    roads = {
        "type": "FeatureCollection",
        "crs": {
            "type": "name",
            "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"},
        },
        "features": feats,
    }
    (folder / "roads.geojson").write_text(json.dumps(roads), encoding="utf-8")
    return folder

"""Write the embedded Kidal-Gao scenario, ``geodata/kidal-gao/``.

Run with the project's interpreter from anywhere::

    python geodata/_build/make_kidal_gao.py [OUT_DIR]

OUT_DIR defaults to ``geodata/kidal-gao/``.

Everything is drawn from one seeded ``numpy.random.Generator``, so running it twice
writes the same bytes. The script then checks what it wrote: the road network is
noded (shapely) and measured geodesically on WGS 84 (pyproj.Geod), shortest paths are
computed with scipy.sparse.csgraph, and the fleet and manifest totals are compared.
Any figure outside its range stops the script with an AssertionError.

What is a public fact and what is invented is listed in ``geodata/README.md``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

OUT = Path(__file__).resolve().parents[1] / "kidal-gao"
SEED = 20231031
GEOD = Geod(ellps="WGS84")
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
TO_LL = Transformer.from_crs("EPSG:32631", "EPSG:4326", always_xy=True)

# --------------------------------------------------------------------------------------
# Places. (lon, lat) in WGS 84 degrees. "wiki" = the coordinates of the place's
# Wikipedia article (English or French); "approx" = placed by hand from the distances
# publicly given (press, commune descriptions), not surveyed. See README.md.
# --------------------------------------------------------------------------------------
TOWNS: dict[str, tuple[float, float]] = {
    "Kidal": (1.4078, 18.4411),  # wiki: 18°26'28"N 1°24'28"E
    # approx: ~100-112 km by road SW of Kidal (press, October 2023)
    "Anefis": (0.6000, 18.0500),
    # approx: in the Tilemsi valley between Anefis and Tarkint
    "Tabankort": (0.3300, 17.8300),
    # approx: on the axis between Tabankort and Tarkint
    "Tabricha": (0.2200, 17.6500),
    "Tarkint": (0.1164, 17.4769),  # wiki (fr): 17°28'37"N 0°06'59"E
    # approx: on the trans-Saharan road ~70 km N of Gao (Tilemsi commune description)
    "Tin Aouker": (0.0900, 16.8800),
    "Gao": (-0.0447, 16.2717),  # wiki: about 16°16'N 0°03'W
    "Bourem": (-0.3500, 16.9500),  # wiki: 16°57'N 0°21'W
    "Taboye": (-0.3167, 16.8667),  # wiki (fr, it): 16°52'N 0°19'W
    "Aguelhok": (0.8561, 19.4650),  # wiki: 19°27'54"N 0°51'22"E
    "Tessalit": (1.0114, 20.1986),  # wiki: about 20°12'N 1°01'E
}

# Shape and junction points that are not towns: all invented, placed to follow the
# publicly described layout (the main axis down the Tilemsi valley, a track on the
# valley's eastern side, the Niger road Bourem-Gao, the trans-Saharan road north).
POINTS: dict[str, tuple[float, float]] = {
    # east side of the Tilemsi valley
    "East Track North": (0.8600, 17.8000),
    "East Track Tarkint": (0.6300, 17.4500),
    "East Track Centre": (0.5600, 17.1000),
    "East Track Tin Aouker": (0.4600, 16.8000),
    "East Track South": (0.3100, 16.4800),
    # west of the valley, towards the Niger
    "West Track North": (0.3000, 17.9800),
    "West Track Centre": (0.0200, 17.6200),
    "West Fork": (-0.1500, 17.2200),
    "Niger Road North": (-0.2000, 16.6200),
    "Niger Road South": (-0.1200, 16.4200),
    # north
    "Kidal North Track": (1.2300, 18.9200),
    "Aguelhok South Track": (0.7200, 18.7700),
    "Tessalit South Track": (0.9500, 19.8500),
}

# Node names on the main axis, in order, with the junctions where halt spurs leave it.
# A junction is placed at fraction f of the straight line between two towns, shifted
# sideways by off_km (positive = to the right of the direction of travel).
MAIN_JUNCTIONS: list[tuple[str, str, str, float, float]] = [
    # name, from town, to town, fraction, lateral offset km
    ("J Kidal South-West", "Kidal", "Anefis", 0.36, -2.0),
    ("J Anefis North", "Kidal", "Anefis", 0.74, 3.0),
    ("J Anefis South", "Anefis", "Tabankort", 0.45, 1.5),
    ("J Tabankort South", "Tabankort", "Tabricha", 0.55, -1.0),
    ("J Tarkint South", "Tarkint", "Tin Aouker", 0.42, 2.0),
    ("J Tilemsi Wells", "Tarkint", "Tin Aouker", 0.78, -1.5),
    ("J Tin Aouker South", "Tin Aouker", "Gao", 0.38, 1.5),
    ("J Gao North", "Tin Aouker", "Gao", 0.72, -1.0),
]
MAIN_ORDER = [
    "Kidal",
    "J Kidal South-West",
    "J Anefis North",
    "Anefis",
    "J Anefis South",
    "Tabankort",
    "J Tabankort South",
    "Tabricha",
    "Tarkint",
    "J Tarkint South",
    "J Tilemsi Wells",
    "Tin Aouker",
    "J Tin Aouker South",
    "J Gao North",
    "Gao",
]

# Surfaces of the main axis, per leg (from node, to node). The trans-Saharan road
# (RN19) is described publicly as a degraded road with sand banks north of Gao and an
# unpaved track through the Tilemsi valley; the split below is a planning assumption:
# paved for the Gao exit, laterite to Tin Aouker and between Kidal and Anefis, track
# in the valley, sand on the Tabricha-Tarkint stretch of the valley floor.
MAIN_SURFACE = {
    ("Kidal", "J Kidal South-West"): "laterite",
    ("J Kidal South-West", "J Anefis North"): "laterite",
    ("J Anefis North", "Anefis"): "track",
    ("Anefis", "J Anefis South"): "track",
    ("J Anefis South", "Tabankort"): "track",
    ("Tabankort", "J Tabankort South"): "track",
    ("J Tabankort South", "Tabricha"): "sand",
    ("Tabricha", "Tarkint"): "sand",
    ("Tarkint", "J Tarkint South"): "track",
    ("J Tarkint South", "J Tilemsi Wells"): "track",
    ("J Tilemsi Wells", "Tin Aouker"): "laterite",
    ("Tin Aouker", "J Tin Aouker South"): "laterite",
    ("J Tin Aouker South", "J Gao North"): "laterite",
    ("J Gao North", "Gao"): "paved",
}


@dataclass(frozen=True)
class Edge:
    """One road feature between two named nodes, with its attributes."""

    a: str
    b: str
    surface: str
    name: str
    ref: str
    wiggle_km: float  # amplitude scale of the winding, km


def utm(lonlat: tuple[float, float]) -> np.ndarray:
    """Project (lon, lat) to EPSG:32631 metres."""
    x, y = TO_UTM.transform(lonlat[0], lonlat[1])
    return np.array([x, y])


def lonlat(xy: np.ndarray) -> tuple[float, float]:
    """Unproject EPSG:32631 metres to (lon, lat), rounded to 1e-6 degree."""
    lon, lat = TO_LL.transform(xy[0], xy[1])
    return (round(float(lon), 6), round(float(lat), 6))


def offset_point(p: np.ndarray, q: np.ndarray, f: float, off_km: float) -> np.ndarray:
    """Point at fraction f from p to q, shifted off_km to the right of p->q."""
    d = q - p
    n = np.array([d[1], -d[0]]) / np.hypot(*d)
    return p + f * d + off_km * 1000.0 * n


def wind(
    a: tuple[float, float],
    b: tuple[float, float],
    wiggle_km: float,
    rng: np.random.Generator,
    step_m: float = 2_500.0,
) -> list[tuple[float, float]]:
    """
    A gently winding polyline from a to b with a vertex every step_m metres or less.

    The lateral offset is a sum of five sine harmonics that vanish at both ends, with
    random amplitudes falling as 1/k (k the harmonic) scaled by wiggle_km, plus a
    small jitter; the result is smooth at the kilometre scale, as a desert track
    winding between dunes and wadis is.
    """
    pa, pb = utm(a), utm(b)
    d = pb - pa
    length = float(np.hypot(*d))
    n = max(2, math.ceil(length / step_m))
    s = np.linspace(0.0, 1.0, n + 1)
    k = np.arange(1, 6)
    amp = rng.normal(0.0, 1.0, size=5) * wiggle_km * 1000.0 / k
    # shorter legs wind less: keep the offset below a sixth of the leg's length
    amp *= (
        min(1.0, length / (6.0 * wiggle_km * 1000.0 + 1e-9)) if wiggle_km > 0 else 0.0
    )
    off = (amp[None, :] * np.sin(np.pi * s[:, None] * k[None, :])).sum(axis=1)
    off[1:-1] += rng.normal(0.0, 60.0, size=n - 1)
    nvec = np.array([d[1], -d[0]]) / length
    pts = pa[None, :] + s[:, None] * d[None, :] + off[:, None] * nvec[None, :]
    out = [lonlat(p) for p in pts]
    out[0], out[-1] = a, b  # exact shared endpoints so lines meet
    return out


def build_network(rng: np.random.Generator) -> tuple[dict, list[dict], list[dict]]:
    """Nodes, road features and site features of the scenario."""
    nodes: dict[str, tuple[float, float]] = {}
    for name, ll in {**TOWNS, **POINTS}.items():
        nodes[name] = (round(ll[0], 6), round(ll[1], 6))
    for name, t0, t1, f, off in MAIN_JUNCTIONS:
        nodes[name] = lonlat(offset_point(utm(TOWNS[t0]), utm(TOWNS[t1]), f, off))

    edges: list[Edge] = []
    # main axis: Kidal - Anefis - Tabankort - Tabricha - Tarkint - Tin Aouker - Gao
    for a, b in pairwise(MAIN_ORDER):
        south_of_anefis = MAIN_ORDER.index(a) >= MAIN_ORDER.index("Anefis")
        ref = "RN19" if south_of_anefis else ""
        name = (
            "Gao-Kidal road (trans-Saharan RN19)"
            if south_of_anefis
            else "Anefis-Kidal road"
        )
        edges.append(Edge(a, b, MAIN_SURFACE[(a, b)], name, ref, 2.2))
    # eastern track along the far side of the Tilemsi valley
    east = [
        "Anefis",
        "East Track North",
        "East Track Tarkint",
        "East Track Centre",
        "East Track Tin Aouker",
        "East Track South",
        "Gao",
    ]
    for a, b in pairwise(east):
        surf = "sand" if a in ("East Track Tarkint", "East Track Centre") else "track"
        edges.append(Edge(a, b, surf, "Tilemsi east track", "", 3.2))
    # connectors across the valley
    for a, b in [
        ("Tabankort", "East Track North"),
        ("Tarkint", "East Track Tarkint"),
        ("Tin Aouker", "East Track Tin Aouker"),
        ("Tabankort", "West Track North"),
    ]:
        edges.append(Edge(a, b, "track", f"{a} cross-valley track", "", 1.2))
    # western variant: Anefis - west track - Bourem, then the Niger road to Gao
    west = ["Anefis", "West Track North", "West Track Centre", "West Fork", "Bourem"]
    for a, b in pairwise(west):
        surf = "sand" if a == "West Track Centre" else "track"
        edges.append(Edge(a, b, surf, "Anefis-Bourem track", "", 3.0))
    edges.append(Edge("Tarkint", "West Fork", "track", "Tarkint-Bourem track", "", 2.0))
    niger = ["Bourem", "Taboye", "Niger Road North", "Niger Road South", "Gao"]
    for a, b in pairwise(niger):
        edges.append(
            Edge(a, b, "laterite", "Bourem-Gao road (Niger left bank)", "", 1.5)
        )
    # north: Kidal - Aguelhok, Anefis - Aguelhok (trans-Saharan), Aguelhok - Tessalit
    for chain, name, ref in [
        (["Kidal", "Kidal North Track", "Aguelhok"], "Kidal-Aguelhok track", ""),
        (
            ["Anefis", "Aguelhok South Track", "Aguelhok"],
            "Anefis-Aguelhok road (RN19)",
            "RN19",
        ),
        (
            ["Aguelhok", "Tessalit South Track", "Tessalit"],
            "Aguelhok-Tessalit road (RN19)",
            "RN19",
        ),
    ]:
        for a, b in pairwise(chain):
            edges.append(Edge(a, b, "track", name, ref, 2.6))

    features: list[dict] = []
    geoms: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for e in edges:
        coords = wind(nodes[e.a], nodes[e.b], e.wiggle_km, rng)
        geoms[(e.a, e.b)] = coords
        features.append(
            {"surface": e.surface, "name": e.name, "ref": e.ref, "coords": coords}
        )

    # halt (laager) sites: at the end of a short spur leaving a junction node,
    # perpendicular to the road there, on the side away from other roads
    halts: list[tuple[str, str, float, float]] = [
        # site name, junction node, side (+1 right of travel / -1 left), spur km
        ("Halt Kidal South-West", "J Kidal South-West", +1, 2.0),
        ("Halt Anefis North", "J Anefis North", +1, 1.6),
        ("Halt Anefis South", "J Anefis South", -1, 1.8),
        ("Halt Tabankort South", "J Tabankort South", -1, 1.5),
        ("Halt Tarkint West", "Tarkint", +1, 1.5),
        ("Halt Tarkint South", "J Tarkint South", -1, 2.2),
        ("Halt Tilemsi Wells", "J Tilemsi Wells", -1, 1.7),
        ("Halt Tin Aouker South", "J Tin Aouker South", -1, 1.9),
        ("Halt Gao North", "J Gao North", -1, 1.4),
        ("Halt East Track North", "East Track North", +1, 1.8),
        ("Halt East Track Centre", "East Track Centre", +1, 2.0),
        ("Halt East Track South", "East Track South", +1, 1.6),
        ("Halt West Track North", "West Track North", -1, 1.5),
        ("Halt West Track Centre", "West Track Centre", -1, 2.0),
        ("Halt Bourem North", "West Fork", -1, 1.8),
        ("Halt Niger Road", "Niger Road North", -1, 1.2),
        ("Halt Kidal North", "Kidal North Track", +1, 1.7),
        ("Halt Aguelhok South", "Aguelhok South Track", -1, 1.6),
        ("Halt Tessalit South", "Tessalit South Track", +1, 1.5),
    ]
    sites: list[dict] = []
    for site, junction, side, km in halts:
        # local road direction at the junction: from the previous to the next node
        before = next(k for k in geoms if k[1] == junction)
        after = next(k for k in geoms if k[0] == junction)
        p0, p1 = utm(geoms[before][-2]), utm(geoms[after][1])
        d = (p1 - p0) / np.hypot(*(p1 - p0))
        normal = np.array([d[1], -d[0]]) * side
        end = lonlat(utm(nodes[junction]) + km * 1000.0 * normal)
        spur = [
            nodes[junction],
            lonlat(utm(nodes[junction]) + 0.5 * km * 1000.0 * normal + 150.0 * d),
            end,
        ]
        features.append(
            {"surface": "track", "name": f"{site} spur", "ref": "", "coords": spur}
        )
        sites.append({"name": site, "kind": "halt", "coords": end})

    kinds = {
        "Kidal": "camp",
        "Tessalit": "camp",
        "Aguelhok": "camp",
        "Gao": "destination",
    }
    for town in TOWNS:
        sites.append(
            {"name": town, "kind": kinds.get(town, "checkpoint"), "coords": nodes[town]}
        )
    return nodes, features, sites


# --------------------------------------------------------------------------------------
# Checks on the network: noding, connectivity, geodesic shortest paths.
# --------------------------------------------------------------------------------------
def noded_graph(features: list[dict]):
    """Node the lines; return node coordinates and the geodesic-length CSR graph."""
    lines = shapely.MultiLineString([f["coords"] for f in features])
    pieces = shapely.get_parts(shapely.node(lines))
    ends: dict[tuple[float, float], int] = {}
    best: dict[tuple[int, int], float] = {}
    for g in pieces:
        c = shapely.get_coordinates(g)
        a = (round(c[0, 0], 7), round(c[0, 1], 7))
        b = (round(c[-1, 0], 7), round(c[-1, 1], 7))
        if a == b:
            continue
        ia = ends.setdefault(a, len(ends))
        ib = ends.setdefault(b, len(ends))
        key = (min(ia, ib), max(ia, ib))
        # of parallel pieces between two nodes only the shortest matters for paths
        best[key] = min(best.get(key, math.inf), GEOD.line_length(c[:, 0], c[:, 1]))
    n = len(ends)
    ij = np.array(list(best), dtype=np.int64).reshape(-1, 2)
    w = np.array(list(best.values()))
    graph = coo_matrix((w, (ij[:, 0], ij[:, 1])), shape=(n, n)).tocsr()
    xy = np.array(list(ends.keys()))
    return xy, graph, len(pieces)


def nearest_node(xy: np.ndarray, ll: tuple[float, float]) -> tuple[int, float]:
    """Index of the noded node nearest (lon, lat) and its geodesic distance, m."""
    _, _, d = GEOD.inv(
        np.full(len(xy), ll[0]), np.full(len(xy), ll[1]), xy[:, 0], xy[:, 1]
    )
    i = int(np.argmin(d))
    return i, float(d[i])


def check_network(features: list[dict], sites: list[dict]) -> dict[str, float]:
    """Print and assert the network figures; return them."""
    xy, graph, num_pieces = noded_graph(features)
    ncomp, _ = connected_components(graph, directed=False)
    site_node = {}
    for s in sites:
        i, d = nearest_node(xy, s["coords"])
        assert d < 1_000.0, f"site {s['name']} is {d:.0f} m from the nearest road node"
        site_node[s["name"]] = i
    dist = dijkstra(graph, directed=False, indices=site_node["Kidal"])
    kidal_gao_km = dist[site_node["Gao"]] / 1000.0
    route = ["Kidal", "Anefis", "Tabankort", "Tabricha", "Tarkint", "Tin Aouker", "Gao"]
    legs = []
    for a, b in pairwise(route):
        legs.append(
            dijkstra(graph, directed=False, indices=site_node[a])[site_node[b]] / 1000.0
        )
    # the variants, measured through a site only they pass
    via = {}
    for site in ("Bourem", "Halt East Track Centre"):
        i = site_node[site]
        via[site] = (
            dist[i] + dijkstra(graph, directed=False, indices=i)[site_node["Gao"]]
        )
        via[site] /= 1000.0
    total_km = (
        sum(GEOD.line_length(*np.array(f["coords"]).T) for f in features) / 1000.0
    )
    print(f"roads: {len(features)} features, {total_km:.0f} km of road in all")
    print(
        f"noded: {num_pieces} pieces, {len(xy)} nodes, {ncomp} connected component(s)"
    )
    print(
        "main axis legs (km): "
        + ", ".join(
            f"{a}-{b} {d:.1f}"
            for a, b, d in zip(route[:-1], route[1:], legs, strict=True)
        )
    )
    print(
        f"Kidal->Gao along the main axis: {sum(legs):.1f} km; "
        f"shortest: {kidal_gao_km:.1f} km"
    )
    print(
        f"Kidal->Gao via Bourem and the Niger road: {via['Bourem']:.1f} km; "
        f"via the east track (and a halt spur): {via['Halt East Track Centre']:.1f} km"
    )
    assert ncomp == 1, "road network is not connected"
    assert len(xy) >= 40, f"only {len(xy)} noded nodes"
    assert 340.0 <= kidal_gao_km <= 360.0, kidal_gao_km
    assert abs(sum(legs) - kidal_gao_km) < 0.5, (
        "shortest Kidal-Gao path leaves the main axis"
    )
    return {"nodes": len(xy), "kidal_gao_km": kidal_gao_km}


# --------------------------------------------------------------------------------------
# Events: synthetic, in the ACLED export format.
# --------------------------------------------------------------------------------------
ACLED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
NOTE = "Synthetic event for the convoy example scenario; not ACLED data."

# (admin1, admin2, admin3) of the places events are attributed to; positions of the
# extra places are approximate and only used to name the nearest place.
GAZETTEER: dict[str, tuple[tuple[float, float], tuple[str, str, str]]] = {
    "Kidal": (TOWNS["Kidal"], ("Kidal", "Kidal", "Kidal")),
    "Anefis": (TOWNS["Anefis"], ("Kidal", "Kidal", "Anefif")),
    "Tabankort": (TOWNS["Tabankort"], ("Gao", "Bourem", "Tarkint")),
    "Tabricha": (TOWNS["Tabricha"], ("Gao", "Bourem", "Tarkint")),
    "Tarkint": (TOWNS["Tarkint"], ("Gao", "Bourem", "Tarkint")),
    "Tin Aouker": (TOWNS["Tin Aouker"], ("Gao", "Gao", "Tilemsi")),
    "Gao": (TOWNS["Gao"], ("Gao", "Gao", "Gao")),
    "Bourem": (TOWNS["Bourem"], ("Gao", "Bourem", "Bourem")),
    "Taboye": (TOWNS["Taboye"], ("Gao", "Bourem", "Taboye")),
    "Aguelhok": (TOWNS["Aguelhok"], ("Kidal", "Tessalit", "Adjelhoc")),
    "Tessalit": (TOWNS["Tessalit"], ("Kidal", "Tessalit", "Tessalit")),
    "Abeibara": ((1.75, 19.12), ("Kidal", "Abeibara", "Abeibara")),
    "Tin-Essako": ((2.48, 18.45), ("Kidal", "Tin-Essako", "Tin-Essako")),
    "Anchawadj": ((0.05, 16.45), ("Gao", "Gao", "Anchawadj")),
}

# Where the IEDs are laid: chokepoints on the roads, (lon, lat), radius km, weight.
IED_CHOKEPOINTS = [
    ("Anefis", TOWNS["Anefis"], 18.0, 0.22),
    ("Tabankort", TOWNS["Tabankort"], 14.0, 0.16),
    ("Tarkint", TOWNS["Tarkint"], 16.0, 0.16),
    ("Tilemsi valley", (0.17, 17.20), 30.0, 0.16),
    ("Aguelhok-Tessalit", (0.95, 19.83), 40.0, 0.12),
    ("Kidal exit", (1.22, 18.33), 15.0, 0.07),
    ("Gao north", (0.00, 16.50), 15.0, 0.06),
    ("Aguelhok south", (0.78, 19.10), 25.0, 0.05),
]

CLASH_TOWNS = [
    ("Kidal", 0.20, 9.0),
    ("Anefis", 0.14, 8.0),
    ("Tabankort", 0.10, 7.0),
    ("Aguelhok", 0.13, 8.0),
    ("Tessalit", 0.09, 8.0),
    ("Gao", 0.10, 10.0),
    ("Bourem", 0.09, 9.0),
    ("Tarkint", 0.08, 8.0),
    ("Tin Aouker", 0.04, 8.0),
    ("Tabricha", 0.03, 6.0),
]
CAMPS = [
    ("Kidal", 0.35),
    ("Aguelhok", 0.25),
    ("Tessalit", 0.18),
    ("Gao", 0.12),
    ("Bourem", 0.05),
    ("Anefis", 0.05),
]
YEAR_WEIGHTS = {
    2013: 0.10,
    2014: 0.08,
    2015: 0.10,
    2016: 0.08,
    2017: 0.09,
    2018: 0.10,
    2019: 0.09,
    2020: 0.07,
    2021: 0.07,
    2022: 0.08,
    2023: 0.14,
}


def actor(kind: str, year: int) -> tuple[str, int]:
    """ACLED-style actor name and inter code for a kind of actor in a year."""
    if kind == "mali":
        return (
            "Military Forces of Mali (2012-2020)"
            if year <= 2020
            else "Military Forces of Mali (2021-)"
        ), 1
    if kind == "minusma":
        return (
            "MINUSMA: United Nations Multidimensional Integrated Stabilization "
            "Mission in Mali (2013-2023)"
        ), 8
    if kind == "france":
        return (
            "Military Forces of France (2012-2017)"
            if year <= 2017
            else "Military Forces of France (2017-2022)"
        ), 8
    if kind == "jihadist":
        if year <= 2016:
            return "AQIM: Al Qaeda in the Islamic Maghreb", 2
        return "JNIM: Group for Support of Islam and Muslims", 2
    if kind == "is":
        return (
            "Islamic State (Greater Sahara)"
            if year <= 2021
            else "Islamic State (Sahel)"
        ), 2
    if kind == "rebel":
        if year == 2013:
            return "MNLA: National Movement for the Liberation of Azawad", 2
        if year >= 2023:
            return (
                "CSP-PSD: Permanent Strategic Framework for Peace, Security and "
                "Development"
            ), 2
        return "CMA: Coordination of Azawad Movements", 2
    if kind == "gatia":
        return "GATIA: Imghad Tuareg and Allies Self-Defense Group", 3
    if kind == "unknown":
        return "Unidentified Armed Group (Mali)", 3
    if kind == "civilians":
        return "Civilians (Mali)", 7
    if kind == "protesters":
        return "Protesters (Mali)", 6
    msg = kind
    raise KeyError(msg)


def sample_on_roads(features: list[dict], step_m: float = 500.0) -> np.ndarray:
    """Points every step_m along every road feature (spurs excluded), EPSG:32631 m."""
    pts = []
    for f in features:
        if f["name"].endswith("spur"):
            continue
        xy = np.array([utm(c) for c in f["coords"]])
        seg = np.hypot(*np.diff(xy, axis=0).T)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        t = np.arange(0.0, s[-1], step_m)
        pts.append(
            np.column_stack([np.interp(t, s, xy[:, 0]), np.interp(t, s, xy[:, 1])])
        )
    return np.concatenate(pts)


def make_events(features: list[dict], rng: np.random.Generator) -> list[dict]:
    """Synthetic threat events, ACLED export rows, newest first."""
    road_pts = sample_on_roads(features)
    gaz_names = list(GAZETTEER)
    gaz_xy = np.array([utm(GAZETTEER[n][0]) for n in gaz_names])
    years = np.array(list(YEAR_WEIGHTS))
    ywt = np.array(list(YEAR_WEIGHTS.values()))
    ywt = ywt / ywt.sum()

    def near_town(name: str, sd_km: float) -> np.ndarray:
        return utm(TOWNS[name]) + rng.normal(0.0, sd_km * 1000.0, size=2)

    def pick(weighted: list, col: int = 1) -> int:
        w = np.array([x[col] for x in weighted], dtype=float)
        return int(rng.choice(len(weighted), p=w / w.sum()))

    def ied_point() -> np.ndarray:
        if rng.random() < 0.12:  # anywhere on the road network
            p = road_pts[rng.integers(len(road_pts))]
        else:
            _, centre, radius_km, _ = IED_CHOKEPOINTS[pick(IED_CHOKEPOINTS, 3)]
            d = np.hypot(*(road_pts - utm(centre)).T)
            cand = np.flatnonzero(d < radius_km * 1000.0)
            p = road_pts[cand[rng.integers(len(cand))]]
        return p + rng.normal(0.0, 700.0, size=2)  # within a few km of the road

    def clash_point() -> np.ndarray:
        name, _, sd = CLASH_TOWNS[pick(CLASH_TOWNS)]
        return near_town(name, sd)

    def camp_point(sd_km: float) -> np.ndarray:
        return near_town(CAMPS[pick(CAMPS)][0], sd_km)

    def background_point() -> np.ndarray:
        lon = rng.uniform(-0.8, 2.6)
        lat = rng.uniform(16.0, 20.4)
        return utm((lon, lat))

    def fatalities(mean: float, p_zero: float) -> int:
        if rng.random() < p_zero:
            return 0
        # negative binomial with a small shape: mostly 1-3, a heavy tail
        shape = 0.7
        f = int(rng.negative_binomial(shape, shape / (shape + mean)))
        return max(1, min(f, 150))

    def strategic_sub() -> str:
        subs = [
            "Looting/property destruction",
            "Arrests",
            "Disrupted weapons use",
            "Headquarters or base established",
            "Non-violent transfer of territory",
            "Change to group/activity",
            "Agreement",
            "Other",
        ]
        w = np.array([0.22, 0.15, 0.2, 0.1, 0.08, 0.1, 0.05, 0.1])
        return subs[int(rng.choice(len(subs), p=w / w.sum()))]

    # (event_type, sub_event_type, count, place sampler, actor pairs, fatality mean, p0)
    plan = [
        (
            "Explosions/Remote violence",
            "Remote explosive/landmine/IED",
            390,
            ied_point,
            [
                ("unknown", "minusma"),
                ("jihadist", "minusma"),
                ("unknown", "mali"),
                ("jihadist", "mali"),
                ("unknown", "civilians"),
                ("jihadist", "france"),
            ],
            1.5,
            0.55,
        ),
        (
            "Battles",
            "Armed clash",
            420,
            clash_point,
            [
                ("mali", "jihadist"),
                ("rebel", "mali"),
                ("jihadist", "minusma"),
                ("gatia", "rebel"),
                ("is", "rebel"),
                ("france", "jihadist"),
                ("jihadist", "is"),
            ],
            3.0,
            0.35,
        ),
        (
            "Explosions/Remote violence",
            "Shelling/artillery/missile attack",
            170,
            lambda: camp_point(4.0),
            [
                ("jihadist", "minusma"),
                ("unknown", "minusma"),
                ("jihadist", "mali"),
                ("unknown", "france"),
            ],
            0.6,
            0.8,
        ),
        (
            "Explosions/Remote violence",
            "Suicide bomb",
            22,
            lambda: camp_point(2.0),
            [("jihadist", "minusma"), ("jihadist", "mali"), ("jihadist", "france")],
            6.0,
            0.1,
        ),
        (
            "Explosions/Remote violence",
            "Air/drone strike",
            70,
            background_point,
            [
                ("france", "jihadist"),
                ("mali", "rebel"),
                ("mali", "jihadist"),
                ("france", "is"),
            ],
            4.0,
            0.3,
        ),
        (
            "Explosions/Remote violence",
            "Grenade",
            30,
            lambda: camp_point(3.0),
            [("unknown", "civilians"), ("unknown", "minusma")],
            0.8,
            0.6,
        ),
        (
            "Violence against civilians",
            "Attack",
            230,
            clash_point,
            [
                ("is", "civilians"),
                ("jihadist", "civilians"),
                ("unknown", "civilians"),
                ("rebel", "civilians"),
                ("mali", "civilians"),
            ],
            1.8,
            0.3,
        ),
        (
            "Strategic developments",
            None,
            160,
            clash_point,
            [
                ("rebel", ""),
                ("jihadist", ""),
                ("mali", ""),
                ("unknown", ""),
                ("minusma", ""),
            ],
            0.0,
            1.0,
        ),
        (
            "Protests",
            "Peaceful protest",
            90,
            lambda: near_town(
                ["Kidal", "Gao", "Gao", "Kidal", "Bourem", "Aguelhok", "Tessalit"][
                    rng.integers(7)
                ],
                1.0,
            ),
            [("protesters", "")],
            0.0,
            1.0,
        ),
    ]
    rows: list[dict] = []
    for etype, sub, count, where, pairs, fmean, p0 in plan:
        for _ in range(count):
            year = int(rng.choice(years, p=ywt))
            last = date(year, 10, 30) if year == 2023 else date(year, 12, 31)
            first = date(year, 1, 12) if year == 2013 else date(year, 1, 1)
            day = first + timedelta(days=int(rng.integers((last - first).days + 1)))
            rows.append(
                _event_row(
                    etype,
                    sub or strategic_sub(),
                    day,
                    where(),
                    pairs[rng.integers(len(pairs))],
                    fmean,
                    p0,
                    gaz_names,
                    gaz_xy,
                    rng,
                    fatalities,
                )
            )
    # a dozen events after the scenario's start: they must be ignored by the planner
    for i in range(12):
        day = date(2023, 11, 1) + timedelta(days=int(4 * i + rng.integers(4)))
        if i % 3 == 0:
            rows.append(
                _event_row(
                    "Explosions/Remote violence",
                    "Remote explosive/landmine/IED",
                    day,
                    ied_point(),
                    ("unknown", "mali"),
                    1.5,
                    0.5,
                    gaz_names,
                    gaz_xy,
                    rng,
                    fatalities,
                )
            )
        else:
            rows.append(
                _event_row(
                    "Battles",
                    "Armed clash",
                    day,
                    clash_point(),
                    ("mali", "rebel"),
                    3.0,
                    0.3,
                    gaz_names,
                    gaz_xy,
                    rng,
                    fatalities,
                )
            )
    rows.sort(
        key=lambda r: (r["event_date"], r["latitude"], r["longitude"]), reverse=True
    )
    for i, r in enumerate(reversed(rows)):
        r["event_id_cnty"] = f"MLI{90001 + i}"
    return rows


def _event_row(
    etype, sub, day, xy, pair, fmean, p0, gaz_names, gaz_xy, rng, fatalities
):
    """One ACLED-format row."""
    if day.year > 2022:  # French forces left Mali in August 2022
        pair = tuple("mali" if p == "france" else p for p in pair)
    a1, i1 = actor(pair[0], day.year)
    a2, i2 = actor(pair[1], day.year) if pair[1] else ("", 0)
    inter = int(f"{min(i1, i2)}{max(i1, i2)}") if i2 else i1 * 10
    lon, lat = TO_LL.transform(xy[0], xy[1])
    d = np.hypot(*(gaz_xy - xy).T)
    k = int(np.argmin(d))
    place = gaz_names[k]
    admin = GAZETTEER[place][1]
    geo = 1 if d[k] < 5_000 else (2 if d[k] < 30_000 else 3)
    disorder = {
        "Strategic developments": "Strategic developments",
        "Protests": "Demonstrations",
    }.get(etype, "Political violence")
    fat = (
        0 if etype in ("Strategic developments", "Protests") else fatalities(fmean, p0)
    )
    civ = "Civilian targeting" if pair[1] == "civilians" else ""
    stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(
        days=int(rng.integers(3, 15))
    )
    return {
        "event_id_cnty": "",
        "event_date": day.isoformat(),
        "year": day.year,
        "time_precision": int(rng.choice([1, 1, 1, 2, 3])),
        "disorder_type": disorder,
        "event_type": etype,
        "sub_event_type": sub,
        "actor1": a1,
        "assoc_actor_1": "",
        "inter1": i1,
        "actor2": a2,
        "assoc_actor_2": "",
        "inter2": i2 if i2 else "",
        "interaction": inter,
        "civilian_targeting": civ,
        "iso": 466,
        "region": "Western Africa",
        "country": "Mali",
        "admin1": admin[0],
        "admin2": admin[1],
        "admin3": admin[2],
        "location": place,
        "latitude": f"{lat:.4f}",
        "longitude": f"{lon:.4f}",
        "geo_precision": geo,
        "source": "Synthetic",
        "source_scale": "Other",
        "notes": NOTE,
        "fatalities": fat,
        "tags": "",
        "timestamp": int(stamp.timestamp()),
    }


# --------------------------------------------------------------------------------------
# Fleet and manifest: representative, not the real MINUSMA lists.
# --------------------------------------------------------------------------------------
# type, count, prefix, length_m, payload_kg, deck_m2, seats,
# speeds (paved, laterite, track, sand) km/h, reliability (mean) per 100 km,
# can_tow, value_usd. Figures are typical of the class named (manufacturers' public
# data sheets, rounded); speeds are convoy speeds, well below the vehicles' top speed.
# fmt: off
FLEET_TYPES = [
    ("APC 6x6", 24, "APC", 7.6, 500, 0.0, 11, (70, 50, 35, 20), 0.95, False, 1_200_000),
    ("Light armoured vehicle 4x4", 26, "LAV", 6.4, 400, 0.0, 5, (80, 60, 40, 25), 0.96,
     False, 600_000),
    ("Troop carrier truck 6x6", 16, "TRP", 8.5, 1_000, 0.0, 24, (65, 45, 30, 18), 0.93,
     False, 250_000),
    ("Cargo truck 6x6", 30, "CGO", 9.0, 9_000, 15.0, 3, (65, 45, 30, 18), 0.92, False,
     300_000),
    ("Low-bed tractor-trailer", 14, "LBD", 18.5, 35_000, 30.0, 2, (55, 35, 25, 12),
     0.88, False, 450_000),
    ("Fuel tanker 6x6", 8, "FUL", 9.5, 0, 0.0, 2, (60, 40, 28, 15), 0.91, False,
     250_000),
    ("Water tanker 6x6", 4, "WTR", 9.5, 0, 0.0, 2, (60, 40, 28, 15), 0.91, False,
     200_000),
    ("Recovery vehicle 8x8", 7, "REC", 10.0, 2_000, 0.0, 3, (60, 45, 30, 18), 0.94,
     True, 700_000),
    ("Armoured ambulance", 4, "AMB", 6.5, 200, 0.0, 4, (75, 55, 35, 20), 0.96, False,
     400_000),
    ("Route clearance vehicle", 6, "RCV", 8.2, 1_000, 0.0, 4, (60, 40, 30, 15), 0.90,
     False, 1_500_000),
    ("Command vehicle 4x4", 4, "CMD", 6.5, 300, 0.0, 6, (80, 60, 40, 25), 0.96, False,
     800_000),
]
# fmt: on
FLEET_COLUMNS = [
    "id",
    "type",
    "length_m",
    "payload_kg",
    "deck_m2",
    "seats",
    "speed_paved_kph",
    "speed_laterite_kph",
    "speed_track_kph",
    "speed_sand_kph",
    "reliability",
    "roadworthy",
    "can_tow",
    "camp",
    "value_usd",
    "role",
]
# role of each type by call-sign prefix (convoy.scenario.VEHICLE_ROLES; blank: a
# general vehicle). The six route clearance vehicles are the column's own engineers:
# two clearance teams of three ([movement] clearance_team_vehicles), representative
# of the engineers the 2023 column moved behind, not their real establishment.
ROLES = {
    "APC": "escort",
    "LAV": "escort",
    "CGO": "cargo",
    "LBD": "cargo",
    "FUL": "cargo",
    "WTR": "cargo",
    "REC": "recovery",
    "AMB": "ambulance",
    "RCV": "route_clearance",
    "CMD": "command",
}
# vehicles that cannot move under their own power (call signs)
NOT_ROADWORTHY = {"APC-17", "LAV-09", "CGO-04", "CGO-22", "LBD-11", "FUL-06"}


def make_fleet(rng: np.random.Generator) -> list[dict]:
    """143 vehicles at camp Kidal."""
    rows = []
    for (
        vtype,
        count,
        prefix,
        length,
        payload,
        deck,
        seats,
        speeds,
        rel,
        tow,
        value,
    ) in FLEET_TYPES:
        for i in range(1, count + 1):
            vid = f"{prefix}-{i:02d}"
            r = float(np.clip(rel + rng.normal(0.0, 0.02), 0.85, 0.99))
            rows.append(
                {
                    "id": vid,
                    "type": vtype,
                    "length_m": length,
                    "payload_kg": payload,
                    "deck_m2": deck,
                    "seats": seats,
                    "speed_paved_kph": speeds[0],
                    "speed_laterite_kph": speeds[1],
                    "speed_track_kph": speeds[2],
                    "speed_sand_kph": speeds[3],
                    "reliability": f"{r:.3f}",
                    "roadworthy": "false" if vid in NOT_ROADWORTHY else "true",
                    "can_tow": "true" if tow else "false",
                    "camp": "Kidal",
                    "value_usd": value,
                    "role": ROLES.get(prefix, ""),
                }
            )
    return rows


# category, count, weight_kg range, deck_m2 range (or fixed), value_usd range,
# sensitive, destroy_hours range, share mandatory
# fmt: off
LOT_TYPES = [
    ("ISO container 20 ft", 20, (10_000, 20_000), (14.9, 14.9), (40_000, 250_000),
     False, (0.3, 1.0), 0.0),
    ("accommodation unit", 6, (2_300, 3_000), (14.9, 14.9), (25_000, 45_000), False,
     (0.3, 1.0), 0.0),
    ("generator", 30, (1_200, 6_500), (2.0, 5.5), (15_000, 120_000), False, (0.2, 0.8),
     0.0),
    ("water purification unit", 6, (2_500, 5_000), (6.0, 9.0), (60_000, 200_000), False,
     (0.2, 0.8), 0.0),
    ("fuel bladder", 12, (250, 700), (1.2, 2.5), (5_000, 25_000), False, (0.1, 0.5),
     0.0),
    ("medical", 30, (200, 900), (1.2, 2.4), (5_000, 90_000), False, (0.1, 0.5), 0.25),
    ("medical (controlled drugs)", 6, (50, 200), (0.4, 1.0), (10_000, 60_000), True,
     (0.5, 1.5), 0.5),
    ("engineering plant", 8, (3_000, 12_000), (5.0, 12.0), (40_000, 180_000), False,
     (0.3, 1.0), 0.0),
    ("communications", 30, (100, 1_500), (0.6, 3.0), (20_000, 350_000), True,
     (1.0, 6.0), 0.2),
    ("weapons", 25, (300, 1_200), (0.8, 1.6), (20_000, 200_000), True, (2.0, 8.0), 0.3),
    ("ammunition", 60, (800, 1_300), (1.2, 1.2), (8_000, 60_000), True, (2.0, 6.0),
     0.12),
    ("crypto/IT", 18, (40, 200), (0.3, 0.8), (30_000, 300_000), True, (0.5, 2.0), 0.2),
    ("vehicle spares", 60, (600, 2_000), (1.2, 2.4), (3_000, 60_000), False, (0.1, 0.5),
     0.0),
    ("defence stores", 80, (1_000, 1_800), (1.2, 1.6), (2_000, 15_000), False,
     (0.1, 0.4), 0.0),
    ("rations and water", 40, (600, 1_000), (1.2, 1.2), (2_000, 6_000), False,
     (0.1, 0.3), 0.0),
    ("tentage and field furniture", 30, (200, 800), (1.2, 2.0), (2_000, 20_000), False,
     (0.1, 0.4), 0.0),
    ("workshop equipment", 20, (400, 3_500), (1.2, 4.0), (10_000, 80_000), False,
     (0.2, 0.6), 0.0),
    ("office and welfare stores", 30, (150, 600), (1.2, 2.4), (1_000, 15_000), False,
     (0.1, 0.3), 0.0),
]
# fmt: on
MANIFEST_COLUMNS = [
    "id",
    "category",
    "weight_kg",
    "deck_m2",
    "value_usd",
    "sensitive",
    "destroy_hours",
    "mandatory",
    "camp",
]


def make_manifest(rng: np.random.Generator) -> list[dict]:
    """Equipment lots at camp Kidal."""
    rows = []
    n = 0
    for cat, count, (w0, w1), (d0, d1), (v0, v1), sens, (h0, h1), p_mand in LOT_TYPES:
        num_mand = round(p_mand * count)
        mand_idx = set(rng.choice(count, size=num_mand, replace=False).tolist())
        for i in range(count):
            n += 1
            deck = d0 if d0 == d1 else round(float(rng.uniform(d0, d1)) * 10) / 10
            weight = int(round(float(rng.uniform(w0, w1)) / 10) * 10)
            # log-uniform values: many cheap lots, a few expensive ones
            value = int(round(math.exp(rng.uniform(math.log(v0), math.log(v1))), -2))
            rows.append(
                {
                    "id": f"L{n:04d}",
                    "category": cat,
                    "weight_kg": weight,
                    "deck_m2": deck,
                    "value_usd": value,
                    "sensitive": "true" if sens else "false",
                    "destroy_hours": round(float(rng.uniform(h0, h1)), 1),
                    "mandatory": "true" if i in mand_idx else "false",
                    "camp": "Kidal",
                }
            )
    return rows


def check_loads(fleet: list[dict], lots: list[dict]) -> dict[str, float]:
    """Print and assert the capacity ratios."""
    cap_deck = sum(float(v["deck_m2"]) for v in fleet)
    cap_kg = sum(float(v["payload_kg"]) for v in fleet)
    seats = sum(int(v["seats"]) for v in fleet)
    deck = sum(float(x["deck_m2"]) for x in lots)
    kg = sum(float(x["weight_kg"]) for x in lots)
    mand = [x for x in lots if x["mandatory"] == "true"]
    m_deck = sum(float(x["deck_m2"]) for x in mand) / cap_deck
    m_kg = sum(float(x["weight_kg"]) for x in mand) / cap_kg
    value = sum(float(x["value_usd"]) for x in lots)
    print(
        f"fleet: {len(fleet)} vehicles, {seats} seats, payload {cap_kg / 1000:.0f} t, "
        f"deck {cap_deck:.0f} m2, {sum(v['roadworthy'] == 'false' for v in fleet)} "
        f"not roadworthy, {sum(v['can_tow'] == 'true' for v in fleet)} can tow"
    )
    print(
        f"manifest: {len(lots)} lots, {kg / 1000:.0f} t, {deck:.0f} m2, "
        f"value {value / 1e6:.1f} M USD, {len(mand)} mandatory "
        f"({100 * len(mand) / len(lots):.1f} %), "
        f"{sum(x['sensitive'] == 'true' for x in lots)} sensitive"
    )
    print(
        f"ratios: deck {deck / cap_deck:.2f}, weight {kg / cap_kg:.2f}, "
        f"mandatory deck {m_deck:.2f}, mandatory weight {m_kg:.2f}"
    )
    assert len(fleet) == 143 and seats >= 848
    assert len(lots) >= 500
    assert 1.3 <= deck / cap_deck <= 1.6, deck / cap_deck
    assert 1.1 <= kg / cap_kg <= 1.5, kg / cap_kg
    assert m_deck < 0.4 and m_kg < 0.4
    assert 0.05 <= len(mand) / len(lots) <= 0.10
    return {"deck_ratio": deck / cap_deck, "weight_ratio": kg / cap_kg}


# --------------------------------------------------------------------------------------
# Writing.
# --------------------------------------------------------------------------------------
def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """CSV with a header, LF line ends, minimal quoting."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_geojson(path: Path, features: list[dict], geom_type: str) -> None:
    """GeoJSON FeatureCollection in EPSG:4326, one feature per line."""
    lines = []
    for f in features:
        props = {k: v for k, v in f.items() if k != "coords"}
        coords = (
            [list(c) for c in f["coords"]]
            if geom_type == "LineString"
            else list(f["coords"])
        )
        lines.append(
            json.dumps(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {"type": geom_type, "coordinates": coords},
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
        )
    text = (
        '{"type":"FeatureCollection",\n"crs":{"type":"name","properties":'
        '{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},\n"features":[\n'
        + ",\n".join(lines)
        + "\n]}\n"
    )
    path.write_text(text, encoding="utf-8")


SCENARIO_TOML = """\
# The Kidal -> Gao withdrawal, northern Mali, 2023: the embedded example scenario.
# Facts marked (MINUSMA 2023) are from the UN mission's public statements on the
# withdrawal of 31 October - 7 November 2023 and press reports of it; the rest is
# described in README.md. Times are UTC (Mali keeps UTC all year).

[scenario]
title = "Kidal to Gao, MINUSMA withdrawal (31 Oct 2023)"
# UTC; the column left Kidal early on 31 October (MINUSMA 2023)
start = "2023-10-31T06:00:00Z"
# UTC; assumption: a few days beyond the eight days the real column needed
deadline = "2023-11-11T18:00:00Z"
origin = "Kidal"         # site name, kind camp (sites.geojson)
destination = "Gao"      # site name, kind destination (sites.geojson)
air_cover = false        # bool; no air cover, flights were refused (MINUSMA 2023)
personnel = 848          # persons; "about 850" withdrawn from Kidal (MINUSMA 2023)
seed = {seed}        # integer; seeds every random number of the plan

[files]
# paths relative to this file; see README.md for what each holds and its sources
roads = "roads.geojson"      # LineStrings, EPSG:4326; approximate geometry
sites = "sites.geojson"      # Points, EPSG:4326: camps, destination, halts, checkpoints
events = "events.csv"        # SYNTHETIC, in the ACLED export format; not ACLED data
events_format = "acled"      # acled | ucdp | layer
fleet = "fleet.csv"          # 143 vehicles (MINUSMA 2023 count), representative types
manifest = "manifest.csv"    # equipment lots, representative, not the real list

[roads]
# WGS 84 / UTM zone 31N, metres: zone 31 spans 0-6 deg E, the corridor lies in it
# but for the last kilometres round Gao and the Niger road (a few km west of 0)
crs = "EPSG:32631"

# The observed convoys. Each is rebuilt as a paced profile through its waypoints
# (driving inside the movement windows between them) and priced by the same model
# as the plans; the trips marked for calibration set the level of each risk channel
# (Poisson maximum likelihood, with a 90 % interval). The first trip from the origin
# to the destination is the historical baseline. A date alone is read as the middle
# of that day's movement windows (first waypoint: their opening; last: their close).

[[reference_trips]]
# MINUSMA's Kidal column (MINUSMA 2023): left Kidal early on 31 October, reached Gao
# on 7 November; six IED strikes reported, two on 31 October near Kidal and two near
# Anefis on 4 November. It moved behind its own route-clearance engineers. Attacks
# by fire were reported without a count, so the ambush channel is not observed.
name = "Kidal 2023"
route = {route}
waypoints = [
  # "early on 31 October": 06:00Z, the scenario's start, is an assumption
  {{ site = "Kidal", time = "2023-10-31T06:00:00Z" }},
  # the IEDs near Anefis on 4 November put the column there that day
  {{ site = "Anefis", date = "2023-11-04" }},
  # reached Gao on 7 November; the hour is not stated
  {{ site = "Gao", date = "2023-11-07" }},
]
vehicles = 143           # MINUSMA 2023 count; drawn from fleet.csv (all of it here)
mode = "clearance"       # behind its own engineers; the pace follows the waypoints
observed = {{ ied = 6 }}   # six IEDs (MINUSMA 2023); ambush not counted: unknown
calibrate = true

[[reference_trips]]
# The Chadian contingent's column (MINUSMA 2023): left Tessalit on 21 October and
# Aguelhok on 23 October 2023, reached Gao on 29 October. The road from Aguelhok
# joins the main axis at Anefis. Neither its size nor its incidents are known here
# from a source this scenario can cite: no observed counts, the whole fleet stands
# in for the column, its mode is assumed normal, and it is held out (predicted,
# never used for calibration).
name = "Tessalit 2023"
route = [
  "Tessalit", "Aguelhok", "Anefis", "Tabankort", "Tabricha", "Tarkint", "Tin Aouker",
  "Gao",
]
waypoints = [
  {{ site = "Tessalit", date = "2023-10-21" }},
  {{ site = "Aguelhok", date = "2023-10-23" }},
  {{ site = "Gao", date = "2023-10-29" }},
]
mode = "normal"
holdout = true
"""


def write_toml(path: Path) -> None:
    """scenario.toml, every value commented with unit and source."""
    route = ["Kidal", "Anefis", "Tabankort", "Tabricha", "Tarkint", "Tin Aouker", "Gao"]
    text = SCENARIO_TOML.format(seed=SEED, route=json.dumps(route))
    path.write_text(text, encoding="utf-8")


def main(out: Path = OUT) -> None:
    """Build, check and write the scenario into the folder ``out``."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    _, features, sites = build_network(rng)
    check_network(features, sites)
    main_km: dict[str, float] = {}
    for f in features[: len(MAIN_ORDER) - 1]:
        km = GEOD.line_length(*np.array(f["coords"]).T) / 1000.0
        main_km[f["surface"]] = main_km.get(f["surface"], 0.0) + km
    print(
        "main axis by surface (km): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(main_km.items()))
    )
    events = make_events(features, rng)
    fleet = make_fleet(rng)
    lots = make_manifest(rng)
    check_loads(fleet, lots)
    n_after = sum(e["event_date"] > "2023-10-31" for e in events)
    print(
        f"events: {len(events)} rows, {n_after} after 2023-10-31, "
        f"{sum('IED' in e['sub_event_type'] for e in events)} IEDs"
    )
    assert len(events) >= 1500

    write_geojson(out / "roads.geojson", features, "LineString")
    write_geojson(out / "sites.geojson", sites, "Point")
    write_csv(out / "events.csv", ACLED_COLUMNS, events)
    write_csv(out / "fleet.csv", FLEET_COLUMNS, fleet)
    write_csv(out / "manifest.csv", MANIFEST_COLUMNS, lots)
    write_toml(out / "scenario.toml")
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)

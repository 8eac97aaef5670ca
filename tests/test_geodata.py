"""The embedded Kidal-Gao scenario: its files hold the figures the README promises."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import sys
import tomllib
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from convoy.params import (
    DEFAULT_CHANNEL_RULES,
    SURFACES,
    RoadParams,
)
from convoy.scenario import SITE_KINDS

ROOT = Path(__file__).resolve().parents[1]
DIR = ROOT / "geodata" / "kidal-gao"
GENERATOR = ROOT / "geodata" / "_build" / "make_kidal_gao.py"
GEOD = Geod(ellps="WGS84")
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
MAIN_ROUTE = [
    "Kidal",
    "Anefis",
    "Tabankort",
    "Tabricha",
    "Tarkint",
    "Tin Aouker",
    "Gao",
]


def _rows(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (DIR / name).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _true(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="module")
def toml() -> dict:
    return tomllib.loads((DIR / "scenario.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def roads() -> dict:
    return json.loads((DIR / "roads.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sites() -> dict[str, tuple[str, tuple[float, float]]]:
    doc = json.loads((DIR / "sites.geojson").read_text(encoding="utf-8"))
    out = {}
    for f in doc["features"]:
        assert f["properties"]["name"] not in out
        out[f["properties"]["name"]] = (
            f["properties"]["kind"],
            tuple(f["geometry"]["coordinates"]),
        )
    return out


@pytest.fixture(scope="module")
def network(roads):
    """Noded nodes (lon, lat) and a CSR graph weighted by geodesic metres."""
    lines = shapely.MultiLineString(
        [f["geometry"]["coordinates"] for f in roads["features"]]
    )
    ends: dict[tuple[float, float], int] = {}
    best: dict[tuple[int, int], float] = {}
    for piece in shapely.get_parts(shapely.node(lines)):
        c = shapely.get_coordinates(piece)
        a = ends.setdefault((round(c[0, 0], 7), round(c[0, 1], 7)), len(ends))
        b = ends.setdefault((round(c[-1, 0], 7), round(c[-1, 1], 7)), len(ends))
        key = (min(a, b), max(a, b))
        best[key] = min(best.get(key, np.inf), GEOD.line_length(c[:, 0], c[:, 1]))
    ij = np.array(list(best)).reshape(-1, 2)
    n = len(ends)
    graph = coo_matrix((list(best.values()), (ij[:, 0], ij[:, 1])), shape=(n, n))
    graph = graph.tocsr()
    return np.array(list(ends)), graph


def _node_of(xy: np.ndarray, lonlat: tuple[float, float]) -> tuple[int, float]:
    n = len(xy)
    _, _, d = GEOD.inv(np.full(n, lonlat[0]), np.full(n, lonlat[1]), xy[:, 0], xy[:, 1])
    return int(np.argmin(d)), float(d.min())


def test_scenario_toml_uses_known_keys(toml):
    """scenario.toml has the required keys and files; the params tables accept it."""
    sc = toml["scenario"]
    assert {"start", "deadline", "origin", "destination"} <= set(sc)
    assert set(sc) <= {
        "title",
        "start",
        "deadline",
        "origin",
        "destination",
        "air_cover",
        "personnel",
        "seed",
    }
    assert sc["personnel"] == 848 and sc["air_cover"] is False
    assert sc["start"] == "2023-10-31T06:00:00Z"
    for key in ("roads", "sites", "events", "fleet", "manifest"):
        assert (DIR / toml["files"][key]).is_file()
    assert toml["files"]["events_format"] == "acled"
    assert RoadParams.from_toml(toml["roads"]).crs == "EPSG:32631"
    trips = toml["reference_trips"]
    assert trips[0]["route"] == list(MAIN_ROUTE)
    assert trips[0]["observed"] == {"ied": 6} and trips[0]["mode"] == "clearance"
    assert trips[1]["holdout"] is True and "observed" not in trips[1]
    assert "calibration" not in toml


def test_roads_are_wgs84_lines_with_known_surfaces(roads):
    """Roads are lon/lat LineStrings, known surfaces, a vertex at least every 5 km."""
    assert roads["crs"]["properties"]["name"].endswith("CRS84")
    for f in roads["features"]:
        assert f["geometry"]["type"] == "LineString"
        assert f["properties"]["surface"] in SURFACES
        assert f["properties"]["name"]
        c = np.array(f["geometry"]["coordinates"])
        assert np.all((c[:, 0] > -2) & (c[:, 0] < 3) & (c[:, 1] > 15) & (c[:, 1] < 21))
        _, _, seg = GEOD.inv(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
        assert seg.max() <= 5_000.0


def test_network_is_connected_with_40_nodes(network):
    """After noding the network has at least 40 nodes and one connected component."""
    xy, graph = network
    assert len(xy) >= 40
    assert connected_components(graph, directed=False)[0] == 1


def test_kidal_gao_distance_on_main_axis(network, sites):
    """Kidal to Gao is 340-360 km by the shortest road, and that is the main axis."""
    xy, graph = network
    node = {name: _node_of(xy, ll)[0] for name, (_, ll) in sites.items()}
    shortest = (
        dijkstra(graph, directed=False, indices=node["Kidal"])[node["Gao"]] / 1000
    )
    legs = [
        dijkstra(graph, directed=False, indices=node[a])[node[b]] / 1000
        for a, b in pairwise(MAIN_ROUTE)
    ]
    assert 340.0 <= shortest <= 360.0
    assert sum(legs) == pytest.approx(shortest, abs=0.5)
    via_bourem = (
        dijkstra(graph, directed=False, indices=node["Kidal"])[node["Bourem"]]
        + dijkstra(graph, directed=False, indices=node["Bourem"])[node["Gao"]]
    )
    assert via_bourem / 1000 > shortest  # the western variant is a real, longer option


def test_sites_kinds_and_snapping(network, sites):
    """Valid kinds; camps and 12+ halts exist; every site within 1 km of a node."""
    xy, _ = network
    kinds = {name: kind for name, (kind, _) in sites.items()}
    assert set(kinds.values()) <= set(SITE_KINDS)
    assert kinds["Kidal"] == "camp" and kinds["Gao"] == "destination"
    assert kinds["Tessalit"] == "camp" and kinds["Aguelhok"] == "camp"
    assert sum(k == "halt" for k in kinds.values()) >= 12
    for name in [*MAIN_ROUTE[1:-1], "Bourem"]:
        assert kinds[name] == "checkpoint"
    for name, (_, ll) in sites.items():
        assert _node_of(xy, ll)[1] < 1_000.0, name


def test_events_are_synthetic_acled():
    """events.csv has ACLED's columns, 1,500+ synthetic rows 2013-2023, a dozen late."""
    header, rows = _rows("events.csv")
    assert header == ACLED_COLUMNS
    assert len(rows) >= 1500
    dates = [r["event_date"] for r in rows]
    assert all(len(d) == 10 and d[4] == "-" and d[7] == "-" for d in dates)
    assert min(dates) >= "2013-01-01" and max(dates) <= "2023-12-31"
    assert 10 <= sum(d > "2023-10-31" for d in dates) <= 20
    assert all(r["notes"].startswith("Synthetic event") for r in rows)
    assert len({r["event_id_cnty"] for r in rows}) == len(rows)
    for r in rows:
        key = f"{r['event_type']}|{r['sub_event_type']}"
        assert key in DEFAULT_CHANNEL_RULES or r["event_type"] in DEFAULT_CHANNEL_RULES
    fat = np.array([int(r["fatalities"]) for r in rows])
    assert np.mean(fat <= 3) > 0.8 and fat.max() >= 10
    ieds = [r for r in rows if r["sub_event_type"] == "Remote explosive/landmine/IED"]
    assert len(ieds) >= 200


def test_ieds_lie_near_roads(roads):
    """Nearly every IED is within 5 km of a road."""
    _, rows = _rows("events.csv")
    lines = shapely.MultiLineString(
        [f["geometry"]["coordinates"] for f in roads["features"]]
    )
    pts = np.array(
        [
            [float(r["longitude"]), float(r["latitude"])]
            for r in rows
            if r["sub_event_type"] == "Remote explosive/landmine/IED"
        ]
    )
    # 0.045 degree is about 5 km at these latitudes
    near = shapely.dwithin(shapely.points(pts), lines, 0.045)
    assert near.mean() > 0.95


def test_fleet_figures():
    """143 vehicles at Kidal, 848+ seats, a few unroadworthy, 6-8 recovery vehicles."""
    _, rows = _rows("fleet.csv")
    assert len(rows) == 143
    assert len({r["id"] for r in rows}) == 143
    assert sum(int(r["seats"]) for r in rows) >= 848
    assert 4 <= sum(not _true(r["roadworthy"]) for r in rows) <= 8
    assert 6 <= sum(_true(r["can_tow"]) for r in rows) <= 8
    assert all(r["camp"] == "Kidal" for r in rows)
    for r in rows:
        assert 0.85 <= float(r["reliability"]) <= 0.99
        speeds = [float(r[f"speed_{s}_kph"]) for s in SURFACES]
        assert speeds == sorted(speeds, reverse=True) and speeds[-1] > 0
        assert float(r["value_usd"]) > 0


def test_manifest_exceeds_fleet_capacity():
    """500+ lots; deck 130-160 %, weight 110-150 % of the fleet; mandatory lots fit."""
    _, fleet = _rows("fleet.csv")
    _, lots = _rows("manifest.csv")
    assert len(lots) >= 500
    cap_deck = sum(float(v["deck_m2"]) for v in fleet)
    cap_kg = sum(float(v["payload_kg"]) for v in fleet)
    deck = sum(float(x["deck_m2"]) for x in lots)
    kg = sum(float(x["weight_kg"]) for x in lots)
    assert 1.3 <= deck / cap_deck <= 1.6
    assert 1.1 <= kg / cap_kg <= 1.5
    mand = [x for x in lots if _true(x["mandatory"])]
    assert 0.05 <= len(mand) / len(lots) <= 0.10
    assert sum(float(x["deck_m2"]) for x in mand) < 0.4 * cap_deck
    assert sum(float(x["weight_kg"]) for x in mand) < 0.4 * cap_kg
    for x in lots:
        assert float(x["weight_kg"]) > 0 and float(x["deck_m2"]) > 0
        assert x["camp"] == "Kidal"
        if _true(x["sensitive"]):
            assert 0.5 <= float(x["destroy_hours"]) <= 8.0
    # every lot fits on at least one vehicle
    assert max(float(x["deck_m2"]) for x in lots) <= max(
        float(v["deck_m2"]) for v in fleet
    )
    assert max(float(x["weight_kg"]) for x in lots) <= max(
        float(v["payload_kg"]) for v in fleet
    )


def test_generator_reproduces_the_files(tmp_path, monkeypatch):
    """Running the generator again writes the committed files (coordinates to 1e-5)."""
    spec = importlib.util.spec_from_file_location("make_kidal_gao", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    with contextlib.redirect_stdout(io.StringIO()):
        module.main(tmp_path)
    for name in ("scenario.toml", "fleet.csv", "manifest.csv"):
        assert (tmp_path / name).read_bytes() == (DIR / name).read_bytes(), name
    for name in ("roads.geojson", "sites.geojson"):
        new = json.loads((tmp_path / name).read_text(encoding="utf-8"))["features"]
        old = json.loads((DIR / name).read_text(encoding="utf-8"))["features"]
        assert [f["properties"] for f in new] == [f["properties"] for f in old]
        for a, b in zip(new, old, strict=True):
            np.testing.assert_allclose(
                np.array(a["geometry"]["coordinates"]),
                np.array(b["geometry"]["coordinates"]),
                atol=1e-5,
            )
    new_ev = (tmp_path / "events.csv").read_text(encoding="utf-8").splitlines()
    old_ev = (DIR / "events.csv").read_text(encoding="utf-8").splitlines()
    assert len(new_ev) == len(old_ev)
    strip = [c for c in ACLED_COLUMNS if c not in ("latitude", "longitude")]
    new_rows = list(csv.DictReader(new_ev))
    old_rows = list(csv.DictReader(old_ev))
    assert [[r[c] for c in strip] for r in new_rows] == [
        [r[c] for c in strip] for r in old_rows
    ]
    for key in ("latitude", "longitude"):
        np.testing.assert_allclose(
            [float(r[key]) for r in new_rows],
            [float(r[key]) for r in old_rows],
            atol=2e-4,
        )


def test_folder_is_small():
    """The embedded scenario stays under 3 MB."""
    assert sum(p.stat().st_size for p in DIR.iterdir()) < 3_000_000


def test_convoy_readers_accept_the_files(sites):
    """convoy's road and event readers load the files and agree on the figures."""
    from convoy.io.events import read_acled
    from convoy.io.roads import read_roads
    from convoy.scenario import Site

    recs = [Site(name, kind, ll[0], ll[1]) for name, (kind, ll) in sites.items()]
    net = read_roads(
        DIR / "roads.geojson", params=RoadParams(crs="EPSG:32631"), sites=recs
    )
    assert net.num_nodes >= 40
    assert 340_000 <= net.site_path("Kidal", "Gao")[2] <= 360_000
    events = read_acled(
        DIR / "events.csv", start="2023-10-31T06:00:00Z", crs="EPSG:32631"
    )
    assert events.num_after_start >= 10
    assert len(events.xy) >= 1500

"""Road network: reading, checking, noding, snapping, paths."""

from __future__ import annotations

import heapq
import json
import math
import time
from functools import partial

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, MultiLineString, Point

from convoy.errors import DataQualityWarning, GeodataError, NoRouteError, ScenarioError
from convoy.io.roads import read_roads
from convoy.params import SURFACES, RoadParams
from convoy.roads import RoadNetwork, road_network_from_layer
from convoy.scenario import Site

# About 0.00095 degrees of longitude is 100 m at 18 N; 0.0009 degrees of latitude too.
LON_100M = 100 / (111_320 * math.cos(math.radians(18.0)))
LAT_100M = 100 / 110_600


def layer(lines, crs="EPSG:4326", **cols):
    """A GeoDataFrame of lines with optional attribute columns."""
    return gpd.GeoDataFrame(cols, geometry=list(lines), crs=crs)


def cross():
    """Two 2 km lines crossing in their middles near 1 E, 18 N."""
    return [
        LineString([(1.0, 18.0), (1.0 + 20 * LON_100M, 18.0)]),
        LineString(
            [
                (1.0 + 10 * LON_100M, 18.0 - 10 * LAT_100M),
                (1.0 + 10 * LON_100M, 18.0 + 10 * LAT_100M),
            ]
        ),
    ]


def test_crossing_lines_give_four_edges():
    """Two lines crossing in the middle are noded into 4 edges around 5 nodes."""
    net = road_network_from_layer(layer(cross()))
    assert net.num_edges == 4
    assert net.num_nodes == 5
    assert np.all(np.abs(net.edge_length_m - 1000) < 15)
    degree = np.diff(net.indptr)
    assert sorted(degree.tolist()) == [1, 1, 1, 1, 4]
    assert any("split 2 lines into 4 pieces" in r for r in net.repairs)


def test_edge_frame():
    """The edges come out as a GeoDataFrame in the network's CRS, one row per edge."""
    net = road_network_from_layer(layer(cross(), surface=["paved", "sand"]))
    frame = net.edge_frame()
    assert len(frame) == net.num_edges
    assert frame.crs == net.crs
    assert sorted(frame["surface"]) == ["paved", "paved", "sand", "sand"]
    np.testing.assert_allclose(frame.geometry.length, frame["length_m"])


def test_network_is_projected_to_utm():
    """A layer in degrees is worked in the UTM zone of its centroid, in metres."""
    net = road_network_from_layer(layer(cross()))
    assert net.crs.to_epsg() == 32631
    lonlat = net.node_lonlat()
    assert np.all(np.abs(lonlat[:, 1] - 18.0) < 0.01)


def test_crs_from_params():
    """``[roads] crs`` overrides the UTM guess; a CRS in degrees is refused."""
    net = road_network_from_layer(layer(cross()), params=RoadParams(crs="EPSG:32630"))
    assert net.crs.to_epsg() == 32630
    with pytest.raises(ScenarioError, match="projected CRS in metres"):
        road_network_from_layer(layer(cross()), params=RoadParams(crs="EPSG:4326"))


@pytest.mark.parametrize(("gap_m", "joined"), [(30.0, True), (80.0, False)])
def test_near_miss_endpoints(gap_m, joined):
    """Ends 30 m apart are joined by the 50 m tolerance; 80 m apart they are not."""
    a = LineString([(1.0, 18.0), (1.0 + 10 * LON_100M, 18.0)])
    x0 = 1.0 + (10 + gap_m / 100) * LON_100M
    b = LineString([(x0, 18.0), (x0 + 10 * LON_100M, 18.0)])
    net = road_network_from_layer(layer([a, b]))
    assert net.num_nodes == (3 if joined else 4)
    assert bool(net.components().max() == 0) is joined
    assert any("joined" in r for r in net.repairs) is joined


@pytest.mark.parametrize(("gap_m", "joined"), [(30.0, True), (80.0, False)])
def test_undershot_junction(gap_m, joined):
    """A road stopping 30 m short of another's middle is extended to meet it."""
    main = LineString([(1.0, 18.0), (1.0 + 20 * LON_100M, 18.0)])
    y0 = 18.0 - gap_m / 100 * LAT_100M
    branch = LineString(
        [(1.0 + 10 * LON_100M, y0 - 10 * LAT_100M), (1.0 + 10 * LON_100M, y0)]
    )
    net = road_network_from_layer(layer([main, branch]))
    assert bool(net.components().max() == 0) is joined
    assert net.num_edges == (3 if joined else 2)
    text = "\n".join(net.repairs)
    assert ("extended 1 line ends" in text) is joined
    if joined:
        assert not any("zero-length" in r for r in net.repairs)
        branch_edge = int(np.argmin(np.abs(net.edge_length_m - 1000 - gap_m)))
        assert net.edge_length_m[branch_edge] == pytest.approx(1000 + gap_m, abs=2)


def test_zero_length_and_duplicate_pieces_dropped():
    """Repeated, reversed and zero-length lines leave one edge, reported."""
    a = LineString([(1.0, 18.0), (1.0 + 10 * LON_100M, 18.0)])
    rev = LineString(list(a.coords)[::-1])
    dot = LineString([(1.0, 18.0), (1.0, 18.0)])
    tiny = LineString([(1.5, 18.0), (1.5 + LON_100M / 10, 18.0)])
    net = road_network_from_layer(layer([a, a, rev, dot, tiny]))
    assert net.num_edges == 1
    assert net.num_nodes == 2
    text = "\n".join(net.repairs)
    assert "zero-length" in text
    assert "overlap or repeat" in text


def test_parallel_edges_kept_shortest_used():
    """Two different roads between the same nodes both stay; paths take the shorter."""
    a = LineString([(1.0, 18.0), (1.0 + 10 * LON_100M, 18.0)])
    detour = LineString(
        [
            (1.0, 18.0),
            (1.0 + 5 * LON_100M, 18.0 + 5 * LAT_100M),
            (1.0 + 10 * LON_100M, 18.0),
        ]
    )
    net = road_network_from_layer(layer([detour, a]))
    assert net.num_edges == 2
    nodes, edges, length_m = net.shortest_path(0, 1)
    assert edges.tolist() == [int(np.argmin(net.edge_length_m))]
    assert length_m == pytest.approx(net.edge_length_m.min())
    assert nodes.tolist() == [0, 1]


def test_multilinestrings_exploded():
    """A MultiLineString feature becomes its parts, and the repair says so."""
    m = MultiLineString([list(g.coords) for g in cross()])
    net = road_network_from_layer(layer([m]))
    assert net.num_edges == 4
    assert any("exploded 1 MultiLineStrings" in r for r in net.repairs)


def test_geometry_only_layer_takes_defaults():
    """A layer with geometry only loads: default surface, no cap, no names, reported."""
    net = road_network_from_layer(
        layer(cross()), params=RoadParams(default_surface="sand")
    )
    assert set(net.edge_surface.tolist()) == {SURFACES.index("sand")}
    assert np.all(np.isinf(net.edge_maxspeed_kph))
    assert set(net.edge_name) == {""}
    assert any(
        "2 of 2 features had no surface" in r and "'sand'" in r for r in net.repairs
    )


def test_attributes_mapped():
    """OSM surfaces map to convoy's; maxspeed reads km/h and mph; ref fills name."""
    lines = [
        LineString([(1.0, 18.0), (1.01, 18.0)]),
        LineString([(1.0, 18.1), (1.01, 18.1)]),
        LineString([(1.0, 18.2), (1.01, 18.2)]),
        LineString([(1.0, 18.3), (1.01, 18.3)]),
    ]
    net = road_network_from_layer(
        layer(
            lines,
            surface=["Asphalt", "compacted", " ground", None],
            highway=[None, None, None, "trunk"],
            maxspeed=["60", "30 mph", "signals", None],
            name=["Route de Gao", None, None, None],
            ref=["RN17", "RN18", None, None],
        )
    )
    order = np.argsort(net.node_xy[net.edge_u, 1])  # south to north
    surf = [SURFACES[i] for i in net.edge_surface[order]]
    assert surf == ["paved", "laterite", "track", "paved"]
    cap = net.edge_maxspeed_kph[order]
    assert cap[0] == 60.0
    assert cap[1] == pytest.approx(48.28, abs=0.01)
    assert np.isinf(cap[2:]).all()
    assert [net.edge_name[i] for i in order] == ["Route de Gao", "RN18", "", ""]
    text = "\n".join(net.repairs)
    assert "1 read as paved from highway" in text
    assert "ignored 1 maxspeed" in text


def test_attribute_names_ignore_case():
    """``SURFACE`` and ``Name`` columns (as Shapefiles often have) are read."""
    net = road_network_from_layer(
        layer(cross(), SURFACE=["sand", "sand"], Name=["A", "B"])
    )
    assert set(net.edge_surface.tolist()) == {SURFACES.index("sand")}
    assert set(net.edge_name) == {"A", "B"}


def test_unknown_surface_named():
    """An unknown surface is an error naming feature, value and allowed values."""
    with pytest.raises(ScenarioError) as err:
        road_network_from_layer(
            layer(cross(), surface=["paved", "tarmacadam"]), label="roads.geojson"
        )
    msg = str(err.value)
    assert "roads.geojson: feature 2" in msg
    assert "'surface'" in msg
    assert "'tarmacadam'" in msg
    assert "laterite" in msg


def test_bad_coordinates_all_named():
    """NaN, out of range and swapped coordinates are each named by feature, together."""
    with np.errstate(invalid="ignore"):
        nan_line = LineString([(1.0, float("nan")), (1.01, 18.0)])
    lines = [
        LineString([(1.0, 18.0), (1.01, 18.0)]),
        nan_line,
        LineString([(18.0, 1.0), (18.0, 95.0)]),
        LineString([(500_000.0, 1_990_000.0), (500_100.0, 1_990_000.0)]),
    ]
    with pytest.raises(GeodataError) as err:
        road_network_from_layer(layer(lines), label="roads.geojson")
    lines_out = str(err.value).splitlines()
    assert len(lines_out) == 3
    assert "feature 2" in lines_out[0] and "finite" in lines_out[0]
    assert "feature 3" in lines_out[1] and "swapped" in lines_out[1]
    assert "feature 4" in lines_out[2] and "projected" in lines_out[2]


def test_non_line_geometry_refused():
    """A point in a road layer is named as the wrong geometry type."""
    with pytest.raises(
        GeodataError,
        match="feature 2: field 'geometry' expected a "
        "LineString or MultiLineString, found Point",
    ):
        road_network_from_layer(layer([cross()[0], Point(1.0, 18.0)]), label="r")


def test_missing_and_empty_files(tmp_path):
    """A missing, empty or unreadable file is named in the error."""
    with pytest.raises(GeodataError, match=r"nope\.geojson: expected an existing file"):
        read_roads(tmp_path / "nope.geojson", label="nope.geojson")
    (tmp_path / "empty.geojson").write_text("")
    with pytest.raises(GeodataError, match=r"empty\.geojson: .*an empty file"):
        read_roads(tmp_path / "empty.geojson", label="empty.geojson")
    (tmp_path / "junk.geojson").write_text("{not json")
    with pytest.raises(GeodataError, match=r"junk\.geojson: expected a vector layer"):
        read_roads(tmp_path / "junk.geojson", label="junk.geojson")


def test_layer_without_crs(tmp_path):
    """A Shapefile without its .prj is refused, naming the file and the CRS."""
    path = tmp_path / "roads.shp"
    layer(cross()).to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(
        GeodataError,
        match=r"roads.shp: field 'crs' expected a layer "
        "with a coordinate reference system",
    ):
        read_roads(path, label="roads.shp")


def test_reads_files(tmp_path):
    """GeoJSON, GeoPackage and Shapefile give the same network."""
    g = layer(cross(), surface=["paved", "sand"])
    totals = []
    for name in ("r.geojson", "r.gpkg", "r.shp"):
        g.to_file(tmp_path / name, engine="pyogrio")
        net = read_roads(tmp_path / name)
        totals.append(
            (net.num_edges, round(net.edge_length_m.sum(), 3), net.surface_km()["sand"])
        )
    assert totals[0] == totals[1] == totals[2]


def test_projected_layer(tmp_path):
    """A layer already in metres (a UTM GeoPackage) gives the same network."""
    g = layer(cross(), surface=["paved", "sand"])
    a = road_network_from_layer(g)
    g.to_crs("EPSG:32631").to_file(tmp_path / "utm.gpkg", engine="pyogrio")
    b = read_roads(tmp_path / "utm.gpkg")
    assert b.crs.to_epsg() == 32631
    np.testing.assert_allclose(
        np.sort(b.edge_length_m), np.sort(a.edge_length_m), rtol=1e-9
    )


def test_sites_snapped_and_edges_split():
    """A site beside an edge's middle splits it; one near an end takes that node."""
    a = LineString([(1.0, 18.0), (1.0 + 100 * LON_100M, 18.0)])
    sites = [
        Site("Camp", "camp", 1.0 + 0.2 * LON_100M, 18.0 + 0.1 * LAT_100M),
        Site("Mid", "checkpoint", 1.0 + 40 * LON_100M, 18.0 + 3 * LAT_100M),
        Site("End", "destination", 1.0 + 100 * LON_100M, 18.0),
    ]
    net = road_network_from_layer(layer([a]), sites=sites)
    assert net.num_edges == 2
    assert net.num_nodes == 3
    assert net.site_snap_m["Mid"] == pytest.approx(300, abs=5)
    assert net.site_snap_m["Camp"] < 30
    assert net.site_snap_m["End"] < 1
    nodes, edges, length_m = net.site_path("Camp", "End")
    assert length_m == pytest.approx(10_000, rel=0.005)
    assert net.site_node["Mid"] in nodes.tolist()
    assert edges.shape == (2,)
    geom = net.edge_geometry
    for e in range(net.num_edges):
        assert geom[e].coords[0] == pytest.approx(tuple(net.node_xy[net.edge_u[e]]))
        assert geom[e].coords[-1] == pytest.approx(tuple(net.node_xy[net.edge_v[e]]))


def test_far_site_warns():
    """A site past site_snap_warn_m but within max_snap_m draws a DataQualityWarning."""
    far = Site("Far", "halt", 1.0 + 10 * LON_100M, 18.0 + 35 * LAT_100M)
    params = RoadParams(max_snap_m=3_000.0)
    with pytest.warns(
        DataQualityWarning, match="'Far' is 2.5 km from the nearest road"
    ):
        net = road_network_from_layer(layer(cross()), sites=[far], params=params)
    assert net.site_snap_m["Far"] == pytest.approx(2500, abs=20)


@pytest.mark.parametrize(
    ("north_100m", "refused"), [(5, False), (29, False), (31, True), (35, True)]
)
def test_site_past_max_snap_refused(north_100m, refused):
    """A site farther than max_snap_m (2 km) from every road is an error naming it."""
    site = Site("Far", "halt", 1.0 + 10 * LON_100M, 18.0 + north_100m * LAT_100M)
    call = partial(
        road_network_from_layer,
        layer(cross()),
        sites=[site],
        sites_label="sites.geojson",
        params=RoadParams(site_snap_warn_m=5_000.0),
    )
    if not refused:
        net = call()
        assert net.site_snap_m["Far"] <= 2_000.0
        return
    with pytest.raises(GeodataError) as info:
        call()
    msg = str(info.value)
    assert "sites.geojson: site 'Far': field 'geometry'" in msg
    km = (north_100m - 10) / 10  # the north end of the cross is 1 km north
    assert "max_snap_m = 2000 m" in msg and f"{km:.1f} km from the nearest" in msg


def test_swapped_site_refused():
    """A site far from the road whose swapped coordinates are on it is refused."""
    swapped = Site("Swapped", "camp", 18.0, 1.0 + 10 * LON_100M)
    with pytest.raises(
        GeodataError, match=r"sites\.geojson: site 'Swapped'.*look swapped"
    ):
        road_network_from_layer(
            layer(cross()), sites=[swapped], sites_label="sites.geojson"
        )


def test_disconnected_components_and_no_route():
    """Separate roads are two components; a path between them is NoRouteError."""
    a = LineString([(1.0, 18.0), (1.0 + 10 * LON_100M, 18.0)])
    b = LineString([(1.0, 18.5), (1.0 + 20 * LON_100M, 18.5)])
    c = LineString([(1.0 + 20 * LON_100M, 18.5), (1.0 + 30 * LON_100M, 18.5)])
    sites = [Site("A", "camp", 1.0, 18.0), Site("B", "destination", 1.0, 18.5)]
    net = road_network_from_layer(layer([a, b, c]), sites=sites)
    labels = net.components()
    assert labels[net.site_node["B"]] == 0  # the larger component comes first
    assert labels[net.site_node["A"]] == 1
    with pytest.raises(NoRouteError, match="'A' and 'B'"):
        net.site_path("A", "B")


def random_roads(seed, num_lines=40):
    """Random polylines over a 100 km square: many crossings, loops, near misses."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(num_lines):
        start = rng.uniform([0.5, 17.0], [1.4, 17.9])
        steps = rng.normal(0, 0.01, (30, 2))
        lines.append(LineString(start + np.cumsum(steps, axis=0)))
    return layer(lines)


def reference_dijkstra(num_nodes, u, v, w, src):
    """Plain heap Dijkstra over an edge list: the reference for the CSR paths."""
    adj = [[] for _ in range(num_nodes)]
    for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        adj[a].append((b, c))
        adj[b].append((a, c))
    dist = [math.inf] * num_nodes
    dist[src] = 0.0
    heap = [(0.0, src)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist[a]:
            continue
        for b, c in adj[a]:
            if d + c < dist[b]:
                dist[b] = d + c
                heapq.heappush(heap, (d + c, b))
    return np.array(dist)


def count_components(num_nodes, u, v):
    """Connected components by union-find."""
    parent = list(range(num_nodes))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        parent[find(a)] = find(b)
    return len({find(i) for i in range(num_nodes)})


@pytest.mark.parametrize("seed", [0, 1])
def test_shortest_paths_match_reference(seed):
    """Path lengths agree with a plain Dijkstra on the same edges; CSR is consistent."""
    net = road_network_from_layer(random_roads(seed))
    ref = reference_dijkstra(
        net.num_nodes, net.edge_u, net.edge_v, net.edge_length_m, 0
    )
    dist = net.shortest_lengths_from(0)
    assert np.isinf(ref).any()  # random roads are not all joined
    assert np.array_equal(np.isinf(dist), np.isinf(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(dist[ok], ref[ok], rtol=1e-12)
    far = int(np.argmax(np.where(ok, ref, -1.0)))
    nodes, edges, length_m = net.shortest_path(0, far)
    assert length_m == pytest.approx(ref[far])
    assert length_m == pytest.approx(net.edge_length_m[edges].sum())
    assert nodes[0] == 0 and nodes[-1] == far
    for a, b, e in zip(nodes[:-1], nodes[1:], edges, strict=True):
        assert {a, b} == {net.edge_u[e], net.edge_v[e]}
    # CSR: every edge twice, once from each end
    assert net.indptr[-1] == 2 * net.num_edges
    for i in range(net.num_nodes):
        for k in range(net.indptr[i], net.indptr[i + 1]):
            e = net.adj_edge[k]
            assert {i, net.indices[k]} == {net.edge_u[e], net.edge_v[e]}
    ncomp = count_components(net.num_nodes, net.edge_u, net.edge_v)
    assert net.components().max() + 1 == ncomp


def test_deterministic():
    """The same layer builds the same arrays."""
    a = road_network_from_layer(random_roads(3))
    b = road_network_from_layer(random_roads(3))
    for name in ("node_xy", "edge_u", "edge_v", "edge_length_m", "indptr", "indices"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.repairs == b.repairs


def test_build_is_fast():
    """A few thousand vertices build in well under two seconds."""
    g = random_roads(4, num_lines=120)
    t0 = time.perf_counter()
    net = road_network_from_layer(g)
    assert time.perf_counter() - t0 < 2.0
    assert isinstance(net, RoadNetwork)
    assert net.num_edges > 500


def test_road_layer_past_the_size_limit_refused(tmp_path, monkeypatch):
    """A layer past CONVOY_MAX_INPUT_MB is a GeodataError before GDAL reads it."""
    p = tmp_path / "roads.geojson"
    layer(cross()).to_file(p, driver="GeoJSON")
    monkeypatch.setenv("CONVOY_MAX_INPUT_MB", "0.0001")  # 104 bytes
    with pytest.raises(GeodataError) as info:
        read_roads(p, label="roads.geojson")
    msg = str(info.value)
    assert msg.startswith("roads.geojson: expected a file of at most 104 bytes")
    assert "CONVOY_MAX_INPUT_MB" in msg


def test_one_point_line_names_its_feature(tmp_path):
    """A line of one point is refused naming the layer and the feature."""
    p = tmp_path / "roads.geojson"
    layer(cross()).to_file(p, driver="GeoJSON")
    text = p.read_text()
    doc = json.loads(text)
    doc["features"][1]["geometry"]["coordinates"] = [[1.0, 18.0]]
    p.write_text(json.dumps(doc))
    with pytest.raises(GeodataError) as info:
        read_roads(p, label="roads.geojson")
    (problem,) = info.value.problems
    assert str(problem).startswith("roads.geojson: feature 2: field 'geometry'")


def test_cluster_points_takes_each_clusters_most_repeated_point():
    """Each node sits on its cluster's most repeated point, else its first one."""
    from convoy.roads.repair import _cluster_points

    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        pts = rng.integers(0, 4, (n, 2)).astype(float) * 0.5
        cluster = rng.integers(0, max(1, n // 3), n)
        node_xy, node_of_pt = _cluster_points(pts, cluster)
        # nodes numbered by first appearance, one per cluster
        firsts = list(dict.fromkeys(cluster.tolist()))
        assert node_of_pt.tolist() == [firsts.index(c) for c in cluster.tolist()]
        for k, c in enumerate(firsts):
            members = [tuple(p) for p in pts[cluster == c].tolist()]
            counts = {p: members.count(p) for p in members}
            top = max(counts.values())
            want = (
                members[0] if top == 1 else min(p for p in counts if counts[p] == top)
            )
            assert tuple(node_xy[k].tolist()) == want

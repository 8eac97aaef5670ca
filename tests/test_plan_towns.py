"""A real-export-like field: events only in the towns, near zero between them."""

from __future__ import annotations

import collections
import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from column_checks import check_plan_column_rules
from scipy.sparse.csgraph import dijkstra

from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal


def towns_only_copy(src: Path, dst: Path) -> Path:
    """The scenario with every event moved onto its nearest town (a non-halt site)."""
    shutil.copytree(src, dst)
    sites = json.loads((src / "sites.geojson").read_text())["features"]
    towns = [
        f["geometry"]["coordinates"] for f in sites if f["properties"]["kind"] != "halt"
    ]
    with (src / "events.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (dst / "events.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            lon, lat = float(r["longitude"]), float(r["latitude"])
            t = min(towns, key=lambda c: (c[0] - lon) ** 2 + (c[1] - lat) ** 2)
            r["longitude"], r["latitude"] = f"{t[0]:.4f}", f"{t[1]:.4f}"
            w.writerow(r)
    return dst


def _halt_spurs(trip, nodes):
    """Nodes passed twice only to drive into a halt site and back out (x, h, x)."""
    halted = {h.node for h in trip.trip.trajectory.halts}
    return {
        nodes[i]
        for i in range(1, len(nodes) - 1)
        if nodes[i - 1] == nodes[i + 1] and nodes[i] in halted
    }


def assert_background_on_every_leg(trip):
    """No road edge of a plan carries zero risk: the background is on every road."""
    m = trip.model
    for leg in trip.trip.trajectory.legs:
        assert m.edge_ied[leg.edge] > 0, leg.edge
        assert m.edge_ambush[leg.edge] > 0, leg.edge


@pytest.mark.slow
def test_towns_only_route_is_short_and_never_revisits(embedded_kidal_gao, tmp_path):
    """
    The optimised route is at most 1.25 x the shortest path; no loops.

    The one node a route may pass twice is the junction of a halt site off the
    road: in to laager, out the next morning. With every road carrying a background
    rate, a night at a halt site costs less than driving on, so the plans halt.
    """
    sc = read_scenario(towns_only_copy(embedded_kidal_gao, tmp_path / "towns"))
    plan = plan_withdrawal(sc, runs=0)
    r = sc.roads
    n = len(r.node_xy)
    km = np.asarray(r.edge_length_m, dtype=np.float64) / 1000.0
    u, v = np.asarray(r.edge_u), np.asarray(r.edge_v)
    g = sp.coo_matrix((np.r_[km, km], (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    origin, dest = r.site_node[sc.origin], r.site_node[sc.destination]
    shortest = float(dijkstra(g.tocsr(), indices=origin)[dest])
    for name, trip in plan.trips.items():
        legs = trip.trip.trajectory.legs
        assert_background_on_every_leg(trip)
        nodes = [legs[0].from_node]
        for leg in legs:
            a, b = int(u[leg.edge]), int(v[leg.edge])
            assert nodes[-1] == leg.from_node
            nodes.append(b if leg.from_node == a else a)
        spurs = {
            nodes[i - 1]
            for i in range(1, len(nodes))
            if nodes[i] in _halt_spurs(trip, nodes)
        }
        twice = [
            x
            for x, c in collections.Counter(nodes).items()
            if c > 1 and not (x in spurs and c == 2)
        ]
        assert not twice, (name, twice)
        if name == "optimised":
            assert sum(km[leg.edge] for leg in legs) <= 1.25 * shortest
    check_plan_column_rules(plan)

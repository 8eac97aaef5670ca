"""Exact travel times: a road in many short pieces plans as the same road in one."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal

TINY = Path(__file__).parent / "data" / "tiny"
PIECES = 200


def _split(coords: list[list[float]], pieces: int) -> list[list[list[float]]]:
    """The line cut into ``pieces`` consecutive lines (vertices kept)."""
    pts = np.asarray(coords, dtype=float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    cuts = np.linspace(0.0, cum[-1], pieces + 1)
    allpos = np.unique(np.concatenate((cum, cuts)))
    xy = np.column_stack(
        [np.interp(allpos, cum, pts[:, 0]), np.interp(allpos, cum, pts[:, 1])]
    )
    out = []
    for a, b in itertools.pairwise(cuts):
        i, j = np.searchsorted(allpos, a), np.searchsorted(allpos, b)
        out.append(xy[i : j + 1].round(9).tolist())
    return out


def _uncalibrated(folder: Path) -> Path:
    """``folder``'s scenario with the calibration off: the same risk scales for both.

    (The calibration's reconstruction of the historical trip may halt at any node
    of its route, so its scales depend on how finely the road is cut.)
    """
    with (folder / "scenario.toml").open("a") as f:
        f.write(
            "\n[calibration]\nenabled = false\n"
            "[risk]\nscale_ied = 25.0\nscale_ambush = 100.0\n"
        )
    return folder


@pytest.fixture(scope="module")
def one_line(tmp_path_factory) -> Path:
    """The tiny scenario as it is (uncalibrated)."""
    folder = tmp_path_factory.mktemp("one") / "tiny"
    shutil.copytree(TINY, folder)
    return _uncalibrated(folder)


@pytest.fixture(scope="module")
def split_tiny(tmp_path_factory) -> Path:
    """The tiny scenario with its main road (RN17) cut into 200 short pieces."""
    folder = tmp_path_factory.mktemp("split") / "tiny"
    shutil.copytree(TINY, folder)
    _uncalibrated(folder)
    roads = json.loads((folder / "roads.geojson").read_text())
    main = [f for f in roads["features"] if f["properties"]["name"] == "RN17"]
    feats = [f for f in roads["features"] if f["properties"]["name"] != "RN17"]
    for f in main:
        for line in _split(f["geometry"]["coordinates"], PIECES // len(main)):
            feats.append(
                {
                    "type": "Feature",
                    "properties": f["properties"],
                    "geometry": {"type": "LineString", "coordinates": line},
                }
            )
    roads["features"] = feats
    (folder / "roads.geojson").write_text(json.dumps(roads))
    return folder


def test_split_road_plans_the_same_times(one_line, split_tiny):
    """200 pieces or one line: the same legs' times, km and expected incidents."""
    one = read_scenario(one_line)
    many = read_scenario(split_tiny)
    assert many.roads.num_edges >= PIECES
    p1 = plan_withdrawal(one, runs=0)
    p2 = plan_withdrawal(many, runs=0)
    assert p2.contraction is not None and p2.contraction.num_merged >= PIECES - 10
    # the historical trip is a reconstruction of observed times, not a search
    planned = [name for name in p1.trips if name != "historical"]
    assert "optimised" in planned and len(planned) >= 3
    for name in planned:
        t1, t2 = p1.trips[name], p2.trips[name]
        legs1, legs2 = t1.trip.trajectory.legs, t2.trip.trajectory.legs
        assert len(legs2) > len(legs1)
        # the same to the second (the cut line's length differs by millimetres)
        assert legs2[0].depart_min == pytest.approx(legs1[0].depart_min), name
        assert legs2[-1].arrive_min == pytest.approx(legs1[-1].arrive_min, abs=0.02)
        km1 = sum(one.roads.edge_length_m[g.edge] for g in legs1) / 1000.0
        km2 = sum(many.roads.edge_length_m[g.edge] for g in legs2) / 1000.0
        assert km2 == pytest.approx(km1, rel=1e-3), name
        assert t2.trip.exposure.total == pytest.approx(
            t1.trip.exposure.total, rel=0.02
        ), name
    step = one.movement.step_min
    # each searched leg (a whole chain) takes its length over its speed, rounded
    # up once to a step: not once per piece
    cm = p2.contraction.model
    assert p2.schedule.legs
    for leg in p2.schedule.legs:
        v = float(cm.edge_speed_kph[leg.edge])
        v *= cm.night_speed_factor if leg.night else 1.0
        if leg.mode == "clearance":
            v = min(v, cm.clearance_speed_kph)
        exact = 60.0 * float(cm.edge_length_m[leg.edge]) / 1000.0 / v
        taken = (leg.arrive_step - leg.depart_step) * step
        assert exact - 1e-6 <= taken < exact + step
    # the expanded legs: each piece takes exactly its length over its mode's speed
    # (night speed when not wholly in daylight); the rounding is spent waiting
    model = p2.optimised.model
    legs = p2.optimised.trip.trajectory.legs
    for leg in legs:
        km = many.roads.edge_length_m[leg.edge] / 1000.0
        assert leg.arrive_min - leg.depart_min == pytest.approx(
            60.0 * km / leg.speed_kph
        )
        assert leg.speed_kph in {
            model.speed_kph(leg.edge, leg.mode, night=False),
            model.speed_kph(leg.edge, leg.mode, night=True),
        }
    searched = p2.schedule.arrive_step * step
    assert legs[-1].arrive_min <= searched + 1e-9
    assert legs[-1].arrive_min > searched - step * len(p2.schedule.legs)
    # every site of the route is still a node the legs pass
    nodes = {g.from_node for g in legs}
    for site in ("North", "Wells", "Bridge"):
        node = many.roads.site_node[site]
        if node in {g.from_node for g in p1.optimised.trip.trajectory.legs}:
            assert node in nodes, site

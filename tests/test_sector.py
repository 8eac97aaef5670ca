"""Several camps: fleet routing against enumeration, convoys, the sector plan."""

from __future__ import annotations

import csv
import itertools
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convoy.sector import (
    Cargo,
    Carrier,
    RoutingProblem,
    SectorCamp,
    VehicleTrip,
    form_convoys,
    group_cargo,
    route_fleet,
)
from convoy.sector.routing import DESTINATION, route_cost

TINY = Path(__file__).parent / "data" / "tiny"


def _instance(seed: int, n_camps: int) -> RoutingProblem:
    """A small random sector: at most two trips a vehicle fit in the horizon."""
    rng = np.random.default_rng(seed)
    horizon = 3000
    camps = tuple(
        SectorCamp(
            f"C{i}",
            0,
            int(rng.integers(400, 1400)),
            int(rng.integers(500, 800)),
            int(rng.integers(500, 800)),
            int(rng.integers(1000, 5000)),
            int(rng.integers(1000, 5000)),
        )
        for i in range(n_camps)
    )
    names = [c.name for c in camps]
    carriers = tuple(
        Carrier(
            f"V{k}",
            DESTINATION if k == 0 else names[int(rng.integers(n_camps))],
            float(rng.integers(4, 10) * 1000),
            float(rng.integers(8, 16)),
            int(rng.integers(0, 4)),
        )
        for k in range(3)
    )
    cargo = tuple(
        Cargo(
            names[int(rng.integers(n_camps))],
            (f"L{j}",),
            float(rng.integers(2, 8) * 1000),
            float(rng.integers(3, 10)),
            int(rng.integers(0, 2)),
            float(rng.integers(1, 30) * 1000),
            bool(j == 0),
            False,
            0.0,
        )
        for j in range(4)
    )
    return RoutingProblem(
        camps,
        carriers,
        cargo,
        horizon,
        3000,
        northbound=True,
        first_solution="PARALLEL_CHEAPEST_INSERTION",
        metaheuristic="GUIDED_LOCAL_SEARCH",
        time_limit_s=1.0,
    )


def _brute_force(p: RoutingProblem) -> float:
    """
    The optimum by enumeration: each cargo group on (vehicle, trip 1 or 2) or left.

    Time is checked greedily (earliest loading at each camp is best) with the
    same rules as the routing model: a vehicle of a camp loads there first; the
    next trip drives back north; loading inside the camp's window; arrival by the
    horizon.
    """
    camp = {c.name: c for c in p.camps}
    best = float("inf")
    options = [(v, k) for v in range(len(p.carriers)) for k in range(2)]
    for pick in itertools.product([None, *options], repeat=len(p.cargo)):
        if any(o is None and g.mandatory for o, g in zip(pick, p.cargo, strict=True)):
            continue
        trips: list[VehicleTrip] = []
        ok = True
        for v, car in enumerate(p.carriers):
            per = [[g for g, o in enumerate(pick) if o == (v, k)] for k in range(2)]
            if not per[0] and per[1]:
                ok = False  # canonical: trips in order
                break
            t = 0
            where = car.camp
            for k, groups in enumerate(per):
                if not groups:
                    continue
                camps_here = {p.cargo[g].camp for g in groups}
                if len(camps_here) != 1:
                    ok = False
                    break
                (c_name,) = camps_here
                c = camp[c_name]
                if k == 0 and car.camp != DESTINATION and c_name != car.camp:
                    ok = False
                    break
                if sum(p.cargo[g].weight_kg for g in groups) > car.payload_kg:
                    ok = False
                    break
                if sum(p.cargo[g].deck_m2 for g in groups) > car.deck_m2 + 1e-9:
                    ok = False
                    break
                if sum(p.cargo[g].seats for g in groups) > car.seats:
                    ok = False
                    break
                if where == DESTINATION:
                    t += c.return_min
                load = max(t, c.opens_min)
                if load > c.closes_min:
                    ok = False
                    break
                t = load + c.leg_min
                if t > p.horizon_min:
                    ok = False
                    break
                where = DESTINATION
                trips.append(VehicleTrip(car.id, k + 1, c_name, load, t, tuple(groups)))
            if not ok:
                break
        if not ok:
            continue
        dropped = [g for g, o in enumerate(pick) if o is None]
        best = min(best, sum(route_cost(p, trips, dropped)))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_camps", [2, 3])
def test_routing_matches_enumeration(seed: int, n_camps: int) -> None:
    p = _instance(seed, n_camps)
    best = _brute_force(p)
    if best == float("inf"):
        with pytest.raises(Exception, match="no solution"):
            route_fleet(p)
        return
    r = route_fleet(p)
    assert r.cost_usd == r.objective  # the recomputed cost is the solver's
    assert r.cost_usd >= best - 1e-6  # enumeration is the optimum
    # guided local search for a second on four groups: no gap left
    assert r.cost_usd <= best * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_routing_respects_capacities_and_windows(seed: int) -> None:
    p = _instance(seed, 2)
    if _brute_force(p) == float("inf"):
        return
    r = route_fleet(p)
    cars = {c.id: c for c in p.carriers}
    camps = {c.name: c for c in p.camps}
    for t in r.trips:
        car = cars[t.vehicle_id]
        assert sum(p.cargo[g].weight_kg for g in t.cargo) <= car.payload_kg
        assert sum(p.cargo[g].seats for g in t.cargo) <= car.seats
        if t.cargo:
            assert camps[t.camp].opens_min <= t.load_min <= camps[t.camp].closes_min
    carried = {g for t in r.trips for g in t.cargo}
    assert carried.isdisjoint(r.dropped)
    assert carried | set(r.dropped) == set(range(len(p.cargo)))


def test_convoys_split_and_per_road_limit() -> None:
    trips = [VehicleTrip(f"V{i}", 1, "A", 100, 900, (i,)) for i in range(7)]
    convoys = form_convoys(trips, {"A": 5000}, {"A": 0}, max_vehicles=3)
    assert [len(c.trips) for c in convoys] == [3, 2, 2]
    assert sorted(v for c in convoys for v in c.vehicle_ids) == sorted(
        t.vehicle_id for t in trips
    )
    limited = form_convoys(trips, {"A": 5000}, {"A": 0}, max_vehicles=3, per_road_day=1)
    assert [c.depart_min // 1440 for c in limited] == [0, 1, 2]
    groups = form_convoys(
        trips, {"A": 5000}, {"A": 0}, max_vehicles=150, groups=3, gap_min=1440
    )
    assert [c.depart_min for c in groups] == [100, 1540, 2980]


def test_group_cargo_keeps_every_lot_and_person() -> None:
    from convoy.io.scenario import read_scenario

    sc = read_scenario(TINY)
    groups = group_cargo(
        [("North", 20), ("West", 3)], sc.vehicles, sc.lots, personnel_group=10
    )
    ids = sorted(i for g in groups for i in g.lot_ids)
    assert ids == sorted(lot.id for lot in sc.lots)
    assert sum(g.seats for g in groups if g.camp == "North") == 20
    assert sum(g.seats for g in groups if g.camp == "West") == 3


_CAMPS = """
[sector]
convoy_max_vehicles = 150

[[camps]]
name = "North"
personnel = 20
closes = "{north}"

[[camps]]
name = "West"
personnel = 2
closes = "2023-11-01T18:00:00Z"
"""


def _sector(tmp_path: Path, north: str = "2023-11-01T18:00:00Z") -> Path:
    folder = tmp_path / "sector"
    shutil.copytree(TINY, folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + _CAMPS.format(north=north),
        encoding="utf-8",
    )
    return folder


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _with_sector_keys(folder: Path, lines: str) -> Path:
    """``folder``'s scenario with ``lines`` added to its ``[sector]`` table."""
    toml = folder / "scenario.toml"
    key = "convoy_max_vehicles = 150\n"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(key, key + lines), encoding="utf-8"
    )
    return folder


def _planned_sector(folder: Path, out: Path) -> dict:
    """``convoy plan FOLDER -o OUT --no-maps --runs 0``: its sector.json."""
    from convoy.cli.main import cli

    res = CliRunner().invoke(
        cli, ["plan", str(folder), "-o", str(out), "--no-maps", "--runs", "0"]
    )
    assert res.exit_code == 0, res.output
    return json.loads((out / "sector.json").read_text(encoding="utf-8"))


def test_plan_sector_loads_recomputed(tmp_path: Path) -> None:
    from convoy.cli.main import cli

    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli,
        ["plan", str(_sector(tmp_path)), "-o", str(out), "--no-maps", "--runs", "0"],
    )
    assert res.exit_code == 0, res.output
    fleet = {r["id"]: r for r in _csv_rows(TINY / "fleet.csv")}
    lots = {r["id"]: r for r in _csv_rows(TINY / "manifest.csv")}
    convoys = sorted((out / "convoys").iterdir())
    assert {c.name.split("-")[0] for c in convoys} == {"North", "West"}
    seated = 0
    for folder in convoys:
        for row in _csv_rows(folder / "loads.csv"):
            v = fleet[row["vehicle"]]
            on = [lots[i] for i in row["lots"].split()] if row["lots"] else []
            kg = sum(float(x["weight_kg"]) for x in on)
            m2 = sum(float(x["deck_m2"]) for x in on)
            assert kg <= float(v["payload_kg"]) + 1e-6
            assert m2 <= float(v["deck_m2"]) + 1e-6
            assert int(row["seats_used"]) <= int(v["seats"])
            seated += int(row["seats_used"])
    assert seated >= 22
    assert (out / "sector.json").is_file()
    # the same inputs give the same sector, byte for byte
    again = tmp_path / "again"
    res = CliRunner().invoke(
        cli,
        ["plan", str(_sector(tmp_path / "b")), "-o", str(again), "--no-maps", "-q"],
    )
    assert res.exit_code == 0, res.output
    a = (out / "sector.json").read_text(encoding="utf-8")
    b = (again / "sector.json").read_text(encoding="utf-8")
    assert a.replace(str(tmp_path / "sector"), "") == b.replace(
        str(tmp_path / "b" / "sector"), ""
    )
    assert (out / "timeline.csv").is_file()


def test_camp_closing_that_cannot_be_met(tmp_path: Path) -> None:
    from convoy.cli.main import cli

    # North closes before the start: the window opens after it closes
    folder = _sector(tmp_path, north="2023-10-31T05:00:00Z")
    res = CliRunner().invoke(
        cli, ["plan", str(folder), "-o", str(tmp_path / "o"), "--no-maps"]
    )
    assert res.exit_code == 2
    assert "closes" in res.output


def test_mandatory_cargo_camp_names_earliest(tmp_path: Path) -> None:
    from convoy.cli.main import cli

    # West holds 2 persons but its one vehicle seats 3, and 9 more there: short
    folder = _sector(tmp_path)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("personnel = 2\n", "personnel = 9\n"),
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        cli, ["plan", str(folder), "-o", str(tmp_path / "o"), "--no-maps"]
    )
    assert res.exit_code == 2, res.output
    assert "'West'" in res.output
    assert "earliest possible closing" in res.output


def test_one_camp_plan_unchanged(tmp_path: Path) -> None:
    """A single [[camps]] entry plans exactly the one-origin scenario."""
    from convoy.cli.main import cli

    plain, one = tmp_path / "plain" / "tiny", tmp_path / "one" / "tiny"
    for folder in (plain, one):
        shutil.copytree(TINY, folder)
        for name in ("fleet.csv", "manifest.csv"):  # the camp North alone
            lines = (folder / name).read_text(encoding="utf-8").splitlines()
            kept = [ln for ln in lines if not ln.endswith(("West", ",West,"))]
            kept = [ln for ln in kept if ",West," not in ln]
            (folder / name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    toml = one / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[[camps]]\nname = "North"\npersonnel = 20\n'
        'closes = "2023-11-02T18:00:00Z"\n',
        encoding="utf-8",
    )
    outs = []
    for folder in (plain, one):
        out = tmp_path / f"out-{folder.parent.name}"
        res = CliRunner().invoke(
            cli, ["plan", str(folder), "-o", str(out), "--no-maps", "--runs", "50"]
        )
        assert res.exit_code == 0, res.output
        outs.append(out / "plan.json")
    a, b = (p.read_text(encoding="utf-8") for p in outs)
    # the input hashes and folder differ (scenario.toml), nothing else
    strip = [ln for ln in a.splitlines() if "sha256" not in ln and '"path"' not in ln]
    strip_b = [ln for ln in b.splitlines() if "sha256" not in ln and '"path"' not in ln]
    assert strip == strip_b


def test_north_sector_generator_reproduces(tmp_path: Path) -> None:
    """The committed northern sector is what its generator writes."""
    import importlib.util

    root = Path(__file__).resolve().parents[1] / "geodata"
    spec = importlib.util.spec_from_file_location(
        "make_north_sector", root / "_build" / "make_north_sector.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ROOT = tmp_path
    shutil.copytree(root / "kidal-gao", tmp_path / "kidal-gao")
    shutil.copytree(root / "_build", tmp_path / "_build")
    mod.KIDAL = tmp_path / "kidal-gao"
    mod.main()
    for name in ("north-sector", "north-sector-gao-north"):
        for f in (root / name).iterdir():
            assert (tmp_path / name / f.name).read_bytes() == f.read_bytes(), f


def test_camp_closing_names_earliest_date(tmp_path: Path) -> None:
    """Help from the destination that cannot arrive in time: the earliest date."""
    from convoy.cli.main import cli

    folder = _sector(tmp_path)
    toml = folder / "scenario.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace("personnel = 2\n", "personnel = 9\n")
    text = text.replace(
        'personnel = 9\ncloses = "2023-11-01T18:00:00Z"',
        'personnel = 9\ncloses = "2023-10-31T06:30:00Z"',
    )
    toml.write_text(text, encoding="utf-8")
    fleet = folder / "fleet.csv"
    fleet.write_text(
        fleet.read_text(encoding="utf-8")
        + "BUS-2,personnel carrier,12.0,0,0,30,70,50,35,20,0.95,1,0,South,80000\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        cli, ["plan", str(folder), "-o", str(tmp_path / "o"), "--no-maps"]
    )
    assert res.exit_code == 2, res.output
    assert "'West'" in res.output
    assert "earliest possible closing" in res.output
    assert re.search(r"at the earliest on 2023-1\d-\d\dT\d\d:\d\dZ", res.output)


def test_late_group_joins_the_earlier_convoy(tmp_path: Path) -> None:
    """A group that would leave after its camp closes joins the camp's first."""
    folder = _with_sector_keys(_sector(tmp_path), "groups = 2\ngroup_gap_days = 3\n")
    out = tmp_path / "out"
    doc = _planned_sector(folder, out)
    closes = {c["name"]: c["closes"] for c in doc["camps"]}
    # the rule holds for every convoy the plan keeps
    for c in doc["convoys"]:
        assert c["depart"] <= closes[c["camp"]], c
    assert all(c["empty_by_closing"] for c in doc["camps"])
    # the second group (three days later) could not leave in time: it joined
    assert any("join North-1" in n for n in doc["notes"]), doc["notes"]
    assert [c["name"] for c in doc["convoys"] if c["camp"] == "North"] == ["North-1"]
    # every vehicle of the camp is decided by that convoy's loads (moving, towed
    # or left at the camp)
    rows = _csv_rows(out / "convoys" / "North-1" / "loads.csv")
    assert {"APC-1", "TRK-1", "BUS-1"} <= {r["vehicle"] for r in rows}


def test_vehicles_from_the_destination_never_make_it_worse(tmp_path: Path) -> None:
    """Allowed north, the plan is the cheaper of the routings with and without."""
    folder = _with_sector_keys(_sector(tmp_path), "northbound = true\n")
    fleet = folder / "fleet.csv"
    fleet.write_text(
        fleet.read_text(encoding="utf-8")
        + "TRK-9,cargo truck,9.5,8000,14.0,3,70,50,35,20,0.95,1,0,South,150000\n",
        encoding="utf-8",
    )
    doc = _planned_sector(folder, tmp_path / "out")
    options = doc["options"]
    assert [o["label"] for o in options] == ["as given", "no vehicle from South"]
    chosen = [o for o in options if o["chosen"]]
    assert len(chosen) == 1
    assert chosen[0]["cost_usd"] == min(o["cost_usd"] for o in options)
    tot = doc["totals"]
    assert tot["expected_incidents"] == pytest.approx(chosen[0]["expected_incidents"])
    assert tot["value_left_usd"] == pytest.approx(chosen[0]["value_left_usd"])
    for o in options:  # sector.json keeps 6 significant digits
        assert o["cost_usd"] == pytest.approx(
            5_000_000.0 * o["expected_incidents"] + o["value_left_usd"], rel=1e-5
        )
    # a column that drives north is priced and listed with its convoy
    for n in doc["north_convoys"]:
        assert n["expected_incidents"] > 0
        assert n["for_convoy"] in {c["name"] for c in doc["convoys"]}
        convoy = next(c for c in doc["convoys"] if c["name"] == n["for_convoy"])
        assert n["arrive"] <= convoy["depart"]


def _joinable(tmp_path: Path, join: bool = True) -> Path:
    """The tiny sector with a track from North to West; West closes last."""
    folder = _sector(tmp_path, north="2023-11-01T06:00:00Z")
    roads = folder / "roads.geojson"
    doc = json.loads(roads.read_text(encoding="utf-8"))
    doc["features"].append(
        {
            "type": "Feature",
            "properties": {"name": "Track North-West", "surface": "track"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[1.0, 18.0], [1.0, 17.8505]],
            },
        }
    )
    roads.write_text(json.dumps(doc), encoding="utf-8")
    return _with_sector_keys(folder, f"join_on_the_way = {str(join).lower()}\n")


def test_convoys_join_on_the_way_where_it_pays(tmp_path: Path) -> None:
    """One camp's convoy drives to the other and both leave as one, cheaper."""
    docs = {
        join: _planned_sector(
            _joinable(tmp_path / str(join), join), tmp_path / f"out-{join}"
        )
        for join in (True, False)
    }
    doc, apart = docs[True], docs[False]
    assert not any(c["joins"] for c in apart["convoys"])
    feeders = [c for c in doc["convoys"] if c["joins"]]
    assert len(feeders) == 1, doc["convoys"]
    feeder = feeders[0]
    joint = next(c for c in doc["convoys"] if c["name"] == feeder["joins"])
    assert feeder["to"] == joint["camp"] != feeder["camp"]
    # the rules hold for both legs: each leaves its camp by its closing, the
    # feeder is there before the joint convoy leaves
    closes = {c["name"]: c["closes"] for c in doc["camps"]}
    assert feeder["depart"] <= closes[feeder["camp"]]
    assert joint["depart"] <= closes[joint["camp"]]
    assert feeder["arrive"] <= joint["depart"]
    # the joint convoy's loads decide again for every vehicle the feeder brought
    # (its own loads may leave one there, as they may leave any vehicle)
    listed, fed = (
        {
            r["vehicle"]: r["status"]
            for r in _csv_rows(tmp_path / "out-True" / c["folder"] / "loads.csv")
        }
        for c in (joint, feeder)
    )
    came = {v for v, status in fed.items() if status in ("moving", "towed")}
    assert came and came <= set(listed)
    # and it pays, by the plan's own measure
    price = 5_000_000.0

    def cost(d: dict) -> float:
        t = d["totals"]
        return price * t["expected_incidents"] + t["value_left_usd"]

    assert cost(doc) < cost(apart)
    assert any("joins" in n for n in doc["notes"])


def test_sector_interval_is_the_columns_at_one_threat_level(tmp_path: Path) -> None:
    """The sector's interval: every column at the same scale bound, summed."""
    out = tmp_path / "out"
    doc = _planned_sector(_sector(tmp_path), out)
    tot = doc["totals"]
    lo, hi = tot["expected_incidents_interval"]
    assert lo < tot["expected_incidents"] < hi
    lows = highs = 0.0
    for c in doc["convoys"]:
        s = json.loads((out / c["folder"] / "plan.json").read_text("utf-8"))["summary"]
        lows += s["expected_incidents_low"]
        highs += s["expected_incidents_high"]
    assert not doc["north_convoys"]
    assert lo == pytest.approx(lows, rel=1e-4)
    assert hi == pytest.approx(highs, rel=1e-4)


def test_sector_report_from_a_planned_sector(tmp_path: Path) -> None:
    """With maps: the page embeds both charts and links every convoy's report."""
    from convoy.cli.main import cli
    from convoy.times import dtg, parse_utc

    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli, ["plan", str(_sector(tmp_path)), "-o", str(out), "--runs", "0", "-q"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "sector.json").read_text(encoding="utf-8"))
    html = (out / "sector_report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 2  # the map, the timeline
    for name in ("sector_map.png", "sector_timeline.png"):
        assert (out / name).is_file(), name
    links = re.findall(r'href="([^"]+)"', html)
    assert sorted(links) == sorted(f"{c['folder']}/report.html" for c in doc["convoys"])
    for link in links:
        assert (out / link).is_file(), link
    bottom = html[html.index('class="bottom-line"') : html.index("</section>")]
    tot = doc["totals"]
    assert f"<b>{tot['expected_incidents']:.2f}</b>" in bottom
    lo, hi = tot["expected_incidents_interval"]
    assert f"90 % interval {lo:.1f}-{hi:.1f}" in bottom
    assert f"{tot['every_contingent_for_itself_incidents']:.2f} with every" in bottom
    for camp in doc["camps"]:
        assert dtg(parse_utc(camp["closes"])) in bottom
    assert html.count('<table class="camp-table">') == len(doc["camps"])
    for c in doc["convoys"]:
        assert dtg(parse_utc(c["depart"])) in html
    # convoy report of the sector's folder writes the same page again, or the
    # user's sector template
    res = CliRunner().invoke(cli, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "sector_report.html").read_text(encoding="utf-8") == html
    tpl = tmp_path / "mine.j2"
    tpl.write_text("{{ bl.convoys }} convoys, {{ notes|length }} notes", "utf-8")
    res = CliRunner().invoke(cli, ["report", str(out), "--template", str(tpl)])
    assert res.exit_code == 0, res.output
    assert (out / "sector_report.html").read_text(encoding="utf-8") == (
        f"{len(doc['convoys'])} convoys, {len(doc['notes'])} notes"
    )
    (out / "sector.json").write_text('{"camps": []}', encoding="utf-8")
    res = CliRunner().invoke(cli, ["report", str(out)])
    assert res.exit_code == 2 and "sector.json" in res.output, res.output


@pytest.mark.parametrize("seed", range(6))
def test_routing_by_camp_is_exact_without_going_north(seed: int) -> None:
    """No vehicle goes north: trips load at one camp, camp by camp is the same."""
    import dataclasses

    p = dataclasses.replace(_instance(seed, 3), northbound=False)
    try:
        whole = route_fleet(p)
    except Exception as exc:  # no solution at all: camp by camp neither
        with pytest.raises(type(exc)):
            route_fleet(dataclasses.replace(p, decompose_groups=1))
        return
    r = route_fleet(dataclasses.replace(p, decompose_groups=1))
    assert r.cost_usd == whole.cost_usd
    assert sorted(r.dropped) == sorted(whole.dropped)
    carried = [g for t in r.trips for g in t.cargo]
    assert sorted(carried + list(r.dropped)) == list(range(len(p.cargo)))


@pytest.mark.parametrize("seed", range(6))
def test_routing_by_camp_shares_the_north_validly(seed: int) -> None:
    """With vehicles from the destination shared out: a valid plan, priced alike."""
    import dataclasses

    p = dataclasses.replace(_instance(seed, 3), decompose_groups=1)
    best = _brute_force(p)
    if best == float("inf"):
        return
    r = route_fleet(p)
    assert r.cost_usd >= best - 1e-6
    cars = {c.id: c for c in p.carriers}
    camps = {c.name: c for c in p.camps}
    for t in r.trips:
        car = cars[t.vehicle_id]
        assert sum(p.cargo[g].weight_kg for g in t.cargo) <= car.payload_kg
        assert sum(p.cargo[g].seats for g in t.cargo) <= car.seats
        assert all(p.cargo[g].camp == t.camp for g in t.cargo)
        if t.cargo:
            assert camps[t.camp].opens_min <= t.load_min <= camps[t.camp].closes_min
    carried = [g for t in r.trips for g in t.cargo]
    assert sorted(carried + list(r.dropped)) == list(range(len(p.cargo)))
    assert not any(p.cargo[g].mandatory for g in r.dropped)

"""Build the export fixture: a small Kidal -> Anefis scenario and a plan.json on it.

Run ``python tests/export/make_fixture.py`` to regenerate the scenario files in
``tests/data/export/``; the tests build the plan with :func:`build_plan`.
The plan is hand-made, not solved: the column follows the scenario's roads at fixed
speeds, halts where the schedule below says, and its risk is a plain Gaussian sum over
the events. It exists so the maps and the report can be built and checked without
the planner; its numbers are plausible, not optimal. Its ``simulation`` object is
real: :func:`convoy.plan.simulate_plan` run on the hand-made plan.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from convoy.document import canonical_json

OUT = Path(__file__).resolve().parents[1] / "data" / "export"
START = datetime(2023, 10, 31, 6, 0, tzinfo=UTC)

ROADS = {
    "RN18": [
        (1.4078, 18.4411),
        (1.3300, 18.3600),
        (1.2400, 18.2800),
        (1.1500, 18.2000),
        (1.0500, 18.1200),
        (0.9300, 18.0500),
    ],
    "Piste Est": [
        (1.4078, 18.4411),
        (1.4200, 18.3300),
        (1.3600, 18.2200),
        (1.2200, 18.1300),
        (1.0500, 18.0800),
        (0.9300, 18.0500),
    ],
}
SURFACE = {"RN18": "laterite", "Piste Est": "track"}
SITES = [
    ("Kidal", "camp", 1.4078, 18.4411),
    ("Anefis", "destination", 0.9300, 18.0500),
    ("Halt Tarlit", "halt", 1.2400, 18.2800),
    ("CP Km12", "checkpoint", 1.3300, 18.3600),
    ("Halt Est", "halt", 1.3600, 18.2200),
    ("CP Est", "checkpoint", 1.2200, 18.1300),
]


def _events() -> list[dict[str, object]]:
    rng = np.random.default_rng(7)
    rows = []
    kinds = [
        ("Explosions/Remote violence", "Remote explosive/landmine/IED", 0.6),
        ("Battles", "Armed clash", 0.25),
        ("Violence against civilians", "Attack", 0.15),
    ]
    line = np.array(ROADS["RN18"])
    for i in range(40):
        seg = rng.integers(0, len(line) - 1)
        t = rng.random()
        lon, lat = line[seg] + t * (line[seg + 1] - line[seg])
        if i % 4 == 0:  # a few on the eastern track, far fewer
            east = np.array(ROADS["Piste Est"])
            lon, lat = east[2] + rng.random() * (east[3] - east[2])
        lon += rng.normal(0, 0.02)
        lat += rng.normal(0, 0.02)
        k = rng.choice(len(kinds), p=[k[2] for k in kinds])
        date = START - timedelta(days=int(rng.integers(5, 600)))
        rows.append(
            {
                "event_id_cnty": f"MLI{30000 + i}",
                "event_date": date.strftime("%Y-%m-%d"),
                "event_type": kinds[k][0],
                "sub_event_type": kinds[k][1],
                "latitude": round(float(lat), 4),
                "longitude": round(float(lon), 4),
                "fatalities": int(rng.poisson(1.0)),
                "geo_precision": 1,
            }
        )
    return rows


def _densify(coords: list[tuple[float, float]], step_km: float) -> np.ndarray:
    """Points every ``step_km`` along a lon/lat polyline (local flat-earth metric)."""
    xy = np.array(coords)
    kx = 111.32 * math.cos(math.radians(xy[:, 1].mean()))
    seg = np.hypot(np.diff(xy[:, 0]) * kx, np.diff(xy[:, 1]) * 110.57)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.append(np.arange(0.0, cum[-1], step_km), cum[-1])
    return np.column_stack(
        [np.interp(s, cum, xy[:, 0]), np.interp(s, cum, xy[:, 1]), s]
    )


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plan(
    road: str,
    depart_h: float,
    speed_kph: float,
    halts: list[tuple[str, float]],
    events: list[dict[str, object]],
    vehicles: int,
    value: float,
) -> dict:
    """A trajectory along ``road`` with (site, hours) halts at the named sites."""
    pts = _densify(ROADS[road], 0.25)
    ev = np.array([[e["longitude"], e["latitude"]] for e in events], dtype=float)
    is_ied = np.array([e["event_type"].startswith("Explosions") for e in events])
    kx = 111.32 * math.cos(math.radians(18.2))
    sites = {s[0]: s for s in SITES}
    stops = [sites[h][0] for h, _ in halts]
    # waypoints: origin, each halt/checkpoint on this road (in order), destination
    on_road = [
        s
        for s in SITES
        if s[1] in ("halt", "checkpoint")
        and min(np.hypot((pts[:, 0] - s[2]) * kx, (pts[:, 1] - s[3]) * 110.57)) < 0.3
    ]
    km_of = {
        s[0]: float(
            pts[
                np.argmin(
                    np.hypot((pts[:, 0] - s[2]) * kx, (pts[:, 1] - s[3]) * 110.57)
                ),
                2,
            ]
        )
        for s in on_road
    }
    marks = (
        ("Kidal", 0.0),
        *sorted(km_of.items(), key=lambda kv: kv[1]),
        ("Anefis", float(pts[-1, 2])),
    )
    t = START + timedelta(hours=depart_h)
    legs, halt_rows, traj, risk_rows = [], [], [{"time": _iso(t), "km": 0.0}], []
    e_ied = e_amb = 0.0
    for (a, ka), (b, kb) in itertools.pairwise(marks):
        sel = (pts[:, 2] >= ka - 1e-9) & (pts[:, 2] <= kb + 1e-9)
        seg = pts[sel]
        mode = (
            "clearance"
            if road == "RN18" and a == "Kidal" and speed_kph < 20
            else "normal"
        )
        v = speed_kph
        t0 = t
        leg_ied = leg_amb = 0.0
        for p, q in itertools.pairwise(seg):
            mid = (p[:2] + q[:2]) / 2
            d2 = ((ev[:, 0] - mid[0]) * kx) ** 2 + ((ev[:, 1] - mid[1]) * 110.57) ** 2
            k = np.exp(-d2 / (2 * 4.0**2)) / (2 * math.pi * 4.0**2)
            hour = t.hour + t.minute / 60.0
            diurnal = 1.0 + 0.4 * math.cos((hour - 6.5) / 24 * 2 * math.pi)
            ied = 2.0 * float(k[is_ied].sum()) * diurnal
            amb = 0.4 * float(k[~is_ied].sum()) * (2.0 - diurnal)
            dkm = float(q[2] - p[2])
            dt_h = dkm / v
            expected = ied * dkm * (0.3 if mode == "clearance" else 1.0) + amb * dkm * (
                dt_h + 0.1
            )
            risk_rows.append(
                {
                    "km_from": float(p[2]),
                    "km_to": float(q[2]),
                    "head_time": _iso(t),
                    "ied_per_km": ied,
                    "ambush_per_km_h": amb,
                    "expected": expected,
                    "coords": [[float(p[0]), float(p[1])], [float(q[0]), float(q[1])]],
                }
            )
            leg_ied += ied * dkm * (0.3 if mode == "clearance" else 1.0)
            leg_amb += amb * dkm * (dt_h + 0.1)
            t = t + timedelta(hours=dt_h)
        legs.append(
            {
                "from": a,
                "to": b,
                "from_node": len(legs),
                "to_node": len(legs) + 1,
                "depart": _iso(t0),
                "arrive": _iso(t),
                "mode": mode,
                "length_km": float(kb - ka),
                "speed_kph": v,
                "expected_ied": leg_ied,
                "expected_ambush": leg_amb,
                "road": road,
                "coords": [[float(x), float(y)] for x, y in seg[:, :2]],
            }
        )
        e_ied += leg_ied
        e_amb += leg_amb
        traj.append({"time": _iso(t), "km": float(kb)})
        if b in stops:
            hours = dict(halts)[b]
            s = sites[b]
            amb_here = 0.002 * hours
            halt_rows.append(
                {
                    "site": b,
                    "node": len(legs),
                    "lon": s[2],
                    "lat": s[3],
                    "start": _iso(t),
                    "end": _iso(t + timedelta(hours=hours)),
                    "hours": hours,
                    "expected_ambush": amb_here,
                }
            )
            e_amb += amb_here
            t = t + timedelta(hours=hours)
            traj.append({"time": _iso(t), "km": float(kb)})
    total_value = 9.0e6
    summary = {
        "expected_incidents": e_ied + e_amb,
        "expected_ied_incidents": e_ied,
        "expected_ambush_incidents": e_amb,
        "depart": legs[0]["depart"],
        "arrive": legs[-1]["arrive"],
        "travel_days": (t - START - timedelta(hours=depart_h)).total_seconds() / 86400,
        "distance_km": float(pts[-1, 2]),
        "vehicles_moving": vehicles,
        "value_carried": value,
        "value_left_behind": total_value - value,
        "feasible": True,
        "note": "",
    }
    return {
        "summary": summary,
        "legs": legs,
        "halts": halt_rows,
        "risk_along_route": risk_rows,
        "trajectory": traj,
    }


def _fleet() -> list[dict[str, object]]:
    rows = []
    types = [
        ("APC", 7.5, 1000, 2.0, 10, 60, 45, 35, 25, 40000.0),
        ("cargo truck", 9.0, 9000, 14.0, 3, 50, 40, 30, 20, 120000.0),
        ("recovery", 10.0, 2000, 4.0, 3, 45, 35, 25, 18, 300000.0),
    ]
    n = 0
    for name, length, payload, deck, seats, sp, sl, st, ss, value in types:
        for _ in range({"APC": 6, "cargo truck": 8, "recovery": 2}[name]):
            n += 1
            rows.append(
                {
                    "id": f"V{n:03d}",
                    "type": name,
                    "length_m": length,
                    "payload_kg": payload,
                    "deck_m2": deck,
                    "seats": seats,
                    "speed_paved_kph": sp,
                    "speed_laterite_kph": sl,
                    "speed_track_kph": st,
                    "speed_sand_kph": ss,
                    "reliability": 0.97,
                    "roadworthy": "false" if n == 16 else "true",
                    "can_tow": "true" if name == "recovery" else "false",
                    "camp": "Kidal",
                    "value_usd": value,
                }
            )
    return rows


def _manifest() -> list[dict[str, object]]:
    cats = [
        ("ammunition", 1200, 3.0, 80000, "true", 2.0, "false"),
        ("generator", 2500, 4.0, 60000, "false", 0.0, "false"),
        ("container", 6000, 14.0, 30000, "false", 0.0, "false"),
        ("comms", 400, 1.0, 250000, "true", 1.0, "true"),
        ("fuel", 4000, 6.0, 12000, "false", 0.5, "false"),
    ]
    rows = []
    for i in range(30):
        c = cats[i % len(cats)]
        rows.append(
            {
                "id": f"L{i + 1:04d}",
                "category": c[0],
                "weight_kg": c[1],
                "deck_m2": c[2],
                "value_usd": c[3],
                "sensitive": c[4],
                "destroy_hours": c[5],
                "mandatory": c[6],
                "camp": "Kidal",
            }
        )
    return rows


def _write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_scenario(out: Path = OUT) -> None:
    """Write the scenario files into ``out`` (tests/data/export/ by default)."""
    out.mkdir(parents=True, exist_ok=True)
    roads = {
        "type": "FeatureCollection",
        "crs": {
            "type": "name",
            "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"},
        },
        "features": [
            {
                "type": "Feature",
                "properties": {"name": n, "ref": n, "surface": SURFACE[n]},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(c) for c in cs],
                },
            }
            for n, cs in ROADS.items()
        ],
    }
    sites = {
        "type": "FeatureCollection",
        "crs": roads["crs"],
        "features": [
            {
                "type": "Feature",
                "properties": {"name": n, "kind": k},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
            for n, k, x, y in SITES
        ],
    }
    (out / "roads.geojson").write_text(json.dumps(roads, indent=1) + "\n")
    (out / "sites.geojson").write_text(json.dumps(sites, indent=1) + "\n")
    _write_csv(out / "events.csv", _events())
    _write_csv(out / "fleet.csv", _fleet())
    _write_csv(out / "manifest.csv", _manifest())
    (out / "scenario.toml").write_text(
        '[scenario]\ntitle = "Kidal to Anefis (export test)"\n'
        'start = "2023-10-31T06:00:00Z"\ndeadline = "2023-11-03T18:00:00Z"\n'
        'origin = "Kidal"\ndestination = "Anefis"\nair_cover = false\n'
        "personnel = 60\nseed = 20231031\n\n[files]\n"
        'roads = "roads.geojson"\nsites = "sites.geojson"\nevents = "events.csv"\n'
        'events_format = "acled"\nfleet = "fleet.csv"\nmanifest = "manifest.csv"\n'
        "\n[risk]\nraster_cell_m = 1000.0\n"
    )


def build_plan(scenario_dir: Path = OUT) -> dict:
    """A plan.json document (as a dict) for the scenario in ``scenario_dir``."""
    events = _events()
    fleet = _fleet()
    manifest = _manifest()
    plans = {
        "optimised": _plan(
            "Piste Est", 2.0, 28.0, [("Halt Est", 11.0)], events, 15, 8.2e6
        ),
        "depart_at_once": _plan("RN18", 0.0, 35.0, [], events, 16, 8.5e6),
        "daylight_only": _plan(
            "RN18", 0.0, 30.0, [("Halt Tarlit", 14.0)], events, 16, 8.5e6
        ),
        "historical": _plan(
            "RN18",
            0.0,
            12.0,
            [("CP Km12", 8.0), ("Halt Tarlit", 16.0)],
            events,
            16,
            8.5e6,
        ),
    }
    march_units = [
        {
            "unit": "MU01",
            "serial": "S1",
            "vehicles": [f"V{i:03d}" for i in range(1, 9)],
            "length_km": 0.9,
            "start_offset_min": 0.0,
        },
        {
            "unit": "MU02",
            "serial": "S1",
            "vehicles": [f"V{i:03d}" for i in range(9, 16)],
            "length_km": 0.8,
            "start_offset_min": 4.0,
        },
    ]
    opt = plans["optimised"]
    march_table = []
    marks = [
        (
            lg["from"],
            0.0 if i == 0 else sum(x["length_km"] for x in opt["legs"][:i]),
            lg["depart"],
        )
        for i, lg in enumerate(opt["legs"])
    ]
    marks.append(
        (
            opt["legs"][-1]["to"],
            opt["summary"]["distance_km"],
            opt["legs"][-1]["arrive"],
        )
    )
    halt_end = {h["site"]: h["end"] for h in opt["halts"]}
    kinds = {s[0]: s[1] for s in SITES}
    for mu in march_units:
        off = timedelta(minutes=mu["start_offset_min"])
        for name, km, when in marks:
            head = datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if name in halt_end:  # arrival at a halt: the leg before it ended there
                head = datetime.strptime(
                    next(lg["arrive"] for lg in opt["legs"] if lg["to"] == name),
                    "%Y-%m-%dT%H:%M:%SZ",
                ).replace(tzinfo=UTC)
            pass_min = mu["length_km"] / 28.0 * 60 + 1.0
            march_table.append(
                {
                    "unit": mu["unit"],
                    "serial": mu["serial"],
                    "checkpoint": name,
                    "kind": kinds[name],
                    "km": km,
                    "head_arrival": _iso(head + off),
                    "tail_clearance": _iso(head + off + timedelta(minutes=pass_min)),
                    "pass_time_min": pass_min,
                    "halt_until": halt_end.get(name),
                }
            )
    left_behind = [
        {
            "kind": "lot",
            "id": "L0003",
            "category": "container",
            "camp": "Kidal",
            "weight_kg": 6000.0,
            "deck_m2": 14.0,
            "value_usd": 30000.0,
            "disposition": "handed_over",
            "reason": "no deck space",
        },
        {
            "kind": "lot",
            "id": "L0008",
            "category": "container",
            "camp": "Kidal",
            "weight_kg": 6000.0,
            "deck_m2": 14.0,
            "value_usd": 30000.0,
            "disposition": "abandoned",
            "reason": "no deck space",
        },
        {
            "kind": "lot",
            "id": "L0011",
            "category": "ammunition",
            "camp": "Kidal",
            "weight_kg": 1200.0,
            "deck_m2": 3.0,
            "value_usd": 80000.0,
            "disposition": "destroyed",
            "reason": "sensitive, not carried",
        },
        {
            "kind": "lot",
            "id": "L0010",
            "category": "fuel",
            "camp": "Kidal",
            "weight_kg": 4000.0,
            "deck_m2": 6.0,
            "value_usd": 12000.0,
            "disposition": "abandoned",
            "reason": "value below its share of the risk",
        },
        {
            "kind": "vehicle",
            "id": "V016",
            "category": "recovery",
            "camp": "Kidal",
            "weight_kg": 0.0,
            "deck_m2": 0.0,
            "value_usd": 300000.0,
            "disposition": "destroyed",
            "reason": "not roadworthy, no tow left",
        },
    ]
    loads = [
        {
            "vehicle": r["id"],
            "type": r["type"],
            "status": "moving" if r["id"] != "V016" else "left",
            "towed_by": None,
            "tows": None,
            "lots": [
                m["id"]
                for j, m in enumerate(manifest)
                if j % 15 == int(r["id"][1:]) - 1
            ],
            "load_kg": 0.0,
            "deck_m2": 0.0,
            "seats_used": 3,
        }
        for r in fleet
    ]
    plan = {
        "format": "convoy-plan/1",
        "convoy_version": "0.1.0",
        "versions": {"python": "3.11", "numpy": np.__version__},
        "scenario": {
            "name": "export",
            "title": "Kidal to Anefis (export test)",
            "path": str(Path(scenario_dir).resolve()),
            "start": _iso(START),
            "deadline": "2023-11-03T18:00:00Z",
            "origin": "Kidal",
            "destination": "Anefis",
            "air_cover": False,
            "personnel": 60,
            "seed": 20231031,
            "crs": "EPSG:32631",
            "inputs": {},
        },
        "calibration": {
            "scale_ied": 2.0,
            "scale_ambush": 0.4,
            "reference": "historical",
            "target_ied_incidents": 6.0,
        },
        "summary": opt["summary"],
        "baselines": {k: v["summary"] for k, v in plans.items() if k != "optimised"},
        "plans": plans,
        "march_table": march_table,
        "march_units": march_units,
        "loads": loads,
        "left_behind": left_behind,
        "loadout": {
            "status": "OPTIMAL",
            "objective": 1.0,
            "bound": 1.0,
            "gap": 0.0,
            "departure_delay_min": 120.0,
            "incident_usd": 5e6,
        },
        "pareto": [],
        "notes": ["hand-made fixture: times and risks are plausible, not optimised"],
    }
    plan = json.loads(canonical_json(plan))
    plan["simulation"] = _simulation(plan, scenario_dir)
    return json.loads(canonical_json(plan))


#: Monte Carlo runs of the fixture plan's ``simulation`` object.
SIMULATION_RUNS = 4000


def _simulation(plan: dict, scenario_dir: Path) -> dict:
    """The ``simulation`` object ``convoy plan`` would store for this plan."""
    from convoy.document import PlanDocument, SimulationSummary
    from convoy.io.scenario import read_scenario
    from convoy.plan import simulate_plan

    doc = PlanDocument.from_dict(plan)
    result = simulate_plan(
        read_scenario(scenario_dir),
        doc.trip_exposure(),
        doc.planned_vehicles(),
        num_runs=SIMULATION_RUNS,
        seed=doc.scenario.seed,
    )
    return SimulationSummary.from_result(result).to_dict()


if __name__ == "__main__":
    write_scenario()


_MAPS: dict[str, Path] = {}


def maps_outputs(tmp_path_factory: Any, doc: Any, scenario: Any) -> Path:
    """
    write_maps() outputs of the export plan, built once per test session.

    Shared by the export, report and QGIS tests (read only: copy before changing).
    """
    if "dir" not in _MAPS:
        from convoy.outputs.maps import map_inputs, write_maps

        out = tmp_path_factory.mktemp("maps")
        write_maps(doc, map_inputs(scenario), out)
        _MAPS["dir"] = out
    return _MAPS["dir"]

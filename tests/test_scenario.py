"""Reading and checking a whole scenario."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from convoy.errors import DataQualityWarning, GeodataError, ScenarioError
from convoy.io.scenario import embedded_scenarios, read_scenario, resolve_scenario
from convoy.params import SURFACES


def line_naming(message: str, parts: list[str]) -> str | None:
    """The first line of ``message`` that contains every string of ``parts``."""
    for line in message.splitlines():
        if all(p in line for p in parts):
            return line
    return None


def test_tiny_scenario_loads(tiny_scenario):
    """The tiny scenario loads with every record, the network and the events."""
    sc = tiny_scenario
    assert sc.name == "tiny"
    assert sc.title == "Tiny test withdrawal"
    assert sc.start == datetime(2023, 10, 31, 6, tzinfo=UTC)
    assert sc.horizon_min == pytest.approx(3.5 * 24 * 60)
    assert (sc.origin, sc.destination, sc.personnel, sc.seed) == (
        "North",
        "South",
        20,
        7,
    )
    assert [v.id for v in sc.vehicles] == ["APC-1", "TRK-1", "TRK-2", "REC-1", "BUS-1"]
    assert [v.roadworthy for v in sc.vehicles] == [True, True, False, True, True]
    assert sc.vehicles[3].can_tow and sc.vehicles[3].camp == "West"
    assert sc.vehicles[4].payload_kg == 0
    assert [lot.id for lot in sc.lots] == ["L01", "L02", "L03", "L04", "L05"]
    assert sc.lots[3].sensitive and sc.lots[3].mandatory
    assert {s.kind for s in sc.sites} == {"camp", "halt", "checkpoint", "destination"}
    assert set(sc.roads.site_node) == {s.name for s in sc.sites}
    assert sc.events.num_events == 4
    assert sc.events.num_after_start == 1
    assert sc.roads.crs.to_epsg() == 32631
    assert sc.files.fleet.name == "fleet.csv" and sc.files.fleet.is_absolute()
    assert sc.roads_params.snap_tolerance_m == 50.0
    assert sc.movement.daily_driving_limit_h == 10.0


def test_tiny_network(tiny_scenario):
    """The tiny roads are noded at the crossing and the near miss, and routable."""
    net = tiny_scenario.roads
    assert net.components().max() == 0
    km = net.surface_km()
    assert set(km) == set(SURFACES)
    assert km["paved"] == pytest.approx(24.9, abs=0.5)
    _, edges, length_m = net.site_path("North", "South")
    assert 45_000 < length_m < 52_000
    assert net.edge_name[edges[0]] == "RN17"
    assert any("cross or touch" in r for r in net.repairs)
    assert any("joined" in r for r in net.repairs)


def test_resolve_scenario(tiny_dir, tmp_path, monkeypatch):
    """A folder, a toml file or an embedded name resolve; anything else is named."""
    assert resolve_scenario(tiny_dir) == tiny_dir / "scenario.toml"
    assert resolve_scenario(tiny_dir / "scenario.toml") == tiny_dir / "scenario.toml"
    root = tmp_path / "geo"
    shutil.copytree(tiny_dir, root / "mini")
    (root / "not-a-scenario").mkdir()
    monkeypatch.setenv("CONVOY_GEODATA", str(root))
    assert embedded_scenarios() == {"mini": root / "mini"}
    assert resolve_scenario("mini") == root / "mini" / "scenario.toml"
    assert read_scenario("mini").title == "Tiny test withdrawal"
    with pytest.raises(
        ScenarioError, match=r"nothere: expected .*embedded scenario \(mini\)"
    ):
        resolve_scenario("nothere")
    with pytest.raises(ScenarioError, match=r"scenario.toml: expected a scenario.toml"):
        resolve_scenario(root / "not-a-scenario")


def test_embedded_scenarios_default_location(monkeypatch):
    """Without CONVOY_GEODATA the embedded scenarios are under geodata/ in the repo."""
    import convoy
    from convoy.io.scenario import geodata_dir

    monkeypatch.delenv("CONVOY_GEODATA", raising=False)
    from pathlib import Path

    assert geodata_dir() == Path(convoy.__file__).resolve().parents[1] / "geodata"
    for name, path in embedded_scenarios().items():
        assert (path / "scenario.toml").is_file() and path.name == name


def test_defect_refused(defect):
    """Each defective scenario is refused with one message naming file and place."""
    with pytest.raises(ScenarioError) as err:
        read_scenario(defect.path)
    msg = str(err.value)
    assert line_naming(msg, defect.expect), (
        f"{defect.name}: no line names {defect.expect} in:\n{msg}"
    )
    assert "Traceback" not in msg


def test_geographic_defects_are_geodata_errors(defect_variant):
    """Problems only with the layers are GeodataErrors; a CSV problem is not."""
    for name in ("RoadsNoCRS", "SitesNaNCoordinate"):
        with pytest.raises(GeodataError):
            read_scenario(defect_variant(name))
    d = defect_variant("FleetWrongType")
    with pytest.raises(ScenarioError) as err:
        read_scenario(d)
    assert not isinstance(err.value, GeodataError)


def test_all_problems_reported_together(tmp_path, tiny_dir, edits):
    """Problems in several rows and several files come out in one error, each named."""
    d = tmp_path / "many"
    shutil.copytree(tiny_dir, d)

    edits.csv(d / "fleet.csv", "APC-1", "payload_kg", "lots")
    edits.csv(d / "fleet.csv", "TRK-1", "seats", "2.5")
    edits.csv(d / "fleet.csv", "TRK-1", "reliability", "1.5")
    edits.csv(d / "fleet.csv", "BUS-1", "roadworthy", "")
    edits.csv(d / "manifest.csv", "L02", "sensitive", "perhaps")
    edits.text(
        d / "scenario.toml",
        'deadline = "2023-11-03T18:00:00Z"',
        'deadline = "2023-10-01T00:00:00Z"',
    )
    edits.text(d / "scenario.toml", "[roads]\n", '[roads]\ndefault_surface = "mud"\n')
    with pytest.raises(ScenarioError) as err:
        read_scenario(d)
    problems = [str(p) for p in err.value.problems]
    expected = [
        ["fleet.csv: row 2 ('APC-1')", "payload_kg", "'lots'"],
        ["fleet.csv: row 3 ('TRK-1')", "seats", "whole number"],
        ["fleet.csv: row 3 ('TRK-1')", "reliability", "(0, 1]"],
        ["fleet.csv: row 6 ('BUS-1')", "roadworthy", "an empty cell"],
        ["manifest.csv: row 3 ('L02')", "sensitive", "'perhaps'"],
        ["scenario.toml: [scenario]", "deadline"],
        ["scenario.toml: [roads]", "default_surface", "'mud'"],
    ]
    for parts in expected:
        assert any(all(p in line for p in parts) for line in problems), parts
    assert len(problems) == len(expected)


def test_geometry_only_roads_load(geometry_only_dir):
    """A roads layer of bare lines loads with the default surface, and says so."""
    sc = read_scenario(geometry_only_dir)
    assert set(sc.roads.edge_surface.tolist()) == {SURFACES.index("track")}
    assert any("4 of 4 features had no surface" in r for r in sc.roads.repairs)
    assert set(sc.roads.edge_name) == {""}


def test_lot_too_big_warns(tmp_path, tiny_dir, edits):
    """A lot that fits no vehicle and is not mandatory draws a warning, not an error."""
    d = tmp_path / "biglot"
    shutil.copytree(tiny_dir, d)

    edits.csv(d / "manifest.csv", "L03", "weight_kg", "20000")
    with pytest.warns(
        DataQualityWarning,
        match=r"row 4 \('L03'\): 20000 kg on 14 m2 fits on no vehicle",
    ):
        sc = read_scenario(d)
    assert sc.lots[2].weight_kg == 20000


def test_unreachable_halt_warns(tmp_path, tiny_dir, edits):
    """A halt site on a road cut off from the destination draws a warning."""
    d = tmp_path / "island"
    shutil.copytree(tiny_dir, d)

    def fn(doc):
        doc["features"].append(
            {
                "type": "Feature",
                "properties": {"name": "Island", "surface": "track"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[1.3, 17.9], [1.32, 17.9]],
                },
            }
        )

    edits.geojson(d / "roads.geojson", fn)

    def add_site(doc):
        doc["features"].append(
            {
                "type": "Feature",
                "properties": {"name": "Oasis", "kind": "halt"},
                "geometry": {"type": "Point", "coordinates": [1.31, 17.9]},
            }
        )

    edits.geojson(d / "sites.geojson", add_site)
    with pytest.warns(DataQualityWarning, match="'Oasis' .*cannot be reached"):
        sc = read_scenario(d)
    assert sc.roads.components().max() == 1


def test_deterministic(tiny_dir):
    """Reading the same scenario twice gives the same numbers."""
    import numpy as np

    a, b = read_scenario(tiny_dir), read_scenario(tiny_dir)
    assert np.array_equal(a.roads.node_xy, b.roads.node_xy)
    assert np.array_equal(a.events.xy, b.events.xy)
    assert a.vehicles == b.vehicles and a.lots == b.lots


def test_embedded_kidal_gao(embedded_kidal_gao):
    """The embedded scenario loads and Kidal to Gao is 340-360 km by road."""
    sc = read_scenario("kidal-gao")
    _, _, length_m = sc.roads.site_path(sc.origin, sc.destination)
    assert sc.origin == "Kidal" and sc.destination == "Gao"
    assert 340_000 <= length_m <= 360_000


def test_reference_trip_is_read(tiny_scenario):
    """The [calibration] trip is parsed into a record; an empty route is the axis."""
    trip = tiny_scenario.reference_trip
    assert trip is not None
    assert trip.depart == datetime(2023, 10, 31, 6, tzinfo=UTC)
    assert trip.arrive == datetime(2023, 11, 7, 20, tzinfo=UTC)
    assert trip.route == ("North", "South")
    assert (trip.vehicles, trip.ied_incidents) == (143, 6.0)
    assert trip.depart_min(tiny_scenario.start) == 0.0


def test_reference_trip_outside_the_dates(defect_variant):
    """A scenario a year later than its reference trip is refused when read."""
    with pytest.raises(ScenarioError) as err:
        read_scenario(defect_variant("CalibrationBeforeStart"))
    line = line_naming(str(err.value), ["[calibration]", "field 'depart'"])
    assert line is not None
    assert "2024-10-31T06:00Z (start)" in line and "2023-10-31T06:00Z" in line
    arrive = line_naming(str(err.value), ["[calibration]", "field 'arrive'"])
    assert arrive is not None and "found 2023-11-07T20:00Z" in arrive
    assert not isinstance(err.value, GeodataError)


def test_reference_trip_not_checked_when_calibration_is_off(tmp_path, tiny_dir, edits):
    """With [calibration] enabled = false the trip's dates are not held against it."""
    d = tmp_path / "off"
    shutil.copytree(tiny_dir, d)
    edits.text(d / "scenario.toml", 'start = "2023-', 'start = "2024-')
    edits.text(d / "scenario.toml", 'deadline = "2023-', 'deadline = "2024-')
    edits.text(
        d / "scenario.toml",
        "[roads]\n",
        "[calibration]\nenabled = false\n\n[risk]\nscale_ied = 1.0\n"
        "scale_ambush = 1.0\n\n[roads]\n",
    )
    sc = read_scenario(d)
    assert sc.reference_trip is not None
    assert sc.reference_trip.depart.year == 2023


def _add_role_column(path, roles):
    """Append a ``role`` column to a fleet CSV: ``roles`` by vehicle id, else blank."""
    import csv

    from tests.conftest import write_csv

    rows = list(csv.reader(path.read_text().splitlines()))
    rows[0].append("role")
    for r in rows[1:]:
        r.append(roles.get(r[0], ""))
    write_csv(path, rows)


def test_fleet_roles_read_and_checked(tmp_path, tiny_dir, tiny_scenario):
    """The optional role column: read, blank by default, bad values named by row."""
    assert {v.role for v in tiny_scenario.vehicles} == {""}  # no column: no roles
    d = tmp_path / "roles"
    shutil.copytree(tiny_dir, d)
    _add_role_column(d / "fleet.csv", {"REC-1": "Recovery", "APC-1": "route-clearance"})
    sc = read_scenario(d)
    roles = {v.id: v.role for v in sc.vehicles}
    assert roles["REC-1"] == "recovery" and roles["APC-1"] == "route_clearance"
    assert roles["TRK-1"] == ""
    bad = tmp_path / "bad_roles"
    shutil.copytree(tiny_dir, bad)
    _add_role_column(bad / "fleet.csv", {"TRK-1": "sapper", "BUS-1": "recovery"})
    with pytest.raises(ScenarioError) as err:
        read_scenario(bad)
    problems = [str(p) for p in err.value.problems]
    assert len(problems) == 2
    for parts in (
        ["fleet.csv: row 3 ('TRK-1')", "role", "route_clearance", "'sapper'"],
        ["fleet.csv: row 6 ('BUS-1')", "can_tow", "recovery", "False"],
    ):
        assert any(all(p in line for p in parts) for line in problems), problems

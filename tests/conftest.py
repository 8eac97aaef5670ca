"""Shared fixtures: the tiny scenario and its defective variants.

``tests/data/tiny/`` is a small valid scenario (two camps, a destination 50 km
south, four roads, five vehicles, five lots, five ACLED rows). Each defective
scenario is the tiny one with one thing broken, built on demand in a temporary
folder named after the defect; ``DEFECTS`` says how to break it and what the error
message must name (each string in the list must appear on one line of it).

A test that takes a ``defect`` argument runs once per defect.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pytest

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"

# tests/export/make_fixture.py builds the export scenario's plan and maps
sys.path.insert(0, str(Path(__file__).parent / "export"))


# ------------------------------------------------------------------ editing helpers


def edit_text(path: Path, old: str, new: str) -> None:
    """Replace one exact text (which must be there) in a file."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def edit_csv(path: Path, row_id: str, column: str, value: str) -> None:
    """Set one cell of a CSV, found by the row's ``id`` and the column name."""
    rows = list(csv.reader(path.read_text().splitlines()))
    col = rows[0].index(column)
    hits = [r for r in rows[1:] if r[0] == row_id]
    assert hits, f"no row {row_id!r} in {path}"
    hits[0][col] = value
    write_csv(path, rows)


def drop_csv_column(path: Path, column: str) -> None:
    """Remove a column from a CSV."""
    rows = list(csv.reader(path.read_text().splitlines()))
    col = rows[0].index(column)
    write_csv(path, [r[:col] + r[col + 1 :] for r in rows])


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Write rows as CSV with plain newlines."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


def edit_geojson(path: Path, fn: Callable[[dict], None]) -> None:
    """Load a GeoJSON, let ``fn`` change it in place, write it back (NaN allowed)."""
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def feature(doc: dict, name: str) -> dict:
    """The feature of a sites/roads GeoJSON whose ``name`` property is ``name``."""
    return next(f for f in doc["features"] if f["properties"].get("name") == name)


def roads_without_crs(d: Path) -> None:
    """The tiny roads as a Shapefile without its .prj, named in scenario.toml."""
    gdf = gpd.read_file(d / "roads.geojson")
    gdf.to_file(d / "roads.shp", engine="pyogrio")
    (d / "roads.prj").unlink()
    edit_text(d / "scenario.toml", 'roads = "roads.geojson"', 'roads = "roads.shp"')


def disconnect(d: Path) -> None:
    """Cut the southern roads off: the laterite RN17 and the sand track move away."""

    def fn(doc: dict) -> None:
        lat = doc["features"][1]["geometry"]["coordinates"]
        lat[0] = [1.11, 17.79]
        sand = doc["features"][3]["geometry"]["coordinates"]
        sand[0] = [1.135, 17.835]

    edit_geojson(d / "roads.geojson", fn)


def set_site(name: str, key: str, value: object) -> Callable[[Path], None]:
    """A defect that sets a property (or, for ``"xy"``, the coordinates) of a site."""

    def apply(d: Path) -> None:
        def fn(doc: dict) -> None:
            f = feature(doc, name)
            if key == "xy":
                f["geometry"]["coordinates"] = value
            else:
                f["properties"][key] = value

        edit_geojson(d / "sites.geojson", fn)

    return apply


def drop_site_property(key: str) -> Callable[[Path], None]:
    """A defect that removes a property from every site."""

    def apply(d: Path) -> None:
        def fn(doc: dict) -> None:
            for f in doc["features"]:
                del f["properties"][key]

        edit_geojson(d / "sites.geojson", fn)

    return apply


def toml(old: str, new: str) -> Callable[[Path], None]:
    """A defect that edits scenario.toml."""
    return lambda d: edit_text(d / "scenario.toml", old, new)


def dated_2024(d: Path) -> None:
    """The scenario moved a year on; [calibration] keeps its 2023 defaults."""
    edit_text(d / "scenario.toml", 'start = "2023-', 'start = "2024-')
    edit_text(d / "scenario.toml", 'deadline = "2023-', 'deadline = "2024-')


def calibration(lines: str) -> Callable[[Path], None]:
    """A defect that adds a [calibration] table to scenario.toml."""
    return toml("[roads]\n", f"[calibration]\n{lines}\n\n[roads]\n")


def events_in_latin1(d: Path) -> None:
    """events.csv saved as Latin-1, with an accented note on row 3."""
    lines = (d / "events.csv").read_text().splitlines()
    assert lines[2].endswith(",clash near Wells")
    lines[2] = lines[2].replace("clash near Wells", "accrochage pr\u00e8s de Wells")
    (d / "events.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


def cell(file: str, row_id: str, column: str, value: str) -> Callable[[Path], None]:
    """A defect that sets one CSV cell."""
    return lambda d: edit_csv(d / file, row_id, column, value)


def unknown_surface(d: Path) -> None:
    """The laterite RN17 gets a surface convoy does not know."""

    def fn(doc: dict) -> None:
        doc["features"][1]["properties"]["surface"] = "tarmacadam"

    edit_geojson(d / "roads.geojson", fn)


def short_row(d: Path) -> None:
    """A fleet row with a cell missing."""
    lines = (d / "fleet.csv").read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]
    (d / "fleet.csv").write_text("\n".join(lines) + "\n")


#: Defect name -> (how to break the tiny scenario, what one line must name).
DEFECTS: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "MissingFleetFile": (
        lambda d: (d / "fleet.csv").unlink(),
        ["fleet.csv", "expected an existing file", "no such file"],
    ),
    "MissingEventsFile": (
        lambda d: (d / "events.csv").unlink(),
        ["events.csv", "no such file"],
    ),
    "EmptyManifest": (
        lambda d: (d / "manifest.csv").write_text(""),
        ["manifest.csv", "an empty file"],
    ),
    "ManifestMissingColumn": (
        lambda d: drop_csv_column(d / "manifest.csv", "weight_kg"),
        ["manifest.csv", "row 1", "field 'weight_kg'", "a column 'weight_kg'"],
    ),
    "FleetWrongType": (
        cell("fleet.csv", "TRK-1", "payload_kg", "heavy"),
        ["fleet.csv", "row 3 ('TRK-1')", "field 'payload_kg'", "a number", "'heavy'"],
    ),
    "FleetNaN": (
        cell("fleet.csv", "APC-1", "deck_m2", "NaN"),
        ["fleet.csv", "row 2 ('APC-1')", "field 'deck_m2'", "finite"],
    ),
    "FleetBadBool": (
        cell("fleet.csv", "REC-1", "can_tow", "maybe"),
        ["fleet.csv", "row 5 ('REC-1')", "field 'can_tow'", "'maybe'"],
    ),
    "FleetNegativePayload": (
        cell("fleet.csv", "TRK-2", "payload_kg", "-8000"),
        ["fleet.csv", "row 4 ('TRK-2')", "field 'payload_kg'", ">= 0", "-8000"],
    ),
    "FleetZeroCapacity": (
        cell("fleet.csv", "BUS-1", "seats", "0"),
        ["fleet.csv", "row 6 ('BUS-1')", "carries something", "0 seats"],
    ),
    "FleetZeroLength": (
        cell("fleet.csv", "APC-1", "length_m", "0"),
        ["fleet.csv", "row 2 ('APC-1')", "field 'length_m'", "> 0"],
    ),
    "FleetShortRow": (
        short_row,
        ["fleet.csv", "row 3", "15 cells as in the header", "14 cells"],
    ),
    "ManifestZeroWeight": (
        cell("manifest.csv", "L02", "weight_kg", "0"),
        ["manifest.csv", "row 3 ('L02')", "field 'weight_kg'", "> 0"],
    ),
    "DuplicateVehicleId": (
        cell("fleet.csv", "TRK-2", "id", "TRK-1"),
        ["fleet.csv", "row 3, row 4", "field 'id'", "'TRK-1' 2 times"],
    ),
    "DuplicateLotId": (
        cell("manifest.csv", "L05", "id", "L01"),
        ["manifest.csv", "row 2, row 6", "field 'id'", "'L01' 2 times"],
    ),
    "DuplicateSiteName": (
        set_site("Bridge", "name", "Wells"),
        ["sites.geojson", "feature 3, feature 4", "field 'name'", "'Wells' 2 times"],
    ),
    "UnknownCamp": (
        cell("fleet.csv", "REC-1", "camp", "East"),
        ["fleet.csv", "row 5 ('REC-1')", "field 'camp'", "'East', which is not a site"],
    ),
    "LotAtHaltSite": (
        cell("manifest.csv", "L05", "camp", "Wells"),
        ["manifest.csv", "row 6 ('L05')", "field 'camp'", "kind 'halt'"],
    ),
    "UnknownOrigin": (
        toml('origin = "North"', 'origin = "Nowhere"'),
        ["scenario.toml", "[scenario]", "field 'origin'", "'Nowhere'"],
    ),
    "DestinationWrongKind": (
        toml('destination = "South"', 'destination = "Wells"'),
        ["scenario.toml", "[scenario]", "field 'destination'", "kind 'halt'"],
    ),
    "DeadlineBeforeStart": (
        toml('deadline = "2023-11-03T18:00:00Z"', 'deadline = "2023-10-30T18:00:00Z"'),
        ["scenario.toml", "[scenario]", "field 'deadline'", "after start"],
    ),
    "StartWithoutTimezone": (
        toml('start = "2023-10-31T06:00:00Z"', 'start = "2023-10-31T06:00:00"'),
        ["scenario.toml", "[scenario]", "field 'start'", "UTC offset"],
    ),
    "MissingOrigin": (
        toml('origin = "North"\n', ""),
        ["scenario.toml", "[scenario]", "field 'origin'", "a site name"],
    ),
    "UnknownParameter": (
        toml("[roads]\n", "[roads]\nsnap_tolerance = 30.0\n"),
        ["scenario.toml", "[roads]", "field 'snap_tolerance'", "unknown key"],
    ),
    "RoadsCrsInDegrees": (
        toml("[roads]\n", '[roads]\ncrs = "EPSG:4326"\n'),
        ["scenario.toml", "[roads]", "field 'crs'", "a projected CRS in metres"],
    ),
    "UnknownTable": (
        toml("[roads]\n", "[rodas]\nx = 1\n\n[roads]\n"),
        ["scenario.toml", "[rodas]", "an unknown table"],
    ),
    "TomlSyntax": (toml("[roads]\n", "[roads\n"), ["scenario.toml", "valid TOML"]),
    "PersonnelExceedsSeats": (
        toml("personnel = 20", "personnel = 500"),
        ["scenario.toml", "field 'personnel'", "at most the 46 seats", "500"],
    ),
    "MandatoryLotTooBig": (
        cell("manifest.csv", "L04", "weight_kg", "9000"),
        [
            "manifest.csv",
            "row 5 ('L04')",
            "field 'mandatory'",
            "some vehicle can carry",
        ],
    ),
    "RoadsNoCRS": (
        roads_without_crs,
        ["roads.shp", "field 'crs'", "coordinate reference system"],
    ),
    "RoadsUnreadable": (
        lambda d: (d / "roads.geojson").write_text("{not json"),
        ["roads.geojson", "a vector layer"],
    ),
    "Disconnected": (
        disconnect,
        [
            "roads.geojson",
            "'North'",
            "'South'",
            "component 0",
            "component 1",
            "'Bridge'",
        ],
    ),
    "UnknownSurface": (
        unknown_surface,
        ["roads.geojson", "feature 2 ('RN17')", "field 'surface'", "'tarmacadam'"],
    ),
    "SitesNaNCoordinate": (
        set_site("West", "xy", [float("nan"), 17.85]),
        ["sites.geojson", "feature 2 ('West')", "field 'geometry'", "finite"],
    ),
    "SitesLatLonSwapped": (
        set_site("South", "xy", [17.6, 1.2]),
        ["sites.geojson", "'South'", "field 'geometry'", "look swapped"],
    ),
    "SitesLatOutOfRange": (
        set_site("Bridge", "xy", [1.15, 97.7]),
        ["sites.geojson", "feature 4 ('Bridge')", "latitude in [-90, 90]"],
    ),
    "SitesMissingKind": (
        drop_site_property("kind"),
        ["sites.geojson", "field 'kind'", "an attribute 'kind'"],
    ),
    "SitesUnknownKind": (
        set_site("Wells", "kind", "airfield"),
        ["sites.geojson", "feature 3 ('Wells')", "field 'kind'", "'airfield'"],
    ),
    "SitesBadCapacity": (
        set_site("Wells", "capacity", "big"),
        ["sites.geojson", "feature 3 ('Wells')", "field 'capacity'", "'big'"],
    ),
    "SitesZeroCapacity": (
        set_site("Wells", "capacity", 0),
        ["sites.geojson", "feature 3 ('Wells')", "field 'capacity'", "vehicles >= 1"],
    ),
    "MissingSitesFile": (
        lambda d: (d / "sites.geojson").unlink(),
        ["sites.geojson", "expected an existing file"],
    ),
    "FleetHeaderOnly": (
        lambda d: (d / "fleet.csv").write_text(
            (d / "fleet.csv").read_text().splitlines()[0] + "\n"
        ),
        ["fleet.csv", "at least one vehicle row", "a header only"],
    ),
    "EmptyScenarioToml": (
        lambda d: (d / "scenario.toml").write_text("\n"),
        ["scenario.toml", "an empty file"],
    ),
    "FleetNotUtf8": (
        lambda d: (d / "fleet.csv").write_bytes(b"id,type\n\xff\xfe\x00bad\n"),
        ["fleet.csv", "UTF-8 text"],
    ),
    "EventsNotUtf8": (
        events_in_latin1,
        ["events.csv", "row 3", "UTF-8 text", "undecodable bytes"],
    ),
    "CalibrationBeforeStart": (
        dated_2024,
        [
            "scenario.toml",
            "[calibration]",
            "field 'depart'",
            "between 2024-10-31T06:00Z (start) and 2024-11-03T18:00Z (deadline)",
            "found 2023-10-31T06:00Z",
            "enabled = false",
        ],
    ),
    "CalibrationBadTime": (
        calibration('depart = "31/10/2023 06:00"'),
        ["scenario.toml", "[calibration]", "field 'depart'", "ISO 8601", "31/10"],
    ),
    "CalibrationArriveBeforeDepart": (
        calibration('arrive = "2023-10-30T06:00:00Z"'),
        ["scenario.toml", "[calibration]", "field 'arrive'", "after depart"],
    ),
    "CalibrationRouteEnds": (
        calibration('route = ["West", "South"]'),
        ["scenario.toml", "[calibration]", "field 'route'", "from 'North' to 'South'"],
    ),
    "EventsBadDate": (
        lambda d: edit_text(d / "events.csv", "2023-08-03", "3 Aout 2023"),
        ["events.csv", "row 3", "event_date"],
    ),
}


@dataclass(frozen=True)
class Defect:
    """A defective scenario folder and what its error must name."""

    name: str
    path: Path
    expect: list[str]


def build_variant(root: Path, name: str, fn: Callable[[Path], None]) -> Path:
    """Copy the tiny scenario to ``root/name`` and apply ``fn`` to it."""
    d = root / name
    if not d.exists():
        shutil.copytree(TINY, d)
        fn(d)
    return d


@pytest.fixture(scope="session")
def variants_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder holding the scenario variants."""
    return tmp_path_factory.mktemp("scenarios")


@pytest.fixture
def defect(request: pytest.FixtureRequest, variants_root: Path) -> Defect:
    """One defective scenario (tests taking ``defect`` run once per defect)."""
    fn, expect = DEFECTS[request.param]
    return Defect(
        request.param, build_variant(variants_root, request.param, fn), expect
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``defect`` once per entry of DEFECTS."""
    if "defect" in metafunc.fixturenames:
        metafunc.parametrize("defect", sorted(DEFECTS), indirect=True)


@pytest.fixture(scope="session")
def edits() -> SimpleNamespace:
    """The file-editing helpers above, for tests that break their own copy.

    ``edits.text(path, old, new)``, ``edits.csv(path, row_id, column, value)``,
    ``edits.drop_column(path, column)``, ``edits.geojson(path, fn)``.
    """
    return SimpleNamespace(
        text=edit_text, csv=edit_csv, drop_column=drop_csv_column, geojson=edit_geojson
    )


@pytest.fixture(scope="session")
def defect_variant(variants_root: Path) -> Callable[[str], Path]:
    """Build (once) and return the folder of the defect of that name."""
    return lambda name: build_variant(variants_root, name, DEFECTS[name][0])


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """The tiny valid scenario folder."""
    return TINY


@pytest.fixture(scope="session")
def tiny_scenario():
    """The tiny scenario, loaded once."""
    from convoy.io.scenario import read_scenario

    return read_scenario(TINY)


@pytest.fixture(scope="session")
def geometry_only_dir(variants_root: Path) -> Path:
    """The tiny scenario with a roads layer of bare lines (no attributes)."""

    def fn(d: Path) -> None:
        def strip(doc: dict) -> None:
            for f in doc["features"]:
                f["properties"] = {}

        edit_geojson(d / "roads.geojson", strip)

    return build_variant(variants_root, "RoadsGeometryOnly", fn)


@pytest.fixture(scope="session")
def embedded_kidal_gao() -> Path:
    """The embedded Kidal-Gao scenario folder; skips while it is not there."""
    from convoy.io.scenario import embedded_scenarios

    found = embedded_scenarios().get("kidal-gao")
    if found is None:
        pytest.skip("geodata/kidal-gao is not there")
    return found


# ------------------------------------------------- the export scenario and its maps
# Shared by tests/export, tests/report and tests/qgis: session fixtures here are
# built once for all three (in each folder's own conftest they were built thrice).


@pytest.fixture(scope="session")
def export_scenario():
    """The Kidal -> Anefis export scenario, loaded."""
    from make_fixture import OUT

    from convoy.io.scenario import read_scenario

    return read_scenario(OUT)


@pytest.fixture(scope="session")
def export_plan():
    """A plan.json document on the export scenario (hand-made, not solved)."""
    from make_fixture import OUT, build_plan

    return build_plan(OUT)


@pytest.fixture(scope="session")
def export_doc(export_plan):
    """The export plan as a PlanDocument."""
    from convoy.document import PlanDocument

    return PlanDocument.from_dict(export_plan)


@pytest.fixture(scope="session")
def maps_dir(tmp_path_factory, export_doc, export_scenario):
    """A folder with every output of write_maps() for the export plan (read only)."""
    from make_fixture import maps_outputs

    return maps_outputs(tmp_path_factory, export_doc, export_scenario)

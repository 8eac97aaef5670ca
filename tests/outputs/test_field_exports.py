"""Field exports: plan.gpx, plan.kml, the XLSX tables and the rounded march table CSV.

Each file is read back with a real parser (gpxpy, lxml against the OGC KML 2.2 schema
that fastkml ships, fastkml, openpyxl) and checked against the plan document.
"""

from __future__ import annotations

import bisect
import csv
import math
from datetime import UTC, datetime
from pathlib import Path

import fastkml
import gpxpy
import openpyxl
import pytest
from lxml import etree

from convoy.document import OPTIMISED, PlanDocument
from convoy.outputs.gpx import write_gpx
from convoy.outputs.kml import GX_NS, KML_NS, kml_colour, write_kml
from convoy.outputs.tables import safe_text, write_tables
from convoy.outputs.track import (
    haversine_m,
    head_track,
    plan_stops,
    point_at_km,
    stops,
)
from convoy.outputs.xlsx import write_xlsx_tables
from convoy.times import dtg

K = {"k": KML_NS, "gx": GX_NS}


@pytest.fixture(scope="module")
def field_dir(tmp_path_factory, export_doc):
    d = tmp_path_factory.mktemp("field")
    write_gpx(export_doc, d / "plan.gpx")
    write_kml(export_doc, d / "plan.kml")
    write_xlsx_tables(export_doc, d)
    write_tables(export_doc, d)
    return d


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# ------------------------------------------------------------------- DTG


@pytest.mark.parametrize(
    ("when", "want"),
    [
        (datetime(2023, 10, 31, 11, 0, tzinfo=UTC), "311100Z OCT 23"),
        (datetime(2023, 10, 31, 11, 0, 29, tzinfo=UTC), "311100Z OCT 23"),
        (datetime(2023, 10, 31, 11, 0, 30, tzinfo=UTC), "311101Z OCT 23"),
        (datetime(2023, 12, 31, 23, 59, 45, tzinfo=UTC), "010000Z JAN 24"),
        (datetime(2024, 2, 29, 6, 5, tzinfo=UTC), "290605Z FEB 24"),
    ],
)
def test_dtg(when, want):
    assert dtg(when) == want


def test_dtg_converts_other_zones():
    from datetime import timedelta, timezone

    t = datetime(2023, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert dtg(t) == "312330Z OCT 23"


def test_safe_text():
    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("-2") == "'-2"
    assert safe_text("Anefis") == "Anefis"


# ------------------------------------------------------------------- track


def test_head_track_times_and_km(export_doc):
    trip = export_doc.trip()
    track = head_track(trip)
    times = [p.time for p in track]
    assert times == sorted(times)
    assert track[0].time == trip.legs[0].depart
    assert track[-1].time == trip.legs[-1].arrive
    assert track[-1].km == pytest.approx(sum(leg.length_km for leg in trip.legs))
    # every leg's end is on the track at the leg's arrival
    for leg in trip.legs:
        lon, lat = leg.coords[-1]
        assert any(p.time == leg.arrive and (p.lon, p.lat) == (lon, lat) for p in track)


def test_point_at_km_brute_force(export_doc):
    track = head_track(export_doc.trip())
    for p in track:
        lon, lat = point_at_km(track, p.km)
        assert haversine_m(lon, lat, p.lon, p.lat) < 1.0
    a, b = track[0], track[1]
    lon, lat = point_at_km(track, (a.km + b.km) / 2)
    assert lon == pytest.approx((a.lon + b.lon) / 2, abs=1e-6)


def test_haversine_one_degree_of_latitude():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-4)


def test_stops_follow_first_unit(export_doc):
    trip = export_doc.trip()
    table = export_doc.march_table
    first = [r for r in table if r.unit == table[0].unit]
    got = plan_stops(export_doc, OPTIMISED, head_track(trip))
    assert [s.name for s in got] == [r.checkpoint for r in first]
    assert [s.arrive for s in got] == [r.head_arrival for r in first]
    for s in got:
        if s.kind == "halt":
            h = next(h for h in trip.halts if h.site == s.name)
            assert (s.lon, s.lat) == (h.lon, h.lat)


# ------------------------------------------------------------------- GPX


def test_gpx_parses_with_tracks_and_timed_waypoints(field_dir, export_doc):
    gpx = gpxpy.parse((field_dir / "plan.gpx").read_text(encoding="utf-8"))
    assert gpx.version == "1.1"
    names = [t.name for t in gpx.tracks]
    assert names == [k for k in export_doc.plan_keys() if export_doc.plans[k].legs]
    assert names[0] == OPTIMISED
    for track in gpx.tracks:
        trip = export_doc.plans[track.name]
        pts = track.segments[0].points
        want = head_track(trip)
        assert len(pts) == len(want)
        assert _aware(pts[0].time) == trip.summary.depart
        assert _aware(pts[-1].time) == trip.legs[-1].arrive
        for p, q in zip(pts, want, strict=True):
            assert (p.longitude, p.latitude) == pytest.approx((q.lon, q.lat))
    opt = [w for w in gpx.waypoints if w.name.startswith(f"{OPTIMISED}: ")]
    want_stops = plan_stops(export_doc, OPTIMISED, head_track(export_doc.trip()))
    assert len(opt) == len(want_stops)
    for w, s in zip(opt, want_stops, strict=True):
        assert w.name == f"{OPTIMISED}: {s.name}"
        assert _aware(w.time) == s.arrive
        assert dtg(s.arrive) in w.description
        assert w.type == s.kind
        if s.until is not None:
            assert f"halt until {dtg(s.until)}" in w.description


# ------------------------------------------------------------------- KML


def test_kml_valid_against_ogc_schema(field_dir):
    xsd = Path(fastkml.__file__).parent / "schema" / "ogckml22.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    tree = etree.parse(str(field_dir / "plan.kml"))
    assert schema.validate(tree), schema.error_log


def test_kml_folders_styles_and_times(field_dir, export_doc):
    root = etree.parse(str(field_dir / "plan.kml")).getroot()
    folders = root.findall("k:Document/k:Folder", K)
    keys = [k for k in export_doc.plan_keys() if export_doc.plans[k].legs]
    assert [f.findtext("k:name", namespaces=K) for f in folders] == keys
    colours = set()
    for folder, name in zip(folders, keys, strict=True):
        trip = export_doc.plans[name]
        route = folder.find("k:Placemark[k:LineString]", K)
        style_id = route.findtext("k:styleUrl", namespaces=K).lstrip("#")
        style = root.find(f"k:Document/k:Style[@id='{style_id}']", K)
        colours.add(style.findtext("k:LineStyle/k:color", namespaces=K))
        coords = route.findtext("k:LineString/k:coordinates", namespaces=K).split()
        first = tuple(float(v) for v in coords[0].split(",")[:2])
        assert first == pytest.approx(trip.legs[0].coords[0])
        whens = folder.findall("k:Placemark/gx:Track/k:when", K)
        gx_coords = folder.findall("k:Placemark/gx:Track/gx:coord", K)
        assert len(whens) == len(gx_coords) == len(head_track(trip)) > 1
        times = [datetime.fromisoformat(w.text) for w in whens]
        assert times == sorted(times)
        assert times[0] == trip.summary.depart
        want = plan_stops(export_doc, name, head_track(trip))
        stamps = folder.findall("k:Placemark/k:TimeStamp/k:when", K)
        spans = folder.findall("k:Placemark[k:Point]/k:TimeSpan", K)
        assert len(stamps) + len(spans) == len(want) > 0
        assert len(spans) == sum(1 for s in want if s.until is not None)
    assert len(colours) == len(keys)


def test_kml_reads_with_fastkml(field_dir):
    k = fastkml.KML.parse(str(field_dir / "plan.kml"), strict=False)
    document = k.features[0]
    assert next(f.name for f in document.features) == OPTIMISED


def test_kml_colour():
    assert kml_colour("d7191c") == "ff1c19d7"


# ------------------------------------------------------------------- XLSX and CSV


def test_march_xlsx_reads_back(field_dir, export_doc):
    wb = openpyxl.load_workbook(field_dir / "march_table.xlsx")
    ws = wb.active
    assert export_doc.scenario.title in ws["A1"].value and OPTIMISED in ws["A1"].value
    assert ws.freeze_panes == "A3"
    header = [c.value for c in ws[2]]
    assert all(c.font.bold for c in ws[2])
    assert header[:5] == ["unit", "serial", "checkpoint", "kind", "km"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == len(export_doc.march_table)
    col = {name: i for i, name in enumerate(header)}
    for row, rec in zip(rows, export_doc.march_table, strict=True):
        assert row[col["km"]] == pytest.approx(round(rec.km, 1))
        assert row[col["pass_time_min"]] == round(rec.pass_time_min)
        got = row[col["head_arrival"]]
        assert isinstance(got, datetime)
        assert abs((got.replace(tzinfo=UTC) - rec.head_arrival).total_seconds()) < 1
        assert row[col["head_arrival_dtg"]] == dtg(rec.head_arrival)
    cell = ws.cell(row=3, column=col["head_arrival"] + 1)
    assert cell.is_date and "yyyy" in cell.number_format
    assert ws.column_dimensions["C"].width >= len("checkpoint")


def test_loads_xlsx_reads_back(field_dir, export_doc):
    ws = openpyxl.load_workbook(field_dir / "loads.xlsx").active
    assert "loads" in ws["A1"].value
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [r.vehicle for r in export_doc.loads]
    header = [c.value for c in ws[2]]
    i = header.index("value_usd")
    assert [r[i] for r in rows] == pytest.approx(
        [r.value_usd for r in export_doc.loads]
    )


def test_xlsx_neutralises_formulas(tmp_path, export_doc):
    from dataclasses import replace

    rows = list(export_doc.loads)
    rows[0] = replace(rows[0], vehicle="=HYPERLINK(1)")
    doc = replace(export_doc, loads=tuple(rows))
    write_xlsx_tables(doc, tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "loads.xlsx").active
    assert ws["A3"].value == "'=HYPERLINK(1)" and ws["A3"].data_type == "s"
    write_tables(doc, tmp_path)
    with open(tmp_path / "loads.csv", encoding="utf-8") as f:
        assert next(iter(csv.DictReader(f)))["vehicle"] == "'=HYPERLINK(1)"


def test_march_csv_rounded_with_dtg(field_dir, export_doc):
    with open(field_dir / "march_table.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(export_doc.march_table)
    for row, rec in zip(rows, export_doc.march_table, strict=True):
        assert row["km"] == f"{round(rec.km, 1):.6g}"
        assert math.isclose(float(row["km"]), rec.km, abs_tol=0.05 + 1e-9)
        assert row["pass_time_min"] == str(round(rec.pass_time_min))
        assert row["head_arrival_dtg"] == dtg(rec.head_arrival)
        assert row["tail_clearance_dtg"] == dtg(rec.tail_clearance)
        assert row["halt_until_dtg"] == (
            "" if rec.halt_until is None else dtg(rec.halt_until)
        )
        assert datetime.fromisoformat(row["head_arrival"]) == rec.head_arrival


def test_plan_json_keeps_full_precision(export_doc):
    again = PlanDocument.from_json(export_doc.to_json())
    assert [r.km for r in again.march_table] == pytest.approx(
        [r.km for r in export_doc.march_table], rel=1e-5
    )


def test_stops_without_march_table(export_doc):
    """A baseline without a march table: its ends and its halts, in order of km."""
    trip = export_doc.trip()
    got = stops(trip, march_table=())
    assert got[0].kind == "start point" and got[-1].kind == "release point"
    assert [s.name for s in got[1:-1]] == [h.site for h in trip.halts]
    assert got[-1].arrive == trip.legs[-1].arrive


def _km_at(track, when):
    times = [p.time for p in track]
    i = bisect.bisect_right(times, when)
    if i == 0 or i >= len(track):
        return None
    a, b = track[i - 1], track[i]
    f = 0.0 if b.time == a.time else (when - a.time) / (b.time - a.time)
    return a.km + f * (b.km - a.km)


def test_track_agrees_with_plan_trajectory(export_doc):
    """The track's km at each time of the plan's own trajectory is that km."""
    for name in export_doc.plan_keys():
        trip = export_doc.plans[name]
        track = head_track(trip)
        checked = 0
        for q in trip.trajectory:
            km = _km_at(track, q.time)
            if km is not None:
                assert km == pytest.approx(q.km, abs=0.01)
                checked += 1
        assert checked > 0 or len(trip.trajectory) <= 2


def test_stops_sit_where_their_legs_end(export_doc):
    """A stop placed by its km is at the vertex its leg ends on (within 50 m).

    Halts keep their recorded lon/lat (a site may lie off the road's vertex).
    """
    trip = export_doc.trip()
    ends = {leg.to_site: leg.coords[-1] for leg in trip.legs}
    found = 0
    for s in plan_stops(export_doc, OPTIMISED, head_track(trip)):
        if s.name in ends and s.kind != "halt":
            assert haversine_m(s.lon, s.lat, *ends[s.name]) < 50
            found += 1
    assert found > 0


def test_write_maps_writes_field_exports(maps_dir, export_doc):
    """write_maps() (so convoy plan and convoy export) writes the four files."""
    gpx = gpxpy.parse((maps_dir / "plan.gpx").read_text(encoding="utf-8"))
    assert gpx.tracks[0].name == OPTIMISED
    etree.parse(str(maps_dir / "plan.kml"))
    for name in ("march_table.xlsx", "loads.xlsx"):
        assert openpyxl.load_workbook(maps_dir / name).active.max_row > 2


def test_kml_schema_catches_misordered_elements(field_dir):
    """The schema check can fail: a description moved after its TimeStamp is refused."""
    xsd = Path(fastkml.__file__).parent / "schema" / "ogckml22.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    tree = etree.parse(str(field_dir / "plan.kml"))
    pm = tree.getroot().find("k:Document/k:Folder/k:Placemark[k:TimeStamp]", K)
    desc = pm.find("k:description", K)
    pm.remove(desc)
    pm.append(desc)
    assert not schema.validate(tree)

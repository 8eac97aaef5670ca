"""Inputs as planners bring them: XLSX, ODS, semicolon CSV, GeoPackage, OpenStreetMap.

Each format is a copy of the tiny scenario with one or more inputs converted by
the test; each must load to the same records as the original and plan end to end,
and each has a bad-input case with a message naming file, place, field.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from convoy.errors import ScenarioError
from convoy.io.osm import osm_surface, other_tags
from convoy.io.scenario import read_scenario
from convoy.io.tables import read_table
from convoy.plan import plan_withdrawal
from tests.conftest import TINY
from tests.osm_pbf import write_pbf


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "sc"
    shutil.copytree(TINY, d)
    return d


def _set_file(folder: Path, key: str, value: str) -> None:
    toml = folder / "scenario.toml"
    lines = toml.read_text().splitlines()
    out = [f'{key} = "{value}"' if ln.startswith(f"{key} =") else ln for ln in lines]
    toml.write_text("\n".join(out) + "\n")


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _typed(cell: str) -> object:
    """A CSV cell as a spreadsheet would hold it: number, boolean or text."""
    if cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    try:
        return float(cell) if "." in cell else int(cell)
    except ValueError:
        return cell


def _write_xlsx(src: Path, dst: Path, sheet: str, extra_sheet: bool) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_sheet:  # the table is not the first sheet
        ws.title = "Notes"
        ws.append(["exported from the logistics system"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    rows = _rows(src)
    ws.append(rows[0])
    for r in rows[1:]:
        ws.append([_typed(c) for c in r])
    wb.save(dst)


@pytest.fixture(scope="module")
def tiny():
    return read_scenario(TINY)


# --- XLSX -----------------------------------------------------------------------


@pytest.fixture()
def xlsx_dir(tmp_path: Path) -> Path:
    d = _copy(tmp_path)
    _write_xlsx(d / "fleet.csv", d / "fleet.xlsx", "Vehicles", extra_sheet=True)
    _write_xlsx(d / "manifest.csv", d / "manifest.xlsx", "Loads", extra_sheet=False)
    (d / "fleet.csv").unlink()
    (d / "manifest.csv").unlink()
    _set_file(d, "fleet", "fleet.xlsx|sheet=Vehicles")
    _set_file(d, "manifest", "manifest.xlsx")
    return d


def test_xlsx_fleet_and_manifest_plan(xlsx_dir: Path, tiny) -> None:
    sc = read_scenario(xlsx_dir)
    assert sc.vehicles == tiny.vehicles
    assert sc.lots == tiny.lots
    plan = plan_withdrawal(sc, runs=0)
    assert plan.scenario.files.layer("fleet") == "Vehicles"


def test_xlsx_missing_sheet_lists_sheets(xlsx_dir: Path) -> None:
    _set_file(xlsx_dir, "fleet", "fleet.xlsx|sheet=Trucks")
    with pytest.raises(ScenarioError) as err:
        read_scenario(xlsx_dir)
    text = str(err.value)
    assert "fleet.xlsx" in text and "'Trucks'" in text
    assert "['Notes', 'Vehicles']" in text


def test_xlsx_bad_cell_named_by_spreadsheet_row(xlsx_dir: Path) -> None:
    wb = openpyxl.load_workbook(xlsx_dir / "fleet.xlsx")
    ws = wb["Vehicles"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("reliability") + 1, value="high")
    ws.insert_rows(2)  # a blank row counts, as in the spreadsheet
    wb.save(xlsx_dir / "fleet.xlsx")
    with pytest.raises(ScenarioError) as err:
        read_scenario(xlsx_dir)
    (p,) = [p for p in err.value.problems if p.field == "reliability"]
    assert p.file.endswith("fleet.xlsx")
    assert p.where.startswith("row 4")
    assert p.found == "'high'"


def test_a_file_that_is_not_a_spreadsheet(xlsx_dir: Path) -> None:
    (xlsx_dir / "manifest.xlsx").write_bytes(b"id,category\nL01,x\n")
    with pytest.raises(ScenarioError) as err:
        read_scenario(xlsx_dir)
    (p,) = [p for p in err.value.problems if p.file.endswith("manifest.xlsx")]
    assert p.found == "a file that is not an XLSX spreadsheet"


def test_sheet_on_a_csv_is_an_error(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _set_file(d, "fleet", "fleet.csv|sheet=Vehicles")
    with pytest.raises(ScenarioError, match=r"only .* files have sheets"):
        read_scenario(d)


def test_bad_part_syntax(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _set_file(d, "roads", "roads.geojson|sheet=roads")
    with pytest.raises(ScenarioError, match=r"PATH\|layername=NAME"):
        read_scenario(d)


# --- ODS ------------------------------------------------------------------------


def _write_ods(src: Path, dst: Path, sheet: str) -> None:
    rows = _rows(src)
    df = pd.DataFrame(
        [[_typed(c) for c in r] for r in rows[1:]], columns=rows[0]
    ).astype(object)
    pyogrio.write_dataframe(df, dst, driver="ODS", layer=sheet)


@pytest.fixture()
def ods_dir(tmp_path: Path) -> Path:
    d = _copy(tmp_path)
    _write_ods(d / "fleet.csv", d / "fleet.ods", "Vehicles")
    _write_ods(d / "manifest.csv", d / "manifest.ods", "Loads")
    _set_file(d, "fleet", "fleet.ods")
    _set_file(d, "manifest", "manifest.ods|sheet=Loads")
    return d


def test_ods_fleet_and_manifest_plan(ods_dir: Path, tiny) -> None:
    sc = read_scenario(ods_dir)
    assert sc.vehicles == tiny.vehicles
    assert sc.lots == tiny.lots
    plan_withdrawal(sc, runs=0)


def test_ods_bad_cell_named_by_row(ods_dir: Path) -> None:
    rows = _rows(ods_dir / "manifest.csv")
    rows[2][rows[0].index("weight_kg")] = "heavy"
    bad = ods_dir / "manifest.csv"
    with open(bad, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    (ods_dir / "manifest.ods").unlink()
    _write_ods(bad, ods_dir / "manifest.ods", "Loads")
    with pytest.raises(ScenarioError) as err:
        read_scenario(ods_dir)
    (p,) = [p for p in err.value.problems if p.field == "weight_kg"]
    assert p.file.endswith("manifest.ods")
    assert p.where.startswith("row 3")
    assert p.found == "'heavy'"


def test_read_table_spreadsheet_rows_match_csv(ods_dir: Path) -> None:
    a = read_table(ods_dir / "fleet.ods", "fleet.ods", empty_expected="x")
    b = read_table(ods_dir / "fleet.csv", "fleet.csv", empty_expected="x")
    assert a.header == b.header
    assert a.row_numbers == b.row_numbers
    # numbers compare as numbers, other cells as written
    for ra, rb in zip(a.rows, b.rows, strict=True):
        for x, y in zip(ra, rb, strict=True):
            assert _typed(x) == _typed(y), (x, y)


# --- semicolon CSV with decimal commas ------------------------------------------


def _to_french(src: Path, dst: Path) -> None:
    rows = _rows(src)
    out = [rows[0]] + [
        [c.replace(".", ",") if _is_dec(c) else c for c in r] for r in rows[1:]
    ]
    with open(dst, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, delimiter=";").writerows(out)


def _is_dec(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "." in cell


def test_semicolon_decimal_comma_plans(tmp_path: Path, tiny) -> None:
    d = _copy(tmp_path)
    _to_french(TINY / "fleet.csv", d / "fleet.csv")
    _to_french(TINY / "manifest.csv", d / "manifest.csv")
    assert "9,5" in (d / "fleet.csv").read_text(encoding="utf-8-sig")
    sc = read_scenario(d)
    assert sc.vehicles == tiny.vehicles
    assert sc.lots == tiny.lots
    plan_withdrawal(sc, runs=0)


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_other_delimiters(tmp_path: Path, tiny, delimiter: str) -> None:
    d = _copy(tmp_path)
    rows = _rows(TINY / "fleet.csv")
    with open(d / "fleet.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    assert read_scenario(d).vehicles == tiny.vehicles


def test_ambiguous_decimal_comma_is_an_error(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _to_french(TINY / "fleet.csv", d / "fleet.csv")
    text = (d / "fleet.csv").read_text(encoding="utf-8-sig")
    (d / "fleet.csv").write_text(
        text.replace(";9,5;", ";1.009,5;", 1), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        read_scenario(d)
    (p,) = [p for p in err.value.problems if p.field == "length_m"]
    assert p.where.startswith("row 3") and p.found == "'1.009,5'"


def test_comma_csv_never_reads_a_decimal_comma(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    rows = _rows(TINY / "fleet.csv")
    rows[1][rows[0].index("length_m")] = "7,5"
    with open(d / "fleet.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    with pytest.raises(ScenarioError) as err:
        read_scenario(d)
    (p,) = [p for p in err.value.problems if p.field == "length_m"]
    assert p.found == "'7,5'"


# --- GeoPackage with several layers ---------------------------------------------


@pytest.fixture()
def gpkg_dir(tmp_path: Path) -> Path:
    d = _copy(tmp_path)
    gpkg = d / "geodata.gpkg"
    gpd.read_file(d / "sites.geojson").to_file(gpkg, layer="camps", driver="GPKG")
    gpd.read_file(d / "roads.geojson").to_file(gpkg, layer="roads", driver="GPKG")
    (d / "roads.geojson").unlink()
    (d / "sites.geojson").unlink()
    _set_file(d, "roads", "geodata.gpkg|layername=roads")
    _set_file(d, "sites", "geodata.gpkg|layername=camps")
    return d


def test_geopackage_layers_plan(gpkg_dir: Path, tiny) -> None:
    sc = read_scenario(gpkg_dir)
    assert sc.sites == tiny.sites
    assert sc.roads.surface_km() == pytest.approx(tiny.roads.surface_km())
    plan_withdrawal(sc, runs=0)


def test_geopackage_missing_layer_lists_layers(gpkg_dir: Path) -> None:
    _set_file(gpkg_dir, "roads", "geodata.gpkg|layername=routes")
    with pytest.raises(ScenarioError) as err:
        read_scenario(gpkg_dir)
    text = str(err.value)
    assert "geodata.gpkg" in text and "'routes'" in text
    assert "'camps'" in text and "'roads'" in text


def test_events_layer_of_a_geopackage(gpkg_dir: Path, tiny) -> None:
    df = pd.read_csv(gpkg_dir / "events.csv")
    points = gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df.longitude, df.latitude), crs="EPSG:4326"
    )
    points.to_file(gpkg_dir / "geodata.gpkg", layer="acled", driver="GPKG")
    _set_file(gpkg_dir, "events", "geodata.gpkg|layername=acled")
    _set_file(gpkg_dir, "events_format", "layer")
    sc = read_scenario(gpkg_dir)
    assert len(sc.events.xy) == len(tiny.events.xy)
    assert sc.events.xy == pytest.approx(tiny.events.xy)


def test_events_layername_needs_the_layer_format(gpkg_dir: Path) -> None:
    _set_file(gpkg_dir, "events", "events.csv|layername=acled")
    with pytest.raises(ScenarioError) as err:
        read_scenario(gpkg_dir)
    (p,) = err.value.problems
    assert p.file.endswith("scenario.toml") and p.field == "events"
    assert "events_format" in p.expected


# --- OpenStreetMap --------------------------------------------------------------

#: How each surface of the tiny roads is tagged in the OSM copy, so that each of
#: the three rules (surface, tracktype, class) decides one road at least.
_OSM_TAGS = {
    "paved": {"highway": "primary", "surface": "asphalt"},
    "laterite": {"highway": "tertiary"},
    "track": {"highway": "track", "tracktype": "grade4"},
    "sand": {"highway": "unclassified", "surface": "sand"},
}


def _osm_ways(roads: Path) -> tuple[dict[tuple[float, float], int], list]:
    """Nodes (shared where coordinates are) and tagged ways of a line layer."""
    nodes: dict[tuple[float, float], int] = {}
    ways = []
    for f in json.loads(roads.read_text())["features"]:
        p = f["properties"]
        refs = [
            nodes.setdefault((x, y), len(nodes) + 1)
            for x, y in f["geometry"]["coordinates"]
        ]
        tags = dict(_OSM_TAGS[p["surface"]])
        if p.get("name"):
            tags["name"] = p["name"]
        if p.get("maxspeed"):
            tags["maxspeed"] = str(p["maxspeed"])
        ways.append((refs, tags))
    # a footpath between two roads: not a road for a convoy
    ways.append(([1, len(nodes)], {"highway": "footway"}))
    return nodes, ways


def _write_osm_xml(nodes, ways, dst: Path) -> None:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for (x, y), i in nodes.items():
        out.append(f' <node id="{i}" lat="{y}" lon="{x}" version="1"/>')
    for w, (refs, tags) in enumerate(ways, start=100):
        out.append(f' <way id="{w}" version="1">')
        out += [f'  <nd ref="{r}"/>' for r in refs]
        out += [f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        out.append(" </way>")
    out.append("</osm>")
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.mark.parametrize("kind", ["osm", "osm.pbf"])
def test_osm_roads_plan(tmp_path: Path, tiny, kind: str) -> None:
    d = _copy(tmp_path)
    nodes, ways = _osm_ways(d / "roads.geojson")
    dst = d / f"roads.{kind}"
    if kind == "osm":
        _write_osm_xml(nodes, ways, dst)
    else:
        write_pbf(nodes, ways, dst)
    (d / "roads.geojson").unlink()
    _set_file(d, "roads", f"roads.{kind}")
    sc = read_scenario(d)
    # the same roads with the same surfaces: the footway is dropped
    assert sc.roads.surface_km() == pytest.approx(tiny.roads.surface_km())
    # the same speed caps and names per kilometre of road
    for net in (sc.roads, tiny.roads):
        assert sorted(set(net.edge_name)) == sorted(set(tiny.roads.edge_name))
    capped = [
        round(float(n.edge_length_m[np.isfinite(n.edge_maxspeed_kph)].sum()))
        for n in (sc.roads, tiny.roads)
    ]
    assert capped[0] == capped[1] > 0
    assert set(sc.roads.edge_maxspeed_kph[np.isfinite(sc.roads.edge_maxspeed_kph)]) == {
        60.0
    }
    plan_withdrawal(sc, runs=0)


def test_osm_without_roads_is_an_error(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _write_osm_xml(
        {(1.0, 18.0): 1, (1.1, 17.8): 2},
        [([1, 2], {"highway": "footway"})],
        d / "roads.osm",
    )
    _set_file(d, "roads", "roads.osm")
    with pytest.raises(ScenarioError) as err:
        read_scenario(d)
    text = str(err.value)
    assert "roads.osm" in text and "highway" in text and "none of them a road" in text


def test_osm_tag_table() -> None:
    assert osm_surface("primary", "", "") == "paved"
    assert osm_surface("primary", "unpaved", "") == "laterite"
    assert osm_surface("track", "", "grade1") == "laterite"
    assert osm_surface("track", "", "grade5") == "track"
    assert osm_surface("track", "sand", "grade1") == "sand"
    assert osm_surface("secondary", "unknown_value", "") == "laterite"
    assert other_tags('"a"=>"x","b"=>"y \\"q\\""') == {"a": "x", "b": 'y "q"'}
    assert other_tags(None) == {}


def test_risk_table_same_whatever_the_thread_count(tiny_scenario):
    """The column sizes' searches run side by side: the table does not depend on it."""
    import numba

    from convoy.plan.inputs import scenario_edge_risk, scenario_risk_field
    from convoy.plan.inputs import scenario_risk_table as table

    er = scenario_edge_risk(tiny_scenario, scenario_risk_field(tiny_scenario))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = table(tiny_scenario, er)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = table(tiny_scenario, er)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.num_vehicles, two.num_vehicles)
    np.testing.assert_array_equal(one.delay_min, two.delay_min)
    np.testing.assert_array_equal(one.incidents, two.incidents)


def test_risk_table_refused_before_any_search(tiny_scenario, monkeypatch):
    """
    A risk table one of whose column sizes is over the state limit is refused
    before any size's search runs, the smaller sizes' included; the message
    names the size and the numbers.
    """
    from convoy.loadout import risk_table
    from convoy.plan.inputs import scenario_edge_risk, scenario_risk_field
    from convoy.plan.inputs import scenario_risk_table as table
    from convoy.schedule import search

    er = scenario_edge_risk(tiny_scenario, scenario_risk_field(tiny_scenario))
    counted = risk_table.search_size
    lengths: list[float] = []

    def recorded(model, *args, **kwargs):
        lengths.append(model.column_day_km)
        return counted(model, *args, **kwargs)

    monkeypatch.setattr(risk_table, "search_size", recorded)
    sizes = table(tiny_scenario, er).num_vehicles
    assert len(lengths) == len(sizes) > 1

    def largest_over(model, *args, **kwargs):
        size = counted(model, *args, **kwargs)
        if model.column_day_km == max(lengths):
            return replace(size, states=search.MAX_STATES + 1)
        return size

    def no_search(*args, **kwargs):
        msg = "a search ran before the size check"
        raise AssertionError(msg)

    monkeypatch.setattr(risk_table, "search_size", largest_over)
    monkeypatch.setattr(search, "_full_search", no_search)
    with pytest.raises(ScenarioError, match="step_min") as err:
        table(tiny_scenario, er)
    msg = str(err.value)
    assert f"column of {int(sizes.max())} vehicles" in msg
    assert f"{search.MAX_STATES + 1:,} states" in msg
    assert "no search was run" in msg
    # with the real counts: every size over a tiny limit, none searched
    monkeypatch.setattr(risk_table, "search_size", counted)
    monkeypatch.setattr(search, "MAX_STATES", 10)
    with pytest.raises(ScenarioError, match="no search was run"):
        table(tiny_scenario, er)


def test_fast_baseline_sizes_are_the_counts_checked(tiny_scenario, monkeypatch):
    """``fast_baseline_sizes`` counts what the fast baselines' checks see."""
    from convoy.baselines import fast_baseline_sizes, fast_baselines
    from convoy.plan.inputs import (
        _end_nodes,
        contracted_model,
        origin_vehicles,
        scenario_edge_risk,
        scenario_exposure_model,
        scenario_risk_field,
    )
    from convoy.schedule import search

    scn = tiny_scenario
    er = scenario_edge_risk(scn, scenario_risk_field(scn))
    ids = [v.id for v in origin_vehicles(scn)]
    model = contracted_model(
        scn, scenario_exposure_model(scn, er, vehicle_ids=ids)
    ).model
    origin, dest = _end_nodes(scn)
    request = {
        "horizon_min": scn.horizon_min,
        "movement": scn.movement,
        "depart_min": 95.0,
    }
    sizes = fast_baseline_sizes(model, origin, dest, **request)
    seen: list[int] = []
    check = search._check_size

    def counted(model, tab, lay, step, limit):
        seen.append(lay.num_states)
        check(model, tab, lay, step, limit)

    monkeypatch.setattr(search, "_check_size", counted)
    fast_baselines(
        model, origin, dest, vehicle_ids=tuple(ids), values=(1.0, 0.0), **request
    )
    assert [what for what, _ in sizes] == [
        "for the depart_at_once baseline",
        "for the daylight_only baseline",
    ]
    assert [size.states for _, size in sizes] == seen
    assert all(size.states > 0 for _, size in sizes)

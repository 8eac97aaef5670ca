"""Reading threat events: ACLED (both schemas), UCDP GED, point layers, bad files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io.events import guess_events_format, read_events

DATA = Path(__file__).parent / "data" / "events"
START = datetime(2023, 10, 31, 6, 0, tzinfo=UTC)
CRS = "EPSG:32631"


def _read(name: str, fmt: str, **kw: object) -> ThreatEvents:
    return read_events(DATA / name, fmt, start=START, crs=CRS, **kw)  # type: ignore[arg-type]


def test_acled_current_schema():
    """The current ACLED schema is read with types, sub-types, ages and precision."""
    ev = _read("acled_current.csv", "acled")
    assert len(ev) == 4
    assert ev.num_after_start == 1
    assert ev.num_imprecise == 0
    assert ev.fmt == "acled"
    assert list(ev.event_type[:2]) == ["Explosions/Remote violence", "Battles"]
    assert list(ev.sub_event_type[:2]) == [
        "Remote explosive/landmine/IED",
        "Armed clash",
    ]
    np.testing.assert_allclose(ev.age_days, [29.25, 46.25, 365.25, 72.25])
    np.testing.assert_array_equal(ev.fatalities, [0, 12, 3, 0])
    np.testing.assert_array_equal(ev.geo_precision, [1, 2, 1, 3])
    assert ev.date[0] == np.datetime64("2023-10-02")
    assert ev.type_keys()[1] == "Battles|Armed clash"


def test_acled_projection_matches_pyproj():
    """xy is the lon/lat projected to the requested CRS, in metres."""
    ev = _read("acled_current.csv", "acled")
    t = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = t.transform(ev.lonlat[:, 0], ev.lonlat[:, 1])
    np.testing.assert_allclose(ev.xy, np.column_stack([x, y]))
    np.testing.assert_allclose(ev.lonlat[0], [0.604, 18.05])
    assert ev.xy.flags["C_CONTIGUOUS"] and ev.xy.dtype == np.float64


def test_acled_old_schema():
    """The older schema (capital headers, 'Remote violence', long dates) is read."""
    ev = _read("acled_old_schema.csv", "acled")
    assert len(ev) == 3
    assert list(ev.event_type) == [
        "Remote violence",
        "Violence against civilians",
        "Remote violence",
    ]
    assert list(ev.sub_event_type) == ["", "", ""]
    assert list(ev.type_keys()) == list(ev.event_type)
    assert ev.date[0] == np.datetime64("2019-02-22")
    assert ev.date[2] == np.datetime64("2018-09-14")


def test_ucdp_ged():
    """UCDP GED rows map to ucdp:N types, best fatalities and where_prec precision."""
    ev = _read("ucdp_ged.csv", "ucdp")
    assert list(ev.event_type) == ["ucdp:1", "ucdp:2"]
    np.testing.assert_array_equal(ev.fatalities, [5, 1])
    np.testing.assert_array_equal(ev.geo_precision, [1, 2])
    assert ev.num_imprecise == 1  # where_prec 4 is above the default limit of 3
    ev7 = _read("ucdp_ged.csv", "ucdp", max_geo_precision=7)
    assert len(ev7) == 3 and ev7.num_imprecise == 0


def test_precision_filter_counts_dropped():
    """Events less precise than the limit are dropped and counted."""
    ev = _read("acled_current.csv", "acled", max_geo_precision=1)
    assert len(ev) == 2
    assert ev.num_imprecise == 2
    assert ev.num_after_start == 1


def test_point_layer():
    """A GeoJSON point layer is read with named date and type attributes."""
    ev = _read("layer.geojson", "layer", date_field="day", type_field="kind")
    assert len(ev) == 2
    assert ev.num_after_start == 1
    assert list(ev.event_type) == ["IED", "Battles"]
    np.testing.assert_array_equal(ev.fatalities, [1, 0])
    np.testing.assert_allclose(ev.lonlat[1], [0.317, 17.833])


def test_point_layer_missing_attribute():
    """A layer without the named date attribute is refused, naming the attribute."""
    with pytest.raises(ScenarioError, match="'when'"):
        _read("layer.geojson", "layer", date_field="when", type_field="kind")


def test_events_after_start_counted():
    """An event on the start day is kept, one after it is dropped and counted."""
    ev = read_events(
        DATA / "acled_current.csv", "acled", start="2023-10-02T00:00:00Z", crs=CRS
    )
    # 2023-10-02 (same day, age 0) kept; 2023-11-05 dropped.
    assert ev.num_after_start == 1
    assert ev.age_days.min() == 0.0


def test_every_event_after_the_start_refused():
    """All events after the start: an error counting them and giving their dates."""
    with pytest.raises(ScenarioError) as info:
        read_events(
            DATA / "acled_current.csv", "acled", start=date(2022, 1, 1), crs=CRS
        )
    p = _problem(info.value)
    assert p.file.endswith("acled_current.csv") and p.field == "event_date"
    assert "all 5 events after it" in p.found
    assert "dated 2022-10-31 to 2023-11-05" in p.found
    assert "2022-01-01T00:00Z" in p.expected


def test_repeated_event_column_refused(tmp_path):
    """A column named twice is an error naming it (not the second one used)."""
    lines = (DATA / "acled_current.csv").read_text().splitlines()
    lines[0] = lines[0].replace("fatalities", "geo_precision")
    p = tmp_path / "events.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as info:
        read_events(p, "acled", start="2023-12-01T00:00:00Z", crs=CRS)
    first = _problem(info.value)
    assert (first.where, first.field, first.found) == (
        "row 1",
        "geo_precision",
        "a repeated column",
    )


def _problem(exc: ScenarioError) -> Problem:
    first = exc.problems[0]
    assert isinstance(first, Problem)
    return first


@pytest.mark.parametrize(
    ("name", "fmt", "where", "field", "found"),
    [
        ("AcledMissingColumn.csv", "acled", "header", "latitude", "columns"),
        ("AcledBadDate.csv", "acled", "row 3", "event_date", "'31 Octobre 2023'"),
        ("AcledSwappedCoords.csv", "acled", "row 2", "latitude/longitude", "swapped"),
        ("AcledNonFiniteCoords.csv", "acled", "row 2", "latitude", "'NaN'"),
        ("AcledOutOfRangeCoords.csv", "acled", "row 2", "latitude", "'98.05'"),
        ("AcledNegativeFatalities.csv", "acled", "row 2", "fatalities", "'-2'"),
        ("UcdpBadViolenceType.csv", "ucdp", "row 2", "type_of_violence", "'4'"),
        ("Empty.csv", "acled", "", "", "empty file"),
        ("acled_current.csv", "ucdp", "header", "date_start", "columns"),
    ],
)
def test_malformed_files_name_file_row_field(name, fmt, where, field, found):
    """Each defective file is refused with a problem naming file, row and field."""
    with pytest.raises(ScenarioError) as info:
        _read(name, fmt)
    p = _problem(info.value)
    assert p.file.endswith(name)
    assert p.where == where
    assert p.field == field
    assert found in p.found
    assert name in str(info.value)


def test_all_problems_listed():
    """Every bad row is listed, not only the first."""
    with pytest.raises(ScenarioError) as info:
        _read("AcledNonFiniteCoords.csv", "acled")
    fields = [(p.where, p.field) for p in info.value.problems if isinstance(p, Problem)]
    assert fields == [("row 2", "latitude"), ("row 3", "longitude")]


def test_missing_file_and_unknown_format():
    """A missing file and an unknown format are refused; the format lists choices."""
    with pytest.raises(ScenarioError, match="no such file"):
        _read("nothere.csv", "acled")
    with pytest.raises(ScenarioError, match=r"\['acled', 'ucdp', 'layer'\]"):
        _read("acled_current.csv", "acled2")


def test_layer_without_crs_is_geodata_error(tmp_path):
    """A point layer without a CRS is a GeodataError."""
    p = tmp_path / "nocrs.geojson"
    p.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"event_date": "2023-01-01", "event_type": "IED"}, '
        '"geometry": {"type": "Point", "coordinates": [250000, 2000000]}}]}'
    )
    # GeoJSON is always WGS 84 to GDAL, so write a CRS-less GeoPackage instead.
    import warnings

    import geopandas as gpd

    gdf = gpd.read_file(p).set_crs(None, allow_override=True)
    out = tmp_path / "nocrs.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio warns about the CRS
        gdf.to_file(out)
    with pytest.raises(GeodataError, match="CRS"):
        read_events(out, "layer", start=START, crs=CRS)


def test_unknown_crs_is_geodata_error():
    """A CRS pyproj does not know is a GeodataError naming it."""
    with pytest.raises(GeodataError, match="crs"):
        read_events(DATA / "acled_current.csv", "acled", start=START, crs="EPSG:0")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("acled_current.csv", "acled"),
        ("acled_old_schema.csv", "acled"),
        ("ucdp_ged.csv", "ucdp"),
        ("layer.geojson", "layer"),
    ],
)
def test_guess_events_format(name, fmt):
    """The format is guessed from the columns (or the file type for layers)."""
    assert guess_events_format(DATA / name) == fmt


def test_read_is_deterministic():
    """Reading the same file twice gives identical arrays."""
    a = _read("acled_current.csv", "acled")
    b = _read("acled_current.csv", "acled")
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.type_keys(), b.type_keys())


def test_row_numbers_survive_blank_lines_and_multiline_notes(tmp_path):
    """Rows are numbered as a spreadsheet shows them, past blank lines and newlines."""
    p = tmp_path / "notes.csv"
    p.write_text(
        "event_date,event_type,sub_event_type,latitude,longitude,fatalities,"
        "geo_precision,notes\n"
        '2023-10-02,Battles,Armed clash,18.05,0.604,0,1,"two\nlines"\n'
        "\n"
        "2023-10-03,Battles,Armed clash,18.05,0.604,-1,1,bad\n"
    )
    with pytest.raises(ScenarioError) as info:
        read_events(p, "acled", start=START, crs=CRS)
    assert _problem(info.value).where == "row 4"


def test_semicolon_delimited_csv(tmp_path):
    """A CSV saved with semicolons (as some spreadsheets do) is read too."""
    text = (DATA / "acled_old_schema.csv").read_text()
    p = tmp_path / "semi.csv"
    p.write_text(text.replace(",", ";"))
    ev = read_events(p, "acled", start=START, crs=CRS)
    assert len(ev) == 3


def test_latin1_events_file_is_a_clear_error(tmp_path):
    """An events file that is not UTF-8 is refused, naming the file and the row."""
    text = (DATA / "acled_current.csv").read_text()
    lines = text.splitlines()
    lines[2] = lines[2].replace("Armed clash", "Attaque arm\u00e9e", 1)
    assert "\u00e9" in lines[2], "the test needs a non-ASCII character on row 3"
    p = tmp_path / "latin1.csv"
    p.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        read_events(p, "acled", start=START, crs=CRS)
    p0 = _problem(info.value)
    assert (p0.file, p0.where) == (str(p), "row 3")
    assert "UTF-8" in p0.expected and "undecodable" in p0.found


def test_utf8_with_bom_is_read(tmp_path):
    """A UTF-8 file with a byte-order mark reads as without it."""
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (DATA / "acled_current.csv").read_bytes())
    assert len(read_events(p, "acled", start=START, crs=CRS)) == 4


def test_acled_without_precision_column_reads_precision_one(tmp_path):
    """A file lacking geo_precision is read as precise: the rule's bandwidth only."""
    import csv

    from convoy.params import RiskParams
    from convoy.risk.field import risk_field_from_events

    with (DATA / "acled_current.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = [c for c in rows[0] if c != "geo_precision"]
    p = tmp_path / "events.csv"
    with p.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    ev = read_events(p, "acled", start=START, crs=CRS)
    np.testing.assert_array_equal(ev.geo_precision, np.ones(len(ev), dtype=np.int64))
    with_col = _read("acled_current.csv", "acled")
    field = risk_field_from_events(ev, RiskParams())
    coarse = risk_field_from_events(with_col, RiskParams())
    chans = [(field.ied, coarse.ied), (field.ambush, coarse.ambush)]
    for plain, wide in chans:
        assert (plain.bandwidth_m <= wide.bandwidth_m + 1e-9).all()
    assert any((wide.bandwidth_m > plain.bandwidth_m).any() for plain, wide in chans)

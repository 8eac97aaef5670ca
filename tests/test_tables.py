"""The CSV rules every table shares: encoding, delimiter, header, row numbers."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pyogrio
import pytest

from convoy.errors import ScenarioError
from convoy.io.tables import (
    MAX_LINE_BYTES,
    csv_rows,
    delimiter_of,
    number_text,
    read_csv_table,
    read_table,
)


def _read(path):
    return read_csv_table(path, path.name, empty_expected="a table")


def test_rows_numbered_as_a_spreadsheet(tmp_path):
    """Header row 1; blank rows counted and skipped; a quoted newline is one row."""
    p = tmp_path / "t.csv"
    p.write_text(' ID ,Note\na,"two\nlines"\n\nb,plain\n')
    t = _read(p)
    assert t.header == ["id", "note"]
    assert t.row_numbers == [2, 4]
    assert t.rows[0] == ["a", "two\nlines"]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiters(tmp_path, sep):
    """A table without commas in its header is split on ; tab or |."""
    p = tmp_path / "t.csv"
    p.write_text(f"id{sep}seats\nAPC-1{sep}8\n")
    assert _read(p).rows == [["APC-1", "8"]]
    assert delimiter_of(f"id{sep}seats") == sep


def test_bom_is_dropped(tmp_path):
    """UTF-8 with a byte-order mark reads as without."""
    p = tmp_path / "t.csv"
    p.write_bytes(b"\xef\xbb\xbfid,seats\nA,1\n")
    assert _read(p).header == ["id", "seats"]


def test_not_utf8_names_file_and_row(tmp_path):
    """Latin-1 bytes are an error naming the row; nothing is guessed."""
    p = tmp_path / "t.csv"
    p.write_bytes("id,name\n1,Gao\n2,Tessalit \u00e9\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as err:
        _read(p)
    (problem,) = err.value.problems
    assert str(problem).startswith("t.csv: row 3: expected UTF-8 text")


def test_missing_and_empty(tmp_path):
    """A missing or empty file is refused with what was expected."""
    with pytest.raises(ScenarioError, match="no such file"):
        _read(tmp_path / "none.csv")
    p = tmp_path / "empty.csv"
    p.write_text("\n")
    with pytest.raises(ScenarioError, match="expected a table, found an empty file"):
        _read(p)


def _sparse(path, size):
    """A file of ``size`` bytes that takes no disk: a header, then a hole."""
    with open(path, "wb") as f:
        f.write(b"event_date,event_type,latitude,longitude\n")
        f.truncate(size)


def test_file_over_the_default_limit_refused_before_reading(tmp_path):
    """A sparse file past 512 MiB is refused by size, naming file, size and limit."""
    p = tmp_path / "events.csv"
    _sparse(p, (512 << 20) + 1)
    with pytest.raises(ScenarioError) as info:
        _read(p)
    msg = str(info.value)
    assert msg.startswith("events.csv: expected a file of at most 512 MiB")
    assert "CONVOY_MAX_INPUT_MB=<MiB>" in msg and "found 512.0 MiB" in msg


def test_limit_from_the_environment(tmp_path, monkeypatch):
    """CONVOY_MAX_INPUT_MB lowers or raises the limit; a bad value is named."""
    p = tmp_path / "t.csv"
    p.write_text("id,seats\n" + "APC-1,8\n" * 200_000)  # 1.5 MiB
    monkeypatch.setenv("CONVOY_MAX_INPUT_MB", "1")
    with pytest.raises(ScenarioError, match=r"at most 1 MiB .*found 1\.5 MiB"):
        _read(p)
    monkeypatch.setenv("CONVOY_MAX_INPUT_MB", "2")
    assert len(_read(p).rows) == 200_000
    monkeypatch.setenv("CONVOY_MAX_INPUT_MB", "lots")
    with pytest.raises(ScenarioError, match="CONVOY_MAX_INPUT_MB: expected a number"):
        _read(p)


def test_rows_are_streamed(tmp_path):
    """csv_rows parses rows as it reads: the first row comes before the file ends."""
    p = tmp_path / "t.csv"
    p.write_text("id,seats\nAPC-1,8\nTRK-1,2\n")
    with csv_rows(p, "t.csv", empty_expected="a table") as (header, rows):
        assert header == ["id", "seats"]
        assert next(rows) == (2, ["APC-1", "8"])
        with open(p, "a") as f:  # written after the first row was read
            f.write("BUS-1,40\n")
        assert [n for n, _ in rows] == [3, 4]


def test_over_long_cell_is_an_error_naming_the_row(tmp_path):
    """A cell past csv's field limit (a quote left open) names its row."""
    p = tmp_path / "t.csv"
    p.write_text('id,note\na,ok\nb,"never closed\n' + "x" * 200_000 + "\n")
    with pytest.raises(ScenarioError) as info:
        _read(p)
    msg = str(info.value)
    assert msg.startswith("t.csv: row 3: expected cells of at most 131072 characters")
    assert "found a longer cell" in msg


def test_endless_line_is_an_error(tmp_path):
    """A line longer than MAX_LINE_BYTES is refused, not read whole."""
    p = tmp_path / "t.csv"
    with open(p, "wb") as f:
        f.write(b"id,note\n")
        f.write(b"y" * (MAX_LINE_BYTES + 10))
    with pytest.raises(
        ScenarioError, match=r"t\.csv: row 2: expected lines of at most"
    ):
        _read(p)


@pytest.mark.parametrize(
    ("cell", "comma", "expected"),
    [
        ("12,5", True, "12.5"),
        ("-0,75", True, "-0.75"),
        (",5", True, ".5"),
        ("12,5", False, "12,5"),
        ("1.234,5", True, "1.234,5"),
        ("1,234,5", True, "1,234,5"),
        ("12.5", True, "12.5"),
        ("abc,5", True, "abc,5"),
    ],
)
def test_number_text(cell, comma, expected):
    """Only one comma among digits, in a table that allows it, becomes a point."""
    assert number_text(cell, comma) == expected


@pytest.mark.parametrize(("sep", "comma"), [(",", False), (";", True), ("\t", True)])
def test_decimal_comma_follows_the_delimiter(tmp_path, sep, comma):
    p = tmp_path / "t.csv"
    p.write_text(f"\n\nid{sep}length_m\nA{sep}7\n")
    assert _read(p).decimal_comma is comma


@pytest.mark.parametrize("driver", ["XLSX", "ODS"])
def test_sheet_rows_numbered_as_a_spreadsheet(tmp_path, driver):
    """Blank rows of a sheet count; numbers read as a CSV writes them."""
    df = pd.DataFrame({"ID": ["a", None, "b"], "n": [1.5, float("nan"), 2.0]})
    p = tmp_path / f"t.{driver.lower()}"
    pyogrio.write_dataframe(df, p, driver=driver, layer="Data")
    t = read_table(p, p.name, empty_expected="a table")
    assert t.header == ["id", "n"]
    assert t.row_numbers == [2, 4]
    assert t.rows == [["a", "1.5"], ["b", "2"]]
    assert read_table(p, p.name, sheet="Data", empty_expected="x") == t
    with pytest.raises(ScenarioError, match=r"\['Data'\]"):
        read_table(p, p.name, sheet="Other", empty_expected="x")


def test_missing_spreadsheet(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        read_table(tmp_path / "f.xlsx", "f.xlsx", empty_expected="x")


def test_sheet_header_below_blank_rows(tmp_path):
    """As in a CSV, leading blank rows are skipped and counted."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ([], [], ["ID", "n"], ["a", 1], [], ["b", "x"]):
        ws.append(row)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    t = read_table(p, p.name, empty_expected="x")
    assert t.header == ["id", "n"]
    assert t.row_numbers == [4, 6]
    assert t.rows == [["a", "1"], ["b", "x"]]


def test_empty_sheet(tmp_path):
    p = tmp_path / "t.xlsx"
    openpyxl.Workbook().save(p)
    with pytest.raises(ScenarioError, match="an empty sheet"):
        read_table(p, p.name, empty_expected="x")

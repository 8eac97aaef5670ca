"""The CSV rules every table shares: encoding, delimiter, header, row numbers."""

from __future__ import annotations

import pytest

from convoy.errors import ScenarioError
from convoy.io.tables import delimiter_of, read_csv_table


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

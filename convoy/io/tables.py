"""The one table reader: CSV, XLSX and ODS under one header and row-number rule.

:func:`read_table` reads a CSV (rules below) or the first or a named sheet of a
spreadsheet (:func:`read_sheet`, through GDAL's XLSX and ODS drivers).

- Encoding: UTF-8, with or without a byte-order mark. Any other bytes are an error
  naming the file and the row where they are (save the file as UTF-8); there is no
  silent fallback to another encoding.
- Delimiter: ``,`` unless the header line has none, then the first of ``;``, tab
  and ``|`` it contains (spreadsheets in many locales write ``;``).
- Header: the first row; names are stripped and lower-cased, since old exports
  wrote them in capitals.
- Size: a file larger than :func:`convoy.io.files.max_input_bytes` is refused
  before it is read; rows are parsed as they are read (:func:`csv_rows`), and a
  line longer than :data:`MAX_LINE_BYTES` or a cell longer than csv's field limit
  is an error naming its row.
- Rows are numbered as a spreadsheet shows them: the header is row 1, the first
  data row 2; blank lines count but are skipped; a quoted cell spanning lines
  stays one row.
- Decimal comma: a file delimited by ``;``, tab or ``|`` may write ``12,5`` for
  12.5 (spreadsheets in French, German... locales do); :attr:`CsvTable.decimal_comma`
  tells the reader of the cells, and :func:`number_text` turns such a cell into
  ``12.5``. In a ``,``-delimited file a comma is never a decimal mark.
- Spreadsheets: the first non-blank row of the sheet is the header; numbers are
  written as text the way Python writes them (``12.5``, a whole number ``12``),
  true/false as ``true``/``false``; blank rows count and are skipped as in a CSV.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyogrio

from convoy.errors import Problem, ScenarioError
from convoy.io.files import check_size

#: Delimiters tried, in order, when the header has no comma.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class CsvTable:
    """
    A CSV read as text.

    Parameters
    ----------
    header
        Column names, stripped and lower-cased.
    rows
        The non-blank rows, cells as written (not stripped).
    row_numbers
        Each row's number as a spreadsheet shows it (the header is row 1).
    decimal_comma
        Whether a number's cell may write its decimal mark as a comma (a CSV
        delimited by ``;``, tab or ``|``; see :func:`number_text`).
    """

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    decimal_comma: bool = False


#: Longest physical line read, in bytes: a file of one endless line (or with
#: old-Mac ``\r`` line ends only) is refused instead of read whole into memory.
MAX_LINE_BYTES = 8 << 20


def _lines(f: BinaryIO, file: str) -> Iterator[str]:
    """The file's lines as text, one at a time (a BOM is dropped)."""
    n = 0
    while raw := f.readline(MAX_LINE_BYTES + 1):
        n += 1
        if len(raw) > MAX_LINE_BYTES:
            raise ScenarioError(
                Problem(
                    file,
                    f"row {n}",
                    "",
                    f"lines of at most {MAX_LINE_BYTES >> 20} MiB",
                    "a longer line",
                )
            )
        if n == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 4]
            raise ScenarioError(
                Problem(
                    file,
                    f"row {n}",
                    "",
                    "UTF-8 text (save the file as UTF-8)",
                    f"undecodable bytes {bad!r}",
                )
            ) from None


def delimiter_of(first_line: str) -> str:
    """
    The delimiter a header line uses (see the module notes).

    Examples
    --------
    >>> delimiter_of("id;type;seats")
    ';'
    """
    if "," in first_line:
        return ","
    for alt in DELIMITERS[1:]:
        if alt in first_line:
            return alt
    return ","


def _records(
    reader: Iterator[list[str]], file: str, first_row: int
) -> Iterator[list[str]]:
    """The reader's records; a csv error (an over-long cell) names its row."""
    n = first_row
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            long_cell = "field larger than field limit" in str(exc)
            raise ScenarioError(
                Problem(
                    file,
                    f"row {n}",
                    "",
                    f"cells of at most {limit} characters (a quote left open makes "
                    "the rest of the file one cell)"
                    if long_cell
                    else "a well-formed CSV row",
                    "a longer cell" if long_cell else str(exc)[:80],
                )
            ) from None
        n += 1
        yield record


@contextmanager
def csv_rows(
    path: Path, file: str, *, empty_expected: str
) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """
    Stream a CSV file under the rules of the module notes.

    Checks the file's size (:func:`~convoy.io.files.check_size`) before reading.
    Inside the ``with`` block, yields the header and an iterator over the
    non-blank rows as ``(row number, cells)``, parsed as they are read: the file
    is never held whole in memory.

    Raises
    ------
    ScenarioError
        A missing, unreadable, too large, non-UTF-8 or empty file, a line or cell
        too long (while iterating too).

    Examples
    --------
    >>> with csv_rows(Path("events.csv"), "events.csv", empty_expected="events") as (
    ...     header, rows):  # doctest: +SKIP
    ...     n = sum(1 for _ in rows)
    """
    if not path.is_file():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    check_size(path, file)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise ScenarioError(
            Problem(file, "", "", "a readable file", exc.strerror or str(exc))
        ) from None
    with f:
        lines = _lines(f, file)
        first = ""
        skipped = 0
        for line in lines:  # leading blank lines are no header
            if line.strip():
                first = line
                break
            skipped += 1
        if not first:
            raise ScenarioError(Problem(file, "", "", empty_expected, "an empty file"))
        reader = csv.reader(
            itertools.chain([first], lines), delimiter=delimiter_of(first)
        )
        records = _records(reader, file, skipped + 1)
        header = [h.strip().lower() for h in next(records, [])]

        def rows() -> Iterator[tuple[int, list[str]]]:
            for i, r in enumerate(records, start=skipped + 2):
                if any(c.strip() for c in r):
                    yield i, r

        yield header, rows()


def read_csv_table(path: Path, file: str, *, empty_expected: str) -> CsvTable:
    """
    Read a CSV file whole under the rules of the module notes.

    Parameters
    ----------
    path
        The file.
    file
        How messages name it.
    empty_expected
        What an empty file should have held, for its message (e.g. ``"a CSV with
        a header and events"``).

    Returns
    -------
    CsvTable
        The header and the non-blank rows with their numbers.

    Raises
    ------
    ScenarioError
        As :func:`csv_rows`.

    Examples
    --------
    >>> t = read_csv_table(Path("fleet.csv"), "fleet.csv", empty_expected="vehicles")
    ... # doctest: +SKIP
    """
    with csv_rows(path, file, empty_expected=empty_expected) as (header, rows):
        kept = list(rows)
        comma = _delimiter_used(path) != ","
    return CsvTable(header, [r for _, r in kept], [n for n, _ in kept], comma)


def _delimiter_used(path: Path) -> str:
    """The delimiter of a CSV's first non-blank line (already read once: readable)."""
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
            if line.strip():
                return delimiter_of(line)
    return ","


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d*,\d+\s*$")


def number_text(cell: str, decimal_comma: bool) -> str:
    """
    A number's cell with a decimal comma made a point, when unambiguous.

    Only a cell of digits with one comma and no point is changed (``12,5``,
    ``-0,75``); ``1.234,5`` or ``1,234,5`` stay as written (and fail as numbers).

    Examples
    --------
    >>> number_text("12,5", True), number_text("12,5", False)
    ('12.5', '12,5')
    >>> number_text("1.234,5", True)
    '1.234,5'
    """
    if decimal_comma and _DECIMAL_COMMA.match(cell):
        return cell.replace(",", ".")
    return cell


#: Spreadsheet file suffixes and the GDAL driver of each.
SPREADSHEETS: dict[str, str] = {".xlsx": "XLSX", ".ods": "ODS"}


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold (see the module notes)."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def sheet_names(path: Path, file: str) -> list[str]:
    """
    The sheets of a spreadsheet, in order.

    Raises
    ------
    ScenarioError
        The file is missing, too large or not a spreadsheet GDAL can read.
    """
    if not path.is_file():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    check_size(path, file)
    driver = SPREADSHEETS.get(path.suffix.lower(), "")
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        if "not recognized" in text or "supported file format" in text:
            text = f"a file that is not an {driver} spreadsheet"
        raise ScenarioError(
            Problem(file, "", "", f"a spreadsheet GDAL's {driver} driver reads", text)
        ) from None


def read_sheet(
    path: Path, file: str, *, sheet: str = "", empty_expected: str
) -> CsvTable:
    """
    Read one sheet of an XLSX or ODS file as a table of text cells.

    Parameters
    ----------
    path
        The spreadsheet (``.xlsx`` or ``.ods``).
    file
        How messages name it.
    sheet
        The sheet's name; empty for the first sheet.
    empty_expected
        What an empty sheet should have held, for its message.

    Returns
    -------
    CsvTable
        Header and non-blank rows, numbered as the spreadsheet shows them.

    Raises
    ------
    ScenarioError
        A missing, too large or unreadable file, a sheet it does not have (the
        sheets it has are listed), an empty sheet.

    Examples
    --------
    >>> t = read_sheet(Path("fleet.xlsx"), "fleet.xlsx", sheet="Vehicles",
    ...                empty_expected="vehicles")  # doctest: +SKIP
    """
    names = sheet_names(path, file)
    if sheet and sheet not in names:
        raise ScenarioError(
            Problem(file, "", "sheet", f"one of the sheets {names}", repr(sheet))
        )
    if not names:
        raise ScenarioError(Problem(file, "", "", empty_expected, "no sheet"))
    driver = SPREADSHEETS.get(path.suffix.lower(), "XLSX")
    # the first row is the header even when every cell of the sheet is text
    pyogrio.set_gdal_config_options({f"OGR_{driver}_HEADERS": "FORCE"})
    try:
        df = pyogrio.read_dataframe(path, layer=sheet or names[0], read_geometry=False)
    except Exception as exc:  # pyogrio raises several types; all mean unreadable
        text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise ScenarioError(
            Problem(file, "", "", f"a sheet GDAL's {driver} driver reads", text)
        ) from None
    header = [str(c).strip().lower() for c in df.columns]
    if not header:
        raise ScenarioError(Problem(file, "", "", empty_expected, "an empty sheet"))
    rows: list[list[str]] = []
    numbers: list[int] = []
    for i, record in enumerate(df.itertuples(index=False, name=None)):
        cells = [_cell_text(v) for v in record]
        if any(c.strip() for c in cells):
            rows.append(cells)
            numbers.append(i + 2)
    if rows and header == [f"field{i + 1}" for i in range(len(header))]:
        # the first row was blank: GDAL named the columns; as in a CSV, the
        # first non-blank row is the header
        header = [c.strip().lower() for c in rows[0]]
        rows, numbers = rows[1:], numbers[1:]
    return CsvTable(header, rows, numbers)


def read_table(
    path: Path, file: str, *, sheet: str = "", empty_expected: str
) -> CsvTable:
    """
    Read a table: a sheet of an ``.xlsx`` or ``.ods`` file, else a CSV.

    As :func:`read_sheet` for spreadsheets, :func:`read_csv_table` otherwise
    (``sheet`` must then be empty: a CSV has one table).

    Raises
    ------
    ScenarioError
        As the reader of the file's kind; a sheet named for a CSV.

    Examples
    --------
    >>> t = read_table(Path("fleet.xlsx"), "fleet.xlsx", empty_expected="vehicles")
    ... # doctest: +SKIP
    """
    if path.suffix.lower() in SPREADSHEETS:
        return read_sheet(path, file, sheet=sheet, empty_expected=empty_expected)
    if sheet:
        raise ScenarioError(
            Problem(
                file,
                "",
                "sheet",
                f"no sheet: only {sorted(SPREADSHEETS)} files have sheets",
                repr(sheet),
            )
        )
    return read_csv_table(path, file, empty_expected=empty_expected)


#: What a column name may look like to be shown in a message.
_COLUMN_NAME = re.compile(r"^[\w .()/%-]{0,40}$")


def describe_header(header: Sequence[str], *, kind: str = "columns") -> str:
    """
    A header as messages show it: its first 12 names, when they look like names.

    A file that is not a table at all (a wrong path, a text, a key file) has a
    first line that is not column names: it is described, never echoed.

    Examples
    --------
    >>> describe_header(["id", "type"])
    "columns ['id', 'type']"
    >>> describe_header(["root:x:0:0:root:/root:/bin/bash"])
    'a first line of 1 cell that is not column names (not shown)'
    """
    if not all(_COLUMN_NAME.match(h) for h in header):
        n = len(header)
        return (
            f"a first line of {n} cell{'' if n == 1 else 's'} that is not column "
            "names (not shown)"
        )
    more = " ..." if len(header) > 12 else ""
    return f"{kind} {list(header)[:12]}{more}"


def missing_columns(header: Sequence[str], required: Sequence[str]) -> list[str]:
    """The required columns the header lacks, in the order required."""
    return [c for c in required if c not in header]


def repeated_columns(header: Sequence[str]) -> list[str]:
    """Non-empty column names that appear more than once, each once per repeat."""
    seen: set[str] = set()
    out: list[str] = []
    for col in header:
        if col in seen and col:
            out.append(col)
        seen.add(col)
    return out

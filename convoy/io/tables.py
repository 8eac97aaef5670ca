"""The one CSV reader: one encoding, delimiter, header and row-number rule for all.

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
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
    """

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]


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
    return CsvTable(header, [r for _, r in kept], [n for n, _ in kept])


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

"""The one CSV reader: one encoding, delimiter, header and row-number rule for all.

- Encoding: UTF-8, with or without a byte-order mark. Any other bytes are an error
  naming the file and the row where they are (save the file as UTF-8); there is no
  silent fallback to another encoding.
- Delimiter: ``,`` unless the header line has none, then the first of ``;``, tab
  and ``|`` it contains (spreadsheets in many locales write ``;``).
- Header: the first row; names are stripped and lower-cased, since old exports
  wrote them in capitals.
- Rows are numbered as a spreadsheet shows them: the header is row 1, the first
  data row 2; blank lines count but are skipped; a quoted cell spanning lines
  stays one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from convoy.errors import Problem, ScenarioError

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


def _decode(raw: bytes, file: str) -> str:
    """UTF-8 text (a BOM is dropped); an error naming the row of a bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 4]
        raise ScenarioError(
            Problem(
                file,
                f"row {row}",
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


def read_csv_table(path: Path, file: str, *, empty_expected: str) -> CsvTable:
    """
    Read a CSV file under the rules of the module notes.

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
        A missing, unreadable, non-UTF-8 or empty file.

    Examples
    --------
    >>> t = read_csv_table(Path("fleet.csv"), "fleet.csv", empty_expected="vehicles")
    ... # doctest: +SKIP
    """
    if not path.is_file():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            Problem(file, "", "", "a readable file", exc.strerror or str(exc))
        ) from None
    text = _decode(raw, file)
    if not text.strip():
        raise ScenarioError(Problem(file, "", "", empty_expected, "an empty file"))
    delimiter = delimiter_of(text.splitlines()[0])
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip().lower() for h in records[0]]
    kept = [(i + 2, r) for i, r in enumerate(records[1:]) if any(c.strip() for c in r)]
    return CsvTable(header, [r for _, r in kept], [n for n, _ in kept])


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

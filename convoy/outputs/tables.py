"""The plan's tables as CSV: the march table, the loads, and what is left behind.

Each is written from the plan document (:class:`convoy.document.PlanDocument`), the
records plan.json holds. Columns carry their unit in the name; times are ISO 8601 UTC,
and the march table has each time again as a date-time group (:func:`dtg`) beside it,
km to 0.1 and minutes whole (plan.json keeps full precision).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from convoy.document import PlanDocument
from convoy.document.records import MarchTableRow
from convoy.times import dtg

MARCH_COLUMNS: tuple[str, ...] = (
    "unit",
    "serial",
    "checkpoint",
    "kind",
    "km",
    "head_arrival",
    "head_arrival_dtg",
    "tail_clearance",
    "tail_clearance_dtg",
    "pass_time_min",
    "halt_until",
    "halt_until_dtg",
)
LOAD_COLUMNS: tuple[str, ...] = (
    "vehicle",
    "type",
    "status",
    "towed_by",
    "tows",
    "num_lots",
    "lots",
    "load_kg",
    "deck_m2",
    "seats_used",
    "value_usd",
)
LEFT_COLUMNS: tuple[str, ...] = (
    "kind",
    "id",
    "category",
    "camp",
    "weight_kg",
    "deck_m2",
    "value_usd",
    "disposition",
    "reason",
)


#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """
    Text a spreadsheet shows as text: a leading quote if it would be a formula.

    The OWASP rule for CSV injection: a cell starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'``. Only text cells (ids,
    names, categories, reasons) go through it: numbers convoy writes as numbers,
    negative ones included, stay numbers. plan.json keeps the true value.

    Examples
    --------
    >>> safe_text("=SUM(A1)"), safe_text("@x"), safe_text("V-01")
    ("'=SUM(A1)", "'@x", 'V-01')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def march_rows(doc: PlanDocument) -> list[dict[str, Any]]:
    """
    The optimised plan's march table as the CSV and XLSX write it.

    ``km`` to 0.1 km, ``pass_time_min`` whole minutes, each time with its DTG
    (``..._dtg``, see :func:`dtg`) beside it; ``halt_until`` and its DTG are
    ``None`` away from a halt.
    """
    return march_dicts(doc.march_table)


def march_dicts(rows: Sequence[MarchTableRow]) -> list[dict[str, Any]]:
    """Rows of any march table as :func:`march_rows` gives the optimised plan's."""
    out = []
    for r in rows:
        row = r.to_dict()
        row["km"] = round(r.km, 1)
        row["pass_time_min"] = round(r.pass_time_min)
        row["head_arrival_dtg"] = dtg(r.head_arrival)
        row["tail_clearance_dtg"] = dtg(r.tail_clearance)
        row["halt_until_dtg"] = None if r.halt_until is None else dtg(r.halt_until)
        out.append(row)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return safe_text(" ".join(_cell(v) for v in value))
    return _one_line_ends(safe_text(str(value)))


def _one_line_ends(text: str) -> str:
    # the csv module (Python 3.11) does not quote a bare CR when lines end in LF,
    # and a reader would split the row there: carriage returns become newlines
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _write(
    path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])


def write_march_table(rows: Sequence[MarchTableRow], path: Path) -> Path:
    """Write one march table as march_table.csv is written, to ``path``."""
    _write(path, MARCH_COLUMNS, march_dicts(rows))
    return path


def write_tables(doc: PlanDocument, out_dir: Path) -> list[Path]:
    """
    Write march_table.csv, loads.csv and left_behind.csv into ``out_dir``.

    Cells are the plan document's values as plan.json writes them (times ISO 8601
    UTC, floats to 6 significant digits, lists space-separated), except the march
    table's (:func:`march_rows`: km to 0.1, whole minutes, DTG columns), a text
    cell a spreadsheet would evaluate as a formula, which gets a leading ``'``
    (:func:`safe_text`), and a carriage return inside a text, which becomes a newline.

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    loads = [dict(row.to_dict(), num_lots=len(row.lots)) for row in doc.loads]
    files: dict[str, tuple[Sequence[str], list[dict[str, Any]]]] = {
        "march_table.csv": (MARCH_COLUMNS, march_rows(doc)),
        "loads.csv": (LOAD_COLUMNS, loads),
        "left_behind.csv": (LEFT_COLUMNS, [r.to_dict() for r in doc.left_behind]),
    }
    out = []
    for name, (cols, rows) in files.items():
        _write(out_dir / name, cols, rows)
        out.append(out_dir / name)
    return out

"""march_table.xlsx and loads.xlsx: the CSV tables as formatted workbooks.

Each has one sheet: a title row naming the scenario and the plan, a bold frozen
header, widths fitted to the text, number formats, times as real Excel date-times
(UTC, without zone: Excel has none) with the DTG as text beside them, and text cells
a spreadsheet would evaluate neutralised as in the CSVs
(:func:`convoy.outputs.tables.safe_text`). Written with openpyxl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from convoy.document import OPTIMISED, PlanDocument
from convoy.outputs.tables import LOAD_COLUMNS, MARCH_COLUMNS, march_rows, safe_text

#: File names in a plan folder.
MARCH_XLSX = "march_table.xlsx"
LOADS_XLSX = "loads.xlsx"

#: Excel number format of each numeric or time column (others are General or text).
NUMBER_FORMATS: dict[str, str] = {
    "km": "0.0",
    "pass_time_min": "0",
    "head_arrival": "yyyy-mm-dd hh:mm",
    "tail_clearance": "yyyy-mm-dd hh:mm",
    "halt_until": "yyyy-mm-dd hh:mm",
    "load_kg": "#,##0",
    "deck_m2": "0.0",
    "seats_used": "0",
    "value_usd": "#,##0",
    "num_lots": "0",
}

#: Row of the header (row 1 is the title).
HEADER_ROW = 2


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel date-times carry no zone: write the UTC wall time
        return value.replace(tzinfo=None)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return safe_text(" ".join(str(v) for v in value))
    return safe_text(str(value))


def write_sheet(
    path: Path,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> Path:
    """Write one formatted sheet: title row, bold frozen header, rows."""
    # imported here: openpyxl takes a noticeable share of the command line's
    # start-up, and a plan without maps writes no workbook
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new Workbook always has its one sheet
    ws.title = path.stem[:31]
    ws.cell(row=1, column=1, value=safe_text(title)).font = Font(bold=True, size=13)
    widths = [len(c) for c in columns]
    for j, col in enumerate(columns, start=1):
        ws.cell(row=HEADER_ROW, column=j, value=col).font = Font(bold=True)
    for i, row in enumerate(rows, start=HEADER_ROW + 1):
        for j, col in enumerate(columns, start=1):
            value = _value(row.get(col))
            cell = ws.cell(row=i, column=j, value=value)
            if col in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[col]
            shown = 16 if isinstance(value, datetime) else len(str(value or ""))
            widths[j - 1] = max(widths[j - 1], shown)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(w + 2, 60)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    wb.save(path)
    return path


def _title(doc: PlanDocument, what: str) -> str:
    s = doc.scenario
    return f"{s.title or s.name}: {what}, plan {OPTIMISED} (times UTC)"


def march_xlsx_rows(doc: PlanDocument) -> list[dict[str, Any]]:
    """The march table's rows with times as datetimes (the DTGs as text beside)."""
    out = []
    for row, rec in zip(march_rows(doc), doc.march_table, strict=True):
        row.update(
            head_arrival=rec.head_arrival,
            tail_clearance=rec.tail_clearance,
            halt_until=rec.halt_until,
        )
        out.append(row)
    return out


def write_xlsx_tables(doc: PlanDocument, out_dir: str | Path) -> list[Path]:
    """
    Write march_table.xlsx and loads.xlsx into ``out_dir``.

    The columns are the CSVs' (:data:`~convoy.outputs.tables.MARCH_COLUMNS`,
    :data:`~convoy.outputs.tables.LOAD_COLUMNS`) and so are the march table's
    rounded values; times are Excel date-times in UTC.

    Returns
    -------
    list of Path
        The two files.
    """
    out = Path(out_dir)
    loads = [dict(r.to_dict(), num_lots=len(r.lots)) for r in doc.loads]
    return [
        write_sheet(
            out / MARCH_XLSX,
            _title(doc, "march table"),
            MARCH_COLUMNS,
            march_xlsx_rows(doc),
        ),
        write_sheet(out / LOADS_XLSX, _title(doc, "loads"), LOAD_COLUMNS, loads),
    ]

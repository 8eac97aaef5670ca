"""Reading fleet.csv and manifest.csv into :class:`Vehicle` and :class:`Lot` records.

Both are read by :func:`convoy.io.tables.read_table` (a CSV with any common
delimiter and a decimal comma where unambiguous, or a sheet of an XLSX or ODS
file); each cell is parsed and checked here, each record checks its own fields,
and every bad cell is recorded so that the whole file is reported at once. Rows
are numbered as a spreadsheet shows them (the header is row 1, the first vehicle
or lot row 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path

from convoy._problems import Problems
from convoy.errors import ScenarioError
from convoy.io.files import label_of
from convoy.io.tables import (
    describe_header,
    missing_columns,
    number_text,
    read_table,
    repeated_columns,
)
from convoy.params import SURFACES
from convoy.scenario import VEHICLE_ROLES, Lot, Vehicle

#: Columns of fleet.csv (``value_usd``, ``fuel_l_per_km`` and ``role`` are optional;
#: ``role`` is one of :data:`convoy.scenario.VEHICLE_ROLES`, blank for none).
FLEET_COLUMNS: tuple[str, ...] = (
    "id",
    "type",
    "length_m",
    "payload_kg",
    "deck_m2",
    "seats",
    *(f"speed_{s}_kph" for s in SURFACES),
    "reliability",
    "roadworthy",
    "can_tow",
    "camp",
)
#: Columns of manifest.csv.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "id",
    "category",
    "weight_kg",
    "deck_m2",
    "value_usd",
    "sensitive",
    "destroy_hours",
    "mandatory",
    "camp",
)

#: The largest value accepted in a column of fleet.csv or manifest.csv. Far above
#: any real vehicle or lot (the heaviest tank transporter carries about 70 t, a
#: mission's whole equipment is worth some 10^9 USD), and low enough that the loads
#: model's integer sums (cents, tenths of kg, summed over thousands of rows) stay far
#: inside 64 bits: 10^20 USD would overflow it. An assumption, not a source.
LARGEST: dict[str, float] = {
    "length_m": 1e3,
    "payload_kg": 1e7,
    "weight_kg": 1e7,
    "deck_m2": 1e5,
    "seats": 1e5,
    "value_usd": 1e12,
    "destroy_hours": 1e5,
    **{f"speed_{s}_kph": 1e3 for s in SURFACES},
}

#: Columns whose cells are numbers (a decimal comma is read in these only).
_NUMERIC = frozenset({*LARGEST, "reliability", "fuel_l_per_km"})

_POSITIVE: tuple[Callable[[float], bool], str] = (lambda v: v > 0, "a number > 0")
_NON_NEGATIVE: tuple[Callable[[float], bool], str] = (lambda v: v >= 0, "a number >= 0")
_PROBABILITY: tuple[Callable[[float], bool], str] = (
    lambda v: 0 < v <= 1,
    "a probability in (0, 1]",
)

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def _read_rows(
    path: Path,
    label: str,
    required: tuple[str, ...],
    problems: Problems,
    sheet: str = "",
) -> list[tuple[int, dict[str, str]]] | None:
    """
    Rows of a table as ``(spreadsheet row number, {column: text})``.

    A number written with a decimal comma (where the table allows it) is given
    with a point.

    Returns None (after recording why) when the file cannot be used at all:
    missing, unreadable, not UTF-8, empty, or without a required column. A row
    with more or fewer cells than the header is a problem and is skipped.
    """
    try:
        table = read_table(
            path,
            label,
            sheet=sheet,
            empty_expected=f"a table with a header ({', '.join(required)})",
        )
    except ScenarioError as exc:
        problems.take(exc, file=label)
        return None
    header = table.header
    missing = missing_columns(header, required)
    for col in missing:
        problems.add(label, "row 1", col, f"a column {col!r}", describe_header(header))
    for col in repeated_columns(header):
        problems.add(label, "row 1", col, "each column once", "a repeated column")
    if missing:
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    for n, cells in zip(table.row_numbers, table.rows, strict=True):
        if len(cells) != len(header):
            problems.add(
                label,
                f"row {n}",
                "",
                f"{len(header)} cells as in the header",
                f"{len(cells)} cells",
            )
            continue
        rows.append(
            (
                n,
                {
                    h: number_text(c.strip(), table.decimal_comma)
                    if h in _NUMERIC
                    else c.strip()
                    for h, c in zip(header, cells, strict=True)
                },
            )
        )
    return rows


class _RowParser:
    """Typed cells of one CSV row; every bad cell is recorded, parsing goes on."""

    def __init__(
        self, row: Mapping[str, str], label: str, where: str, problems: Problems
    ) -> None:
        self.row, self.label, self.where, self.problems = row, label, where, problems
        self.ok = True

    def _bad(self, col: str, expected: str, found: str) -> None:
        self.problems.add(self.label, self.where, col, expected, found)
        self.ok = False

    def text(self, col: str, *, required: bool = True) -> str:
        value = self.row.get(col, "")
        if required and not value:
            self._bad(col, "a non-empty value", "an empty cell")
        return value

    def number(
        self,
        col: str,
        default: float | None = None,
        *,
        check: tuple[Callable[[float], bool], str] | None = None,
    ) -> float:
        """The cell as a finite float; ``check`` is (predicate, what is expected)."""
        value = self._number(col, default)
        if check is not None and not math.isnan(value) and not check[0](value):
            self._bad(col, check[1], repr(self.row.get(col, "")))
            return math.nan
        return value

    def _number(self, col: str, default: float | None) -> float:
        raw = self.row.get(col, "")
        if not raw:
            if default is not None:
                return default
            self._bad(col, "a number", "an empty cell")
            return math.nan
        try:
            value = float(raw)
        except ValueError:
            self._bad(col, "a number", repr(raw))
            return math.nan
        if not math.isfinite(value):
            self._bad(col, "a finite number", repr(raw))
            return math.nan
        largest = LARGEST.get(col, math.inf)
        if abs(value) > largest:
            self._bad(
                col,
                f"a number of at most {largest:g} (the largest accepted)",
                repr(raw),
            )
            return math.nan
        return value

    def integer(
        self, col: str, *, check: tuple[Callable[[float], bool], str] | None = None
    ) -> int:
        value = self.number(col, check=check)
        if math.isnan(value):
            return 0
        if value != int(value):
            self._bad(col, "a whole number", repr(self.row.get(col)))
            return 0
        return int(value)

    def role(self, col: str) -> str:
        """A vehicle role (:data:`VEHICLE_ROLES`); case, spaces and hyphens free."""
        raw = self.row.get(col, "")
        value = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if value not in VEHICLE_ROLES:
            self._bad(col, f"blank or one of {list(VEHICLE_ROLES[1:])}", repr(raw))
            return ""
        return value

    def boolean(self, col: str) -> bool:
        raw = self.row.get(col, "").lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        self._bad(
            col,
            "true/false, 1/0 or yes/no",
            repr(self.row.get(col, "")) if raw else "an empty cell",
        )
        return False


def _where(n: int, ident: str) -> str:
    """A row as messages name it: ``row 7 ('TRK-2')``."""
    return f"row {n}" + (f" ({ident!r})" if ident else "")


def read_fleet(
    path: Path, problems: Problems, *, sheet: str = ""
) -> list[tuple[str, Vehicle]]:
    """
    The vehicles of fleet.csv that load, each with its row; a bad cell is a problem.

    ``sheet`` names the sheet of an XLSX or ODS file (empty: the first).

    Examples
    --------
    >>> vehicles = read_fleet(Path("fleet.csv"), Problems())  # doctest: +SKIP
    """
    label = label_of(path)
    rows = _read_rows(path, label, FLEET_COLUMNS, problems, sheet)
    if rows is None:
        return []
    if not rows:
        problems.add(label, "", "", "at least one vehicle row", "a header only")
    out: list[tuple[str, Vehicle]] = []
    for n, row in rows:
        where = _where(n, row.get("id", ""))
        p = _RowParser(row, label, where, problems)
        kwargs = {
            "id": p.text("id"),
            "type": p.text("type"),
            "length_m": p.number("length_m", check=_POSITIVE),
            "payload_kg": p.number("payload_kg", check=_NON_NEGATIVE),
            "deck_m2": p.number("deck_m2", check=_NON_NEGATIVE),
            "seats": p.integer("seats", check=_NON_NEGATIVE),
            "speed_kph": tuple(
                p.number(f"speed_{s}_kph", check=_POSITIVE) for s in SURFACES
            ),
            "reliability": p.number("reliability", check=_PROBABILITY),
            "roadworthy": p.boolean("roadworthy"),
            "can_tow": p.boolean("can_tow"),
            "camp": p.text("camp"),
            "value_usd": p.number("value_usd", default=0.0, check=_NON_NEGATIVE),
            "fuel_l_per_km": p.number("fuel_l_per_km", check=_NON_NEGATIVE)
            if row.get("fuel_l_per_km", "")
            else None,
        }
        kwargs["role"] = p.role("role")
        if not p.ok:
            continue
        if (
            kwargs["payload_kg"] == 0
            and kwargs["deck_m2"] == 0
            and kwargs["seats"] == 0
        ):
            problems.add(
                label,
                where,
                "payload_kg",
                "a vehicle that carries something (payload_kg, deck_m2 or seats > 0)",
                "0 payload, 0 deck, 0 seats",
            )
            continue
        v = problems.build(Vehicle, kwargs, label, where)
        if v is not None:
            out.append((where, v))
    return out


def read_manifest(
    path: Path, problems: Problems, *, sheet: str = ""
) -> list[tuple[str, Lot]]:
    """
    The lots of manifest.csv that load, each with its row; a bad cell is a problem.

    ``sheet`` names the sheet of an XLSX or ODS file (empty: the first).

    Examples
    --------
    >>> lots = read_manifest(Path("manifest.csv"), Problems())  # doctest: +SKIP
    """
    label = label_of(path)
    rows = _read_rows(path, label, MANIFEST_COLUMNS, problems, sheet)
    if rows is None:
        return []
    out: list[tuple[str, Lot]] = []
    for n, row in rows:
        where = _where(n, row.get("id", ""))
        p = _RowParser(row, label, where, problems)
        kwargs = {
            "id": p.text("id"),
            "category": p.text("category", required=False),
            "weight_kg": p.number("weight_kg", check=_POSITIVE),
            "deck_m2": p.number("deck_m2", check=_POSITIVE),
            "value_usd": p.number("value_usd", check=_NON_NEGATIVE),
            "sensitive": p.boolean("sensitive"),
            "destroy_hours": p.number("destroy_hours", check=_NON_NEGATIVE),
            "mandatory": p.boolean("mandatory"),
            "camp": p.text("camp"),
        }
        if not p.ok:
            continue
        lot = problems.build(Lot, kwargs, label, where)
        if lot is not None:
            out.append((where, lot))
    return out

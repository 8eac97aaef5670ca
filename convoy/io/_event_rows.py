"""Event rows to :class:`~convoy.events.ThreatEvents`: parse each field, check, project.

Shared by the three event formats (:mod:`convoy.io.events`): a record is a mapping of
column to cell, a :class:`Columns` says which column holds which field, and every bad
field is recorded in the reader's :class:`~convoy._problems.Problems` before one
error is raised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from convoy._problems import Problems
from convoy.errors import GeodataError
from convoy.events import ThreatEvents
from convoy.times import parse_event_date

#: Largest valid precision code per format. ACLED ``geo_precision``: 1 the town,
#: 2 near it, 3 the region (ACLED codebook 2023). UCDP ``where_prec``: 1 exact
#: place ... 7 international waters (UCDP GED codebook 23.1).
MAX_PRECISION_CODE: dict[str, int] = {"acled": 3, "ucdp": 7, "layer": 7}

#: A point this many degrees outside the CRS's area of use, whose swapped
#: coordinates fall inside it, is reported as latitude/longitude swapped.
SWAP_MARGIN_DEG = 10.0


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field a format needs is found (``None`` if optional and absent)."""

    date: str
    type: str
    sub_type: str | None
    lat: str | None
    lon: str | None
    fatalities: str | None
    precision: str | None


@dataclass
class RawEvents:
    """Events parsed from a table before filtering and projection."""

    rownum: list[int]
    lon: list[float]
    lat: list[float]
    day: list[date]
    etype: list[str]
    sub: list[str]
    fatal: list[float]
    prec: list[int]

    @classmethod
    def empty(cls) -> RawEvents:
        """No events yet."""
        return cls([], [], [], [], [], [], [], [])


def _float(text: Any) -> float:
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    if not s:
        msg = "empty"
        raise ValueError(msg)
    return float(s)


def clean(text: Any) -> str:
    """A cell as stripped text; '' for null/NaN."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip()


class _Row:
    """One record's fields, each parsed and checked; a bad one is a problem."""

    def __init__(self, rec: Mapping[str, Any], where: str, problems: Problems) -> None:
        self.rec, self.where, self.problems = rec, where, problems
        self.ok = True

    def bad(self, field: str, expected: str, found: str) -> None:
        self.problems.add("", self.where, field, expected, found)
        self.ok = False

    def day(self, col: str) -> date | None:
        value = self.rec.get(col)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = clean(value)
        try:
            return parse_event_date(text)
        except ValueError:
            self.bad(col, "a date like 2023-10-31 or 31 October 2023", repr(text))
            return None

    def event_type(self, col: str, type_of: Callable[[str], str] | None) -> str:
        etype = clean(self.rec.get(col))
        if type_of is not None:
            try:
                return type_of(etype)
            except ValueError as exc:
                self.bad(col, str(exc), repr(etype))
        elif not etype:
            self.bad(col, "a non-empty event type", "an empty value")
        return etype

    def degrees(self, lat_col: str, lon_col: str) -> tuple[float, float]:
        """(lon, lat) from two columns in degrees; a swap hint when it looks so."""
        lat = lon = math.nan
        for name, lim in ((lat_col, 90.0), (lon_col, 180.0)):
            t = clean(self.rec.get(name))
            try:
                v = _float(t)
            except ValueError:
                self.bad(name, "a number in degrees", repr(t))
                continue
            if not math.isfinite(v):
                self.bad(name, "a finite number in degrees", repr(t))
                continue
            if name == lat_col:
                lat = v
            else:
                lon = v
            if abs(v) > lim:
                hint = ""
                if name == lat_col and abs(v) <= 180:
                    try:
                        if abs(_float(clean(self.rec.get(lon_col)))) <= 90:
                            hint = " (latitude and longitude swapped?)"
                    except ValueError:
                        pass
                self.bad(name, f"degrees in [-{lim:g}, {lim:g}]", f"{t!r}{hint}")
        return lon, lat

    def fatalities(self, col: str | None) -> float:
        t = clean(self.rec.get(col)) if col is not None else ""
        if not t:
            return 0.0
        try:
            fatal = _float(t)
        except ValueError:
            fatal = math.nan
        if not (math.isfinite(fatal) and fatal >= 0):
            assert col is not None
            self.bad(col, "a number of fatalities >= 0", repr(t))
        return fatal

    def precision(self, col: str | None, max_code: int) -> int:
        t = clean(self.rec.get(col)) if col is not None else ""
        if not t:
            return 1
        try:
            pf = _float(t)
            if pf != int(pf):
                raise ValueError(t)
            prec = int(pf)
        except (ValueError, OverflowError):
            prec = -1
        if not 1 <= prec <= max_code:
            assert col is not None
            self.bad(col, f"an integer code in [1, {max_code}]", repr(t))
        return prec


def parse_rows(
    records: Iterable[Mapping[str, Any]],
    cols: Columns,
    problems: Problems,
    *,
    where: Callable[[int], str],
    type_of: Callable[[str], str] | None = None,
    max_code: int = 7,
    lonlat: Sequence[tuple[float, float]] | None = None,
) -> RawEvents:
    """
    Parse and check each record's fields, adding one problem per bad field.

    ``lonlat`` gives each record's point (a layer); without it the point is read
    from the ``lat`` and ``lon`` columns.
    """
    raw = RawEvents.empty()
    for i, rec in enumerate(records):
        row = _Row(rec, where(i), problems)
        day = row.day(cols.date)
        etype = row.event_type(cols.type, type_of)
        sub = clean(rec.get(cols.sub_type)) if cols.sub_type else ""
        if lonlat is not None:
            lon, lat = lonlat[i]
            if not (math.isfinite(lon) and math.isfinite(lat)):
                row.bad(
                    "geometry", "a point with finite coordinates", f"({lon}, {lat})"
                )
        else:
            assert cols.lat is not None and cols.lon is not None
            lon, lat = row.degrees(cols.lat, cols.lon)
        fatal = row.fatalities(cols.fatalities)
        prec = row.precision(cols.precision, max_code)
        if row.ok:
            assert day is not None
            raw.rownum.append(i)
            raw.lon.append(lon)
            raw.lat.append(lat)
            raw.day.append(day)
            raw.etype.append(etype)
            raw.sub.append(sub)
            raw.fatal.append(fatal)
            raw.prec.append(prec)
    return raw


def ucdp_type(text: str) -> str:
    """A UCDP ``type_of_violence`` (1, 2 or 3) as the event type ``"ucdp:N"``."""
    try:
        v = _float(text)
    except ValueError:
        v = math.nan
    if v not in (1.0, 2.0, 3.0):
        msg = "1 (state-based), 2 (non-state) or 3 (one-sided)"
        raise ValueError(msg)
    return f"ucdp:{int(v)}"


def _target_crs(crs: Any) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError and others
        msg = f"crs: expected a coordinate reference system, found {crs!r} ({exc})"
        raise GeodataError(msg) from None


def _check_swapped(
    raw: RawEvents,
    problems: Problems,
    target: CRS,
    where: Callable[[int], str],
    field: str,
) -> None:
    """Swapped coordinates can both be legal degrees; the CRS's area of use tells."""
    lon = np.asarray(raw.lon, dtype=np.float64)
    lat = np.asarray(raw.lat, dtype=np.float64)
    area = target.area_of_use
    if area is None or not len(lon):
        return

    def inside(x: NDArray[np.float64], y: NDArray[np.float64], pad: float) -> Any:
        return (
            (x >= area.west - pad)
            & (x <= area.east + pad)
            & (y >= area.south - pad)
            & (y <= area.north + pad)
        )

    swapped = ~inside(lon, lat, SWAP_MARGIN_DEG) & inside(lat, lon, 0.0)
    for j in np.flatnonzero(swapped):
        problems.add(
            "",
            where(raw.rownum[j]),
            field,
            f"a point near the area of use of {target.name} "
            f"(lon {area.west:g}..{area.east:g}, lat {area.south:g}.."
            f"{area.north:g})",
            f"lat {lat[j]:g}, lon {lon[j]:g} (latitude and longitude swapped?)",
        )


def _project(
    lonlat: NDArray[np.float64],
    rownum: NDArray[np.int64],
    target: CRS,
    source: str,
    where: Callable[[int], str],
    field: str,
) -> NDArray[np.float64]:
    """(K, 2) points in ``target``; a GeodataError naming those that do not project."""
    transformer = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.ascontiguousarray(
        np.column_stack([np.asarray(x), np.asarray(y)]), dtype=np.float64
    ).reshape(-1, 2)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        errs = Problems(source)
        for r, (lo, la) in zip(rownum[bad], lonlat[bad], strict=True):
            errs.add(
                "",
                where(int(r)),
                field,
                f"a point that projects to {target.name}",
                f"lat {la:g}, lon {lo:g}",
            )
        raise errs.error(GeodataError)
    return xy


def finish(
    raw: RawEvents,
    problems: Problems,
    *,
    where: Callable[[int], str],
    fmt: str,
    start: datetime,
    crs: Any,
    max_geo_precision: int,
    lat_field: str,
    lon_field: str,
    date_field: str = "",
) -> ThreatEvents:
    """
    Check coordinates against the CRS, filter, project and build the result.

    Raises
    ------
    ScenarioError
        Every problem recorded so far, swapped coordinates, and events that are
        all dated after the start (their count and date range named).
    GeodataError
        An unknown ``crs``, or points that do not project to it.
    """
    target = _target_crs(crs)
    field = f"{lat_field}/{lon_field}"
    _check_swapped(raw, problems, target, where, field)
    if problems:
        raise problems.error()

    start_day = np.datetime64(start.date(), "D")
    days = (
        np.array(raw.day, dtype="datetime64[D]")
        if raw.day
        else np.empty(0, "datetime64[D]")
    )
    start_s = np.datetime64(start.replace(tzinfo=None), "s")
    age = (start_s - days.astype("datetime64[s]")).astype(np.float64) / 86_400.0
    after = days > start_day
    # An event dated the start's own day is kept: it happened before the start
    # (age in [0, 1) day) or it is unknowable from a date alone.
    after |= age < 0
    prec = np.asarray(raw.prec, dtype=np.int64)
    imprecise = ~after & (prec > max_geo_precision)
    keep = ~after & ~imprecise
    if after.size and after.all():
        problems.add(
            "",
            "every row" if fmt != "layer" else "every feature",
            date_field or ("date_start" if fmt == "ucdp" else "event_date"),
            f"events dated on or before the start ({start:%Y-%m-%dT%H:%MZ}): the "
            "risk field is built from past events",
            f"all {int(after.sum())} events after it, dated {days.min()} to "
            f"{days.max()} (all dropped)",
        )
        raise problems.error()

    lon = np.asarray(raw.lon, dtype=np.float64)
    lat = np.asarray(raw.lat, dtype=np.float64)
    lonlat = np.ascontiguousarray(np.column_stack([lon, lat])[keep]).reshape(-1, 2)
    rownum = np.asarray(raw.rownum, dtype=np.int64)[keep]
    xy = _project(lonlat, rownum, target, problems.file, where, field)

    def strings(values: list[str]) -> NDArray[np.str_]:
        arr = np.array(values, dtype=np.str_) if values else np.empty(0, dtype="<U1")
        return arr[keep]

    return ThreatEvents(
        lonlat=lonlat,
        xy=xy,
        date=days[keep],
        age_days=np.ascontiguousarray(age[keep]),
        event_type=strings(raw.etype),
        sub_event_type=strings(raw.sub),
        fatalities=np.ascontiguousarray(np.asarray(raw.fatal, dtype=np.float64)[keep]),
        geo_precision=np.ascontiguousarray(prec[keep]),
        source=problems.file,
        fmt=fmt,
        num_after_start=int(after.sum()),
        num_imprecise=int(imprecise.sum()),
        crs=target.to_string(),
    )

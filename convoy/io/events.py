"""Threat events: past incidents read from ACLED, UCDP GED or any point layer.

The risk field (:mod:`convoy.risk.field`) is a kernel sum over these events. This
module only reads, checks and projects them; what an event type means for the risk
is decided by the channel rules in :class:`convoy.params.RiskParams`.

Three formats are read (``fmt``):

- ``"acled"``: an ACLED export CSV, current schema (``event_date``, ``event_type``,
  ``sub_event_type``, ``latitude``, ``longitude``, ``fatalities``,
  ``geo_precision``) or the older one (no ``sub_event_type`` column, type
  ``"Remote violence"``). Column names are matched case-insensitively, since old
  exports wrote them in capitals.
- ``"ucdp"``: a UCDP GED CSV (``date_start``, ``type_of_violence`` 1/2/3 read as
  types ``"ucdp:1"``..., ``best`` as fatalities, ``latitude``, ``longitude``,
  ``where_prec`` as precision).
- ``"layer"``: any point layer GeoPandas reads, with a date column and a type
  column named by the caller (optional ``sub_event_type``, ``fatalities`` and
  ``geo_precision`` columns are used when present).

Rows are reported as a spreadsheet shows them: the header is row 1, the first event
row 2. Features of a layer are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.events import ThreatEvents

#: Formats :func:`read_events` reads.
EVENT_FORMATS: tuple[str, ...] = ("acled", "ucdp", "layer")

#: Problems listed in one error before the rest are summarised; a file with
#: thousands of bad rows is usually one systematic mistake.
MAX_PROBLEMS = 40

#: Largest valid precision code per format. ACLED ``geo_precision``: 1 the town,
#: 2 near it, 3 the region (ACLED codebook 2023). UCDP ``where_prec``: 1 exact
#: place ... 7 international waters (UCDP GED codebook 23.1).
_MAX_PRECISION_CODE: dict[str, int] = {"acled": 3, "ucdp": 7, "layer": 7}

#: A point this many degrees outside the CRS's area of use, whose swapped
#: coordinates fall inside it, is reported as latitude/longitude swapped.
_SWAP_MARGIN_DEG = 10.0

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ \-]([A-Za-z]+)\.?[ \-,]*(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# ------------------------------------------------------------------ small parsers


def parse_event_date(text: str) -> date:
    """
    Parse an event date as ACLED and UCDP write them.

    Accepts ``2023-10-31`` (optionally followed by a time, as UCDP writes
    ``date_start``), ``31 October 2023``, ``31-Oct-2023`` and ``31/10/2023``
    (day first, as older ACLED exports).

    Raises
    ------
    ValueError
        If the text is none of these or not a real calendar date.

    Examples
    --------
    >>> parse_event_date("22 February 2019")
    datetime.date(2019, 2, 22)
    """
    s = text.strip()
    if m := _ISO.match(s):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DAY_MONTH_YEAR.match(s):
        mon = _MONTHS.get(m[2].lower())
        if mon is None:
            msg = f"unknown month {m[2]!r}"
            raise ValueError(msg)
        y, mo, d = int(m[3]), mon, int(m[1])
    elif m := _SLASHED.match(s):
        y, mo, d = int(m[3]), int(m[2]), int(m[1])
    else:
        msg = f"not a date: {text!r}"
        raise ValueError(msg)
    return date(y, mo, d)


def _as_utc(start: datetime | date | str | np.datetime64) -> datetime:
    if isinstance(start, np.datetime64):
        start = str(np.datetime_as_string(start.astype("datetime64[s]")))
    if isinstance(start, str):
        text = start.strip().replace("Z", "+00:00")
        try:
            start = datetime.fromisoformat(text)
        except ValueError:
            msg = f"start: expected an ISO 8601 time, found {start!r}"
            raise ScenarioError(msg) from None
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    if start.tzinfo is None:
        return start.replace(tzinfo=UTC)
    return start.astimezone(UTC)


def _float(text: Any) -> float:
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    if not s:
        msg = "empty"
        raise ValueError(msg)
    return float(s)


def _clean(text: Any) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip()


class _Problems:
    """Collects problems, keeping the first ``MAX_PROBLEMS`` and counting the rest."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[str | Problem] = []
        self.more = 0

    def add(self, where: str, field: str, expected: str, found: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.file, where, field, expected, found))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self, cls: type[ScenarioError] = ScenarioError) -> ScenarioError:
        items = list(self.items)
        if self.more:
            items.append(f"{self.file}: ... and {self.more} more problems")
        return cls(items)


# ------------------------------------------------------------------ table readers


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each field a format needs is found (``None`` if optional and absent)."""

    date: str
    type: str
    sub_type: str | None
    lat: str | None
    lon: str | None
    fatalities: str | None
    precision: str | None


def _read_csv(path: Path, file: str) -> tuple[list[str], list[list[str]], list[int]]:
    """
    Header (lower-cased, stripped), non-blank rows and their row numbers.

    Row numbers count records as a spreadsheet shows them (the header is row 1,
    blank lines count, a quoted field spanning lines stays one row).

    Raises
    ------
    ScenarioError
        A missing, unreadable or empty file.
    """
    if not path.is_file():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise ScenarioError(
            Problem(file, "", "", "a readable file", str(exc))
        ) from None
    if not text.strip():
        raise ScenarioError(
            Problem(file, "", "", "a CSV with a header and events", "an empty file")
        )
    first = text.splitlines()[0]
    delimiter = ","
    if "," not in first:
        for alt in (";", "\t", "|"):
            if alt in first:
                delimiter = alt
                break
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    kept = [(i + 2, r) for i, r in enumerate(rows[1:]) if any(c.strip() for c in r)]
    return header, [r for _, r in kept], [n for n, _ in kept]


def _need(
    header: Sequence[str], names: Sequence[str], problems: _Problems, *, fmt: str
) -> None:
    for name in names:
        if name not in header:
            problems.add(
                "header",
                name,
                f"a column {name!r} ({fmt} format)",
                f"columns {list(header)[:12]}" + (" ..." if len(header) > 12 else ""),
            )


@dataclass
class _Raw:
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
    def empty(cls) -> _Raw:
        return cls([], [], [], [], [], [], [], [])


def _parse_rows(
    records: Sequence[Mapping[str, Any]],
    cols: _Columns,
    problems: _Problems,
    *,
    where: Callable[[int], str],
    type_of: Callable[[str], str] | None = None,
    max_code: int = 7,
    lonlat: Sequence[tuple[float, float]] | None = None,
) -> _Raw:
    """Parse and check each record's fields, adding one problem per bad field."""
    raw = _Raw.empty()
    for i, rec in enumerate(records):
        w = where(i)
        ok = True
        # Date.
        text = _clean(rec.get(cols.date))
        day: date | None = None
        if isinstance(rec.get(cols.date), datetime | date):
            v = rec[cols.date]
            day = v.date() if isinstance(v, datetime) else v
        else:
            try:
                day = parse_event_date(text)
            except ValueError:
                problems.add(
                    w,
                    cols.date,
                    "a date like 2023-10-31 or 31 October 2023",
                    repr(text),
                )
                ok = False
        # Type.
        etype = _clean(rec.get(cols.type))
        if type_of is not None:
            try:
                etype = type_of(etype)
            except ValueError as exc:
                problems.add(w, cols.type, str(exc), repr(_clean(rec.get(cols.type))))
                ok = False
        elif not etype:
            problems.add(w, cols.type, "a non-empty event type", "an empty value")
            ok = False
        sub = _clean(rec.get(cols.sub_type)) if cols.sub_type else ""
        # Coordinates.
        if lonlat is not None:
            lon, lat = lonlat[i]
            if not (math.isfinite(lon) and math.isfinite(lat)):
                problems.add(
                    w, "geometry", "a point with finite coordinates", f"({lon}, {lat})"
                )
                ok = False
        else:
            assert cols.lat is not None and cols.lon is not None
            lat = lon = math.nan
            for name, lim in ((cols.lat, 90.0), (cols.lon, 180.0)):
                t = _clean(rec.get(name))
                try:
                    v = _float(t)
                except ValueError:
                    problems.add(w, name, "a number in degrees", repr(t))
                    ok = False
                    continue
                if not math.isfinite(v):
                    problems.add(w, name, "a finite number in degrees", repr(t))
                    ok = False
                    continue
                if name == cols.lat:
                    lat = v
                else:
                    lon = v
                if abs(v) > lim:
                    hint = ""
                    if name == cols.lat and abs(v) <= 180:
                        other = _clean(rec.get(cols.lon))
                        try:
                            if abs(_float(other)) <= 90:
                                hint = " (latitude and longitude swapped?)"
                        except ValueError:
                            pass
                    problems.add(
                        w, name, f"degrees in [-{lim:g}, {lim:g}]", f"{t!r}{hint}"
                    )
                    ok = False
        # Fatalities.
        fatal = 0.0
        if cols.fatalities is not None:
            t = _clean(rec.get(cols.fatalities))
            if t:
                try:
                    fatal = _float(t)
                except ValueError:
                    problems.add(
                        w, cols.fatalities, "a number of fatalities >= 0", repr(t)
                    )
                    ok = False
                else:
                    if not (math.isfinite(fatal) and fatal >= 0):
                        problems.add(
                            w, cols.fatalities, "a number of fatalities >= 0", repr(t)
                        )
                        ok = False
        # Precision.
        prec = 1
        if cols.precision is not None:
            t = _clean(rec.get(cols.precision))
            if t:
                try:
                    pf = _float(t)
                    if pf != int(pf):
                        raise ValueError(t)
                    prec = int(pf)
                except (ValueError, OverflowError):
                    prec = -1
                if not 1 <= prec <= max_code:
                    problems.add(
                        w,
                        cols.precision,
                        f"an integer code in [1, {max_code}]",
                        repr(t),
                    )
                    ok = False
        if ok:
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


def _ucdp_type(text: str) -> str:
    try:
        v = _float(text)
    except ValueError:
        v = math.nan
    if v not in (1.0, 2.0, 3.0):
        msg = "1 (state-based), 2 (non-state) or 3 (one-sided)"
        raise ValueError(msg)
    return f"ucdp:{int(v)}"


# ------------------------------------------------------------------ assembly


def _finish(
    raw: _Raw,
    problems: _Problems,
    *,
    where: Callable[[int], str],
    source: str,
    fmt: str,
    start: datetime,
    crs: Any,
    max_geo_precision: int,
    lat_field: str,
    lon_field: str,
) -> ThreatEvents:
    """Check coordinates against the CRS, filter, project and build the result."""
    try:
        target = CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError and others
        msg = f"crs: expected a coordinate reference system, found {crs!r} ({exc})"
        raise GeodataError(msg) from None
    lon = np.asarray(raw.lon, dtype=np.float64)
    lat = np.asarray(raw.lat, dtype=np.float64)
    # Swapped coordinates can both be legal degrees; the CRS's area of use tells.
    area = target.area_of_use
    if area is not None and len(lon):
        m = _SWAP_MARGIN_DEG

        def inside(x: NDArray[np.float64], y: NDArray[np.float64], pad: float) -> Any:
            return (
                (x >= area.west - pad)
                & (x <= area.east + pad)
                & (y >= area.south - pad)
                & (y <= area.north + pad)
            )

        swapped = ~inside(lon, lat, m) & inside(lat, lon, 0.0)
        for j in np.flatnonzero(swapped):
            problems.add(
                where(raw.rownum[j]),
                f"{lat_field}/{lon_field}",
                f"a point near the area of use of {target.name} "
                f"(lon {area.west:g}..{area.east:g}, lat {area.south:g}.."
                f"{area.north:g})",
                f"lat {lat[j]:g}, lon {lon[j]:g} (latitude and longitude swapped?)",
            )
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

    lonlat = np.ascontiguousarray(np.column_stack([lon, lat])[keep]).reshape(-1, 2)
    transformer = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.ascontiguousarray(
        np.column_stack([np.asarray(x), np.asarray(y)]), dtype=np.float64
    ).reshape(-1, 2)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = np.asarray(raw.rownum)[keep][bad]
        errs = _Problems(source)
        for r, (lo, la) in zip(rows, lonlat[bad], strict=True):
            errs.add(
                where(int(r)),
                f"{lat_field}/{lon_field}",
                f"a point that projects to {target.name}",
                f"lat {la:g}, lon {lo:g}",
            )
        raise errs.error(GeodataError)

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
        source=source,
        fmt=fmt,
        num_after_start=int(after.sum()),
        num_imprecise=int(imprecise.sum()),
        crs=target.to_string(),
    )


def _read_table_format(
    path: str | Path, fmt: str, *, start: Any, crs: Any, max_geo_precision: int
) -> ThreatEvents:
    file = str(path)
    problems = _Problems(file)
    header, body, rownums = _read_csv(Path(path), file)
    if fmt == "acled":
        required = [
            "event_date",
            "event_type",
            "latitude",
            "longitude",
            "fatalities",
            "geo_precision",
        ]
        _need(header, required, problems, fmt="ACLED")
        if problems and "event_date" not in header and "date_start" in header:
            problems.items.append(
                f'{file}: this looks like a UCDP GED file (events_format = "ucdp")'
            )
        cols = _Columns(
            "event_date",
            "event_type",
            "sub_event_type" if "sub_event_type" in header else None,
            "latitude",
            "longitude",
            "fatalities",
            "geo_precision",
        )
        type_of = None
    else:
        required = [
            "date_start",
            "type_of_violence",
            "latitude",
            "longitude",
            "best",
            "where_prec",
        ]
        _need(header, required, problems, fmt="UCDP GED")
        if problems and "date_start" not in header and "event_date" in header:
            problems.items.append(
                f'{file}: this looks like an ACLED file (events_format = "acled")'
            )
        cols = _Columns(
            "date_start",
            "type_of_violence",
            None,
            "latitude",
            "longitude",
            "best",
            "where_prec",
        )
        type_of = _ucdp_type
    if problems:
        raise problems.error()
    if not body:
        raise ScenarioError(
            Problem(file, "", "", "at least one event row", "a header only")
        )
    records = [dict(zip(header, row, strict=False)) for row in body]
    where = _row_where(rownums)
    for i, row in enumerate(body):
        if len(row) != len(header):
            problems.add(
                where(i),
                "",
                f"{len(header)} columns as the header",
                f"{len(row)} columns",
            )
    raw = _parse_rows(
        records,
        cols,
        problems,
        where=where,
        type_of=type_of,
        max_code=_MAX_PRECISION_CODE[fmt],
    )
    return _finish(
        raw,
        problems,
        where=where,
        source=file,
        fmt=fmt,
        start=_as_utc(start),
        crs=crs,
        max_geo_precision=max_geo_precision,
        lat_field="latitude",
        lon_field="longitude",
    )


def _row_where(rownums: Sequence[int]) -> Callable[[int], str]:
    def where(i: int) -> str:
        return f"row {rownums[i]}"

    return where


def read_acled(
    path: str | Path, *, start: Any, crs: Any, max_geo_precision: int = 3
) -> ThreatEvents:
    """
    Read an ACLED export CSV (current or older schema); see :func:`read_events`.

    Examples
    --------
    >>> ev = read_acled("events.csv", start="2023-10-31T06:00Z", crs="EPSG:32631")
    ... # doctest: +SKIP
    """
    return _read_table_format(
        path, "acled", start=start, crs=crs, max_geo_precision=max_geo_precision
    )


def read_ucdp(
    path: str | Path, *, start: Any, crs: Any, max_geo_precision: int = 3
) -> ThreatEvents:
    """
    Read a UCDP GED CSV; see :func:`read_events`.

    Examples
    --------
    >>> ev = read_ucdp("ged.csv", start="2023-10-31T06:00Z", crs="EPSG:32631")
    ... # doctest: +SKIP
    """
    return _read_table_format(
        path, "ucdp", start=start, crs=crs, max_geo_precision=max_geo_precision
    )


def read_event_layer(
    path: str | Path,
    *,
    start: Any,
    crs: Any,
    date_field: str | None = None,
    type_field: str | None = None,
    max_geo_precision: int = 3,
) -> ThreatEvents:
    """
    Read a point layer (GeoJSON, GeoPackage, Shapefile...) of events.

    Parameters
    ----------
    path
        Any vector file GeoPandas reads, with Point features and a CRS.
    date_field, type_field
        The date and type attribute names; default ``"event_date"`` and
        ``"event_type"``. ``sub_event_type``, ``fatalities`` and ``geo_precision``
        are used when present.

    Other parameters are as in :func:`read_events`.

    Examples
    --------
    >>> ev = read_event_layer("events.gpkg", start="2023-10-31", crs="EPSG:32631",
    ...                       date_field="day", type_field="kind")  # doctest: +SKIP
    """
    import geopandas as gpd

    file = str(path)
    date_field = date_field or "event_date"
    type_field = type_field or "event_type"
    p = Path(path)
    if not p.exists():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    if p.is_file() and p.stat().st_size == 0:
        raise ScenarioError(Problem(file, "", "", "a point layer", "an empty file"))
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises its own errors for unreadable files
        raise ScenarioError(
            Problem(
                file,
                "",
                "",
                "a vector layer GeoPandas reads",
                str(exc).splitlines()[0][:200],
            )
        ) from None
    if len(gdf) == 0:
        raise ScenarioError(
            Problem(file, "", "", "at least one event feature", "no features")
        )
    if gdf.crs is None:
        raise GeodataError(Problem(file, "", "", "a layer with a CRS", "no CRS"))
    problems = _Problems(file)
    columns = {str(c).lower(): str(c) for c in gdf.columns}
    for name in (date_field, type_field):
        if name not in gdf.columns and name.lower() not in columns:
            problems.add(
                "header",
                name,
                "an attribute named by the scenario",
                f"attributes {[c for c in gdf.columns if c != 'geometry']}",
            )
    if problems:
        raise problems.error()

    def col(name: str) -> str | None:
        if name in gdf.columns:
            return name
        return columns.get(name.lower())

    geom = gdf.geometry
    where = _feature_where()
    types_ok = geom.geom_type.to_numpy()
    for i, t in enumerate(types_ok):
        if t != "Point":
            problems.add(where(i), "geometry", "a Point", repr(t))
    if problems:
        raise problems.error(GeodataError)
    pts = geom.to_crs("EPSG:4326")
    lonlat = list(
        zip(pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float), strict=True)
    )
    cols = _Columns(
        col(date_field) or date_field,
        col(type_field) or type_field,
        col("sub_event_type"),
        None,
        None,
        col("fatalities"),
        col("geo_precision"),
    )
    records = gdf.drop(columns="geometry").to_dict("records")
    raw = _parse_rows(
        records,
        cols,
        problems,
        where=where,
        lonlat=lonlat,
        max_code=_MAX_PRECISION_CODE["layer"],
    )
    return _finish(
        raw,
        problems,
        where=where,
        source=file,
        fmt="layer",
        start=_as_utc(start),
        crs=crs,
        max_geo_precision=max_geo_precision,
        lat_field="geometry",
        lon_field="geometry",
    )


def _feature_where() -> Callable[[int], str]:
    def where(i: int) -> str:
        return f"feature {i + 1}"

    return where


def read_events(
    path: str | Path,
    fmt: str,
    *,
    start: datetime | date | str | np.datetime64,
    crs: Any,
    date_field: str | None = None,
    type_field: str | None = None,
    max_geo_precision: int = 3,
) -> ThreatEvents:
    """
    Read, check and project threat events from an ACLED, UCDP GED or layer file.

    Parameters
    ----------
    path
        The events file.
    fmt
        ``"acled"``, ``"ucdp"`` or ``"layer"`` (see the module docstring).
    start
        The scenario start (UTC; a naive time is read as UTC). Events dated after
        it are dropped and counted in ``num_after_start``; ages are counted back
        from it, in days.
    crs
        Projected CRS for ``xy`` (anything :meth:`pyproj.CRS.from_user_input`
        takes, e.g. ``"EPSG:32631"``).
    date_field, type_field
        ``layer`` only: the date and type attributes (defaults ``"event_date"`` and
        ``"event_type"``).
    max_geo_precision
        Drop events whose precision code is above this (counted in
        ``num_imprecise``). Default 3 keeps every ACLED event.

    Returns
    -------
    ThreatEvents
        The events kept, in file order.

    Raises
    ------
    ScenarioError
        Listing every problem found: missing or empty file, missing column,
        unparseable date, non-finite, out-of-range or swapped coordinates,
        negative fatalities, bad precision code, unknown ``fmt``.
    GeodataError
        A layer without CRS or with non-point features, or points that do not
        project to ``crs``.

    Examples
    --------
    >>> ev = read_events("events.csv", "acled", start="2023-10-31T06:00:00Z",
    ...                  crs="EPSG:32631")  # doctest: +SKIP
    >>> ev.xy.shape  # doctest: +SKIP
    (412, 2)
    """
    if fmt not in EVENT_FORMATS:
        raise ScenarioError(
            Problem(
                str(path),
                "",
                "events_format",
                f"one of {list(EVENT_FORMATS)}",
                repr(fmt),
            )
        )
    if fmt == "layer":
        return read_event_layer(
            path,
            start=start,
            crs=crs,
            date_field=date_field,
            type_field=type_field,
            max_geo_precision=max_geo_precision,
        )
    return _read_table_format(
        path, fmt, start=start, crs=crs, max_geo_precision=max_geo_precision
    )


def guess_events_format(path: str | Path) -> str:
    """
    Guess an events file's format from its columns.

    ``"acled"`` if a CSV has ``event_date``, ``"ucdp"`` if it has ``date_start``
    and ``type_of_violence``, ``"layer"`` for any other readable file that is not a
    CSV (GeoJSON, GeoPackage, Shapefile).

    Raises
    ------
    ScenarioError
        A missing or empty file, or a CSV that is neither ACLED nor UCDP GED.

    Examples
    --------
    >>> guess_events_format("ged231.csv")  # doctest: +SKIP
    'ucdp'
    """
    p = Path(path)
    file = str(path)
    if not p.exists():
        raise ScenarioError(Problem(file, "", "", "an existing file", "no such file"))
    if p.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return "layer"
    header, _, _ = _read_csv(p, file)
    if "event_date" in header:
        return "acled"
    if "date_start" in header and "type_of_violence" in header:
        return "ucdp"
    raise ScenarioError(
        Problem(
            file,
            "header",
            "",
            "an ACLED CSV (with event_date) or "
            "a UCDP GED CSV (with date_start, type_of_violence)",
            f"columns {header[:12]}",
        )
    )

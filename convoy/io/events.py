"""Threat events: past incidents read from ACLED, UCDP GED or any point layer.

The risk field (:mod:`convoy.risk.field`) is a kernel sum over these events. This
module only reads, checks and projects them; what an event type means for the risk
is decided by the channel rules in :class:`convoy.params.RiskParams`.

Three formats are read (``fmt``):

- ``"acled"``: an ACLED export CSV, current schema (``event_date``, ``event_type``,
  ``sub_event_type``, ``latitude``, ``longitude``, ``fatalities``,
  ``geo_precision``, optional: precision 1 without it) or the older one (no
  ``sub_event_type`` column, type
  ``"Remote violence"``). Column names are matched case-insensitively, since old
  exports wrote them in capitals.
- ``"ucdp"``: a UCDP GED CSV (``date_start``, ``type_of_violence`` 1/2/3 read as
  types ``"ucdp:1"``..., ``best`` as fatalities, ``latitude``, ``longitude``,
  ``where_prec`` as precision, optional: 1 without it).
- ``"layer"``: any point layer GeoPandas reads, with a date column and a type
  column named by the caller (optional ``sub_event_type``, ``fatalities`` and
  ``geo_precision`` columns are used when present).

CSV files are streamed by :func:`convoy.io.tables.csv_rows` (UTF-8 only, the
delimiter detected, rows parsed as they are read), layers are read by
:func:`convoy.io.layers.read_layer`; both refuse a file past the input size limit.
Rows are reported as a spreadsheet shows them: the header is row 1, the first event
row 2. Features of a layer are numbered from 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from convoy._problems import Problems
from convoy.errors import GeodataError, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io._event_rows import (
    MAX_PRECISION_CODE,
    Columns,
    finish,
    parse_rows,
    ucdp_type,
)
from convoy.io.layers import read_layer
from convoy.io.tables import csv_rows, describe_header, repeated_columns
from convoy.times import as_utc

#: Formats :func:`read_events` reads.
EVENT_FORMATS: tuple[str, ...] = ("acled", "ucdp", "layer")

#: Columns an ACLED export must have.
ACLED_COLUMNS: tuple[str, ...] = (
    "event_date",
    "event_type",
    "latitude",
    "longitude",
    "fatalities",
)
#: Columns a UCDP GED file must have.
UCDP_COLUMNS: tuple[str, ...] = (
    "date_start",
    "type_of_violence",
    "latitude",
    "longitude",
    "best",
)

_EMPTY_CSV = "a CSV with a header and events"


def _start_utc(start: datetime | date | str | np.datetime64) -> datetime:
    """The scenario start in UTC (a naive time is read as UTC)."""
    try:
        return as_utc(start)
    except ValueError:
        msg = f"start: expected an ISO 8601 time, found {start!r}"
        raise ScenarioError(msg) from None


def _need(
    header: Sequence[str], names: Sequence[str], problems: Problems, *, fmt: str
) -> None:
    for name in names:
        if name not in header:
            problems.add(
                "",
                "header",
                name,
                f"a column {name!r} ({fmt} format)",
                describe_header(header),
            )


def _table_columns(
    header: Sequence[str], fmt: str, problems: Problems
) -> tuple[Columns, Callable[[str], str] | None]:
    """Where the fields are in an ACLED or UCDP header; missing ones are problems."""
    file = problems.file
    if fmt == "acled":
        _need(header, ACLED_COLUMNS, problems, fmt="ACLED")
        if problems and "event_date" not in header and "date_start" in header:
            problems.append(
                f'{file}: this looks like a UCDP GED file (events_format = "ucdp")'
            )
        sub = "sub_event_type" if "sub_event_type" in header else None
        return Columns(
            "event_date",
            "event_type",
            sub,
            "latitude",
            "longitude",
            "fatalities",
            "geo_precision" if "geo_precision" in header else None,
        ), None
    _need(header, UCDP_COLUMNS, problems, fmt="UCDP GED")
    if problems and "date_start" not in header and "event_date" in header:
        problems.append(
            f'{file}: this looks like an ACLED file (events_format = "acled")'
        )
    cols = Columns(
        "date_start",
        "type_of_violence",
        None,
        "latitude",
        "longitude",
        "best",
        "where_prec" if "where_prec" in header else None,
    )
    return cols, ucdp_type


def _read_table_format(
    path: str | Path, fmt: str, *, start: Any, crs: Any, max_geo_precision: int
) -> ThreatEvents:
    file = str(path)
    problems = Problems(file)
    with csv_rows(Path(path), file, empty_expected=_EMPTY_CSV) as (header, rows):
        for col in repeated_columns(header):
            problems.add("", "row 1", col, "each column once", "a repeated column")
        cols, type_of = _table_columns(header, fmt, problems)
        if problems:
            raise problems.error()
        rownums: list[int] = []

        def records() -> Iterator[dict[str, str]]:
            for n, row in rows:
                rownums.append(n)
                if len(row) != len(header):
                    problems.add(
                        "",
                        f"row {n}",
                        "",
                        f"{len(header)} columns as the header",
                        f"{len(row)} columns",
                    )
                yield dict(zip(header, row, strict=False))

        where = _row_where(rownums)
        raw = parse_rows(
            records(),
            cols,
            problems,
            where=where,
            type_of=type_of,
            max_code=MAX_PRECISION_CODE[fmt],
        )
    if not rownums:
        raise ScenarioError(
            Problem(file, "", "", "at least one event row", "a header only")
        )
    return finish(
        raw,
        problems,
        where=where,
        fmt=fmt,
        start=_start_utc(start),
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
    layer: str = "",
) -> ThreatEvents:
    """
    Read a point layer (GeoJSON, GeoPackage, Shapefile...) of events.

    Parameters
    ----------
    path
        Any vector file GDAL reads, with Point features and a CRS.
    date_field, type_field
        The date and type attribute names; default ``"event_date"`` and
        ``"event_type"``. ``sub_event_type``, ``fatalities`` and ``geo_precision``
        are used when present.
    layer
        The layer of a multi-layer file (a GeoPackage's table); empty: the first.

    Other parameters are as in :func:`read_events`.

    Examples
    --------
    >>> ev = read_event_layer("events.gpkg", start="2023-10-31", crs="EPSG:32631",
    ...                       date_field="day", type_field="kind")  # doctest: +SKIP
    """
    file = str(path)
    date_field = date_field or "event_date"
    type_field = type_field or "event_type"
    gdf = read_layer(Path(path), file, layer)
    if len(gdf) == 0:
        raise ScenarioError(
            Problem(file, "", "", "at least one event feature", "no features")
        )
    problems = Problems(file)
    columns = {str(c).lower(): str(c) for c in gdf.columns}
    for name in (date_field, type_field):
        if name not in gdf.columns and name.lower() not in columns:
            problems.add(
                "",
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
    for i, t in enumerate(geom.geom_type.to_numpy()):
        if t != "Point":
            problems.add("", where(i), "geometry", "a Point", repr(t))
    if problems:
        raise problems.error(GeodataError)
    pts = geom.to_crs("EPSG:4326")
    lonlat = list(
        zip(pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float), strict=True)
    )
    cols = Columns(
        col(date_field) or date_field,
        col(type_field) or type_field,
        col("sub_event_type"),
        None,
        None,
        col("fatalities"),
        col("geo_precision"),
    )
    records = gdf.drop(columns="geometry").to_dict("records")
    raw = parse_rows(
        records,
        cols,
        problems,
        where=where,
        lonlat=lonlat,
        max_code=MAX_PRECISION_CODE["layer"],
    )
    return finish(
        raw,
        problems,
        where=where,
        fmt="layer",
        start=_start_utc(start),
        crs=crs,
        max_geo_precision=max_geo_precision,
        lat_field="geometry",
        lon_field="geometry",
        date_field=cols.date,
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
    layer: str = "",
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
    layer
        ``layer`` only: the layer of a multi-layer file; empty: the first.

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
            layer=layer,
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
    with csv_rows(p, file, empty_expected=_EMPTY_CSV) as (header, _):
        pass
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
            describe_header(header),
        )
    )

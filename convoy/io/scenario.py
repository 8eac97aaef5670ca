"""The records a scenario is made of: sites, vehicles, equipment lots, the scenario.

Each record checks its own fields in ``__post_init__`` and raises
:class:`~convoy.errors.ScenarioError`; checks across records live in
:mod:`convoy.io.validate`. :func:`read_scenario` loads a whole scenario folder (see
``docs/scenario-format.md``), collects every problem of every file and raises them
together, before any work starts.

Rows of a CSV are numbered as a spreadsheet shows them (the header is row 1, the
first vehicle or lot row 2); features of a layer from 1, in file order.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import tomllib
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from convoy.errors import DataQualityWarning, GeodataError, Problem, ScenarioError
from convoy.params import (
    SURFACES,
    CalibrationParams,
    LoadParams,
    MovementParams,
    PriceParams,
    RiskParams,
    RoadParams,
    SimulationParams,
    SolverParams,
)
from convoy.scenario import Lot, Scenario, ScenarioFiles, Site, Vehicle

if TYPE_CHECKING:
    from convoy.events import ThreatEvents
    from convoy.roads import RoadNetwork


# --------------------------------------------------------------------------------------
# Reading a scenario folder

logger = logging.getLogger(__name__)

#: The embedded scenario used when none is named.
DEFAULT_SCENARIO = "kidal-gao"

#: Environment variable naming a folder of scenarios to use instead of ``geodata/``.
GEODATA_ENV = "CONVOY_GEODATA"

#: Keys of ``[scenario]``; the first four are required.
_SCENARIO_KEYS: tuple[str, ...] = (
    "start",
    "deadline",
    "origin",
    "destination",
    "title",
    "air_cover",
    "personnel",
    "seed",
)

#: Keys of ``[files]`` and their defaults (the conventional file names).
_FILE_DEFAULTS: dict[str, str] = {
    "roads": "roads.geojson",
    "sites": "sites.geojson",
    "events": "events.csv",
    "fleet": "fleet.csv",
    "manifest": "manifest.csv",
}
_FILE_OPTIONS: dict[str, str] = {
    "events_format": "",
    "events_date_field": "event_date",
    "events_type_field": "event_type",
}

#: Parameter tables of ``scenario.toml`` and their dataclasses.
_PARAM_TABLES: dict[str, type[Any]] = {
    "roads": RoadParams,
    "movement": MovementParams,
    "risk": RiskParams,
    "calibration": CalibrationParams,
    "prices": PriceParams,
    "loads": LoadParams,
    "solver": SolverParams,
    "simulation": SimulationParams,
}

#: Columns of fleet.csv (``value_usd`` is optional).
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

_POSITIVE: tuple[Callable[[float], bool], str] = (lambda v: v > 0, "a number > 0")
_NON_NEGATIVE: tuple[Callable[[float], bool], str] = (lambda v: v >= 0, "a number >= 0")
_PROBABILITY: tuple[Callable[[float], bool], str] = (
    lambda v: 0 < v <= 1,
    "a probability in (0, 1]",
)

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def geodata_dir() -> Path:
    """
    Folder holding the embedded scenarios.

    ``$CONVOY_GEODATA`` when set, else ``geodata/`` beside the ``convoy`` package.
    """
    env = os.environ.get(GEODATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import convoy

    return Path(convoy.__file__).resolve().parents[1] / "geodata"


def embedded_scenarios() -> dict[str, Path]:
    """
    The embedded scenarios: folder name to folder, for every folder with a
    ``scenario.toml`` in :func:`geodata_dir`, sorted by name.

    Examples
    --------
    >>> sorted(embedded_scenarios())  # doctest: +SKIP
    ['kidal-gao']
    """
    root = geodata_dir()
    if not root.is_dir():
        return {}
    return {
        p.name: p
        for p in sorted(root.iterdir(), key=lambda q: q.name)
        if p.is_dir() and (p / "scenario.toml").is_file()
    }


def resolve_scenario(arg: str | Path) -> Path:
    """
    The ``scenario.toml`` a command-line argument names.

    Parameters
    ----------
    arg
        A scenario folder, a ``scenario.toml`` (any file name), or the name of an
        embedded scenario (see :func:`embedded_scenarios`). A path that exists
        wins over a name.

    Returns
    -------
    Path
        The scenario file.

    Raises
    ------
    ScenarioError
        If the argument is none of those; the message lists the embedded names.

    Examples
    --------
    >>> resolve_scenario("kidal-gao").name  # doctest: +SKIP
    'scenario.toml'
    """
    path = Path(arg).expanduser()
    if path.is_dir():
        toml = path / "scenario.toml"
        if not toml.is_file():
            raise ScenarioError(
                Problem(
                    str(toml),
                    "",
                    "",
                    "a scenario.toml in the scenario folder",
                    "no such file",
                )
            )
        return toml
    if path.is_file():
        return path
    embedded = embedded_scenarios()
    if str(arg) in embedded:
        return embedded[str(arg)] / "scenario.toml"
    raise ScenarioError(
        Problem(
            str(arg),
            "",
            "",
            f"a scenario folder, a scenario.toml or an embedded scenario "
            f"({', '.join(embedded) or 'none found in ' + str(geodata_dir())})",
            "no such file, folder or name",
        )
    )


class _Problems:
    """Every problem found while reading, from every file."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(
        self,
        file: str,
        where: str = "",
        field: str = "",
        expected: str = "",
        found: str = "",
    ) -> None:
        self.items.append(Problem(file, where, field, expected, found))

    def take(
        self, exc: ScenarioError, file: str | None = None, where: str | None = None
    ) -> None:
        """Add an error's problems, filling in the file and place where missing."""
        for p in exc.problems:
            if isinstance(p, Problem):
                self.items.append(
                    Problem(
                        p.file or (file or ""),
                        where if where is not None else p.where,
                        p.field,
                        p.expected,
                        p.found,
                    )
                )
            else:
                self.items.append(Problem(file or "", where or "", "", "", str(p)))

    def __bool__(self) -> bool:
        return bool(self.items)


def _label(path: Path) -> str:
    """A file as messages name it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_toml(path: Path, label: str, problems: _Problems) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(label, "", "", "a readable file", exc.strerror or str(exc))
        return None
    if not raw.strip():
        problems.add(
            label, "", "", "a TOML file with [scenario] and [files]", "an empty file"
        )
        return None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.add(label, "", "", "UTF-8 text", "undecodable bytes")
    except tomllib.TOMLDecodeError as exc:
        problems.add(label, "", "", "valid TOML", str(exc))
    return None


def _parse_time(value: Any) -> datetime:
    """A timezone-aware UTC datetime from a TOML datetime or an ISO 8601 string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = "an ISO 8601 time such as '2023-10-31T06:00:00Z'"
            raise ValueError(msg) from None
    if not isinstance(value, datetime):
        msg = "an ISO 8601 time such as '2023-10-31T06:00:00Z'"
        raise ValueError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = "a time with 'Z' or a UTC offset (times are UTC)"
        raise ValueError(msg)
    return value.astimezone(UTC)


def _read_header(
    doc: Mapping[str, Any], label: str, problems: _Problems
) -> dict[str, Any]:
    """The ``[scenario]`` table, checked; missing values are None."""
    table = doc.get("scenario")
    out: dict[str, Any] = {k: None for k in _SCENARIO_KEYS}
    out.update(title="", air_cover=False, personnel=0, seed=0)
    if not isinstance(table, dict):
        problems.add(
            label,
            "[scenario]",
            "",
            "a [scenario] table",
            "none" if table is None else repr(table),
        )
        return out
    where = "[scenario]"
    for key in table:
        if key not in _SCENARIO_KEYS:
            problems.add(
                label, where, key, f"one of {sorted(_SCENARIO_KEYS)}", "an unknown key"
            )
    for key in ("start", "deadline"):
        if key not in table:
            problems.add(label, where, key, "an ISO 8601 UTC time", "nothing")
            continue
        try:
            out[key] = _parse_time(table[key])
        except ValueError as exc:
            problems.add(label, where, key, str(exc), repr(table[key]))
    for key in ("origin", "destination"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.add(
                label,
                where,
                key,
                "a site name",
                "nothing" if value is None else repr(value),
            )
        else:
            out[key] = value.strip()
    if "title" in table:
        if isinstance(table["title"], str):
            out["title"] = table["title"]
        else:
            problems.add(label, where, "title", "a string", repr(table["title"]))
    if "air_cover" in table:
        if isinstance(table["air_cover"], bool):
            out["air_cover"] = table["air_cover"]
        else:
            problems.add(
                label, where, "air_cover", "true or false", repr(table["air_cover"])
            )
    for key in ("personnel", "seed"):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.add(label, where, key, "an integer >= 0", repr(value))
            else:
                out[key] = value
    return out


def _read_files(
    doc: Mapping[str, Any], folder: Path, toml: Path, label: str, problems: _Problems
) -> ScenarioFiles:
    """The ``[files]`` table: paths relative to the scenario file, checked."""
    table = doc.get("files")
    where = "[files]"
    values: dict[str, str] = {**_FILE_DEFAULTS, **_FILE_OPTIONS}
    if not isinstance(table, dict):
        problems.add(
            label,
            where,
            "",
            "a [files] table naming the input files",
            "none" if table is None else repr(table),
        )
        table = {}
    allowed = sorted([*_FILE_DEFAULTS, *_FILE_OPTIONS])
    for key, value in table.items():
        if key not in values:
            problems.add(label, where, key, f"one of {allowed}", "an unknown key")
        elif not isinstance(value, str) or (
            key in _FILE_DEFAULTS and not value.strip()
        ):
            problems.add(label, where, key, "a file path (a string)", repr(value))
        else:
            values[key] = value.strip()
    fmt = values["events_format"]
    if fmt and fmt not in ("acled", "ucdp", "layer"):
        problems.add(
            label,
            where,
            "events_format",
            "one of ['acled', 'ucdp', 'layer']",
            repr(fmt),
        )
    return ScenarioFiles(
        scenario=toml,
        **{k: (folder / values[k]).resolve() for k in _FILE_DEFAULTS},
        events_format=fmt,
        events_date_field=values["events_date_field"],
        events_type_field=values["events_type_field"],
    )


def _read_params(
    doc: Mapping[str, Any], label: str, problems: _Problems
) -> dict[str, Any]:
    """Every parameter table; a bad one is reported and replaced by its defaults."""
    out: dict[str, Any] = {}
    known = ["scenario", "files", *_PARAM_TABLES]
    for key, value in doc.items():
        if key not in known:
            problems.add(
                label, f"[{key}]", "", f"one of the tables {known}", "an unknown table"
            )
        elif key in _PARAM_TABLES and not isinstance(value, dict):
            problems.add(label, f"[{key}]", "", "a table", repr(value))
    for key, cls in _PARAM_TABLES.items():
        table = doc.get(key)
        try:
            out[key] = cls.from_toml(
                table if isinstance(table, dict) else None, file=label
            )
        except ScenarioError as exc:
            problems.take(exc, file=label)
            out[key] = cls()
    try:
        out["risk"].channel_rules()
    except ScenarioError as exc:
        problems.take(exc, file=label)
    return out


def _read_csv_rows(
    path: Path, label: str, required: tuple[str, ...], problems: _Problems
) -> list[tuple[int, dict[str, str]]] | None:
    """
    Rows of a CSV as ``(spreadsheet row number, {column: text})``.

    Returns None (after recording why) when the file cannot be used at all:
    missing, unreadable, empty, or without a required column.
    """
    if not path.is_file():
        problems.add(label, "", "", "an existing file", "no such file")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.add(label, "", "", "UTF-8 text", "undecodable bytes")
        return None
    except OSError as exc:
        problems.add(label, "", "", "a readable file", exc.strerror or str(exc))
        return None
    if not text.strip():
        problems.add(
            label,
            "",
            "",
            f"a CSV with a header ({', '.join(required)})",
            "an empty file",
        )
        return None
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in required if c not in header]
    for col in missing:
        problems.add(label, "row 1", col, f"a column {col!r}", f"columns {header}")
    seen: set[str] = set()
    for col in header:
        if col in seen and col:
            problems.add(label, "row 1", col, "each column once", "a repeated column")
        seen.add(col)
    if missing:
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        n = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.add(
                label,
                f"row {n}",
                "",
                f"{len(header)} cells as in the header",
                f"{len(cells)} cells",
            )
            continue
        rows.append((n, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    return rows


class _RowParser:
    """Typed cells of one CSV row; every bad cell is recorded, parsing goes on."""

    def __init__(
        self, row: Mapping[str, str], label: str, where: str, problems: _Problems
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
    return f"row {n}" + (f" ({ident!r})" if ident else "")


def _build(
    factory: Callable[..., Any],
    kwargs: dict[str, Any],
    label: str,
    where: str,
    problems: _Problems,
) -> Any:
    try:
        return factory(**kwargs)
    except ScenarioError as exc:
        problems.take(exc, file=label, where=where)
        return None


def _read_fleet(path: Path, problems: _Problems) -> list[tuple[str, Vehicle]]:
    """The vehicles of fleet.csv that load; each bad cell is a problem."""
    label = _label(path)
    rows = _read_csv_rows(path, label, FLEET_COLUMNS, problems)
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
        }
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
        v = _build(Vehicle, kwargs, label, where, problems)
        if v is not None:
            out.append((where, v))
    return out


def _read_manifest(path: Path, problems: _Problems) -> list[tuple[str, Lot]]:
    """The lots of manifest.csv that load; each bad cell is a problem."""
    label = _label(path)
    rows = _read_csv_rows(path, label, MANIFEST_COLUMNS, problems)
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
        lot = _build(Lot, kwargs, label, where, problems)
        if lot is not None:
            out.append((where, lot))
    return out


def _read_sites(
    path: Path, problems: _Problems, unreadable: set[str]
) -> list[tuple[str, Site]]:
    from convoy.roads.build import cap_problems, coordinate_problems, read_layer

    label = _label(path)
    try:
        gdf = read_layer(path, label)
    except ScenarioError as exc:
        problems.take(exc, file=label)
        return []
    gdf = gdf.reset_index(drop=True)
    if len(gdf) == 0:
        problems.add(
            label,
            "",
            "",
            "at least one site (the origin and destination)",
            "an empty layer",
        )
        return []
    cols = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    missing = [c for c in ("name", "kind") if c not in cols]
    for col in missing:
        problems.add(
            label, "", col, f"an attribute {col!r}", f"attributes {sorted(cols)}"
        )
    names = [_cell(v) for v in gdf[cols["name"]]] if "name" in cols else [""] * len(gdf)
    found: list[Problem] = []
    geoms = gdf.geometry.values
    import shapely

    ok = np.ones(len(gdf), dtype=bool)
    for f, g in enumerate(geoms):
        where = f"feature {f + 1}" + (f" ({names[f]!r})" if names[f] else "")
        if g is None or g.is_empty:
            found.append(Problem(label, where, "geometry", "a point", "no geometry"))
            ok[f] = False
        elif g.geom_type != "Point":
            found.append(Problem(label, where, "geometry", "a point", g.geom_type))
            ok[f] = False
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    coord = coordinate_problems(
        xy, idx, geographic=bool(gdf.crs.is_geographic), file=label, labels=names
    )
    for p in coord:
        ok[int(p.where.split()[1]) - 1] = False
    found += coord
    for p in cap_problems(found, label):
        problems.items.append(p)
    unreadable.update(n for n, good in zip(names, ok, strict=True) if n and not good)
    if missing or not ok.any():
        return []
    sub = gdf[ok]
    if not (gdf.crs.is_geographic and gdf.crs.equals("EPSG:4326")):
        sub = sub.to_crs("EPSG:4326")
    out: list[tuple[str, Site]] = []
    for f, g, name, kind in zip(
        np.flatnonzero(ok).tolist(),
        sub.geometry.values,
        sub[cols["name"]],
        sub[cols["kind"]],
        strict=True,
    ):
        nm = _cell(name)
        where = f"feature {f + 1}" + (f" ({nm!r})" if nm else "")
        site = _build(
            Site,
            {
                "name": nm,
                "kind": _cell(kind).lower(),
                "lon": float(g.x),
                "lat": float(g.y),
            },
            label,
            where,
            problems,
        )
        if site is not None:
            out.append((where, site))
        elif nm:
            unreadable.add(nm)
    return out


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _fallback_crs(sites: list[tuple[str, Site]], params: RoadParams) -> Any:
    """A working CRS for the events when the roads could not be built."""
    from convoy.roads.build import utm_crs

    if params.crs:
        return params.crs
    if not sites:
        return None
    lon = float(np.mean([s.lon for _, s in sites]))
    lat = float(np.mean([s.lat for _, s in sites]))
    return utm_crs(lon, lat)


def read_scenario(path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """
    Load and check a whole scenario: parameters, sites, roads, fleet, manifest, events.

    Parameters
    ----------
    path
        A scenario folder, its ``scenario.toml``, or the name of an embedded
        scenario (default ``"kidal-gao"``).

    Returns
    -------
    Scenario
        Every record loaded and cross-checked, the road network built with the
        sites snapped to it, and the events projected into its CRS.

    Raises
    ------
    ScenarioError
        One error listing every problem in every file (missing, empty or
        unreadable files; unknown keys; bad cells by row and column; bad features;
        duplicate ids; unknown camps; origin and destination not joined by road;
        too few seats...). A :class:`~convoy.errors.GeodataError` when every
        problem is geographic.

    Warns
    -----
    DataQualityWarning
        Legal but suspicious input: a site far from any road, a lot no vehicle can
        carry, a halt the column cannot reach.

    Examples
    --------
    >>> sc = read_scenario("kidal-gao")  # doctest: +SKIP
    >>> sc.origin, sc.destination  # doctest: +SKIP
    ('Kidal', 'Gao')
    """
    from convoy.io.events import guess_events_format, read_events
    from convoy.io.validate import check_scenario
    from convoy.roads import road_network_from_layer

    toml = resolve_scenario(path)
    logger.info("reading scenario %s", toml)
    folder = toml.parent
    label = _label(toml)
    problems = _Problems()
    doc = _read_toml(toml, label, problems)
    if doc is None:
        raise ScenarioError(problems.items)
    header = _read_header(doc, label, problems)
    files = _read_files(doc, folder, toml, label, problems)
    params = _read_params(doc, label, problems)

    unreadable_sites: set[str] = set()
    sites = _read_sites(files.sites, problems, unreadable_sites)
    before = len(problems.items)
    vehicles = _read_fleet(files.fleet, problems)
    fleet_complete = len(problems.items) == before
    lots = _read_manifest(files.manifest, problems)

    roads: RoadNetwork | None = None
    try:
        roads = road_network_from_layer(
            files.roads,
            params=params["roads"],
            sites=[s for _, s in sites],
            label=_label(files.roads),
            sites_label=_label(files.sites),
        )
    except ScenarioError as exc:
        for p in exc.problems:  # a bad [roads] crs is the scenario file's problem
            on_toml = isinstance(p, Problem) and p.where == "[roads]"
            problems.take(
                ScenarioError(p), file=label if on_toml else _label(files.roads)
            )

    events: ThreatEvents | None = None
    crs = roads.crs if roads is not None else _fallback_crs(sites, params["roads"])
    if crs is not None and header["start"] is not None:
        try:
            # named as the other files are, so messages read alike
            events_path = Path(_label(files.events))
            fmt = files.events_format or guess_events_format(events_path)
            events = read_events(
                events_path,
                fmt,
                start=header["start"],
                crs=crs,
                date_field=files.events_date_field,
                type_field=files.events_type_field,
                max_geo_precision=params["risk"].max_geo_precision,
            )
        except ScenarioError as exc:
            problems.take(exc, file=_label(files.events))

    cross, notes = check_scenario(
        scenario_file=label,
        header=header,
        sites=sites,
        vehicles=vehicles,
        lots=lots,
        roads=roads,
        roads_file=_label(files.roads),
        fleet_file=_label(files.fleet),
        manifest_file=_label(files.manifest),
        sites_file=_label(files.sites),
        calibration=params["calibration"],
        unreadable_sites=frozenset(unreadable_sites),
        fleet_complete=fleet_complete,
    )
    problems.items += cross

    if problems:
        geo = all(
            isinstance(p, Problem)
            and p.file in (_label(files.roads), _label(files.sites))
            for p in problems.items
        )
        raise (GeodataError if geo else ScenarioError)(problems.items)
    if roads is None or events is None:  # unreachable: a failed read is a problem
        msg = f"{label}: the roads or the events could not be read"
        raise ScenarioError(msg)
    logger.info(
        "%s: %d sites, %d vehicles, %d lots, %d events",
        label,
        len(sites),
        len(vehicles),
        len(lots),
        events.num_events,
    )
    for note in notes:
        warnings.warn(note, DataQualityWarning, stacklevel=2)
    return Scenario(
        name=folder.name,
        title=header["title"] or folder.name,
        start=header["start"],
        deadline=header["deadline"],
        origin=header["origin"],
        destination=header["destination"],
        air_cover=header["air_cover"],
        personnel=header["personnel"],
        seed=header["seed"],
        files=files,
        sites=tuple(s for _, s in sites),
        vehicles=tuple(v for _, v in vehicles),
        lots=tuple(lot for _, lot in lots),
        roads=roads,
        events=events,
        roads_params=params["roads"],
        movement=params["movement"],
        risk=params["risk"],
        calibration=params["calibration"],
        prices=params["prices"],
        loads=params["loads"],
        solver=params["solver"],
        simulation=params["simulation"],
    )

"""Reading a whole scenario folder: ``scenario.toml`` and the files it names.

:func:`read_scenario` loads every file (see ``docs/scenario-format.md``) with the
readers of :mod:`convoy.io` (``[files]`` keys, tables, layers, events, fleet,
sites, roads), runs the cross-record checks of :mod:`convoy.io.validate`, collects
every problem of every file and raises them together, before any work starts.
:func:`resolve_scenario` and :func:`embedded_scenarios` find the scenario a
command names.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from convoy._problems import Problems
from convoy.errors import DataQualityWarning, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io.camps import camp_problems, read_camps
from convoy.io.events import guess_events_format, read_events
from convoy.io.file_keys import INSIDE_FOLDER, read_files
from convoy.io.files import label_of
from convoy.io.fleet import read_fleet, read_manifest
from convoy.io.overrides import apply_overrides
from convoy.io.reference import (
    historical_trip,
    read_reference_trip,
    read_reference_trips,
    trip_problems,
)
from convoy.io.roads import read_roads
from convoy.io.sites import fallback_crs, read_sites
from convoy.io.swaps import blame_roads, events_centre
from convoy.io.toml import read_toml
from convoy.io.validate import check_scenario
from convoy.params import (
    CalibrationParams,
    LoadParams,
    MovementParams,
    PriceParams,
    ReportParams,
    RiskParams,
    RoadParams,
    SectorParams,
    SimulationParams,
    SolverParams,
)
from convoy.roads import RoadNetwork
from convoy.scenario import (
    Camp,
    Lot,
    ReferenceTrip,
    Scenario,
    ScenarioFiles,
    Site,
    Vehicle,
)
from convoy.times import parse_utc

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
    "report": ReportParams,
}


def geodata_dir() -> Path:
    """
    Folder holding the embedded scenarios.

    ``$CONVOY_GEODATA`` when set, else ``geodata/`` beside the ``convoy`` package.
    """
    env = os.environ.get(GEODATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    # this file is convoy/io/scenario.py; geodata/ sits beside the package
    return Path(__file__).resolve().parents[2] / "geodata"


def embedded_scenarios() -> dict[str, Path]:
    """
    The embedded scenarios: folder name to folder, sorted by name.

    Every folder of :func:`geodata_dir` with a ``scenario.toml`` is one.

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


def scenario_title(folder: Path) -> str:
    """
    The ``[scenario] title`` of a scenario folder, or why it cannot be read.

    For listings: never raises; an unreadable ``scenario.toml`` gives a short
    note in brackets instead of the title.
    """
    problems = Problems()
    doc = read_toml(folder / "scenario.toml", "scenario.toml", problems)
    if doc is None:
        first = problems.items[0] if problems else "unreadable"
        return f"(unreadable scenario.toml: {first})"
    table = doc.get("scenario")
    title = table.get("title", "") if isinstance(table, dict) else ""
    return str(title) if title else "(no title)"


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


def _read_header(
    doc: Mapping[str, Any], label: str, problems: Problems
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
            out[key] = parse_utc(table[key])
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


def _read_params(
    doc: Mapping[str, Any], label: str, problems: Problems
) -> dict[str, Any]:
    """Every parameter table; a bad one is reported and replaced by its defaults."""
    out: dict[str, Any] = {}
    known = ["scenario", "files", *_PARAM_TABLES, "reference_trips", "camps", "sector"]
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


def _read_roads(
    files: ScenarioFiles,
    params: RoadParams,
    sites: list[tuple[str, Site]],
    label: str,
    problems: Problems,
) -> RoadNetwork | None:
    """The network with the sites snapped, or None after recording why not."""
    roads_label = label_of(files.roads)
    try:
        return read_roads(
            files.roads,
            params=params,
            sites=[s for _, s in sites],
            label=roads_label,
            sites_label=label_of(files.sites),
            layer=files.layer("roads"),
        )
    except ScenarioError as exc:
        fmt = files.events_format or ("acled" if files.events.suffix == ".csv" else "")
        found = blame_roads(
            exc.problems,
            [s for _, s in sites],
            events_centre(files.events, fmt),
            roads_label,
        )
        for p in found:  # a bad [roads] crs is the scenario file's problem
            on_toml = isinstance(p, Problem) and p.where == "[roads]"
            problems.take(ScenarioError(p), file=label if on_toml else roads_label)
    return None


def _read_events(
    files: ScenarioFiles,
    crs: Any,
    start: datetime | None,
    risk: RiskParams,
    problems: Problems,
) -> ThreatEvents | None:
    """The events projected into ``crs``, or None after recording why not."""
    if crs is None or start is None:
        return None
    # named as the other files are, so messages read alike
    events_path = Path(label_of(files.events))
    try:
        fmt = files.events_format or guess_events_format(events_path)
        if files.layer("events") and fmt != "layer":
            raise ScenarioError(
                Problem(
                    label_of(files.scenario),
                    "[files]",
                    "events",
                    "'|layername=' only with events_format = 'layer'",
                    f"events_format {fmt!r}",
                )
            )
        return read_events(
            events_path,
            fmt,
            start=start,
            crs=crs,
            date_field=files.events_date_field,
            type_field=files.events_type_field,
            max_geo_precision=risk.max_geo_precision,
            layer=files.layer("events"),
        )
    except ScenarioError as exc:
        problems.take(exc, file=label_of(files.events))
    return None


def read_scenario(
    path: str | Path = DEFAULT_SCENARIO, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """
    Load and check a whole scenario: parameters, sites, roads, fleet, manifest, events.

    Parameters
    ----------
    path
        A scenario folder, its ``scenario.toml``, or the name of an embedded
        scenario (default ``"kidal-gao"``).
    overrides
        ``{"table.key": value}`` set in the parsed ``scenario.toml`` before it is
        read (:mod:`convoy.io.overrides`), checked as the file's own keys are.

    Returns
    -------
    Scenario
        Every record loaded and cross-checked, the road network built with the
        sites snapped to it, the events projected into its CRS, and the reference
        trip of ``[calibration]``.

    Raises
    ------
    ScenarioError
        One error listing every problem in every file (missing, empty or
        unreadable files; unknown keys; bad cells by row and column; bad features;
        duplicate ids; unknown camps; origin and destination not joined by road;
        too few seats; a reference trip outside the scenario's dates...). A
        :class:`~convoy.errors.GeodataError` when every problem is geographic.

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
    toml = resolve_scenario(path)
    logger.info("reading scenario %s", toml)
    label = label_of(toml)
    problems = Problems(label)
    doc = read_toml(
        toml, label, problems, expected="a TOML file with [scenario] and [files]"
    )
    if doc is None:
        raise problems.error()
    if overrides:
        doc = apply_overrides(doc, overrides, label, problems)
    header = _read_header(doc, label, problems)
    files = read_files(doc, toml.parent, toml, label, problems)
    if any(
        isinstance(p, Problem) and p.expected.startswith(INSIDE_FOLDER)
        for p in problems.items
    ):
        raise problems.error()  # a file outside the folder is never read
    params = _read_params(doc, label, problems)
    reference, trips = _read_trips(doc, header, params, label, problems)
    camps, sector = read_camps(doc, header, label, problems)

    unreadable_sites: set[str] = set()
    sites = read_sites(
        files.sites, problems, unreadable_sites, layer=files.layer("sites")
    )
    before = len(problems)
    vehicles = read_fleet(files.fleet, problems, sheet=files.layer("fleet"))
    fleet_complete = len(problems) == before
    lots = read_manifest(files.manifest, problems, sheet=files.layer("manifest"))
    roads = _read_roads(files, params["roads"], sites, label, problems)
    crs = roads.crs if roads is not None else fallback_crs(sites, params["roads"])
    events = _read_events(files, crs, header["start"], params["risk"], problems)

    cross, notes = check_scenario(
        scenario_file=label,
        header=header,
        sites=sites,
        vehicles=vehicles,
        lots=lots,
        roads=roads,
        roads_file=label_of(files.roads),
        fleet_file=label_of(files.fleet),
        manifest_file=label_of(files.manifest),
        sites_file=label_of(files.sites),
        calibration=params["calibration"],
        unreadable_sites=frozenset(unreadable_sites),
        fleet_complete=fleet_complete,
    )
    problems.extend(cross)
    problems.extend(
        trip_problems(
            trips,
            sites=[s.name for _, s in sites],
            roads=roads,
            vehicle_ids=[v.id for _, v in vehicles],
            file=label,
        )
    )
    problems.extend(
        camp_problems(
            camps,
            sites=[s for _, s in sites],
            roads=roads,
            destination=header["destination"],
            records=(
                (label_of(files.fleet), vehicles),
                (label_of(files.manifest), lots),
            ),
            file=label,
        )
    )
    problems.raise_if_any(geodata_files=[label_of(files.roads), label_of(files.sites)])
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
    return _scenario(
        toml.parent.name,
        header,
        files,
        params,
        records=(sites, vehicles, lots),
        roads=roads,
        events=events,
        reference=(reference, trips),
        sector=(camps, sector),
    )


#: ``[calibration]`` keys that describe a trip: not allowed beside [[reference_trips]].
_TRIP_KEYS_OF_CALIBRATION = ("depart", "arrive", "ied_incidents", "vehicles", "route")


def _read_trips(
    doc: Mapping[str, Any],
    header: Mapping[str, Any],
    params: Mapping[str, Any],
    label: str,
    problems: Problems,
) -> tuple[ReferenceTrip | None, tuple[ReferenceTrip, ...]]:
    """The historical trip and every reference trip (new form, or ``[calibration]``)."""
    if "reference_trips" not in doc:
        one = read_reference_trip(
            params["calibration"],
            start=header["start"],
            deadline=header["deadline"],
            origin=header["origin"],
            destination=header["destination"],
            file=label,
            problems=problems,
        )
        return one, (() if one is None else (one,))
    table = doc.get("calibration")
    both = [
        k for k in _TRIP_KEYS_OF_CALIBRATION if isinstance(table, dict) and k in table
    ]
    if both:
        problems.add(
            label,
            "[calibration]",
            both[0],
            "no trip keys in [calibration] when [[reference_trips]] are given "
            "(keep enabled, interval, prior_shape there)",
            "both forms",
        )
    trips = read_reference_trips(
        doc["reference_trips"],
        windows_min=params["movement"].window_minutes(),
        origin=header["origin"],
        destination=header["destination"],
        file=label,
        problems=problems,
    )
    origin, destination = header["origin"], header["destination"]
    hist = (
        historical_trip(trips, origin, destination) if origin and destination else None
    )
    return hist, trips


def _scenario(
    name: str,
    header: Mapping[str, Any],
    files: ScenarioFiles,
    params: Mapping[str, Any],
    *,
    records: tuple[
        list[tuple[str, Site]], list[tuple[str, Vehicle]], list[tuple[str, Lot]]
    ],
    roads: RoadNetwork,
    events: ThreatEvents,
    reference: tuple[ReferenceTrip | None, tuple[ReferenceTrip, ...]],
    sector: tuple[tuple[Camp, ...], SectorParams] = ((), SectorParams()),
) -> Scenario:
    """The Scenario record from what was read and checked."""
    sites, vehicles, lots = records
    return Scenario(
        name=name,
        title=header["title"] or name,
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
        report=params["report"],
        reference_trip=reference[0],
        reference_trips=reference[1],
        camps=sector[0],
        sector=sector[1],
    )

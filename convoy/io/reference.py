"""The reference trips (``[[reference_trips]]`` or ``[calibration]``), read and checked.

The risk is calibrated so that the observed convoy (left at ``depart``, arrived at
``arrive``, along ``route``) shows the IED incidents it met. Its times are checked
here, at read time, so that a scenario dated another year with the default
(2023) trip is refused with the other problems instead of planning with a
reference trip months before its start.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from convoy._problems import Problems
from convoy.errors import NoRouteError, Problem, ScenarioError
from convoy.params import CalibrationParams
from convoy.roads.network import RoadNetwork
from convoy.scenario import TRIP_MODES, ReferenceTrip, Waypoint
from convoy.times import format_utc, parse_utc

_WHERE = "[calibration]"
_ADVICE = "set [calibration] enabled = false or give the reference trip's dates"


def _parse_times(
    cal: CalibrationParams, file: str, problems: Problems | None
) -> dict[str, datetime]:
    """Depart and arrive that parse; the others recorded (when ``problems``)."""
    out: dict[str, datetime] = {}
    for key in ("depart", "arrive"):
        text = getattr(cal, key)
        try:
            out[key] = parse_utc(text)
        except ValueError as exc:
            if problems is not None:
                problems.add(file, _WHERE, key, f"{exc} ({_ADVICE})", repr(text))
    return out


def _frame_problems(
    depart: datetime,
    arrive: datetime,
    start: datetime | None,
    deadline: datetime | None,
    file: str,
    problems: Problems,
) -> None:
    """Depart before arrive, the departure in [start, deadline], arrival after start."""
    if not depart < arrive:
        problems.add(
            file,
            _WHERE,
            "arrive",
            f"a time after depart ({format_utc(depart)})",
            format_utc(arrive),
        )
    if start is None or deadline is None or deadline <= start:
        return  # the calendar's own problem is reported by the header checks
    if not start <= depart <= deadline:
        problems.add(
            file,
            _WHERE,
            "depart",
            f"a time between {format_utc(start)} (start) and "
            f"{format_utc(deadline)} (deadline)",
            f"{format_utc(depart)}; {_ADVICE}",
        )
    if arrive < start:
        problems.add(
            file,
            _WHERE,
            "arrive",
            f"a time after {format_utc(start)} (start)",
            f"{format_utc(arrive)}; {_ADVICE}",
        )


def read_reference_trip(
    cal: CalibrationParams,
    *,
    start: datetime | None,
    deadline: datetime | None,
    origin: str | None,
    destination: str | None,
    file: str,
    problems: Problems,
) -> ReferenceTrip | None:
    """
    The reference trip of ``[calibration]``, checked against the scenario's calendar.

    When calibration is enabled, each of these is a problem recorded at
    ``[calibration]``: ``depart`` or ``arrive`` not an ISO 8601 UTC time; ``arrive``
    not after ``depart``; ``depart`` outside ``[start, deadline]``; ``arrive`` before
    ``start``; a ``route`` that
    does not run from the origin to the destination. (The arrival may fall after the
    deadline: the observed column may have been slower than the plan is allowed to
    be.) That the route names sites is checked with the other site references by
    :func:`convoy.io.validate.check_scenario`.

    Parameters
    ----------
    cal
        The ``[calibration]`` table.
    start, deadline, origin, destination
        From ``[scenario]``; None where unreadable (its problem is recorded
        elsewhere).
    file
        The scenario file, as messages name it.
    problems
        Where problems are recorded.

    Returns
    -------
    ReferenceTrip or None
        None when the trip cannot be built: a problem was recorded, the header is
        incomplete, or (calibration disabled) its times do not make a trip.

    Examples
    --------
    >>> trip = read_reference_trip(CalibrationParams(), start=..., deadline=...,
    ...     origin="Kidal", destination="Gao", file="scenario.toml",
    ...     problems=Problems())  # doctest: +SKIP
    """
    report = problems if cal.enabled else Problems(file)
    before = len(report)
    times = _parse_times(cal, file, report)
    if len(times) == 2:
        _frame_problems(times["depart"], times["arrive"], start, deadline, file, report)
    route = cal.route or ((origin, destination) if origin and destination else ())
    endpoints = (route[0], route[-1]) if route else (origin, destination)
    if cal.enabled and origin and destination and endpoints != (origin, destination):
        report.add(
            file,
            _WHERE,
            "route",
            f"site names from {origin!r} to {destination!r}",
            repr(list(route)),
        )
    if len(times) < 2 or origin is None or destination is None:
        return None
    if cal.enabled and len(report) > before:
        return None
    if not times["depart"] < times["arrive"]:
        return None
    try:
        return ReferenceTrip(
            depart=times["depart"],
            arrive=times["arrive"],
            route=tuple(str(n) for n in route),
            vehicles=cal.vehicles,
            ied_incidents=cal.ied_incidents,
        )
    except ScenarioError as exc:
        report.take(exc, file=file, where=_WHERE)
        return None


# --- [[reference_trips]] ---------------------------------------------------------

#: Keys of one ``[[reference_trips]]`` table.
TRIP_KEYS: tuple[str, ...] = (
    "name",
    "route",
    "waypoints",
    "vehicles",
    "mode",
    "pace_kph",
    "observed",
    "calibrate",
    "holdout",
    "air_cover",
)

#: Channels a trip's ``observed`` table may count.
OBSERVED_CHANNELS: tuple[str, ...] = ("ied", "ambush")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _waypoint_time(
    raw: Mapping[str, Any],
    position: str,
    windows_min: Sequence[tuple[int, int]],
    add: Callable[[str, str, object], None],
    field_name: str,
) -> tuple[datetime, bool] | None:
    """The waypoint's time and whether its time of day was given; None on a problem."""
    has_time, has_date = "time" in raw, "date" in raw
    if has_time == has_date:
        add(field_name, "exactly one of time (ISO 8601 UTC) or date (YYYY-MM-DD)", raw)
        return None
    if has_time:
        try:
            return parse_utc(raw["time"]), True
        except (ValueError, TypeError) as exc:
            add(field_name, f"time: {exc}", raw["time"])
            return None
    value = raw["date"]
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        add(field_name, "date: a date YYYY-MM-DD", value)
        return None
    if isinstance(day, datetime):
        add(field_name, "date: a date without a time (use time = ...)", value)
        return None
    opens, closes = min(a for a, _ in windows_min), max(b for _, b in windows_min)
    minute = {"first": opens, "last": closes}.get(position, (opens + closes) / 2)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(minutes=minute), False


def _read_waypoints(
    raw: object,
    route: tuple[str, ...],
    windows_min: Sequence[tuple[int, int]],
    add: Callable[[str, str, object], None],
) -> tuple[Waypoint, ...] | None:
    """Checked waypoints: sites on the route in order, times increasing."""
    if not isinstance(raw, list) or len(raw) < 2:
        add("waypoints", "a list of at least two {site, time or date} tables", raw)
        return None
    out: list[Waypoint] = []
    cursor = 0  # index into route of the previous waypoint's site
    for i, w in enumerate(raw):
        fname = f"waypoints[{i}]"
        if not isinstance(w, dict) or set(w) - {"site", "time", "date"}:
            add(fname, "a table {site, time} or {site, date}", w)
            return None
        site = w.get("site")
        position = "first" if i == 0 else "last" if i == len(raw) - 1 else "middle"
        if not isinstance(site, str) or site not in route[cursor:]:
            add(
                f"{fname}.site",
                f"a site of the route after {route[cursor]!r} (route {list(route)})",
                site,
            )
            return None
        cursor = route.index(site, cursor)
        if (position == "first" and cursor != 0) or (
            position == "last" and cursor != len(route) - 1
        ):
            end = route[0] if position == "first" else route[-1]
            add(f"{fname}.site", f"the route's {position} site {end!r}", site)
            return None
        when = _waypoint_time(w, position, windows_min, add, fname)
        if when is None:
            return None
        if out and not when[0] > out[-1].time:
            shown = "time" if when[1] else "date"
            add(
                f"{fname}.{shown}",
                f"a time after the previous waypoint ({out[-1].site} "
                f"{format_utc(out[-1].time)}); a date alone is read as "
                "the middle of that day's movement windows (first: their "
                "opening, last: their close)",
                format_utc(when[0]),
            )
            return None
        out.append(Waypoint(site, when[0], when[1]))
    return tuple(out)


def _read_observed(
    raw: object, add: Callable[[str, str, object], None]
) -> dict[str, float | None]:
    """Observed incidents by channel; an omitted channel is None (unknown)."""
    out: dict[str, float | None] = dict.fromkeys(OBSERVED_CHANNELS)
    if raw is None:
        return out
    if not isinstance(raw, dict):
        add("observed", "a table such as {ied = 6, ambush = 0}", raw)
        return out
    for key, value in raw.items():
        if key not in OBSERVED_CHANNELS:
            add(f"observed.{key}", f"a channel, one of {list(OBSERVED_CHANNELS)}", key)
        elif not _is_int(value) or value < 0:
            add(f"observed.{key}", "an integer count >= 0", value)
        else:
            out[key] = float(value)
    return out


def _read_one_trip(
    raw: Mapping[str, Any],
    where: str,
    windows_min: Sequence[tuple[int, int]],
    add: Callable[[str, str, object], None],
) -> ReferenceTrip | None:
    """One ``[[reference_trips]]`` table; None after recording its problems."""
    seen: list[str] = []

    def note(field_name: str, expected: str, found: object) -> None:
        seen.append(field_name)
        add(field_name, expected, found)

    for key in raw:
        if key not in TRIP_KEYS:
            note(key, f"one of {list(TRIP_KEYS)}", "an unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        note("name", "a non-empty name", name)
        name = None
    route_raw = raw.get("route")
    route: tuple[str, ...] | None = None
    if (
        not isinstance(route_raw, list)
        or len(route_raw) < 2
        or not all(isinstance(n, str) and n for n in route_raw)
    ):
        note("route", "a list of at least two site names, in order", route_raw)
    else:
        route = tuple(route_raw)
    vehicles_raw = raw.get("vehicles")
    ids: tuple[str, ...] = ()
    count = 0
    if vehicles_raw is None:
        count = 0  # not known: the whole fleet (reference_vehicles)
    elif _is_int(vehicles_raw) and vehicles_raw >= 1:
        count = int(vehicles_raw)
    elif (
        isinstance(vehicles_raw, list)
        and vehicles_raw
        and all(isinstance(v, str) and v for v in vehicles_raw)
        and len(set(vehicles_raw)) == len(vehicles_raw)
    ):
        ids = tuple(vehicles_raw)
        count = len(ids)
    else:
        note(
            "vehicles",
            "a count >= 1 (drawn from the fleet) or a list of distinct vehicle ids",
            vehicles_raw,
        )
    mode = raw.get("mode", "normal")
    if mode not in TRIP_MODES:
        note("mode", f"one of {list(TRIP_MODES)}", mode)
    pace = raw.get("pace_kph")
    if pace is not None and (
        isinstance(pace, bool)
        or not isinstance(pace, int | float)
        or not (math.isfinite(pace) and pace > 0)
    ):
        note("pace_kph", "a speed in km/h > 0", pace)
    flags = {}
    for key, default in (("calibrate", True), ("holdout", False), ("air_cover", False)):
        flags[key] = raw.get(key, default)
        if not isinstance(flags[key], bool):
            note(key, "true or false", flags[key])
    if raw.get("calibrate") is True and flags["holdout"] is True:
        note("holdout", "not both calibrate = true and holdout = true", True)
    observed = _read_observed(raw.get("observed"), note)
    waypoints = None
    if route is not None:
        waypoints = _read_waypoints(raw.get("waypoints"), route, windows_min, note)
    if seen or None in (name, route, waypoints):
        return None
    assert waypoints is not None and route is not None and name is not None
    try:
        return ReferenceTrip(
            depart=waypoints[0].time,
            arrive=waypoints[-1].time,
            route=route,
            vehicles=count,
            ied_incidents=observed["ied"],
            name=name.strip(),
            waypoints=waypoints,
            vehicle_ids=ids,
            mode=str(mode),
            pace_kph=None if pace is None else float(pace),
            ambush_incidents=observed["ambush"],
            calibrate=bool(flags["calibrate"]) and flags["holdout"] is not True,
            holdout=bool(flags["holdout"]),
            where=where,
            air_cover=bool(flags["air_cover"]),
        )
    except ScenarioError:
        return None  # every field was checked above


def read_reference_trips(
    raw: object,
    *,
    windows_min: Sequence[tuple[int, int]],
    origin: str | None,
    destination: str | None,
    file: str,
    problems: Problems,
) -> tuple[ReferenceTrip, ...]:
    """
    The trips of ``[[reference_trips]]``, checked; problems recorded by table index.

    Each of these is a problem named ``reference_trips[i]`` and its field: an
    unknown key; a missing or repeated name; a route of fewer than two site names;
    waypoints that are not sites of the route in its order, that do not begin at
    its first site and end at its last, that give neither or both of ``time`` and
    ``date``, or whose times do not increase; ``vehicles`` neither a count >= 1 nor
    a list of distinct ids; ``mode`` not ``normal`` or ``clearance``; ``pace_kph``
    not > 0; an ``observed`` count that is not an integer >= 0 or a channel other
    than ``ied`` and ``ambush``; ``calibrate`` and ``holdout`` both true. That the
    route names sites joined by road, and that listed vehicle ids are in the
    fleet, are checked with the other records (:func:`convoy.io.validate`). None
    of the trips running from the origin to the destination is a problem too: the
    first that does is the historical baseline.

    A waypoint given by ``date`` alone gets a time from the movement windows:
    the first waypoint their opening, the last their close, any other the middle
    of the day's windows (an assumption, said in the scenario format).

    Parameters
    ----------
    raw
        The decoded ``reference_trips`` value (a list of tables).
    windows_min
        Movement windows, (start, end) minutes after midnight UTC.
    origin, destination
        From ``[scenario]``; None where unreadable.
    file
        The scenario file, as messages name it.
    problems
        Where problems are recorded.

    Returns
    -------
    tuple of ReferenceTrip
        The trips that read without a problem, in file order.
    """
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(t, dict) for t in raw)
    ):
        problems.add(
            file,
            "[[reference_trips]]",
            "",
            "one or more [[reference_trips]] tables",
            repr(raw),
        )
        return ()
    trips: list[ReferenceTrip] = []
    seen: set[str] = set()
    for i, table in enumerate(raw):
        where = f"reference_trips[{i}]"

        def add(field_name: str, expected: str, found: object, w: str = where) -> None:
            problems.add(file, w, field_name, expected, repr(found))

        before = len(problems)
        trip = _read_one_trip(table, where, windows_min, add)
        if trip is not None and trip.name in seen:
            add("name", "a name no other reference trip has", trip.name)
            trip = None
        if trip is not None and len(problems) == before:
            seen.add(trip.name)
            trips.append(trip)
    if (
        origin
        and destination
        and len(trips) == len(raw)
        and not any(t.route[0] == origin and t.route[-1] == destination for t in trips)
    ):
        problems.add(
            file,
            "[[reference_trips]]",
            "route",
            f"at least one trip from {origin!r} to {destination!r} (the first such "
            "is the historical baseline)",
            repr([list(t.route) for t in trips]),
        )
    return tuple(trips)


def historical_trip(
    trips: Sequence[ReferenceTrip], origin: str, destination: str
) -> ReferenceTrip | None:
    """The first trip from ``origin`` to ``destination`` (the historical baseline)."""
    return next(
        (t for t in trips if t.route[0] == origin and t.route[-1] == destination),
        None,
    )


def trip_problems(
    trips: Sequence[ReferenceTrip],
    *,
    sites: Sequence[str],
    roads: RoadNetwork | None,
    vehicle_ids: Sequence[str],
    file: str,
) -> list[Problem]:
    """
    Problems of ``[[reference_trips]]`` against the other records.

    A route site that is not in the sites layer; consecutive route sites not
    joined by road; a listed vehicle id that is not in the fleet. Each is named by
    the trip's table (``reference_trips[i]``) and field.
    """
    out: list[Problem] = []
    known, fleet = set(sites), set(vehicle_ids)
    for trip in trips:
        if trip.where == "[calibration]":
            continue  # its route is checked with the other site references
        missing = [n for n in trip.route if n not in known]
        if missing:
            out.append(
                Problem(
                    file,
                    trip.where,
                    "route",
                    f"site names of the sites layer ({', '.join(sorted(known))})",
                    f"{missing[0]!r}, which is not a site",
                )
            )
        elif roads is not None:
            for a, b in itertools.pairwise(trip.route):
                try:
                    roads.site_path(a, b)
                except (NoRouteError, KeyError):
                    out.append(
                        Problem(
                            file,
                            trip.where,
                            "route",
                            "consecutive sites joined by road",
                            f"no road from {a!r} to {b!r}",
                        )
                    )
                    break
        unknown = [v for v in trip.vehicle_ids if v not in fleet]
        if unknown and fleet:
            out.append(
                Problem(
                    file,
                    trip.where,
                    "vehicles",
                    "ids of vehicles in the fleet",
                    f"{unknown[0]!r}, which is not in the fleet",
                )
            )
    return out

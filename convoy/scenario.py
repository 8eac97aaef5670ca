"""The records of a scenario: sites, vehicles, lots, the reference trip, the scenario.

Records only, no I/O. Each record checks its own fields in ``__post_init__`` and
raises :class:`~convoy.errors.ScenarioError`; checks across records live in
:mod:`convoy.io.validate`. :func:`convoy.io.scenario.read_scenario` loads a whole
scenario folder (see ``docs/scenario-format.md``), collects every problem of every
file and raises them together, before any work starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from convoy.errors import Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.params import (
    SURFACES,
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
from convoy.roads.network import RoadNetwork

#: Kinds of site a sites layer may hold.
SITE_KINDS: tuple[str, ...] = ("camp", "destination", "halt", "checkpoint")

#: Roles a vehicle may have (fleet.csv's optional ``role`` column); ``""`` (a blank
#: cell, or no column) is a general vehicle with no special role. What reads them:
#: ``route_clearance`` vehicles form the column's route clearance teams
#: (``[movement] clearance_team_vehicles`` each; no team, no clearance legs);
#: ``recovery`` vehicles tow broken-down vehicles, so a ``recovery`` vehicle must
#: have ``can_tow`` true (``can_tow`` alone, on a general vehicle, also tows);
#: every role sets the vehicle's place in the order of march
#: (:data:`convoy.march.MARCH_ORDER`). ``cargo``, ``escort``, ``command`` and
#: ``ambulance`` are descriptive otherwise.
VEHICLE_ROLES: tuple[str, ...] = (
    "",
    "cargo",
    "escort",
    "command",
    "ambulance",
    "recovery",
    "route_clearance",
)


def _bad(name: str, field_name: str, expected: str, found: object) -> ScenarioError:
    return ScenarioError(Problem("", name, field_name, expected, repr(found)))


def _finite_positive(
    name: str, field_name: str, value: float, *, zero_ok: bool = False
) -> None:
    ok = math.isfinite(value) and (value >= 0 if zero_ok else value > 0)
    if not ok:
        raise _bad(
            name, field_name, "a number >= 0" if zero_ok else "a number > 0", value
        )


@dataclass(frozen=True, slots=True)
class Site:
    """
    A named place on the map.

    Parameters
    ----------
    name
        Unique name, e.g. ``"Kidal"``; the scenario refers to sites by it.
    kind
        ``"camp"`` (a base being emptied), ``"destination"``, ``"halt"`` (a laager
        site where the column may stop, overnight too) or ``"checkpoint"`` (a named
        point for the march table).
    lon, lat
        WGS 84 degrees.
    capacity
        Vehicles a halt site holds (optional property ``capacity``); None for
        ``[movement] halt_capacity_vehicles``.
    """

    name: str
    kind: str
    lon: float
    lat: float
    capacity: float | None = None

    def __post_init__(self) -> None:
        if not self.name:
            err = _bad("site", "name", "a non-empty name", self.name)
            raise err
        if self.kind not in SITE_KINDS:
            raise _bad(self.name, "kind", f"one of {list(SITE_KINDS)}", self.kind)
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise _bad(self.name, "lon", "a longitude in [-180, 180]", self.lon)
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise _bad(self.name, "lat", "a latitude in [-90, 90]", self.lat)
        if self.capacity is not None and not (
            isinstance(self.capacity, int | float)
            and math.isfinite(self.capacity)
            and self.capacity >= 1
        ):
            raise _bad(self.name, "capacity", "vehicles >= 1", self.capacity)

    @property
    def can_halt(self) -> bool:
        """Whether the column may stop here (camps, destinations and halt sites)."""
        return self.kind in ("camp", "destination", "halt")


@dataclass(frozen=True, slots=True)
class Vehicle:
    """
    One vehicle of the fleet (a row of ``fleet.csv``).

    Parameters
    ----------
    id
        Call sign or registration, unique within the scenario.
    type
        Vehicle type, e.g. ``"APC"``, ``"cargo truck"``; vehicles of one type are
        interchangeable for loading.
    length_m
        Length in metres (> 0); sets the column's length.
    payload_kg
        Largest load it can carry, in kilograms (>= 0; 0 for a vehicle that carries
        only people).
    deck_m2
        Cargo deck area, in square metres (>= 0).
    seats
        Personnel it can carry, crew included (>= 0).
    speed_kph
        Top convoy speed on each surface of ``SURFACES`` (paved, laterite, track,
        sand), in km/h (> 0).
    reliability
        Probability of covering 100 km without a breakdown, in (0, 1].
    roadworthy
        False if it cannot move under its own power (it must be towed or left).
    can_tow
        True for a recovery vehicle able to tow one unroadworthy vehicle.
    camp
        The camp where it starts.
    value_usd
        Replacement value, in US dollars (>= 0), counted as value saved if it moves.
    fuel_l_per_km
        Litres of fuel per km (optional column); None for the default of its type
        (``convoy.params.FUEL_L_PER_KM``).
    role
        One of :data:`VEHICLE_ROLES` (optional column); ``""`` for a general vehicle.
        A ``recovery`` vehicle must have ``can_tow``.
    """

    id: str
    type: str
    length_m: float
    payload_kg: float
    deck_m2: float
    seats: int
    speed_kph: tuple[float, float, float, float]
    reliability: float
    roadworthy: bool
    can_tow: bool
    camp: str
    value_usd: float = 0.0
    fuel_l_per_km: float | None = None
    role: str = ""

    def __post_init__(self) -> None:
        if self.role not in VEHICLE_ROLES:
            raise _bad(
                self.id,
                "role",
                f"blank or one of {list(VEHICLE_ROLES[1:])}",
                self.role,
            )
        if self.role == "recovery" and not self.can_tow:
            raise _bad(
                self.id,
                "can_tow",
                "true for a vehicle of role 'recovery' (a recovery vehicle tows)",
                self.can_tow,
            )
        if self.fuel_l_per_km is not None and not (
            math.isfinite(self.fuel_l_per_km) and self.fuel_l_per_km >= 0
        ):
            raise _bad(
                self.id, "fuel_l_per_km", "litres per km >= 0", self.fuel_l_per_km
            )
        if not self.id:
            err = _bad("vehicle", "id", "a non-empty id", self.id)
            raise err
        _finite_positive(self.id, "length_m", self.length_m)
        _finite_positive(self.id, "payload_kg", self.payload_kg, zero_ok=True)
        _finite_positive(self.id, "deck_m2", self.deck_m2, zero_ok=True)
        if self.seats < 0:
            raise _bad(self.id, "seats", "an integer >= 0", self.seats)
        if len(self.speed_kph) != len(SURFACES):
            raise _bad(self.id, "speed_kph", f"{len(SURFACES)} speeds", self.speed_kph)
        for surface, v in zip(SURFACES, self.speed_kph, strict=True):
            _finite_positive(self.id, f"speed_{surface}_kph", v)
        if not (math.isfinite(self.reliability) and 0 < self.reliability <= 1):
            raise _bad(
                self.id, "reliability", "a probability in (0, 1]", self.reliability
            )
        _finite_positive(self.id, "value_usd", self.value_usd, zero_ok=True)

    def speed_on(self, surface: str) -> float:
        """Top convoy speed on a surface, in km/h."""
        return self.speed_kph[SURFACES.index(surface)]


@dataclass(frozen=True, slots=True)
class Lot:
    """
    One lot of equipment to move (a row of ``manifest.csv``).

    Parameters
    ----------
    id
        Unique id.
    category
        Free text, e.g. ``"ammunition"``, ``"generator"``, ``"container"``.
    weight_kg
        Weight in kilograms (> 0).
    deck_m2
        Deck area it takes, in square metres (> 0).
    value_usd
        Value to the force, in US dollars (>= 0).
    sensitive
        True if it must never be left intact: carried, or destroyed before departure.
    destroy_hours
        Team-hours to destroy it, in hours (>= 0); destruction happens at the camp
        before the column leaves.
    mandatory
        True if it must be carried.
    camp
        The camp where it is.
    """

    id: str
    category: str
    weight_kg: float
    deck_m2: float
    value_usd: float
    sensitive: bool
    destroy_hours: float
    mandatory: bool
    camp: str

    def __post_init__(self) -> None:
        if not self.id:
            err = _bad("lot", "id", "a non-empty id", self.id)
            raise err
        _finite_positive(self.id, "weight_kg", self.weight_kg)
        _finite_positive(self.id, "deck_m2", self.deck_m2)
        _finite_positive(self.id, "value_usd", self.value_usd, zero_ok=True)
        _finite_positive(self.id, "destroy_hours", self.destroy_hours, zero_ok=True)


@dataclass(frozen=True, slots=True)
class Camp:
    """
    A camp of a sector (``[[camps]]``): emptied into the scenario's destination.

    Parameters
    ----------
    name
        Site name (kind ``camp``); its lots and vehicles are the manifest and fleet
        rows whose ``camp`` is this name.
    personnel
        People to move from it (>= 0).
    closes
        UTC time by which the camp must be empty: its last vehicle leaves by then.
    opens
        UTC time of the earliest departure from it (>= the scenario's start).
    """

    name: str
    personnel: int
    closes: datetime
    opens: datetime


@dataclass(frozen=True, slots=True)
class Waypoint:
    """
    A site a reference trip passed, and when.

    Parameters
    ----------
    site
        Site name (on the trip's route).
    time
        Timezone-aware UTC time the column was there.
    timed
        True when the time of day was observed; False when only the date was and
        ``time`` was inferred from it (see :mod:`convoy.io.reference`).
    """

    site: str
    time: datetime
    timed: bool = True


#: Speed modes a reference trip may have moved in (as legs of a plan).
TRIP_MODES: tuple[str, ...] = ("normal", "clearance")


@dataclass(frozen=True, slots=True)
class ReferenceTrip:
    """
    An observed convoy (``[[reference_trips]]`` or ``[calibration]``), parsed.

    Parameters
    ----------
    depart, arrive
        Timezone-aware UTC datetimes of the observed departure from the first site
        of the route and arrival at its last; ``depart < arrive``.
    route
        Site names the observed route passed, in order; the path between
        consecutive ones is the shortest.
    vehicles
        Vehicles in the observed column (>= 1); 0 when not known (the whole
        fleet is then priced, an assumption).
    ied_incidents
        IED incidents observed on the trip (>= 0); None when not known.
    name
        The trip's name, unique in the scenario.
    waypoints
        Sites with the times the column was there, in order, the first and last
        sites of the route included; empty means only ``depart`` and ``arrive``.
    vehicle_ids
        The column's vehicles by id, when the scenario lists them; empty means
        ``vehicles`` drawn from the fleet (:func:`convoy.plan.reference_vehicles`).
    mode
        ``"normal"`` or ``"clearance"``: how the column moved (route clearance:
        engineers leading, the IED channel times ``clearance_ied_factor``).
    pace_kph
        Observed pace while moving, in km/h, when reported; None otherwise.
    ambush_incidents
        Ambush (attack by fire) incidents observed (>= 0); None when not known.
    calibrate
        Whether the trip's observed counts set the channel scales.
    holdout
        Never used for calibration, only predicted.
    air_cover
        Whether the observed convoy flew with air cover (default false: the 2023
        columns had none). Calibration prices it so, whatever the scenario's
        ``air_cover``: a plan with air cover then gains the air-cover factor.
    where
        Where the trip is in scenario.toml (``reference_trips[2]``), for messages.
    """

    depart: datetime
    arrive: datetime
    route: tuple[str, ...]
    vehicles: int
    ied_incidents: float | None
    name: str = "reference"
    waypoints: tuple[Waypoint, ...] = ()
    vehicle_ids: tuple[str, ...] = ()
    mode: str = "normal"
    pace_kph: float | None = None
    ambush_incidents: float | None = None
    calibrate: bool = True
    holdout: bool = False
    where: str = "[calibration]"
    air_cover: bool = False

    def __post_init__(self) -> None:
        err = self._error()
        if err is not None:
            raise err

    def _error(self) -> ScenarioError | None:
        """The first field that is wrong, as an error; None when all are right."""
        where = self.where
        for key in ("depart", "arrive"):
            t = getattr(self, key)
            if t.tzinfo is None or t.utcoffset() is None:
                return _bad(where, key, "a time with a zone (UTC)", t)
        if not self.depart < self.arrive:
            expected = f"a time after depart ({self.depart.isoformat()})"
            return _bad(where, "arrive", expected, self.arrive.isoformat())
        if len(self.route) < 2:
            return _bad(where, "route", "at least two site names", self.route)
        if self.vehicles < 0:
            return _bad(
                where, "vehicles", "an integer >= 1 (0: not known)", self.vehicles
            )
        for key in ("ied_incidents", "ambush_incidents"):
            n = getattr(self, key)
            if n is not None and not (math.isfinite(n) and n >= 0):
                return _bad(where, key, "a number >= 0", n)
        if self.mode not in TRIP_MODES:
            return _bad(where, "mode", f"one of {list(TRIP_MODES)}", self.mode)
        if self.pace_kph is not None and not (
            math.isfinite(self.pace_kph) and self.pace_kph > 0
        ):
            return _bad(where, "pace_kph", "a number > 0", self.pace_kph)
        return None

    @property
    def used_for_calibration(self) -> bool:
        """Marked ``calibrate`` and not ``holdout``."""
        return self.calibrate and not self.holdout

    def anchors(self) -> tuple[Waypoint, ...]:
        """The waypoints, or the departure and arrival when none are given."""
        if self.waypoints:
            return self.waypoints
        return (
            Waypoint(self.route[0], self.depart),
            Waypoint(self.route[-1], self.arrive),
        )

    def depart_min(self, start: datetime) -> float:
        """Minutes from ``start`` to the departure."""
        return (self.depart - start).total_seconds() / 60.0

    def arrive_min(self, start: datetime) -> float:
        """Minutes from ``start`` to the arrival."""
        return (self.arrive - start).total_seconds() / 60.0


@dataclass(frozen=True, slots=True)
class ScenarioFiles:
    """
    Absolute paths of the files a scenario reads, as named in ``[files]``.

    Parameters
    ----------
    scenario, roads, sites, events, fleet, manifest
        The files.
    events_format
        ``"acled"``, ``"ucdp"`` or ``"layer"``.
    events_date_field, events_type_field
        For the ``layer`` format: the date and type attributes.
    layers
        The layer or sheet named after a file's path (``roads.gpkg|layername=
        roads``, ``fleet.xlsx|sheet=Vehicles``) as ``([files] key, name)`` pairs;
        a key not listed reads the file's first layer or sheet.
    """

    scenario: Path
    roads: Path
    sites: Path
    events: Path
    fleet: Path
    manifest: Path
    events_format: str = "acled"
    events_date_field: str = "event_date"
    events_type_field: str = "event_type"
    layers: tuple[tuple[str, str], ...] = ()

    def layer(self, key: str) -> str:
        """The layer or sheet named for a ``[files]`` key; empty for the first."""
        return dict(self.layers).get(key, "")

    def inputs(self) -> tuple[Path, ...]:
        """Every input file, so that outputs never write over one."""
        return (
            self.scenario,
            self.roads,
            self.sites,
            self.events,
            self.fleet,
            self.manifest,
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    """
    A whole withdrawal problem, loaded and checked.

    Parameters
    ----------
    name, title
        Short name (the folder's) and a human title.
    start, deadline
        Timezone-aware UTC datetimes: the earliest the plan may begin (destruction
        work included) and the latest arrival at the destination.
    origin, destination
        Site names.
    air_cover
        Whether air cover is available (changes the ambush channel).
    personnel
        People to move from the origin.
    seed
        Seed of every random number the plan uses.
    files
        Where each input came from.
    sites, vehicles, lots
        The records.
    roads
        The routable road network with sites snapped to it.
    events
        The threat events, projected into the network's CRS.
    roads_params, movement, risk, calibration, prices, loads, solver, simulation,
        report
        Parameter tables.
    reference_trip
        The observed trip of ``[calibration]``, parsed and checked; None only when
        calibration is disabled and its times do not make a trip (unparseable, or
        ``arrive`` not after ``depart``). With ``[[reference_trips]]``: the first
        trip from the origin to the destination (the historical baseline).
    reference_trips
        Every observed trip (``[[reference_trips]]``, or the one of
        ``[calibration]``), in file order.
    camps
        The camps of a sector (``[[camps]]``), in file order; empty for a
        scenario of one origin.
    sector
        Parameters of a sector (``[sector]``).
    """

    name: str
    title: str
    start: datetime
    deadline: datetime
    origin: str
    destination: str
    air_cover: bool
    personnel: int
    seed: int
    files: ScenarioFiles
    sites: tuple[Site, ...]
    vehicles: tuple[Vehicle, ...]
    lots: tuple[Lot, ...]
    roads: RoadNetwork
    events: ThreatEvents
    roads_params: RoadParams
    movement: MovementParams
    risk: RiskParams
    calibration: CalibrationParams
    prices: PriceParams
    loads: LoadParams
    solver: SolverParams
    simulation: SimulationParams = field(default_factory=SimulationParams)
    report: ReportParams = field(default_factory=ReportParams)
    reference_trip: ReferenceTrip | None = None
    reference_trips: tuple[ReferenceTrip, ...] = ()
    camps: tuple[Camp, ...] = ()
    sector: SectorParams = field(default_factory=SectorParams)

    def site(self, name: str) -> Site:
        """The site called ``name``; ScenarioError if there is none."""
        for s in self.sites:
            if s.name == name:
                return s
        msg = f"no site named {name!r}; sites are {[s.name for s in self.sites]}"
        raise ScenarioError(msg)

    @property
    def horizon_min(self) -> float:
        """Minutes from start to deadline."""
        return (self.deadline - self.start).total_seconds() / 60.0

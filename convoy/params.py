"""Model and solver parameters: every number convoy uses, with unit, default and source.

Each table of ``scenario.toml`` maps to one frozen dataclass here; the TOML tables nest
the same way the dataclasses do. A value missing from the TOML takes the default
documented on the field. ``from_toml()`` rejects unknown keys and wrong types with a
:class:`~convoy.errors.ScenarioError` naming the table, the key, what was expected and
what was found.

The module is long on purpose: it is the one place where a reader checks every
number's unit, default and source, and its tables are flat dataclasses with no logic
beyond range checks. Splitting it by table would scatter that check across files.

Sources named below:

- **FM 55-30**: US Army Field Manual 55-30, *Army Motor Transport Units and
  Operations* (1997), chapter 5 "Convoy operations": march units of at most 20
  vehicles, open column by day (vehicle interval about 100 m), close column at night
  (20-50 m), halts, pass-time formulas.
- **FM 4-01.011**: *Unit Movement Operations* (2002), appendix on road movement tables.
- **ATP 4-01.45**: *Tactical Convoy Operations* (2021), on route clearance and driver
  rest.
- **MINUSMA 2023**: the UN mission's public statements on the Kidal-Gao withdrawal of
  31 October - 7 November 2023 (about 850 personnel, 143 vehicles, eight days, six
  IEDs, no air cover because flights were refused).
- **UNMAS 2021**: United Nations Mine Action Service, Mali programme (2021): of the
  IED incidents recorded in Mali, 67 % victim-operated and 16 % remote-controlled.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from convoy._from_toml import FromToml
from convoy.errors import Problem, ScenarioError
from convoy.times import parse_hhmm

#: Road surfaces convoy knows. Any other value in a road layer is an error.
SURFACES: tuple[str, ...] = ("paved", "laterite", "track", "sand")


#: Largest input file convoy reads, in MiB (one limit per file: scenario.toml, the
#: roads, sites, events, fleet and manifest). Default 512 MiB: the largest real input
#: (a continent's ACLED history, a country's OSM roads) is tens of MiB, and a file
#: ten times that is a wrong file, not data; a limit keeps a stray multi-gigabyte
#: file from exhausting memory. An assumption; raise it with :data:`MAX_INPUT_ENV`.
MAX_INPUT_MB: float = 512.0
#: Environment variable that overrides :data:`MAX_INPUT_MB` (a number of MiB > 0).
MAX_INPUT_ENV: str = "CONVOY_MAX_INPUT_MB"


def _require(cond: bool, field_name: str, expected: str, found: object) -> None:
    if not cond:
        raise ScenarioError(Problem("", "", field_name, expected, repr(found)))


@dataclass(frozen=True, slots=True)
class RoadParams(FromToml):
    """
    How a road line layer becomes a routable network (``[roads]``).

    Parameters
    ----------
    snap_tolerance_m
        Line endpoints closer than this, in metres, are joined into one node.
        Default 50 m: finer than any road junction, coarser than digitising noise.
    site_snap_warn_m
        A site farther than this from its nearest road node, in metres, draws a
        DataQualityWarning (it is still snapped). Default 2 000 m.
    max_snap_m
        A site farther than this from every road, in metres, is an error naming the
        site and the distance. Default 2 000 m: a camp, halt or destination is on a
        road or a short track off it; a site kilometres away is a wrong coordinate
        (a typo, degrees-minutes read as decimal degrees) or a road layer that
        lacks its road, and snapping it would plan a drive across open ground.
    default_surface
        Surface of a road with no ``surface`` attribute: one of ``SURFACES``.
        Default ``"track"``: the Sahel's unclassified roads are mostly tracks.
    crs
        Projected CRS to work in (e.g. ``"EPSG:32631"``); empty means the UTM zone of
        the scenario's centroid.
    """

    TABLE: ClassVar[str] = "roads"
    snap_tolerance_m: float = 50.0
    site_snap_warn_m: float = 2_000.0
    max_snap_m: float = 2_000.0
    default_surface: str = "track"
    crs: str = ""

    def __post_init__(self) -> None:
        _require(
            self.snap_tolerance_m >= 0,
            "snap_tolerance_m",
            "a number >= 0",
            self.snap_tolerance_m,
        )
        _require(self.max_snap_m > 0, "max_snap_m", "metres > 0", self.max_snap_m)
        _require(
            self.default_surface in SURFACES,
            "default_surface",
            f"one of {list(SURFACES)}",
            self.default_surface,
        )


@dataclass(frozen=True, slots=True)
class MovementParams(FromToml):
    """
    When and how the column may move (``[movement]``).

    Parameters
    ----------
    windows
        Daily movement windows in UTC as ``[["HH:MM", "HH:MM"], ...]``; the column
        may drive only inside them. Default 05:30-18:30 (Mali is on UTC, civil
        twilight at Gao in November is about 05:50-18:10): with no air cover a
        column does not move in the dark (ATP 4-01.45).
    daily_driving_limit_h
        Hours of driving allowed per day (00:00-24:00 UTC), in hours. Default 10 h,
        the common driver-hours limit for military drivers (ATP 4-01.45, driver
        rest); it is hard in the schedule.
    step_min
        Time step of the time-expanded schedule, in minutes. Default 10.
    max_search_states
        Most (node, time point, driving level) states one schedule search may
        hold, 16 bytes each; a search over it is refused before it runs, with its
        numbers. Default 0: 50,000,000 (``convoy.schedule.search.MAX_STATES``,
        0.75 GiB; an assumption that leaves room for the risk table's searches
        running two at a time on a machine of a few GB). Raise it with the memory
        to spare: a plan peaks at about 0.5 GB plus two searches' labels.
    day_start, day_end
        Daylight, UTC ``"HH:MM"``, used for the vehicle interval and the diurnal
        risk profile. Defaults 06:00 and 18:00.
    interval_day_m, interval_night_m
        Distance between vehicles by day (open column) and by night (close column),
        in metres. Defaults 100 m and 50 m (FM 55-30, ch. 5).
    march_unit_max
        Largest march unit, in vehicles. Default 20 (FM 55-30, ch. 5).
    march_unit_gap_min
        Time gap between march units, in minutes. Default 2 (FM 55-30: 2-5 min).
    serial_gap_min
        Extra time gap between serials, in minutes. Default 5.
    march_units_per_serial
        March units grouped into one serial. Default 3 (FM 55-30: 2-5).
    clearance_speed_kph
        Speed of route clearance by one clearance team (engineers leading on a
        suspected-IED stretch), in km/h. Default 4 km/h: the 2023 Kidal-Gao column
        moved behind its own engineers at about 1.8-4.2 km/h on the road (MINUSMA
        2023), and a team sweeps at a few km/h (ATP 4-01.45). Route
        clearance is a resource: the column clears only with its own teams
        (``clearance_team_vehicles``); with none, no leg is driven in clearance.
    clearance_ied_factor
        Fraction of the IED channel left on a kilometre swept by a clearance team.
        Default 0.3 (counter-IED teams find roughly two thirds of devices; an
        assumption to be tuned per theatre). It does not depend on the number of
        teams: leapfrogging teams each sweep their own bound, so every kilometre is
        swept once (an assumption; a double sweep is not modelled).
    clearance_team_vehicles
        Vehicles of role ``route_clearance`` (fleet.csv) that make one clearance
        team, a count >= 1. The column's teams are its moving ``route_clearance``
        vehicles divided by this, rounded down. Default 3: a detection vehicle, an
        interrogation (mine-protected, arm-equipped) vehicle and a protected
        command/EOD vehicle, the core of a route clearance patrol (the US route
        clearance package pairs a Husky detector with a Buffalo interrogator under
        protection); an assumption for a mission's engineers.
    clearance_max_speed_kph
        Cap on the clearance speed however many teams leapfrog, in km/h. With k
        teams the column clears at ``min(k * clearance_speed_kph, this)`` (never
        slower than one team): teams
        leapfrog (one sweeps a bound while the next moves through the cleared
        road to the bound after it), so the head advances up to k times as fast
        (ATP 4-01.45 and route clearance doctrine describe leapfrogging; the
        linear gain and the cap are assumptions). Default 10 km/h: detection
        equipment is swept at walking to slow driving pace, and a column behind
        it still halts at every find.
    max_speed_kph
        Speed cap of the column on any surface, in km/h. Default 50.
    night_speed_factor
        Column speed at night as a fraction of its day speed, used when a movement
        window reaches outside daylight. Default 0.8 (an assumption: close column,
        lights discipline).
    halt_exposure_factor
        Length of a halted column exposed to the ambush channel, as a fraction of
        its moving length. Default 0.5 (an assumption: a laagered column packs
        into a perimeter).
    roadside_halt_factor
        Exposure of a halt at a node that is not a halt site (or a site too small for
        the column), as a multiple of a laager's. Default 3 (an assumption: a column
        halted on the road has no perimeter, stays strung out along its length and
        cannot post pickets on the high ground; 3 x 0.5 = 1.5 times the moving
        column's length). 0 forbids roadside halts. Must be >= 1, so halt sites stay
        preferred.
    halt_capacity_vehicles
        Vehicles a halt site holds when the site gives no ``capacity``. Default 150
        (an assumption: a laager of about 6 ha, 250 m x 250 m inside the
        perimeter, at about 400 m2 per vehicle with dispersion, which is 2 500
        m2 per vehicle in the open desert less the vehicles' own spacing). A column
        larger than a site's capacity may not laager there: it may halt only at the
        roadside (``roadside_halt_factor``).
    """

    TABLE: ClassVar[str] = "movement"
    windows: tuple[tuple[str, str], ...] = (("05:30", "18:30"),)
    daily_driving_limit_h: float = 10.0
    step_min: int = 10
    max_search_states: int = 0
    day_start: str = "06:00"
    day_end: str = "18:00"
    interval_day_m: float = 100.0
    interval_night_m: float = 50.0
    march_unit_max: int = 20
    march_unit_gap_min: float = 2.0
    serial_gap_min: float = 5.0
    march_units_per_serial: int = 3
    clearance_speed_kph: float = 4.0
    clearance_ied_factor: float = 0.3
    max_speed_kph: float = 50.0
    night_speed_factor: float = 0.8
    halt_exposure_factor: float = 0.5
    roadside_halt_factor: float = 3.0
    halt_capacity_vehicles: int = 150
    clearance_team_vehicles: int = 3
    clearance_max_speed_kph: float = 10.0

    def __post_init__(self) -> None:
        _require(
            self.clearance_team_vehicles >= 1,
            "clearance_team_vehicles",
            "an integer >= 1",
            self.clearance_team_vehicles,
        )
        _require(
            0 < self.clearance_max_speed_kph <= 60,
            "clearance_max_speed_kph",
            "km/h in (0, 60]",
            self.clearance_max_speed_kph,
        )
        _require(
            self.roadside_halt_factor == 0 or 1 <= self.roadside_halt_factor <= 100,
            "roadside_halt_factor",
            "0 (no roadside halts) or a factor in [1, 100]",
            self.roadside_halt_factor,
        )
        _require(
            self.halt_capacity_vehicles >= 1,
            "halt_capacity_vehicles",
            "an integer >= 1",
            self.halt_capacity_vehicles,
        )
        _require(
            0 < self.night_speed_factor <= 1,
            "night_speed_factor",
            "a fraction in (0, 1]",
            self.night_speed_factor,
        )
        _require(
            0 <= self.halt_exposure_factor <= 1,
            "halt_exposure_factor",
            "a fraction in [0, 1]",
            self.halt_exposure_factor,
        )
        _require(
            len(self.windows) > 0,
            "windows",
            'at least one window, e.g. [["05:30", "18:30"]]',
            list(self.windows),
        )
        for w in self.windows:
            a, b = parse_hhmm(w[0]), parse_hhmm(w[1])
            _require(a < b, "windows", "start before end in each window", list(w))
        parse_hhmm(self.day_start)
        parse_hhmm(self.day_end)
        _require(
            0 < self.daily_driving_limit_h <= 24,
            "daily_driving_limit_h",
            "hours in (0, 24]",
            self.daily_driving_limit_h,
        )
        _require(
            1 <= self.step_min <= 60, "step_min", "minutes in [1, 60]", self.step_min
        )
        _require(
            self.max_search_states >= 0,
            "max_search_states",
            "an integer >= 0 (0: the default)",
            self.max_search_states,
        )
        _require(
            self.interval_day_m > 0 and self.interval_night_m > 0,
            "interval_day_m",
            "metres > 0",
            self.interval_day_m,
        )
        _require(
            self.march_unit_max >= 1,
            "march_unit_max",
            "an integer >= 1",
            self.march_unit_max,
        )
        _require(
            0 < self.clearance_speed_kph <= 60,
            "clearance_speed_kph",
            "km/h in (0, 60]",
            self.clearance_speed_kph,
        )
        _require(
            0 <= self.clearance_ied_factor <= 1,
            "clearance_ied_factor",
            "a fraction in [0, 1]",
            self.clearance_ied_factor,
        )

    def clearance_teams(self, route_clearance_vehicles: int) -> int:
        """Clearance teams of a column with this many ``route_clearance`` vehicles."""
        return max(0, int(route_clearance_vehicles)) // self.clearance_team_vehicles

    def clearance_speed_for(self, teams: int) -> float:
        """
        Clearance speed of ``teams`` leapfrogging teams, in km/h (0 for none).

        Examples
        --------
        >>> MovementParams().clearance_speed_for(2)
        8.0
        """
        if teams <= 0:
            return 0.0
        v1 = self.clearance_speed_kph
        return max(v1, min(teams * v1, self.clearance_max_speed_kph))

    def window_minutes(self) -> tuple[tuple[int, int], ...]:
        """Movement windows as (start, end) minutes after midnight UTC."""
        return tuple((parse_hhmm(a), parse_hhmm(b)) for a, b in self.windows)


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """
    How one event type feeds the risk field.

    Parameters
    ----------
    channel
        ``"ied"``, ``"ambush"`` or ``"none"`` (ignored).
    weight
        Events' weight in the channel, dimensionless (before calibration).
    bandwidth_km
        Spatial spread of the event's influence (Gaussian sigma), in km.
    """

    channel: str
    weight: float
    bandwidth_km: float


#: Default event-type table: ``"event_type|sub_event_type"`` (or ``"event_type"`` for
#: a rule on every sub-type) to a rule. ACLED's codebook (2023) names the types; the
#: older schema's "Remote violence" had no sub-types. UCDP GED types are
#: ``"ucdp:1"`` (state-based), ``"ucdp:2"`` (non-state), ``"ucdp:3"`` (one-sided).
#: Weights and bandwidths are planning assumptions: an IED marks a stretch of road
#: (3 km), a clash marks an area a group operates in (8 km).
DEFAULT_CHANNEL_RULES: dict[str, ChannelRule] = {
    "Explosions/Remote violence|Remote explosive/landmine/IED": ChannelRule(
        "ied", 1.0, 3.0
    ),
    "Explosions/Remote violence|Suicide bomb": ChannelRule("ied", 1.0, 5.0),
    "Explosions/Remote violence|Shelling/artillery/missile attack": ChannelRule(
        "ambush", 0.5, 10.0
    ),
    "Explosions/Remote violence|Grenade": ChannelRule("ambush", 0.3, 5.0),
    "Explosions/Remote violence|Air/drone strike": ChannelRule("none", 0.0, 5.0),
    "Explosions/Remote violence": ChannelRule("ied", 0.8, 4.0),
    "Remote violence": ChannelRule("ied", 0.8, 4.0),
    "Battles|Armed clash": ChannelRule("ambush", 1.0, 8.0),
    "Battles": ChannelRule("ambush", 0.5, 15.0),
    "Violence against civilians": ChannelRule("ambush", 0.2, 10.0),
    "Strategic developments": ChannelRule("none", 0.0, 5.0),
    "Protests": ChannelRule("none", 0.0, 5.0),
    "Riots": ChannelRule("none", 0.0, 5.0),
    "ucdp:1": ChannelRule("ambush", 1.0, 10.0),
    "ucdp:2": ChannelRule("ambush", 0.5, 10.0),
    "ucdp:3": ChannelRule("ambush", 0.2, 10.0),
}

#: Relative risk by hour of day (UTC), mean 1, of the ``diurnal = "shaped"`` option:
#: IEDs laid at night that strike the first vehicles of the morning, ambushes at dawn
#: and dusk. A planning assumption with no published source: ACLED and UCDP record an
#: event's date, not its hour, so no event data set in convoy's inputs can support a
#: shape. Use it (or give ``diurnal_ied`` / ``diurnal_ambush``) only with a theatre's
#: own incident timings.
SHAPED_DIURNAL_IED: tuple[float, ...] = (
    0.9,
    0.9,
    0.9,
    0.9,
    1.0,
    1.3,
    1.6,
    1.5,
    1.3,
    1.1,
    1.0,
    0.9,
    0.8,
    0.8,
    0.8,
    0.8,
    0.9,
    1.0,
    1.1,
    1.0,
    0.9,
    0.9,
    0.9,
    0.9,
)
SHAPED_DIURNAL_AMBUSH: tuple[float, ...] = (
    1.2,
    1.1,
    1.1,
    1.1,
    1.3,
    1.5,
    1.4,
    1.1,
    0.9,
    0.8,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.8,
    0.9,
    1.1,
    1.4,
    1.5,
    1.3,
    1.2,
    1.2,
    1.2,
)

#: The default hourly profile: flat (every hour alike). What convoy assumes when no
#: source gives the hour of attacks; the optimiser then has no reason to prefer an
#: hour of day for risk (it still prices night speed and column length).
FLAT_DIURNAL: tuple[float, ...] = (1.0,) * 24
#: Profiles of the ``diurnal`` choice of ``[risk]``: (IED, ambush).
DIURNAL_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "flat": (FLAT_DIURNAL, FLAT_DIURNAL),
    "shaped": (SHAPED_DIURNAL_IED, SHAPED_DIURNAL_AMBUSH),
}
#: The profiles used when ``[risk]`` gives none (``diurnal = "flat"``).
DEFAULT_DIURNAL_IED: tuple[float, ...] = FLAT_DIURNAL
DEFAULT_DIURNAL_AMBUSH: tuple[float, ...] = FLAT_DIURNAL

#: Spread (Gaussian sigma, km) added to an event's kernel for its location
#: precision, by precision code (index 0 is code 1). The rule's bandwidth h and this
#: width p combine as sqrt(h^2 + p^2): the event's place is uncertain by p around
#: the point it is coded at. ACLED ``geo_precision`` (codebook 2023): 1 the place
#: itself (0 km); 2 "part of a region" near the named town (25 km: the town's
#: surroundings within about a day's walk); 3 only a larger region, coded at its
#: capital (50 km: of the order of a Malian cercle). UCDP GED ``where_prec``
#: (codebook 23.1): 1 exact (0); 2 within 25 km of the point (12.5 km, radius as two
#: sigma); 3 second-order admin unit (25 km); 4 first-order unit (50 km); 5 a linear
#: feature such as a road or river (25 km); 6 the country (100 km); 7 international
#: waters or airspace (100 km). The widths are assumptions, not from the codebooks.
PRECISION_KM_ACLED: tuple[float, ...] = (0.0, 25.0, 50.0)
PRECISION_KM_UCDP: tuple[float, ...] = (0.0, 12.5, 25.0, 50.0, 25.0, 100.0, 100.0)

#: Shares of IEDs by trigger in Mali: UNMAS, *Mali programme 2021*: 67 %
#: victim-operated (pressure plates: the device strikes the first vehicle over it),
#: 16 % remote-controlled (command-initiated: the triggerman picks any vehicle of the
#: column). The other 17 % (time-delayed, unknown) are taken to split as the known
#: ones do, so the command-initiated share of all IEDs is 16 / 83.
IED_VICTIM_SHARE_MALI = 0.67
IED_COMMAND_SHARE_MALI = 0.16


@dataclass(frozen=True, slots=True)
class RiskParams(FromToml):
    """
    The risk field (``[risk]``); see DESIGN.md "The risk field".

    Parameters
    ----------
    half_life_days
        Age at which an event's weight halves, in days, counted back from the
        scenario start. Default 365: armed groups re-use ground for years.
    fatality_weight
        Extra weight per reported fatality (w = rule weight * (1 + f * fatalities)).
        Default 0.1, so a 10-fatality attack counts double.
    max_geo_precision
        Drop events whose ACLED ``geo_precision`` (or UCDP ``where_prec``) is above
        this: 1 = exact town, 2 = near, 3 = region. Default 3 keeps everything.
    scale_ied
        Calibration scale s of the IED channel, expected incidents per km per unit
        of kernel mass. Set by calibration (``[calibration]``) unless given.
    scale_ambush
        Calibration scale s of the ambush channel, expected incidents per hour per
        km of column per unit of kernel mass.
    ambush_per_ied
        When calibrating, the ambush channel is scaled so the reference plan's
        expected ambush incidents are this many times its IED incidents.
        Default 0.5 (the 2023 convoy reported six IEDs and a few attacks by fire).
    air_cover_ambush_factor
        Multiplier m of the ambush channel when ``air_cover = true``. Default 0.5;
        without air cover the factor is 1.
    accuracy
        Relative accuracy of the kernel sums (truncation radius). Default 1e-6.
    edge_sample_m
        Spacing of risk samples along road edges, in metres. Default 250.
    raster_cell_m
        Cell size of the risk raster, in metres. Default 500.
    diurnal_ied, diurnal_ambush
        24 hourly multipliers (UTC), normalised to mean 1 when used. Empty (the
        default): the profiles of ``diurnal``.
    rules
        Overrides of ``DEFAULT_CHANNEL_RULES``: ``{"type|sub" = {channel, weight,
        bandwidth_km}}``.
    diurnal
        ``"flat"`` (default: every hour alike, since ACLED and UCDP record dates,
        not hours, and no source gives the hour of attacks on this theatre) or
        ``"shaped"`` (:data:`SHAPED_DIURNAL_IED`, :data:`SHAPED_DIURNAL_AMBUSH`: a
        planning assumption, unsourced).
    precision_km_acled, precision_km_ucdp
        Location uncertainty added to an event's kernel by precision code, km (see
        :data:`PRECISION_KM_ACLED`); the ucdp table also serves point layers.
    background
        Whether every road carries a background rate of each channel (default
        true): a road with no reported event is not known to be safe, only
        unreported. See :func:`convoy.risk.edges.background_rates`.
    background_factor
        The background rate as a fraction of the channel's mean along the whole
        road network (length-weighted). Default 0.5: an assumption, that a road
        with no report is half as dangerous as the average road of the region; no
        source measures how much of the Sahel's violence goes unreported.
    background_surface_factors
        Multipliers of the background per road surface, e.g. ``{track = 1.5}``;
        surfaces not named keep 1 (default: all 1, no source to tell them apart).
    ied_victim_share, ied_command_share
        Shares of IEDs by trigger (UNMAS 2021, Mali: 0.67 and 0.16). Victim-
        operated ones strike the head of the column whatever its length;
        command-initiated ones strike any vehicle, so their rate grows with the
        column's road space (its pass time at a given speed). The remainder
        (other, unknown triggers) is split in the known ratio. The IED channel is
        calibrated on the reference column; a column of road space L is priced
        ``(v + c * L / L_ref) / (v + c)`` times the reference's per km.
    stale_after_days
        Warn when the newest event is older than this at the start, in days.
        Default 365: an assumption, one half-life of the event weights (a year
        in which armed groups' positions may have moved).
    """

    TABLE: ClassVar[str] = "risk"
    half_life_days: float = 365.0
    fatality_weight: float = 0.1
    max_geo_precision: int = 3
    scale_ied: float | None = None
    scale_ambush: float | None = None
    ambush_per_ied: float = 0.5
    air_cover_ambush_factor: float = 0.5
    accuracy: float = 1e-6
    edge_sample_m: float = 250.0
    raster_cell_m: float = 500.0
    diurnal_ied: tuple[float, ...] = ()
    diurnal_ambush: tuple[float, ...] = ()
    rules: dict[str, Any] = field(default_factory=dict)
    diurnal: str = "flat"
    precision_km_acled: tuple[float, ...] = PRECISION_KM_ACLED
    precision_km_ucdp: tuple[float, ...] = PRECISION_KM_UCDP
    background: bool = True
    background_factor: float = 0.5
    background_surface_factors: dict[str, Any] = field(default_factory=dict)
    ied_victim_share: float = IED_VICTIM_SHARE_MALI
    ied_command_share: float = IED_COMMAND_SHARE_MALI
    stale_after_days: float = 365.0

    def __post_init__(self) -> None:
        _require(
            self.diurnal in DIURNAL_PROFILES,
            "diurnal",
            f"one of {sorted(DIURNAL_PROFILES)}",
            self.diurnal,
        )
        shaped = DIURNAL_PROFILES[self.diurnal]
        if not self.diurnal_ied:
            object.__setattr__(self, "diurnal_ied", shaped[0])
        if not self.diurnal_ambush:
            object.__setattr__(self, "diurnal_ambush", shaped[1])
        for name, n in (("precision_km_acled", 3), ("precision_km_ucdp", 7)):
            w = getattr(self, name)
            _require(
                len(w) == n and all(math.isfinite(x) and x >= 0 for x in w),
                name,
                f"{n} widths in km >= 0 (one per precision code)",
                w,
            )
        _require(
            math.isfinite(self.background_factor) and self.background_factor >= 0,
            "background_factor",
            "a number >= 0",
            self.background_factor,
        )
        for key, val in self.background_surface_factors.items():
            _require(
                key in SURFACES,
                f"background_surface_factors.{key}",
                f"one of {list(SURFACES)}",
                key,
            )
            _require(
                isinstance(val, int | float)
                and not isinstance(val, bool)
                and math.isfinite(val)
                and val >= 0,
                f"background_surface_factors.{key}",
                "a number >= 0",
                val,
            )
        for name in ("ied_victim_share", "ied_command_share"):
            _require(
                0 <= getattr(self, name) <= 1,
                name,
                "a share in [0, 1]",
                getattr(self, name),
            )
        _require(
            0 < self.ied_victim_share + self.ied_command_share <= 1,
            "ied_command_share",
            "shares with 0 < ied_victim_share + ied_command_share <= 1",
            self.ied_victim_share + self.ied_command_share,
        )
        _require(
            math.isfinite(self.stale_after_days) and self.stale_after_days > 0,
            "stale_after_days",
            "days > 0",
            self.stale_after_days,
        )
        _require(
            self.half_life_days > 0, "half_life_days", "days > 0", self.half_life_days
        )
        _require(
            len(self.diurnal_ied) == 24 and min(self.diurnal_ied) >= 0,
            "diurnal_ied",
            "24 numbers >= 0",
            self.diurnal_ied,
        )
        _require(
            len(self.diurnal_ambush) == 24 and min(self.diurnal_ambush) >= 0,
            "diurnal_ambush",
            "24 numbers >= 0",
            self.diurnal_ambush,
        )
        _require(
            0 < self.accuracy < 1e-2, "accuracy", "a number in (0, 0.01)", self.accuracy
        )
        _require(
            self.edge_sample_m > 0, "edge_sample_m", "metres > 0", self.edge_sample_m
        )
        _require(
            self.raster_cell_m > 0, "raster_cell_m", "metres > 0", self.raster_cell_m
        )

    def channel_rules(self) -> dict[str, ChannelRule]:
        """The default rules with this scenario's overrides applied."""
        out = dict(DEFAULT_CHANNEL_RULES)
        for key, spec in self.rules.items():
            if not isinstance(spec, dict):
                raise ScenarioError(
                    Problem(
                        "",
                        "[risk.rules]",
                        key,
                        "a table {channel, weight, bandwidth_km}",
                        repr(spec),
                    )
                )
            ch = spec.get("channel", "ied")
            if ch not in ("ied", "ambush", "none"):
                raise ScenarioError(
                    Problem(
                        "",
                        "[risk.rules]",
                        f"{key}.channel",
                        "one of ['ied', 'ambush', 'none']",
                        repr(ch),
                    )
                )
            out[key] = ChannelRule(
                ch, float(spec.get("weight", 1.0)), float(spec.get("bandwidth_km", 5.0))
            )
        return out

    def surface_background_factors(self) -> tuple[float, ...]:
        """Background multiplier of each surface of :data:`SURFACES` (default 1)."""
        return tuple(
            float(self.background_surface_factors.get(s, 1.0)) for s in SURFACES
        )

    @property
    def ied_command_fraction(self) -> float:
        """
        Command-initiated share of all IEDs, the unknown remainder split as the known.

        ``ied_command_share / (ied_victim_share + ied_command_share)``: 16 / 83 =
        0.193 with the UNMAS 2021 shares.
        """
        return self.ied_command_share / (self.ied_victim_share + self.ied_command_share)

    def precision_widths_km(self, fmt: str) -> tuple[float, ...]:
        """Location widths by precision code for an event format (see above)."""
        return self.precision_km_acled if fmt == "acled" else self.precision_km_ucdp


@dataclass(frozen=True, slots=True)
class CalibrationParams(FromToml):
    """
    Calibration of the channel scales to an observed convoy (``[calibration]``).

    The reference plan is the historical one: leave the origin at ``depart``, drive
    the main axis inside the movement windows at the speed that reaches the
    destination at ``arrive``, with every vehicle. Its expected IED incidents are
    set equal to ``ied_incidents``. Defaults are the MINUSMA 2023 convoy: left Kidal
    on the morning of 31 October, reached Gao on the night of 7 November, six IEDs.

    Parameters
    ----------
    enabled
        Calibrate (true) or use ``[risk] scale_*`` as given (false).
    depart, arrive
        ISO 8601 UTC times of the observed departure and arrival.
    ied_incidents
        Observed IED incidents on that trip. Default 6 (MINUSMA 2023).
    vehicles
        Vehicles in the observed column. Default 143 (MINUSMA 2023).
    route
        Site names the observed route passed, in order; the path between
        consecutive ones is the shortest. Empty means origin to destination.
        (``depart`` to ``route`` describe one trip, the older form; a scenario may
        give ``[[reference_trips]]`` instead, and then only the keys below.)
    interval
        Probability of the intervals reported on the channel scales and on every
        plan's expected incidents. Default 0.90 (a reporting convention, an
        assumption: wide enough to be honest about six counted incidents, narrow
        enough to still say something).
    prior_shape
        Shape added to each channel's observed count for its Gamma posterior
        (``posterior_shape = observed + prior_shape``; the rate is the summed
        predicted exposure). Default 0.5, the Jeffreys prior of a Poisson rate.
    """

    TABLE: ClassVar[str] = "calibration"
    enabled: bool = True
    depart: str = "2023-10-31T06:00:00Z"
    arrive: str = "2023-11-07T20:00:00Z"
    ied_incidents: float = 6.0
    vehicles: int = 143
    route: tuple[str, ...] = ()
    interval: float = 0.90
    prior_shape: float = 0.5

    def __post_init__(self) -> None:
        _require(
            0 < self.interval < 1, "interval", "a probability in (0, 1)", self.interval
        )
        _require(
            0 < self.prior_shape <= 10,
            "prior_shape",
            "a number in (0, 10]",
            self.prior_shape,
        )
        _require(
            self.ied_incidents > 0, "ied_incidents", "a number > 0", self.ied_incidents
        )
        _require(self.vehicles >= 1, "vehicles", "an integer >= 1", self.vehicles)


@dataclass(frozen=True, slots=True)
class PriceParams(FromToml):
    """
    What the loads optimiser trades (``[prices]``).

    Parameters
    ----------
    incident_usd
        Price of one expected incident, in US dollars, against equipment value.
        Default 5 000 000: a planning figure (the order of a destroyed armoured
        vehicle plus casualty evacuation); sweep it with ``--pareto``.
    handover_fraction
        Fraction of a lot's value credited when it is handed over instead of
        carried. Default 0 (value lost to the force either way).
    breakdown_usd
        Price of one vehicle breakdown on the road, in US dollars. Default 20 000
        (an assumption: recovery, repair parts and the column's delay; the same
        order as a major repair of a tactical truck). Breakdowns per km are the
        fleet's reliabilities under the Monte Carlo's law.
    fuel_usd_per_l
        Price of a litre of fuel delivered in theatre, in US dollars. Default 5 (an
        assumption: the "fully burdened" cost of fuel delivered by road convoy is
        several times its purchase price, about 1 USD/l; US DoD fully burdened cost
        of fuel studies, 2012).
    crew_hour_usd
        Price of one crew hour on the move (driving or halted after departure), in
        US dollars. Default 50 (an assumption: pay, allowances and fatigue of a
        soldier on convoy duty).
    crew_per_vehicle
        Crew of each vehicle, for crew hours. Default 2 (driver and vehicle
        commander; an assumption when the fleet gives no crew).

    The objective of the schedule adds the price of each kilometre (breakdowns and
    fuel) and of each hour after departure (crew), converted to expected-incident
    equivalents by dividing by ``incident_usd`` (none when it is 0).
    """

    TABLE: ClassVar[str] = "prices"
    incident_usd: float = 5_000_000.0
    handover_fraction: float = 0.0
    breakdown_usd: float = 20_000.0
    fuel_usd_per_l: float = 5.0
    crew_hour_usd: float = 50.0
    crew_per_vehicle: float = 2.0

    def __post_init__(self) -> None:
        _require(
            self.incident_usd >= 0, "incident_usd", "dollars >= 0", self.incident_usd
        )
        for name in ("breakdown_usd", "fuel_usd_per_l", "crew_hour_usd"):
            x = getattr(self, name)
            _require(math.isfinite(x) and x >= 0, name, "dollars >= 0", x)
        _require(
            math.isfinite(self.crew_per_vehicle) and self.crew_per_vehicle >= 0,
            "crew_per_vehicle",
            "persons >= 0",
            self.crew_per_vehicle,
        )


#: Fuel burnt per km by vehicle role, in litres (a word of the vehicle's type, first
#: match; ``FUEL_L_PER_KM_DEFAULT`` when none matches). Order-of-magnitude figures
#: for loaded vehicles on unpaved roads, an assumption built from manufacturers'
#: road figures raised by about half for sand and laterite: MAN HX 6x6 cargo truck
#: about 40 l/100 km on road, 6x6 APCs (VAB, Bastion) 40-50 l/100 km, tractor and
#: low-bed semi-trailer 60-70 l/100 km, 4x4 light vehicles 15 l/100 km.
FUEL_L_PER_KM: tuple[tuple[str, float], ...] = (
    ("low-bed", 1.0),
    ("recovery", 0.8),
    ("fuel", 0.65),
    ("water", 0.65),
    ("cargo", 0.6),
    ("truck", 0.6),
    ("engineer", 0.7),
    ("clearance", 0.7),
    ("apc", 0.7),
    ("armoured", 0.7),
    ("ambulance", 0.3),
    ("command", 0.25),
    ("light", 0.25),
    ("pick", 0.2),
)

#: Fuel per km of a vehicle whose type matches no word of ``FUEL_L_PER_KM``.
FUEL_L_PER_KM_DEFAULT = 0.6


def fuel_l_per_km(vehicle_type: str) -> float:
    """Litres per km of a vehicle type (``FUEL_L_PER_KM``, first matching word)."""
    t = vehicle_type.lower()
    for word, litres in FUEL_L_PER_KM:
        if word in t:
            return litres
    return FUEL_L_PER_KM_DEFAULT


@dataclass(frozen=True, slots=True)
class LoadParams(FromToml):
    """
    Destruction and disposal of what the column leaves behind (``[loads]``).

    Parameters
    ----------
    destruction_teams
        Demolition teams working in parallel at the camp before departure, a count
        (>= 1). Destruction delays the earliest departure by the total team-hours
        divided by this. Default 4: an engineer platoon's demolition sections; a
        planning assumption.
    vehicle_destroy_hours
        Team-hours to destroy (render unusable) one vehicle left behind, in hours
        (>= 0). Default 1.0: draining, burning or charging a vehicle is about an
        hour's work for a team; a planning assumption.
    destroy_vehicles_left
        Whether vehicles that do not move are destroyed (true, costing
        ``vehicle_destroy_hours`` each) or simply abandoned (false). Default true:
        MINUSMA destroyed the vehicles and equipment it could not move from Kidal in
        2023 (MINUSMA 2023).
    handover_allowed
        Whether lots that are not carried may be handed over (to a host-nation force
        or another mission) instead of abandoned; sensitive lots never are. Default
        false: no handover was agreed at Kidal in 2023 (MINUSMA 2023).
    """

    TABLE: ClassVar[str] = "loads"
    destruction_teams: int = 4
    vehicle_destroy_hours: float = 1.0
    destroy_vehicles_left: bool = True
    handover_allowed: bool = False

    def __post_init__(self) -> None:
        _require(
            self.destruction_teams >= 1,
            "destruction_teams",
            "an integer >= 1",
            self.destruction_teams,
        )
        _require(
            self.vehicle_destroy_hours >= 0,
            "vehicle_destroy_hours",
            "hours >= 0",
            self.vehicle_destroy_hours,
        )


@dataclass(frozen=True, slots=True)
class SolverParams(FromToml):
    """
    Solver limits (``[solver]``).

    Parameters
    ----------
    time_limit_s
        Limit of each CP-SAT solve in CP-SAT's *deterministic* time (a count of
        work, about seconds on one core), so that the same inputs give the same
        plan however loaded the machine is; wall-clock time is longer when cores
        are shared (about 3x was seen here). A wall-clock guard of ten times the
        limit stops a solve on an overloaded machine. Default 10.
    workers
        CP-SAT search workers. Default 2 (one per core here); with more than one
        the search is still deterministic because CP-SAT runs in interleaved mode.
    relative_gap
        Stop CP-SAT when the proven gap is below this fraction. Default 0.005.
    gap_target
        Largest gap between the loads plan and CP-SAT's proven bound (a fraction)
        that counts as proven: a solve that stops at its time limit above it is
        reported as NOT_PROVEN (console warning, plan.json, report) and
        ``convoy plan`` exits with code 3 unless ``--accept-gap``. Default 0.01
        (1 %): an assumption, twice ``relative_gap``, well above the 0.3 % the
        embedded scenario reaches within the default limit.
    pareto_points
        Prices of an incident swept by ``--pareto``. Default 9.
    routing_first_solution, routing_metaheuristic, routing_time_limit_s
        Search of the fleet routing of several camps (OR-Tools RoutingModel):
        the first solution strategy and the local search metaheuristic, by their
        OR-Tools names, and a wall-clock limit in seconds. Defaults
        ``PARALLEL_CHEAPEST_INSERTION``, ``GREEDY_DESCENT`` (stops at a local
        optimum, so the same inputs give the same routes; ``GUIDED_LOCAL_SEARCH``
        searches further but stops on the clock, so its result depends on the
        machine's load) and 30 s (a guard: an assumption).
    routing_solution_limit
        Stop the routing search after this many solutions (0: no limit). A count
        of solutions, unlike the clock, gives the same routes on any machine:
        set it low enough that the search stops by it before the time limit.
        Default 0.
    routing_decompose_groups
        A sector with more cargo groups than this is routed camp by camp: each
        camp's own vehicles and cargo (trips load at one camp, so this is exact
        when no vehicle may go north, ``[sector] northbound = false``), plus the
        destination's vehicles shared out by the camps' shortfall of capacity (a
        heuristic: the undivided model may share them better, and may send a
        camp's vehicle to another camp for a second trip). Insertion heuristics
        grow faster than linearly with the nodes, so at a few thousand groups the
        undivided model finds no first solution in minutes. Default 600 (an
        assumption: about 1.5 times the embedded northern sector's 404 groups,
        which stays undivided); 0 never divides.
    """

    TABLE: ClassVar[str] = "solver"
    time_limit_s: float = 10.0
    workers: int = 2
    relative_gap: float = 0.005
    gap_target: float = 0.01
    pareto_points: int = 9
    routing_first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    routing_metaheuristic: str = "GREEDY_DESCENT"
    routing_time_limit_s: float = 30.0
    routing_solution_limit: int = 0
    routing_decompose_groups: int = 600

    def __post_init__(self) -> None:
        _require(
            math.isfinite(self.time_limit_s) and self.time_limit_s > 0,
            "time_limit_s",
            "finite seconds > 0",
            self.time_limit_s,
        )
        _require(
            0 <= self.gap_target < 1,
            "gap_target",
            "a fraction in [0, 1)",
            self.gap_target,
        )
        _require(self.workers >= 1, "workers", "an integer >= 1", self.workers)
        _require(
            math.isfinite(self.routing_time_limit_s) and self.routing_time_limit_s > 0,
            "routing_time_limit_s",
            "finite seconds > 0",
            self.routing_time_limit_s,
        )
        _require(
            self.routing_solution_limit >= 0,
            "routing_solution_limit",
            "an integer >= 0",
            self.routing_solution_limit,
        )
        _require(
            self.routing_decompose_groups >= 0,
            "routing_decompose_groups",
            "an integer >= 0",
            self.routing_decompose_groups,
        )


@dataclass(frozen=True, slots=True)
class SimulationParams(FromToml):
    """
    Assumptions of the Monte Carlo simulation (``[simulation]``).

    Parameters
    ----------
    ied_delay_h
        Mean column delay of one IED incident, hours (>= 0); exponential. Default
        2.0 h: casualty evacuation by road, clearance of the site and recovery.
        Planning assumption.
    ambush_delay_h
        Mean column delay of one ambush, hours (>= 0); exponential. Default 1.0 h:
        contact, reorganisation, casualty care. Planning assumption.
    ied_destroy_p
        Probability that an IED incident destroys a vehicle, in [0, 1]. Default
        0.3. Planning assumption (of the six IEDs on the 2023 convoy, several
        disabled vehicles; MINUSMA 2023 statements give no exact count).
    ambush_destroy_p
        Probability that an ambush destroys a vehicle, in [0, 1]. Default 0.1.
        Planning assumption.
    breakdown_delay_h
        Column delay per breakdown, hours (>= 0), repaired, recovered or not.
        Default 0.5 h: a roadside repair, hook-up by a recovery vehicle, or
        stripping and destroying the vehicle. Planning assumption.
    repair_p
        Probability that a breakdown is repaired on the spot by the crew and the
        trail party's mechanics (FM 55-30: the trail party carries maintenance and
        recovery), in [0, 1]. Default 0.7, a planning assumption: without it every
        breakdown needs a tow, and a fleet rated 0.93 per 100 km would lose a fifth
        of its vehicles on a 380 km road, which convoys do not.
    laager_repair_h
        Hours the mechanics need at a halt to repair a towed vehicle (>= 0): a halt
        at least this long repairs it, and its recovery vehicle is free again this
        long after the halt begins. Default 4 h: an assembly changed by the trail
        party's maintenance section at the night's laager (FM 55-30: the trail
        party carries maintenance and recovery). Planning assumption.
    laager_repair_p
        Probability that a towed vehicle is repaired at the first such halt, in
        [0, 1]; otherwise it stays in tow to the destination. Default 0.8, a
        planning assumption (most breakdowns are of parts a maintenance section
        carries).
    tow_wait_h
        Hours a broken-down vehicle may wait, guarded, for a recovery vehicle to
        come free (>= 0); past that it is stripped and destroyed (lost). Default
        2 h: a planning assumption (the column does not leave a vehicle and its
        guard alone on the road for longer in daylight).
    fixed_rates
        True to draw incidents at the planner's rates exactly (no uncertainty of
        the calibration). Default false: the rate of each channel is drawn per run
        (see ``rate_shape_ied``).
    rate_shape_ied, rate_shape_ambush
        Shape k (> 0) of the Gamma(k, 1/k) multiplier (mean 1, variance 1/k) drawn
        per run on each channel's incident rate: the uncertainty of the
        calibrated scale, which makes the counts overdispersed (negative binomial,
        variance mean + mean^2 / k). Unset (the default): the calibration's
        posterior shape when the planner hands one over, else fixed rates.
    near_repeat_boost
        Near-repeat clustering: after an incident, its channel's rate on the next
        ``near_repeat_km`` of route within ``near_repeat_h`` hours is multiplied by
        this (>= 1; 1 turns it off). Default 2, an assumption: near-repeat
        studies report significant space-time clustering of IED attacks but no
        rate multiplier usable as is. The background rate is lowered so that the
        mean number of incidents stays the planner's expected incidents (the
        calibration counted clustered incidents too).
    near_repeat_km, near_repeat_h
        Reach of the boost along the route, km (> 0), and in time, hours (> 0).
        Defaults 1 km and 48 h: IED risk is highest within about 1 km and 2 days
        of an IED attack (Townsley, Johnson and Ratcliffe, "Space time dynamics of
        insurgent activity in Iraq", Security Journal 21(3), 2008; Braithwaite and
        Johnson, "Space-time modeling of insurgency and counterinsurgency in
        Iraq", J. Quantitative Criminology 28, 2012, find the same clustering).
        Applied to ambushes too, an assumption.
    """

    TABLE: ClassVar[str] = "simulation"
    ied_delay_h: float = 2.0
    ambush_delay_h: float = 1.0
    ied_destroy_p: float = 0.3
    ambush_destroy_p: float = 0.1
    breakdown_delay_h: float = 0.5
    repair_p: float = 0.7
    laager_repair_h: float = 4.0
    laager_repair_p: float = 0.8
    tow_wait_h: float = 2.0
    fixed_rates: bool = False
    rate_shape_ied: float | None = None
    rate_shape_ambush: float | None = None
    near_repeat_boost: float = 2.0
    near_repeat_km: float = 1.0
    near_repeat_h: float = 48.0

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or value is None:
                continue
            prob = f.name.endswith("_p")
            if f.name.startswith("rate_shape") or f.name in (
                "near_repeat_km",
                "near_repeat_h",
            ):
                ok, expected = math.isfinite(value) and value > 0, "a number > 0"
            elif f.name == "near_repeat_boost":
                ok, expected = math.isfinite(value) and value >= 1, "a factor >= 1"
            else:
                ok = math.isfinite(value) and value >= 0 and (not prob or value <= 1)
                expected = "a probability in [0, 1]" if prob else "hours >= 0"
            if not ok:
                problems.append(
                    Problem("[simulation]", "", f.name, expected, repr(value))
                )
        if problems:
            raise ScenarioError(problems)

    def numbers(self) -> dict[str, float]:
        """The numeric assumptions (delays, probabilities, hours), by name."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if not f.name.startswith(("rate_shape", "near_repeat", "fixed_rates"))
        }

    def rate_shapes(
        self, posterior: tuple[float | None, float | None] | None = None
    ) -> tuple[float | None, float | None]:
        """
        Gamma shapes of the IED and ambush rate multipliers (None: fixed rate).

        ``rate_shape_*`` when set, else the calibration's ``posterior`` shapes;
        none with ``fixed_rates``.
        """
        if self.fixed_rates:
            return (None, None)
        post = posterior or (None, None)
        return (
            self.rate_shape_ied if self.rate_shape_ied is not None else post[0],
            self.rate_shape_ambush if self.rate_shape_ambush is not None else post[1],
        )


@dataclass(frozen=True, slots=True)
class ReportParams(FromToml):
    """
    How the report is rendered (``[report]``).

    Parameters
    ----------
    template
        A Jinja2 file (path relative to the scenario folder, or absolute) used by
        ``convoy report`` instead of the packaged template; ``--template`` wins over
        it. Default ``""``: the packaged ``convoy/report/templates/report.html.j2``.
        A choice of presentation, not an assumption.
    """

    TABLE: ClassVar[str] = "report"
    template: str = ""


@dataclass(frozen=True, slots=True)
class SectorParams(FromToml):
    """
    Several camps emptied into one destination (``[sector]``, with ``[[camps]]``).

    Parameters
    ----------
    northbound
        Whether vehicles whose ``camp`` is the destination may be sent north
        empty to load at a camp. Default true; false reproduces a force whose
        trucks at the destination were not authorised to go north.
    convoy_max_vehicles
        Most vehicles in one convoy, vehicles. Default 150, the default
        ``[movement] halt_capacity_vehicles`` (a convoy must fit its halts).
    groups
        A convoy larger than ``convoy_max_vehicles / groups`` is split into
        this many groups leaving ``group_gap_days`` apart (the 2023 Kidal column
        moved in three groups). Default 1: no split.
    group_gap_days
        Days between the departures of the groups of a split column. Default 1.0
        (an assumption).
    max_convoys_per_road_day
        Most convoys leaving on the same road on one day; later convoys wait a
        day. Default 0: no limit.
    vehicle_fixed_usd
        Fixed cost of using a vehicle as a carrier in the routing, US dollars.
        Default 20,000 (an assumption: crew, fuel and upkeep of one more
        vehicle on the road; it keeps idle carriers at home when the lots do
        not pay for them).
    personnel_group
        Persons in one personnel group of the routing beyond the seats of the
        camp's own vehicles (within them, a group is one vehicle's seats).
        Default 10 (an assumption: about one vehicle's seats).
    join_on_the_way
        Whether a camp's convoy may drive to another camp and leave with that
        camp's convoy as one, where the whole model finds it pays (a column's
        expected incidents hardly shrink with its size, so one column on a shared
        road carries about half the risk of two). Default true; false keeps every
        camp's convoys apart (e.g. contingents that may not merge). The 2023
        columns from Tessalit and Aguelhok reached Gao together (MINUSMA 2023).
    """

    TABLE: ClassVar[str] = "sector"
    northbound: bool = True
    convoy_max_vehicles: int = 150
    groups: int = 1
    group_gap_days: float = 1.0
    max_convoys_per_road_day: int = 0
    vehicle_fixed_usd: float = 20_000.0
    personnel_group: int = 10
    join_on_the_way: bool = True

    def __post_init__(self) -> None:
        _require(
            self.convoy_max_vehicles >= 1,
            "convoy_max_vehicles",
            "an integer >= 1",
            self.convoy_max_vehicles,
        )
        _require(self.groups >= 1, "groups", "an integer >= 1", self.groups)
        _require(
            math.isfinite(self.group_gap_days) and self.group_gap_days >= 0,
            "group_gap_days",
            "finite days >= 0",
            self.group_gap_days,
        )
        _require(
            self.max_convoys_per_road_day >= 0,
            "max_convoys_per_road_day",
            "an integer >= 0",
            self.max_convoys_per_road_day,
        )
        _require(
            math.isfinite(self.vehicle_fixed_usd) and self.vehicle_fixed_usd >= 0,
            "vehicle_fixed_usd",
            "finite US dollars >= 0",
            self.vehicle_fixed_usd,
        )
        _require(
            self.personnel_group >= 1,
            "personnel_group",
            "an integer >= 1",
            self.personnel_group,
        )

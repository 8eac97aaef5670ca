"""The records of plan.json's scenario, calibration and plans (trips).

One frozen dataclass per object of the document (the loads and march units are in
:mod:`convoy.document.loads`).

Each record is read from its JSON object by ``read(fields)`` (every field checked,
see :class:`convoy.document._fields.Fields`) and written back by ``to_dict()``;
times are aware UTC datetimes here and ISO 8601 strings in the file. Fields that
older or hand-made documents may lack are ``None`` when absent and are then left
out when written. Names follow the JSON keys, except ``from``/``to`` of a leg
(``from_site``/``to_site``). See docs/plan-json.md for the meaning of each field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from convoy.document._fields import Fields, iso, with_optional

Coords = tuple[tuple[float, float], ...]


def _times(t: datetime | None) -> str | None:
    return None if t is None else iso(t)


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """What the plan was made from: the scenario's identity, times and input hashes."""

    name: str
    title: str
    path: str
    start: datetime
    deadline: datetime
    origin: str
    destination: str
    air_cover: bool
    personnel: int
    seed: int
    crs: str
    inputs: dict[str, str]

    @classmethod
    def read(cls, f: Fields) -> ScenarioInfo:
        """Read the ``scenario`` object."""
        inputs = f.mapping("inputs")
        if not all(isinstance(v, str) for v in inputs.values()):
            f.fail("inputs", "an object of file name: sha256 strings")
        return cls(
            f.str_("name"),
            f.str_("title"),
            f.str_("path"),
            f.time("start"),
            f.time("deadline"),
            f.str_("origin"),
            f.str_("destination"),
            f.bool_("air_cover"),
            f.int_("personnel"),
            f.int_("seed"),
            f.str_("crs"),
            inputs,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "name": self.name,
            "title": self.title,
            "path": self.path,
            "start": iso(self.start),
            "deadline": iso(self.deadline),
            "origin": self.origin,
            "destination": self.destination,
            "air_cover": self.air_cover,
            "personnel": self.personnel,
            "seed": self.seed,
            "crs": self.crs,
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """
    One channel's calibrated scale with its interval and Gamma posterior.

    ``source`` is ``observed`` (fitted to counts of the channel), ``assumed``
    (not observed on any trip: ``ambush_per_ied`` times the IED level) or
    ``given``. ``posterior_shape`` is observed + prior shape; the posterior's
    rate is ``exposure`` (expected incidents at scale 1 on the trips used).
    """

    channel: str
    scale: float
    lower: float | None
    upper: float | None
    observed: float
    exposure: float
    posterior_shape: float | None
    source: str

    @classmethod
    def read(cls, f: Fields) -> ChannelInfo:
        """Read one ``calibration.channels`` object."""
        return cls(
            f.str_("channel"),
            f.num("scale", lo=0.0),
            f.num_or_none("lower"),
            f.num_or_none("upper"),
            f.num("observed", lo=0.0),
            f.num("exposure", lo=0.0),
            f.num_or_none("posterior_shape"),
            f.choice("source", ("observed", "assumed", "given")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "channel": self.channel,
                "scale": self.scale,
                "observed": self.observed,
                "exposure": self.exposure,
                "source": self.source,
            },
            lower=self.lower,
            upper=self.upper,
            posterior_shape=self.posterior_shape,
        )


@dataclass(frozen=True, slots=True)
class ReferenceTripInfo:
    """One reference trip: predicted (at the fitted scales) and observed incidents."""

    name: str
    predicted_ied: float
    predicted_ambush: float
    observed_ied: float | None
    observed_ambush: float | None
    used: bool
    holdout: bool

    @classmethod
    def read(cls, f: Fields) -> ReferenceTripInfo:
        """Read one ``calibration.trips`` object."""
        return cls(
            f.str_("name"),
            f.num("predicted_ied", lo=0.0),
            f.num("predicted_ambush", lo=0.0),
            f.num_or_none("observed_ied"),
            f.num_or_none("observed_ambush"),
            f.bool_("used"),
            f.bool_("holdout"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (an unknown count is null)."""
        return {
            "name": self.name,
            "predicted_ied": self.predicted_ied,
            "predicted_ambush": self.predicted_ambush,
            "observed_ied": self.observed_ied,
            "observed_ambush": self.observed_ambush,
            "used": self.used,
            "holdout": self.holdout,
        }


@dataclass(frozen=True, slots=True)
class CalibrationInfo:
    """
    The scales the planner applied to the two risk channels, and where from.

    ``channels`` and ``trips`` are the joint calibration on the reference trips;
    ``interval`` the probability of every interval in the document;
    ``ambush_note`` says when the ambush level is assumed, not observed;
    ``historical_ratio`` is the historical profile's expected incidents over the
    optimised plan's, with its interval (value, low, high).
    """

    scale_ied: float
    scale_ambush: float
    reference: str
    target_ied_incidents: float
    calibrated: bool | None = None
    interval: float | None = None
    channels: tuple[ChannelInfo, ...] | None = None
    trips: tuple[ReferenceTripInfo, ...] | None = None
    ambush_note: str | None = None
    historical_ratio: tuple[float, ...] | None = None

    @classmethod
    def read(cls, f: Fields) -> CalibrationInfo:
        """Read the ``calibration`` object."""
        return cls(
            f.num("scale_ied", lo=0.0),
            f.num("scale_ambush", lo=0.0),
            f.str_("reference"),
            f.num("target_ied_incidents"),
            f.bool_or_none("calibrated"),
            f.num_or_none("interval"),
            f.rows_or_none("channels", ChannelInfo.read),
            f.rows_or_none("trips", ReferenceTripInfo.read),
            f.str_or_none("ambush_note"),
            f.nums("historical_ratio") if f.has("historical_ratio") else None,
        )

    def channel(self, name: str) -> ChannelInfo | None:
        """The fit of channel ``name``, None when not recorded."""
        return next((c for c in self.channels or () if c.channel == name), None)

    def rate_shapes(self) -> tuple[tuple[float | None, float | None], bool]:
        """
        The Monte Carlo's draws of the scales, as ``convoy plan`` makes them.

        Gamma shapes (IED, ambush) of the calibration's posterior, ``(None,
        None)`` when the scales were given, and whether the ambush draw follows
        the IED one (its level was assumed from it).
        """
        ied, amb = self.channel("ied"), self.channel("ambush")
        shapes = (
            None if ied is None else ied.posterior_shape,
            None if amb is None else amb.posterior_shape,
        )
        return shapes, amb is not None and amb.source == "assumed"

    def sentences(self) -> list[str]:
        """
        The calibration in words: scales with intervals, the trips, the ratio.

        The console summary and the report print these.
        """
        pct = f"{100 * (self.interval or 0.9):g} %"
        used = [t for t in self.trips or () if t.used]
        out = []
        if not self.calibrated or not self.channels:
            out.append(
                "Risk scales given in the scenario ([risk] scale_*), not "
                "calibrated: no interval; the observed counts below are not used."
            )
        for c in self.channels or ():
            band = (
                f" ({pct} interval {c.lower:.3g}-{c.upper:.3g})"
                if c.lower is not None and c.upper is not None
                else ""
            )
            if c.source == "observed":
                names = ", ".join(t.name for t in used) or "none"
                out.append(
                    f"{c.channel} scale {c.scale:.3g}{band}: {c.observed:g} "
                    f"observed against {c.exposure:.3g} expected at scale 1 on "
                    f"{names}."
                )
            else:
                out.append(
                    f"{c.channel} scale {c.scale:.3g}{band}: assumed, not "
                    "observed (ambush_per_ied times the IED level)."
                )
        for t in self.trips or ():
            role = (
                "calibration"
                if t.used and self.calibrated
                else "holdout"
                if t.holdout
                else "unused"
            )
            seen = (
                ", ".join(
                    f"{ch} {v:g}"
                    for ch, v in (
                        ("IED", t.observed_ied),
                        ("ambush", t.observed_ambush),
                    )
                    if v is not None
                )
                or "not known"
            )
            out.append(
                f"{t.name} ({role}): predicted IED {t.predicted_ied:.2f}, ambush "
                f"{t.predicted_ambush:.2f}; observed {seen}."
            )
        if self.historical_ratio is not None:
            v, lo, hi = self.historical_ratio
            tail = (
                "scale-free: both channels share one scale, so its uncertainty "
                "is the model's, not the count's"
                if abs(hi - lo) <= 1e-9 * max(1.0, v)
                else f"{pct} interval {lo:.2f}-{hi:.2f} over the ambush to IED "
                "scale ratio"
            )
            out.append(
                f"The historical profile has {v:.2f} times the optimised plan's "
                f"expected incidents ({tail})."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "scale_ied": self.scale_ied,
                "scale_ambush": self.scale_ambush,
                "reference": self.reference,
                "target_ied_incidents": self.target_ied_incidents,
            },
            calibrated=self.calibrated,
            interval=self.interval,
            channels=None
            if self.channels is None
            else [c.to_dict() for c in self.channels],
            trips=None if self.trips is None else [t.to_dict() for t in self.trips],
            ambush_note=self.ambush_note,
            historical_ratio=None
            if self.historical_ratio is None
            else list(self.historical_ratio),
        )


@dataclass(frozen=True, slots=True)
class TripSummary:
    """SUMMARY: the figures of one plan (the optimised plan or a baseline)."""

    expected_incidents: float
    expected_ied_incidents: float
    expected_ambush_incidents: float
    depart: datetime
    arrive: datetime
    travel_days: float
    distance_km: float
    vehicles_moving: int
    value_carried: float
    value_left_behind: float
    feasible: bool
    note: str
    expected_ambush_moving: float | None = None
    expected_ambush_halted: float | None = None
    breakdowns_expected: float | None = None
    fuel_l: float | None = None
    crew_hours: float | None = None
    running_cost_incidents: float | None = None
    background_incidents: float | None = None

    @property
    def background_share(self) -> float | None:
        """Share of the expected incidents due to the background (None: unknown)."""
        if self.background_incidents is None:
            return None
        if self.expected_incidents <= 0:
            return 0.0
        return self.background_incidents / self.expected_incidents

    expected_incidents_low: float | None = None
    expected_incidents_high: float | None = None

    @classmethod
    def read(cls, f: Fields) -> TripSummary:
        """Read a SUMMARY object."""
        return cls(
            f.num("expected_incidents", lo=0.0),
            f.num("expected_ied_incidents", lo=0.0),
            f.num("expected_ambush_incidents", lo=0.0),
            f.time("depart"),
            f.time("arrive"),
            f.num("travel_days"),
            f.num("distance_km", lo=0.0),
            f.int_("vehicles_moving"),
            f.num("value_carried"),
            f.num("value_left_behind"),
            f.bool_("feasible"),
            f.str_("note"),
            f.num_or_none("expected_ambush_moving"),
            f.num_or_none("expected_ambush_halted"),
            f.num_or_none("breakdowns_expected"),
            f.num_or_none("fuel_l"),
            f.num_or_none("crew_hours"),
            f.num_or_none("running_cost_incidents"),
            f.num_or_none("background_incidents"),
            f.num_or_none("expected_incidents_low"),
            f.num_or_none("expected_incidents_high"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "expected_incidents": self.expected_incidents,
                "expected_ied_incidents": self.expected_ied_incidents,
                "expected_ambush_incidents": self.expected_ambush_incidents,
                "depart": iso(self.depart),
                "arrive": iso(self.arrive),
                "travel_days": self.travel_days,
                "distance_km": self.distance_km,
                "vehicles_moving": self.vehicles_moving,
                "value_carried": self.value_carried,
                "value_left_behind": self.value_left_behind,
                "feasible": self.feasible,
                "note": self.note,
            },
            expected_ambush_moving=self.expected_ambush_moving,
            expected_ambush_halted=self.expected_ambush_halted,
            breakdowns_expected=self.breakdowns_expected,
            fuel_l=self.fuel_l,
            crew_hours=self.crew_hours,
            running_cost_incidents=self.running_cost_incidents,
            background_incidents=self.background_incidents,
            expected_incidents_low=self.expected_incidents_low,
            expected_incidents_high=self.expected_incidents_high,
        )


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg of a trajectory: a road edge driven from one node to the next."""

    from_site: str
    to_site: str
    from_node: int
    to_node: int
    depart: datetime
    arrive: datetime
    mode: str
    length_km: float
    speed_kph: float
    expected_ied: float
    expected_ambush: float
    road: str
    coords: Coords

    @classmethod
    def read(cls, f: Fields) -> Leg:
        """Read a leg object."""
        return cls(
            f.str_("from"),
            f.str_("to"),
            f.int_("from_node"),
            f.int_("to_node"),
            f.time("depart"),
            f.time("arrive"),
            f.str_("mode"),
            f.num("length_km", lo=0.0),
            f.num("speed_kph"),
            f.num("expected_ied", lo=0.0),
            f.num("expected_ambush", lo=0.0),
            f.str_("road"),
            f.coords("coords"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "from": self.from_site,
            "to": self.to_site,
            "from_node": self.from_node,
            "to_node": self.to_node,
            "depart": iso(self.depart),
            "arrive": iso(self.arrive),
            "mode": self.mode,
            "length_km": self.length_km,
            "speed_kph": self.speed_kph,
            "expected_ied": self.expected_ied,
            "expected_ambush": self.expected_ambush,
            "road": self.road,
            "coords": self.coords,
        }


@dataclass(frozen=True, slots=True)
class Halt:
    """One halt of a trajectory, at a site (or a laager beside the road)."""

    site: str
    node: int
    lon: float
    lat: float
    start: datetime
    end: datetime
    hours: float
    expected_ambush: float

    @classmethod
    def read(cls, f: Fields) -> Halt:
        """Read a halt object."""
        return cls(
            f.str_("site"),
            f.int_("node"),
            f.num("lon"),
            f.num("lat"),
            f.time("start"),
            f.time("end"),
            f.num("hours"),
            f.num("expected_ambush", lo=0.0),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "site": self.site,
            "node": self.node,
            "lon": self.lon,
            "lat": self.lat,
            "start": iso(self.start),
            "end": iso(self.end),
            "hours": self.hours,
            "expected_ambush": self.expected_ambush,
        }


@dataclass(frozen=True, slots=True)
class RiskPiece:
    """A 250 m piece of the route with the risk the head meets there."""

    km_from: float
    km_to: float
    head_time: datetime
    ied_per_km: float
    ambush_per_km_h: float
    expected: float
    coords: Coords

    @classmethod
    def read(cls, f: Fields) -> RiskPiece:
        """Read a risk_along_route object."""
        return cls(
            f.num("km_from"),
            f.num("km_to"),
            f.time("head_time"),
            f.num("ied_per_km"),
            f.num("ambush_per_km_h"),
            f.num("expected"),
            f.coords("coords"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "km_from": self.km_from,
            "km_to": self.km_to,
            "head_time": iso(self.head_time),
            "ied_per_km": self.ied_per_km,
            "ambush_per_km_h": self.ambush_per_km_h,
            "expected": self.expected,
            "coords": self.coords,
        }


@dataclass(frozen=True, slots=True)
class TrajectoryPoint:
    """The head's distance from the origin at one time."""

    time: datetime
    km: float

    @classmethod
    def read(cls, f: Fields) -> TrajectoryPoint:
        """Read a trajectory object."""
        return cls(f.time("time"), f.num("km"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {"time": iso(self.time), "km": self.km}


@dataclass(frozen=True, slots=True)
class MarchTableRow:
    """MARCH ROW: one march unit at one checkpoint."""

    unit: str
    serial: str
    checkpoint: str
    kind: str
    km: float
    head_arrival: datetime
    tail_clearance: datetime
    pass_time_min: float
    halt_until: datetime | None

    @classmethod
    def read(cls, f: Fields) -> MarchTableRow:
        """Read a march table row."""
        return cls(
            f.str_("unit"),
            f.str_("serial"),
            f.str_("checkpoint"),
            f.str_("kind"),
            f.num("km"),
            f.time("head_arrival"),
            f.time("tail_clearance"),
            f.num("pass_time_min"),
            f.time_or_none("halt_until"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``halt_until`` null away from a halt)."""
        return {
            "unit": self.unit,
            "serial": self.serial,
            "checkpoint": self.checkpoint,
            "kind": self.kind,
            "km": self.km,
            "head_arrival": iso(self.head_arrival),
            "tail_clearance": iso(self.tail_clearance),
            "pass_time_min": self.pass_time_min,
            "halt_until": _times(self.halt_until),
        }


@dataclass(frozen=True, slots=True)
class TripPlan:
    """PLAN: one trajectory of the column's head, priced, with its march table."""

    summary: TripSummary
    legs: tuple[Leg, ...]
    halts: tuple[Halt, ...]
    risk_along_route: tuple[RiskPiece, ...]
    trajectory: tuple[TrajectoryPoint, ...]
    march_table: tuple[MarchTableRow, ...] | None = None

    @classmethod
    def read(cls, f: Fields) -> TripPlan:
        """Read a PLAN object."""
        return cls(
            TripSummary.read(f.obj("summary")),
            f.rows("legs", Leg.read),
            f.rows("halts", Halt.read),
            f.rows("risk_along_route", RiskPiece.read),
            f.rows("trajectory", TrajectoryPoint.read),
            f.rows_or_none("march_table", MarchTableRow.read),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        out = {
            "summary": self.summary.to_dict(),
            "legs": [x.to_dict() for x in self.legs],
            "halts": [x.to_dict() for x in self.halts],
            "risk_along_route": [x.to_dict() for x in self.risk_along_route],
            "trajectory": [x.to_dict() for x in self.trajectory],
        }
        if self.march_table is not None:
            out["march_table"] = [x.to_dict() for x in self.march_table]
        return out

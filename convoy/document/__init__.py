"""plan.json both ways: :class:`PlanDocument`, built from a plan or read from a file.

:meth:`PlanDocument.from_plan` is the one builder of plan.json (docs/plan-json.md);
:meth:`PlanDocument.to_json` writes it with :func:`canonical_json`, so the same plan
is the same bytes, and :meth:`PlanDocument.read` turns a file back into the same
typed records, with a clear :class:`~convoy.errors.ScenarioError` naming the place
and the field when the file is corrupt or mistyped. Everything written after
planning (tables, maps, report, Monte Carlo) reads these records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from convoy._version import __version__
from convoy.baselines import BASELINE_NAMES
from convoy.document import build
from convoy.document._fields import PLAN_FILE, Fields, iso, parse_iso
from convoy.document._json import canonical_json
from convoy.document.adversary import AdversaryInfo, adversary_info
from convoy.document.loads import (
    DISPOSITIONS,
    LeftBehindRow,
    LoadoutInfo,
    LoadRow,
    MarchUnitRow,
    ParetoPoint,
    RiskTableInfo,
)
from convoy.document.records import (
    CalibrationInfo,
    ChannelInfo,
    Halt,
    Leg,
    MarchTableRow,
    ReferenceTripInfo,
    RiskPiece,
    ScenarioInfo,
    TrajectoryPoint,
    TripPlan,
    TripSummary,
)
from convoy.document.risk_model import RiskModelInfo, risk_model_info
from convoy.document.simulation import (
    CountHistogram,
    CountStats,
    DelayHistogram,
    Histograms,
    SimulationPlanned,
    SimulationSummary,
    ValueStats,
)
from convoy.errors import ConvoyError, Problem, ScenarioError
from convoy.plan import Plan
from convoy.simulate import PlannedVehicle, SimulationResult, TripExposure

#: The ``format`` of every plan.json.
PLAN_FORMAT = "convoy-plan/1"

#: The name of the optimised plan in ``plans``.
OPTIMISED = "optimised"

#: Plan names in display order: the optimised plan, then the baselines.
PLAN_ORDER: tuple[str, ...] = (OPTIMISED, *BASELINE_NAMES)

__all__ = [
    "DISPOSITIONS",
    "OPTIMISED",
    "PLAN_FILE",
    "PLAN_FORMAT",
    "PLAN_ORDER",
    "AdversaryInfo",
    "CalibrationInfo",
    "ChannelInfo",
    "CountHistogram",
    "CountStats",
    "DelayHistogram",
    "Halt",
    "Histograms",
    "LeftBehindRow",
    "Leg",
    "LoadRow",
    "LoadoutInfo",
    "MarchTableRow",
    "MarchUnitRow",
    "ParetoPoint",
    "PlanDocument",
    "ReferenceTripInfo",
    "RiskModelInfo",
    "RiskPiece",
    "RiskTableInfo",
    "ScenarioInfo",
    "SimulationPlanned",
    "SimulationSummary",
    "TrajectoryPoint",
    "TripPlan",
    "TripSummary",
    "ValueStats",
    "canonical_json",
    "iso",
    "parse_iso",
]


def _daylight(f: Fields) -> tuple[str, str] | None:
    """The ``daylight`` pair, if present."""
    if not f.has("daylight"):
        return None
    pair = f.strs("daylight")
    if len(pair) != 2:
        f.fail("daylight", '["HH:MM", "HH:MM"]')
    return pair[0], pair[1]


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """
    The plan document: everything the other outputs are made from.

    Build it with :meth:`from_plan`, read it with :meth:`read`, write it with
    :meth:`to_json`. ``summary`` and ``baselines`` of plan.json are the summaries of
    ``plans`` (properties here). Optional fields are ``None`` in documents that lack
    them (hand-made ones, or ``simulation`` after ``convoy plan --runs 0``).

    Examples
    --------
    >>> plan = plan_withdrawal(read_scenario("kidal-gao"))  # doctest: +SKIP
    >>> doc = PlanDocument.from_plan(plan)  # doctest: +SKIP
    >>> PlanDocument.read("plan/plan.json").summary.expected_incidents  # doctest: +SKIP
    1.28
    """

    format: str
    convoy_version: str
    versions: dict[str, str]
    scenario: ScenarioInfo
    calibration: CalibrationInfo
    plans: dict[str, TripPlan]
    march_table: tuple[MarchTableRow, ...]
    march_units: tuple[MarchUnitRow, ...]
    loads: tuple[LoadRow, ...]
    left_behind: tuple[LeftBehindRow, ...]
    loadout: LoadoutInfo
    pareto: tuple[ParetoPoint, ...] = ()
    notes: tuple[str, ...] = ()
    risk_table: RiskTableInfo | None = None
    windows: tuple[tuple[str, str], ...] | None = None
    daylight: tuple[str, str] | None = None
    start_minute_of_day: int | None = None
    simulation: SimulationSummary | None = None
    risk_model: RiskModelInfo | None = None
    adversary: AdversaryInfo | None = None

    # ------------------------------------------------------------------ views

    @property
    def summary(self) -> TripSummary:
        """SUMMARY of the optimised plan."""
        return self.trip(OPTIMISED).summary

    @property
    def baselines(self) -> dict[str, TripSummary]:
        """SUMMARY of each baseline present, in :data:`PLAN_ORDER`."""
        return {k: self.plans[k].summary for k in BASELINE_NAMES if k in self.plans}

    def plan_keys(self) -> list[str]:
        """Names of ``plans``: :data:`PLAN_ORDER` first, then any other sorted."""
        return [k for k in PLAN_ORDER if k in self.plans] + sorted(
            k for k in self.plans if k not in PLAN_ORDER
        )

    def trip(self, name: str = OPTIMISED) -> TripPlan:
        """
        The plan of that name.

        Raises
        ------
        ScenarioError
            No plan of that name; the message lists the names there are.
        """
        if name not in self.plans:
            raise ScenarioError(
                Problem(
                    PLAN_FILE, "plans", "", f"one of {self.plan_keys()}", repr(name)
                )
            )
        return self.plans[name]

    def trip_exposure(self, name: str = OPTIMISED) -> TripExposure:
        """One plan's trip as the Monte Carlo takes it (:mod:`convoy.simulate`)."""
        t = self.trip(name)
        t0 = self.scenario.start
        return TripExposure(
            plan=name,
            leg_ied=tuple(leg.expected_ied for leg in t.legs),
            leg_ambush=tuple(leg.expected_ambush for leg in t.legs),
            halt_ambush=tuple(h.expected_ambush for h in t.halts),
            leg_km=tuple(leg.length_km for leg in t.legs),
            planned_arrive=t.summary.arrive,
            deadline=self.scenario.deadline,
            leg_hours=tuple(
                (_hours(g.depart, t0), _hours(g.arrive, t0)) for g in t.legs
            ),
            halt_hours=tuple((_hours(h.start, t0), _hours(h.end, t0)) for h in t.halts),
        )

    def planned_vehicles(self) -> tuple[PlannedVehicle, ...]:
        """The loads' vehicles as the Monte Carlo takes them, in plan.json's order."""
        return tuple(PlannedVehicle(r.vehicle, r.status, r.tows) for r in self.loads)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_plan(
        cls, plan: Plan, simulation: SimulationResult | None = None
    ) -> PlanDocument:
        """
        The document of a plan (docs/plan-json.md).

        Parameters
        ----------
        plan
            From :func:`convoy.plan.plan_withdrawal`.
        simulation
            A Monte Carlo of the optimised plan to record; default the one the
            plan carries (``plan_withdrawal(..., runs=N)``), if any.
        """
        lonlat = build.LonLat(plan.scenario.roads.crs)
        marches = {OPTIMISED: plan.march_rows, **plan.baseline_march}
        plans = {
            name: build.trip_plan(plan, trip, lonlat, marches.get(name))
            for name, trip in plan.trips.items()
        }
        windows, daylight, start_minute = build.movement_info(plan)
        sim = simulation if simulation is not None else plan.simulation
        return cls(
            format=PLAN_FORMAT,
            convoy_version=__version__,
            versions=build.versions(),
            scenario=build.scenario_info(plan),
            calibration=build.calibration_info(plan),
            plans=plans,
            march_table=plans[OPTIMISED].march_table or (),
            march_units=build.march_unit_rows(plan),
            loads=build.load_rows(plan),
            left_behind=build.left_behind_rows(plan),
            loadout=build.loadout_info(plan),
            pareto=build.pareto_points(plan),
            notes=tuple(plan.notes),
            risk_table=build.risk_table_info(plan),
            windows=windows,
            daylight=daylight,
            start_minute_of_day=start_minute,
            simulation=None if sim is None else SimulationSummary.from_result(sim),
            risk_model=risk_model_info(plan),
            adversary=adversary_info(plan),
        )

    def with_simulation(self, simulation: SimulationSummary | None) -> PlanDocument:
        """The same document with another (or no) ``simulation``."""
        return replace(self, simulation=simulation)

    # ------------------------------------------------------------------ writing

    def to_dict(self) -> dict[str, Any]:
        """The document as plain JSON values (not rounded)."""
        out: dict[str, Any] = {
            "format": self.format,
            "convoy_version": self.convoy_version,
            "versions": dict(self.versions),
            "scenario": self.scenario.to_dict(),
            "calibration": self.calibration.to_dict(),
            "summary": self.summary.to_dict(),
            "baselines": {k: s.to_dict() for k, s in self.baselines.items()},
            "plans": {k: p.to_dict() for k, p in self.plans.items()},
            "march_table": [r.to_dict() for r in self.march_table],
            "march_units": [u.to_dict() for u in self.march_units],
            "loads": [r.to_dict() for r in self.loads],
            "left_behind": [r.to_dict() for r in self.left_behind],
            "loadout": self.loadout.to_dict(),
            "pareto": [p.to_dict() for p in self.pareto],
            "notes": list(self.notes),
        }
        if self.risk_table is not None:
            out["risk_table"] = self.risk_table.to_dict()
        if self.windows is not None:
            out["windows"] = [list(w) for w in self.windows]
        if self.daylight is not None:
            out["daylight"] = list(self.daylight)
        if self.start_minute_of_day is not None:
            out["start_minute_of_day"] = self.start_minute_of_day
        if self.simulation is not None:
            out["simulation"] = self.simulation.to_dict()
        if self.risk_model is not None:
            out["risk_model"] = self.risk_model.to_dict()
        if self.adversary is not None:
            out["adversary"] = self.adversary.to_dict()
        return out

    def to_json(self) -> str:
        """plan.json's text: sorted keys, floats to 6 significant digits."""
        return canonical_json(self.to_dict())

    def write(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    # ------------------------------------------------------------------ reading

    @classmethod
    def from_dict(cls, raw: Any) -> PlanDocument:
        """
        The document from decoded JSON.

        Raises
        ------
        ScenarioError
            Not a ``convoy-plan/1`` document, or a field missing or of the wrong
            type; the message names the place (``plans.optimised.legs[3]``), the
            field, what was expected and what was found.
        """
        f = Fields(raw, "")
        if f.raw.get("format") != PLAN_FORMAT:
            f.fail("format", repr(PLAN_FORMAT))
        plans = f.obj("plans")
        trips = {k: TripPlan.read(plans.obj(k)) for k in plans.raw}
        if OPTIMISED not in trips:
            f.fail("plans", f"an object with the plan {OPTIMISED!r}", sorted(trips))
        risk = f.obj_or_none("risk_table")
        sim = f.obj_or_none("simulation")
        risk_model = f.obj_or_none("risk_model")
        adversary = f.obj_or_none("adversary")
        versions = f.mapping("versions")
        return cls(
            format=PLAN_FORMAT,
            convoy_version=f.str_("convoy_version"),
            versions={str(k): str(v) for k, v in versions.items()},
            scenario=ScenarioInfo.read(f.obj("scenario")),
            calibration=CalibrationInfo.read(f.obj("calibration")),
            plans=trips,
            march_table=f.rows("march_table", MarchTableRow.read),
            march_units=f.rows("march_units", MarchUnitRow.read),
            loads=f.rows("loads", LoadRow.read),
            left_behind=f.rows("left_behind", LeftBehindRow.read),
            loadout=LoadoutInfo.read(f.obj("loadout")),
            pareto=f.rows("pareto", ParetoPoint.read),
            notes=f.strs("notes"),
            risk_table=None if risk is None else RiskTableInfo.read(risk),
            windows=None if not f.has("windows") else f.hhmm_pairs("windows"),
            daylight=_daylight(f),
            start_minute_of_day=None
            if not f.has("start_minute_of_day")
            else f.int_("start_minute_of_day"),
            simulation=None if sim is None else SimulationSummary.read(sim),
            risk_model=None if risk_model is None else RiskModelInfo.read(risk_model),
            adversary=None if adversary is None else AdversaryInfo.read(adversary),
        )

    @classmethod
    def from_json(cls, text: str, *, source: str = PLAN_FILE) -> PlanDocument:
        """
        The document from plan.json's text.

        Raises
        ------
        ScenarioError
            Not JSON, or not a valid plan document (see :meth:`from_dict`).
        """
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"{source}: expected a JSON document, found unreadable text ({exc})"
            raise ScenarioError(msg) from None
        return cls.from_dict(raw)

    @classmethod
    def read(cls, path: str | Path) -> PlanDocument:
        """
        Read a plan.json file.

        Raises
        ------
        ScenarioError
            No such file, unreadable, not JSON, or not a valid plan document.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            msg = (
                f"{path}: expected a plan.json written by 'convoy plan', found no file"
            )
            raise ScenarioError(msg) from None
        except (OSError, UnicodeDecodeError) as exc:
            msg = f"{path}: expected a JSON document, found unreadable text ({exc})"
            raise ScenarioError(msg) from None
        return cls.from_json(text, source=str(path))

    @classmethod
    def read_folder(cls, plan_dir: str | Path) -> PlanDocument:
        """
        Read the plan.json of a plan folder (``convoy plan -o PLANDIR``).

        Raises
        ------
        ConvoyError
            The folder has no plan.json (the message says how to write one).
        ScenarioError
            plan.json is unreadable or not a valid plan document.
        """
        path = Path(plan_dir) / PLAN_FILE
        if not path.is_file():
            msg = (
                f"{path}: no plan.json here; write one with `convoy plan -o {plan_dir}`"
            )
            raise ConvoyError(msg)
        return cls.read(path)


def _hours(t: datetime, t0: datetime) -> float:
    """Hours from ``t0`` to ``t``."""
    return (t - t0).total_seconds() / 3600.0

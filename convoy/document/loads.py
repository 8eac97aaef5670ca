"""The records of plan.json's loads: vehicles, what is left, march units, Pareto.

See :mod:`convoy.document.records` for the conventions (``read``/``to_dict``,
optional fields ``None`` when absent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convoy.document._fields import Fields, with_optional

#: Dispositions of what is left behind.
DISPOSITIONS: tuple[str, ...] = ("destroyed", "handed_over", "abandoned")

#: Kinds of a left-behind row.
LEFT_KINDS: tuple[str, ...] = ("lot", "vehicle")


@dataclass(frozen=True, slots=True)
class MarchUnitRow:
    """One march unit: its serial, vehicles, length and start offset."""

    unit: str
    serial: str
    vehicles: tuple[str, ...]
    length_km: float
    start_offset_min: float

    @classmethod
    def read(cls, f: Fields) -> MarchUnitRow:
        """Read a march_units object."""
        return cls(
            f.str_("unit"),
            f.str_("serial"),
            f.strs("vehicles"),
            f.num("length_km"),
            f.num("start_offset_min"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "unit": self.unit,
            "serial": self.serial,
            "vehicles": list(self.vehicles),
            "length_km": self.length_km,
            "start_offset_min": self.start_offset_min,
        }


@dataclass(frozen=True, slots=True)
class LoadRow:
    """One vehicle of the origin's fleet: moving, towed or left, and its load."""

    vehicle: str
    type: str
    status: str
    towed_by: str | None
    tows: str | None
    lots: tuple[str, ...]
    load_kg: float
    deck_m2: float
    seats_used: int
    value_usd: float | None = None

    @classmethod
    def read(cls, f: Fields) -> LoadRow:
        """Read a loads object."""
        return cls(
            f.str_("vehicle"),
            f.str_("type"),
            f.str_("status"),
            f.str_or_none("towed_by"),
            f.str_or_none("tows"),
            f.strs("lots"),
            f.num("load_kg"),
            f.num("deck_m2"),
            f.int_("seats_used"),
            f.num_or_none("value_usd"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``towed_by``/``tows`` null when not towing)."""
        return with_optional(
            {
                "vehicle": self.vehicle,
                "type": self.type,
                "status": self.status,
                "towed_by": self.towed_by,
                "tows": self.tows,
                "lots": list(self.lots),
                "load_kg": self.load_kg,
                "deck_m2": self.deck_m2,
                "seats_used": self.seats_used,
            },
            value_usd=self.value_usd,
        )


@dataclass(frozen=True, slots=True)
class LeftBehindRow:
    """A lot or vehicle not moved: destroyed, handed over or abandoned, and why."""

    kind: str
    id: str
    category: str
    camp: str
    weight_kg: float
    deck_m2: float
    value_usd: float
    disposition: str
    reason: str

    @classmethod
    def read(cls, f: Fields) -> LeftBehindRow:
        """Read a left_behind object."""
        return cls(
            f.choice("kind", LEFT_KINDS),
            f.str_("id"),
            f.str_("category"),
            f.str_("camp"),
            f.num("weight_kg"),
            f.num("deck_m2"),
            f.num("value_usd"),
            f.choice("disposition", DISPOSITIONS),
            f.str_("reason"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "kind": self.kind,
            "id": self.id,
            "category": self.category,
            "camp": self.camp,
            "weight_kg": self.weight_kg,
            "deck_m2": self.deck_m2,
            "value_usd": self.value_usd,
            "disposition": self.disposition,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LoadoutInfo:
    """
    How the loads were decided: solver status, gap, delay, price of an incident.

    ``status`` is one of OPTIMAL, WITHIN_TARGET, NOT_PROVEN, GREEDY
    (:data:`convoy.loadout.result.LOAD_STATUSES`; older files say FEASIBLE);
    ``bound`` and ``gap`` are None when no solve proved a bound; ``gap_target``,
    ``time_limit_s`` and ``solves`` (one object per CP-SAT solve: role, status,
    bound, limit_s and time_s, its deterministic seconds of work) say what the
    solver was asked and did.
    """

    status: str
    objective: float
    bound: float | None
    gap: float | None
    departure_delay_min: float
    incident_usd: float
    method: str | None = None
    destruction_team_hours: float | None = None
    expected_incidents_table: float | None = None
    gap_target: float | None = None
    time_limit_s: float | None = None
    solves: tuple[dict[str, Any], ...] = ()

    @property
    def proven(self) -> bool:
        """True unless the gap is unknown or above ``gap_target`` (or GREEDY)."""
        if self.status in ("NOT_PROVEN", "GREEDY") or self.gap is None:
            return False
        return self.gap_target is None or self.gap <= self.gap_target + 1e-12

    def warning(self) -> str | None:
        """
        One line when the loads are not proven within the gap target, else None.

        A NOT_PROVEN solve (stopped at its time limit above ``[solver]
        gap_target``) and the GREEDY fallback (CP-SAT found no plan in time) warn.
        """
        if self.proven:
            return None
        target = (
            "" if self.gap_target is None else f" (target {100 * self.gap_target:g} %)"
        )
        limit = "" if self.time_limit_s is None else f" {self.time_limit_s:g} s"
        if self.status == "GREEDY":
            return (
                f"loads: CP-SAT found no plan within its{limit} time limit; the "
                f"loads are the greedy heuristic's, not proven{target}. "
                "Raise [solver] time_limit_s."
            )
        gap = (
            "no proven bound"
            if self.gap is None
            else f"a gap of {100 * self.gap:.2f} %"
        )
        return (
            f"loads: CP-SAT stopped at its{limit} time limit with {gap}, above the "
            f"target{target}: a better load plan may exist. "
            "Raise [solver] time_limit_s."
        )

    @classmethod
    def read(cls, f: Fields) -> LoadoutInfo:
        """Read the ``loadout`` object."""
        solves = f.raw.get("solves", [])
        if not isinstance(solves, list) or not all(isinstance(x, dict) for x in solves):
            f.fail("solves", "a list of objects")
        return cls(
            f.str_("status"),
            f.num("objective"),
            f.num_or_none("bound"),
            f.num_or_none("gap"),
            f.num("departure_delay_min"),
            f.num("incident_usd"),
            f.str_or_none("method"),
            f.num_or_none("destruction_team_hours"),
            f.num_or_none("expected_incidents_table"),
            f.num_or_none("gap_target"),
            f.num_or_none("time_limit_s"),
            tuple(solves),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "status": self.status,
                "objective": self.objective,
                "bound": self.bound,
                "gap": self.gap,
                "departure_delay_min": self.departure_delay_min,
                "incident_usd": self.incident_usd,
            },
            method=self.method,
            destruction_team_hours=self.destruction_team_hours,
            expected_incidents_table=self.expected_incidents_table,
            gap_target=self.gap_target,
            time_limit_s=self.time_limit_s,
            solves=list(self.solves) if self.solves else None,
        )


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """One price of an incident of the sweep and the plan it gives."""

    incident_usd: float
    expected_incidents: float
    value_saved_usd: float
    vehicles_moving: float
    gap: float | None = None
    dominated: bool | None = None
    proven: bool | None = None

    @classmethod
    def read(cls, f: Fields) -> ParetoPoint:
        """Read a pareto object."""
        return cls(
            f.num("incident_usd"),
            f.num("expected_incidents"),
            f.num("value_saved_usd"),
            f.num("vehicles_moving"),
            f.num_or_none("gap"),
            f.bool_or_none("dominated"),
            f.bool_or_none("proven"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "incident_usd": self.incident_usd,
                "expected_incidents": self.expected_incidents,
                "value_saved_usd": self.value_saved_usd,
                "vehicles_moving": self.vehicles_moving,
            },
            gap=self.gap,
            dominated=self.dominated,
            proven=self.proven,
        )


@dataclass(frozen=True, slots=True)
class RiskTableInfo:
    """The risk table the loads traded against (NaN where no schedule exists)."""

    num_vehicles: tuple[int, ...]
    delay_min: tuple[float, ...]
    incidents: tuple[tuple[float | None, ...], ...]

    @classmethod
    def read(cls, f: Fields) -> RiskTableInfo:
        """Read the ``risk_table`` object."""
        rows = f.raw.get("incidents")
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            f.fail("incidents", "a list of lists of numbers")
        return cls(
            tuple(int(x) for x in f.nums("num_vehicles") if x is not None),
            tuple(float(x) for x in f.nums("delay_min") if x is not None),
            tuple(tuple(r) for r in rows),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "num_vehicles": list(self.num_vehicles),
            "delay_min": list(self.delay_min),
            "incidents": [list(r) for r in self.incidents],
        }

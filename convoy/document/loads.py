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
    """How the loads were decided: solver status, gap, delay, price of an incident."""

    status: str
    objective: float
    bound: float
    gap: float
    departure_delay_min: float
    incident_usd: float
    method: str | None = None
    destruction_team_hours: float | None = None
    expected_incidents_table: float | None = None

    @classmethod
    def read(cls, f: Fields) -> LoadoutInfo:
        """Read the ``loadout`` object."""
        return cls(
            f.str_("status"),
            f.num("objective"),
            f.num("bound"),
            f.num("gap"),
            f.num("departure_delay_min"),
            f.num("incident_usd"),
            f.str_or_none("method"),
            f.num_or_none("destruction_team_hours"),
            f.num_or_none("expected_incidents_table"),
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

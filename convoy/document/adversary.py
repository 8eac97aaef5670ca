"""plan.json's ``adversary`` object: the attacker, the game, the mix and the figures.

Present only when the plan was made with ``--adversary robust`` or ``mixed``
(docs/plan-json.md); a static plan's plan.json has no such key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from convoy.document import build
from convoy.document._fields import Fields
from convoy.document.records import TripPlan
from convoy.plan import Plan

#: The ``mode`` values of the ``adversary`` object.
ADVERSARY_MODES: tuple[str, ...] = ("robust", "mixed")


@dataclass(frozen=True, slots=True)
class PlanFigures:
    """FIGURES: expected incidents, if the plan leaks, and the tail, of one plan."""

    plan: str
    expected_incidents: float
    worst_case_incidents: float
    leaked_rise: float
    cvar90_incidents: float | None
    cvar90_if_leaked_incidents: float | None = None

    @classmethod
    def read(cls, f: Fields) -> PlanFigures:
        """Read one row of ``figures``."""
        return cls(
            f.str_("plan"),
            f.num("expected_incidents", lo=0),
            f.num("worst_case_incidents", lo=0),
            f.num("leaked_rise", lo=0),
            f.num_or_none("cvar90_incidents"),
            f.num_or_none("cvar90_if_leaked_incidents"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "plan": self.plan,
            "expected_incidents": self.expected_incidents,
            "worst_case_incidents": self.worst_case_incidents,
            "leaked_rise": self.leaked_rise,
            "cvar90_incidents": self.cvar90_incidents,
            "cvar90_if_leaked_incidents": self.cvar90_if_leaked_incidents,
        }


@dataclass(frozen=True, slots=True)
class MixEntry:
    """MIX: one plan to draw, with its probability and its full plan."""

    name: str
    probability: float
    plan: TripPlan

    @classmethod
    def read(cls, f: Fields) -> MixEntry:
        """Read one entry of ``mix``."""
        p = f.num("probability", lo=0)
        if p > 1:
            f.fail("probability", "a probability in [0, 1]")
        return cls(f.str_("name"), p, TripPlan.read(f.obj("plan")))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "name": self.name,
            "probability": self.probability,
            "plan": self.plan.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class AdversaryInfo:
    """ADVERSARY: the attacker, the game's result, the mix and every plan's figures."""

    mode: str
    objective: str
    budget: float
    cap: float
    window_h: float
    budget_source: str
    game: dict[str, float]
    figures: tuple[PlanFigures, ...]
    mix: tuple[MixEntry, ...]

    def figure(self, plan: str) -> PlanFigures | None:
        """The figures of one plan by name, or None."""
        return next((r for r in self.figures if r.plan == plan), None)

    @classmethod
    def read(cls, f: Fields) -> AdversaryInfo:
        """Read the ``adversary`` object."""
        att = f.obj("attacker")
        game = f.obj("game")
        mix = f.rows("mix", MixEntry.read)
        total = sum(m.probability for m in mix)
        if mix and abs(total - 1.0) > 1e-4:
            f.fail("mix", "probabilities that sum to 1", round(total, 6))
        return cls(
            f.choice("mode", ADVERSARY_MODES),
            f.choice("objective", ("expected", "cvar90")),
            att.num("budget", lo=0),
            att.num("cap", lo=0),
            att.num("window_h", lo=0),
            att.str_("budget_source"),
            {k: game.num(k) for k in game.raw},
            f.rows("figures", PlanFigures.read),
            mix,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "mode": self.mode,
            "objective": self.objective,
            "attacker": {
                "budget": self.budget,
                "cap": self.cap,
                "window_h": self.window_h,
                "budget_source": self.budget_source,
            },
            "game": dict(self.game),
            "figures": [r.to_dict() for r in self.figures],
            "mix": [m.to_dict() for m in self.mix],
        }


def adversary_info(plan: Plan) -> AdversaryInfo | None:
    """The ``adversary`` object of a plan, or None for a static plan."""
    adv = plan.adversary
    if adv is None:
        return None
    lonlat = build.LonLat(plan.scenario.roads.crs)
    return AdversaryInfo(
        mode=adv.mode,
        objective=adv.objective,
        budget=adv.attacker.budget,
        cap=adv.attacker.cap,
        window_h=adv.attacker.window_h,
        budget_source=adv.budget_source,
        game=dict(adv.game),
        figures=tuple(
            PlanFigures(name, f.expected, f.worst, f.leaked, f.cvar90, f.cvar90_leaked)
            for name, f in adv.figures.items()
        ),
        mix=tuple(
            MixEntry(
                m.name,
                m.probability,
                build.trip_plan(plan, m.trip, lonlat, m.march_rows),
            )
            for m in adv.mix
        ),
    )

"""What the Monte Carlo simulates: one planned trip and the column that drives it.

Plain records, so the simulation sees no scenario and no plan document:
:func:`convoy.plan.simulate_plan` builds them from a plan (or
:class:`convoy.document.PlanDocument` from plan.json) and the fleet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from convoy.errors import Problem, ScenarioError

#: Largest expected count of one leg or halt the simulation accepts; beyond it the
#: input is not a plan (a priced plan has a handful of incidents in total).
MAX_EXPECTED = 1e6


def _check_rates(values: tuple[float, ...], what: str) -> None:
    for i, value in enumerate(values):
        if not (math.isfinite(value) and 0 <= value <= MAX_EXPECTED):
            raise ScenarioError(
                Problem(
                    "trip",
                    f"{what}[{i}]",
                    "",
                    f"expected incidents in [0, {MAX_EXPECTED:g}]",
                    repr(value),
                )
            )


def _check_times(spans: tuple[tuple[float, float], ...], count: int, what: str) -> None:
    """Empty, or ``count`` finite (start, end) pairs with start <= end."""
    if not spans:
        return
    if len(spans) != count:
        raise ScenarioError(
            Problem("trip", what, "", f"{count} (start, end) pairs", str(len(spans)))
        )
    for i, span in enumerate(spans):
        ok = len(span) == 2 and all(math.isfinite(x) for x in span)
        if not ok or span[0] > span[1]:
            raise ScenarioError(
                Problem(
                    "trip", f"{what}[{i}]", "", "finite hours, start <= end", repr(span)
                )
            )


@dataclass(frozen=True, slots=True)
class TripExposure:
    """
    One planned trip as the simulation sees it: its intensities, length and times.

    Parameters
    ----------
    plan
        Name of the plan (``"optimised"`` or a baseline).
    leg_ied, leg_ambush
        Expected IED and ambush incidents of each leg, in route order.
    halt_ambush
        Expected ambush incidents of each halt.
    leg_km
        Length of each leg, km; the route length is their sum in order.
    planned_arrive, deadline
        Planned arrival and deadline, timezone-aware UTC.
    leg_hours, halt_hours
        Optional timeline: (depart, arrive) of each leg and (start, end) of each
        halt, hours after any fixed instant (the scenario start), legs in order.
        They place the halts on the route (where a tow is repaired) and the
        near-repeat window in time. Without them (empty) the legs are laid end
        to end at 1 km an hour with no halt on the route: tows last to the
        destination, and the halts neither trigger nor take a near-repeat boost.

    Raises
    ------
    ScenarioError
        A rate outside [0, :data:`MAX_EXPECTED`], a negative or non-finite length,
        or legs of unequal counts.
    """

    plan: str
    leg_ied: tuple[float, ...]
    leg_ambush: tuple[float, ...]
    halt_ambush: tuple[float, ...]
    leg_km: tuple[float, ...]
    planned_arrive: datetime
    deadline: datetime
    leg_hours: tuple[tuple[float, float], ...] = ()
    halt_hours: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        _check_times(self.leg_hours, len(self.leg_km), "leg_hours")
        _check_times(self.halt_hours, len(self.halt_ambush), "halt_hours")
        if bool(self.halt_hours) != bool(self.leg_hours and self.halt_ambush):
            raise ScenarioError(
                Problem(
                    "trip",
                    "halt_hours",
                    "",
                    "times of every halt exactly when leg_hours are given",
                    f"{len(self.halt_hours)} halt times, {len(self.leg_hours)} leg "
                    "times",
                )
            )
        if not (len(self.leg_ied) == len(self.leg_ambush) == len(self.leg_km)):
            msg = (
                f"trip {self.plan}: expected one IED rate, ambush rate and length per "
                f"leg, found {len(self.leg_ied)}, {len(self.leg_ambush)} and "
                f"{len(self.leg_km)}"
            )
            raise ScenarioError(msg)
        _check_rates(self.leg_ied, "leg_ied")
        _check_rates(self.leg_ambush, "leg_ambush")
        _check_rates(self.halt_ambush, "halt_ambush")
        if not all(math.isfinite(x) and x >= 0 for x in self.leg_km):
            raise ScenarioError(
                Problem("trip", "leg_km", "", "km >= 0", repr(self.leg_km)[:80])
            )


@dataclass(frozen=True, slots=True)
class PlannedVehicle:
    """
    One vehicle of the plan's loads: its call sign, status and the vehicle it tows.

    Parameters
    ----------
    vehicle_id
        Call sign, as in the fleet.
    status
        ``"moving"``, ``"towed"`` or a disposition of a vehicle left behind.
    tows
        The vehicle it tows, if any.
    """

    vehicle_id: str
    status: str
    tows: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnVehicle:
    """
    A self-propelled moving vehicle of the simulated column.

    Parameters
    ----------
    vehicle_id
        Call sign.
    reliability
        Probability of covering 100 km without a breakdown, in (0, 1].
    can_tow
        A recovery vehicle.
    towing
        Already towing a vehicle at departure (so not free to recover another).
    """

    vehicle_id: str
    reliability: float
    can_tow: bool = False
    towing: bool = False

    def __post_init__(self) -> None:
        if not (0 < self.reliability <= 1):
            msg = (
                f"{self.vehicle_id}: reliability expected in (0, 1], found "
                f"{self.reliability!r}"
            )
            raise ScenarioError(msg)

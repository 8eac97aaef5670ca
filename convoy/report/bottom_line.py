"""The commander's view of a plan: date-time groups, the itinerary, the bottom line.

Everything here is derived from the :class:`~convoy.document.PlanDocument` alone
(no drawing), so the report template, tests and other outputs can share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from convoy.document import OPTIMISED, Leg, PlanDocument, TripPlan
from convoy.report._common import plan_label

#: Sites the planner names after a kilometre post ("km 36"), not a place.
_KM_POST = re.compile(r"^km \d+(\.\d+)?$")


def is_named_place(site: str) -> bool:
    """Whether a leg end is a named place (not a kilometre post or roadside halt)."""
    return not (_KM_POST.match(site) or site.startswith("roadside halt"))


@dataclass(frozen=True, slots=True)
class Stretch:
    """Consecutive legs between two named places, on one road."""

    start: str
    end: str
    road: str
    km: float
    depart: datetime
    arrive: datetime
    km_normal: float
    km_clearance: float
    legs: int

    @property
    def mode(self) -> str:
        """``normal``, ``clearance`` or ``mixed`` (with the clearance km)."""
        if self.km_clearance <= 0:
            return "normal"
        if self.km_normal <= 0:
            return "clearance"
        return f"mixed ({self.km_clearance:.0f} km clearance)"


def itinerary(legs: tuple[Leg, ...]) -> list[Stretch]:
    """
    The legs merged into stretches that start and end at named places.

    A stretch closes at a named place, where the road changes and where the column
    halts (the next leg departs later than this one arrives); kilometre posts in
    between are merged away. Distances and mode kilometres add up to the legs'.
    """
    out: list[Stretch] = []
    cur: list[Leg] = []

    def close() -> None:
        if not cur:
            return
        km_c = sum(g.length_km for g in cur if g.mode == "clearance")
        km = sum(g.length_km for g in cur)
        out.append(
            Stretch(
                cur[0].from_site,
                cur[-1].to_site,
                cur[0].road,
                km,
                cur[0].depart,
                cur[-1].arrive,
                km - km_c,
                km_c,
                len(cur),
            )
        )
        cur.clear()

    for leg in legs:
        if cur and (leg.road != cur[-1].road or leg.depart > cur[-1].arrive):
            close()
        cur.append(leg)
        if is_named_place(leg.to_site):
            close()
    close()
    return out


def route_in_words(trip: TripPlan) -> str:
    """
    The named places passed, in order, with the roads and km between them.

    Kilometre posts and roadside halts are left out: ``Kidal (Anefis-Kidal road,
    101 km) Anefis (Tilemsi east track, 263 km) Gao``.
    """
    if not trip.legs:
        return ""
    parts = [trip.legs[0].from_site]
    roads: list[str] = []
    km = 0.0
    for leg in trip.legs:
        km += leg.length_km
        if leg.road and leg.road not in roads:
            roads.append(leg.road)
        if is_named_place(leg.to_site) or leg is trip.legs[-1]:
            parts.append(f"({', '.join([*roads, f'{km:.0f} km'])})")
            parts.append(leg.to_site)
            roads, km = [], 0.0
    return " ".join(parts)


def _road_exposure(trip: TripPlan) -> dict[str, tuple[float, float]]:
    """Per road: (km, expected IED incidents) of the trip's legs."""
    out: dict[str, tuple[float, float]] = {}
    for leg in trip.legs:
        km, ied = out.get(leg.road, (0.0, 0.0))
        out[leg.road] = (km + leg.length_km, ied + leg.expected_ied)
    return out


def why_this_route(doc: PlanDocument) -> list[str]:
    """
    Reasons, from the plans' own risk, for the optimised route and timing.

    For each baseline: the roads it takes that the optimised plan avoids (with
    their km and expected IED incidents there), or, on the same roads, how the
    timing differs (moving versus halted ambush exposure, clearance kilometres).
    """
    opt = doc.trip(OPTIMISED)
    mine = _road_exposure(opt)
    reasons: list[str] = []
    for key in doc.plan_keys():
        if key == OPTIMISED:
            continue
        other = doc.plans[key]
        theirs = _road_exposure(other)
        avoided = {r: v for r, v in theirs.items() if r not in mine}
        label = f"the '{key.replace('_', ' ')}' baseline"
        if avoided:
            roads = ", ".join(
                f"{r or 'unnamed road'} ({km:.0f} km, {ied:.2f} expected IED)"
                for r, (km, ied) in sorted(avoided.items(), key=lambda x: -x[1][1])
            )
            reasons.append(
                f"Avoids {roads}, which {label} takes; its IED "
                f"exposure is {other.summary.expected_ied_incidents:.2f} against "
                f"{opt.summary.expected_ied_incidents:.2f}."
            )
        else:
            reasons.append(
                f"Same roads as {label}; the timing makes the "
                f"difference: IED {opt.summary.expected_ied_incidents:.2f} against "
                f"{other.summary.expected_ied_incidents:.2f}, ambush "
                f"{opt.summary.expected_ambush_incidents:.2f} against "
                f"{other.summary.expected_ambush_incidents:.2f}."
            )
    clearance = sum(g.length_km for g in opt.legs if g.mode == "clearance")
    if opt.legs:
        worst = max(opt.legs, key=lambda g: g.expected_ied)
        reasons.append(
            f"{clearance:.0f} of {opt.summary.distance_km:.0f} km are driven at "
            f"clearance pace; the riskiest leg is {worst.from_site} to "
            f"{worst.to_site} on {worst.road or 'an unnamed road'} "
            f"({worst.expected_ied:.2f} expected IED)."
        )
    return reasons


def _quantile(counts: tuple[int, ...], q: float) -> int:
    """The q-quantile of a count histogram (runs per count)."""
    total = sum(counts)
    acc = 0
    for k, n in enumerate(counts):
        acc += n
        if acc >= q * total:
            return k
    return len(counts) - 1


def incidents_interval(doc: PlanDocument) -> tuple[str, int, int] | None:
    """(label, low, high) of the Monte Carlo incidents: p10-p90, or p50-p90."""
    sim = doc.simulation
    if sim is None:
        return None
    hist = sim.histograms
    if hist is not None:
        c = hist.incidents.counts
        return "p10-p90", _quantile(c, 0.1), _quantile(c, 0.9)
    s = sim.incidents
    return "p50-p90", round(s.p50), round(s.p90)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The optimised plan against one baseline, by expected incidents."""

    label: str
    incidents: float
    ratio: float | None
    difference: float


def comparisons(doc: PlanDocument) -> list[Comparison]:
    """Each baseline's expected incidents, ratio to and excess over the optimised."""
    mine = doc.summary.expected_incidents
    out = []
    for key, s in doc.baselines.items():
        ratio = s.expected_incidents / mine if mine > 0 else None
        out.append(
            Comparison(
                plan_label(key),
                s.expected_incidents,
                ratio,
                s.expected_incidents - mine,
            )
        )
    return out


def vehicle_counts(doc: PlanDocument) -> dict[str, int]:
    """Vehicles of the loads by status (``moving``, ``towed``, ``left`` ...)."""
    out: dict[str, int] = {}
    for r in doc.loads:
        out[r.status] = out.get(r.status, 0) + 1
    return out

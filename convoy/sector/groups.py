"""Lots and personnel of each camp, aggregated into the pickups of the routing.

A sector of several camps holds thousands of lots; the routing needs far fewer
nodes. The lots of a camp are grouped by class (category, sensitive, mandatory) and
packed first fit decreasing (by deck area, then weight) into groups that fit the
*reference carrier* of the camp: the median payload and deck area of its vehicles
that carry cargo (of the whole fleet when the camp has none). A lot larger than the
reference carrier is a group of its own. Personnel make groups the size of the
seats of the camp's vehicles (largest first), and groups of ``personnel_group``
beyond its own seats. The routing then decides which groups go on which
vehicle's trip; the loads on each vehicle of a convoy are decided again lot by lot
by CP-SAT (:mod:`convoy.loadout`), so grouping only coarsens the routing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from convoy.scenario import Lot, Vehicle


@dataclass(frozen=True, slots=True)
class Cargo:
    """
    One pickup of the routing: lots of one class at one camp, or personnel.

    ``weight_kg``, ``deck_m2`` and ``seats`` are its demand; ``value_usd`` is the
    penalty of leaving it (0 for personnel, which is never optional);
    ``destroy_hours`` the team-hours to destroy its sensitive lots if left.
    """

    camp: str
    lot_ids: tuple[str, ...]
    weight_kg: float
    deck_m2: float
    seats: int
    value_usd: float
    mandatory: bool
    sensitive: bool
    destroy_hours: float

    @property
    def label(self) -> str:
        """Short description: lots or persons."""
        if not self.lot_ids:
            return f"{self.seats} persons"
        return f"{len(self.lot_ids)} lots"


def _reference(vehicles: Sequence[Vehicle]) -> tuple[float, float]:
    """Median payload and deck of the vehicles carrying cargo (payload and deck > 0)."""
    carriers = [v for v in vehicles if v.payload_kg > 0 and v.deck_m2 > 0]
    if not carriers:
        return float("inf"), float("inf")
    return (
        statistics.median(v.payload_kg for v in carriers),
        statistics.median(v.deck_m2 for v in carriers),
    )


def group_cargo(
    camps: Sequence[tuple[str, int]],
    vehicles: Sequence[Vehicle],
    lots: Sequence[Lot],
    *,
    personnel_group: int,
) -> list[Cargo]:
    """
    The pickups of every camp: lot groups, then personnel groups, camp by camp.

    Parameters
    ----------
    camps
        ``(name, personnel)`` of each camp, in order.
    vehicles, lots
        The fleet and the manifest (rows at other places are ignored).
    personnel_group
        Persons in one personnel group (>= 1).

    Returns
    -------
    list of Cargo
        Deterministic: the same inputs give the same groups in the same order.
    """
    out: list[Cargo] = []
    for name, personnel in camps:
        here = [v for v in vehicles if v.camp == name and v.roadworthy]
        ref_kg, ref_m2 = _reference(here or list(vehicles))
        by_class: dict[tuple[str, bool, bool], list[Lot]] = {}
        for lot in lots:
            if lot.camp == name:
                by_class.setdefault(
                    (lot.category, lot.sensitive, lot.mandatory), []
                ).append(lot)
        for (_cat, sensitive, mandatory), members in sorted(by_class.items()):
            members = sorted(members, key=lambda x: (-x.deck_m2, -x.weight_kg, x.id))
            bins: list[list[Lot]] = []
            room: list[tuple[float, float]] = []
            for lot in members:
                for i, (kg, m2) in enumerate(room):
                    if lot.weight_kg <= kg and lot.deck_m2 <= m2:
                        bins[i].append(lot)
                        room[i] = (kg - lot.weight_kg, m2 - lot.deck_m2)
                        break
                else:
                    bins.append([lot])
                    room.append((ref_kg - lot.weight_kg, ref_m2 - lot.deck_m2))
            for b in bins:
                out.append(
                    Cargo(
                        camp=name,
                        lot_ids=tuple(sorted(x.id for x in b)),
                        weight_kg=sum(x.weight_kg for x in b),
                        deck_m2=sum(x.deck_m2 for x in b),
                        seats=0,
                        value_usd=sum(x.value_usd for x in b),
                        mandatory=mandatory,
                        sensitive=sensitive,
                        destroy_hours=sum(x.destroy_hours for x in b),
                    )
                )
        left = personnel
        sizes = sorted((v.seats for v in here if v.seats > 0), reverse=True)
        for n in [*sizes, *([personnel_group] * personnel)]:
            if left <= 0:
                break
            n = min(n, left)
            out.append(Cargo(name, (), 0.0, 0.0, n, 0.0, True, False, 0.0))
            left -= n
    return out

"""Checks across the records of a scenario, run once by ``read_scenario()``.

Each record checks its own fields; what needs several records at once lives here:
duplicate ids, references to sites that do not exist or are of the wrong kind,
the calendar, whether the road joins the camps to the destination, whether the
fleet can seat the personnel and lift the lots. Every problem is returned, so that
the reader can raise them all together; so are the notes on suspicious but legal
input, which the reader issues as :class:`~convoy.errors.DataQualityWarning` when
the scenario has no problem.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from convoy.errors import Problem
from convoy.params import CalibrationParams
from convoy.roads import RoadNetwork
from convoy.scenario import Lot, Site, Vehicle

#: Sites named in a component description before the rest are counted.
_MAX_NAMED_SITES = 6


def _duplicates(
    records: Sequence[tuple[str, Any]], key: str, file: str, field: str, what: str
) -> list[Problem]:
    """One problem per repeated id, naming every row or feature that uses it."""
    places: dict[str, list[str]] = defaultdict(list)
    for where, rec in records:
        places[getattr(rec, key)].append(where.split(" (")[0])
    return [
        Problem(
            file,
            ", ".join(wh),
            field,
            f"{what} unique in the file",
            f"{ident!r} {len(wh)} times",
        )
        for ident, wh in places.items()
        if len(wh) > 1
    ]


def _site_ref(
    name: str,
    sites: Mapping[str, Site],
    kinds: tuple[str, ...],
    file: str,
    where: str,
    field: str,
    skip: frozenset[str] = frozenset(),
) -> Problem | None:
    """A problem if ``name`` is not a site of one of ``kinds``."""
    wanted = " or ".join(kinds)
    candidates = sorted(n for n, s in sites.items() if s.kind in kinds)
    site = sites.get(name)
    if site is None and name in skip:
        return None
    if site is None:
        return Problem(
            file,
            where,
            field,
            f"the name of a {wanted} site ({', '.join(candidates) or 'none'})",
            f"{name!r}, which is not a site",
        )
    if site.kind not in kinds:
        return Problem(
            file,
            where,
            field,
            f"the name of a {wanted} site ({', '.join(candidates) or 'none'})",
            f"{name!r}, a site of kind {site.kind!r}",
        )
    return None


def describe_component(
    roads: RoadNetwork, labels: np.ndarray, comp: int, sites: Sequence[str]
) -> str:
    """
    A road component in words: its size and the sites on it.

    Parameters
    ----------
    roads
        The network.
    labels
        ``roads.components()``.
    comp
        The component to describe.
    sites
        Site names in the order to list them.

    Returns
    -------
    str
        E.g. ``"component 2: 14 nodes, 38.2 km of road, sites 'Anefis', 'Tarkint'"``.
    """
    nodes = int(np.sum(labels == comp))
    on = labels[roads.edge_u] == comp
    km = float(roads.edge_length_m[on].sum()) / 1000.0
    here = [
        n for n in sites if n in roads.site_node and labels[roads.site_node[n]] == comp
    ]
    named = ", ".join(repr(n) for n in here[:_MAX_NAMED_SITES])
    if len(here) > _MAX_NAMED_SITES:
        named += f" and {len(here) - _MAX_NAMED_SITES} more"
    return (
        f"component {comp}: {nodes} nodes, {km:.1f} km of road, sites {named or 'none'}"
    )


def check_scenario(
    *,
    scenario_file: str,
    header: Mapping[str, Any],
    sites: Sequence[tuple[str, Site]],
    vehicles: Sequence[tuple[str, Vehicle]],
    lots: Sequence[tuple[str, Lot]],
    roads: RoadNetwork | None,
    roads_file: str,
    fleet_file: str,
    manifest_file: str,
    sites_file: str = "sites",
    calibration: CalibrationParams | None = None,
    unreadable_sites: frozenset[str] = frozenset(),
    fleet_complete: bool = True,
) -> tuple[list[Problem], list[str]]:
    """
    Every problem that involves more than one record, and every warning.

    Parameters
    ----------
    scenario_file, roads_file, fleet_file, manifest_file, sites_file
        The files, as messages name them.
    header
        The ``[scenario]`` values: ``start``, ``deadline`` (aware datetimes or None
        when unreadable), ``origin``, ``destination`` (site names or None),
        ``personnel``.
    sites, vehicles, lots
        The records that loaded, each with its place in its file (``"row 7"``,
        ``"feature 3"``).
    roads
        The network with sites snapped, or None if it could not be built.
    calibration
        The ``[calibration]`` table, whose ``route`` must name sites.
    unreadable_sites
        Names of sites that are in the layer but could not be loaded (their own
        problems are already reported): references to them are not problems.
    fleet_complete
        False when some rows of the fleet did not load: the fleet's seats and
        capacities are then not compared with the personnel and the lots.

    Returns
    -------
    problems
        Empty when the scenario is consistent.
    notes
        Warnings on legal but suspicious input: a lot that fits on no vehicle (it
        can only be left behind); a site that cannot be reached from the
        destination by road.
    """
    by_name = {s.name: s for _, s in sites}
    problems: list[Problem] = [
        *_duplicates(sites, "name", sites_file, "name", "site names"),
        *_duplicates(vehicles, "id", fleet_file, "id", "vehicle ids"),
        *_duplicates(lots, "id", manifest_file, "id", "lot ids"),
    ]
    origin, destination = header.get("origin"), header.get("destination")
    if sites:
        problems += _reference_problems(
            header,
            by_name,
            [(fleet_file, vehicles), (manifest_file, lots)],
            scenario_file,
            calibration,
            unreadable_sites,
        )
    problems += _calendar_problems(header, scenario_file)
    problems += _same_place(origin, destination, sites, roads, sites_file)
    notes: list[str] = []
    if roads is not None and destination in roads.site_node:
        camps_used = {v.camp for _, v in vehicles} | {lot.camp for _, lot in lots}
        if origin is not None:
            camps_used.add(origin)
        problems += _road_problems(
            roads, origin, destination, by_name, camps_used, roads_file, notes
        )
    if vehicles and fleet_complete:
        problems += _fleet_problems(
            header,
            [v for _, v in vehicles],
            lots,
            scenario_file,
            fleet_file,
            manifest_file,
            notes,
        )
    return problems, notes


def _reference_problems(
    header: Mapping[str, Any],
    by_name: Mapping[str, Site],
    records: Sequence[tuple[str, Sequence[tuple[str, Vehicle | Lot]]]],
    scenario_file: str,
    calibration: CalibrationParams | None,
    unreadable_sites: frozenset[str],
) -> list[Problem]:
    """Names of sites that do not exist or are of the wrong kind."""
    problems: list[Problem] = []
    here = "[scenario]"
    for key, kind in (("origin", "camp"), ("destination", "destination")):
        name = header.get(key)
        if name is not None:
            p = _site_ref(
                name, by_name, (kind,), scenario_file, here, key, unreadable_sites
            )
            if p:
                problems.append(p)
    for file, recs in records:
        for where, rec in recs:
            # a vehicle may wait at the destination, to be sent north (a sector)
            kinds = ("camp", "destination") if isinstance(rec, Vehicle) else ("camp",)
            p = _site_ref(
                rec.camp, by_name, kinds, file, where, "camp", unreadable_sites
            )
            if p:
                problems.append(p)
    if calibration is not None:
        for name in calibration.route:
            if name not in by_name and name not in unreadable_sites:
                problems.append(
                    Problem(
                        scenario_file,
                        "[calibration]",
                        "route",
                        f"site names ({', '.join(sorted(by_name))})",
                        f"{name!r}, which is not a site",
                    )
                )
    return problems


def _calendar_problems(header: Mapping[str, Any], scenario_file: str) -> list[Problem]:
    """Origin and destination apart, the deadline after the start."""
    problems: list[Problem] = []
    here = "[scenario]"
    origin, destination = header.get("origin"), header.get("destination")
    if origin is not None and origin == destination:
        problems.append(
            Problem(
                scenario_file,
                here,
                "destination",
                "a site other than the origin",
                repr(destination),
            )
        )
    start, deadline = header.get("start"), header.get("deadline")
    if start is not None and deadline is not None and deadline <= start:
        problems.append(
            Problem(
                scenario_file,
                here,
                "deadline",
                f"a time after start ({start.isoformat()})",
                deadline.isoformat(),
            )
        )
    return problems


def _same_place(
    origin: str | None,
    destination: str | None,
    sites: Sequence[tuple[str, Site]],
    roads: RoadNetwork | None,
    sites_file: str,
) -> list[Problem]:
    """Origin and destination at one place (same point, or one road node)."""
    where = {s.name: (w, s) for w, s in sites}
    if origin not in where or destination not in where or origin == destination:
        return []
    (wo, o), (wd, d) = where[origin], where[destination]
    same_point = (o.lon, o.lat) == (d.lon, d.lat)
    node = roads.site_node if roads is not None else {}
    same_node = origin in node and node.get(origin) == node.get(destination)
    if not (same_point or same_node):
        return []
    found = (
        f"both at ({o.lon:g}, {o.lat:g})"
        if same_point
        else f"({o.lon:g}, {o.lat:g}) and ({d.lon:g}, {d.lat:g}), snapped to the "
        "same road node"
    )
    return [
        Problem(
            sites_file,
            f"{wo}, {wd}",
            "geometry",
            f"the origin {origin!r} and the destination {destination!r} at "
            "different places",
            found,
        )
    ]


def _road_problems(
    roads: RoadNetwork,
    origin: str | None,
    destination: str,
    by_name: Mapping[str, Site],
    camps_used: set[str],
    roads_file: str,
    notes: list[str],
) -> list[Problem]:
    """Camps in use that no road joins to the destination; notes for other sites."""
    problems: list[Problem] = []
    labels = roads.components()
    order = [
        origin,
        destination,
        *(n for n in by_name if n not in (origin, destination)),
    ]
    named = [n for n in order if n is not None]
    dest_comp = labels[roads.site_node[destination]]
    cut_off: dict[int, list[str]] = defaultdict(list)
    for name in named:
        if name not in roads.site_node:
            continue
        comp = int(labels[roads.site_node[name]])
        if comp == dest_comp:
            continue
        if name in camps_used:
            cut_off[comp].append(name)
        else:
            notes.append(
                f"{roads_file}: site {name!r} ({by_name[name].kind}) cannot be "
                f"reached by road from {destination!r}; plans will not use it"
            )
    for comp, names in cut_off.items():
        listed = ", ".join(repr(n) for n in names)
        problems.append(
            Problem(
                roads_file,
                "",
                "",
                f"a road from {listed} to the destination {destination!r}",
                f"none: {'they are' if len(names) > 1 else 'it is'} on "
                f"{describe_component(roads, labels, comp, named)}; "
                f"{destination!r} is on "
                f"{describe_component(roads, labels, dest_comp, named)}",
            )
        )
    return problems


def _fleet_problems(
    header: Mapping[str, Any],
    fleet: Sequence[Vehicle],
    lots: Sequence[tuple[str, Lot]],
    scenario_file: str,
    fleet_file: str,
    manifest_file: str,
    notes: list[str],
) -> list[Problem]:
    """The fleet against the people and the lots."""
    problems: list[Problem] = []
    moving = [v for v in fleet if v.roadworthy]
    if not moving:
        problems.append(
            Problem(
                fleet_file,
                "",
                "roadworthy",
                "at least one roadworthy vehicle",
                "none",
            )
        )
    seats = sum(v.seats for v in moving)
    personnel = int(header.get("personnel") or 0)
    if personnel > seats:
        problems.append(
            Problem(
                scenario_file,
                "[scenario]",
                "personnel",
                f"at most the {seats} seats of the roadworthy vehicles in {fleet_file}",
                str(personnel),
            )
        )
    for where, lot in lots:
        if any(
            v.payload_kg >= lot.weight_kg and v.deck_m2 >= lot.deck_m2 for v in fleet
        ):
            continue
        if lot.mandatory:
            problems.append(
                Problem(
                    manifest_file,
                    where,
                    "mandatory",
                    "a mandatory lot that some vehicle can carry (payload_kg >= "
                    f"{lot.weight_kg:g} and deck_m2 >= {lot.deck_m2:g})",
                    "no such vehicle",
                )
            )
        else:
            notes.append(
                f"{manifest_file}: {where}: {lot.weight_kg:g} kg on "
                f"{lot.deck_m2:g} m2 fits on no vehicle; the lot can only be left "
                "behind"
            )
    return problems

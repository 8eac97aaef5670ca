"""The camps of a sector: ``[[camps]]`` and ``[sector]`` of ``scenario.toml``.

A scenario of several camps lists each camp with its personnel, its closing time
(the camp must be empty by then) and its earliest departure; its lots and vehicles
are the manifest and fleet rows whose ``camp`` names it. Vehicles whose ``camp`` is
the destination start there (sent north empty when ``[sector] northbound``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convoy._problems import Problems
from convoy.errors import Problem, ScenarioError
from convoy.params import SectorParams
from convoy.roads import RoadNetwork
from convoy.scenario import Camp, Lot, Site, Vehicle
from convoy.times import parse_utc

#: Keys of one ``[[camps]]`` entry; ``name`` and ``closes`` are required.
CAMP_KEYS: tuple[str, ...] = ("name", "personnel", "closes", "opens")


def read_camps(
    doc: Mapping[str, Any],
    header: Mapping[str, Any],
    label: str,
    problems: Problems,
) -> tuple[tuple[Camp, ...], SectorParams]:
    """
    The ``[[camps]]`` entries and ``[sector]``, checked; bad entries are reported.

    ``opens`` defaults to the scenario's start, ``personnel`` to 0.
    """
    try:
        sector = SectorParams.from_toml(
            doc.get("sector") if isinstance(doc.get("sector"), dict) else None,
            file=label,
        )
    except ScenarioError as exc:
        problems.take(exc, file=label)
        sector = SectorParams()
    raw = doc.get("camps")
    if raw is None:
        return (), sector
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        problems.add(label, "[[camps]]", "", "an array of tables", repr(raw)[:80])
        return (), sector
    camps: list[Camp] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw, start=1):
        where = f"[[camps]] #{i}"
        for key in entry:
            if key not in CAMP_KEYS:
                problems.add(label, where, key, f"one of {list(CAMP_KEYS)}", "unknown")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.add(label, where, "name", "a camp site name", repr(name))
            continue
        name = name.strip()
        if name in seen:
            problems.add(label, where, "name", "a camp listed once", f"{name!r} again")
            continue
        seen.add(name)
        personnel = entry.get("personnel", 0)
        if (
            isinstance(personnel, bool)
            or not isinstance(personnel, int)
            or personnel < 0
        ):
            problems.add(label, where, "personnel", "an integer >= 0", repr(personnel))
            continue
        times = {}
        for key in ("closes", "opens"):
            if key not in entry:
                if key == "closes":
                    problems.add(label, where, key, "an ISO 8601 UTC time", "nothing")
                continue
            try:
                times[key] = parse_utc(entry[key])
            except ValueError as exc:
                problems.add(label, where, key, str(exc), repr(entry[key]))
        start, deadline = header.get("start"), header.get("deadline")
        if "closes" not in times or start is None or deadline is None:
            continue
        opens = times.get("opens", start)
        closes = times["closes"]
        if opens < start:
            problems.add(
                label,
                where,
                "opens",
                f"a time at or after the start {start:%Y-%m-%dT%H:%MZ}",
                f"{opens:%Y-%m-%dT%H:%MZ}",
            )
        elif not opens <= closes <= deadline:
            problems.add(
                label,
                where,
                "closes",
                f"a time between opens {opens:%Y-%m-%dT%H:%MZ} and the deadline "
                f"{deadline:%Y-%m-%dT%H:%MZ}",
                f"{closes:%Y-%m-%dT%H:%MZ}",
            )
        else:
            camps.append(Camp(name, personnel, closes, opens))
    return tuple(camps), sector


def camp_problems(
    camps: Sequence[Camp],
    *,
    sites: Sequence[Site],
    roads: RoadNetwork | None,
    destination: str | None,
    records: Sequence[tuple[str, Sequence[tuple[str, Vehicle | Lot]]]],
    file: str,
) -> list[Problem]:
    """
    Camps that are not camp sites or not on the road; rows at a camp not listed.

    Only checked when ``[[camps]]`` is given.
    """
    if not camps:
        return []
    out: list[Problem] = []
    kinds = {s.name: s.kind for s in sites}
    names = [c.name for c in camps]
    for i, camp in enumerate(camps, start=1):
        if kinds.get(camp.name) != "camp":
            out.append(
                Problem(
                    file,
                    f"[[camps]] #{i}",
                    "name",
                    "the name of a camp site "
                    f"({', '.join(sorted(n for n, k in kinds.items() if k == 'camp'))})",  # noqa: E501
                    repr(camp.name),
                )
            )
        elif roads is not None and camp.name not in roads.site_node:
            out.append(
                Problem(
                    file,
                    f"[[camps]] #{i}",
                    "name",
                    "a camp joined to the roads",
                    f"{camp.name!r}, not snapped to any road",
                )
            )
    allowed = {*names, destination}
    for rec_file, recs in records:
        for where, rec in recs:
            if rec.camp in kinds and rec.camp not in allowed:
                out.append(
                    Problem(
                        rec_file,
                        where,
                        "camp",
                        f"a camp of [[camps]] ({', '.join(names)})"
                        + (" or the destination" if isinstance(rec, Vehicle) else ""),
                        repr(rec.camp),
                    )
                )
    return out

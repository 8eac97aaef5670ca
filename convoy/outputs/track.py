"""The column head's track and stops along one plan, for the field exports.

:func:`head_track` turns a plan's legs into timed positions (the head's time at each
vertex of a leg, by distance along the leg between its departure and arrival; a halt
is the same position at two times). :func:`stops` lists what a navigator marks: the
start point, checkpoints, halts and release point with the head's arrival (and the
end of a halt), placed on the route by their km. Both read plan.json's records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from convoy.document import OPTIMISED, Leg, MarchTableRow, PlanDocument, TripPlan

#: Mean Earth radius, in metres (IUGG), for the haversine distance.
EARTH_RADIUS_M = 6_371_008.8

#: Decimals of degrees kept for a point placed by its km.
COORD_DIGITS = 7


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """The column head at one place and time (lon/lat in EPSG:4326)."""

    lon: float
    lat: float
    time: datetime
    km: float


@dataclass(frozen=True, slots=True)
class Stop:
    """
    A named point of the march: where the head arrives, and until when it halts.

    ``kind`` is the march table's (``start point``, ``checkpoint``, ``halt``,
    ``release point``); ``until`` is the end of a halt, else ``None``.
    """

    name: str
    kind: str
    lon: float
    lat: float
    km: float
    arrive: datetime
    until: datetime | None


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance between two lon/lat points, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _leg_points(leg: Leg, km0: float) -> list[TrackPoint]:
    """A leg's vertices, timed by their share of the leg's length."""
    coords = leg.coords
    steps = [haversine_m(*a, *b) for a, b in pairwise(coords)]
    total = sum(steps)
    span = leg.arrive - leg.depart
    out = [TrackPoint(coords[0][0], coords[0][1], leg.depart, km0)]
    done = 0.0
    for (lon, lat), step in zip(coords[1:], steps, strict=True):
        done += step
        share = done / total if total > 0 else 1.0
        out.append(
            TrackPoint(lon, lat, leg.depart + span * share, km0 + leg.length_km * share)
        )
    return out


def head_track(trip: TripPlan) -> list[TrackPoint]:
    """
    The head's timed positions along a plan, in time order.

    Each leg's vertices get times by distance along the leg (the leg's speed taken
    as constant within it) and km by the leg's ``length_km``. A vertex repeated at
    the same time where one leg meets the next is kept once; at a halt the head is
    at the same place at the arrival and again at the departure.
    """
    out: list[TrackPoint] = []
    km = 0.0
    for leg in trip.legs:
        if not leg.coords:
            continue
        for p in _leg_points(leg, km):
            if out and (p.lon, p.lat, p.time) == (
                out[-1].lon,
                out[-1].lat,
                out[-1].time,
            ):
                continue
            out.append(p)
        km += leg.length_km
    return out


def point_at_km(track: list[TrackPoint], km: float) -> tuple[float, float]:
    """
    The lon/lat at ``km`` along the track (linear between vertices, clamped).

    Rounded to :data:`COORD_DIGITS` decimals (about 1 cm), so a point the route
    passes through comes back as the vertex's own coordinates.
    """
    if not track:
        msg = "an empty track has no points"
        raise ValueError(msg)
    if km <= track[0].km:
        return track[0].lon, track[0].lat
    for a, b in pairwise(track):
        if a.km <= km <= b.km:
            f = 0.0 if b.km == a.km else (km - a.km) / (b.km - a.km)
            lon, lat = a.lon + f * (b.lon - a.lon), a.lat + f * (b.lat - a.lat)
            return round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)
    return track[-1].lon, track[-1].lat


def stops(
    trip: TripPlan,
    track: list[TrackPoint] | None = None,
    march_table: Sequence[MarchTableRow] | None = None,
) -> list[Stop]:
    """
    The start point, checkpoints, halts and release point of a plan, in order.

    From the first march unit's rows of ``march_table`` (default the plan's own;
    the first unit's head is the column's head); a plan without a march table gets
    its halts and the two ends of its route. Halts sit at their recorded lon/lat,
    the others at their km.
    """
    track = head_track(trip) if track is None else track
    if not track:
        return []
    halts = {h.site: h for h in trip.halts}
    rows = trip.march_table if march_table is None else march_table
    if rows:
        first = rows[0].unit
        out = []
        for r in rows:
            if r.unit != first:
                continue
            h = halts.get(r.checkpoint) if r.kind == "halt" else None
            lon, lat = (h.lon, h.lat) if h else point_at_km(track, r.km)
            out.append(
                Stop(r.checkpoint, r.kind, lon, lat, r.km, r.head_arrival, r.halt_until)
            )
        return out
    legs = trip.legs
    a, z = track[0], track[-1]
    found = [Stop(legs[0].from_site, "start point", a.lon, a.lat, 0.0, a.time, None)]
    for h in trip.halts:
        km = min(track, key=lambda p: haversine_m(p.lon, p.lat, h.lon, h.lat)).km
        found.append(Stop(h.site, "halt", h.lon, h.lat, km, h.start, h.end))
    found.append(
        Stop(legs[-1].to_site, "release point", z.lon, z.lat, z.km, z.time, None)
    )
    return found


def plan_stops(doc: PlanDocument, name: str, track: list[TrackPoint]) -> list[Stop]:
    """
    :func:`stops` of the plan ``name`` of ``doc``.

    The optimised plan falls back on the document's own march table when its plan
    carries none (documents made by hand).
    """
    trip = doc.plans[name]
    rows = trip.march_table
    if rows is None and name == OPTIMISED:
        rows = doc.march_table
    return stops(trip, track, rows)

"""Convoys from routes: vehicles on the same leg in the same window move together.

The trips of the routing (:class:`~convoy.sector.routing.VehicleTrip`) that leave
the same camp on the same day (UTC days after the start, by their loading time)
form a column (a vehicle of a camp that carries nothing leaves with the camp's
last column); a column larger than ``max_vehicles`` is cut into convoys of at
most that size, and a column may be split into ``groups`` convoys leaving
``gap_min`` apart (as the 2023 Kidal column moved in three groups). When at most
``per_road_day`` convoys may leave on one road a day, later convoys wait for the
next day. A convoy's departure is its earliest allowed time (the first loading of
the camp's own vehicles, once every vehicle that comes north for it is there); the
convoy is then scheduled exactly by the time-expanded search, which may delay it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from convoy.sector.routing import VehicleTrip

DAY_MIN = 1440


@dataclass(frozen=True, slots=True)
class ConvoyTrip:
    """
    One convoy leaving a camp.

    ``name``, the camp it leaves, its earliest departure (``depart_min``, minutes
    after the start), its latest (``latest_min``: the camp's closing) and its
    trips (vehicle and cargo). ``joins``: the convoy it joins at that convoy's
    camp, on its way (empty: it drives to the destination).
    """

    name: str
    camp: str
    depart_min: int
    latest_min: int
    trips: tuple[VehicleTrip, ...]
    joins: str = ""

    @property
    def vehicle_ids(self) -> tuple[str, ...]:
        """Vehicles of the convoy, in trip order."""
        return tuple(t.vehicle_id for t in self.trips)


def form_convoys(
    trips: Sequence[VehicleTrip],
    closes_min: dict[str, int],
    opens_min: dict[str, int],
    *,
    max_vehicles: int,
    groups: int = 1,
    gap_min: int = DAY_MIN,
    per_road_day: int = 0,
) -> list[ConvoyTrip]:
    """
    The convoys of a set of trips; see the module docstring.

    ``closes_min``/``opens_min``: each camp's window, minutes after the start.
    Convoys come back sorted by departure then camp; names are ``camp-N`` in that
    order, N counting the camp's convoys from 1.
    """
    columns: dict[tuple[str, int], list[VehicleTrip]] = {}
    last: dict[str, int] = {}
    loaded = [t for t in trips if t.cargo]
    for t in sorted(loaded, key=lambda t: (t.camp, t.load_min, t.vehicle_id, t.trip)):
        day = max(0, t.load_min) // DAY_MIN
        columns.setdefault((t.camp, day), []).append(t)
        last[t.camp] = max(last.get(t.camp, day), day)
    # a vehicle that carries nothing leaves with its camp's last column
    for t in sorted(trips, key=lambda t: (t.camp, t.vehicle_id)):
        if not t.cargo:
            day = last.get(t.camp, max(0, t.load_min) // DAY_MIN)
            columns.setdefault((t.camp, day), []).append(t)
    pieces: list[tuple[str, int, int, list[VehicleTrip]]] = []
    for (camp, _day), col in sorted(columns.items()):
        # it leaves when the camp's own vehicles could first load, once those
        # that come north for it are there
        own = [t.load_min for t in col if not t.from_north]
        came = [t.load_min for t in col if t.from_north]
        depart = max(opens_min[camp], min(own, default=0), max(came, default=0))
        n_conv = max(groups, math.ceil(len(col) / max_vehicles))
        base, extra = divmod(len(col), n_conv)
        at = 0
        for g in range(n_conv):
            size = base + (1 if g < extra else 0)  # sizes differ by one at most
            part, at = col[at : at + size], at + size
            if not part:
                continue
            start = depart + (g * gap_min if groups > 1 else 0)
            pieces.append((camp, start, closes_min[camp], part))
    if per_road_day:
        used: dict[tuple[str, int], int] = {}
        shifted = []
        for camp, start, latest, part in sorted(pieces, key=lambda p: (p[1], p[0])):
            day = start // DAY_MIN
            while used.get((camp, day), 0) >= per_road_day:
                day += 1
            used[(camp, day)] = used.get((camp, day), 0) + 1
            shifted.append((camp, max(start, day * DAY_MIN), latest, part))
        pieces = shifted
    pieces.sort(key=lambda p: (p[1], p[0]))
    count: dict[str, int] = {}
    out = []
    for camp, start, latest, part in pieces:
        count[camp] = count.get(camp, 0) + 1
        out.append(
            ConvoyTrip(f"{camp}-{count[camp]}", camp, start, latest, tuple(part))
        )
    return out

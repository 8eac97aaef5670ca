"""plan.gpx: the plans as GPX 1.1 for vehicle navigators and tablets.

One track per plan (the optimised plan first, then the baselines), its points the
route's vertices timed as the column head passes them; one waypoint per start point,
checkpoint, halt and release point of each plan, at the head's arrival time, named
and described for a navigator (plan, km, arrival as a date-time group, halt end).
Written with gpxpy.
"""

from __future__ import annotations

from pathlib import Path

import gpxpy.gpx

from convoy.document import PlanDocument
from convoy.outputs.track import Stop, head_track, plan_stops
from convoy.times import dtg

#: The file's name in a plan folder.
GPX_FILE = "plan.gpx"


def waypoint_name(plan: str, stop: Stop) -> str:
    """A waypoint's name: the plan, the stop and its kind (``optimised: Anefis``)."""
    return f"{plan}: {stop.name}"


def waypoint_description(stop: Stop) -> str:
    """What a navigator reads: kind, km, head arrival and halt end as DTGs."""
    text = f"{stop.kind} at km {stop.km:.1f}; head arrives {dtg(stop.arrive)}"
    if stop.until is not None:
        text += f"; halt until {dtg(stop.until)}"
    return text


def plan_gpx(doc: PlanDocument) -> gpxpy.gpx.GPX:
    """The GPX document of every plan of ``doc``."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = f"convoy {doc.convoy_version}"
    gpx.name = f"{doc.scenario.title or doc.scenario.name}: withdrawal plans"
    gpx.description = (
        f"{doc.scenario.origin} to {doc.scenario.destination}; times UTC; "
        "track points are the column head's positions"
    )
    for name in doc.plan_keys():
        trip = doc.plans[name]
        track = head_track(trip)
        if not track:
            continue
        s = trip.summary
        gt = gpxpy.gpx.GPXTrack(
            name=name,
            description=(
                f"{s.distance_km:.1f} km; depart {dtg(s.depart)}, "
                f"arrive {dtg(s.arrive)}; expected incidents "
                f"{s.expected_incidents:.2f}"
            ),
        )
        seg = gpxpy.gpx.GPXTrackSegment()
        seg.points = [
            gpxpy.gpx.GPXTrackPoint(p.lat, p.lon, time=p.time, name=None) for p in track
        ]
        gt.segments.append(seg)
        gpx.tracks.append(gt)
        for stop in plan_stops(doc, name, track):
            gpx.waypoints.append(
                gpxpy.gpx.GPXWaypoint(
                    stop.lat,
                    stop.lon,
                    time=stop.arrive,
                    name=waypoint_name(name, stop),
                    description=waypoint_description(stop),
                    type=stop.kind,
                )
            )
    return gpx


def write_gpx(doc: PlanDocument, path: str | Path) -> Path:
    """
    Write ``doc``'s plans as GPX 1.1 to ``path`` (UTF-8) and return the path.

    Examples
    --------
    >>> write_gpx(PlanDocument.read("plan/plan.json"), "plan.gpx")  # doctest: +SKIP
    """
    path = Path(path)
    path.write_text(plan_gpx(doc).to_xml(version="1.1"), encoding="utf-8")
    return path

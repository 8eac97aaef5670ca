"""plan.kml: the plans as styled KML 2.2 for Google Earth and tablets.

One folder per plan (the optimised plan first and open, the baselines after it), each
with the route as a LineString in the plan's colour, the column head as a
``gx:Track`` (a ``<when>`` per route vertex, so Google Earth's time slider plays the
convoy), and a placemark per start point, checkpoint, halt and release point with the
head's arrival as ``<TimeStamp>`` (a halt as ``<TimeSpan>`` from arrival to
departure). Written with lxml; element order follows the OGC KML 2.2 schema.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from convoy.document import OPTIMISED, PlanDocument, iso
from convoy.outputs.track import Stop, TrackPoint, head_track, plan_stops
from convoy.times import dtg

#: The file's name in a plan folder.
KML_FILE = "plan.kml"

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"

#: Route colours as RGB hex, by plan (others get :data:`OTHER_RGB`).
PLAN_RGB: dict[str, str] = {
    OPTIMISED: "d7191c",
    "historical": "2c7bb6",
    "depart_at_once": "fdae61",
    "daylight_only": "7b3294",
}
OTHER_RGB = "555555"

#: Icon colour (RGB hex) of each kind of stop.
STOP_RGB: dict[str, str] = {
    "start point": "1a9641",
    "checkpoint": "ffffbf",
    "halt": "fdae61",
    "release point": "d7191c",
}
ICON = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
HEAD_ICON = "http://maps.google.com/mapfiles/kml/shapes/truck.png"


def kml_colour(rgb: str, alpha: str = "ff") -> str:
    """KML's ``aabbggrr`` colour from an ``rrggbb`` hex string."""
    return f"{alpha}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


def _k(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _style(doc: etree._Element, sid: str, *, icon_rgb: str, line_rgb: str) -> None:
    style = _k(doc, "Style")
    style.set("id", sid)
    icon_style = _k(style, "IconStyle")
    _k(icon_style, "color", kml_colour(icon_rgb))
    _k(_k(icon_style, "Icon"), "href", HEAD_ICON if sid.startswith("head") else ICON)
    line = _k(style, "LineStyle")
    _k(line, "color", kml_colour(line_rgb))
    _k(line, "width", "4")


def _coords(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{lon:.7f},{lat:.7f},0" for lon, lat in points)


def _stop_placemark(folder: etree._Element, plan: str, stop: Stop) -> None:
    pm = _k(folder, "Placemark")
    _k(pm, "name", stop.name)
    text = f"{plan}: {stop.kind} at km {stop.km:.1f}; head arrives {dtg(stop.arrive)}"
    if stop.until is not None:
        text += f"; halt until {dtg(stop.until)}"
        span = _k(pm, "TimeSpan")
        _k(span, "begin", iso(stop.arrive))
        _k(span, "end", iso(stop.until))
    else:
        _k(_k(pm, "TimeStamp"), "when", iso(stop.arrive))
    # description before the time primitive, as the schema orders a Feature
    desc = etree.Element(f"{{{KML_NS}}}description")
    desc.text = text
    pm.insert(1, desc)
    _k(pm, "styleUrl", f"#stop-{stop.kind.replace(' ', '-')}")
    _k(_k(pm, "Point"), "coordinates", _coords([(stop.lon, stop.lat)]))


def _head_placemark(folder: etree._Element, plan: str, track: list[TrackPoint]) -> None:
    pm = _k(folder, "Placemark")
    _k(pm, "name", f"{plan}: column head")
    _k(pm, "description", "The head of the column along the route (times UTC)")
    _k(pm, "styleUrl", f"#head-{plan}")
    gx_track = etree.SubElement(pm, f"{{{GX_NS}}}Track")
    for p in track:
        _k(gx_track, "when", iso(p.time))
    for p in track:
        coord = etree.SubElement(gx_track, f"{{{GX_NS}}}coord")
        coord.text = f"{p.lon:.7f} {p.lat:.7f} 0"


def _plan_folder(root: etree._Element, doc: PlanDocument, name: str) -> None:
    trip = doc.plans[name]
    track = head_track(trip)
    if not track:
        return
    s = trip.summary
    folder = _k(root, "Folder")
    _k(folder, "name", name)
    _k(folder, "open", "1" if name == OPTIMISED else "0")
    _k(
        folder,
        "description",
        f"{s.distance_km:.1f} km; depart {dtg(s.depart)}, arrive {dtg(s.arrive)}; "
        f"expected incidents {s.expected_incidents:.2f}",
    )
    route = _k(folder, "Placemark")
    _k(route, "name", f"{name}: route")
    span = _k(route, "TimeSpan")
    _k(span, "begin", iso(track[0].time))
    _k(span, "end", iso(track[-1].time))
    _k(route, "styleUrl", f"#route-{name}")
    line = _k(route, "LineString")
    _k(line, "tessellate", "1")
    unique = [(p.lon, p.lat) for p in track]
    unique = [c for i, c in enumerate(unique) if i == 0 or c != unique[i - 1]]
    _k(line, "coordinates", _coords(unique))
    _head_placemark(folder, name, track)
    for stop in plan_stops(doc, name, track):
        _stop_placemark(folder, name, stop)


def plan_kml(doc: PlanDocument) -> etree._ElementTree:
    """The KML document of every plan of ``doc``."""
    root = etree.Element(f"{{{KML_NS}}}kml", nsmap={None: KML_NS, "gx": GX_NS})
    document = _k(root, "Document")
    _k(document, "name", f"{doc.scenario.title or doc.scenario.name}: withdrawal")
    _k(document, "open", "1")
    _k(
        document,
        "description",
        f"{doc.scenario.origin} to {doc.scenario.destination}, written by convoy "
        f"{doc.convoy_version}; times UTC",
    )
    keys = doc.plan_keys()
    for name in keys:
        rgb = PLAN_RGB.get(name, OTHER_RGB)
        _style(document, f"route-{name}", icon_rgb=rgb, line_rgb=rgb)
        _style(document, f"head-{name}", icon_rgb=rgb, line_rgb=rgb)
    for kind, rgb in STOP_RGB.items():
        _style(document, f"stop-{kind.replace(' ', '-')}", icon_rgb=rgb, line_rgb=rgb)
    for name in keys:
        _plan_folder(document, doc, name)
    return etree.ElementTree(root)


def write_kml(doc: PlanDocument, path: str | Path) -> Path:
    """
    Write ``doc``'s plans as KML 2.2 to ``path`` (UTF-8) and return the path.

    Examples
    --------
    >>> write_kml(PlanDocument.read("plan/plan.json"), "plan.kml")  # doctest: +SKIP
    """
    path = Path(path)
    plan_kml(doc).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return path

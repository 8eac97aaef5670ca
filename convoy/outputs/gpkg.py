"""plan.gpkg: the plan's layers for a GIS, each with a default QGIS style.

Every layer is built from the plan document (:class:`convoy.document.PlanDocument`)
and the scenario's records (sites, threat events, risk parameters); nothing is
recomputed. The GeoPackage is written as version 1.3
(GDAL's ``VERSION=1.3``), which GDAL >= 2.2 and QGIS >= 3.0 read without the
"may only be partially supported" warning that newer versions raise there. Each
layer's style is stored in the ``layer_styles`` table with the schema QGIS uses, as
the default (``useAsDefault = 1``), so QGIS shows it styled when the file is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString, MultiLineString, Point

from convoy.document import DISPOSITIONS, PlanDocument
from convoy.errors import ScenarioError
from convoy.events import ThreatEvents
from convoy.outputs import styles
from convoy.outputs.layer_styles import timestamp, write_layer_styles
from convoy.params import SURFACES, RiskParams
from convoy.roads.network import RoadNetwork
from convoy.scenario import Site

#: GeoPackage version written (dataset creation option VERSION).
GPKG_VERSION = "1.3"

#: Name of the geometry column of every layer.
GEOMETRY_COLUMN = "geom"

#: Layers of plan.gpkg in drawing order, top first: labels and points above lines.
LAYER_ORDER: tuple[str, ...] = (
    "left_behind",
    "checkpoints",
    "halts",
    "sites",
    "events",
    "legs",
    "route_risk",
    "route",
    "roads",
)


@dataclass(frozen=True, slots=True)
class PlanLayer:
    """One layer of plan.gpkg: its features and its default style (QML)."""

    name: str
    frame: gpd.GeoDataFrame
    qml: str
    description: str


def utc(t: datetime | None) -> pd.Timestamp:
    """A plan time as a UTC timestamp (a GeoPackage DateTime field); NaT for None."""
    if t is None:
        return pd.NaT
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _frame(
    rows: list[dict[str, Any]], geoms: list[Any], columns: Sequence[str]
) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    return gpd.GeoDataFrame(
        df, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326"
    )


def route_frame(doc: PlanDocument) -> gpd.GeoDataFrame:
    """One MultiLineString per plan (optimised and each baseline), from its legs."""
    rows, geoms = [], []
    for key in doc.plan_keys():
        p = doc.plans[key]
        s = p.summary
        if not p.legs:
            continue
        parts = [LineString(leg.coords) for leg in p.legs]
        label = styles.PLAN_STYLES.get(key, (key.replace("_", " "),))[0]
        exp = float(s.expected_incidents)
        rows.append(
            {
                "plan": key,
                "label": f"{label}: {exp:.2f} expected incidents",
                "expected_incidents": exp,
                "ied": float(s.expected_ied_incidents),
                "ambush": float(s.expected_ambush_incidents),
                "depart": utc(s.depart),
                "arrive": utc(s.arrive),
                "distance_km": float(s.distance_km),
                "vehicles_moving": int(s.vehicles_moving),
                "feasible": bool(s.feasible),
            }
        )
        geoms.append(MultiLineString(parts))
    cols = [
        "plan",
        "label",
        "expected_incidents",
        "ied",
        "ambush",
        "depart",
        "arrive",
        "distance_km",
        "vehicles_moving",
        "feasible",
    ]
    return _frame(rows, geoms, cols)


def halts_frame(doc: PlanDocument) -> gpd.GeoDataFrame:
    """Every halt of every plan, as a point at its site."""
    rows, geoms = [], []
    for key in doc.plan_keys():
        for h in doc.plans[key].halts:
            rows.append(
                {
                    "site": h.site,
                    "plan": key,
                    "start": utc(h.start),
                    "end": utc(h.end),
                    "hours": float(h.hours),
                    "expected_ambush": float(h.expected_ambush),
                }
            )
            geoms.append(Point(float(h.lon), float(h.lat)))
    return _frame(
        rows, geoms, ["site", "plan", "start", "end", "hours", "expected_ambush"]
    )


def checkpoints_frame(doc: PlanDocument, sites: Sequence[Site]) -> gpd.GeoDataFrame:
    """
    The march table by place: one point per checkpoint, every unit's times in it.

    ``first_head`` is the first head's arrival and ``last_tail`` the last tail's
    clearance (DateTime, UTC); ``units`` counts the march units and ``times`` lists
    each unit's head arrival and tail clearance (``"Serial 1: 06:10-06:25"``, UTC,
    in march-table order).
    """
    where = {s.name: (s.lon, s.lat) for s in sites}
    # a roadside halt is no site: it stands where the plan's halt stands
    for h in doc.plans["optimised"].halts if "optimised" in doc.plans else ():
        where.setdefault(h.site, (float(h.lon), float(h.lat)))
    places: dict[str, list[Any]] = {}
    for i, r in enumerate(doc.march_table):
        name = r.checkpoint
        if name not in where:
            msg = (
                f"plan.json: march_table[{i}]: field 'checkpoint' expected a site of "
                f"the scenario, found {name!r}"
            )
            raise ScenarioError(msg)
        places.setdefault(name, []).append(r)
    rows, geoms = [], []
    for name, recs in places.items():
        heads = [utc(r.head_arrival) for r in recs]
        tails = [utc(r.tail_clearance) for r in recs]
        times = "; ".join(
            f"{r.unit}: {h:%d %H:%M}-{t:%H:%M}"
            for r, h, t in zip(recs, heads, tails, strict=True)
        )
        rows.append(
            {
                "checkpoint": name,
                "kind": recs[0].kind,
                "km": round(float(recs[0].km), 1),
                "units": len(recs),
                "first_head": min(heads),
                "last_tail": max(tails),
                "pass_time_min": round(sum(float(r.pass_time_min) for r in recs)),
                "times": times,
            }
        )
        geoms.append(Point(*where[name]))
    cols = [
        "checkpoint",
        "kind",
        "km",
        "units",
        "first_head",
        "last_tail",
        "pass_time_min",
        "times",
    ]
    return _frame(rows, geoms, cols)


def legs_frame(doc: PlanDocument) -> gpd.GeoDataFrame:
    """
    One line per leg of every plan: mode, road, km and times (DateTime, UTC).

    ``mode`` is ``normal`` or ``clearance`` (a route-clearance leg), as in plan.json.
    """
    rows, geoms = [], []
    for key in doc.plan_keys():
        for i, leg in enumerate(doc.plans[key].legs):
            rows.append(
                {
                    "plan": key,
                    "seq": i + 1,
                    "from_site": leg.from_site,
                    "to_site": leg.to_site,
                    "mode": leg.mode,
                    "road": leg.road,
                    "km": round(float(leg.length_km), 2),
                    "speed_kph": round(float(leg.speed_kph), 1),
                    "depart": utc(leg.depart),
                    "arrive": utc(leg.arrive),
                    "expected_incidents": float(leg.expected_ied + leg.expected_ambush),
                }
            )
            geoms.append(LineString(leg.coords))
    cols = [
        "plan",
        "seq",
        "from_site",
        "to_site",
        "mode",
        "road",
        "km",
        "speed_kph",
        "depart",
        "arrive",
        "expected_incidents",
    ]
    return _frame(rows, geoms, cols)


def roads_frame(net: RoadNetwork | None) -> gpd.GeoDataFrame:
    """The road network: one line per edge with name, surface, km and speed limit."""
    cols = ["name", "surface", "km", "maxspeed_kph"]
    if net is None or len(net.edge_geometry) == 0:
        return _frame([], [], cols)
    rows = [
        {
            "name": net.edge_name[i],
            "surface": SURFACES[int(net.edge_surface[i])],
            "km": round(float(net.edge_length_m[i]) / 1000.0, 2),
            "maxspeed_kph": float(net.edge_maxspeed_kph[i]),
        }
        for i in range(len(net.edge_geometry))
    ]
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=cols),
        geometry=gpd.GeoSeries(list(net.edge_geometry), crs=net.crs),
        crs=net.crs,
    )
    return frame.to_crs("EPSG:4326")


def sites_frame(sites: Sequence[Site]) -> gpd.GeoDataFrame:
    """The scenario's sites with their kind."""
    rows = [{"name": s.name, "kind": s.kind} for s in sites]
    geoms = [Point(s.lon, s.lat) for s in sites]
    return _frame(rows, geoms, ["name", "kind"])


def event_channels(
    events: ThreatEvents, risk: RiskParams
) -> tuple[list[str], np.ndarray]:
    """
    Risk channel and weight of each threat event, by the scenario's type rules.

    The weight is the one the risk field sums (DESIGN.md, "The risk field"):
    ``w = rule weight * (1 + fatality_weight * fatalities) * 0.5 ** (age / half_life)``,
    dimensionless. A type with no rule (``"type|sub"`` first, then ``"type"``) is in
    channel ``"none"`` with weight 0.

    Parameters
    ----------
    events
        :class:`convoy.events.ThreatEvents`.
    risk
        :class:`convoy.params.RiskParams`.
    """
    rules = risk.channel_rules()
    channels: list[str] = []
    base = np.zeros(len(events))
    for i, (t, sub) in enumerate(
        zip(events.event_type, events.sub_event_type, strict=True)
    ):
        rule = rules.get(f"{t}|{sub}") or rules.get(str(t))
        if rule is None or rule.channel == "none":
            channels.append("none")
            continue
        channels.append(rule.channel)
        base[i] = rule.weight
    w = (
        base
        * (1.0 + risk.fatality_weight * np.asarray(events.fatalities, dtype=float))
        * 0.5 ** (np.asarray(events.age_days, dtype=float) / risk.half_life_days)
    )
    return channels, w


def events_frame(ev: ThreatEvents, risk: RiskParams) -> gpd.GeoDataFrame:
    """The scenario's threat events (those dated before the start), with channel."""
    channels, weight = event_channels(ev, risk)
    rows = [
        {
            "date": pd.Timestamp(ev.date[i]).tz_localize("UTC"),  # midnight UTC
            "type": str(ev.event_type[i]),
            "sub_type": str(ev.sub_event_type[i]),
            "channel": channels[i],
            "weight": float(weight[i]),
            "fatalities": float(ev.fatalities[i]),
            "age_days": float(ev.age_days[i]),
        }
        for i in range(len(ev))
    ]
    geoms = [Point(float(x), float(y)) for x, y in np.asarray(ev.lonlat)]
    cols = ["date", "type", "sub_type", "channel", "weight", "fatalities", "age_days"]
    return _frame(rows, geoms, cols)


def route_risk_frame(doc: PlanDocument) -> gpd.GeoDataFrame:
    """The optimised route in its risk pieces: incidents per km and passing time."""
    rows, geoms = [], []
    for r in doc.trip().risk_along_route:
        km0, km1 = float(r.km_from), float(r.km_to)
        length = km1 - km0
        exp = float(r.expected)
        rows.append(
            {
                "km_from": km0,
                "km_to": km1,
                "head_time": utc(r.head_time),
                "ied_per_km": float(r.ied_per_km),
                "ambush_per_km_h": float(r.ambush_per_km_h),
                "expected": exp,
                "risk_per_km": exp / length if length > 0 else 0.0,
            }
        )
        geoms.append(LineString(r.coords))
    cols = [
        "km_from",
        "km_to",
        "head_time",
        "ied_per_km",
        "ambush_per_km_h",
        "expected",
        "risk_per_km",
    ]
    return _frame(rows, geoms, cols)


def left_behind_frame(doc: PlanDocument, sites: Sequence[Site]) -> gpd.GeoDataFrame:
    """One point per camp with what is left there: counts, weight, value by fate."""
    where = {s.name: (s.lon, s.lat) for s in sites}
    per_camp: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(doc.left_behind):
        camp = r.camp
        if camp not in where:
            msg = (
                f"plan.json: left_behind[{i}]: field 'camp' expected a site of the "
                f"scenario, found {camp!r}"
            )
            raise ScenarioError(msg)
        disp = r.disposition
        c = per_camp.setdefault(
            camp,
            {
                "camp": camp,
                "num_items": 0,
                "num_vehicles": 0,
                "weight_kg": 0.0,
                "value_usd": 0.0,
                **{f"num_{d}": 0 for d in DISPOSITIONS},
                **{f"value_{d}_usd": 0.0 for d in DISPOSITIONS},
            },
        )
        c["num_vehicles" if r.kind == "vehicle" else "num_items"] += 1
        c["weight_kg"] += float(r.weight_kg)
        c["value_usd"] += float(r.value_usd)
        c[f"num_{disp}"] += 1
        c[f"value_{disp}_usd"] += float(r.value_usd)
    rows = [per_camp[k] for k in sorted(per_camp)]
    geoms = [Point(*where[r["camp"]]) for r in rows]
    cols = [
        "camp",
        "num_items",
        "num_vehicles",
        "weight_kg",
        "value_usd",
        *[f"num_{d}" for d in DISPOSITIONS],
        *[f"value_{d}_usd" for d in DISPOSITIONS],
    ]
    return _frame(rows, geoms, cols)


def plan_layers(
    doc: PlanDocument,
    sites: Sequence[Site],
    events: ThreatEvents,
    risk_params: RiskParams,
    roads: RoadNetwork | None = None,
) -> list[PlanLayer]:
    """
    Every layer of plan.gpkg with its style, in drawing order (top first).

    Layers with no features (a plan that leaves nothing behind, a scenario with no
    events) are left out: an empty layer has no extent and draws nothing.
    """
    route = route_frame(doc)
    risk = route_risk_frame(doc)
    site_frame = sites_frame(sites)
    event_frame = events_frame(events, risk_params)
    built = {
        "left_behind": (
            left_behind_frame(doc, sites),
            styles.left_behind_qml(),
            "Equipment and vehicles left at each camp, by disposition",
        ),
        "checkpoints": (
            checkpoints_frame(doc, sites),
            styles.checkpoints_qml(),
            "Checkpoints: every march unit's head arrival and tail clearance (UTC)",
        ),
        "halts": (halts_frame(doc), styles.halts_qml(), "Halts of every plan (UTC)"),
        "legs": (
            legs_frame(doc),
            styles.legs_qml(),
            "Legs of every plan: mode, road, km, depart and arrive (UTC)",
        ),
        "sites": (
            site_frame,
            styles.sites_qml(sorted(set(site_frame["kind"]))),
            "Scenario sites",
        ),
        "events": (
            event_frame,
            styles.events_qml(sorted(set(event_frame["channel"]))),
            "Threat events used by the risk field, by channel",
        ),
        "route": (
            route,
            styles.route_qml(list(route["plan"])),
            "Routes of the optimised plan and the baselines",
        ),
        "roads": (
            roads_frame(roads),
            styles.roads_qml(),
            "Road network: name, surface, km, speed limit",
        ),
        "route_risk": (
            risk,
            styles.route_risk_qml(risk["risk_per_km"].to_numpy()),
            "Optimised route: expected incidents per km at the head's passing time",
        ),
    }
    return [
        PlanLayer(name, frame, qml, desc)
        for name in LAYER_ORDER
        for frame, qml, desc in [built[name]]
        if len(frame)
    ]


def write_plan_gpkg(
    doc: PlanDocument,
    sites: Sequence[Site],
    events: ThreatEvents,
    risk_params: RiskParams,
    path: str | Path,
    *,
    crs: str = "EPSG:4326",
    roads: RoadNetwork | None = None,
) -> list[str]:
    """
    Write plan.gpkg: the plan's layers, each with its default QGIS style.

    Parameters
    ----------
    doc
        The plan document.
    sites
        The scenario's sites.
    events
        The scenario's threat events.
    risk_params
        The scenario's ``[risk]`` parameters (each event's channel and weight).
    path
        File to write; replaced if it exists.
    crs
        CRS of the layers (any string pyproj reads); the plan's coordinates are
        EPSG:4326 and are transformed.
    roads
        The road network, written as the ``roads`` layer (none when None).

    Returns
    -------
    list of str
        Names of the layers written, in drawing order (top first).

    Raises
    ------
    ScenarioError
        If the plan names a site the scenario lacks.

    Examples
    --------
    >>> write_plan_gpkg(doc, sites, events, risk, "plan.gpkg")  # doctest: +SKIP
    ['left_behind', 'checkpoints', 'halts', 'sites', 'events', 'route', 'route_risk']
    """
    path = Path(path)
    layers = plan_layers(doc, sites, events, risk_params, roads)
    if path.exists():
        path.unlink()
    stamp = timestamp()
    # GDAL stamps gpkg_contents.last_change with this instead of the clock
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": stamp})
    try:
        for i, layer in enumerate(layers):
            frame = layer.frame.to_crs(crs) if crs != "EPSG:4326" else layer.frame
            pyogrio.write_dataframe(
                frame,
                path,
                layer=layer.name,
                driver="GPKG",
                dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
                layer_options={
                    "GEOMETRY_NAME": GEOMETRY_COLUMN,
                    "DESCRIPTION": layer.description,
                    "SPATIAL_INDEX": "YES",
                },
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    write_layer_styles(
        path,
        {layer.name: layer.qml for layer in layers},
        {layer.name: layer.description for layer in layers},
        update_time=stamp,
    )
    return [layer.name for layer in layers]

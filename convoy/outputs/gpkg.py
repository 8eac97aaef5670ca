"""plan.gpkg: the plan's layers for a GIS, each with a default QGIS style.

Every layer is built from the plan.json document (see ``docs/plan-json.md``) and the
scenario it names; nothing is recomputed. The GeoPackage is written as version 1.3
(GDAL's ``VERSION=1.3``), which GDAL >= 2.2 and QGIS >= 3.0 read without the
"may only be partially supported" warning that newer versions raise there. Each
layer's style is stored in the ``layer_styles`` table with the schema QGIS uses, as
the default (``useAsDefault = 1``), so QGIS shows it styled when the file is opened.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString, MultiLineString, Point

from convoy.errors import ScenarioError
from convoy.outputs import styles

#: The plan keys in drawing order: the optimised plan first, then the baselines.
PLAN_ORDER: tuple[str, ...] = (
    "optimised",
    "depart_at_once",
    "daylight_only",
    "historical",
)

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
    "route_risk",
    "route",
)

#: The ``layer_styles`` table as QGIS creates it in a GeoPackage.
LAYER_STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS layer_styles ("
    "id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
    "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
    "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)


@dataclass(frozen=True, slots=True)
class PlanLayer:
    """One layer of plan.gpkg: its features and its default style (QML)."""

    name: str
    frame: gpd.GeoDataFrame
    qml: str
    description: str


def _plan_keys(plan: Mapping[str, Any]) -> list[str]:
    plans = plan.get("plans") or {}
    known = [k for k in PLAN_ORDER if k in plans]
    return known + sorted(k for k in plans if k not in PLAN_ORDER)


def _need(plan: Mapping[str, Any], *keys: str) -> Any:
    """plan[k1][k2]...; a ScenarioError naming the missing key otherwise."""
    node: Any = plan
    path = "plan.json"
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            msg = f"{path}: missing key '{k}' (expected by docs/plan-json.md)"
            raise ScenarioError(msg)
        node = node[k]
        path += f"[{k!r}]"
    return node


def _coords(item: Mapping[str, Any], where: str) -> list[tuple[float, float]]:
    raw = item.get("coords")
    try:
        pts = [(float(p[0]), float(p[1])) for p in raw]  # type: ignore[union-attr]
    except (TypeError, ValueError, IndexError):
        pts = []
    if len(pts) < 2 or not np.isfinite(np.asarray(pts)).all():
        msg = (
            f"plan.json: {where}: field 'coords' expected at least two finite "
            f"[lon, lat] pairs, found {raw!r:.80}"
        )
        raise ScenarioError(msg)
    return pts


def _frame(
    rows: list[dict[str, Any]], geoms: list[Any], columns: Sequence[str]
) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    return gpd.GeoDataFrame(
        df, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326"
    )


def route_frame(plan: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """One MultiLineString per plan (optimised and each baseline), from its legs."""
    rows, geoms = [], []
    for key in _plan_keys(plan):
        p = _need(plan, "plans", key)
        s = p.get("summary", {})
        legs = p.get("legs") or []
        if not legs:
            continue
        parts = [
            LineString(_coords(leg, f"plans.{key}.legs[{i}]"))
            for i, leg in enumerate(legs)
        ]
        label = styles.PLAN_STYLES.get(key, (key.replace("_", " "),))[0]
        exp = float(s.get("expected_incidents", np.nan))
        rows.append(
            {
                "plan": key,
                "label": f"{label}: {exp:.2f} expected incidents",
                "expected_incidents": exp,
                "ied": float(s.get("expected_ied_incidents", np.nan)),
                "ambush": float(s.get("expected_ambush_incidents", np.nan)),
                "depart": s.get("depart", legs[0].get("depart", "")),
                "arrive": s.get("arrive", legs[-1].get("arrive", "")),
                "distance_km": float(
                    s.get(
                        "distance_km", sum(float(g.get("length_km", 0)) for g in legs)
                    )
                ),
                "vehicles_moving": int(s.get("vehicles_moving", 0)),
                "feasible": bool(s.get("feasible", True)),
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


def halts_frame(plan: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Every halt of every plan, as a point at its site."""
    rows, geoms = [], []
    for key in _plan_keys(plan):
        for i, h in enumerate(_need(plan, "plans", key).get("halts") or []):
            try:
                pt = Point(float(h["lon"]), float(h["lat"]))
            except (KeyError, TypeError, ValueError):
                msg = (
                    f"plan.json: plans.{key}.halts[{i}]: fields 'lon', 'lat' expected "
                    f"numbers, found {h.get('lon')!r}, {h.get('lat')!r}"
                )
                raise ScenarioError(msg) from None
            rows.append(
                {
                    "site": h.get("site", ""),
                    "plan": key,
                    "start": h.get("start", ""),
                    "end": h.get("end", ""),
                    "hours": float(h.get("hours", np.nan)),
                    "expected_ambush": float(h.get("expected_ambush", np.nan)),
                }
            )
            geoms.append(pt)
    return _frame(
        rows, geoms, ["site", "plan", "start", "end", "hours", "expected_ambush"]
    )


def checkpoints_frame(plan: Mapping[str, Any], scenario: Any) -> gpd.GeoDataFrame:
    """The march table: one point per march unit and checkpoint, at the site."""
    where = {s.name: (s.lon, s.lat) for s in scenario.sites}
    rows, geoms = [], []
    for i, r in enumerate(plan.get("march_table") or []):
        name = r.get("checkpoint", "")
        if name not in where:
            msg = (
                f"plan.json: march_table[{i}]: field 'checkpoint' expected a site of "
                f"the scenario, found {name!r}"
            )
            raise ScenarioError(msg)
        rows.append(
            {
                "checkpoint": name,
                "kind": r.get("kind", ""),
                "unit": r.get("unit", ""),
                "serial": r.get("serial", ""),
                "km": float(r.get("km", np.nan)),
                "head_arrival": r.get("head_arrival", ""),
                "tail_clearance": r.get("tail_clearance", ""),
                "pass_time_min": float(r.get("pass_time_min", np.nan)),
                "halt_until": r.get("halt_until") or "",
            }
        )
        geoms.append(Point(*where[name]))
    cols = [
        "checkpoint",
        "kind",
        "unit",
        "serial",
        "km",
        "head_arrival",
        "tail_clearance",
        "pass_time_min",
        "halt_until",
    ]
    return _frame(rows, geoms, cols)


def sites_frame(scenario: Any) -> gpd.GeoDataFrame:
    """The scenario's sites with their kind."""
    rows = [{"name": s.name, "kind": s.kind} for s in scenario.sites]
    geoms = [Point(s.lon, s.lat) for s in scenario.sites]
    return _frame(rows, geoms, ["name", "kind"])


def event_channels(events: Any, risk: Any) -> tuple[list[str], np.ndarray]:
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


def events_frame(scenario: Any) -> gpd.GeoDataFrame:
    """The scenario's threat events (those dated before the start), with channel."""
    ev = scenario.events
    channels, weight = event_channels(ev, scenario.risk)
    rows = [
        {
            "date": str(ev.date[i]),
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


def route_risk_frame(plan: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """The optimised route in its risk pieces: incidents per km and passing time."""
    rows, geoms = [], []
    opt = (plan.get("plans") or {}).get("optimised") or {}
    for i, r in enumerate(opt.get("risk_along_route") or []):
        pts = _coords(r, f"plans.optimised.risk_along_route[{i}]")
        km0, km1 = float(r.get("km_from", np.nan)), float(r.get("km_to", np.nan))
        length = km1 - km0
        exp = float(r.get("expected", np.nan))
        rows.append(
            {
                "km_from": km0,
                "km_to": km1,
                "head_time": r.get("head_time", ""),
                "ied_per_km": float(r.get("ied_per_km", np.nan)),
                "ambush_per_km_h": float(r.get("ambush_per_km_h", np.nan)),
                "expected": exp,
                "risk_per_km": exp / length if length > 0 else 0.0,
            }
        )
        geoms.append(LineString(pts))
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


DISPOSITIONS: tuple[str, ...] = ("destroyed", "handed_over", "abandoned")


def left_behind_frame(plan: Mapping[str, Any], scenario: Any) -> gpd.GeoDataFrame:
    """One point per camp with what is left there: counts, weight, value by fate."""
    where = {s.name: (s.lon, s.lat) for s in scenario.sites}
    per_camp: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(plan.get("left_behind") or []):
        camp = r.get("camp", "")
        if camp not in where:
            msg = (
                f"plan.json: left_behind[{i}]: field 'camp' expected a site of the "
                f"scenario, found {camp!r}"
            )
            raise ScenarioError(msg)
        disp = r.get("disposition", "")
        if disp not in DISPOSITIONS:
            msg = (
                f"plan.json: left_behind[{i}]: field 'disposition' expected one of "
                f"{list(DISPOSITIONS)}, found {disp!r}"
            )
            raise ScenarioError(msg)
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
        c["num_vehicles" if r.get("kind") == "vehicle" else "num_items"] += 1
        c["weight_kg"] += float(r.get("weight_kg", 0.0))
        c["value_usd"] += float(r.get("value_usd", 0.0))
        c[f"num_{disp}"] += 1
        c[f"value_{disp}_usd"] += float(r.get("value_usd", 0.0))
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


def plan_layers(plan: Mapping[str, Any], scenario: Any) -> list[PlanLayer]:
    """
    Every layer of plan.gpkg with its style, in drawing order (top first).

    Layers with no features (a plan that leaves nothing behind, a scenario with no
    events) are left out: an empty layer has no extent and draws nothing.
    """
    route = route_frame(plan)
    risk = route_risk_frame(plan)
    sites = sites_frame(scenario)
    events = events_frame(scenario)
    built = {
        "left_behind": (
            left_behind_frame(plan, scenario),
            styles.left_behind_qml(),
            "Equipment and vehicles left at each camp, by disposition",
        ),
        "checkpoints": (
            checkpoints_frame(plan, scenario),
            styles.checkpoints_qml(),
            "Road movement table: head arrival and tail clearance (UTC)",
        ),
        "halts": (halts_frame(plan), styles.halts_qml(), "Halts of every plan (UTC)"),
        "sites": (
            sites,
            styles.sites_qml(sorted(set(sites["kind"]))),
            "Scenario sites",
        ),
        "events": (
            events,
            styles.events_qml(sorted(set(events["channel"]))),
            "Threat events used by the risk field, by channel",
        ),
        "route": (
            route,
            styles.route_qml(list(route["plan"])),
            "Routes of the optimised plan and the baselines",
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
    plan: Mapping[str, Any], scenario: Any, path: str | Path, *, crs: str = "EPSG:4326"
) -> list[str]:
    """
    Write plan.gpkg: the plan's layers, each with its default QGIS style.

    Parameters
    ----------
    plan
        The plan.json document (see ``docs/plan-json.md``).
    scenario
        The :class:`convoy.scenario.Scenario` the plan was made for (sites, events).
    path
        File to write; replaced if it exists.
    crs
        CRS of the layers (any string pyproj reads); the plan's coordinates are
        EPSG:4326 and are transformed.

    Returns
    -------
    list of str
        Names of the layers written, in drawing order (top first).

    Raises
    ------
    ScenarioError
        If the plan lacks a field a layer needs, or names a site the scenario lacks.

    Examples
    --------
    >>> write_plan_gpkg(plan, scenario, "out/plan.gpkg")  # doctest: +SKIP
    ['left_behind', 'checkpoints', 'halts', 'sites', 'events', 'route', 'route_risk']
    """
    path = Path(path)
    layers = plan_layers(plan, scenario)
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


def timestamp() -> str:
    """
    The time written into the GeoPackage's metadata, ISO 8601 UTC.

    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention)
    when set, so that the same plan gives the same bytes; the clock otherwise.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (
        datetime.fromtimestamp(int(epoch), UTC)
        if epoch.isdigit()
        else datetime.now(UTC)
    )
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_layer_styles(
    path: Path,
    qml: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    *,
    update_time: str | None = None,
) -> None:
    """
    Store each layer's QML as its default style in the GeoPackage's ``layer_styles``.

    The table is created with QGIS' schema and registered in ``gpkg_contents`` as an
    attributes table, as QGIS does. ``f_table_schema`` is ``''`` (QGIS matches the
    empty string, not NULL) and ``f_geometry_column`` is the layer's geometry column
    read from ``gpkg_geometry_columns``.
    """
    now = update_time or timestamp()
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(LAYER_STYLES_DDL)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, "
                "identifier, description, last_change) VALUES ('layer_styles', "
                "'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                (now,),
            )
            geomcols = dict(
                con.execute(
                    "SELECT table_name, column_name FROM gpkg_geometry_columns"
                ).fetchall()
            )
            for name, doc in qml.items():
                if name not in geomcols:
                    msg = f"{path}: no spatial layer named {name!r} to style"
                    raise ScenarioError(msg)
                con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                    "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                    "useAsDefault, description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                    (
                        name,
                        geomcols[name],
                        name,
                        doc,
                        (descriptions or {}).get(name, ""),
                        now,
                    ),
                )
    finally:
        con.close()

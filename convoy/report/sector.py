"""A sector's report: the map of every convoy's route, the timeline, camp tables.

From sector.json's content and each convoy's PlanDocument: ``sector_map.png``
(each convoy's optimised route in its own colour, the camps and the destination),
``sector_timeline.png`` (one bar a convoy, departure to arrival, with each camp's
closing) and ``sector_report.html`` (a table per camp with its convoys, the
sector's timeline, and the plan beside "every contingent for itself").
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps

from convoy.document import PlanDocument
from convoy.report._common import day_numbers, new_figure, save, utc_time_axis
from convoy.scenario import Site


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def plot_sector_map(
    sector: Mapping[str, Any],
    docs: Mapping[str, PlanDocument],
    sites: Sequence[Site],
    path: Path,
) -> Path:
    """Every convoy's optimised route, one colour a convoy, over the sites."""
    fig = new_figure(7.0, 8.0)
    ax = fig.subplots()
    cmap = colormaps["tab10"]
    for k, conv in enumerate(sector["convoys"]):
        first = True
        for leg in docs[conv["name"]].plans["optimised"].legs:
            xy = np.asarray(leg.coords, dtype=float)
            ax.plot(
                xy[:, 0] + 0.01 * (k - 1),
                xy[:, 1],
                color=cmap(k % 10),
                lw=2.0,
                label=f"{conv['name']} ({conv['vehicles']} veh., "
                f"{conv['depart'][5:10]})"
                if first
                else None,
            )
            first = False
    for s in sites:
        if s.kind in ("camp", "destination"):
            ax.plot(s.lon, s.lat, "ks" if s.kind == "camp" else "g*", ms=9, zorder=6)
            ax.annotate(
                s.name, (s.lon, s.lat), xytext=(5, 5), textcoords="offset points"
            )
    ax.set_xlabel("longitude (degrees east, WGS 84)")
    ax.set_ylabel("latitude (degrees north, WGS 84)")
    ax.set_title(f"Convoys of the sector\n{sector['scenario']['title']}", fontsize=10)
    ax.set_aspect(1.0 / np.cos(np.radians(18.0)))
    ax.legend(loc="best", fontsize=8)
    ax.grid(True, lw=0.3, alpha=0.5)
    return save(fig, path)


def plot_sector_timeline(sector: Mapping[str, Any], path: Path) -> Path:
    """One bar a convoy from departure to arrival; a camp's closing as a tick."""
    convoys = sorted(sector["convoys"], key=lambda c: (c["depart"], c["name"]))
    fig = new_figure(8.0, 1.2 + 0.45 * len(convoys))
    ax = fig.subplots()
    closes = {c["name"]: _t(c["closes"]) for c in sector["camps"]}
    for i, c in enumerate(convoys):
        a, b, shut = day_numbers([_t(c["depart"]), _t(c["arrive"]), closes[c["camp"]]])
        ax.barh(i, b - a, left=a, height=0.6, color="#1b9e77")
        ax.plot([shut, shut], [i - 0.4, i + 0.4], color="#d95f02", lw=2)
    ax.set_yticks(range(len(convoys)), [c["name"] for c in convoys])
    ax.invert_yaxis()
    utc_time_axis(ax)
    ax.set_title(
        "Sector timeline: convoys (bars) and camp closing (orange)", fontsize=10
    )
    return save(fig, path)


def _table(rows: Sequence[Sequence[str]], head: Sequence[str]) -> str:
    h = "".join(f"<th>{html.escape(x)}</th>" for x in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in r) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{h}</tr>{body}</table>"


def render_sector_html(sector: Mapping[str, Any], path: Path) -> Path:
    """sector_report.html: camps, convoys, timeline, the baseline beside the plan."""
    r = sector["routing"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(sector['scenario']['title'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
        "</style></head><body>",
        f"<h1>{html.escape(sector['scenario']['title'])}</h1>",
        f"<p>Fleet routing (OR-Tools): {html.escape(r['status'])}, objective "
        f"${r['objective'] / 1e6:,.2f}M ({r['first_solution']}, "
        f"{r['metaheuristic']}, limit {r['time_limit_s']:g} s); "
        f"{r['cargo_groups']} cargo groups, {r['groups_left']} left at their camps. "
        f"Vehicles at the destination sent north: "
        f"{'allowed' if r['northbound'] else 'not allowed'}.</p>",
        "<img src='sector_map.png' alt='convoys'>",
        "<h2>Timeline</h2><img src='sector_timeline.png' alt='timeline'>",
    ]
    alone = sector["every_contingent_for_itself"]
    for camp in sector["camps"]:
        mine = [c for c in sector["convoys"] if c["camp"] == camp["name"]]
        parts.append(
            f"<h2>{html.escape(camp['name'])}</h2><p>{camp['personnel']} persons, "
            f"{camp['vehicles']} vehicles, {camp['lots']} lots; opens "
            f"{camp['opens'][:16]}, closes {camp['closes'][:16]}; empty by closing: "
            f"{'yes' if camp['empty_by_closing'] else 'NO'}; lots left by the "
            f"routing: {camp['lots_left_by_routing']}.</p>"
        )
        rows = [
            (
                c["name"],
                c["depart"][:16],
                c["arrive"][:16],
                c["vehicles"],
                c["lots"],
                c["lots_left"],
                f"{c['expected_incidents']:.2f}",
                f"convoys/{c['name']}/report.html",
            )
            for c in mine
        ]
        rows += [
            (
                f"{n['name']} (empty, from the destination)",
                n["depart"][:16],
                n["arrive"][:16],
                n["vehicles"],
                "",
                "",
                f"{n['expected_incidents']:.2f}",
                "",
            )
            for n in sector.get("north_convoys", [])
            if n["camp"] == camp["name"]
        ]
        if camp["name"] in alone:
            a = alone[camp["name"]]
            rows.append(
                (
                    "alone (baseline)",
                    a["depart"][:16],
                    a["arrive"][:16],
                    a["vehicles_moving"],
                    "",
                    "",
                    f"{a['expected_incidents']:.2f}",
                    "",
                )
            )
        parts.append(
            _table(
                rows,
                (
                    "convoy",
                    "depart",
                    "arrive",
                    "vehicles",
                    "lots",
                    "lots left",
                    "incidents",
                    "plan",
                ),
            )
        )
    tot = sector["totals"]
    parts.append(
        "<h2>Sector plan and every contingent for itself</h2>"
        + _table(
            [
                (
                    "sector plan",
                    f"{tot['expected_incidents']:.2f}",
                    f"${tot['value_left_usd'] / 1e6:,.1f}M",
                ),
                (
                    "every contingent for itself",
                    f"{tot['every_contingent_for_itself_incidents']:.2f}",
                    f"${tot['every_contingent_for_itself_value_left_usd'] / 1e6:,.1f}M",
                ),
            ],
            ("plan", "expected incidents", "value left"),
        )
    )
    options = sector.get("options", [])
    if len(options) > 1:
        parts.append(
            "<h2>Routings compared</h2>"
            + _table(
                [
                    (
                        o["label"] + (" (chosen)" if o["chosen"] else ""),
                        o["convoys"],
                        o["north_convoys"],
                        f"{o['expected_incidents']:.2f}",
                        f"${o['value_left_usd'] / 1e6:,.1f}M",
                        f"${o['cost_usd'] / 1e6:,.1f}M",
                    )
                    for o in options
                ],
                (
                    "routing",
                    "convoys",
                    "columns north",
                    "expected incidents",
                    "value left",
                    "cost",
                ),
            )
        )
    if sector["left"]:
        parts.append(
            "<h2>Left at the camps</h2>"
            + _table(
                [
                    (
                        x["camp"],
                        x["lot"],
                        x["category"],
                        f"{x['value_usd']:,.0f}",
                        x["reason"],
                    )
                    for x in sector["left"]
                ],
                ("camp", "lot", "category", "value USD", "why"),
            )
        )
    for n in sector["notes"]:
        parts.append(f"<p>note: {html.escape(n)}</p>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path

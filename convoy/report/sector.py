"""A sector's report: the map of every convoy's route, the timeline, camp tables.

From sector.json's content and each convoy's PlanDocument: ``sector_map.png``
(each convoy's optimised route in its own colour, the camps and the destination),
``sector_timeline.png`` (a band a camp: its convoys south and the empty columns
north, the camp's window and closing) and ``sector_report.html``, rendered from
sector.json's content alone through ``templates/sector.html.j2`` (bottom line
first: convoys, when each camp is empty, the sector against "every contingent for
itself", the vehicles from the destination and the notes; then the charts, a table
per camp, the routings compared and what is left at the camps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup
from matplotlib import colormaps
from matplotlib import dates as mdates
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from convoy.document import PlanDocument
from convoy.report._common import day_numbers, new_figure, save, utc_time_axis
from convoy.report.html import REPORT_CSS, embedded_img, render_template
from convoy.scenario import Site
from convoy.times import dtg, parse_utc


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
                f"{conv['depart'][5:10]}"
                + (
                    f", joins {conv['joins']} at {conv.get('to')})"
                    if conv.get("joins")
                    else ")"
                )
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
    # below the map, where it never covers a route or a camp's name
    fig.legend(loc="outside lower center", ncol=1, fontsize=8)
    ax.grid(True, lw=0.3, alpha=0.5)
    return save(fig, path)


#: Bar colours of the sector timeline: convoys south, empty columns north.
SOUTH_COLOUR = "#1b9e77"
NORTH_COLOUR = "#7570b3"
CLOSING_COLOUR = "#d95f02"
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.5}


def _timeline_rows(
    sector: Mapping[str, Any],
) -> list[tuple[str, list[Mapping[str, Any]], list[Mapping[str, Any]]]]:
    """Per camp, in sector.json's order: its north columns and its convoys."""
    north = sector.get("north_convoys", [])
    return [
        (
            camp["name"],
            sorted(
                (n for n in north if n["camp"] == camp["name"]),
                key=lambda n: (n["depart"], n["name"]),
            ),
            sorted(
                (c for c in sector["convoys"] if c["camp"] == camp["name"]),
                key=lambda c: (c["depart"], c["name"]),
            ),
        )
        for camp in sector["camps"]
    ]


def timeline_labels(sector: Mapping[str, Any]) -> list[str]:
    """The sector timeline's rows, top down: each camp's columns north, its convoys."""
    labels: list[str] = []
    for name, north, south in _timeline_rows(sector):
        labels += [f"{n['name']} (\u2191 north)" for n in north]
        labels += [
            f"{c['name']} (\u2193 to {c.get('to')}, joins {c['joins']})"
            if c.get("joins")
            else f"{c['name']} (\u2193 south)"
            for c in south
        ]
        if not north and not south:
            labels.append(f"{name}: no convoy")
    return labels


def plot_sector_timeline(sector: Mapping[str, Any], path: Path) -> Path:
    """
    The sector's timeline: a band a camp, a bar a convoy or empty column.

    Each camp's band holds the empty columns that drive north to it from the
    destination (hatched, arrow up) and its convoys south (arrow down), each bar
    from departure to arrival with its vehicles; the camp's window (opens to
    closes) is shaded and its closing drawn as a line across the band, so a convoy
    leaving after it shows at a glance. A camp without a convoy keeps an empty row.
    """
    camps = {c["name"]: c for c in sector["camps"]}
    bands = _timeline_rows(sector)
    labels = timeline_labels(sector)
    fig = new_figure(9.0, 1.6 + 0.42 * len(labels))
    ax = fig.subplots()
    row = 0
    for k, (name, north, south) in enumerate(bands):
        camp = camps[name]
        first = row
        for conv, up in [(n, True) for n in north] + [(c, False) for c in south]:
            a, b = day_numbers([parse_utc(conv["depart"]), parse_utc(conv["arrive"])])
            ax.barh(
                row,
                max(b - a, 1e-3),
                left=a,
                height=0.6,
                color=NORTH_COLOUR if up else SOUTH_COLOUR,
                hatch="//" if up else None,
                edgecolor="white" if up else None,
            )
            ax.annotate(
                f"{conv['vehicles']} veh.",
                (b, row),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                bbox=_LABEL_BOX,
            )
            row += 1
        if row == first:  # a camp without a convoy keeps its row
            row += 1
        opens, shut = day_numbers([parse_utc(camp["opens"]), parse_utc(camp["closes"])])
        ax.fill_betweenx(
            [first - 0.45, row - 0.55],
            opens,
            shut,
            color="#f0f0f0",
            zorder=0,
        )
        ax.plot(
            [shut, shut],
            [first - 0.45, row - 0.55],
            color=CLOSING_COLOUR,
            lw=2,
        )
        ax.annotate(
            f"{name} closes",
            (shut, first - 0.45),
            xytext=(3, -2),
            textcoords="offset points",
            va="top",
            fontsize=7,
            color=CLOSING_COLOUR,
            bbox=_LABEL_BOX,
            zorder=5,
        )
        if k < len(bands) - 1:
            ax.axhline(row - 0.5, color="#999999", lw=0.6)
    handles = [
        Patch(color=SOUTH_COLOUR, label="convoy south to the destination"),
        Patch(
            facecolor=NORTH_COLOUR,
            hatch="//",
            edgecolor="white",
            label="empty column north from the destination",
        ),
        Patch(
            facecolor="#f0f0f0",
            edgecolor="#bbbbbb",
            label="camp's window (opens to closes)",
        ),
        Line2D([], [], color=CLOSING_COLOUR, lw=2, label="camp closes"),
    ]
    if not any(n for _, n, _ in bands):
        del handles[1]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(row - 0.5, -0.5)
    ax.margins(x=0.08)
    utc_time_axis(ax)
    lo, hi = ax.get_xlim()
    if hi - lo > 3.0:  # days: one tick every few days, never two on adjacent days
        ax.xaxis.set_major_locator(
            mdates.DayLocator(interval=math.ceil((hi - lo) / 8.0), tz=UTC)
        )
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b", tz=UTC))
    ax.grid(axis="x", lw=0.3, alpha=0.5)
    ax.set_title("Sector timeline (UTC): convoys by camp", fontsize=10)
    return save(fig, path)


#: The packaged sector report template (package data of ``convoy.report``).
SECTOR_TEMPLATE = "sector.html.j2"

#: Charts of the sector report, in page order: file name and alternative text.
SECTOR_CHARTS: tuple[tuple[str, str], ...] = (
    ("sector_map.png", "Every convoy's route over the camps and the destination"),
    ("sector_timeline.png", "Sector timeline: convoys by camp, camp closings"),
)

#: Style of the sector page beyond the commander's report's.
_SECTOR_CSS = """
.no { color: #8a1c1c; font-weight: bold; }
.warning ul { margin: 0.3em 0; padding-left: 1.2em; }
tr.north td { background: #f2f0f7; }
tr.baseline td { color: #555; font-style: italic; }
tfoot td { font-weight: bold; }
"""


def _dtg(value: str | datetime | None) -> str:
    """A sector.json time (ISO 8601, UTC) as a DTG (:func:`convoy.times.dtg`)."""
    if value is None or value == "":
        return ""
    return dtg(parse_utc(value))


def _musd(x: float | None) -> str:
    return "" if x is None else f"{float(x) / 1e6:,.2f} M USD"


def _camp_rows(
    sector: Mapping[str, Any], camp: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A camp's table: its convoys, the empty columns north, its baseline."""
    name = camp["name"]
    rows: list[dict[str, Any]] = [
        {
            "kind": "convoy",
            "name": c["name"],
            "what": f"to {c.get('to')}, joins {c['joins']} there"
            if c.get("joins")
            else "south to the destination",
            "report": f"{c.get('folder', 'convoys/' + c['name'])}/report.html",
            "depart": c["depart"],
            "arrive": c["arrive"],
            "vehicles": c["vehicles"],
            "moving": c.get("vehicles_moving"),
            "lots": c["lots"],
            "lots_left": c["lots_left"],
            "incidents": c["expected_incidents"],
            "value_left_usd": c.get("value_left_usd"),
        }
        for c in sector["convoys"]
        if c["camp"] == name
    ]
    rows += [
        {
            "kind": "north",
            "name": n["name"],
            "what": f"empty, north from the destination for {n['for_convoy']}",
            "report": None,
            "depart": n["depart"],
            "arrive": n["arrive"],
            "vehicles": n["vehicles"],
            "moving": n["vehicles"],
            "lots": None,
            "lots_left": None,
            "incidents": n["expected_incidents"],
            "value_left_usd": None,
        }
        for n in sector.get("north_convoys", [])
        if n["camp"] == name
    ]
    alone = sector.get("every_contingent_for_itself", {}).get(name)
    if alone is not None:
        rows.append(
            {
                "kind": "baseline",
                "name": "every contingent for itself",
                "what": "the camp's own vehicles, departing at once",
                "report": None,
                "depart": alone["depart"],
                "arrive": alone["arrive"],
                "vehicles": None,
                "moving": alone["vehicles_moving"],
                "lots": None,
                "lots_left": None,
                "incidents": alone["expected_incidents"],
                "value_left_usd": alone.get("value_left_usd"),
            }
        )
    return rows


def sector_context(
    sector: Mapping[str, Any], charts: Mapping[str, Markup]
) -> dict[str, Any]:
    """
    The variables the sector template receives.

    ``sector`` is sector.json's content as it is; ``bl`` the bottom line (counts,
    each camp's last departure against its closing, totals against every
    contingent for itself, the vehicles from the destination); ``camps`` each camp
    with the rows of its table (``kind`` convoy, north or baseline); ``charts`` the
    ``<img>`` tags by file name; ``dtg`` formats a sector.json time as a DTG and
    ``musd`` a dollar value in millions.
    """
    convoys = sector["convoys"]
    north = sector.get("north_convoys", [])
    tot = sector["totals"]
    ours = tot["expected_incidents"]
    alone = tot["every_contingent_for_itself_incidents"]
    camps = [
        {
            **camp,
            "rows": _camp_rows(sector, camp),
            "left": [x for x in sector["left"] if x["camp"] == camp["name"]],
        }
        for camp in sector["camps"]
    ]
    options = list(sector.get("options", []))
    served = {c["camp"] for c in convoys}
    # a convoy that joins another on its way: its vehicles, lots and persons are
    # counted in the convoy it joins
    final = [c for c in convoys if not c.get("joins")]
    bl = {
        "convoys": len(convoys),
        "joined": len(convoys) - len(final),
        "camps_served": len(served),
        "camps": len(sector["camps"]),
        "vehicles": sum(c["vehicles"] for c in final),
        "vehicles_moving": sum(c.get("vehicles_moving", c["vehicles"]) for c in final),
        "lots": sum(c["lots"] for c in final),
        "personnel": sum(c.get("personnel", 0) for c in final),
        "interval": tot.get("expected_incidents_interval"),
        "alone_interval": tot.get("every_contingent_for_itself_incidents_interval"),
        "north": len(north),
        "north_vehicles": sum(n["vehicles"] for n in north),
        "incidents": ours,
        "alone_incidents": alone,
        "incidents_difference": ours - alone,
        "incidents_ratio": ours / alone if alone > 0 else None,
        "value_left_usd": tot["value_left_usd"],
        "alone_value_left_usd": tot["every_contingent_for_itself_value_left_usd"],
        # a lot the routing left at a camp with a convoy is in that convoy's lots left
        "lots_left": sum(c["lots_left"] for c in convoys)
        + sum(1 for x in sector["left"] if x["camp"] not in served),
        "vehicles_left": list(sector.get("vehicles_left", [])),
        "all_empty": all(c["empty_by_closing"] for c in sector["camps"]),
        "northbound": bool(sector["routing"].get("northbound")),
        "chosen": next((o for o in options if o.get("chosen")), None),
    }
    return {
        "title": sector["scenario"].get("title") or sector["scenario"]["name"],
        "css": Markup(REPORT_CSS + _SECTOR_CSS),
        "sector": sector,
        "scenario": sector["scenario"],
        "routing": sector["routing"],
        "totals": tot,
        "bl": bl,
        "camps": camps,
        "options": options,
        "left": sector["left"],
        "notes": [str(n) for n in sector["notes"]],
        "charts": dict(charts),
        "dtg": _dtg,
        "musd": _musd,
    }


def render_sector(
    sector: Mapping[str, Any],
    charts: Mapping[str, Markup],
    *,
    template: str | Path | None = None,
) -> str:
    """
    The sector page: :func:`sector_context` through the Jinja2 template.

    Raises
    ------
    ScenarioError
        ``template`` is missing or not a valid Jinja2 template.
    """
    return render_template(template, SECTOR_TEMPLATE, sector_context(sector, charts))


def render_sector_html(
    sector: Mapping[str, Any],
    path: Path,
    *,
    template: str | Path | None = None,
) -> Path:
    """
    Write sector_report.html at ``path`` from sector.json's content.

    The charts of :data:`SECTOR_CHARTS` found beside ``path`` are embedded (the
    page can be mailed as one file; its links to each convoy's report.html are
    relative to the sector's folder).

    Parameters
    ----------
    sector
        sector.json's content (:func:`convoy.outputs.sector.sector_document`).
    path
        The page to write.
    template
        A Jinja2 file to render instead of the packaged :data:`SECTOR_TEMPLATE`;
        it receives the variables of :func:`sector_context`.

    Returns
    -------
    Path
        The page.

    Raises
    ------
    ScenarioError
        ``template`` is missing or not a valid Jinja2 template.
    """
    charts = {
        name: Markup(embedded_img(path.parent / name, alt))
        for name, alt in SECTOR_CHARTS
        if (path.parent / name).is_file()
    }
    path.write_text(render_sector(sector, charts, template=template), encoding="utf-8")
    return path

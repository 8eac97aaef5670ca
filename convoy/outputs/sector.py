"""The output folder of a sector: every convoy's plan, and the sector's tables.

``OUT/convoys/<convoy>/`` holds each convoy's own plan folder (plan.json, march
table, loads, left behind, and unless ``maps`` is false its maps and report: the
convoy's route). ``OUT/sector.json`` records the routing (solver status and
objective, costs), the camps, the convoys, what is left at each camp and why, and
the "every contingent for itself" baseline; ``camps.csv``, ``left_at_camps.csv``
and ``timeline.csv`` are its tables (docs/plan-json.md, "Sector"); with maps,
``sector_map.png`` (every convoy's route), ``sector_timeline.png`` and
``sector_report.html`` (bottom line, charts embedded, a table per camp linking
each convoy's report.html, the baseline, the routings compared).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from convoy.document import PlanDocument, canonical_json
from convoy.outputs.folder import write_plan_files
from convoy.outputs.write import OutputExistsError
from convoy.plan import Plan
from convoy.plan.sector import SectorPlan
from convoy.report.sector import (
    plot_sector_map,
    plot_sector_timeline,
    render_sector_html,
)

#: Files of a sector's folder besides ``convoys/``.
SECTOR_FILES = ("sector.json", "camps.csv", "left_at_camps.csv", "timeline.csv")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _trip_row(plan: Plan, name: str = "optimised") -> dict[str, Any]:
    trip = plan.trips[name].trip
    t0 = plan.scenario.start
    legs = trip.trajectory.legs
    return {
        "depart": _iso(t0 + timedelta(minutes=legs[0].depart_min)),
        "arrive": _iso(t0 + timedelta(minutes=legs[-1].arrive_min)),
        "expected_incidents": trip.exposure.total,
        "vehicles_moving": len(plan.trips[name].vehicle_ids),
        "value_carried_usd": plan.loadout.value_saved_usd,
        "value_left_usd": plan.loadout.value_left_usd,
    }


def sector_document(sp: SectorPlan, docs: dict[str, PlanDocument]) -> dict[str, Any]:
    """The content of sector.json (plain JSON types, canonical order)."""
    sc = sp.scenario
    r = sp.routing
    t0 = sc.start
    by_id = {v.id: v for v in sc.vehicles}
    convoys = []
    for conv, plan in sp.convoys:
        row = _trip_row(plan)
        row.update(
            name=conv.name,
            camp=conv.camp,
            folder=f"convoys/{conv.name}",
            vehicles=len(conv.trips),
            lots=sum(len(sp.cargo[g].lot_ids) for t in conv.trips for g in t.cargo),
            personnel=plan.scenario.personnel,
            lots_left=sum(1 for x in docs[conv.name].left_behind if x.kind == "lot"),
            latest_depart=_iso(t0 + timedelta(minutes=conv.latest_min)),
            to=plan.scenario.destination,
            joins=conv.joins,
        )
        convoys.append(row)
    north: list[dict[str, Any]] = [
        {
            "name": n.name,
            "camp": n.camp,
            "for_convoy": n.for_convoy,
            "vehicles": len(n.vehicle_ids),
            "vehicle_ids": list(n.vehicle_ids),
            "depart": _iso(t0 + timedelta(minutes=n.schedule.depart_min)),
            "arrive": _iso(t0 + timedelta(minutes=n.schedule.arrive_min)),
            "expected_incidents": n.schedule.expected_incidents,
        }
        for n in sp.north
    ]
    camps = []
    for c, legs in zip(sc.camps, sp.camps, strict=True):
        mine = [x for x in convoys if x["camp"] == c.name]
        camps.append(
            {
                "name": c.name,
                "personnel": c.personnel,
                "opens": _iso(c.opens),
                "closes": _iso(c.closes),
                "vehicles": sum(1 for v in sc.vehicles if v.camp == c.name),
                "lots": sum(1 for lot in sc.lots if lot.camp == c.name),
                "convoys": [x["name"] for x in mine],
                "last_departure": max((x["depart"] for x in mine), default=None),
                "empty_by_closing": all(x["depart"] <= _iso(c.closes) for x in mine),
                "lots_left_by_routing": sum(1 for x in sp.left if x.camp == c.name),
                "expected_incidents": sum(x["expected_incidents"] for x in mine)
                + sum(x["expected_incidents"] for x in north if x["camp"] == c.name),
                "last_pickup": _iso(t0 + timedelta(minutes=legs.pickup_end_min)),
                "leg_min": legs.leg_min,
                "leg_usd_per_vehicle": legs.leg_usd,
            }
        )
    alone = {
        name: _trip_row(plan, "depart_at_once")
        for name, plan in sp.alone
        if "depart_at_once" in plan.trips
    }
    return {
        "scenario": {"name": sc.name, "title": sc.title, "seed": sc.seed},
        "routing": {
            "status": r.status,
            "objective": r.objective,
            "cost_usd": r.cost_usd,
            "arc_usd": r.arc_usd,
            "fixed_usd": r.fixed_usd,
            "penalty_usd": r.penalty_usd,
            "first_solution": sc.solver.routing_first_solution,
            "metaheuristic": sc.solver.routing_metaheuristic,
            "time_limit_s": sc.solver.routing_time_limit_s,
            "solution_limit": sc.solver.routing_solution_limit,
            "timed_out": r.timed_out,
            "cargo_groups": len(sp.cargo),
            "groups_left": len(r.dropped),
            "northbound": sc.sector.northbound,
            "lower_bound_usd": sp.routing_bound_usd,
            # (objective - bound) / objective: an upper bound on the true gap
            "gap_to_bound": None
            if sp.routing_bound_usd is None or r.objective <= 0
            else (r.objective - sp.routing_bound_usd) / r.objective,
        },
        "camps": camps,
        "convoys": convoys,
        "north_convoys": north,
        "options": [
            {
                "label": o.label,
                "convoys": o.convoys,
                "north_convoys": o.north_convoys,
                "expected_incidents": o.expected_incidents,
                "value_left_usd": o.value_left_usd,
                "cost_usd": o.cost_usd,
                "chosen": o.chosen,
            }
            for o in sp.options
        ],
        "vehicles_left": list(sp.vehicles_left),
        "left": [
            {
                "camp": x.camp,
                "lot": x.lot_id,
                "category": x.category,
                "value_usd": x.value_usd,
                "sensitive": x.sensitive,
                "destroy_hours": x.destroy_hours,
                "reason": x.reason,
            }
            for x in sp.left
        ],
        "every_contingent_for_itself": alone,
        "totals": {
            "expected_incidents": sum(x["expected_incidents"] for x in convoys)
            + sum(x["expected_incidents"] for x in north),
            "expected_incidents_interval": None
            if sp.incidents_interval is None
            else list(sp.incidents_interval),
            "every_contingent_for_itself_incidents_interval": None
            if sp.alone_interval is None
            else list(sp.alone_interval),
            "every_contingent_for_itself_incidents": sum(
                x["expected_incidents"] for x in alone.values()
            ),
            # a lot left at a camp with a convoy is in that convoy's value left
            "value_left_usd": sum(
                x.value_usd
                for x in sp.left
                if x.camp not in {c.camp for c, _ in sp.convoys}
            )
            + sum(x["value_left_usd"] for x in convoys)
            + sum(by_id[i].value_usd for i in sp.vehicles_left),
            "every_contingent_for_itself_value_left_usd": sum(
                x["value_left_usd"] for x in alone.values()
            ),
        },
        "notes": list(sp.notes),
    }


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_sector(
    sp: SectorPlan,
    out_dir: str | Path,
    *,
    maps: bool = True,
    crs: str = "EPSG:4326",
    overwrite: bool = False,
    template: str | Path | None = None,
) -> dict[str, Any]:
    """
    Write a sector's folder (module docstring); returns sector.json's content.

    ``template`` is a Jinja2 file rendered instead of the packaged sector report
    template (:func:`convoy.report.sector.render_sector_html`).

    Raises
    ------
    OutputExistsError
        ``sector.json`` exists in ``out_dir`` and ``overwrite`` is false.
    ScenarioError
        ``template`` is missing or not a valid Jinja2 template.
    """
    out = Path(out_dir)
    if (out / "sector.json").exists() and not overwrite:
        msg = f"{out / 'sector.json'} exists; --overwrite replaces it"
        raise OutputExistsError(msg)
    out.mkdir(parents=True, exist_ok=True)
    docs = {}
    for conv, plan in sp.convoys:
        folder = out / "convoys" / conv.name
        folder.mkdir(parents=True, exist_ok=True)
        docs[conv.name] = write_plan_files(plan, folder, maps=maps, crs=crs)
    doc = sector_document(sp, docs)
    (out / "sector.json").write_text(canonical_json(doc), encoding="utf-8")
    _csv(
        out / "camps.csv",
        [{**c, "convoys": " ".join(c["convoys"])} for c in doc["camps"]],
    )
    _csv(out / "left_at_camps.csv", doc["left"])
    _csv(
        out / "timeline.csv",
        sorted(
            (
                {
                    "convoy": c["name"],
                    "camp": c["camp"],
                    "direction": direction,
                    "depart": c["depart"],
                    "arrive": c["arrive"],
                    "vehicles": c["vehicles"],
                    "expected_incidents": c["expected_incidents"],
                }
                for key, direction in (("convoys", "south"), ("north_convoys", "north"))
                for c in doc[key]
            ),
            key=lambda r: (r["depart"], r["convoy"]),
        ),
    )
    if maps:
        plot_sector_map(doc, docs, sp.scenario.sites, out / "sector_map.png")
        plot_sector_timeline(doc, out / "sector_timeline.png")
        render_sector_html(doc, out / "sector_report.html", template=template)
    return doc

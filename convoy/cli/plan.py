"""``convoy plan``: the optimised withdrawal plan, its tables and maps."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from convoy._io import canonical_json, staged_outputs
from convoy.cli.options import guarded, out_option, overwrite_option, scenario_argument
from convoy.export.tables import write_tables
from convoy.plan import plan_document, plan_withdrawal
from convoy.scenario import read_scenario

#: Files every plan writes; the maps add MAP_FILES unless --no-maps.
PLAN_FILES: tuple[str, ...] = ("plan.json", "march_table.csv", "loads.csv",
                               "left_behind.csv")
MAP_FILES: tuple[str, ...] = (
    "plan.gpkg", "risk.tif", "risk.qml", "plan.qgz", "report.html", "map.png",
    "time_distance.png", "march_timeline.png", "pareto.png", "left_behind.png",
)


def _usd(x: float) -> str:
    return f"${x / 1e6:,.1f}M"


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%d %b %H:%M")


def summary_console() -> Console:
    """stdout; at least 120 columns wide when it is not a terminal (logs, pipes)."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=120)


def render_summary(doc: dict[str, Any], console: Console) -> None:
    """Print the plan against its baselines, the loads and the march."""
    t = Table(title=f"{doc['scenario']['title']}: plan against baselines "
                    "(expected incidents; times UTC)")
    for col in ("plan", "incidents", "IED", "ambush", "depart", "arrive",
                "days", "km", "vehicles", "carried", "left"):
        t.add_column(col, justify="left" if col in ("plan", "depart", "arrive")
                     else "right", no_wrap=True)
    rows = [("optimised", doc["summary"])] + list(doc["baselines"].items())
    for name, s in rows:
        t.add_row(name, f"{s['expected_incidents']:.2f}",
                  f"{s['expected_ied_incidents']:.2f}",
                  f"{s['expected_ambush_incidents']:.2f}",
                  _when(s["depart"]), _when(s["arrive"]),
                  f"{s['travel_days']:.1f}", f"{s['distance_km']:.0f}",
                  str(s["vehicles_moving"]), _usd(s["value_carried"]),
                  _usd(s["value_left_behind"]))
    console.print(t)
    lo = doc["loadout"]
    by_disp: dict[str, list[float]] = {}
    for row in doc["left_behind"]:
        acc = by_disp.setdefault(f"{row['kind']}s {row['disposition']}", [0, 0.0])
        acc[0] += 1
        acc[1] += row["value_usd"]
    console.print(
        f"Loads: {lo['status'].lower()} ({lo['method']}), gap to bound "
        f"{100 * lo['gap']:.2f} %; destruction {lo['destruction_team_hours']:.1f} "
        f"team-hours, departure delayed {lo['departure_delay_min'] / 60:.1f} h.")
    for k, (n, v) in sorted(by_disp.items()):
        console.print(f"  {k}: {n:.0f} ({_usd(v)})")
    units = doc["march_units"]
    console.print(f"March: {len(units)} march units in "
                  f"{len({u['serial'] for u in units})} serials, "
                  f"{len(doc['plans']['optimised']['halts'])} halts.")
    for note in doc["notes"]:
        console.print(f"[yellow]note:[/] {note}")


@click.command("plan")
@scenario_argument
@out_option(default="plan", help_text="Output folder.")
@overwrite_option
@click.option("--pareto", is_flag=True,
              help="Also sweep the price of an incident and record the Pareto front.")
@click.option("--no-maps", is_flag=True,
              help="Skip plan.gpkg, risk.tif, plan.qgz and report.html.")
@click.option("--crs", default="EPSG:4326", show_default=True,
              help="CRS of the GeoPackage layers and the QGIS project.")
@guarded
def plan(scenario: str, out: Path, overwrite: bool, pareto: bool, no_maps: bool,
         crs: str) -> None:
    """Plan the withdrawal: route, timing, loads, march table, baselines, maps.

    PATH|NAME is a scenario folder, its scenario.toml, or the name of an embedded
    scenario (default kidal-gao). Writes plan.json, march_table.csv, loads.csv,
    left_behind.csv and (unless --no-maps) the maps and report into OUT, all at
    once at the end: a failed run writes nothing.
    """
    console = Console(stderr=True)
    t0 = time.perf_counter()
    sc = read_scenario(scenario)
    names = PLAN_FILES + (() if no_maps else MAP_FILES)
    inputs = [sc.files.scenario, sc.files.roads, sc.files.sites, sc.files.events,
              sc.files.fleet, sc.files.manifest]
    with staged_outputs(out, names, overwrite=overwrite, protect=inputs) as tmp:
        with console.status("planning") as status:
            def progress(msg: str) -> None:
                status.update(f"{msg} ({time.perf_counter() - t0:.0f} s)")

            result = plan_withdrawal(sc, pareto=pareto, progress=progress)
            doc = plan_document(result)
            (tmp / "plan.json").write_text(canonical_json(doc), encoding="utf-8")
            write_tables(doc, tmp)
            if not no_maps:
                from convoy.export.maps import write_maps

                progress("maps and report")
                write_maps(doc, sc, tmp, crs=crs, field=result.field)
    render_summary(doc, summary_console())
    click.echo(f"wrote {out}/ ({', '.join(names)}) in "
               f"{time.perf_counter() - t0:.1f} s")

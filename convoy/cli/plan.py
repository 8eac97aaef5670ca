"""``convoy plan``: the optimised withdrawal plan, its tables and maps."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from convoy.cli.options import guarded, out_option, overwrite_option, scenario_argument
from convoy.document import canonical_json
from convoy.io.scenario import read_scenario
from convoy.outputs.tables import write_tables
from convoy.outputs.write import staged_outputs
from convoy.plan import plan_document, plan_withdrawal
from convoy.simulate import MAX_RUNS, SimulationResult, simulate_plan

#: Files every plan writes; the maps add MAP_FILES unless --no-maps.
PLAN_FILES: tuple[str, ...] = (
    "plan.json",
    "march_table.csv",
    "loads.csv",
    "left_behind.csv",
)
MAP_FILES: tuple[str, ...] = (
    "plan.gpkg",
    "risk.tif",
    "risk.qml",
    "plan.qgz",
    "report.html",
    "map.png",
    "time_distance.png",
    "march_timeline.png",
    "pareto.png",
    "left_behind.png",
    "simulation.png",
)

#: Largest number of bars of a count histogram in plan.json's ``simulation``: counts
#: 0 .. COUNT_BINS - 2 each get a bar, the last bar holds every run at or above
#: COUNT_BINS - 1 (a plan with that many incidents is off the chart anyway).
COUNT_BINS = 40

#: Largest number of bars of the delay histogram; the bar width is the smallest of
#: DELAY_BIN_H that keeps the bars under this number.
DELAY_BINS = 48

#: Bar widths of the delay histogram, hours.
DELAY_BIN_H: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0)


def _usd(x: float) -> str:
    return f"${x / 1e6:,.1f}M"


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%d %b %H:%M")


def count_histogram(x: NDArray[np.int64], max_bins: int = COUNT_BINS) -> dict[str, Any]:
    """
    Runs per count of a per-run count (incidents, vehicles lost), for the report.

    Parameters
    ----------
    x
        One count per run, int64 (n,), >= 0.
    max_bins
        Largest number of bars (>= 2).

    Returns
    -------
    dict
        ``counts[k]``: runs with exactly ``k``, for ``k`` from 0 to the largest count
        seen; when that would take more than ``max_bins`` bars, the last bar holds
        every run at or above ``max_bins - 1`` and ``open_top`` is true.

    Examples
    --------
    >>> count_histogram(np.array([0, 2, 2, 5]), max_bins=4)
    {'counts': [1, 0, 2, 1], 'open_top': True}
    """
    top = int(x.max()) if x.size else 0
    open_top = top > max_bins - 1
    capped = np.minimum(x, max_bins - 1) if open_top else x
    counts = np.bincount(capped, minlength=min(top, max_bins - 1) + 1)
    return {"counts": [int(c) for c in counts], "open_top": bool(open_top)}


def delay_histogram(
    delay_h: NDArray[np.float64], max_bins: int = DELAY_BINS
) -> dict[str, Any]:
    """
    Runs per delay interval, hours: ``counts[i]`` runs with delay in
    ``[i * bin_h, (i + 1) * bin_h)``, from 0 to the largest delay seen.

    Examples
    --------
    >>> delay_histogram(np.array([0.0, 0.1, 0.6, 1.2]))
    {'bin_h': 0.25, 'counts': [2, 0, 1, 0, 1]}
    """
    top = float(delay_h.max()) if delay_h.size else 0.0
    bin_h = next((w for w in DELAY_BIN_H if top / w < max_bins), DELAY_BIN_H[-1])
    idx = np.minimum(np.floor(delay_h / bin_h).astype(np.int64), int(top // bin_h))
    return {"bin_h": bin_h, "counts": [int(c) for c in np.bincount(idx)]}


def simulation_summary(result: SimulationResult) -> dict[str, Any]:
    """
    The ``simulation`` object of plan.json: :meth:`SimulationResult.to_document`
    plus the histograms the report draws (see ``docs/plan-json.md``).
    """
    doc = result.to_document()
    doc["histograms"] = {
        "incidents": count_histogram(result.incidents),
        "vehicles_lost": count_histogram(result.vehicles_lost),
        "delay_h": delay_histogram(result.delay_h),
    }
    return doc


def simulation_line(sim: dict[str, Any]) -> str:
    """One line of the Monte Carlo outcome, for the summary."""
    inc, lost = sim["incidents"], sim["vehicles_lost"]
    return (
        f"Monte Carlo ({sim['num_runs']:,} runs): incidents p90 "
        f"{inc['p90']:.0f}, P(>=1) {inc['p_ge1']:.2f}, vehicles lost mean "
        f"{lost['mean']:.1f}, arrival p90 {_when(sim['arrival']['p90'])}, "
        f"P(miss deadline) {sim['p_miss_deadline']:.3f}"
    )


def summary_console() -> Console:
    """stdout; at least 120 columns wide when it is not a terminal (logs, pipes)."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=120)


def render_summary(doc: dict[str, Any], console: Console) -> None:
    """Print the plan against its baselines, the loads and the march."""
    t = Table(
        title=f"{doc['scenario']['title']}: plan against baselines "
        "(expected incidents; times UTC)"
    )
    for col in (
        "plan",
        "incidents",
        "IED",
        "ambush",
        "depart",
        "arrive",
        "days",
        "km",
        "vehicles",
        "carried",
        "left",
    ):
        t.add_column(
            col,
            justify="left" if col in ("plan", "depart", "arrive") else "right",
            no_wrap=True,
        )
    rows = [("optimised", doc["summary"])] + list(doc["baselines"].items())
    for name, s in rows:
        t.add_row(
            name,
            f"{s['expected_incidents']:.2f}",
            f"{s['expected_ied_incidents']:.2f}",
            f"{s['expected_ambush_incidents']:.2f}",
            _when(s["depart"]),
            _when(s["arrive"]),
            f"{s['travel_days']:.1f}",
            f"{s['distance_km']:.0f}",
            str(s["vehicles_moving"]),
            _usd(s["value_carried"]),
            _usd(s["value_left_behind"]),
        )
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
        f"team-hours, departure delayed {lo['departure_delay_min'] / 60:.1f} h."
    )
    for k, (n, v) in sorted(by_disp.items()):
        console.print(f"  {k}: {n:.0f} ({_usd(v)})")
    units = doc["march_units"]
    console.print(
        f"March: {len(units)} march units in "
        f"{len({u['serial'] for u in units})} serials, "
        f"{len(doc['plans']['optimised']['halts'])} halts."
    )
    if "simulation" in doc:
        console.print(simulation_line(doc["simulation"]), soft_wrap=True)
    for note in doc["notes"]:
        console.print(f"[yellow]note:[/] {note}")


@click.command("plan")
@scenario_argument
@out_option(default="plan", help_text="Output folder.")
@overwrite_option
@click.option(
    "--pareto",
    is_flag=True,
    help="Also sweep the price of an incident and record the Pareto front.",
)
@click.option(
    "--no-maps",
    is_flag=True,
    help="Skip plan.gpkg, risk.tif, plan.qgz and report.html.",
)
@click.option(
    "--crs",
    default="EPSG:4326",
    show_default=True,
    help="CRS of the GeoPackage layers and the QGIS project.",
)
@click.option(
    "--runs",
    "num_runs",
    type=click.IntRange(0, MAX_RUNS),
    default=10_000,
    show_default=True,
    help="Monte Carlo runs of the optimised plan recorded in plan.json and "
    "the report (0: none).",
)
@guarded
def plan(
    scenario: str,
    out: Path,
    overwrite: bool,
    pareto: bool,
    no_maps: bool,
    crs: str,
    num_runs: int,
) -> None:
    """Plan the withdrawal: route, timing, loads, march table, baselines, maps.

    PATH|NAME is a scenario folder, its scenario.toml, or the name of an embedded
    scenario (default kidal-gao). Writes plan.json, march_table.csv, loads.csv,
    left_behind.csv and (unless --no-maps) the maps and report into OUT, all at
    once at the end: a failed run writes nothing. Unless --runs 0, plan.json and the
    report carry a Monte Carlo of the optimised plan (seeded by the scenario seed).
    """
    console = Console(stderr=True)
    t0 = time.perf_counter()
    sc = read_scenario(scenario)
    maps = (
        ()
        if no_maps
        else tuple(n for n in MAP_FILES if num_runs or n != "simulation.png")
    )
    names = PLAN_FILES + maps
    inputs = [
        sc.files.scenario,
        sc.files.roads,
        sc.files.sites,
        sc.files.events,
        sc.files.fleet,
        sc.files.manifest,
    ]
    with staged_outputs(out, names, overwrite=overwrite, protect=inputs) as tmp:
        with console.status("planning") as status:

            def progress(msg: str) -> None:
                status.update(f"{msg} ({time.perf_counter() - t0:.0f} s)")

            result = plan_withdrawal(sc, pareto=pareto, progress=progress)
            doc = plan_document(result)
            if num_runs:
                progress(f"Monte Carlo, {num_runs:,} runs")
                sim = simulate_plan(doc, sc, num_runs=num_runs)
                doc["simulation"] = simulation_summary(sim)
            (tmp / "plan.json").write_text(canonical_json(doc), encoding="utf-8")
            write_tables(doc, tmp)
            if not no_maps:
                from convoy.outputs.maps import write_maps

                progress("maps and report")
                write_maps(doc, sc, tmp, crs=crs, field=result.risk_field)
    render_summary(doc, summary_console())
    click.echo(f"wrote {out}/ ({', '.join(names)}) in {time.perf_counter() - t0:.1f} s")

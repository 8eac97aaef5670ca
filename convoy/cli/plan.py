"""``convoy plan``: the optimised withdrawal plan, its tables and maps."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from convoy.cli.options import guarded, out_option, overwrite_option, scenario_argument
from convoy.document import PlanDocument, SimulationSummary
from convoy.io.scenario import read_scenario
from convoy.outputs.folder import output_names, plan_into
from convoy.simulate import MAX_RUNS

#: Exit code of ``convoy plan`` when the plan is feasible but its loads are not
#: proven within ``[solver] gap_target`` (outputs are written; ``--accept-gap``
#: makes it 0).
EXIT_GAP = 3


def _usd(x: float) -> str:
    return f"${x / 1e6:,.1f}M"


def _when(t: datetime) -> str:
    return t.strftime("%d %b %H:%M")


def simulation_line(sim: SimulationSummary) -> str:
    """One line of the Monte Carlo outcome, for the summary."""
    inc, lost = sim.incidents, sim.vehicles_lost
    return (
        f"Monte Carlo ({sim.num_runs:,} runs): incidents p90 "
        f"{inc.p90:.0f}, P(>=1) {inc.p_ge1:.2f}, vehicles lost mean "
        f"{lost.mean:.1f}, arrival p90 {_when(sim.arrival['p90'])}, "
        f"P(miss deadline) {sim.p_miss_deadline:.3f}"
    )


def summary_console() -> Console:
    """stdout; at least 120 columns wide when it is not a terminal (logs, pipes)."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=120)


def render_summary(doc: PlanDocument, console: Console) -> None:
    """Print the plan against its baselines, the loads and the march."""
    t = Table(
        title=f"{doc.scenario.title}: plan against baselines "
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
    rows = [("optimised", doc.summary), *doc.baselines.items()]
    for name, s in rows:
        t.add_row(
            name,
            f"{s.expected_incidents:.2f}",
            f"{s.expected_ied_incidents:.2f}",
            f"{s.expected_ambush_incidents:.2f}",
            _when(s.depart),
            _when(s.arrive),
            f"{s.travel_days:.1f}",
            f"{s.distance_km:.0f}",
            str(s.vehicles_moving),
            _usd(s.value_carried),
            _usd(s.value_left_behind),
        )
    console.print(t)
    pct = f"{100 * (doc.calibration.interval or 0.9):g} %"
    bands = [
        f"{name} {s.expected_incidents_low:.2f}-{s.expected_incidents_high:.2f}"
        for name, s in rows
        if None not in (s.expected_incidents_low, s.expected_incidents_high)
        and s.expected_incidents_high is not None
    ]
    if bands:
        console.print(
            f"Expected incidents, {pct} interval from the calibration: "
            + ", ".join(bands)
            + "."
        )
    console.print(
        f"Calibration ({pct} intervals): " + " ".join(doc.calibration.sentences())
    )
    running = [
        f"{name} {s.running_cost_incidents:.2f}"
        for name, s in rows
        if s.running_cost_incidents is not None
    ]
    if running:
        console.print(
            "Running cost (breakdowns, fuel, crew hours; in expected incidents): "
            + ", ".join(running)
            + "."
        )
    background = [
        f"{name} {100 * share:.0f} %"
        for name, s in rows
        if (share := s.background_share) is not None
    ]
    if background and doc.risk_model is not None and doc.risk_model.background:
        console.print(
            "Background rate (roads with no reported event; share of expected "
            "incidents): " + ", ".join(background) + "."
        )
    lo = doc.loadout
    by_disp: dict[str, list[float]] = {}
    for row in doc.left_behind:
        acc = by_disp.setdefault(f"{row.kind}s {row.disposition}", [0, 0.0])
        acc[0] += 1
        acc[1] += row.value_usd
    team_hours = lo.destruction_team_hours or 0.0
    gap = "no proven bound" if lo.gap is None else f"gap to bound {100 * lo.gap:.2f} %"
    console.print(
        f"Loads: {lo.status.lower().replace('_', ' ')} ({lo.method}), {gap}; "
        f"destruction {team_hours:.1f} "
        f"team-hours, departure delayed {lo.departure_delay_min / 60:.1f} h."
    )
    warning = doc.loadout.warning()
    if warning:
        console.print(f"[bold red]warning:[/] {escape(warning)}", soft_wrap=True)
    for k, (n, v) in sorted(by_disp.items()):
        console.print(f"  {k}: {n:.0f} ({_usd(v)})")
    units = doc.march_units
    console.print(
        f"March: {len(units)} march units in "
        f"{len({u.serial for u in units})} serials, "
        f"{len(doc.trip().halts)} halts."
    )
    if doc.simulation is not None:
        console.print(simulation_line(doc.simulation), soft_wrap=True)
    for note in doc.notes:
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
@click.option(
    "--accept-gap",
    is_flag=True,
    help="Exit 0 even when the loads are not proven within [solver] gap_target "
    "(default: exit 3, outputs written).",
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
    accept_gap: bool,
) -> None:
    """Plan the withdrawal: route, timing, loads, march table, baselines, maps.

    PATH|NAME is a scenario folder, its scenario.toml, or the name of an embedded
    scenario (default kidal-gao). Writes plan.json, march_table.csv, loads.csv,
    left_behind.csv and (unless --no-maps) the maps and report into OUT, all at
    once at the end: a failed run writes nothing. Unless --runs 0, plan.json and the
    report carry a Monte Carlo of the optimised plan (seeded by the scenario seed).
    Exit code 3 (outputs written) when the loads solver stopped at its time limit
    without proving a gap within [solver] gap_target, unless --accept-gap.
    """
    console = Console(stderr=True)
    t0 = time.perf_counter()
    sc = read_scenario(scenario)
    names = output_names(maps=not no_maps, simulation=num_runs > 0)
    with console.status("planning") as status:

        def progress(msg: str) -> None:
            status.update(f"{msg} ({time.perf_counter() - t0:.0f} s)")

        doc = plan_into(
            sc,
            out,
            pareto=pareto,
            runs=num_runs,
            maps=not no_maps,
            crs=crs,
            overwrite=overwrite,
            progress=progress,
        )
    render_summary(doc, summary_console())
    click.echo(f"wrote {out}/ ({', '.join(names)}) in {time.perf_counter() - t0:.1f} s")
    warning = doc.loadout.warning()
    if warning and not accept_gap:
        click.echo(
            f"warning: {warning} Exit code {EXIT_GAP}; --accept-gap accepts it.",
            err=True,
        )
        sys.exit(EXIT_GAP)

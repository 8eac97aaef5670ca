"""``convoy plan``: the optimised withdrawal plan, its tables and maps."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    out_option,
    overwrite_option,
    scenario_argument,
    show_progress,
)
from convoy.cli.progress import ProgressDisplay
from convoy.document import PlanDocument, SimulationSummary
from convoy.document.records import TripSummary
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


def _cell(text: str) -> Text:
    """A table cell that wraps, never ends in an ellipsis."""
    return Text(text, overflow="fold")


#: Rows of the plan summary: label, and the text of one plan's summary.
SUMMARY_ROWS: tuple[tuple[str, Callable[[TripSummary], str]], ...] = (
    ("incidents", lambda s: f"{s.expected_incidents:.2f}"),
    ("  IED", lambda s: f"{s.expected_ied_incidents:.2f}"),
    ("  ambush", lambda s: f"{s.expected_ambush_incidents:.2f}"),
    ("depart", lambda s: _when(s.depart)),
    ("arrive", lambda s: _when(s.arrive)),
    ("days", lambda s: f"{s.travel_days:.1f}"),
    ("km", lambda s: f"{s.distance_km:.0f}"),
    ("vehicles", lambda s: str(s.vehicles_moving)),
    ("carried", lambda s: _usd(s.value_carried)),
    ("left", lambda s: _usd(s.value_left_behind)),
)


def summary_table(doc: PlanDocument) -> Table:
    """
    The plan against its baselines: one column a plan, one row a measure.

    A plan a column keeps the table within 80 columns for the four plans (names
    wrap at their underscores, shown as spaces); no cell is ever cut short.
    """
    rows = [("optimised", doc.summary), *doc.baselines.items()]
    t = Table(
        title=f"{doc.scenario.title}: plan against baselines",
        caption="incidents: expected (IED + ambush); times UTC"
        + (
            "; running cost: breakdowns, fuel and crew hours in expected incidents"
            if any(s.running_cost_incidents is not None for _n, s in rows)
            else ""
        ),
        box=box.SIMPLE_HEAD,
    )
    t.add_column("", justify="left", overflow="fold")
    for name, _s in rows:
        t.add_column(name.replace("_", " "), justify="right", overflow="fold")
    for label, text in SUMMARY_ROWS:
        t.add_row(label, *(_cell(text(s)) for _n, s in rows))
    if any(s.expected_incidents_high is not None for _n, s in rows):
        pct = f"{100 * (doc.calibration.interval or 0.9):g} %"
        t.add_row(
            f"  {pct} range",
            *(
                _cell(
                    "-"
                    if s.expected_incidents_low is None
                    or s.expected_incidents_high is None
                    else f"{s.expected_incidents_low:.2f}-"
                    f"{s.expected_incidents_high:.2f}"
                )
                for _n, s in rows
            ),
        )
    if doc.risk_model is not None and doc.risk_model.background:
        t.add_row(
            "background",
            *(
                _cell(
                    "-" if s.background_share is None else f"{s.background_share:.0%}"
                )
                for _n, s in rows
            ),
        )
    if any(s.running_cost_incidents is not None for _n, s in rows):
        t.add_row(
            "running cost",
            *(
                _cell(
                    "-"
                    if s.running_cost_incidents is None
                    else f"{s.running_cost_incidents:.2f}"
                )
                for _n, s in rows
            ),
        )
    return t


def adversary_table(doc: PlanDocument) -> Table:
    """Static, robust and mixed figures against an adversary, one row a plan."""
    adv = doc.adversary
    assert adv is not None
    t = Table(
        title=f"Adversary ({adv.budget:g} devices): expected incidents",
        caption="if leaked: the adversary knows the plan (mixed: knows the mix, "
        "not the draw); rise: how much a leak adds; CVaR 90 %: mean of the "
        "worst tenth of simulated runs",
        box=box.SIMPLE_HEAD,
    )
    for col in ("plan", "static", "if leaked", "rise", "CVaR 90 %"):
        t.add_column(col, justify="left" if col == "plan" else "right")
    for r in adv.figures:
        t.add_row(
            r.plan.replace("_", " "),
            f"{r.expected_incidents:.2f}",
            f"{r.worst_case_incidents:.2f}",
            f"{r.leaked_rise:.2f}",
            "-" if r.cvar90_incidents is None else f"{r.cvar90_incidents:.1f}",
        )
    return t


def render_summary(doc: PlanDocument, console: Console) -> None:
    """Print the plan against its baselines, the loads and the march."""
    console.print(summary_table(doc))
    pct = f"{100 * (doc.calibration.interval or 0.9):g} %"
    console.print(
        f"Calibration ({pct} intervals): " + " ".join(doc.calibration.sentences())
    )
    if doc.risk_model is not None and doc.risk_model.background:
        console.print(
            "background: the share of expected incidents from the background rate "
            "(roads with no reported event)."
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
    if doc.adversary is not None:
        console.print(adversary_table(doc))
    for note in doc.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def plan_json(
    doc: PlanDocument, out: Path, files: Sequence[str], exit_code: int
) -> dict[str, Any]:
    """
    The ``convoy plan --json`` object (README, "Command line").

    ``out`` and ``files`` (names in ``out``), ``exit_code`` (0, or 3 for loads not
    proven within the gap target), ``scenario`` (name, title, seed), ``plans``
    (per plan: expected incidents, IED and ambush, depart and arrive in ISO 8601
    UTC, travel days, km, vehicles moving, value carried and left in USD,
    feasible), ``loads`` (solver status, method, gap, gap target, proven, departure
    delay, destruction team-hours), ``simulation`` (null with ``--runs 0``),
    ``pareto`` (the sweep's points; empty without ``--pareto``) and ``notes``.
    """
    lo = doc.loadout
    sim = doc.simulation
    return {
        "command": "plan",
        "exit_code": exit_code,
        "out": str(out),
        "files": list(files),
        "scenario": {
            "name": doc.scenario.name,
            "title": doc.scenario.title,
            "seed": doc.scenario.seed,
        },
        "plans": {
            name: {
                "expected_incidents": s.expected_incidents,
                "expected_ied_incidents": s.expected_ied_incidents,
                "expected_ambush_incidents": s.expected_ambush_incidents,
                "depart": s.depart,
                "arrive": s.arrive,
                "travel_days": s.travel_days,
                "distance_km": s.distance_km,
                "vehicles_moving": s.vehicles_moving,
                "value_carried_usd": s.value_carried,
                "value_left_behind_usd": s.value_left_behind,
                "feasible": s.feasible,
            }
            for name in doc.plan_keys()
            for s in (doc.plans[name].summary,)
        },
        "loads": {
            "status": lo.status,
            "method": lo.method,
            "gap": lo.gap,
            "gap_target": lo.gap_target,
            "proven": lo.proven,
            "departure_delay_min": lo.departure_delay_min,
            "destruction_team_hours": lo.destruction_team_hours,
        },
        "simulation": None
        if sim is None
        else {
            "num_runs": sim.num_runs,
            "seed": sim.seed,
            "incidents_mean": sim.incidents.mean,
            "incidents_p90": sim.incidents.p90,
            "p_incident": sim.incidents.p_ge1,
            "vehicles_lost_mean": sim.vehicles_lost.mean,
            "arrival_p90": sim.arrival["p90"],
            "p_miss_deadline": sim.p_miss_deadline,
        },
        "pareto": [
            {
                "incident_usd": p.incident_usd,
                "expected_incidents": p.expected_incidents,
                "value_saved_usd": p.value_saved_usd,
                "vehicles_moving": p.vehicles_moving,
                "dominated": p.dominated,
                "proven": p.proven,
            }
            for p in doc.pareto
        ],
        "notes": list(doc.notes),
        **({} if doc.adversary is None else {"adversary": adversary_json(doc)}),
    }


def adversary_json(doc: PlanDocument) -> dict[str, Any]:
    """The ``adversary`` member of ``convoy plan --json`` (adversary modes only)."""
    adv = doc.adversary
    assert adv is not None
    return {
        "mode": adv.mode,
        "objective": adv.objective,
        "budget": adv.budget,
        "game": dict(adv.game),
        "figures": [r.to_dict() for r in adv.figures],
        "mix": [
            {
                "name": m.name,
                "probability": m.probability,
                "depart": m.plan.summary.depart,
                "expected_incidents": m.plan.summary.expected_incidents,
            }
            for m in adv.mix
        ],
    }


@click.command(
    "plan",
    short_help="Plan the withdrawal: route, timing, loads, march, maps.",
    epilog="""\b
Examples:
  convoy plan kidal-gao -o plan --overwrite
  convoy plan my-scenario/ -o plan --pareto --runs 100000
  convoy plan -q --json --no-maps > summary.json
  convoy plan kidal-gao --adversary mixed --attacker-budget 4 -o plan
  convoy plan kidal-gao --adversary robust --objective cvar90""",
)
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
@click.option(
    "--adversary",
    type=click.Choice(["static", "robust", "mixed"]),
    default="static",
    show_default=True,
    help="static: the threat map as it is. robust: the best single plan if the "
    "adversary learns it. mixed: also a mix of plans to draw from on the day "
    "(`convoy draw`).",
)
@click.option(
    "--attacker-budget",
    type=click.FloatRange(0),
    default=None,
    help="Devices or ambush positions the adversary can place on the convoy's "
    "segments and days (default: a tenth of the devices the threat field holds "
    "on the scenario's roads).",
)
@click.option(
    "--objective",
    type=click.Choice(["expected", "cvar90"]),
    default="expected",
    show_default=True,
    help="expected incidents, or cvar90: the mean of the worst tenth of the "
    "simulated runs (chosen among generated candidate plans).",
)
@json_option
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
    adversary: str,
    attacker_budget: float | None,
    objective: str,
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
    t0 = time.perf_counter()
    sc = read_scenario(scenario)
    if len(sc.camps) > 1:
        _plan_sector(sc, out, overwrite, not no_maps, crs, num_runs, t0)
        return
    names = output_names(maps=not no_maps, simulation=num_runs > 0)
    with ProgressDisplay(enabled=show_progress()) as shown:
        shown.message("planning")
        doc = plan_into(
            sc,
            out,
            pareto=pareto,
            runs=num_runs,
            maps=not no_maps,
            crs=crs,
            overwrite=overwrite,
            progress=shown.message,
            steps=shown.steps,
            adversary=adversary,
            attacker_budget=attacker_budget,
            objective=objective,
        )
    warning = doc.loadout.warning()
    code = EXIT_GAP if warning and not accept_gap else 0
    if json_output():
        echo_json(plan_json(doc, out, names, code))
    elif human_output():
        render_summary(doc, summary_console())
        summary_console().print(
            f"wrote {out}/ ({', '.join(names)}) in {time.perf_counter() - t0:.1f} s",
            markup=False,
            highlight=False,
        )
    if code:
        click.echo(
            f"warning: {warning} Exit code {EXIT_GAP}; --accept-gap accepts it.",
            err=True,
        )
        sys.exit(code)


def _plan_sector(
    sc: Any, out: Path, overwrite: bool, maps: bool, crs: str, runs: int, t0: float
) -> None:
    """``convoy plan`` of a scenario with several ``[[camps]]``: a sector."""
    from convoy.outputs.sector import write_sector
    from convoy.plan.sector import plan_sector

    with ProgressDisplay(enabled=show_progress()) as shown:
        sp = plan_sector(sc, runs=runs, progress=shown.message)
        shown.message("writing every convoy's plan")
        doc = write_sector(sp, out, maps=maps, crs=crs, overwrite=overwrite)
    if json_output():
        echo_json({"command": "plan", "exit_code": 0, "out": str(out), **doc})
        return
    if not human_output():
        return
    con = summary_console()
    r = doc["routing"]
    con.print(
        f"{doc['scenario']['title']}: routing {r['status']}, objective "
        f"{_usd(r['objective'])}"
        + (
            ""
            if r["gap_to_bound"] is None
            else f" (at most {100 * r['gap_to_bound']:.1f} % above its bound)"
        )
        + f", {r['cargo_groups']} cargo groups, {r['groups_left']} left",
        soft_wrap=True,
    )
    t = Table(title="convoys", box=box.SIMPLE_HEAD)
    for col in ("convoy", "depart", "arrive", "vehicles", "incidents"):
        t.add_column(col, justify="right")
    for c in doc["convoys"] + doc["north_convoys"]:
        t.add_row(
            c["name"],
            c["depart"][5:16],
            c["arrive"][5:16],
            str(c["vehicles"]),
            f"{c['expected_incidents']:.2f}",
        )
    con.print(t)
    if len(doc["options"]) > 1:
        for o in doc["options"]:
            con.print(
                f"routing {o['label']}{' (chosen)' if o['chosen'] else ''}: "
                f"{o['convoys']} convoys, {o['north_convoys']} north, "
                f"{o['expected_incidents']:.2f} expected incidents, "
                f"{_usd(o['value_left_usd'])} left",
                soft_wrap=True,
            )
    tot = doc["totals"]
    band = tot["expected_incidents_interval"]
    con.print(
        f"sector: {tot['expected_incidents']:.2f} expected incidents"
        + ("" if band is None else f" (90 % {band[0]:.1f}-{band[1]:.1f})")
        + ", "
        f"{_usd(tot['value_left_usd'])} left; every contingent for itself: "
        f"{tot['every_contingent_for_itself_incidents']:.2f}, "
        f"{_usd(tot['every_contingent_for_itself_value_left_usd'])} left",
        soft_wrap=True,
    )
    for note in doc["notes"]:
        con.print(f"[yellow]note:[/] {escape(note)}")
    con.print(
        f"wrote {out}/ in {time.perf_counter() - t0:.1f} s",
        markup=False,
        highlight=False,
    )

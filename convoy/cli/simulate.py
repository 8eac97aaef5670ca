"""``convoy simulate``: Monte Carlo of a written plan, into PLANDIR/simulation.json."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import click
from rich import box
from rich.table import Table
from rich.text import Text

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    overwrite_option,
    show_progress,
)
from convoy.cli.progress import ProgressDisplay
from convoy.document import PLAN_FILE, PlanDocument, canonical_json
from convoy.errors import DataQualityWarning, Problem, ScenarioError
from convoy.io.files import file_sha256
from convoy.io.scenario import embedded_scenarios, read_scenario
from convoy.outputs.write import staged_outputs
from convoy.plan import simulate_plan
from convoy.scenario import Scenario
from convoy.simulate import MAX_RUNS, SimulationResult

#: The file ``convoy simulate`` writes into the plan folder.
SIMULATION_FILE = "simulation.json"


def plan_scenario(doc: PlanDocument, plan_dir: Path) -> Scenario:
    """
    The scenario a plan names in ``scenario.path``, read again.

    A relative path is tried as given (relative to the working directory the plan
    was made in), then relative to the plan folder; anything else is handed to
    :func:`read_scenario`, which also knows the embedded scenarios by name.
    """
    where = doc.scenario.path
    if not where:
        raise ScenarioError(
            Problem(PLAN_FILE, "scenario", "path", "a scenario folder", repr(where))
        )
    path = Path(where)
    if not path.is_absolute() and not path.exists() and (plan_dir / path).exists():
        path = plan_dir / path
    name = doc.scenario.name
    if path.exists():
        scenario = read_scenario(path)
    elif name in embedded_scenarios():
        scenario = read_scenario(name)
    else:
        raise ScenarioError(
            Problem(
                PLAN_FILE,
                "scenario",
                "path",
                "an existing scenario folder (a relative path is read from the "
                "working directory, then from the plan folder)",
                repr(where),
            )
        )
    _warn_if_fleet_changed(doc, scenario)
    return scenario


def _warn_if_fleet_changed(doc: PlanDocument, scenario: Scenario) -> None:
    """DataQualityWarning when the fleet file is not the one the plan was made from."""
    fleet = scenario.files.fleet
    recorded = doc.scenario.inputs.get(fleet.name)
    if recorded is not None and recorded != file_sha256(fleet):
        warnings.warn(
            f"{fleet}: changed since the plan was made (sha256 differs from "
            "plan.json); reliability and recovery vehicles are read from the "
            "current file",
            DataQualityWarning,
            stacklevel=2,
        )


def run_simulate(
    plan_dir: str | Path,
    *,
    num_runs: int = 10_000,
    seed: int | None = None,
    plan: str = "optimised",
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """
    Simulate the plan in ``plan_dir`` and write ``plan_dir/simulation.json``.

    ``progress(done, num_runs)`` is called as the chunks of runs are done.

    Raises
    ------
    ConvoyError
        Missing or invalid plan.json, bad ``num_runs`` or ``plan``, or
        simulation.json exists and ``overwrite`` is false.
    """
    plan_dir = Path(plan_dir)
    doc = PlanDocument.read_folder(plan_dir)
    if not (1 <= num_runs <= MAX_RUNS):
        msg = f"-n/--runs: expected an integer in [1, {MAX_RUNS}], found {num_runs}"
        raise ScenarioError(msg)
    if plan not in doc.plans:
        msg = (
            f"--plan: expected one of {sorted(doc.plans)} (the plans in plan.json), "
            f"found {plan!r}"
        )
        raise ScenarioError(msg)
    with staged_outputs(plan_dir, [SIMULATION_FILE], overwrite=overwrite) as tmp:
        scenario = plan_scenario(doc, plan_dir)
        shapes, follows = doc.calibration.rate_shapes()
        result = simulate_plan(
            scenario,
            doc.trip_exposure(plan),
            doc.planned_vehicles(),
            num_runs=num_runs,
            seed=doc.scenario.seed if seed is None else seed,
            progress=progress,
            rate_shape=shapes,
            ambush_follows_ied=follows,
        )
        (tmp / SIMULATION_FILE).write_text(
            canonical_json(result.to_document()), encoding="utf-8"
        )
    return result


def render_result(result: SimulationResult) -> Table:
    """The short table ``convoy simulate`` prints (within 80 columns)."""
    doc = result.to_document()
    t = Table(
        title=f"{result.plan} plan: {result.num_runs:,} simulated runs "
        f"(seed {result.seed})",
        box=box.SIMPLE_HEAD,
    )
    for col in (
        "outcome",
        "planned",
        "mean",
        "p50",
        "p90",
        "p99",
        "P(0)",
        "P(>=1)",
        "P(>=3)",
    ):
        t.add_column(
            col, justify="left" if col == "outcome" else "right", overflow="fold"
        )
    planned = {
        "incidents": result.expected_ied + result.expected_ambush,
        "ied": result.expected_ied,
        "ambush": result.expected_ambush,
    }
    for key in ("incidents", "ied", "ambush", "breakdowns", "vehicles_lost"):
        s = doc[key]
        t.add_row(
            Text(key.replace("_", " "), overflow="fold"),
            f"{planned[key]:.2f}" if key in planned else "",
            f"{s['mean']:.2f}",
            f"{s['p50']:.0f}",
            f"{s['p90']:.0f}",
            f"{s['p99']:.0f}",
            f"{s['p0']:.3f}",
            f"{s['p_ge1']:.3f}",
            f"{s['p_ge3']:.3f}",
        )
    d = doc["delay_h"]
    t.add_row(
        "delay (h)",
        "0",
        f"{d['mean']:.1f}",
        f"{d['p50']:.1f}",
        f"{d['p90']:.1f}",
        f"{d['p99']:.1f}",
        "",
        "",
        "",
    )
    return t


def arrival_line(result: SimulationResult) -> str:
    """Planned and simulated arrival (p50, p90, p99), times UTC."""
    day = "%d %b %H:%M"
    return f"Arrival (UTC): planned {result.planned_arrive.strftime(day)}; " + (
        ", ".join(
            f"p{round(100 * q)} {result.arrival(q).strftime(day)}"
            for q in (0.5, 0.9, 0.99)
        )
    )


@click.command(
    "simulate",
    short_help="Monte Carlo of a written plan: incidents, losses, arrival.",
    epilog="""\b
Examples:
  convoy simulate plan
  convoy simulate plan -n 1000000 --seed 7 --overwrite
  convoy simulate plan --plan historical --json --overwrite""",
)
@click.argument(
    "plan_dir",
    metavar="PLANDIR",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "-n",
    "--runs",
    "num_runs",
    type=int,
    default=10_000,
    show_default=True,
    help="Number of simulated runs.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the random numbers (default: the scenario's seed).",
)
@click.option(
    "--plan",
    "plan_name",
    default="optimised",
    show_default=True,
    help="Which plan of plan.json: optimised, depart_at_once, "
    "daylight_only or historical.",
)
@overwrite_option
@json_option
@guarded
def simulate(
    plan_dir: Path, num_runs: int, seed: int | None, plan_name: str, overwrite: bool
) -> None:
    """Simulate a written plan: incidents, losses, arrival, missed deadline.

    PLANDIR is a folder written by `convoy plan`; the scenario it names is read
    again for vehicle reliability. Writes PLANDIR/simulation.json.
    """
    with ProgressDisplay(enabled=show_progress()) as shown:
        result = run_simulate(
            plan_dir,
            num_runs=num_runs,
            seed=seed,
            plan=plan_name,
            overwrite=overwrite,
            progress=shown.counter("Monte Carlo: runs"),
        )
    path = Path(plan_dir) / SIMULATION_FILE
    if json_output():
        echo_json(
            {
                "command": "simulate",
                "exit_code": 0,
                "file": path,
                "simulation": result.to_document(),
            }
        )
    elif human_output():
        console = summary_console()
        console.print(render_result(result))
        console.print(arrival_line(result), markup=False, highlight=False)
        console.print(
            f"P(miss deadline {result.deadline.strftime('%d %b %H:%M')}): "
            f"{result.p_miss_deadline:.4f}; slack {result.slack_h:.1f} h",
            markup=False,
            highlight=False,
        )
        console.print(f"wrote {path}", markup=False, highlight=False)

"""``convoy simulate``: Monte Carlo of a written plan, into PLANDIR/simulation.json."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from convoy.cli.options import guarded, overwrite_option
from convoy.cli.plan import summary_console
from convoy.document import canonical_json
from convoy.errors import ConvoyError, DataQualityWarning, Problem, ScenarioError
from convoy.io.files import file_sha256
from convoy.io.scenario import embedded_scenarios, read_scenario
from convoy.outputs.write import staged_outputs
from convoy.scenario import Scenario
from convoy.simulate import MAX_RUNS, SimulationResult, simulate_plan

#: The file ``convoy simulate`` writes into the plan folder.
SIMULATION_FILE = "simulation.json"


def load_plan(plan_dir: Path) -> dict[str, Any]:
    """
    Read ``plan_dir/plan.json``.

    Raises
    ------
    ConvoyError
        If the file is missing or is not a JSON object.
    """
    path = Path(plan_dir) / "plan.json"
    if not path.is_file():
        msg = f"{path}: no plan.json here; write one with `convoy plan -o {plan_dir}`"
        raise ConvoyError(msg)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{path}: expected a plan.json document, found unreadable JSON ({exc})"
        raise ConvoyError(msg) from None
    if not isinstance(doc, dict):
        msg = f"{path}: expected a JSON object, found {type(doc).__name__}"
        raise ConvoyError(msg)
    return doc


def plan_scenario(doc: dict[str, Any], plan_dir: Path) -> Scenario:
    """
    The scenario a plan names in ``scenario.path``, read again.

    A relative path is tried as given (relative to the working directory the plan
    was made in), then relative to the plan folder; anything else is handed to
    :func:`read_scenario`, which also knows the embedded scenarios by name.
    """
    sc = doc.get("scenario")
    where = sc.get("path") if isinstance(sc, dict) else None
    if not isinstance(where, str) or not where:
        raise ScenarioError(
            Problem("plan.json", "scenario", "path", "a scenario folder", repr(where))
        )
    path = Path(where)
    if not path.is_absolute() and not path.exists() and (plan_dir / path).exists():
        path = plan_dir / path
    name = sc.get("name") if isinstance(sc, dict) else None
    if path.exists():
        scenario = read_scenario(path)
    elif isinstance(name, str) and name in embedded_scenarios():
        scenario = read_scenario(name)
    else:
        raise ScenarioError(
            Problem(
                "plan.json",
                "scenario",
                "path",
                "an existing scenario folder (a relative path is read from the "
                "working directory, then from the plan folder)",
                repr(where),
            )
        )
    _warn_if_fleet_changed(doc, scenario)
    return scenario


def _warn_if_fleet_changed(doc: dict[str, Any], scenario: Scenario) -> None:
    """DataQualityWarning when the fleet file is not the one the plan was made from."""
    inputs = doc["scenario"].get("inputs")
    fleet = scenario.files.fleet
    recorded = inputs.get(fleet.name) if isinstance(inputs, dict) else None
    if isinstance(recorded, str) and recorded != file_sha256(fleet):
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
) -> SimulationResult:
    """
    Simulate the plan in ``plan_dir`` and write ``plan_dir/simulation.json``.

    Raises
    ------
    ConvoyError
        Missing plan.json, bad ``num_runs`` or ``plan``, or simulation.json exists
        and ``overwrite`` is false.
    """
    plan_dir = Path(plan_dir)
    doc = load_plan(plan_dir)
    if not (1 <= num_runs <= MAX_RUNS):
        msg = f"-n/--runs: expected an integer in [1, {MAX_RUNS}], found {num_runs}"
        raise ScenarioError(msg)
    plans = doc.get("plans")
    if not isinstance(plans, dict) or plan not in plans:
        names = sorted(plans) if isinstance(plans, dict) else []
        msg = (
            f"--plan: expected one of {names} (the plans in plan.json), found {plan!r}"
        )
        raise ScenarioError(msg)
    with staged_outputs(plan_dir, [SIMULATION_FILE], overwrite=overwrite) as tmp:
        scenario = plan_scenario(doc, plan_dir)
        result = simulate_plan(doc, scenario, num_runs=num_runs, seed=seed, plan=plan)
        (tmp / SIMULATION_FILE).write_text(
            canonical_json(result.to_document()), encoding="utf-8"
        )
    return result


def render_result(result: SimulationResult) -> Table:
    """The short table ``convoy simulate`` prints."""
    doc = result.to_document()
    t = Table(
        title=f"{result.plan} plan: {result.num_runs:,} simulated runs "
        f"(seed {result.seed}; times UTC)"
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
        t.add_column(col, justify="left" if col == "outcome" else "right", no_wrap=True)
    planned = {
        "incidents": result.expected_ied + result.expected_ambush,
        "ied": result.expected_ied,
        "ambush": result.expected_ambush,
    }
    for key in ("incidents", "ied", "ambush", "breakdowns", "vehicles_lost"):
        s = doc[key]
        t.add_row(
            key.replace("_", " "),
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
    a = doc["arrival"]
    t.add_row(
        "arrival",
        doc["planned"]["arrive"][5:16].replace("T", " "),
        "",
        *(a[k][5:16].replace("T", " ") for k in ("p50", "p90", "p99")),
        "",
        "",
        "",
    )
    return t


@click.command("simulate")
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
@guarded
def simulate(
    plan_dir: Path, num_runs: int, seed: int | None, plan_name: str, overwrite: bool
) -> None:
    """Simulate a written plan: incidents, losses, arrival, missed deadline.

    PLANDIR is a folder written by `convoy plan`; the scenario it names is read
    again for vehicle reliability. Writes PLANDIR/simulation.json.
    """
    result = run_simulate(
        plan_dir, num_runs=num_runs, seed=seed, plan=plan_name, overwrite=overwrite
    )
    console = summary_console()
    console.print(render_result(result))
    console.print(
        f"P(miss deadline {result.deadline.strftime('%d %b %H:%M')}): "
        f"{result.p_miss_deadline:.4f}; slack {result.slack_h:.1f} h"
    )
    click.echo(f"wrote {Path(plan_dir) / SIMULATION_FILE}")

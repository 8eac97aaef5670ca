"""``convoy validate-model``: leave-one-out over the scenario's reference trips."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    overwrite_option,
    scenario_argument,
)
from convoy.document._json import canonical_json
from convoy.io.scenario import read_scenario
from convoy.outputs.write import staged_outputs
from convoy.plan import validate_reference_trips
from convoy.plan.inputs import ModelValidation


def validation_json(v: ModelValidation, scenario: str) -> dict[str, Any]:
    """The table as a JSON object (null where nothing was predicted)."""
    return {
        "scenario": scenario,
        "interval": v.interval,
        "calibration_trips": list(v.calibration_trips),
        "rows": [
            {
                "trip": r.trip,
                "channel": r.channel,
                "observed": r.observed,
                "predicted": r.predicted,
                "lower": r.lower,
                "upper": r.upper,
                "inside": r.inside,
                "calibrated_on": list(r.calibrated_on),
                "note": r.note,
            }
            for r in v.rows
        ],
        "unobserved": [
            {"trip": name, "predicted_ied": ied, "predicted_ambush": amb}
            for name, ied, amb in v.unobserved
        ],
    }


def render_validation(v: ModelValidation, console: Console) -> None:
    """Print the leave-one-out table and what could not be checked."""
    pct = f"{100 * v.interval:g} %"
    t = Table(title=f"Reference trips: observed against predicted ({pct} interval)")
    for col in ("trip", "channel", "observed", "predicted", "interval", "inside"):
        t.add_column(col, justify="left" if col in ("trip", "channel") else "right")
    for r in v.rows:
        inside = "-" if r.inside is None else "yes" if r.inside else "NO"
        t.add_row(
            r.trip,
            r.channel,
            f"{r.observed:g}",
            "-" if r.predicted is None else f"{r.predicted:.2f}",
            "-" if r.lower is None else f"{r.lower}-{r.upper}",
            inside,
        )
    console.print(t)
    for r in v.rows:
        basis = ", ".join(r.calibrated_on) or "no trip"
        console.print(f"{r.trip} ({r.channel}): calibrated on {basis}. {r.note}")
    for name, ied, amb in v.unobserved:
        shown = (
            "no prediction (no calibration)"
            if math.isnan(ied)
            else f"predicted IED {ied:.2f}, ambush {amb:.2f}"
        )
        console.print(f"{name}: no observed count, cannot be checked; {shown}.")
    if not v.rows:
        console.print("No reference trip has an observed count: nothing to check.")


@click.command(
    "validate-model",
    short_help="Check the risk model against the observed convoys.",
    epilog="""\b
Examples:
  convoy validate-model                      the embedded Kidal-Gao scenario
  convoy validate-model my-scenario/ -o loo.json
  convoy validate-model my-scenario/ --json  the table as JSON on stdout
""",
)
@scenario_argument
@click.option(
    "-o",
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the table to this JSON file (switched in whole).",
)
@overwrite_option
@json_option
@guarded
def validate_model(scenario: str, out_path: Path | None, overwrite: bool) -> None:
    """Check the risk model against the scenario's observed convoys.

    Leave-one-out over the reference trips ([[reference_trips]]): each trip with
    an observed count is predicted from the trips marked for calibration other
    than itself (a holdout trip from all of them), with the Poisson predictive
    interval (negative binomial from the scale's Gamma posterior); the table says
    whether the observed count lies inside. PATH|NAME as for `convoy plan`.
    """
    sc = read_scenario(scenario)
    v = validate_reference_trips(sc)
    table = validation_json(v, sc.name)
    if out_path is not None:
        with staged_outputs(
            out_path.parent, [out_path.name], overwrite=overwrite
        ) as tmp:
            (tmp / out_path.name).write_text(canonical_json(table), encoding="utf-8")
    if json_output():
        echo_json({"command": "validate-model", "exit_code": 0, **table})
    elif human_output():
        render_validation(v, summary_console())
        if out_path is not None:
            click.echo(f"wrote {out_path}")

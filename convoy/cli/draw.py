"""``convoy draw``: pick one plan of a mix at random and write its march table."""

from __future__ import annotations

from pathlib import Path

import click

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    overwrite_option,
)
from convoy.outputs.draw import draw_plan


@click.command(
    "draw",
    short_help="Draw one plan of a mix at random; write its march table.",
    epilog="""\b
Examples:
  convoy draw plan
  convoy draw plan --seed 7 --overwrite
  convoy draw plan --json --overwrite""",
)
@click.argument(
    "plan_dir",
    metavar="PLANDIR",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of a repeatable draw (rehearsal, tests). Default: the operating "
    "system's random source, which nobody can predict or replay.",
)
@overwrite_option
@json_option
@guarded
def draw(plan_dir: Path, seed: int | None, overwrite: bool) -> None:
    """Draw one plan of the mix in PLANDIR and write its march table.

    PLANDIR is a folder written by `convoy plan --adversary mixed`. Each plan of
    the mix is drawn with its probability; writes PLANDIR/drawn_march_table.csv
    and PLANDIR/drawn.json (which plan, how it was drawn) together.
    """
    d = draw_plan(plan_dir, seed=seed, overwrite=overwrite)
    s = d.entry.plan.summary
    if json_output():
        echo_json(
            {
                "command": "draw",
                "exit_code": 0,
                "plan": d.entry.name,
                "probability": d.entry.probability,
                "source": d.source,
                "seed": d.seed,
                "depart": s.depart,
                "expected_incidents": s.expected_incidents,
                "files": [str(p) for p in d.files],
            }
        )
    elif human_output():
        summary_console().print(
            f"drew {d.entry.name} (probability {d.entry.probability:.2f}, "
            f"{d.source} draw): depart {s.depart:%d %b %H:%M} UTC, "
            f"{s.expected_incidents:.2f} expected incidents\n"
            f"wrote {', '.join(str(p) for p in d.files)}",
            markup=False,
            highlight=False,
        )

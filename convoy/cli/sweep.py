"""``convoy sweep``: many plans over a grid of parameters and threat draws, on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich import box
from rich.table import Table

from convoy.cli.console import summary_console
from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    show_progress,
)
from convoy.cli.progress import ProgressDisplay
from convoy.io.scenario import DEFAULT_SCENARIO
from convoy.simulate import MAX_RUNS
from convoy.sweep import (
    LOCAL,
    SYNCHRONOUS,
    SweepResult,
    SweepSpec,
    parse_grid,
    read_sweep_file,
    run_sweep,
)

#: Other spellings of ``--scheduler synchronous``.
SYNCHRONOUS_ALIASES = ("synchronous", "local-sync", "sync")

#: Counted step of the progress display.
PLANS_STEP = "plans"


def build_spec(
    scenario: str | None,
    sweep_file: Path | None,
    grid: tuple[str, ...],
    resamples: int | None,
    scale_draws: int | None,
    seed: int | None,
    runs: int | None,
) -> SweepSpec:
    """The sweep of the command line: the sweep file, then the options over it."""
    kw: dict[str, Any] = read_sweep_file(sweep_file) if sweep_file else {}
    axes = dict(kw.get("grid", ()))
    for option in grid:
        key, values = parse_grid(option)
        axes[key] = tuple(values)
    kw["grid"] = tuple(axes.items())
    for name, value in (
        ("scenario", scenario),
        ("resamples", resamples),
        ("scale_draws", scale_draws),
        ("seed", seed),
        ("runs", runs),
    ):
        if value is not None:
            kw[name] = value
    kw.setdefault("scenario", DEFAULT_SCENARIO)
    return SweepSpec(**kw)


def _median(rows: list[dict[str, Any]], col: str) -> float | None:
    vals = sorted(r[col] for r in rows if r["status"] == "ok" and r[col] is not None)
    if not vals:
        return None
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else 0.5 * (vals[mid - 1] + vals[mid])


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def summary_table(result: SweepResult, spec: SweepSpec) -> Table:
    """Medians at each grid point (within 80 columns; the CSV has the rest)."""
    t = Table(
        title=f"sweep: {result.total} plans, medians over the threat draws",
        box=box.SIMPLE_HEAD,
    )
    t.add_column("grid point", overflow="fold")
    for col in ("plans", "failed", "incidents", "arrive (d)", "left ($M)"):
        t.add_column(col, justify="right", overflow="fold")
    points: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in result.rows:
        points.setdefault(tuple(r[a] for a in spec.axes), []).append(r)

    def fmt(x: float | None, f: str) -> str:
        return "-" if x is None else format(x, f)

    for point, rows in points.items():
        arrive = _median(rows, "arrival_h")
        left = _median(rows, "value_left_usd")
        t.add_row(
            "\n".join(
                f"{a.rpartition('.')[2]}={_text(v)}"
                for a, v in zip(spec.axes, point, strict=True)
            )
            or "(no grid)",
            str(len(rows)),
            str(sum(1 for r in rows if r["status"] != "ok")),
            fmt(_median(rows, "expected_incidents"), ".2f"),
            fmt(None if arrive is None else arrive / 24, ".1f"),
            fmt(None if left is None else left / 1e6, ".1f"),
        )
    return t


@click.command(
    "sweep",
    short_help="Many plans over a grid of parameters and threat draws, on Dask.",
    epilog="""\b
Examples:
  convoy sweep kidal-gao --grid scenario.air_cover=true,false \\
      --grid scenario.deadline=2023-11-06T18:00:00Z,2023-11-08T18:00:00Z \\
      --resamples 20 -o sweep
  convoy sweep --sweep what-if.toml -o sweep --scheduler tcp://head:8786
  convoy sweep tiny/ --grid prices.incident_usd=1e6,5e6 --scheduler synchronous""",
)
@click.argument("scenario", required=False, default=None, metavar="[PATH|NAME]")
@click.option(
    "--sweep",
    "sweep_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sweep file (TOML): scenario, [grid], resamples, scale_draws, seed, runs.",
)
@click.option(
    "--grid",
    multiple=True,
    metavar="KEY=V1,V2",
    help="Sweep a scenario.toml key (dotted, e.g. scenario.deadline) or fleet.count "
    "/ fleet.ids over these values; repeat for a grid.",
)
@click.option(
    "--resamples",
    type=click.IntRange(0),
    default=None,
    help="Bootstrap resamples of the events per grid point [default: 0].",
)
@click.option(
    "--scale-draws",
    type=click.IntRange(0),
    default=None,
    help="Draws of the calibration scales from their Gamma posterior per grid "
    "point and resample [default: 0].",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=None,
    help="Seed of the resamples and draws (default: the scenario's seed).",
)
@click.option(
    "--runs",
    "num_runs",
    type=click.IntRange(0, MAX_RUNS),
    default=None,
    help="Monte Carlo runs of each plan [default: 0, none].",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("sweep"),
    show_default=True,
    help="Output folder; a rerun into it skips the finished combinations.",
)
@click.option(
    "--scheduler",
    default=LOCAL,
    show_default=True,
    metavar="local|synchronous|tcp://HOST:PORT",
    help="Where the plans run: a new local Dask cluster of processes, this "
    "process alone, or an existing Dask scheduler.",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Processes of the local cluster (default: the machine's cores).",
)
@json_option
@guarded
def sweep(
    scenario: str | None,
    sweep_file: Path | None,
    grid: tuple[str, ...],
    resamples: int | None,
    scale_draws: int | None,
    seed: int | None,
    num_runs: int | None,
    out: Path,
    scheduler: str,
    workers: int | None,
) -> None:
    """Plan every combination of swept parameters and threat draws, on Dask.

    Each combination (a value of every --grid key, a bootstrap resample of the
    events, a draw of the calibration scales) is one plan, run as a task on a
    Dask cluster. Every swept value is checked before any task starts (exit 2
    naming the key). Each finished plan is kept in OUT/parts/ as it arrives, so a
    stopped sweep resumes where it was when run again; a failed plan is recorded
    with its error and the sweep goes on. At the end OUT gets sweep.parquet (one
    row a plan), sweep_summary.csv (the distribution of each outcome at each grid
    point) and sweep.html with a chart per swept key, replaced as a set.
    """
    spec = build_spec(
        scenario, sweep_file, grid, resamples, scale_draws, seed, num_runs
    )
    if scheduler in SYNCHRONOUS_ALIASES:
        scheduler = SYNCHRONOUS
    with ProgressDisplay(enabled=show_progress()) as shown:
        result = run_sweep(
            spec,
            out,
            scheduler=scheduler,
            workers=workers,
            steps=lambda done, total, _failed: shown.steps(PLANS_STEP, done, total),
            progress=shown.message,
        )
    if json_output():
        echo_json(
            {
                "command": "sweep",
                "exit_code": 0,
                "out": out,
                "files": ["parts/", *result.files],
                "combinations": result.total,
                "skipped": result.skipped,
                "planned": result.planned,
                "failed": result.failed,
                "workers": result.workers,
                "seconds": round(result.seconds, 1),
            }
        )
    elif human_output():
        console = summary_console()
        console.print(summary_table(result, spec))
        console.print(
            f"{result.total} combinations: {result.skipped} finished before, "
            f"{result.planned} planned now on {result.workers} worker(s), "
            f"{result.failed} failed; {result.seconds:.1f} s. "
            f"wrote {out}/ ({', '.join(result.files)})",
            markup=False,
            highlight=False,
        )

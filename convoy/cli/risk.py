"""``convoy risk``: the scenario's risk field as a styled GeoTIFF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, TaskID

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
from convoy.outputs.risk_map import RiskRun, write_scenario_risk
from convoy.risk.field import CHANNELS

#: Rasters with more cells than this show a progress bar.
PROGRESS_CELLS = 2_000_000


class _ProgressBar:
    """A rich progress bar, started only for a large raster."""

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(
        self, shape: tuple[int, int], num_bands: int
    ) -> Callable[[int, int], None] | None:
        if shape[0] * shape[1] * num_bands <= PROGRESS_CELLS or not show_progress():
            return None
        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task(
            f"risk field, {shape[0]} x {shape[1]} cells", total=shape[0] * num_bands
        )
        return self.tick

    def tick(self, done: int, total: int) -> None:
        """Advance the bar to ``done`` of ``total`` rows."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        """Stop the bar, if one was started."""
        if self.bar is not None:
            self.bar.stop()


def _lonlat(lon: float, lat: float) -> str:
    return (
        f"{abs(lat):.4f}{'N' if lat >= 0 else 'S'} "
        f"{abs(lon):.4f}{'E' if lon >= 0 else 'W'}"
    )


def summary_lines(run: RiskRun) -> list[str]:
    """The short summary ``convoy risk`` prints."""
    ev, f, r = run.events, run.field, run.raster
    lines = [
        f"events: {len(ev)} used from {ev.source} ({ev.fmt}); "
        f"{ev.num_after_start} after the start ignored, "
        f"{ev.num_imprecise} imprecise dropped",
        f"  ied {f.ied.num_events}, ambush {f.ambush.num_events}, "
        f"no channel {f.num_ignored}, unknown type {f.num_unknown}",
        f"raster: {r.path} ({r.shape[0]} rows x {r.shape[1]} cols of "
        f"{r.cell_m:g} m, {r.crs}, {len(r.bands)} band"
        f"{'s' if len(r.bands) > 1 else ''}); style {r.qml_path.name}",
    ]
    for b in r.bands:
        x, y = b.max_xy
        lines.append(
            f"  band {b.band} {b.channel}: max {b.max_value:.4g} {b.units} "
            f"at {_lonlat(*b.max_lonlat)} (x {x:.0f}, y {y:.0f})"
        )
    return lines


def risk_json(run: RiskRun) -> dict[str, Any]:
    """
    The ``convoy risk --json`` object (README, "Command line").

    ``file`` and ``style`` (the GeoTIFF and its .qml), ``shape`` (rows, cols),
    ``cell_m``, ``crs``, ``events`` (used, source, format, after the start,
    imprecise; per channel) and ``bands`` (band, channel, units, max value and
    where: lon, lat).
    """
    ev, f, r = run.events, run.field, run.raster
    return {
        "command": "risk",
        "exit_code": 0,
        "file": r.path,
        "style": r.qml_path,
        "shape": list(r.shape),
        "cell_m": r.cell_m,
        "crs": str(r.crs),
        "events": {
            "used": len(ev),
            "source": str(ev.source),
            "format": ev.fmt,
            "after_start": ev.num_after_start,
            "imprecise": ev.num_imprecise,
            "ied": f.ied.num_events,
            "ambush": f.ambush.num_events,
            "no_channel": f.num_ignored,
            "unknown_type": f.num_unknown,
        },
        "bands": [
            {
                "band": b.band,
                "channel": b.channel,
                "units": b.units,
                "max_value": b.max_value,
                "max_lonlat": list(b.max_lonlat),
            }
            for b in r.bands
        ],
    }


@click.command(
    "risk",
    short_help="Write the risk field (IED and ambush) as a styled GeoTIFF.",
    epilog="""\b
Examples:
  convoy risk kidal-gao -o risk.tif --overwrite
  convoy risk my-scenario/ --events acled.csv --resolution 250 --channel ied""",
)
@scenario_argument
@click.option(
    "--events",
    "events",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Events file replacing the scenario's (ACLED or UCDP GED CSV, or a "
    "point layer; the format is guessed from its columns).",
)
@click.option(
    "--resolution",
    "resolution_m",
    type=float,
    default=None,
    help="Cell size in metres (default [risk] raster_cell_m, 500).",
)
@click.option(
    "--channel",
    type=click.Choice([*CHANNELS, "both"]),
    default="both",
    show_default=True,
    help="Channel(s) to write, one band each.",
)
@click.option(
    "--calibrate/--relative",
    "calibrated",
    default=True,
    show_default=True,
    help="Scale to the scenario's reference trip as `convoy plan` does, or write "
    "the relative field (weighted events per km2).",
)
@out_option(
    default="risk.tif",
    help_text="GeoTIFF to write; its QGIS style goes beside it as .qml.",
)
@overwrite_option
@json_option
@guarded
def risk(
    scenario: str,
    events: Path | None,
    resolution_m: float | None,
    channel: str,
    calibrated: bool,
    out: Path,
    overwrite: bool,
) -> None:
    """Write the scenario's risk field (IED and ambush) as a styled GeoTIFF.

    PATH|NAME is a scenario folder, its scenario.toml, or the name of an embedded
    scenario (default kidal-gao). Values are daily means, calibrated to the
    scenario's reference trips ([[reference_trips]] or [calibration]) unless
    --relative.
    """
    bar = _ProgressBar()
    try:
        run = write_scenario_risk(
            scenario,
            out,
            events=events,
            resolution_m=resolution_m,
            channel=channel,
            overwrite=overwrite,
            progress=bar,
            calibrated=calibrated,
        )
    finally:
        bar.close()
    if json_output():
        echo_json(risk_json(run))
    elif human_output():
        for line in summary_lines(run):
            click.echo(line)

"""``convoy risk``: the scenario's risk field as a styled GeoTIFF."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pyproj
import shapely

from convoy.cli.options import guarded, out_option, overwrite_option, scenario_argument
from convoy.errors import DataQualityWarning, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io.events import guess_events_format, read_events
from convoy.io.scenario import read_scenario
from convoy.outputs.geotiff import RiskRasterSummary, write_risk_geotiff
from convoy.plan import calibrated_risk_field
from convoy.risk.field import (
    CHANNELS,
    RiskField,
    raster_grid,
    risk_field_from_events,
)
from convoy.scenario import Scenario

#: Margin around the roads and sites, metres: about three bandwidths of the widest
#: default rule (8 km), so the field has faded at the raster's edge.
PAD_M = 25_000.0

#: Rasters with more cells than this show a progress bar.
PROGRESS_CELLS = 2_000_000

#: Largest raster the command writes, in cells per band (about 400 MB as float32);
#: beyond it a coarser --resolution is asked for.
MAX_CELLS = 100_000_000


@dataclass(frozen=True, slots=True)
class RiskRun:
    """What ``convoy risk`` did: the events, the field and the raster written."""

    events: ThreatEvents
    field: RiskField
    raster: RiskRasterSummary


def scenario_bounds(scenario: Scenario) -> tuple[float, float, float, float]:
    """
    Bounding box of the scenario's roads and sites in the network's CRS, metres.

    Returns
    -------
    tuple
        ``(x_min, y_min, x_max, y_max)``.
    """
    roads = scenario.roads
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(roads.edge_geometry, dtype=object))
    if roads.num_nodes:
        nx0, ny0 = roads.node_xy.min(axis=0)
        nx1, ny1 = roads.node_xy.max(axis=0)
        x0, y0, x1, y1 = min(x0, nx0), min(y0, ny0), max(x1, nx1), max(y1, ny1)
    if scenario.sites:
        t = pyproj.Transformer.from_crs("EPSG:4326", roads.crs, always_xy=True)
        sx, sy = t.transform(
            [s.lon for s in scenario.sites], [s.lat for s in scenario.sites]
        )
        x0, y0 = min(x0, float(np.min(sx))), min(y0, float(np.min(sy)))
        x1, y1 = max(x1, float(np.max(sx))), max(y1, float(np.max(sy)))
    return float(x0), float(y0), float(x1), float(y1)


def run_risk(
    scenario: str | Path,
    out: str | Path,
    *,
    events: str | Path | None = None,
    resolution_m: float | None = None,
    channel: str = "both",
    overwrite: bool = False,
    progress: bool = False,
    calibrated: bool = True,
) -> RiskRun:
    """
    Build a scenario's risk field and write it as a GeoTIFF with a QGIS style.

    Parameters
    ----------
    scenario
        A scenario folder, its ``scenario.toml`` or an embedded scenario's name.
    out
        The GeoTIFF to write; the style goes beside it as ``.qml``.
    events
        An events file replacing the scenario's (format guessed from its columns).
    resolution_m
        Cell size, metres; default ``[risk] raster_cell_m``.
    channel
        ``"ied"``, ``"ambush"`` or ``"both"`` (two bands).
    overwrite
        Replace existing outputs.
    progress
        Show a progress bar on large rasters.
    calibrated
        Scale the channels to the scenario's reference trip (``[calibration]``,
        as ``convoy plan`` does), so values are expected incidents per km (IED)
        and per hour per km of column (ambush); false writes the relative field.

    Returns
    -------
    RiskRun

    Raises
    ------
    ScenarioError
        Bad scenario, events, resolution or channel.
    convoy._io.OutputExistsError
        The output exists (without ``overwrite``) or is an input.
    """
    if channel not in (*CHANNELS, "both"):
        raise ScenarioError(
            Problem("", "", "--channel", f"one of {[*CHANNELS, 'both']}", repr(channel))
        )
    sc = read_scenario(scenario)
    cell_m = float(resolution_m) if resolution_m is not None else sc.risk.raster_cell_m
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise ScenarioError(Problem("", "", "--resolution", "metres > 0", repr(cell_m)))
    protect = list(sc.files.inputs())
    ev = sc.events
    if events is not None:
        fmt = guess_events_format(events)
        ev = read_events(
            events,
            fmt,
            start=sc.start,
            crs=sc.roads.crs,
            date_field=sc.files.events_date_field,
            type_field=sc.files.events_type_field,
            max_geo_precision=sc.risk.max_geo_precision,
        )
        protect.append(Path(events))
    field = risk_field_from_events(
        ev, sc.risk, crs=sc.roads.crs, air_cover=sc.air_cover
    )
    if calibrated and sc.calibration.enabled:
        # the same scales convoy plan uses, from these events
        try:
            field = calibrated_risk_field(sc, field)
        except ScenarioError as exc:
            warnings.warn(
                f"cannot calibrate, writing the relative field: {exc}",
                DataQualityWarning,
                stacklevel=2,
            )
    origin, shape = raster_grid(scenario_bounds(sc), cell_m, PAD_M)
    cells = shape[0] * shape[1]
    if cells > MAX_CELLS:
        raise ScenarioError(
            Problem(
                "",
                "",
                "--resolution",
                f"a cell size giving at most {MAX_CELLS:,} cells",
                f"{cell_m:g} m: {shape[0]} x {shape[1]} cells",
            )
        )
    channels = CHANNELS if channel == "both" else (channel,)
    tags = {
        "scenario": sc.name,
        "title": sc.title,
        "start": sc.start.isoformat(),
        "events": Path(ev.source).name,
        "events_format": ev.fmt,
        "air_cover": str(sc.air_cover).lower(),
        "half_life_days": f"{sc.risk.half_life_days:g}",
    }
    kwargs = {
        "origin_xy": origin,
        "cell_m": cell_m,
        "shape": shape,
        "channels": channels,
        "overwrite": overwrite,
        "protect": protect,
        "tags": tags,
    }
    if progress and cells * len(channels) > PROGRESS_CELLS:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(
                f"risk field, {shape[0]} x {shape[1]} cells",
                total=shape[0] * len(channels),
            )

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            raster = write_risk_geotiff(out, field, progress=tick, **kwargs)
    else:
        raster = write_risk_geotiff(out, field, **kwargs)
    return RiskRun(events=ev, field=field, raster=raster)


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


@click.command("risk")
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
    scenario's reference trip ([calibration]) unless --relative.
    """
    run = run_risk(
        scenario,
        out,
        events=events,
        resolution_m=resolution_m,
        channel=channel,
        overwrite=overwrite,
        progress=True,
        calibrated=calibrated,
    )
    for line in summary_lines(run):
        click.echo(line)

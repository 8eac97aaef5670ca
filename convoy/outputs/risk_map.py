"""The risk field of a scenario alone, as a styled GeoTIFF (``convoy risk``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from convoy.errors import DataQualityWarning, Problem, ScenarioError
from convoy.events import ThreatEvents
from convoy.io.events import guess_events_format, read_events
from convoy.io.scenario import read_scenario
from convoy.outputs.geotiff import PAD_M, RiskRasterSummary, write_field_raster
from convoy.plan import calibrated_risk_field
from convoy.risk.field import (
    CHANNELS,
    RiskField,
    raster_grid,
    risk_field_from_events,
)
from convoy.scenario import Scenario

#: Largest raster written, in cells per band (about 400 MB as float32); beyond it a
#: coarser --resolution is asked for.
MAX_CELLS = 100_000_000

#: Called once with the grid's (rows, cols) and the number of bands; returns the
#: per-row progress callback (rows done, rows total), or None for no progress.
ProgressFactory = Callable[[tuple[int, int], int], Callable[[int, int], None] | None]

__all__ = ["MAX_CELLS", "PAD_M", "RiskRun", "scenario_bounds", "write_scenario_risk"]


@dataclass(frozen=True, slots=True)
class RiskRun:
    """What was written: the events, the field and the raster."""

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


def _field(sc: Scenario, ev: ThreatEvents, calibrated: bool) -> RiskField:
    """The field of these events, scaled as ``convoy plan`` scales it if asked."""
    field = risk_field_from_events(
        ev, sc.risk, crs=sc.roads.crs, air_cover=sc.air_cover
    )
    if calibrated and sc.calibration.enabled:
        # the same scales convoy plan uses, from these events
        try:
            calibrated_field = calibrated_risk_field(sc, field)
        except ScenarioError as exc:
            warnings.warn(
                f"cannot calibrate, writing the relative field: {exc}",
                DataQualityWarning,
                stacklevel=3,
            )
        else:
            field = calibrated_field
    return field


def write_scenario_risk(
    scenario: str | Path,
    out: str | Path,
    *,
    events: str | Path | None = None,
    resolution_m: float | None = None,
    channel: str = "both",
    overwrite: bool = False,
    progress: ProgressFactory | None = None,
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
        Given the grid's shape and band count, returns a progress callback (or None).
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
    convoy.outputs.write.OutputExistsError
        The output exists (without ``overwrite``) or is an input.

    Examples
    --------
    >>> run = write_scenario_risk("kidal-gao", "risk.tif")  # doctest: +SKIP
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
    field = _field(sc, ev, calibrated)
    bounds = scenario_bounds(sc)
    channels = CHANNELS if channel == "both" else (channel,)
    _origin, shape = raster_grid(bounds, cell_m, PAD_M)
    tick = None
    if progress is not None and shape[0] * shape[1] <= MAX_CELLS:
        tick = progress(shape, len(channels))
    tags = {
        "scenario": sc.name,
        "title": sc.title,
        "start": sc.start.isoformat(),
        "events": Path(ev.source).name,
        "events_format": ev.fmt,
        "air_cover": str(sc.air_cover).lower(),
        "half_life_days": f"{sc.risk.half_life_days:g}",
    }
    raster = write_field_raster(
        out,
        field,
        bounds,
        cell_m=cell_m,
        pad_m=PAD_M,
        max_cells=MAX_CELLS,
        channels=channels,
        overwrite=overwrite,
        protect=protect,
        progress=tick,
        tags=tags,
    )
    return RiskRun(events=ev, field=field, raster=raster)

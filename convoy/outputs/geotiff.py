"""The risk field as a GeoTIFF, with a QGIS style sidecar.

:func:`write_risk_geotiff` evaluates the field on a north-up grid in row bands (so a
progress bar can follow it), and writes one float32 band per channel as a Cloud
Optimized GeoTIFF (tiled 256 x 256, deflate-compressed, internal overviews, stored
statistics), with the CRS, a nodata value, band descriptions (the channel names)
and the units in the band tags. Next to it, ``<name>.qml`` holds a
single-band pseudocolour style (yellow-orange-red, transparent at zero, topped at
a high percentile of the first band) that QGIS applies when it opens the raster.

Both files are built in a temporary folder beside the destination and moved into
place only when complete (:func:`convoy._io.staged_outputs`): an interrupted run
leaves no half-written raster, an existing output is kept unless ``overwrite``, and
an input is never written over.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pyproj
from affine import Affine
from numpy.typing import NDArray

from convoy.errors import Problem, ScenarioError
from convoy.outputs.cog import TILE, write_cog
from convoy.outputs.write import staged_outputs
from convoy.risk.field import CHANNELS, RiskField, raster_grid

#: Value written where there is no data. The field is defined everywhere, so it
#: never appears in convoy's own rasters; it is set for GIS tools that expect one.
NODATA = -9999.0


#: Percentile of the first band's non-background cells that tops the colour ramp:
#: the few hottest cells saturate instead of washing out the corridor.
RAMP_PERCENTILE = 99.0

#: Cells of the first band sampled to fit the colour ramp (a regular grid).
RAMP_SAMPLE_CELLS = 4_000_000

#: Colour ramp (ColorBrewer YlOrRd) as (fraction of the top value, colour, alpha);
#: zero is transparent so the basemap shows where there is no threat.
RAMP: tuple[tuple[float, str, int], ...] = (
    (0.0, "#ffffb2", 0),
    (0.05, "#fed976", 140),
    (0.15, "#feb24c", 200),
    (0.3, "#fd8d3c", 230),
    (0.5, "#fc4e2a", 255),
    (0.75, "#e31a1c", 255),
    (1.0, "#b10026", 255),
)


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """
    One band of a written raster.

    Parameters
    ----------
    channel
        ``"ied"`` or ``"ambush"``.
    band
        Band number in the file (from 1).
    units
        What one unit means.
    max_value
        Largest cell value, in ``units``.
    max_xy
        Centre of that cell in the raster's CRS, metres.
    max_lonlat
        The same in WGS 84 degrees.
    """

    channel: str
    band: int
    units: str
    max_value: float
    max_xy: tuple[float, float]
    max_lonlat: tuple[float, float]


@dataclass(frozen=True, slots=True)
class RiskRasterSummary:
    """
    What :func:`write_risk_geotiff` wrote.

    Parameters
    ----------
    path, qml_path
        The GeoTIFF and its style sidecar.
    crs
        The raster's CRS (authority string or WKT).
    origin_xy
        ``(x_min, y_max)``, metres.
    cell_m
        Cell size, metres.
    shape
        ``(rows, cols)``.
    bands
        One summary per band, in band order.
    ramp_max
        Value at the top of the style's colour ramp (first band's units).
    """

    path: Path
    qml_path: Path
    crs: str
    origin_xy: tuple[float, float]
    cell_m: float
    shape: tuple[int, int]
    bands: tuple[ChannelSummary, ...]
    ramp_max: float


def risk_qml(ramp_max: float, *, band: int = 1, label: str = "") -> str:
    """
    A QGIS style (QML) for one band: yellow-orange-red from 0 to ``ramp_max``.

    Parameters
    ----------
    ramp_max
        Value at the top of the ramp (> 0); larger values take the top colour.
    band
        Band the style applies to (from 1).
    label
        Text appended to the top stop's legend label, e.g. the units.

    Returns
    -------
    str
        The QML document.

    Raises
    ------
    ScenarioError
        If ``ramp_max`` is not a finite number > 0.

    Examples
    --------
    >>> "singlebandpseudocolor" in risk_qml(0.02)
    True
    """
    if not (math.isfinite(ramp_max) and ramp_max > 0):
        raise ScenarioError(Problem("", "", "ramp_max", "a number > 0", repr(ramp_max)))
    items = []
    for frac, colour, alpha in RAMP:
        value = frac * ramp_max
        text = f"{value:.3g}" + (f" {label}" if label and frac == 1.0 else "")
        items.append(
            f'          <item alpha="{alpha}" value="{value:.9g}" color="{colour}" '
            f"label={quoteattr(text)}/>"
        )
    first, last = RAMP[0][1], RAMP[-1][1]
    stops = ":".join(f"{f:g};{_rgba(c, a)}" for f, c, a in RAMP[1:-1])
    body = "\n".join(items)
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="AllStyleCategories"
      hasScaleBasedVisibilityFlag="0" minScale="1e+08" maxScale="0">
  <pipe>
    <provider>
      <resampling enabled="false" maxOversampling="2"
                  zoomedInResamplingMethod="nearestNeighbour"
                  zoomedOutResamplingMethod="nearestNeighbour"/>
    </provider>
    <rasterrenderer type="singlebandpseudocolor" band="{band}" opacity="1"
                    alphaBand="-1" classificationMin="0"
                    classificationMax="{ramp_max:.9g}" nodataColor="">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1"
                         clip="0" minimumValue="0" maximumValue="{ramp_max:.9g}"
                         labelPrecision="4">
          <colorramp type="gradient" name="[source]">
            <Option type="Map">
              <Option type="QString" name="color1" value="{_rgba(first, RAMP[0][2])}"/>
              <Option type="QString" name="color2" value="{_rgba(last, RAMP[-1][2])}"/>
              <Option type="QString" name="discrete" value="0"/>
              <Option type="QString" name="rampType" value="gradient"/>
              <Option type="QString" name="stops" value="{stops}"/>
            </Option>
            <prop k="color1" v="{_rgba(first, RAMP[0][2])}"/>
            <prop k="color2" v="{_rgba(last, RAMP[-1][2])}"/>
            <prop k="discrete" v="0"/>
            <prop k="rampType" v="gradient"/>
            <prop k="stops" v="{stops}"/>
          </colorramp>
{body}
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" grayscaleMode="0" colorizeOn="0"
                   colorizeRed="255" colorizeGreen="128" colorizeBlue="128"
                   colorizeStrength="100"/>
    <rasterresampler maxOversampling="2"/>
    <resamplingStage>resamplingFilter</resamplingStage>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""


def _ramp_max(values: NDArray[np.float32]) -> float:
    """Top of the colour ramp: a high percentile of the cells the field reaches."""
    v = values[np.isfinite(values)].astype(np.float64)
    top = float(v.max(initial=0.0))
    if not top > 0:
        return 1.0
    # Cells below a thousandth of the peak are background; a percentile over the
    # whole raster would sink to zero when the threat covers a small part of it.
    support = v[v > 1e-3 * top]
    return float(np.percentile(support, RAMP_PERCENTILE))


def _rgba(colour: str, alpha: int) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"


def compute_risk_raster(
    field: RiskField,
    origin_xy: tuple[float, float],
    cell_m: float,
    shape: tuple[int, int],
    channels: Sequence[str] = CHANNELS,
    *,
    hour: float | None = None,
    band_rows: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> NDArray[np.float32]:
    """
    The field's channels on a grid, computed in bands of rows.

    Parameters
    ----------
    field
        The risk field.
    origin_xy, cell_m, shape
        The grid, as in :meth:`RiskField.raster`.
    channels
        Channels to compute, in band order.
    hour
        Hour of day UTC, or None for the daily mean.
    band_rows
        Rows computed per call (> 0).
    progress
        Called as ``progress(rows_done, rows_total)`` after each band of each
        channel (rows counted over all channels).

    Returns
    -------
    numpy.ndarray
        (len(channels), rows, cols) float32.
    """
    rows, cols = int(shape[0]), int(shape[1])
    for ch in channels:
        field.channel(ch)
    out = np.empty((len(channels), rows, cols), dtype=np.float32)
    total = rows * len(channels)
    done = 0
    step = max(1, int(band_rows))
    for b, ch in enumerate(channels):
        for r0 in range(0, rows, step):
            n = min(step, rows - r0)
            band_origin = (origin_xy[0], origin_xy[1] - r0 * cell_m)
            out[b, r0 : r0 + n] = field.raster(
                band_origin, cell_m, (n, cols), ch, hour=hour
            )
            done += n
            if progress is not None:
                progress(done, total)
    return out


def _write_bands(
    dst: Any,
    field: RiskField,
    channels: tuple[str, ...],
    origin_xy: tuple[float, float],
    cell_m: float,
    shape: tuple[int, int],
    hour: float | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[tuple[float, int, int]], list[NDArray[np.float32]]]:
    """
    Compute and write each channel in bands of tile rows.

    Memory stays at one band whatever the raster's size. Returns each channel's
    maximum as (value, row, col) and a regular subsample of the first band, on
    which the colour ramp is fitted.
    """
    from rasterio.windows import Window  # as rasterio below: only with maps

    rows, cols = shape
    best = [(-math.inf, 0, 0) for _ in channels]
    sample: list[NDArray[np.float32]] = []
    stride = max(1, math.ceil(math.sqrt(rows * cols / RAMP_SAMPLE_CELLS)))
    total, done = rows * len(channels), 0
    for b, ch in enumerate(channels, start=1):
        for r0 in range(0, rows, TILE):
            n = min(TILE, rows - r0)
            chunk = field.raster(
                (origin_xy[0], origin_xy[1] - r0 * cell_m),
                cell_m,
                (n, cols),
                ch,
                hour=hour,
            ).astype(np.float32)
            dst.write(chunk, b, window=Window(0, r0, cols, n))
            i = int(np.argmax(chunk))
            if chunk.flat[i] > best[b - 1][0]:
                best[b - 1] = (float(chunk.flat[i]), r0 + i // cols, i % cols)
            if b == 1:
                sample.append(chunk[(-r0) % stride :: stride, ::stride])
            done += n
            if progress is not None:
                progress(done, total)
    return best, sample


def _describe_bands(
    dst: Any,
    field: RiskField,
    channels: tuple[str, ...],
    best: list[tuple[float, int, int]],
    origin_xy: tuple[float, float],
    cell_m: float,
) -> list[ChannelSummary]:
    """Tag each band with its channel, units and scale; summarise its maximum."""
    to_lonlat = pyproj.Transformer.from_crs(field.crs, "EPSG:4326", always_xy=True)
    bands = []
    units = []
    for b, ch in enumerate(channels, start=1):
        c = field.channel(ch)
        dst.set_band_description(b, ch)
        dst.update_tags(
            b,
            channel=ch,
            units=c.units,
            scale=f"{c.scale:g}",
            calibrated=str(c.calibrated).lower(),
            multiplier=f"{c.multiplier:g}",
            events=str(c.num_events),
        )
        units.append(c.units)
        value, r, col = best[b - 1]
        x = origin_xy[0] + (col + 0.5) * cell_m
        y = origin_xy[1] - (r + 0.5) * cell_m
        lon, lat = to_lonlat.transform(x, y)
        bands.append(
            ChannelSummary(
                ch, b, c.units, value, (float(x), float(y)), (float(lon), float(lat))
            )
        )
    dst.units = tuple(units)
    return bands


# Over 120 lines with its docstring (half of it): the body is one staged write,
# read best in one piece.
def write_risk_geotiff(
    path: str | Path,
    field: RiskField,
    *,
    origin_xy: tuple[float, float],
    cell_m: float,
    shape: tuple[int, int],
    channels: Sequence[str] = CHANNELS,
    hour: float | None = None,
    overwrite: bool = False,
    protect: Iterable[str | Path] = (),
    progress: Callable[[int, int], None] | None = None,
    tags: Mapping[str, str] | None = None,
) -> RiskRasterSummary:
    """
    Write the risk field to a GeoTIFF and its ``.qml`` style, atomically.

    Parameters
    ----------
    path
        The GeoTIFF to write (e.g. ``risk.tif``); the style goes to the same name
        with ``.qml``.
    field
        The risk field; the raster is in its CRS.
    origin_xy
        ``(x_min, y_max)`` of the grid, metres.
    cell_m
        Cell size, metres.
    shape
        ``(rows, cols)``.
    channels
        Channels to write, one band each, in order.
    hour
        Hour of day UTC, or None for the daily mean.
    overwrite
        Replace existing outputs; otherwise an existing one is an error.
    protect
        Input files that must never be written over (whatever ``overwrite`` says).
    progress
        Called as ``progress(rows_done, rows_total)`` while computing.
    tags
        Extra dataset tags (scenario name, events file, ...).

    Returns
    -------
    RiskRasterSummary
        Where the files went, the grid, and each band's maximum and its place.

    Raises
    ------
    ScenarioError
        A bad grid or channel.
    convoy._io.OutputExistsError
        The output exists and ``overwrite`` is false, or it is an input.

    Examples
    --------
    >>> origin, shape = raster_grid(bounds, 500.0)  # doctest: +SKIP
    >>> write_risk_geotiff("risk.tif", field, origin_xy=origin, cell_m=500.0,
    ...                    shape=shape)  # doctest: +SKIP
    """
    path = Path(path)
    qml_path = path.with_suffix(".qml")
    channels = tuple(channels)
    if not channels:
        raise ScenarioError(
            Problem("", "", "channels", f"some of {list(CHANNELS)}", "none")
        )
    rows, cols = int(shape[0]), int(shape[1])
    if rows < 1 or cols < 1:
        raise ScenarioError(
            Problem(str(path), "", "shape", "(rows, cols) >= 1", repr(shape))
        )
    with staged_outputs(
        path.parent,
        [path.name, qml_path.name],
        overwrite=overwrite,
        protect=[Path(p) for p in protect],
    ) as tmp:
        # Built directly: rasterio's from_origin multiplies Affines with a
        # deprecated operator.
        transform = Affine(cell_m, 0.0, origin_xy[0], 0.0, -cell_m, origin_xy[1])
        profile = {
            "driver": "GTiff",
            "width": cols,
            "height": rows,
            "count": len(channels),
            "dtype": "float32",
            "crs": field.crs.to_wkt(),
            "transform": transform,
            "nodata": NODATA,
            "tiled": True,
            "blockxsize": TILE,
            "blockysize": TILE,
            "compress": "deflate",
            "predictor": 3,
            "BIGTIFF": "IF_SAFER",
        }
        bands: list[ChannelSummary] = []
        # Computed and written in bands of tile rows, so memory stays at one band
        # whatever the raster's size; the colour ramp is fitted on a regular
        # subsample of the first band.
        plain = tmp / f"plain-{path.name}"
        # imported here: rasterio takes a noticeable share of the command line's
        # start-up, and a plan without maps never writes a raster
        import rasterio

        with rasterio.open(plain, "w", **profile) as dst:
            best, sample = _write_bands(
                dst, field, channels, origin_xy, cell_m, (rows, cols), hour, progress
            )
            dst.update_tags(
                AREA_OR_POINT="Area",
                software="convoy",
                accuracy=f"{field.accuracy:g}",
                hour="daily mean" if hour is None else f"{hour:g} UTC",
                **{str(k): str(v) for k, v in (tags or {}).items()},
            )
            bands += _describe_bands(dst, field, channels, best, origin_xy, cell_m)
        write_cog(plain, tmp / path.name)
        plain.unlink()
        ramp_max = _ramp_max(np.concatenate([a.ravel() for a in sample]))
        label = field.channel(channels[0]).units.split(" (")[0]
        (tmp / qml_path.name).write_text(
            risk_qml(ramp_max, band=1, label=label), encoding="utf-8"
        )
    return RiskRasterSummary(
        path=path,
        qml_path=qml_path,
        crs=field.crs.to_string(),
        origin_xy=(float(origin_xy[0]), float(origin_xy[1])),
        cell_m=float(cell_m),
        shape=(rows, cols),
        bands=tuple(bands),
        ramp_max=ramp_max,
    )


#: Margin around the area of a risk raster, metres: about three bandwidths of the
#: widest default rule (8 km), so the field has faded at the raster's edge.
PAD_M = 25_000.0


def write_field_raster(
    path: str | Path,
    field: RiskField,
    bounds_xy: tuple[float, float, float, float],
    *,
    cell_m: float,
    pad_m: float = PAD_M,
    max_cells: int | None = None,
    channels: Sequence[str] = CHANNELS,
    overwrite: bool = False,
    protect: Iterable[str | Path] = (),
    progress: Callable[[int, int], None] | None = None,
    tags: Mapping[str, str] | None = None,
) -> RiskRasterSummary:
    """
    Write the risk field over an area, padded, as a GeoTIFF and its ``.qml`` style.

    Parameters
    ----------
    path
        The GeoTIFF to write.
    field
        The risk field; ``bounds_xy`` and the raster are in its CRS.
    bounds_xy
        ``(x_min, y_min, x_max, y_max)`` of the area to cover, metres.
    cell_m
        Cell size, metres.
    pad_m
        Margin added on every side, metres.
    max_cells
        Largest number of cells per band, if limited; a bigger grid is refused.
    channels, overwrite, protect, progress, tags
        As :func:`write_risk_geotiff`.

    Returns
    -------
    RiskRasterSummary

    Raises
    ------
    ScenarioError
        A bad cell size, or more than ``max_cells`` cells (the message asks for a
        coarser ``--resolution``).
    """
    origin, shape = raster_grid(bounds_xy, cell_m, pad_m)
    if max_cells is not None and shape[0] * shape[1] > max_cells:
        raise ScenarioError(
            Problem(
                "",
                "",
                "--resolution",
                f"a cell size giving at most {max_cells:,} cells",
                f"{cell_m:g} m: {shape[0]} x {shape[1]} cells",
            )
        )
    return write_risk_geotiff(
        path,
        field,
        origin_xy=origin,
        cell_m=cell_m,
        shape=shape,
        channels=channels,
        overwrite=overwrite,
        protect=protect,
        progress=progress,
        tags=tags,
    )

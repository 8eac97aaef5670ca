"""Map of the routes (optimised plan and baselines) over the risk raster, with sites."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyproj
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from convoy.document import PlanDocument
from convoy.report._common import new_figure, plan_colour, plan_label, save
from convoy.scenario import Site

SITE_MARKERS: dict[str, tuple[str, str, float]] = {
    "camp": ("s", "#232323", 60.0),
    "destination": ("*", "#006d2c", 160.0),
    "halt": ("o", "#2171b5", 36.0),
    "checkpoint": ("^", "#737373", 30.0),
}


#: Colour-bar text of the risk raster's bands, by band description (channel).
BAND_LABELS: dict[str, str] = {
    "ied": "IED risk field (expected incidents per km)",
    "ambush": "ambush risk field (expected incidents per km per hour)",
}


#: Quantile of the raster's positive cells that tops the grey ramp.
RAMP_QUANTILE = 0.99

#: Cells below this fraction of the ramp's top are left blank (no threat there).
RAMP_FLOOR = 0.02

#: Largest number of raster cells drawn along a side; bigger rasters are averaged
#: in blocks first (a map chart needs no more, and drawing stays fast).
MAX_CELLS = 400


def read_risk_lonlat(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """
    Band 1 of a risk GeoTIFF with its cell corners in WGS 84, nodata as NaN.

    The cells are not resampled: their corners are transformed to longitude and
    latitude (a projected grid is a slightly curved mesh there). Rasters larger than
    ``MAX_CELLS`` on a side are averaged in square blocks first.

    Returns
    -------
    values, lon, lat, label
        The (rows, cols) grid, the (rows + 1, cols + 1) corner longitudes and
        latitudes in degrees, and the band's description for a colour bar.
    """
    import rasterio  # here: a plan without maps never reads a raster (start-up)

    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        desc = src.descriptions[0] or ""
        t = src.transform
        crs = src.crs.to_wkt() if src.crs is not None else "EPSG:4326"
    label = BAND_LABELS.get(desc, desc or "risk field")
    k = max(1, math.ceil(max(data.shape) / MAX_CELLS))
    if k > 1:
        rows, cols = (data.shape[0] // k) * k, (data.shape[1] // k) * k
        blocks = data[:rows, :cols].reshape(rows // k, k, cols // k, k)
        finite = np.isfinite(blocks)
        total = np.where(finite, blocks, 0.0).sum(axis=(1, 3))
        count = finite.sum(axis=(1, 3))
        data = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    # north-up grid (no rotation terms): corners from the affine coefficients
    xs = t.c + t.a * k * np.arange(data.shape[1] + 1)
    ys = t.f + t.e * k * np.arange(data.shape[0] + 1)
    gx, gy = np.meshgrid(xs, ys)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(gx, gy)
    return data, np.asarray(lon), np.asarray(lat), label


def _draw_sites(ax: Axes, doc: PlanDocument, sites: Sequence[Site]) -> None:
    """Draw the sites by kind; name only those the plans use, so it stays readable."""
    named = {s.name for s in sites if s.kind in ("camp", "destination")}
    for p in doc.plans.values():
        named |= {h.site for h in p.halts}
        named |= {name for g in p.legs for name in (g.from_site, g.to_site)}
    named |= {r.checkpoint for r in doc.march_table}
    for kind, (marker, colour, size) in SITE_MARKERS.items():
        pts = [s for s in sites if s.kind == kind]
        if not pts:
            continue
        ax.scatter(
            [s.lon for s in pts],
            [s.lat for s in pts],
            marker=marker,
            c=colour,
            s=size,
            edgecolors="white",
            linewidths=0.8,
            zorder=6,
            label=kind.capitalize(),
        )
        for s in pts:
            if s.name not in named:
                continue
            ax.annotate(
                s.name,
                (s.lon, s.lat),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
                zorder=7,
            )


def plot_route_map(
    doc: PlanDocument, sites: Sequence[Site], path: Path, risk_tif: Path | None = None
) -> Path:
    """
    Draw the routes of every plan over the risk raster, with the scenario's sites.

    Parameters
    ----------
    doc
        The plan document.
    sites
        The scenario's sites.
    path
        PNG file to write.
    risk_tif
        The risk GeoTIFF (band 1, expected incidents per km, any CRS); drawn in greys
        under the routes when given, so the plans' colours stay legible.

    Returns
    -------
    Path
        ``path``.
    """
    fig = new_figure(8.0, 7.0)
    ax = fig.subplots()
    lons: list[float] = []
    lats: list[float] = []
    # baselines often share roads: drawn wide to narrow, so overlaps stay visible
    baselines = [k for k in doc.plan_keys() if k != "optimised"]
    widths = {k: 2.0 + 2.2 * (len(baselines) - 1 - i) for i, k in enumerate(baselines)}
    widths["optimised"] = 2.2
    for key in doc.plan_keys():
        first = True
        for leg in doc.plans[key].legs:
            xy = np.asarray(leg.coords, dtype=float)
            lons += [xy[:, 0].min(), xy[:, 0].max()]
            lats += [xy[:, 1].min(), xy[:, 1].max()]
            opt = key == "optimised"
            ax.plot(
                xy[:, 0],
                xy[:, 1],
                color=plan_colour(key),
                lw=widths[key],
                solid_capstyle="round",
                alpha=1.0 if opt else 0.85,
                zorder=5 if opt else 3,
                label=plan_label(key) if first else None,
            )
            first = False
    for s in sites:
        lons.append(s.lon)
        lats.append(s.lat)
    pad_x = 0.08 * (max(lons) - min(lons)) + 0.02
    pad_y = 0.08 * (max(lats) - min(lats)) + 0.02
    view = (min(lons) - pad_x, max(lons) + pad_x, min(lats) - pad_y, max(lats) + pad_y)
    # figure shaped like the area (plus room for the colour bar), within 6-12 inches
    ratio = (view[1] - view[0]) * math.cos(math.radians(0.5 * (view[2] + view[3])))
    ratio /= max(view[3] - view[2], 1e-9)
    fig.set_size_inches(min(max(2.5 + 7.0 * ratio, 6.0), 12.0), 8.0)
    if risk_tif is not None and Path(risk_tif).is_file():
        grid, glon, glat, band = read_risk_lonlat(Path(risk_tif))
        positive = grid[np.isfinite(grid) & (grid > 0)]
        if positive.size:
            # the top percentile saturates, so a few hot cells do not wash out the rest
            vmax = float(np.quantile(positive, RAMP_QUANTILE))
            shown = np.where(grid > RAMP_FLOOR * vmax, grid, np.nan)
            im = ax.pcolormesh(
                glon,
                glat,
                shown,
                cmap="Greys",
                norm=Normalize(vmin=0.0, vmax=vmax / 0.8),
                zorder=1,
                shading="flat",
                edgecolors="none",
                antialiased=False,
                rasterized=True,
            )
            fig.colorbar(im, ax=ax, shrink=0.7, extend="max", label=band)
    _draw_sites(ax, doc, sites)
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_aspect(1.0 / math.cos(math.radians(0.5 * (view[2] + view[3]))))
    ax.set_xlabel("longitude (degrees east, WGS 84)")
    ax.set_ylabel("latitude (degrees north, WGS 84)")
    title = doc.scenario.title or "Routes"
    ax.set_title(f"Routes over the risk field\n{title}", fontsize=11)
    # below the map: never over a route, and no search for a free place (which
    # would turn each of the raster's cells into a path to test)
    fig.legend(loc="outside lower center", ncols=3, fontsize=8, framealpha=0.9)
    ax.grid(True, lw=0.3, alpha=0.5)
    return save(fig, path)

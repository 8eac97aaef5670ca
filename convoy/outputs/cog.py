"""Cloud Optimized GeoTIFF: a GeoTIFF copied with overviews and stored statistics.

GDAL's COG driver (GDAL >= 3.1) writes the tiles, the internal overviews and the
header in the order a COG reader expects; the band statistics are stored as GDAL's
``STATISTICS_*`` band tags first, so QGIS and ``gdalinfo`` need not scan the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: GeoTIFF tile size, pixels (GDAL's usual choice; a multiple of 16 as TIFF needs).
TILE = 256

#: Resampling of the COG's overviews: the mean keeps a coarse pixel's risk the
#: average of the cells it covers.
OVERVIEW_RESAMPLING = "AVERAGE"


def store_statistics(dst: Any) -> None:
    """
    Store each band's exact statistics as GDAL's ``STATISTICS_*`` band tags.

    QGIS and ``gdalinfo`` read them instead of scanning the raster.
    """
    for b in range(1, dst.count + 1):
        a = dst.read(b, masked=True)
        valid = a.compressed().astype(np.float64)
        if valid.size == 0:
            continue
        dst.update_tags(
            b,
            STATISTICS_MINIMUM=f"{valid.min():.9g}",
            STATISTICS_MAXIMUM=f"{valid.max():.9g}",
            STATISTICS_MEAN=f"{valid.mean():.9g}",
            STATISTICS_STDDEV=f"{valid.std():.9g}",
            STATISTICS_VALID_PERCENT=f"{100.0 * valid.size / a.size:.6g}",
        )


#: The coarsest overview's longest side, pixels (at least one overview is built).
OVERVIEW_MIN_SIDE = 64


def overview_count(side: int) -> int:
    """Overviews (each half the previous) until the longest side is 64 px or less."""
    n = 1
    while side / 2**n > OVERVIEW_MIN_SIDE:
        n += 1
    return n


def write_cog(src_path: Path, dst_path: Path) -> None:
    """
    Copy a GeoTIFF to a Cloud Optimized GeoTIFF (GDAL's COG driver).

    The copy is tiled (:data:`TILE`), deflate-compressed with the floating-point
    predictor, has internal overviews (:data:`OVERVIEW_RESAMPLING`) down to one
    tile, and keeps every tag, band description and the stored statistics.
    """
    # imported here: rasterio takes a noticeable share of the command line's start-up,
    # and a plan without maps never writes a raster
    import rasterio
    import rasterio.shutil

    with rasterio.open(src_path, "r+") as src:
        store_statistics(src)
        side = max(src.width, src.height)
    rasterio.shutil.copy(
        src_path,
        dst_path,
        driver="COG",
        BLOCKSIZE=TILE,
        COMPRESS="DEFLATE",
        PREDICTOR="FLOATING_POINT",
        OVERVIEWS="IGNORE_EXISTING",
        OVERVIEW_COUNT=overview_count(side),
        RESAMPLING=OVERVIEW_RESAMPLING,
        BIGTIFF="IF_SAFER",
    )

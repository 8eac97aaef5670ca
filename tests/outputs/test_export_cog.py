"""risk.tif is a Cloud Optimized GeoTIFF with overviews and exact stored statistics."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from convoy.outputs.cog import OVERVIEW_MIN_SIDE, TILE, overview_count


def test_risk_tif_is_cog(maps_dir):
    """GDAL reads the COG layout, tiles and internal overviews."""
    with rasterio.open(maps_dir / "risk.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.profile["tiled"]
        assert src.block_shapes[0] == (TILE, TILE)
        for b in range(1, src.count + 1):
            ovr = src.overviews(b)
            assert ovr, b
            assert ovr == sorted(ovr) and ovr[0] == 2
        assert [src.tags(b)["channel"] for b in (1, 2)] == ["ied", "ambush"]


def test_stored_statistics_match_data(maps_dir):
    """STATISTICS_* band tags equal statistics recomputed from the pixels."""
    with rasterio.open(maps_dir / "risk.tif") as src:
        for b in range(1, src.count + 1):
            tags = src.tags(b)
            a = src.read(b, masked=True).compressed().astype(np.float64)
            assert float(tags["STATISTICS_MINIMUM"]) == pytest.approx(a.min())
            assert float(tags["STATISTICS_MAXIMUM"]) == pytest.approx(a.max())
            assert float(tags["STATISTICS_MEAN"]) == pytest.approx(a.mean())
            assert float(tags["STATISTICS_STDDEV"]) == pytest.approx(a.std())


@pytest.mark.parametrize("side", [1, 63, 64, 127, 128, 129, 256, 1000, 5000])
def test_overview_count(side):
    """At least one overview; the coarsest is the first at or under 64 px."""
    n = overview_count(side)
    assert n >= 1
    if n > 1:
        assert side / 2 ** (n - 1) > OVERVIEW_MIN_SIDE
    assert side / 2**n <= OVERVIEW_MIN_SIDE or n == 1

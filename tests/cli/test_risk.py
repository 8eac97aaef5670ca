"""``convoy risk``: the GeoTIFF, its style, the summary, and refusals."""

from __future__ import annotations

import math
import shutil
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from pyproj import Transformer

from convoy.cli.main import cli
from convoy.errors import ScenarioError
from convoy.io.scenario import embedded_scenarios, read_scenario
from convoy.outputs.geotiff import compute_risk_raster, risk_qml, write_risk_geotiff
from convoy.outputs.risk_map import PAD_M, scenario_bounds
from convoy.plan import scenario_risk_field

DATA = Path(__file__).resolve().parents[1] / "data"
TINY = DATA / "tiny"
EVENTS = DATA / "events"


def invoke(*args: str):
    return CliRunner().invoke(
        cli, ["risk", *(str(a) for a in args)], catch_exceptions=False
    )


@pytest.fixture(scope="module")
def tiny():
    return read_scenario(TINY)


@pytest.fixture(scope="module")
def tiny_raster(tmp_path_factory):
    out = tmp_path_factory.mktemp("risk") / "risk.tif"
    result = invoke(TINY, "-o", out, "--resolution", "1000", "--relative")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_default_raster_is_calibrated(tiny, tmp_path):
    """By default the bands are the field scaled as convoy plan scales it."""
    from convoy.plan import scenario_calibration
    from convoy.plan.inputs import scenario_edge_risk

    out = tmp_path / "risk.tif"
    result = invoke(TINY, "-o", out, "--resolution", "2000")
    assert result.exit_code == 0, result.output
    field = scenario_risk_field(tiny)
    # calibrated on the tables convoy plan uses: the field plus the background
    cal = scenario_calibration(tiny, scenario_edge_risk(tiny, field))
    field = field.with_scales(cal.scale_ied, cal.scale_ambush)
    with rasterio.open(out) as ds:
        assert ds.tags(1)["units"].startswith("expected incidents per km")
        want = field.raster((ds.bounds.left, ds.bounds.top), 2000.0, ds.shape, "ied")
        np.testing.assert_allclose(ds.read(1), want, rtol=1e-6, atol=1e-6 * want.max())


def test_geotiff_crs_bounds_bands(tiny, tiny_raster):
    """The raster is in the network CRS, covers roads and sites plus 25 km, 2 bands."""
    out, _ = tiny_raster
    x0, y0, x1, y1 = scenario_bounds(tiny)
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 32631
        assert ds.count == 2
        assert ds.descriptions == ("ied", "ambush")
        assert ds.dtypes == ("float32", "float32")
        assert ds.nodata == -9999.0
        assert ds.res == (1000.0, 1000.0)
        b = ds.bounds
        assert b.left <= x0 - PAD_M < b.left + 1000.0
        assert b.bottom <= y0 - PAD_M < b.bottom + 1000.0
        assert b.right - 1000.0 < x1 + PAD_M <= b.right
        assert b.top - 1000.0 < y1 + PAD_M <= b.top
        assert ds.profile["tiled"] and ds.block_shapes[0] == (256, 256)
        assert ds.compression.value.lower() == "deflate"
        assert "per km2" in ds.tags(1)["units"]
        assert ds.tags(2)["channel"] == "ambush"
        assert ds.units[0] == ds.tags(1)["units"]
        assert ds.tags()["scenario"] == "tiny"


def test_geotiff_values_equal_field(tiny, tiny_raster):
    """The bands hold the field's values at the cell centres."""
    out, _ = tiny_raster
    field = scenario_risk_field(tiny)
    with rasterio.open(out) as ds:
        origin = (ds.bounds.left, ds.bounds.top)
        for band, ch in ((1, "ied"), (2, "ambush")):
            want = field.raster(origin, 1000.0, ds.shape, ch)
            got = ds.read(band)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * want.max())
            assert got.max() > 0


def test_qml_sidecar(tiny_raster):
    """A pseudocolour QML style sits beside the raster, with a ramp from 0 up."""
    out, _ = tiny_raster
    qml = out.with_suffix(".qml")
    root = ET.parse(qml).getroot()
    renderer = root.find("pipe/rasterrenderer")
    assert renderer is not None
    assert renderer.get("type") == "singlebandpseudocolor"
    assert renderer.get("band") == "1"
    values = [float(i.get("value")) for i in root.iter("item")]
    assert values[0] == 0.0 and values == sorted(values) and values[-1] > 0
    with rasterio.open(out) as ds:
        assert values[-1] <= ds.read(1).max() * 1.0001


def test_summary(tiny_raster):
    """The summary names the events used and ignored, the size and the maxima."""
    _, output = tiny_raster
    assert "after the start ignored" in output
    assert "ied 2, ambush 2" in output
    assert "rows x" in output
    assert re_lonlat(output)


def re_lonlat(text: str) -> bool:
    import re

    return bool(re.search(r"max [0-9.e+-]+ .* at \d+\.\d{4}[NS] \d+\.\d{4}[EW]", text))


def test_single_channel(tmp_path):
    """--channel ied writes one band."""
    out = tmp_path / "ied.tif"
    result = invoke(TINY, "-o", out, "--resolution", "2000", "--channel", "ied")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert ds.count == 1 and ds.descriptions == ("ied",)
    assert (tmp_path / "ied.qml").is_file()


def test_refuses_existing_output(tmp_path):
    """An existing output is kept unless --overwrite; then it is replaced."""
    out = tmp_path / "risk.tif"
    out.write_bytes(b"keep me")
    result = invoke(TINY, "-o", out, "--resolution", "2000")
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert out.read_bytes() == b"keep me"
    assert not (tmp_path / "risk.qml").exists()
    result = invoke(TINY, "-o", out, "--resolution", "2000", "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as ds:
        assert ds.count == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_never_overwrites_an_input(tmp_path):
    """Even with --overwrite an input file is never written over."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    target = folder / "events.csv"
    before = target.read_bytes()
    result = invoke(folder, "-o", target, "--overwrite", "--resolution", "2000")
    assert result.exit_code == 2
    assert "input" in result.output
    assert target.read_bytes() == before


def test_events_override(tmp_path):
    """--events replaces the scenario's events; a UCDP file is recognised."""
    out = tmp_path / "risk.tif"
    result = invoke(
        TINY, "--events", EVENTS / "ucdp_ged.csv", "-o", out, "--resolution", "2000"
    )
    assert result.exit_code == 0, result.output
    # UCDP has no IED type, so the reference trip sees no IED: relative field
    assert "cannot calibrate" in result.output
    assert "ucdp_ged.csv (ucdp)" in result.output
    assert "events: 2 used" in result.output


def test_malformed_events_exit_2(tmp_path):
    """A malformed events file stops with exit code 2 naming file, row and field."""
    out = tmp_path / "risk.tif"
    result = invoke(TINY, "--events", EVENTS / "AcledBadDate.csv", "-o", out)
    assert result.exit_code == 2
    assert "AcledBadDate.csv" in result.output
    assert "row 3" in result.output and "event_date" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_resolution_exit_2(tmp_path):
    """A resolution that is not positive is refused."""
    result = invoke(TINY, "-o", tmp_path / "r.tif", "--resolution", "0")
    assert result.exit_code == 2
    assert "--resolution" in result.output


@pytest.mark.skipif(
    "kidal-gao" not in embedded_scenarios(), reason="embedded scenario not present"
)
def test_embedded_maxima_on_chokepoints(tmp_path):
    """Kidal-Gao: IED peak at Anefis, Tabankort or Tarkint; ambush peak at a town."""
    out = tmp_path / "risk.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scenario's data-quality notes
        result = invoke("kidal-gao", "-o", out, "--resolution", "1000")
        sc = read_scenario("kidal-gao")
    assert result.exit_code == 0, result.output
    to_xy = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)

    def nearest_km(x, y, names):
        best = math.inf
        for s in sc.sites:
            if s.name in names:
                sx, sy = to_xy.transform(s.lon, s.lat)
                best = min(best, math.hypot(x - sx, y - sy) / 1000.0)
        return best

    towns = {
        s.name for s in sc.sites if s.kind in ("camp", "destination", "checkpoint")
    }
    with rasterio.open(out) as ds:
        for band, names in ((1, {"Anefis", "Tabankort", "Tarkint"}), (2, towns)):
            a = ds.read(band)
            r, c = np.unravel_index(int(np.argmax(a)), a.shape)
            x, y = ds.xy(r, c)
            assert nearest_km(x, y, names) <= 15.0


def test_writer_streams_bands_with_progress(tiny, tmp_path):
    """Writing in tile-row bands gives the one-shot raster; progress reaches the end."""
    field = scenario_risk_field(tiny)
    origin, cell, shape = (300_000.0, 2_000_000.0), 200.0, (600, 90)
    calls: list[tuple[int, int]] = []
    out = tmp_path / "r.tif"
    summary = write_risk_geotiff(
        out,
        field,
        origin_xy=origin,
        cell_m=cell,
        shape=shape,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[-1] == (2 * shape[0], 2 * shape[0])
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    in_memory = compute_risk_raster(field, origin, cell, shape, band_rows=77)
    with rasterio.open(out) as ds:
        for b in (1, 2):
            got = ds.read(b)
            np.testing.assert_array_equal(got, in_memory[b - 1])
            peak = summary.bands[b - 1]
            assert peak.max_value == got.max()
            r, c = ds.index(*peak.max_xy)
            assert got[r, c] == got.max()


def test_qml_refuses_bad_ramp():
    """A colour ramp needs a positive finite top."""
    assert "<item" in risk_qml(0.5)
    with pytest.raises(ScenarioError, match="ramp_max"):
        risk_qml(0.0)

"""write_maps() and ``convoy export``: outputs, atomic rewrite, inputs untouched."""

from __future__ import annotations

import hashlib
import json
import shutil

import pyogrio
import pytest
import rasterio
from click.testing import CliRunner

from convoy.cli.main import cli
from convoy.document import PlanDocument, canonical_json
from convoy.errors import ScenarioError
from convoy.outputs.maps import MAP_FILES, REPORT_CHARTS

CSVS = ("march_table.csv", "loads.csv", "left_behind.csv")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def plan_dir(tmp_path, export_plan):
    """A plan folder as ``convoy plan`` leaves it with --no-maps: JSON and CSVs."""
    d = tmp_path / "run"
    d.mkdir()
    (d / "plan.json").write_text(canonical_json(export_plan))
    for name in CSVS:
        (d / name).write_text("unit,checkpoint\nMU01,Kidal\n")
    return d


def test_write_maps_outputs(maps_dir):
    """write_maps() writes the GeoPackage, the raster and its style, project, report."""
    # No pareto.png: the fixture has no price sweep (the chart needs one).
    for name in (*MAP_FILES, *(c for c in REPORT_CHARTS if c != "pareto.png")):
        assert (maps_dir / name).is_file() and (maps_dir / name).stat().st_size > 0
    assert not [p for p in maps_dir.iterdir() if p.name.startswith(".")]


def test_risk_raster(maps_dir, export_scenario):
    """risk.tif is georeferenced in the working CRS, with nodata and positive cells."""
    with rasterio.open(maps_dir / "risk.tif") as src:
        assert src.crs.to_epsg() == 32631
        assert src.nodata is not None
        band = src.read(1, masked=True)
        assert band.count() > 0 and float(band.max()) > 0
        left, bottom, right, top = src.bounds
    assert src.res[0] == pytest.approx(export_scenario.risk.raster_cell_m)
    # the grid covers every site (in metres, UTM 31N)
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    for s in export_scenario.sites:
        x, y = t.transform(s.lon, s.lat)
        assert left < x < right and bottom < y < top


def test_export_command(plan_dir):
    """`convoy export` writes every map output; plan.json and the CSVs stay put."""
    before = {n: _digest(plan_dir / n) for n in ("plan.json", *CSVS)}
    result = CliRunner().invoke(cli, ["export", str(plan_dir)])
    assert result.exit_code == 0, result.output
    # No pareto.png: the fixture has no price sweep (the chart needs one).
    for name in (*MAP_FILES, *(c for c in REPORT_CHARTS if c != "pareto.png")):
        assert (plan_dir / name).is_file(), name
    assert before == {n: _digest(plan_dir / n) for n in before}
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["run"]


def _copy_maps(maps_dir, plan_dir):
    # No pareto.png: the fixture has no price sweep (the chart needs one).
    for name in (*MAP_FILES, *(c for c in REPORT_CHARTS if c != "pareto.png")):
        shutil.copy2(maps_dir / name, plan_dir / name)


def test_export_refuses_overwrite(plan_dir, maps_dir):
    """An export over existing maps without --overwrite stops with exit code 2."""
    _copy_maps(maps_dir, plan_dir)
    stamp = {p.name: p.stat().st_mtime_ns for p in plan_dir.iterdir()}
    result = CliRunner().invoke(cli, ["export", str(plan_dir)])
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert stamp == {p.name: p.stat().st_mtime_ns for p in plan_dir.iterdir()}


def test_export_overwrite_crs(plan_dir, maps_dir):
    """--overwrite --crs EPSG:32631 rewrites the GeoPackage in that CRS."""
    _copy_maps(maps_dir, plan_dir)
    result = CliRunner().invoke(
        cli, ["export", str(plan_dir), "--crs", "EPSG:32631", "--overwrite"]
    )
    assert result.exit_code == 0, result.output
    info = pyogrio.read_info(plan_dir / "plan.gpkg", layer="route")
    assert info["crs"] == "EPSG:32631"
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["run"]


def test_export_failure_leaves_nothing(plan_dir, export_plan):
    """A plan that cannot be drawn fails with exit 2 and writes no file at all."""
    bad = json.loads(canonical_json(export_plan))
    bad["march_table"][0]["checkpoint"] = "Nowhere"
    (plan_dir / "plan.json").write_text(canonical_json(bad))
    before = sorted(p.name for p in plan_dir.iterdir())
    result = CliRunner().invoke(cli, ["export", str(plan_dir)])
    assert result.exit_code == 2
    assert "Nowhere" in result.output
    assert sorted(p.name for p in plan_dir.iterdir()) == before
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["run"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", ["plan.json", "JSON"]),
        ('{"format": "other"}', ["format", "convoy-plan/1"]),
    ],
)
def test_read_plan_json_rejects(tmp_path, text, words):
    """A file that is not a plan.json is refused with a message naming the problem."""
    (tmp_path / "plan.json").write_text(text)
    with pytest.raises(ScenarioError) as err:
        PlanDocument.read(tmp_path / "plan.json")
    for w in words:
        assert w in str(err.value)


def test_chart_names_agree():
    """The exporter's list of chart files is the report's."""
    from convoy.report.html import CHARTS

    assert tuple(REPORT_CHARTS) == tuple(CHARTS)

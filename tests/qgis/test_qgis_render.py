"""The map outputs open in a real QGIS: valid, styled as stored, drawn, project loads.

Runs the generic checker ``qgis_check.py`` beside this file with Debian's Python,
which has PyQGIS: an extra check beside the project's own, ``test_qgis_project.py``
(groups, legs, temporal settings, print layout). Skipped when PyQGIS is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from convoy.outputs.maps import RASTER_LAYERS
from tests.qgis.qgis_python import QGIS_PYTHON, have_qgis

CHECKER = Path(__file__).resolve().parent / "qgis_check.py"

#: Where every layer of the export scenario must lie (lon/lat, the raster's padding
#: included).
BBOX = "0.4,17.7,2.0,18.8"


def _check(folder, png):
    """Run the real-QGIS checker on a plan folder; its JSON summary, checked ok."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(
        [QGIS_PYTHON, str(CHECKER), str(folder), "--png", str(png)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    summary = json.loads(r.stdout)
    assert summary["ok"] and summary["projects"][0]["read_ok"]
    return summary


@pytest.mark.qgis
def test_outputs_open_in_qgis(tmp_path, maps_dir, export_plan):
    """qgis_check.py passes: every layer valid, styled, drawn; plan.qgz loads."""
    if not CHECKER.is_file():
        pytest.skip(f"reference checker not found at {CHECKER}")
    if not have_qgis():
        pytest.skip(f"{QGIS_PYTHON} cannot import qgis.core (python3-qgis missing)")
    out = tmp_path / "maps"
    shutil.copytree(maps_dir, out)
    png = tmp_path / "render.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(
        [QGIS_PYTHON, str(CHECKER), str(out), "--png", str(png), "--bbox", BBOX],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    summary = json.loads(r.stdout)
    assert summary["ok"] and not summary["failures"]
    layers = {ly["name"]: ly for f in summary["files"] for ly in f["layers"]}
    assert set(layers) >= {
        "route",
        "route_risk",
        "halts",
        "checkpoints",
        "sites",
        "events",
        "left_behind",
        "legs",
        "roads",
        "risk",
    }
    for name, ly in layers.items():
        assert ly["style"].get("applied"), (name, ly["style"])
    (project,) = summary["projects"]
    assert project["read_ok"] and project["crs"] == "EPSG:4326"
    assert all(ly["valid"] for ly in project["layers"])
    # risk.tif is in the project once per band shown (IED, ambush)
    assert len(project["layers"]) == len(layers) - 1 + len(RASTER_LAYERS)
    assert png.is_file() and png.stat().st_size > 0


def _check_planned(tmp_path, scenario):
    """Plan ``scenario`` with `convoy plan` and run the QGIS checker on the folder."""
    from click.testing import CliRunner

    from convoy.cli.main import cli

    if not CHECKER.is_file():
        pytest.skip(f"reference checker not found at {CHECKER}")
    if not have_qgis():
        pytest.skip(f"{QGIS_PYTHON} cannot import qgis.core (python3-qgis missing)")
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["plan", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    _check(out, tmp_path / "render.png")


@pytest.mark.qgis
def test_planned_tiny_opens_in_qgis(tmp_path):
    """`convoy plan` on the tiny scenario gives maps that pass the QGIS check."""
    _check_planned(tmp_path, Path(__file__).resolve().parents[1] / "data" / "tiny")


@pytest.mark.qgis
@pytest.mark.slow
def test_planned_kidal_gao_opens_in_qgis(tmp_path):
    """`convoy plan` on the embedded Kidal-Gao scenario passes the QGIS check."""
    _check_planned(
        tmp_path, Path(__file__).resolve().parents[2] / "geodata" / "kidal-gao"
    )


@pytest.mark.qgis
def test_planned_sector_convoys_open_in_qgis(tmp_path):
    """Every convoy folder of a sector plan passes the QGIS check (its route)."""
    from click.testing import CliRunner

    from convoy.cli.main import cli

    if not CHECKER.is_file():
        pytest.skip(f"reference checker not found at {CHECKER}")
    if not have_qgis():
        pytest.skip(f"{QGIS_PYTHON} cannot import qgis.core (python3-qgis missing)")
    folder = tmp_path / "sector"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "tiny", folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[[camps]]\nname = "North"\npersonnel = 20\n'
        'closes = "2023-11-01T18:00:00Z"\n'
        '\n[[camps]]\nname = "West"\ncloses = "2023-11-01T18:00:00Z"\n',
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        cli, ["plan", str(folder), "-o", str(out), "--runs", "0"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "sector_map.png").is_file()
    assert (out / "sector_report.html").is_file()
    convoys = sorted((out / "convoys").iterdir())
    assert len(convoys) >= 2
    for conv in convoys:
        _check(conv, tmp_path / "r.png")


@pytest.mark.qgis
@pytest.mark.slow
def test_planned_north_sector_opens_in_qgis(tmp_path):
    """`convoy plan north-sector`: every camp empty by its closing, every convoy's
    maps pass the QGIS check, and the sector's map and report are written."""
    from click.testing import CliRunner

    from convoy.cli.main import cli

    if not CHECKER.is_file():
        pytest.skip(f"reference checker not found at {CHECKER}")
    if not have_qgis():
        pytest.skip(f"{QGIS_PYTHON} cannot import qgis.core (python3-qgis missing)")
    scenario = Path(__file__).resolve().parents[2] / "geodata" / "north-sector"
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        cli, ["plan", str(scenario), "-o", str(out), "--runs", "0"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sector.json").read_text(encoding="utf-8"))
    assert {c["name"] for c in doc["camps"]} == {"Tessalit", "Aguelhok", "Kidal"}
    assert all(c["empty_by_closing"] for c in doc["camps"])
    for c in doc["convoys"]:
        assert (out / c["folder"]).is_dir()
        _check(out / c["folder"], tmp_path / f"{c['name']}.png")
    assert (out / "sector_map.png").is_file()
    assert (out / "sector_report.html").is_file()

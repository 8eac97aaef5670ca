"""`convoy plan` from the command line: outputs, overwrite, determinism, errors."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from convoy.cli.main import cli

TINY = Path(__file__).parents[1] / "data" / "tiny"
FILES = ("plan.json", "march_table.csv", "loads.csv", "left_behind.csv")


def _run(*args: str):
    return CliRunner().invoke(cli, ["plan", *args], catch_exceptions=False)


def test_plan_writes_the_four_files(tmp_path):
    """The tiny scenario plans, prints a summary and writes the tables."""
    out = tmp_path / "out"
    res = _run(str(TINY), "-o", str(out), "--no-maps")
    assert res.exit_code == 0, res.output
    for name in FILES:
        assert (out / name).stat().st_size > 0
    doc = json.loads((out / "plan.json").read_text())
    assert doc["summary"]["vehicles_moving"] >= 1
    assert "optimised" in res.output and "historical" in res.output
    header = (out / "march_table.csv").read_text().splitlines()[0]
    assert header.startswith("unit,serial,checkpoint")
    assert not [p for p in out.iterdir() if p.name.startswith(".convoy-")]


def test_plan_refuses_to_overwrite(tmp_path):
    """An existing output is kept unless --overwrite is given."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("keep")
    res = _run(str(TINY), "-o", str(out), "--no-maps")
    assert res.exit_code == 2
    assert "--overwrite" in res.output
    assert (out / "plan.json").read_text() == "keep"
    res = _run(str(TINY), "-o", str(out), "--no-maps", "--overwrite")
    assert res.exit_code == 0, res.output
    assert (out / "plan.json").read_text() != "keep"


def test_plan_is_byte_identical_twice(tmp_path):
    """Same inputs and seed: the same plan.json, byte for byte."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(str(TINY), "-o", str(a), "--no-maps").exit_code == 0
    assert _run(str(TINY), "-o", str(b), "--no-maps").exit_code == 0
    assert (a / "plan.json").read_bytes() == (b / "plan.json").read_bytes()


def test_infeasible_deadline_exits_2_and_writes_nothing(tmp_path):
    """A deadline too early is a clear error, exit code 2, no output folder content."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text().replace(
            'deadline = "2023-11-03T18:00:00Z"', 'deadline = "2023-10-31T06:30:00Z"'
        )
    )
    out = tmp_path / "out"
    res = _run(str(folder), "-o", str(out), "--no-maps")
    assert res.exit_code == 2
    assert "earliest feasible arrival" in res.output
    assert "Traceback" not in res.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_default_plan_is_deterministic(tmp_path, monkeypatch):
    """`convoy plan` with no scenario plans Kidal-Gao; twice gives the same bytes."""
    monkeypatch.chdir(tmp_path)
    res = _run("--no-maps")
    assert res.exit_code == 0, res.output
    res2 = _run("--no-maps", "-o", "again")
    assert res2.exit_code == 0, res2.output
    first = (tmp_path / "plan" / "plan.json").read_bytes()
    assert first == (tmp_path / "again" / "plan.json").read_bytes()
    doc = json.loads(first)
    assert doc["scenario"]["name"] == "kidal-gao"


def test_plan_json_carries_the_simulation(tmp_path):
    """plan.json holds 10,000 Monte Carlo runs whose mean matches the plan (4 sigma)."""
    out = tmp_path / "out"
    res = _run(str(TINY), "-o", str(out), "--no-maps")
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "plan.json").read_text())
    sim = doc["simulation"]
    assert sim["num_runs"] == 10_000 and sim["plan"] == "optimised"
    assert sim["seed"] == doc["scenario"]["seed"]
    expected = doc["summary"]["expected_incidents"]
    stderr = math.sqrt(expected / sim["num_runs"])  # Poisson: variance = mean
    assert abs(sim["incidents"]["mean"] - expected) < 4 * stderr
    for key in ("incidents", "vehicles_lost", "delay_h"):
        assert sum(sim["histograms"][key]["counts"]) == 10_000, key
    assert "Monte Carlo (10,000 runs): incidents p90" in res.output
    assert "P(miss deadline)" in res.output


def test_plan_runs_zero_omits_the_simulation(tmp_path):
    """--runs 0 writes a plan.json without a simulation; a negative count is refused."""
    out = tmp_path / "out"
    res = _run(str(TINY), "-o", str(out), "--no-maps", "--runs", "0")
    assert res.exit_code == 0, res.output
    assert "simulation" not in json.loads((out / "plan.json").read_text())
    assert "Monte Carlo" not in res.output
    res = _run(str(TINY), "-o", str(tmp_path / "bad"), "--no-maps", "--runs", "-5")
    assert res.exit_code == 2
    assert "--runs" in res.output and "-5" in res.output
    assert not (tmp_path / "bad").exists()


def test_api_and_cli_write_the_same_plan_json(tmp_path):
    """plan_withdrawal + write_outputs write the plan.json that `convoy plan` writes."""
    import convoy

    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    assert _run(str(TINY), "-o", str(cli_out), "--no-maps").exit_code == 0
    plan = convoy.plan_withdrawal(convoy.read_scenario(TINY))
    doc = convoy.write_outputs(plan, api_out, maps=False)
    assert (api_out / "plan.json").read_bytes() == (cli_out / "plan.json").read_bytes()
    for name in FILES[1:]:
        assert (api_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert doc.simulation is not None
    assert convoy.PlanDocument.read(api_out / "plan.json").to_json() == doc.to_json()


KIDAL_GAO = Path(__file__).parents[2] / "geodata" / "kidal-gao"


def _with_solver(tmp_path: Path, src: Path, **solver: float) -> Path:
    folder = tmp_path / "scenario"
    shutil.copytree(src, folder)
    text = "".join(f"{k} = {v!r}\n" for k, v in solver.items())
    with (folder / "scenario.toml").open("a") as f:
        f.write(f"\n[solver]\n{text}")
    return folder


@pytest.mark.parametrize("limit_s", [0.01, 0.2, 1.0])
def test_small_time_limits_plan_the_tiny_scenario(tmp_path, limit_s):
    """Any legal limit works on the tiny scenario (it is proven at each)."""
    folder = _with_solver(tmp_path, TINY, time_limit_s=limit_s)
    out = tmp_path / "out"
    res = _run(str(folder), "-o", str(out), "--no-maps", "--runs", "0")
    lo = json.loads((out / "plan.json").read_text())["loadout"]
    assert lo["time_limit_s"] == limit_s and lo["gap_target"] == 0.01
    if res.exit_code == 3:  # only when the wall-clock guard fired (loaded machine)
        assert limit_s < 0.1 and lo["status"] == "GREEDY", res.output
        return
    assert res.exit_code == 0, res.output
    assert lo["status"] in ("OPTIMAL", "WITHIN_TARGET")
    assert lo["solves"][0]["role"] == "aggregate"


def test_unproven_loads_exit_3_unless_accepted(tmp_path):
    """A solve cut short with a 0 % target: outputs written, warning, exit 3."""
    folder = _with_solver(tmp_path, KIDAL_GAO, time_limit_s=0.2, gap_target=0.0)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli,
        ["plan", str(folder), "-o", str(out), "--no-maps", "--runs", "0"],
        catch_exceptions=False,
    )
    assert res.exit_code == 3, res.output
    assert "warning: loads:" in res.output and "--accept-gap" in res.output
    assert "[solver] time_limit_s" in res.output
    lo = json.loads((out / "plan.json").read_text())["loadout"]
    assert lo["status"] in ("NOT_PROVEN", "GREEDY")
    assert lo["gap_target"] == 0.0 and lo["time_limit_s"] == 0.2
    assert lo["solves"][0]["limit_s"] == 0.2
    for name in FILES:
        assert (out / name).stat().st_size > 0
    res = _run(
        str(folder),
        "-o",
        str(out),
        "--no-maps",
        "--runs",
        "0",
        "--overwrite",
        "--accept-gap",
    )
    assert res.exit_code == 0, res.output
    assert "warning: loads:" in res.output
    again = json.loads((out / "plan.json").read_text())["loadout"]
    assert again == lo

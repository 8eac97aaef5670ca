"""`convoy simulate` from the command line: output, overwrite, determinism, errors."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from convoy.cli.main import cli
from convoy.document import canonical_json


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory, tiny_scenario):
    """A folder holding the tiny scenario's plan.json, as `convoy plan` writes it."""
    from convoy.document import PlanDocument
    from convoy.plan import plan_withdrawal

    out = tmp_path_factory.mktemp("simplan")
    doc = PlanDocument.from_plan(plan_withdrawal(tiny_scenario, runs=0))
    (out / "plan.json").write_text(doc.to_json(), encoding="utf-8")
    return out


def _run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_simulate_writes_simulation_json(plan_dir):
    """simulation.json is written, canonical, and its mean matches plan.json."""
    target = plan_dir / "simulation.json"
    target.unlink(missing_ok=True)
    res = _run(str(plan_dir), "-n", "3000")
    assert res.exit_code == 0, res.output
    assert "incidents" in res.output and "simulation.json" in res.output
    text = target.read_text()
    doc = json.loads(text)
    assert canonical_json(doc) == text
    plan = json.loads((plan_dir / "plan.json").read_text())
    expected = plan["summary"]["expected_incidents"]
    assert doc["num_runs"] == 3000 and doc["plan"] == "optimised"
    assert doc["seed"] == plan["scenario"]["seed"]
    assert abs(doc["incidents"]["mean"] - expected) < 4 * (expected / 3000) ** 0.5
    assert 0.0 <= doc["p_miss_deadline"] <= 1.0
    assert set(doc["arrival"]) == {"p50", "p90", "p99"}
    assert not [p for p in plan_dir.iterdir() if p.name.startswith(".convoy-")]


def test_simulate_refuses_to_overwrite_and_is_deterministic(plan_dir):
    """Exit 2 on an existing output; --overwrite with the same seed gives same bytes."""
    first = _run(str(plan_dir), "-n", "500", "--seed", "5", "--overwrite")
    assert first.exit_code == 0, first.output
    before = (plan_dir / "simulation.json").read_bytes()
    refused = _run(str(plan_dir), "-n", "500", "--seed", "5")
    assert refused.exit_code == 2
    assert "--overwrite" in refused.output
    again = _run(str(plan_dir), "-n", "500", "--seed", "5", "--overwrite")
    assert again.exit_code == 0
    assert (plan_dir / "simulation.json").read_bytes() == before
    other = _run(str(plan_dir), "-n", "500", "--seed", "6", "--overwrite")
    assert other.exit_code == 0
    assert (plan_dir / "simulation.json").read_bytes() != before


def test_simulate_a_baseline(plan_dir):
    """--plan historical simulates that baseline's trajectory."""
    res = _run(str(plan_dir), "-n", "300", "--plan", "historical", "--overwrite")
    assert res.exit_code == 0, res.output
    doc = json.loads((plan_dir / "simulation.json").read_text())
    plan = json.loads((plan_dir / "plan.json").read_text())
    want = plan["baselines"]["historical"]["expected_incidents"]
    assert doc["plan"] == "historical"
    assert doc["planned"]["expected_incidents"] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-n", "0"], "-n/--runs"),
        (["--plan", "nonsense"], "--plan"),
    ],
)
def test_simulate_bad_options_exit_2(plan_dir, args, needle):
    """A bad -n or --plan ends with exit 2 and names the option."""
    res = _run(str(plan_dir), *args, "--overwrite")
    assert res.exit_code == 2
    assert needle in res.output


def test_simulate_missing_plan_exit_2(tmp_path):
    """A folder without plan.json ends with exit 2 and writes nothing."""
    res = _run(str(tmp_path))
    assert res.exit_code == 2
    assert "plan.json" in res.output
    assert list(tmp_path.iterdir()) == []


def _plan_elsewhere(plan_dir, tmp_path, scenario_path):
    """plan.json of plan_dir, copied to tmp_path/plan with another scenario.path."""
    doc = json.loads((plan_dir / "plan.json").read_text())
    doc["scenario"]["path"] = str(scenario_path)
    out = tmp_path / "plan"
    out.mkdir()
    (out / "plan.json").write_text(canonical_json(doc))
    return out


def test_simulate_unknown_scenario_path_exit_2(plan_dir, tmp_path):
    """A scenario.path that is not there ends with exit 2 naming the field."""
    out = _plan_elsewhere(plan_dir, tmp_path, "no/such/folder")
    res = _run(str(out), "-n", "10")
    assert res.exit_code == 2
    assert "'path'" in res.output and "no/such/folder" in res.output


def test_simulate_warns_when_the_fleet_changed(plan_dir, tmp_path, tiny_dir):
    """A fleet.csv edited since the plan was made gives a warning, not an error."""
    scenario = tmp_path / "tiny"
    shutil.copytree(tiny_dir, scenario)
    fleet = scenario / "fleet.csv"
    fleet.write_text(fleet.read_text().replace(",0.97,", ",0.96,"))
    out = _plan_elsewhere(plan_dir, tmp_path, scenario)
    res = _run(str(out), "-n", "10")
    assert res.exit_code == 0, res.output
    assert "warning:" in res.output and "fleet.csv" in res.output

"""The adversary modes on a scenario: plan.json, the default path, convoy draw."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from convoy.cli.main import cli
from convoy.document import PlanDocument
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal
from convoy.plan.adversary import departure_candidates, search_request
from convoy.plan.inputs import _column_schedule
from convoy.schedule.attack import AttackCost

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture(scope="module")
def scenario():
    return read_scenario(TINY)


@pytest.fixture(scope="module")
def static_json(scenario) -> str:
    return PlanDocument.from_plan(plan_withdrawal(scenario, runs=200)).to_json()


def _without(doc: dict, *keys: str) -> dict:
    return {k: v for k, v in doc.items() if k not in keys}


def test_static_mode_is_the_plan_of_old(scenario, static_json):
    """--adversary static (any budget) writes the same bytes as no option."""
    plan = plan_withdrawal(scenario, runs=200, adversary="static", attacker_budget=5)
    assert plan.adversary is None
    assert PlanDocument.from_plan(plan).to_json() == static_json
    assert "adversary" not in json.loads(static_json)


@pytest.mark.parametrize("mode", ["robust", "mixed"])
def test_zero_budget_gives_the_static_plan(scenario, static_json, mode):
    plan = plan_withdrawal(scenario, runs=200, adversary=mode, attacker_budget=0)
    doc = json.loads(PlanDocument.from_plan(plan).to_json())
    static = json.loads(static_json)
    assert _without(doc, "adversary", "notes") == _without(static, "notes")
    adv = doc["adversary"]
    assert [m["probability"] for m in adv["mix"]] == [1.0]
    assert adv["mix"][0]["plan"]["legs"] == static["plans"]["optimised"]["legs"]
    fig = {r["plan"]: r for r in adv["figures"]}
    assert fig["static"]["leaked_rise"] == 0.0
    assert fig["mixed"]["worst_case_incidents"] == pytest.approx(
        fig["static"]["expected_incidents"], rel=1e-6
    )


def test_mixed_plan_document(scenario):
    plan = plan_withdrawal(scenario, runs=200, adversary="mixed", attacker_budget=2)
    doc = PlanDocument.from_plan(plan)
    adv = doc.adversary
    assert adv is not None and adv.mode == "mixed"
    assert sum(m.probability for m in adv.mix) == pytest.approx(1.0)
    assert all(m.plan.march_table for m in adv.mix)
    fig = {r.plan: r for r in adv.figures}
    assert {"static", "robust", "mixed", "historical"} <= set(fig)
    # the robust plan is never worse than the static one if the plan leaks
    assert fig["robust"].worst_case_incidents <= fig["static"].worst_case_incidents
    # knowing the mix but not the draw is worth less than knowing the plan
    assert fig["mixed"].worst_case_incidents <= fig["static"].worst_case_incidents
    assert adv.game["gap"] <= 1e-6 * max(1.0, adv.game["value"])
    # plan.json both ways
    again = PlanDocument.from_json(doc.to_json())
    assert again.to_json() == doc.to_json()


def test_mixed_plan_is_deterministic(scenario):
    def once() -> str:
        plan = plan_withdrawal(scenario, runs=100, adversary="mixed", attacker_budget=3)
        return PlanDocument.from_plan(plan).to_json()

    assert once() == once()


def test_a_corrupt_mix_is_a_clear_error(scenario):
    plan = plan_withdrawal(scenario, runs=0, adversary="mixed", attacker_budget=2)
    raw = json.loads(PlanDocument.from_plan(plan).to_json())
    raw["adversary"]["mix"][0]["probability"] = 7
    with pytest.raises(Exception, match=r"adversary.mix\[0\].*probability"):
        PlanDocument.from_dict(raw)


def test_zero_attack_changes_nothing_in_the_search(scenario):
    plan = plan_withdrawal(scenario, runs=0)
    req = search_request(scenario, plan.loadout, plan.contraction)
    nw = req.num_windows(1440.0)
    zero = AttackCost(np.zeros((req.model.num_edges, nw, 2)), 1440.0)
    a, b = req.search(), req.search(zero)
    assert a.legs == b.legs and a.halts == b.halts
    assert np.array_equal(a.cost_by_departure, b.cost_by_departure)


def test_cvar_objective_picks_among_departure_days(scenario):
    plan = plan_withdrawal(scenario, runs=0)
    req = search_request(scenario, plan.loadout, plan.contraction)
    _m, _c, static = _column_schedule(scenario, plan.edge_risk, plan.loadout)
    cands = departure_candidates(req, static)
    assert cands[0] is static
    m0 = req.model.start_minute_of_day
    days = {(m0 + s.depart_step * s.step_min) // 1440 for s in cands}
    assert len(days) == len(cands)
    chosen = plan_withdrawal(scenario, runs=0, objective="cvar90")
    departs = {s.depart_min for s in cands}
    assert chosen.schedule.depart_min in departs
    assert any("cvar90" in n for n in chosen.notes)


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plan_mixed_then_draw(tmp_path):
    shutil.copytree(TINY, tmp_path / "tiny")
    out = tmp_path / "plan"
    res = _run(
        "plan",
        str(tmp_path / "tiny"),
        "-o",
        str(out),
        "--no-maps",
        "--runs",
        "100",
        "--adversary",
        "mixed",
        "--attacker-budget",
        "2",
        "--json",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["adversary"]["mode"] == "mixed"
    first = _run("draw", str(out), "--seed", "3", "--json")
    assert first.exit_code == 0, first.output
    drawn = json.loads(first.stdout)
    assert drawn["source"] == "seeded"
    table = (out / "drawn_march_table.csv").read_text()
    again = _run("draw", str(out), "--seed", "3", "--overwrite", "-q")
    assert again.exit_code == 0 and again.stdout == ""
    assert (out / "drawn_march_table.csv").read_text() == table
    # without --overwrite an earlier draw is kept
    assert _run("draw", str(out), "--seed", "4").exit_code == 2
    hw = _run("draw", str(out), "--overwrite", "--json")
    assert json.loads(hw.stdout)["source"] == "hardware"
    # every plan of the mix can be drawn: the draws follow the probabilities
    doc = PlanDocument.read(out / "plan.json")
    names = {m.name for m in doc.adversary.mix}
    assert json.loads(hw.stdout)["plan"] in names


def test_draw_needs_a_mix(tmp_path):
    shutil.copytree(TINY, tmp_path / "tiny")
    out = tmp_path / "plan"
    res = _run("plan", str(tmp_path / "tiny"), "-o", str(out), "--no-maps", "-q")
    assert res.exit_code == 0
    bad = _run("draw", str(out), "--seed", "1")
    assert bad.exit_code == 2
    assert "adversary.mix" in bad.stderr
    assert not (out / "drawn_march_table.csv").exists()


def test_pick_follows_the_probabilities():
    from types import SimpleNamespace

    from convoy.outputs.draw import pick

    probs = [0.5, 0.3, 0.15, 0.05]
    mix = tuple(
        SimpleNamespace(name=str(i), probability=p) for i, p in enumerate(probs)
    )
    grid = (np.arange(10_000) + 0.5) / 10_000
    got = [pick(mix, float(u)).name for u in grid]
    for i, p in enumerate(probs):
        assert got.count(str(i)) / len(grid) == pytest.approx(p, abs=1e-4)


def test_bad_attacker_is_a_clear_error(tmp_path):
    from convoy.adversary import Attacker
    from convoy.errors import ScenarioError

    with pytest.raises(ScenarioError, match="budget"):
        Attacker(budget=float("nan"))
    with pytest.raises(ScenarioError, match="window_h"):
        Attacker(budget=1.0, window_h=0.0)
    res = _run("plan", str(TINY), "-o", str(tmp_path / "p"), "--attacker-budget", "-1")
    assert res.exit_code == 2


def test_robust_cvar_objective_picks_a_robust_candidate(scenario):
    from convoy.adversary import Attacker, robust_plan

    plan = plan_withdrawal(
        scenario, runs=0, adversary="robust", objective="cvar90", attacker_budget=2
    )
    req = search_request(scenario, plan.loadout, plan.contraction)
    _m, _c, static = _column_schedule(scenario, plan.edge_risk, plan.loadout)
    rob = robust_plan(req, Attacker(2.0), static)
    legs = {c.schedule.legs for c, _w in rob.candidates}
    assert plan.schedule.legs in legs
    assert plan.adversary is not None and plan.adversary.objective == "cvar90"

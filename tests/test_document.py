"""PlanDocument: plan.json both ways, byte for byte, and clear errors on bad files."""

from __future__ import annotations

import copy
import json

import pytest

from convoy.document import PLAN_ORDER, PlanDocument, canonical_json
from convoy.document._fields import Fields
from convoy.document.loads import LoadoutInfo
from convoy.errors import ScenarioError


@pytest.fixture(scope="module")
def tiny_plan(tiny_scenario):
    """The tiny scenario planned once, with a short Monte Carlo."""
    from convoy.plan import plan_withdrawal

    return plan_withdrawal(tiny_scenario, runs=500)


@pytest.fixture(scope="module")
def tiny_json(tiny_plan):
    """plan.json's text of the tiny plan."""
    return PlanDocument.from_plan(tiny_plan).to_json()


def test_round_trip_is_byte_identical(tiny_json):
    """Read back and written again, plan.json is the same bytes."""
    doc = PlanDocument.from_json(tiny_json)
    assert doc.to_json() == tiny_json
    assert canonical_json(json.loads(tiny_json)) == tiny_json


def test_document_carries_the_plan(tiny_plan, tiny_json):
    """Summary, baselines, simulation and plan order come from the plan."""
    doc = PlanDocument.from_json(tiny_json)
    opt = tiny_plan.optimised.trip.exposure
    assert doc.summary.expected_incidents == pytest.approx(opt.total, rel=1e-5)
    assert doc.plan_keys()[: len(PLAN_ORDER)] == [
        k for k in PLAN_ORDER if k in doc.plans
    ]
    assert set(doc.baselines) <= set(PLAN_ORDER[1:])
    assert doc.simulation is not None and doc.simulation.num_runs == 500
    assert doc.simulation.histograms is not None
    raw = json.loads(tiny_json)
    assert raw["summary"] == raw["plans"]["optimised"]["summary"]


def test_without_simulation_the_key_is_absent(tiny_plan):
    """runs=0 (or no simulation) writes no 'simulation' key."""
    import dataclasses

    plan = dataclasses.replace(tiny_plan, simulation=None)
    assert "simulation" not in json.loads(PlanDocument.from_plan(plan).to_json())


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.pop("loads"), ["loads", "a list"]),
        (lambda d: d["plans"]["optimised"]["legs"][0].pop("depart"), ["legs[0]"]),
        (
            lambda d: d["plans"]["optimised"]["summary"].update(vehicles_moving="x"),
            ["summary", "vehicles_moving", "an integer"],
        ),
        (lambda d: d["scenario"].update(start="yesterday"), ["start", "ISO 8601"]),
        (lambda d: d.update(plans=[]), ["plans", "an object"]),
        (lambda d: d["plans"].pop("optimised"), ["plans", "optimised"]),
        (lambda d: d["march_table"][0].update(km=None), ["march_table[0]", "km"]),
        (lambda d: d["simulation"].pop("planned"), ["simulation", "planned"]),
        (lambda d: d["loads"].append(3), ["loads[", "an object"]),
    ],
)
def test_mistyped_documents_are_clear_errors(tiny_json, edit, words):
    """A missing or mistyped field is a ScenarioError naming it, never a KeyError."""
    doc = copy.deepcopy(json.loads(tiny_json))
    edit(doc)
    with pytest.raises(ScenarioError) as err:
        PlanDocument.from_dict(doc)
    for w in words:
        assert w in str(err.value)


def test_read_missing_and_not_json(tmp_path):
    """No file, or not JSON, or not a JSON object: a ScenarioError naming the file."""
    with pytest.raises(ScenarioError, match="found no file"):
        PlanDocument.read(tmp_path / "plan.json")
    (tmp_path / "plan.json").write_text("[1, 2]")
    with pytest.raises(ScenarioError, match="expected an object"):
        PlanDocument.read(tmp_path / "plan.json")
    (tmp_path / "plan.json").write_text("{oops")
    with pytest.raises(ScenarioError, match="JSON"):
        PlanDocument.read(tmp_path / "plan.json")


@pytest.mark.parametrize(
    ("key", "value"),
    [("windows", 5), ("windows", [["05:30"]]), ("daylight", ["06:00"])],
)
def test_mistyped_movement_keys(tiny_json, key, value):
    """The movement windows and daylight are checked too."""
    doc = json.loads(tiny_json)
    doc[key] = value
    with pytest.raises(ScenarioError, match=key):
        PlanDocument.from_dict(doc)


def test_loadout_status_keys_round_trip():
    """Solver status, target, limit and solves survive plan.json; a null bound too."""
    raw = {
        "status": "GREEDY",
        "objective": 9.0e7,
        "bound": None,
        "gap": None,
        "departure_delay_min": 0.0,
        "incident_usd": 5e6,
        "method": "greedy",
        "gap_target": 0.01,
        "time_limit_s": 0.2,
        "solves": [
            {
                "role": "aggregate",
                "status": "UNKNOWN",
                "bound": None,
                "limit_s": 0.2,
                "time_s": 0.05,
            }
        ],
    }
    info = LoadoutInfo.read(Fields(raw, "loadout"))
    assert info.gap is None and info.bound is None and not info.proven
    assert "greedy heuristic" in (info.warning() or "")
    out = info.to_dict()
    assert out["solves"] == raw["solves"] and out["status"] == "GREEDY"
    assert "bound" not in out or out["bound"] is None
    assert LoadoutInfo.read(Fields(out, "loadout")) == info
    bad = dict(raw, solves="none")
    with pytest.raises(ScenarioError, match="solves"):
        LoadoutInfo.read(Fields(bad, "loadout"))

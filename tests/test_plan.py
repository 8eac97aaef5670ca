"""The planner end to end: the tiny scenario, the embedded one, and infeasibility."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from column_checks import check_plan_column_rules

from convoy.document import PlanDocument, canonical_json
from convoy.errors import InfeasibleError
from convoy.io.scenario import read_scenario
from convoy.plan import plan_withdrawal

TINY = Path(__file__).parent / "data" / "tiny"
SUMMARY_FIELDS = {
    "expected_incidents",
    "expected_ied_incidents",
    "expected_ambush_incidents",
    "depart",
    "arrive",
    "vehicles_moving",
    "value_carried",
    "value_left_behind",
}


@pytest.fixture(scope="module")
def tiny_doc():
    return PlanDocument.from_plan(
        plan_withdrawal(read_scenario(TINY), runs=0)
    ).to_dict()


@pytest.fixture(scope="module")
def kidal_plan():
    return plan_withdrawal(read_scenario("kidal-gao"), runs=0)


@pytest.fixture(scope="module")
def kidal_doc(kidal_plan):
    return PlanDocument.from_plan(kidal_plan).to_dict()


def test_tiny_plan_has_every_summary_field(tiny_doc):
    """plan.json's summary and each baseline carry the documented fields."""
    assert set(tiny_doc["summary"]) >= SUMMARY_FIELDS
    assert set(tiny_doc["baselines"]) == {
        "depart_at_once",
        "daylight_only",
        "historical",
    }
    for s in tiny_doc["baselines"].values():
        assert set(s) >= SUMMARY_FIELDS
    json.loads(canonical_json(tiny_doc))


def test_tiny_plan_beats_timing_baselines(tiny_doc):
    """Same column, same model: the optimum is never worse than a baseline schedule."""
    opt = tiny_doc["summary"]["expected_incidents"]
    for name in ("depart_at_once", "daylight_only"):
        assert opt <= tiny_doc["baselines"][name]["expected_incidents"] + 1e-9


def test_totals_add_up(tiny_doc):
    """IED plus ambush is the total; legs and halts add up to the plan's channels."""
    s = tiny_doc["summary"]
    assert s["expected_incidents"] == pytest.approx(
        s["expected_ied_incidents"] + s["expected_ambush_incidents"]
    )
    body = tiny_doc["plans"]["optimised"]
    legs_ied = sum(leg["expected_ied"] for leg in body["legs"])
    assert legs_ied == pytest.approx(s["expected_ied_incidents"])
    # the 250 m pieces approximate the legs' integral
    pieces = sum(r["expected"] for r in body["risk_along_route"])
    assert pieces == pytest.approx(
        s["expected_ied_incidents"] + s["expected_ambush_moving"], rel=0.05
    )


def test_infeasible_deadline_names_earliest_arrival(tmp_path):
    """A deadline no column can meet raises, naming the earliest feasible arrival."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    toml = folder / "scenario.toml"
    toml.write_text(
        toml.read_text().replace(
            'deadline = "2023-11-03T18:00:00Z"', 'deadline = "2023-10-31T06:30:00Z"'
        )
    )
    with pytest.raises(InfeasibleError, match="earliest feasible arrival"):
        plan_withdrawal(read_scenario(folder))


@pytest.mark.slow
def test_kidal_historical_is_calibrated_to_six_ieds(kidal_doc):
    """The historical profile has its six calibration IEDs, over eight days."""
    hist = kidal_doc["baselines"]["historical"]
    assert hist["expected_ied_incidents"] == pytest.approx(6.0, rel=1e-6)
    assert hist["depart"] == "2023-10-31T06:00:00Z"
    assert hist["arrive"].startswith("2023-11-07")
    march = kidal_doc["plans"]["historical"]["march_table"]
    first = min(r["head_arrival"] for r in march)[:10]
    last = max(r["tail_clearance"] for r in march)[:10]
    span = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    assert span == 8, (first, last)
    # the column is always moving or halted: every night (and a day it did not
    # move, between sparse road nodes) is a halt, so no time goes unpriced
    plan = kidal_doc["plans"]["historical"]
    spans = sorted(
        [(g["depart"], g["arrive"]) for g in plan["legs"]]
        + [(h["start"], h["end"]) for h in plan["halts"]]
    )
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans)), spans
    assert all(g["mode"] == "clearance" for g in plan["legs"])
    # its waypoint: near Anefis on 4 November
    at_anefis = [g["arrive"] for g in plan["legs"] if g["to"] == "Anefis"]
    assert at_anefis and at_anefis[0].startswith("2023-11-04"), at_anefis


@pytest.mark.slow
def test_kidal_plan_beats_every_baseline(kidal_doc):
    """The optimised plan has fewer expected incidents than each baseline, or why."""
    opt = kidal_doc["summary"]
    for name, b in kidal_doc["baselines"].items():
        better = opt["expected_incidents"] < b["expected_incidents"]
        no_more_left = opt["value_left_behind"] <= b["value_left_behind"] + 1e-6
        explained = any(n.startswith(name) for n in kidal_doc["notes"])
        assert (better and no_more_left) or explained, name


@pytest.mark.slow
def test_kidal_plan_respects_the_rules(kidal_plan, kidal_doc):
    """Arrival by the deadline, halts only at halt sites, loads within capacity."""
    sc = kidal_plan.scenario
    assert kidal_doc["summary"]["arrive"] <= kidal_doc["scenario"]["deadline"]
    halt_sites = {s.name for s in sc.sites if s.can_halt}
    for h in kidal_doc["plans"]["optimised"]["halts"]:
        assert h["site"] in halt_sites or h["site"].startswith("roadside halt at km")
    by_id = {v.id: v for v in sc.vehicles}
    for row in kidal_doc["loads"]:
        v = by_id[row["vehicle"]]
        assert row["load_kg"] <= v.payload_kg + 1e-6
        assert row["deck_m2"] <= v.deck_m2 + 1e-6
    seats = sum(r["seats_used"] for r in kidal_doc["loads"] if r["status"] == "moving")
    assert seats >= sc.personnel
    lots = {lot.id: lot for lot in sc.lots}
    for row in kidal_doc["left_behind"]:
        if row["kind"] == "lot":
            assert not lots[row["id"]].mandatory
            if lots[row["id"]].sensitive:
                assert row["disposition"] == "destroyed"


@pytest.mark.slow
def test_kidal_march_table_is_ordered(kidal_doc):
    """Every march unit passes every checkpoint, start point to release point."""
    rows = kidal_doc["march_table"]
    units = kidal_doc["march_units"]
    cps = [r["checkpoint"] for r in rows if r["unit"] == units[0]["unit"]]
    assert cps[0] == "Kidal" and cps[-1] == "Gao"
    assert len(rows) == len(units) * len(cps)
    assert (
        sum(len(u["vehicles"]) for u in units)
        == kidal_doc["summary"]["vehicles_moving"]
    )
    assert max(len(u["vehicles"]) for u in units) <= 20
    for r in rows:
        assert r["tail_clearance"] > r["head_arrival"]


def test_pareto_front_trades_value_for_risk():
    """Raising the price of an incident never buys more risk or more value."""
    plan = plan_withdrawal(read_scenario(TINY), pareto=True)
    front = sorted(plan.pareto, key=lambda p: p["incident_usd"])
    assert len(front) >= 3 and front[0]["incident_usd"] == 0.0
    kept = [p for p in front if not p["dominated"]]
    assert kept
    for a, b in itertools.pairwise(kept):
        assert b["expected_incidents"] <= a["expected_incidents"] + 1e-9
        assert b["value_saved_usd"] <= a["value_saved_usd"] + 1e-6
    for p in front:
        assert 0.0 <= p["gap"] < 1.0
        assert p["proven"] == (p["gap"] <= plan.scenario.solver.gap_target)


@pytest.mark.slow
def test_kidal_march_tables_equal_the_legs_and_every_unit_keeps_the_rules(kidal_plan):
    """The march tables are the legs; every unit keeps the windows and the limit."""
    check_plan_column_rules(kidal_plan)


def test_console_summary_columns_line_up_and_running_costs_are_printed():
    """One column a plan, one cell a measure in each; running costs are a row."""
    from rich.console import Console

    from convoy.cli.plan import SUMMARY_ROWS, render_summary, summary_table

    doc = PlanDocument.from_plan(plan_withdrawal(read_scenario(TINY), runs=0))
    table = summary_table(doc)
    labels = [str(c) for c in table.columns[0].cells]
    extra = ["  90 % range", "background", "running cost"]
    assert labels == [label for label, _ in SUMMARY_ROWS] + extra
    names = ["optimised", *doc.baselines]
    assert [c.header for c in table.columns[1:]] == [n.replace("_", " ") for n in names]
    optimised = [str(c) for c in table.columns[1].cells]
    assert optimised[labels.index("vehicles")] == str(doc.summary.vehicles_moving)
    assert optimised[labels.index("running cost")] == (
        f"{doc.summary.running_cost_incidents:.2f}"
    )
    low, high = doc.summary.expected_incidents_low, doc.summary.expected_incidents_high
    assert optimised[labels.index("  90 % range")] == f"{low:.2f}-{high:.2f}"
    console = Console(width=250, record=True)
    render_summary(doc, console)
    text = console.export_text()
    assert "running cost" in text and "optimised" in text


def _clearance_km(doc: dict, name: str = "optimised") -> float:
    return sum(
        g["length_km"] for g in doc["plans"][name]["legs"] if g["mode"] == "clearance"
    )


def test_kidal_clearance_needs_clearance_vehicles(kidal_doc, tmp_path):
    """The plan clears with the fleet's engineers; without them no leg is cleared."""
    assert _clearance_km(kidal_doc) > 0
    folder = tmp_path / "kidal-gao"
    shutil.copytree(Path(__file__).parents[1] / "geodata" / "kidal-gao", folder)
    fleet = folder / "fleet.csv"
    lines = fleet.read_text().splitlines()
    kept = [x for x in lines if not x.endswith(",route_clearance")]
    assert len(lines) - len(kept) == 6
    fleet.write_text("\n".join(kept) + "\n")
    doc = PlanDocument.from_plan(plan_withdrawal(read_scenario(folder), runs=0))
    d = doc.to_dict()
    for name in d["plans"]:
        if name != "historical":  # the observed trip is priced as it was driven
            assert _clearance_km(d, name) == 0.0, name
    # clearance was worth something: without it the optimised plan is riskier
    assert (
        d["summary"]["expected_incidents"] > kidal_doc["summary"]["expected_incidents"]
    )

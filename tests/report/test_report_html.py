"""report.html and its charts: embedded images, tables, chart contents."""

from __future__ import annotations

import base64
import copy
import math
import re
from datetime import UTC, datetime

import numpy as np
import pytest

from convoy.document import ParetoPoint, PlanDocument
from convoy.errors import ScenarioError
from convoy.params import DEFAULT_DIURNAL_IED
from convoy.report import write_report
from convoy.report.html import CHARTS, baselines_table, left_behind_table
from convoy.report.plot_loads import left_behind_by_category
from convoy.report.plot_pareto import pareto_figure, plot_pareto, price_labels
from convoy.report.plot_simulation import poisson_pmf, simulation_figure
from convoy.report.plot_time_distance import pass_time_min, risk_time_grid

PNG = b"\x89PNG\r\n\x1a\n"


def test_every_chart_embedded(maps_dir):
    """report.html embeds each chart as a base64 PNG equal to the file beside it."""
    html = (maps_dir / "report.html").read_text(encoding="utf-8")
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    drawn = [c for c in CHARTS if c != "pareto.png"]  # the fixture has no sweep
    assert len(uris) == len(drawn)
    assert not (maps_dir / "pareto.png").exists()
    embedded = {base64.b64decode(u) for u in uris}
    for name in drawn:
        data = (maps_dir / name).read_bytes()
        assert data.startswith(PNG) and data in embedded, name
    assert 'src="http' not in html and "<script" not in html


def test_tables_present(maps_dir, export_plan, export_doc):
    """The baselines, simulation, loads and left-behind tables are in the page."""
    html = (maps_dir / "report.html").read_text(encoding="utf-8")
    assert html.count("<table>") == 4
    for label in (
        "Optimised plan",
        "Baseline: depart at once",
        "Baseline: daylight only",
        "Baseline: historical profile",
    ):
        assert label in html
    s = export_plan["summary"]
    assert f"{s['expected_incidents']:.3f}" in baselines_table(export_doc)


def test_left_behind_summary(export_plan, export_doc):
    """The left-behind table and chart add up the plan's rows by category and fate."""
    table = left_behind_by_category(export_doc)
    total = sum(v[2] for cell in table.values() for v in cell.values())
    want = sum(r["value_usd"] for r in export_plan["left_behind"])
    assert total == pytest.approx(want)
    assert table["container"]["handed_over"][0] == 1
    assert table["vehicle: recovery"]["destroyed"][2] == 300000.0
    assert "vehicle: recovery" in left_behind_table(export_doc)


def test_pareto_titles(tmp_path, export_plan, export_doc):
    """The risk-value chart says whether a price sweep is drawn, and draws it."""
    fig = pareto_figure(export_doc)
    ax = fig.axes[0]
    assert "no price sweep" in ax.get_title()
    assert len(ax.collections) == len(export_plan["plans"])  # one marker per plan
    swept = copy.deepcopy(export_plan)
    swept["pareto"] = [
        {
            "incident_usd": p,
            "expected_incidents": e,
            "value_saved_usd": v,
            "vehicles_moving": 15,
        }
        for p, e, v in ((1e6, 3.0, 8.6e6), (5e6, 2.1, 8.2e6), (2e7, 1.5, 7.0e6))
    ]
    swept = PlanDocument.from_dict(swept)
    ax = pareto_figure(swept).axes[0]
    assert ax.get_title().startswith("Pareto front")
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_xdata(), [7.0, 8.2, 8.6])
    assert "incidents" in ax.get_ylabel() and "USD" in ax.get_xlabel()
    assert plot_pareto(swept, tmp_path / "p.png").read_bytes().startswith(PNG)


def test_risk_time_grid_reference(export_plan, export_doc):
    """Heat map cells equal ied_per_km scaled by the diurnal profile d(h) / d(h0)."""
    rows = export_plan["plans"]["optimised"]["risk_along_route"][:20]
    pieces = export_doc.trip().risk_along_route[:20]
    t0 = datetime(2023, 10, 31, 0, 0, tzinfo=UTC)
    t1 = datetime(2023, 11, 1, 0, 0, tzinfo=UTC)
    times, km, grid = risk_time_grid(pieces, t0, t1, DEFAULT_DIURNAL_IED)
    d = np.asarray(DEFAULT_DIURNAL_IED) / np.mean(DEFAULT_DIURNAL_IED)
    assert grid.shape == (len(rows), len(times) - 1) == (20, 144)
    assert km[0] == rows[0]["km_from"] and km[-1] == rows[-1]["km_to"]
    for i, r in enumerate(rows):
        h0 = int(r["head_time"][11:13])
        for j in (0, 37, 90, 143):
            h = times[j].hour
            want = r["ied_per_km"] * d[h] / d[h0]
            assert grid[i, j] == pytest.approx(want, rel=1e-12)
        # at the head's own hour the grid gives back the plan's value
        assert grid[i, h0 * 6] == pytest.approx(r["ied_per_km"], rel=1e-12)


def test_pass_time(export_plan, export_doc):
    """Pass time: last unit's tail minus first unit's head at the first checkpoint."""
    rows = [r for r in export_plan["march_table"] if r["checkpoint"] == "Kidal"]
    head = min(r["head_arrival"] for r in rows)
    tail = max(r["tail_clearance"] for r in rows)
    f = "%Y-%m-%dT%H:%M:%SZ"
    want = (datetime.strptime(tail, f) - datetime.strptime(head, f)).total_seconds()
    want /= 60.0
    assert pass_time_min(export_doc.march_table) == pytest.approx(want)
    assert pass_time_min([]) == 0.0


def test_report_without_raster(tmp_path, export_doc, export_scenario):
    """Without risk.tif the report is still complete (the map has no raster)."""
    path = write_report(export_doc, export_scenario.sites, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(CHARTS) - 1  # no pareto
    assert not (tmp_path / "risk.tif").exists()


def test_report_with_infeasible_baseline(tmp_path, export_plan, export_scenario):
    """A baseline with no trajectory (infeasible) still gives a complete report."""
    plan = copy.deepcopy(export_plan)
    hist = plan["plans"]["historical"]
    hist.update(legs=[], halts=[], risk_along_route=[], trajectory=[])
    hist["summary"].update(feasible=False, note="misses the deadline")
    path = write_report(PlanDocument.from_dict(plan), export_scenario.sites, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(CHARTS) - 1  # no pareto
    assert "misses the deadline" in html


def test_price_labels_merge_equal_points():
    """Prices giving the same plan share one labelled point."""
    front = [
        ParetoPoint(
            incident_usd=1e6,
            expected_incidents=2.0,
            value_saved_usd=9e7,
            vehicles_moving=15,
        ),
        ParetoPoint(
            incident_usd=5e6,
            expected_incidents=2.0,
            value_saved_usd=9e7,
            vehicles_moving=15,
        ),
        ParetoPoint(
            incident_usd=2e7,
            expected_incidents=1.5,
            value_saved_usd=8e7,
            vehicles_moving=15,
        ),
    ]
    assert price_labels(front) == {(90.0, 2.0): [1e6, 5e6], (80.0, 1.5): [2e7]}


def test_how_sure_section(maps_dir, export_plan):
    """With a simulation, report.html has the "How sure" chart, table and P(miss)."""
    html = (maps_dir / "report.html").read_text(encoding="utf-8")
    sim = export_plan["simulation"]
    section = html[html.index("<h2>How sure</h2>") : html.index("<h2>Movement</h2>")]
    chart = base64.b64encode((maps_dir / "simulation.png").read_bytes()).decode()
    assert chart in section
    assert f"{sim['p_miss_deadline']:.3f}" in section
    assert f"{sim['num_runs']:,}" in section
    for head in ("mean", "p50", "p90", "p99", "P(0)", "P(&gt;=1)", "P(&gt;=3)"):
        assert f"<th>{head}</th>" in section
    assert f"{sim['incidents']['mean']:.2f}" in section


def test_report_without_simulation(tmp_path, export_plan, export_scenario):
    """Without a simulation the section says so, offers convoy simulate, no chart."""
    plan = copy.deepcopy(export_plan)
    del plan["simulation"]
    plan = PlanDocument.from_dict(plan)
    html = write_report(plan, export_scenario.sites, tmp_path).read_text(
        encoding="utf-8"
    )
    assert "No Monte Carlo simulation" in html and "convoy simulate" in html
    assert html.count("data:image/png;base64,") == len(CHARTS) - 2
    assert not (tmp_path / "simulation.png").exists()
    with pytest.raises(ScenarioError, match="simulation"):
        simulation_figure(plan)


def test_simulation_chart_contents(export_plan, export_doc):
    """The spread chart draws the stored histograms as shares of runs, with marks."""
    sim = export_plan["simulation"]
    fig = simulation_figure(export_doc)
    inc, lost, arrive = fig.axes[:3]
    counts = np.asarray(sim["histograms"]["incidents"]["counts"], dtype=float)
    heights = [p.get_height() for p in inc.patches]
    np.testing.assert_allclose(heights, 100 * counts / counts.sum())
    assert sum(heights) == pytest.approx(100.0)
    planned = sim["planned"]["expected_incidents"]
    assert any(np.allclose(line.get_xdata(), planned) for line in inc.lines), (
        "planned expected incidents not marked"
    )
    lost_counts = sim["histograms"]["vehicles_lost"]["counts"]
    assert len(lost.patches) == len(lost_counts)
    assert sum(p.get_height() for p in arrive.patches) == pytest.approx(100.0)
    for ax in (inc, lost, arrive):
        assert ax.get_title() and ax.get_xlabel() and "%" in ax.get_ylabel()
        assert ax.get_legend() is not None
    assert "deadline" in arrive.get_title() and "UTC" in arrive.get_xlabel()


def test_simulation_chart_late_runs(export_plan):
    """A deadline inside the spread is drawn, and runs after it get their own bars."""
    plan = copy.deepcopy(export_plan)
    sim = plan["simulation"]
    sim["planned"]["deadline"] = sim["arrival"]["p50"]
    arrive = simulation_figure(PlanDocument.from_dict(plan)).axes[2]
    labels = [t.get_text() for t in arrive.get_legend().get_texts()]
    assert "after the deadline" in labels
    assert any(t.startswith("deadline") for t in labels)


def test_poisson_pmf_reference():
    """The Poisson marks equal exp(-m) m^k / k!, the open top bar the tail."""
    m = 1.7
    want = [math.exp(-m) * m**k / math.factorial(k) for k in range(6)]
    np.testing.assert_allclose(poisson_pmf(m, 6), want, rtol=1e-12)
    top = poisson_pmf(m, 4, open_top=True)
    assert top[-1] == pytest.approx(1 - sum(want[:3]))
    np.testing.assert_array_equal(poisson_pmf(0.0, 3), [1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("status", "gap", "words"),
    [
        ("NOT_PROVEN", 0.05, "a gap of 5.00 %"),
        ("GREEDY", None, "greedy heuristic"),
        ("WITHIN_TARGET", 0.004, None),
    ],
)
def test_unproven_loads_warn_in_the_report(
    tmp_path, export_plan, export_scenario, status, gap, words
):
    """A loads solve not proven within the target is a warning box at the top."""
    plan = copy.deepcopy(export_plan)
    plan["loadout"].update(status=status, gap=gap, gap_target=0.01, time_limit_s=0.2)
    doc = PlanDocument.from_dict(plan)
    html = write_report(doc, export_scenario.sites, tmp_path).read_text("utf-8")
    if words is None:
        assert doc.loadout.warning() is None
        assert 'class="warning"' not in html
    else:
        assert 'class="warning"' in html and words in html
        assert html.index('class="warning"') < html.index("<h2>Routes</h2>")
        assert "target 1 %" in html

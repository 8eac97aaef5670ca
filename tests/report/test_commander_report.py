"""The commander's report: bottom line, itinerary, march table, template, PDF."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from layout_checks import narrow_overflow

from convoy.cli.main import cli
from convoy.document import PlanDocument
from convoy.errors import ScenarioError
from convoy.report import write_report
from convoy.report.bottom_line import (
    comparisons,
    incidents_interval,
    is_named_place,
    itinerary,
    route_in_words,
    vehicle_counts,
    why_this_route,
)
from convoy.report.pdf import pdf_engine_problem
from convoy.times import dtg


def test_dtg():
    assert dtg(datetime(2023, 10, 31, 11, 0, tzinfo=UTC)) == "311100Z OCT 23"
    assert dtg(datetime(2024, 1, 2, 3, 4, tzinfo=UTC)) == "020304Z JAN 24"
    assert dtg(None) == ""


def test_itinerary_adds_up(export_doc):
    """Stretches cover every leg once: km, clearance km and times agree."""
    legs = export_doc.trip().legs
    stretches = itinerary(legs)
    assert sum(s.legs for s in stretches) == len(legs)
    assert sum(s.km for s in stretches) == pytest.approx(sum(g.length_km for g in legs))
    clear = sum(g.length_km for g in legs if g.mode == "clearance")
    assert sum(s.km_clearance for s in stretches) == pytest.approx(clear)
    assert stretches[0].start == legs[0].from_site
    assert stretches[-1].end == legs[-1].to_site
    assert stretches[0].depart == legs[0].depart
    assert stretches[-1].arrive == legs[-1].arrive
    for a, b in itertools.pairwise(stretches):
        assert a.end == b.start and a.arrive <= b.depart


def test_route_names_only_places(export_doc):
    trip = export_doc.trip()
    words = route_in_words(trip)
    assert words.startswith(trip.legs[0].from_site)
    assert words.endswith(trip.legs[-1].to_site)
    assert not re.search(r"\) km \d", words)
    assert is_named_place("Anefis") and not is_named_place("km 36")


def test_comparisons_and_counts(export_doc):
    mine = export_doc.summary.expected_incidents
    for c, (_, s) in zip(
        comparisons(export_doc), export_doc.baselines.items(), strict=True
    ):
        assert c.difference == pytest.approx(s.expected_incidents - mine)
        assert c.ratio == pytest.approx(s.expected_incidents / mine)
    counts = vehicle_counts(export_doc)
    assert sum(counts.values()) == len(export_doc.loads)


def test_why_from_data(export_doc):
    """Reasons name roads the baselines take and the optimised plan does not."""
    reasons = why_this_route(export_doc)
    mine = {g.road for g in export_doc.trip().legs}
    for key, trip in export_doc.plans.items():
        other = {g.road for g in trip.legs} - mine
        for road in other:
            assert any(road in r for r in reasons), (key, road)
    assert len(reasons) == len(export_doc.plans)


def test_interval_from_histogram(export_doc):
    got = incidents_interval(export_doc)
    sim = export_doc.simulation
    if sim is None:
        assert got is None
        return
    assert got is not None
    _, lo, hi = got
    assert lo <= hi
    if sim.histograms is not None:
        counts = sim.histograms.incidents.counts
        total = sum(counts)
        assert sum(counts[: lo + 1]) >= 0.1 * total
        assert sum(counts[: hi + 1]) >= 0.9 * total
        assert hi == 0 or sum(counts[:hi]) < 0.9 * total


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return re.sub(r"\s+", " ", " ".join(p.parts))


def test_page_order_and_content(maps_dir, export_doc):
    """Bottom line first, then itinerary and march table with every row."""
    html = (maps_dir / "report.html").read_text(encoding="utf-8")
    i_bl = html.index('class="bottom-line"')
    i_it = html.index("<h2>Itinerary")
    i_mt = html.index("<h2>March table")
    i_map = html.index("<h2>Routes")
    assert i_bl < i_it < i_mt < i_map
    text = _text(html)
    s = export_doc.summary
    assert dtg(s.depart) in text and dtg(s.arrive) in text
    for r in export_doc.march_table:
        assert f"{r.checkpoint} {r.kind} {r.km:.1f} {dtg(r.head_arrival)}" in text
    assert "@page { size: A4 landscape" in html
    assert "overflow-x: auto" in html and 'name="viewport"' in html


def test_template_override(tmp_path, export_doc, export_scenario):
    tpl = tmp_path / "mine.html.j2"
    tpl.write_text("<p>{{ title }} departs {{ bl.depart }}</p>", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    html = write_report(export_doc, export_scenario.sites, out, template=tpl)
    assert html.read_text("utf-8") == (
        f"<p>{export_doc.scenario.title} departs {dtg(export_doc.summary.depart)}</p>"
    )
    bad = tmp_path / "bad.j2"
    bad.write_text("{% for %}", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.j2"):
        write_report(export_doc, export_scenario.sites, out, template=bad)
    with pytest.raises(ScenarioError, match="no file"):
        write_report(export_doc, export_scenario.sites, out, template=tmp_path / "x")


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory, export_doc):
    """A plan folder with plan.json only (the scenario path points at the fixture)."""
    d = tmp_path_factory.mktemp("plan")
    export_doc.write(d / "plan.json")
    return d


def test_cli_errors(tmp_path, plan_folder):
    r = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "plan.json" in r.output
    r = CliRunner().invoke(
        cli, ["report", str(plan_folder), "--template", str(tmp_path / "none.j2")]
    )
    assert r.exit_code == 2 and "none.j2" in r.output


def _pdf_tools() -> str | None:
    if pdf_engine_problem() is not None:
        return "WeasyPrint is not usable here"
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        return "poppler-utils (pdftoppm, pdftotext) not installed"
    return None


@pytest.mark.skipif(_pdf_tools() is not None, reason=str(_pdf_tools()))
def test_pdf_pages_hold_whole_tables(plan_folder):
    """report.pdf: A4 landscape pages, every march-table row, white right margins."""
    np = pytest.importorskip("numpy")
    from PIL import Image

    r = CliRunner().invoke(cli, ["report", str(plan_folder), "--pdf"])
    assert r.exit_code == 0, r.output
    pdf = plan_folder / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert w == pytest.approx(841.89, abs=1) and h == pytest.approx(595.28, abs=1)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    doc = PlanDocument.read(plan_folder / "plan.json")
    flat = re.sub(r"\s+", " ", text)
    for row in doc.march_table:
        cells = (
            f"{row.kind} {row.km:.1f} {dtg(row.head_arrival)} {dtg(row.tail_clearance)}"
        )
        assert cells in flat, cells
    for col in ("running cost (incidents)", "feasible", "note"):
        assert col in flat  # the baselines table's last columns are on the page
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(pdf), str(plan_folder / "page")],
        check=True,
    )
    pngs = sorted(plan_folder.glob("page-*.png"))
    assert len(pngs) == pages >= 2
    for png in pngs:
        img = np.asarray(Image.open(png).convert("L"))
        assert img.shape[1] > img.shape[0]  # landscape
        margin = img[:, -int(img.shape[1] * 12 / 297) + 2 :]
        assert margin.min() >= 250, png.name  # nothing printed into the right margin


def test_scenario_template_key(tmp_path, export_doc, export_scenario):
    """[report] template is read from scenario.toml and used by convoy report."""
    scen = tmp_path / "scen"
    shutil.copytree(export_scenario.files.scenario.parent, scen)
    toml = scen / "scenario.toml"
    toml.write_text(
        toml.read_text("utf-8") + '\n[report]\ntemplate = "mine.j2"\n', "utf-8"
    )
    (scen / "mine.j2").write_text("route: {{ bl.route }}", encoding="utf-8")
    raw = export_doc.to_dict()
    raw["scenario"]["path"] = str(scen)
    plan = tmp_path / "plan"
    plan.mkdir()
    PlanDocument.from_dict(raw).write(plan / "plan.json")
    r = CliRunner().invoke(cli, ["report", str(plan)])
    assert r.exit_code == 0, r.output
    want = route_in_words(export_doc.trip())
    assert (plan / "report.html").read_text("utf-8") == f"route: {want}"


@pytest.mark.skipif(pdf_engine_problem() is not None, reason="WeasyPrint not usable")
def test_narrow_screen_does_not_overflow(maps_dir):
    """At 480 px (screen media) nothing passes the right edge but inside .scroll."""
    html = (maps_dir / "report.html").read_text(encoding="utf-8")
    bad = narrow_overflow(html)
    assert not bad, bad[:5]
    # Without the .scroll boxes the wide tables would overflow: the check can fail.
    assert narrow_overflow(html.replace('class="scroll"', 'class="plain"'))


def test_vehicle_counts_explained(maps_dir, export_doc):
    """Summary count = own power + towed; the page says both, as the chart does."""
    counts = vehicle_counts(export_doc)
    towed = counts.get("towed", 0)
    own = counts.get("moving", 0)
    text = _text((maps_dir / "report.html").read_text(encoding="utf-8"))
    assert f"{own + towed} vehicles: {own} under their own power" in text
    if towed and export_doc.simulation is not None:
        assert export_doc.simulation.planned.vehicles_moving == own
        assert f"{own} under their own power and {towed} towed" in text


def test_arrival_axis_ticks_any_span_without_a_warning():
    """The arrival panel's date ticks: 3-6 on any span from minutes to months."""
    import warnings
    from datetime import UTC, datetime, timedelta

    import matplotlib.pyplot as plt
    import numpy as np

    from convoy.report._common import day_numbers
    from convoy.report.plot_simulation import _arrival_locator

    t0 = datetime(2023, 11, 1, tzinfo=UTC)
    for hours in np.geomspace(0.2, 24 * 90, 200):
        fig, ax = plt.subplots()
        x = day_numbers([t0, t0 + timedelta(hours=float(hours))])
        ax.set_xlim(x[0], x[1])
        loc = _arrival_locator()
        ax.xaxis.set_major_locator(loc)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(loc()) >= 2, hours
        plt.close(fig)

"""The sector report: bottom line first, a table per camp, notes, escaping, layout."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from layout_checks import narrow_overflow

from convoy.errors import ScenarioError
from convoy.report.pdf import pdf_engine_problem
from convoy.report.sector import (
    plot_sector_timeline,
    render_sector,
    render_sector_html,
    timeline_labels,
)
from convoy.times import dtg, parse_utc

HOSTILE = "<script>alert(1)</script>"


def _sector() -> dict[str, Any]:
    """A hand-made sector.json: two camps, one hostile name, a column north."""
    west = f"West{HOSTILE}"
    return {
        "scenario": {"name": "hand", "title": "Hand-made sector", "seed": 3},
        "routing": {
            "status": "ROUTING_SUCCESS",
            "objective": 42_000_000.0,
            "first_solution": "PARALLEL_CHEAPEST_INSERTION",
            "metaheuristic": "GUIDED_LOCAL_SEARCH",
            "time_limit_s": 30.0,
            "cargo_groups": 7,
            "groups_left": 2,
            "northbound": True,
        },
        "camps": [
            {
                "name": "North",
                "personnel": 20,
                "opens": "2023-10-31T06:00:00Z",
                "closes": "2023-11-01T18:00:00Z",
                "vehicles": 4,
                "lots": 4,
                "convoys": ["North-1", "North-2"],
                "last_departure": "2023-11-01T05:30:00Z",
                "empty_by_closing": True,
                "lots_left_by_routing": 1,
                "expected_incidents": 7.5,
            },
            {
                "name": west,
                "personnel": 2,
                "opens": "2023-10-31T06:00:00Z",
                "closes": "2023-10-31T12:00:00Z",
                "vehicles": 1,
                "lots": 1,
                "convoys": [f"{west}-1"],
                "last_departure": "2023-10-31T13:00:00Z",
                "empty_by_closing": False,
                "lots_left_by_routing": 1,
                "expected_incidents": 4.5,
            },
        ],
        "convoys": [
            {
                "name": "North-1",
                "camp": "North",
                "folder": "convoys/North-1",
                "depart": "2023-10-31T09:00:00Z",
                "arrive": "2023-10-31T11:10:00Z",
                "vehicles": 2,
                "vehicles_moving": 2,
                "lots": 2,
                "lots_left": 0,
                "personnel": 12,
                "expected_incidents": 2.25,
                "value_left_usd": 0.0,
            },
            {
                "name": "North-2",
                "camp": "North",
                "folder": "convoys/North-2",
                "depart": "2023-11-01T05:30:00Z",
                "arrive": "2023-11-01T07:35:00Z",
                "vehicles": 3,
                "vehicles_moving": 2,
                "lots": 1,
                "lots_left": 1,
                "personnel": 8,
                "expected_incidents": 3.0,
                "value_left_usd": 1_090_000.0,
            },
            {
                "name": f"{west}-1",
                "camp": west,
                "folder": f"convoys/{west}-1",
                "depart": "2023-10-31T13:00:00Z",
                "arrive": "2023-10-31T14:53:00Z",
                "vehicles": 1,
                "vehicles_moving": 1,
                "lots": 0,
                "lots_left": 1,
                "personnel": 2,
                "expected_incidents": 4.5,
                "value_left_usd": 0.0,
            },
        ],
        "north_convoys": [
            {
                "name": "N-North-2",
                "camp": "North",
                "for_convoy": "North-2",
                "vehicles": 1,
                "vehicle_ids": ["TRK-9"],
                "depart": "2023-10-31T20:00:00Z",
                "arrive": "2023-10-31T22:15:00Z",
                "expected_incidents": 2.25,
            }
        ],
        "options": [
            {
                "label": "as given",
                "convoys": 3,
                "north_convoys": 1,
                "expected_incidents": 12.0,
                "value_left_usd": 1_130_000.0,
                "cost_usd": 61_130_000.0,
                "chosen": True,
            },
            {
                "label": "no vehicle from South",
                "convoys": 3,
                "north_convoys": 0,
                "expected_incidents": 11.0,
                "value_left_usd": 9_000_000.0,
                "cost_usd": 64_000_000.0,
                "chosen": False,
            },
        ],
        "vehicles_left": ["JEEP-7"],
        "left": [
            {
                "camp": "North",
                "lot": "L03",
                "category": "container",
                "value_usd": 40_000.0,
                "sensitive": False,
                "destroy_hours": 0.0,
                "reason": "no room in the camp's last convoy: abandoned",
            },
            {
                "camp": west,
                "lot": "L09",
                "category": "crypto",
                "value_usd": 5_000.0,
                "sensitive": True,
                "destroy_hours": 1.5,
                "reason": f"not routed {HOSTILE}",
            },
        ],
        "every_contingent_for_itself": {
            "North": {
                "depart": "2023-11-01T06:00:00Z",
                "arrive": "2023-11-01T06:58:54Z",
                "expected_incidents": 4.86,
                "vehicles_moving": 2,
                "value_carried_usd": 1_090_000.0,
                "value_left_usd": 1_090_000.0,
            },
            west: {
                "depart": "2023-10-31T06:00:00Z",
                "arrive": "2023-10-31T07:53:00Z",
                "expected_incidents": 4.75,
                "vehicles_moving": 1,
                "value_carried_usd": 410_000.0,
                "value_left_usd": 0.0,
            },
        },
        "totals": {
            "expected_incidents": 12.0,
            "every_contingent_for_itself_incidents": 9.61,
            "value_left_usd": 1_130_000.0,
            "every_contingent_for_itself_value_left_usd": 1_090_000.0,
        },
        "notes": [
            "convoy North-3 cannot leave before North closes; its 1 vehicles of the "
            "camp join North-2",
            f"a note with {HOSTILE} in it",
        ],
    }


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return re.sub(r"\s+", " ", " ".join(p.parts))


def _bottom_line(html: str) -> str:
    start = html.index('class="bottom-line"')
    return _text(html[start : html.index("</section>", start)])


def _camp_tables(html: str) -> list[str]:
    return re.findall(r'<table class="camp-table">.*?</table>', html, flags=re.S)


def _d(text: str) -> str:
    return dtg(parse_utc(text))


def test_bottom_line_first_with_the_figures():
    sector = _sector()
    html = render_sector(sector, {})
    i_bl = html.index('class="bottom-line"')
    i_north = html.index("<h2>North</h2>")
    i_compared = html.index("<h2>Routings compared")
    i_left = html.index("<h2>Left at the camps")
    assert i_bl < i_north < i_compared < i_left
    bl = _bottom_line(html)
    assert "3 convoys from 2 of 2 camps" in bl
    assert "first 1 empty column (1 vehicle) drives north" in bl
    assert "5 vehicles drive (of 6 the routing assigned" in bl
    # when each camp is empty, against its closing, as DTGs
    assert f"North : last convoy departs {_d('2023-11-01T05:30:00Z')}" in bl
    assert f"camp closes {_d('2023-11-01T18:00:00Z')}" in bl
    assert "NOT empty by its closing" in bl  # West's convoy leaves after it closes
    assert "12.00 against 9.61 with every contingent for itself (+2.39, 125 %)" in bl
    assert "1.13 M USD in lots and vehicles (2 lots, 1 vehicle" in bl
    assert "JEEP-7" in bl
    # the vehicles from the destination and every routing, the chosen one marked
    assert "used : 1 empty column, 1 vehicle;" in bl
    assert "as given (chosen) : 3 convoys, 1 north, 12.00 expected incidents" in bl
    assert "no vehicle from South: 3 convoys, 0 north, 11.00" in bl
    # every note, in the bottom line
    for note in sector["notes"]:
        assert note in bl
    assert 'class="warning" id="notes"' in html


def test_a_table_per_camp():
    sector = _sector()
    html = render_sector(sector, {})
    tables = _camp_tables(html)
    assert len(tables) == len(sector["camps"])
    north, west = (_text(t) for t in tables)
    for c in sector["convoys"][:2]:
        row = (
            f"{c['name']} south to the destination {_d(c['depart'])} "
            f"{_d(c['arrive'])} {c['vehicles']} {c['vehicles_moving']} {c['lots']} "
            f"{c['lots_left']} {c['expected_incidents']:.2f}"
        )
        assert row in north, row
    assert "N-North-2 empty, north from the destination for North-2" in north
    assert f"{_d('2023-10-31T20:00:00Z')} {_d('2023-10-31T22:15:00Z')}" in north
    assert "every contingent for itself the camp's own vehicles" in north
    assert "4.86" in north and "7.50" in north  # the baseline, the camp's total
    assert "North-1" not in west and "N-North-2" not in west
    assert "4.75" in west
    # each convoy's own report, relative to the sector's folder
    assert 'href="convoys/North-1/report.html"' in tables[0]
    assert 'href="convoys/North-2/report.html"' in tables[0]
    assert re.search(r'href="convoys/West%3Cscript%3E[^"]*-1/report\.html"', tables[1])


def test_hostile_text_is_escaped():
    html = render_sector(_sector(), {})
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = _text(html)
    assert f"West{HOSTILE}" in text  # shown as text, every time
    assert f"a note with {HOSTILE} in it" in text
    assert f"not routed {HOSTILE}" in text


def test_routings_compared_only_with_two():
    sector = _sector()
    html = render_sector(sector, {})
    compared = html[html.index("<h2>Routings compared") :]
    assert '<tr class="best"><td>as given (chosen)</td>' in compared
    one = copy.deepcopy(sector)
    one["options"] = one["options"][:1]
    one["north_convoys"] = []
    one["routing"]["northbound"] = False
    html = render_sector(one, {})
    assert "Routings compared" not in html
    assert "not allowed" in _bottom_line(html)
    one["notes"] = []
    html = render_sector(one, {})
    assert 'id="notes"' not in html


def test_charts_embedded_and_template_override(tmp_path: Path):
    sector = _sector()
    plot_sector_timeline(sector, tmp_path / "sector_timeline.png")
    page = render_sector_html(sector, tmp_path / "sector_report.html")
    html = page.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 1  # no map drawn here
    assert "@page { size: A4 landscape" in html and 'name="viewport"' in html
    tpl = tmp_path / "mine.html.j2"
    tpl.write_text(
        "{{ title }}: {{ bl.convoys }} convoys, first {{ dtg(camps[0].closes) }}"
        "{% for n in notes %}|{{ n }}{% endfor %}",
        encoding="utf-8",
    )
    render_sector_html(sector, page, template=tpl)
    assert page.read_text(encoding="utf-8") == (
        f"Hand-made sector: 3 convoys, first {_d('2023-11-01T18:00:00Z')}"
        "|convoy North-3 cannot leave before North closes; its 1 vehicles of the "
        "camp join North-2|a note with &lt;script&gt;alert(1)&lt;/script&gt; in it"
    )
    bad = tmp_path / "bad.j2"
    bad.write_text("{% for %}", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.j2"):
        render_sector_html(sector, page, template=bad)
    with pytest.raises(ScenarioError, match="no file"):
        render_sector_html(sector, page, template=tmp_path / "none.j2")


def test_timeline_rows_by_camp_with_the_columns_north():
    sector = _sector()
    west = sector["camps"][1]["name"]
    assert timeline_labels(sector) == [
        "N-North-2 (\u2191 north)",
        "North-1 (\u2193 south)",
        "North-2 (\u2193 south)",
        f"{west}-1 (\u2193 south)",
    ]
    sector["convoys"] = sector["convoys"][:2]
    assert timeline_labels(sector)[-1] == f"{west}: no convoy"


@pytest.mark.skipif(pdf_engine_problem() is not None, reason="WeasyPrint not usable")
def test_narrow_screen_does_not_overflow(tmp_path: Path):
    """At 480 px (screen media) nothing passes the right edge but inside .scroll."""
    sector = _sector()
    plot_sector_timeline(sector, tmp_path / "sector_timeline.png")
    html = render_sector_html(sector, tmp_path / "sector_report.html").read_text(
        encoding="utf-8"
    )
    bad = narrow_overflow(html)
    assert not bad, bad[:5]
    # Without the .scroll boxes the camp tables would overflow: the check can fail.
    assert narrow_overflow(html.replace('class="scroll"', 'class="plain"'))


def test_timeline_names_a_convoy_that_joins_another() -> None:
    sector = {
        "camps": [
            {
                "name": "A",
                "opens": "2023-10-17T06:00:00Z",
                "closes": "2023-10-21T18:00:00Z",
            },
            {
                "name": "B",
                "opens": "2023-10-17T06:00:00Z",
                "closes": "2023-10-23T18:00:00Z",
            },
        ],
        "convoys": [
            {
                "name": "A-1",
                "camp": "A",
                "to": "B",
                "joins": "B-1",
                "depart": "2023-10-18T05:30:00Z",
                "arrive": "2023-10-18T09:00:00Z",
                "vehicles": 3,
            },
            {
                "name": "B-1",
                "camp": "B",
                "to": "Gao",
                "joins": "",
                "depart": "2023-10-19T05:30:00Z",
                "arrive": "2023-10-22T09:00:00Z",
                "vehicles": 5,
            },
        ],
        "north_convoys": [],
    }
    labels = timeline_labels(sector)
    assert "A-1 (\u2193 to B, joins B-1)" in labels
    assert "B-1 (\u2193 south)" in labels

"""Safe CSV cells; `convoy export` of a broken plan.json: exit 2, nothing rewritten."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from convoy.cli.main import cli
from convoy.document import PlanDocument, canonical_json
from convoy.outputs.maps import MAP_FILES, REPORT_CHARTS
from convoy.outputs.tables import FORMULA_STARTS, safe_text, write_tables

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_text_quotes_formulas(text):
    """Each formula start gets one leading quote; the rest of the text is kept."""
    assert safe_text(text) == "'" + text
    assert safe_text("V-01") == "V-01" and safe_text("") == ""


def test_tables_neutralise_hostile_ids(tmp_path, export_plan):
    """Hostile ids, types, categories are quoted in every CSV; plan.json keeps them."""
    raw = json.loads(canonical_json(export_plan))
    load, left = raw["loads"][0], raw["left_behind"][0]
    load["vehicle"], load["type"] = HOSTILE[0], HOSTILE[3]
    load["lots"] = [HOSTILE[1], *load["lots"]]
    left["id"], left["category"], left["reason"] = HOSTILE[2], HOSTILE[4], HOSTILE[5]
    raw["march_table"][0]["unit"] = HOSTILE[0]
    doc = PlanDocument.from_dict(raw)
    write_tables(doc, tmp_path)
    loads = _rows(tmp_path / "loads.csv")
    assert loads[0]["vehicle"] == "'" + HOSTILE[0]
    assert loads[0]["type"] == "'" + HOSTILE[3]
    assert loads[0]["lots"].startswith("'" + HOSTILE[1] + " ")
    lb = _rows(tmp_path / "left_behind.csv")
    assert (lb[0]["id"], lb[0]["category"]) == ("'" + HOSTILE[2], "'" + HOSTILE[4])
    assert lb[0]["reason"] == "'\nCR"  # a bare CR would split the row
    assert _rows(tmp_path / "march_table.csv")[0]["unit"] == "'" + HOSTILE[0]
    # no text cell of any table starts a formula; the document keeps the true value
    for name in ("loads.csv", "left_behind.csv", "march_table.csv"):
        for row in _rows(tmp_path / name):
            for value in row.values():
                assert not value.startswith(FORMULA_STARTS[:2] + FORMULA_STARTS[3:])
    assert doc.loads[0].vehicle == HOSTILE[0]
    assert json.loads(doc.to_json())["loads"][0]["vehicle"] == HOSTILE[0]


def test_negative_numbers_stay_numbers(tmp_path, export_plan):
    """A number convoy writes as a number is never quoted, negative or not."""
    raw = json.loads(canonical_json(export_plan))
    raw["left_behind"][0]["value_usd"] = -1234.5
    write_tables(PlanDocument.from_dict(raw), tmp_path)
    assert _rows(tmp_path / "left_behind.csv")[0]["value_usd"] == "-1234.5"


def _digests(d):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in d.iterdir()}


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.__setitem__("plans", {}), ["plans", "'optimised'"]),
        (
            lambda d: d["plans"]["optimised"]["summary"].__setitem__(
                "distance_km", "abc"
            ),
            ["plans.optimised.summary", "distance_km", "'abc'"],
        ),
        (
            lambda d: d["plans"]["optimised"].__setitem__("legs", 5),
            ["plans.optimised", "legs", "a list"],
        ),
        (lambda d: d.__setitem__("loads", "x"), ["loads"]),
    ],
)
def test_export_of_a_broken_plan_rewrites_nothing(
    tmp_path, export_plan, maps_dir, edit, words
):
    """No plans, a mistyped number or list: exit 2 naming the field; maps untouched."""
    d = tmp_path / "run"
    d.mkdir()
    raw = json.loads(canonical_json(export_plan))
    edit(raw)
    (d / "plan.json").write_text(json.dumps(raw))
    for name in (*MAP_FILES, *REPORT_CHARTS):
        if (maps_dir / name).is_file():  # pareto.png only with --pareto
            shutil.copy2(maps_dir / name, d / name)
    before = _digests(d)
    result = CliRunner().invoke(cli, ["export", "--overwrite", str(d)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output
    assert _digests(d) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]

"""The gallery of defective inputs, each through the API and the command line.

Every folder of ``tests/data/defects/`` (see ``tests/conftest.py``) is the tiny
scenario with one defect. Each must be refused by :func:`read_scenario` and by
``convoy plan`` with exit 2, no traceback, nothing written, and one line of the
message naming the file, the row or feature, and the field (only the file for a
defect of a whole file, no field for one of a whole row: its ``scope``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEFECTS, GALLERY, TINY

from convoy.cli.main import cli
from convoy.errors import ScenarioError
from convoy.io.scenario import read_scenario


def _line(message: str, expect: list[str]) -> str | None:
    return next(
        (ln for ln in message.splitlines() if all(e in ln for e in expect)), None
    )


def _listing(d: Path) -> dict[str, int]:
    return {str(p.relative_to(d)): p.stat().st_mtime_ns for p in d.rglob("*")}


def test_gallery_folders_are_well_formed():
    """Each folder replaces only the tiny scenario's files (or adds a layer's)."""
    assert len(DEFECTS) >= 60
    tiny = {p.name for p in TINY.iterdir()}
    for name, spec in DEFECTS.items():
        files = {p.name for p in (GALLERY / name).iterdir()} - {"defect.toml"}
        assert files or spec.remove, name
        assert set(spec.remove) <= tiny, name
        assert spec.file, name
        assert spec.scope in ("", "row", "file"), name
        if spec.scope != "file":
            assert spec.where, f"{name} names no row or feature"
        if not spec.scope:
            assert spec.field, f"{name} names no field"


def test_defect_through_api_and_cli(defect, tmp_path):
    """Refused by read_scenario and by `convoy plan`: exit 2, named, nothing written."""
    before = _listing(defect.path)
    with pytest.raises(ScenarioError) as err:
        read_scenario(defect.path)
    line = _line(str(err.value), defect.expect)
    assert line, f"{defect.name}: no line names {defect.expect} in:\n{err.value}"

    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["plan", str(defect.path), "-o", str(out)], env=dict(os.environ)
    )
    assert result.exit_code == 2, result.output
    err_text = result.stderr
    assert "Traceback" not in result.output and "Traceback" not in err_text
    assert err_text.startswith("error: ")
    assert _line(err_text, defect.expect), f"{defect.name}:\n{err_text}"
    assert not out.exists()
    assert _listing(defect.path) == before

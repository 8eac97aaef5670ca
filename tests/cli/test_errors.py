"""Every failure of a command is one message and exit code 2; -v adds the traceback.

Operating-system errors are simulated by patching the step that writes (root ignores
file modes); each test checks the exit code, the message and that OUT is as before.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from convoy.cli.main import cli
from convoy.outputs import folder

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
PLAN = ["plan", "--no-maps", "--runs", "0", "--overwrite"]


def _tree(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """OUT holding a previous output set and a user's file."""
    out = tmp_path / "out"
    out.mkdir()
    for n in folder.PLAN_FILES:
        (out / n).write_text(f"previous {n}\n")
    (out / "notes.txt").write_text("mine\n")
    return out


def _invoke(args: list[str]):
    return CliRunner().invoke(cli, args)


def _fake_plan(*_a, **_k):
    return None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "disk full"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENAMETOOLONG, "file name too long"),
    ],
)
def test_os_error_while_writing(previous, monkeypatch, code, words):
    """An OS error while writing: exit 2, the path and cause named, OUT unchanged."""
    before = _tree(previous)

    def write_then_fail(plan, out_dir, **_k):
        (out_dir / "plan.json").write_text("half")
        path = out_dir / "loads.csv"
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(folder, "plan_withdrawal", _fake_plan)
    monkeypatch.setattr(folder, "write_plan_files", write_then_fail)
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 2, result.output
    assert "loads.csv" in result.output and words in result.output
    assert "Traceback" not in result.output
    assert _tree(previous) == before
    assert not [p for p in previous.parent.iterdir() if p.name.startswith(".convoy")]


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OverflowError("int too large to convert"), "too large to compute"),
        (RuntimeError("CpSolver failed"), "the solver failed: CpSolver failed"),
        (MemoryError(), "out of memory"),
    ],
)
def test_numeric_and_solver_failures(previous, monkeypatch, exc, words):
    """Overflow, a solver failure, memory: exit 2 and a message; -v: the traceback."""
    before = _tree(previous)

    def fail(*_a, **_k):
        raise exc

    monkeypatch.setattr(folder, "plan_withdrawal", fail)
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert _tree(previous) == before
    for args in (["-v", *PLAN], [*PLAN, "-v"]):
        result = _invoke([*args, "-o", str(previous), str(TINY)])
        assert result.exit_code == 2
        assert "Traceback" in result.output and words in result.output


def test_a_bug_keeps_its_traceback(previous, monkeypatch):
    """Anything unexpected is not dressed up as an input error."""

    def fail(*_a, **_k):
        msg = "bug"
        raise KeyError(msg)

    monkeypatch.setattr(folder, "plan_withdrawal", fail)
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)


def test_out_is_a_file(tmp_path):
    """OUT an existing file: exit 2 naming it, the file unchanged."""
    f = tmp_path / "out"
    f.write_text("not a folder")
    result = _invoke([*PLAN, "-o", str(f), str(TINY)])
    assert result.exit_code == 2
    assert f"{f}: expected an output folder, found an existing file" in result.output
    assert f.read_text() == "not a folder"


def test_name_too_long(tmp_path):
    """An OUT name longer than the file system allows: exit 2, no traceback."""
    out = tmp_path / ("x" * 300)
    result = _invoke([*PLAN, "-o", str(out), str(TINY)])
    assert result.exit_code == 2, result.output
    assert "name too long" in result.output.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("sub", [".", "plans/a"])
def test_out_in_the_scenario_folder_is_refused(tmp_path, sub):
    """OUT = the scenario folder or inside it: exit 2, nothing written there."""
    sc = tmp_path / "tiny"
    shutil.copytree(TINY, sc)
    before = _tree(sc)
    result = _invoke([*PLAN, "-o", str(sc / sub), str(sc)])
    assert result.exit_code == 2
    assert "refusing to write outputs into the scenario folder" in result.output
    assert _tree(sc) == before


def test_user_folder_at_an_output_name_survives(previous):
    """A user's folder named like an output is an error naming it, and kept."""
    (previous / "plan.json").unlink()
    (previous / "plan.json").mkdir()
    (previous / "plan.json" / "precious.txt").write_text("x")
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 2
    assert "plan.json: expected convoy's output file here, found a folder" in (
        result.output
    )
    assert (previous / "plan.json" / "precious.txt").read_text() == "x"


def test_user_files_survive_overwrite(previous):
    """A real --overwrite run replaces the set; the user's files and folders stay."""
    (previous / "mine").mkdir()
    (previous / "mine" / "a.txt").write_text("keep\n")
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 0, result.output
    assert (previous / "notes.txt").read_text() == "mine\n"
    assert (previous / "mine" / "a.txt").read_text() == "keep\n"
    json.loads((previous / "plan.json").read_text())
    assert {p.name for p in previous.iterdir()} == {
        *folder.PLAN_FILES,
        "notes.txt",
        "mine",
    }


def test_click_exits_pass_through(previous, monkeypatch):
    """click's Exit (a RuntimeError) keeps its code; it is not a solver failure."""

    def leave(*_a, **_k):
        raise click.exceptions.Exit(0)

    monkeypatch.setattr(folder, "plan_withdrawal", leave)
    result = _invoke([*PLAN, "-o", str(previous), str(TINY)])
    assert result.exit_code == 0
    assert "solver" not in result.output

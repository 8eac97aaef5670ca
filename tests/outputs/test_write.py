"""The staged output set: atomic switch, journaled fallback, user files, refusals.

Every test builds a previous set in OUT by hand, runs :func:`staged_outputs` (or the
CLI with a patched step) and compares OUT before and after, file by file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

from convoy.outputs import write
from convoy.outputs.write import (
    STAGING_PREFIX,
    OutputExistsError,
    OutputFolderError,
    recover_outputs,
    staged_outputs,
)

NAMES = ["plan.json", "loads.csv", "march_table.csv"]


def _tree(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def _old_set(out: Path, names=NAMES) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for n in names:
        (out / n).write_text(f"old {n}\n")


def _write_new(tmp: Path, names=NAMES) -> None:
    for n in names:
        (tmp / n).write_text(f"new {n}\n")


def _staging_left(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_swap_replaces_the_set_and_keeps_user_files(tmp_path):
    """The folder swap: new outputs in, the user's file and symlink kept by inode."""
    out = tmp_path / "out"
    _old_set(out)
    (out / "notes.txt").write_text("mine\n")
    (out / "link").symlink_to("notes.txt")
    inode = (out / "notes.txt").stat().st_ino
    folder_inode = out.stat().st_ino
    with staged_outputs(out, NAMES, overwrite=True, swap_folder=True) as tmp:
        _write_new(tmp)
    assert out.stat().st_ino != folder_inode  # the folders were swapped
    for n in NAMES:
        assert (out / n).read_text() == f"new {n}\n"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert (out / "notes.txt").stat().st_ino == inode
    assert os.readlink(out / "link") == "notes.txt"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*NAMES, "notes.txt", "link"]
    )
    assert not _staging_left(out)


def test_user_folder_uses_the_journal_and_is_never_moved(tmp_path, monkeypatch):
    """A user's folder in OUT: journaled switch; the folder's inode never changes."""
    out = tmp_path / "out"
    _old_set(out)
    (out / "mine").mkdir()
    (out / "mine" / "a.txt").write_text("keep\n")
    inode = (out / "mine").stat().st_ino
    swapped = []
    monkeypatch.setattr(write, "_exchange", lambda a, b: swapped.append(1) or False)
    with staged_outputs(out, NAMES, overwrite=True, swap_folder=True) as tmp:
        _write_new(tmp)
    assert not swapped  # a folder cannot be hard-linked: no swap was tried
    assert (out / "mine").stat().st_ino == inode
    assert (out / "mine" / "a.txt").read_text() == "keep\n"
    for n in NAMES:
        assert (out / n).read_text() == f"new {n}\n"
    assert not _staging_left(out)


def test_no_exchange_falls_back_to_the_journal(tmp_path, monkeypatch):
    """Without RENAME_EXCHANGE the journaled switch gives the same result."""
    out = tmp_path / "out"
    _old_set(out)
    (out / "notes.txt").write_text("mine\n")
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    with staged_outputs(out, NAMES, overwrite=True, swap_folder=True) as tmp:
        _write_new(tmp)
    assert {p.name for p in out.iterdir()} == {*NAMES, "notes.txt"}
    assert (out / "loads.csv").read_text() == "new loads.csv\n"
    assert not _staging_left(out)


def test_new_folder_appears_whole(tmp_path):
    """OUT missing: it appears with the complete set, and not at all on failure."""
    out = tmp_path / "a" / "out"
    with pytest.raises(ValueError), staged_outputs(out, NAMES, overwrite=False) as tmp:
        _write_new(tmp)
        raise ValueError
    assert not out.exists()
    with staged_outputs(out, NAMES, overwrite=False) as tmp:
        _write_new(tmp)
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("kind", ["folder", "symlink", "fifo"])
def test_non_file_at_an_output_name_is_an_error(tmp_path, kind):
    """A folder, symlink or fifo where an output goes is named, never deleted."""
    out = tmp_path / "out"
    _old_set(out, NAMES[1:])
    target = out / "plan.json"
    if kind == "folder":
        target.mkdir()
        (target / "precious.txt").write_text("x")
    elif kind == "symlink":
        target.symlink_to("loads.csv")
    else:
        os.mkfifo(target)
    before = _tree(out)
    with (
        pytest.raises(OutputExistsError, match=r"plan\.json: expected convoy's output"),
        staged_outputs(out, NAMES, overwrite=True) as tmp,
    ):
        _write_new(tmp)
    assert _tree(out) == before
    assert not _staging_left(out)


def test_stale_outputs_removed_only_with_overwrite(tmp_path):
    """Outputs the new set lacks go with --overwrite; a folder of that name stays."""
    out = tmp_path / "out"
    _old_set(out, [*NAMES, "plan.gpkg"])
    (out / "report.html").mkdir()
    with staged_outputs(
        out, NAMES, overwrite=True, stale=["plan.gpkg", "report.html"]
    ) as tmp:
        _write_new(tmp)
    assert {p.name for p in out.iterdir()} == {*NAMES, "report.html"}
    assert (out / "report.html").is_dir()


def test_refuses_scenario_folder_and_files(tmp_path):
    """OUT = the scenario folder, inside it, holding an input, or a file: refused."""
    sc = tmp_path / "sc"
    sc.mkdir()
    (sc / "fleet.csv").write_text("id\n")
    for out in (sc, sc / "plans" / "a"):
        with (
            pytest.raises(OutputFolderError, match="scenario folder"),
            staged_outputs(out, NAMES, overwrite=True, scenario_dir=sc),
        ):
            pass
    with (
        pytest.raises(OutputFolderError, match=r"input file fleet\.csv"),
        staged_outputs(sc, NAMES, overwrite=True, protect=[sc / "fleet.csv"]),
    ):
        pass
    f = tmp_path / "file"
    f.write_text("x")
    with (
        pytest.raises(OutputFolderError, match="found an existing file"),
        staged_outputs(f, NAMES, overwrite=True),
    ):
        pass
    assert sorted(p.name for p in sc.iterdir()) == ["fleet.csv"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("where", ["rename", "exchange", "link"])
def test_os_error_in_the_switch_leaves_out_unchanged(
    tmp_path, monkeypatch, code, where
):
    """A refused rename, swap or link: the error goes up, OUT is the previous set."""
    out = tmp_path / "out"
    _old_set(out)
    (out / "notes.txt").write_text("mine\n")
    before = _tree(out)

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(out))

    if where == "rename":
        monkeypatch.setattr(write, "_exchange", lambda a, b: False)
        monkeypatch.setattr(write.os, "rename", fail)
    elif where == "exchange":
        monkeypatch.setattr(write, "_exchange", fail)
    else:
        monkeypatch.setattr(write.os, "link", fail)
        monkeypatch.setattr(write.os, "rename", fail)
    with (
        pytest.raises(OSError) as info,
        staged_outputs(out, NAMES, overwrite=True, swap_folder=True) as tmp,
    ):
        _write_new(tmp)
    assert info.value.errno == code
    assert _tree(out) == before
    assert not _staging_left(out)


def test_roll_forward_of_a_killed_journal(tmp_path):
    """A staging folder with a journal, killed after one move: recovery finishes it."""
    out = tmp_path / "out"
    _old_set(out, [*NAMES, "plan.gpkg"])
    staging = tmp_path / f"{STAGING_PREFIX}out-dead"
    (staging / "new").mkdir(parents=True)
    (staging / "old").mkdir()
    _write_new(staging / "new")
    (staging / "journal").write_text(
        json.dumps({"install": NAMES, "remove": ["plan.gpkg"]})
    )
    # the killed run had moved plan.gpkg out and plan.json in
    os.replace(out / "plan.gpkg", staging / "old" / "plan.gpkg")
    os.replace(out / "plan.json", staging / "old" / "plan.json")
    os.replace(staging / "new" / "plan.json", out / "plan.json")
    recover_outputs(out)
    assert {p.name: p.read_text() for p in out.iterdir()} == {
        n: f"new {n}\n" for n in NAMES
    }
    assert not _staging_left(out)


def test_unjournaled_leftovers_are_deleted_only_if_ours(tmp_path):
    """Staging folders without a journal are deleted; other dot-folders stay."""
    out = tmp_path / "out"
    _old_set(out)
    dead = tmp_path / f"{STAGING_PREFIX}out-1234"
    (dead / "new").mkdir(parents=True)
    (dead / "new" / "plan.json").write_text("half")
    other = tmp_path / ".convoy-staging-other-1"
    other.mkdir()
    mine = tmp_path / ".out-mine"
    mine.mkdir()
    before = _tree(out)
    with staged_outputs(out, NAMES, overwrite=True) as _:
        pass
    assert _tree(out) == before
    assert not dead.exists()
    assert other.exists() and mine.exists()


def test_refuses_existing_without_overwrite(tmp_path):
    """Without overwrite an existing output stops the run before any work."""
    out = tmp_path / "out"
    _old_set(out)
    with (
        pytest.raises(OutputExistsError, match="pass --overwrite"),
        staged_outputs(out, NAMES, overwrite=False),
    ):
        pytest.fail("the block must not run")


def test_working_folder_is_never_swapped(tmp_path, monkeypatch):
    """OUT = the process's working folder: journaled switch, the folder itself kept."""
    out = tmp_path / "out"
    _old_set(out)
    inode = out.stat().st_ino
    monkeypatch.chdir(out)
    swapped = []
    monkeypatch.setattr(write, "_exchange", lambda a, b: swapped.append(1) or False)
    with staged_outputs(Path("."), NAMES, overwrite=True, swap_folder=True) as tmp:
        _write_new(tmp)
    assert not swapped
    assert out.stat().st_ino == inode
    assert (out / "plan.json").read_text() == "new plan.json\n"
    assert not _staging_left(out)


def test_failed_journaled_move_is_rolled_back(tmp_path, monkeypatch):
    """An OS error on the third move of the journal: the previous set is put back."""
    out = tmp_path / "out"
    _old_set(out, [*NAMES, "plan.gpkg"])
    (out / "mine").mkdir()
    before = _tree(out)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        real(src, dst)

    monkeypatch.setattr(write.os, "replace", flaky)
    with (
        pytest.raises(OSError),
        staged_outputs(out, NAMES, overwrite=True, stale=["plan.gpkg"]) as tmp,
    ):
        _write_new(tmp)
    assert _tree(out) == before
    assert not _staging_left(out)


def test_files_into_any_folder_use_the_journal(tmp_path, monkeypatch):
    """Without swap_folder (a file written into any folder) OUT is never swapped."""
    out = tmp_path / "out"
    _old_set(out)
    inode = out.stat().st_ino
    swapped = []
    monkeypatch.setattr(write, "_exchange", lambda a, b: swapped.append(1) or False)
    with staged_outputs(out, NAMES, overwrite=True) as tmp:
        _write_new(tmp)
    assert not swapped and out.stat().st_ino == inode
    assert (out / "loads.csv").read_text() == "new loads.csv\n"

"""Safe output: build a whole output set aside, then switch it into place at once.

A failed, interrupted or killed run must never leave half a plan behind, nor write
over an input or over anything of the user's. :func:`staged_outputs` guarantees:

* **Staging beside OUT.** The new files are built in a sibling folder of OUT,
  ``.convoy-staging-<OUT name>-<random>`` in OUT's parent (same file system, so every
  later move is a rename). Nothing is written into OUT while building.
* **One atomic switch (Linux).** For a plan folder (``swap_folder``), when the set
  is complete, the staging folder is
  completed with a hard link to every other entry of OUT (the user's files, kept by
  inode, never copied) and the two folders are swapped with one
  ``renameat2(RENAME_EXCHANGE)`` system call. Before that call OUT holds the
  complete previous set, after it the complete new set; a kill at any moment
  (SIGKILL included) leaves one or the other. The old folder, now under the
  staging name, is then deleted (so a shell whose working folder was OUT must
  ``cd`` into it again to see the new files). When OUT does not exist yet, a
  plain ``rename`` of the staging folder makes it appear whole.
* **Journaled switch.** For a file or two written into any folder, and where the
  swap is impossible (OUT holds a folder of the
  user's, which cannot be hard-linked; a file system without hard links or without
  ``RENAME_EXCHANGE``; not Linux; OUT is the working folder of convoy itself) the
  staging folder holds ``new/``, ``old/`` and,
  once ``new/`` is complete and synced, a ``journal`` naming every file to move.
  The journal is the commit point: the files are then moved one by one (an old
  output into ``old/``, the new one into OUT). A run killed before the journal is
  written left OUT untouched; one killed after it is **rolled forward** by the next
  run that writes to OUT (or by :func:`recover_outputs`) before anything else, so
  OUT again holds exactly the new set. A move that fails (an OS error) is **rolled
  back** at once: the previous set is put back and the error reported.
* **Leftovers are cleaned.** Each run first recovers or deletes the staging folders
  of earlier killed runs beside OUT (only folders named ``.convoy-staging-<OUT
  name>-*``; nothing else is ever deleted).
* **Only convoy's own files.** ``--overwrite`` replaces the output files of the
  set (and removes convoy's outputs of an earlier run that the new set lacks, the
  ``stale`` names); any other entry of OUT is never touched, moved or deleted. A
  folder, symlink or other non-file where an output goes is an error naming it.
* **Inputs are safe.** OUT equal to or inside the scenario folder, or holding an
  input file, is refused; an output never replaces an input.
* **Signals.** SIGINT and SIGTERM arriving during the switch are held back until
  it is over (then delivered as usual), so an interrupt never splits it; before the
  switch they stop the run and the staging folder is deleted.

Test hook: the environment variable ``CONVOY_TEST_PAUSE_AT`` (``stage``: the new set
is built, nothing switched; ``swap``: switched, old set not yet deleted;
``move:N``: journaled switch after N moves) makes the run print ``paused at
<point>`` on stderr and sleep ``CONVOY_TEST_PAUSE_S`` seconds (default 30) there, so
that tests can kill it at that moment. It is meant for tests only.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import secrets
import shutil
import signal
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from convoy.errors import ConvoyError

#: Prefix of convoy's staging folders, beside the output folder.
STAGING_PREFIX = ".convoy-staging-"
_JOURNAL = "journal"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class OutputExistsError(ConvoyError):
    """An output exists and ``--overwrite`` was not given, or it may not be replaced."""


class OutputFolderError(ConvoyError):
    """The output folder cannot be used: a file, inside the scenario, holds an input."""


def _test_pause(point: str) -> None:
    """Sleep at ``point`` when CONVOY_TEST_PAUSE_AT names it (a test hook)."""
    if os.environ.get("CONVOY_TEST_PAUSE_AT") != point:
        return
    sys.stderr.write(f"paused at {point}\n")
    sys.stderr.flush()
    time.sleep(float(os.environ.get("CONVOY_TEST_PAUSE_S", "30")))


def _staging_dirs(out_dir: Path) -> list[Path]:
    prefix = f"{STAGING_PREFIX}{out_dir.name}-"
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    return sorted(
        p
        for p in parent.iterdir()
        if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink()
    )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder; the rename still holds
        pass
    finally:
        os.close(fd)


def _sync_tree(path: Path) -> None:
    for p in path.iterdir():
        if p.is_file() and not p.is_symlink():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(path)


@contextmanager
def held_signals() -> Iterator[dict[str, Any]]:
    """
    Hold SIGINT and SIGTERM back inside the block, then deliver them.

    Yields a dict whose ``"signal"`` is the first signal received (or None), so
    the block can choose not to start its critical step. Outside the main thread
    signals cannot be handled and the block simply runs.
    """
    state: dict[str, Any] = {"signal": None}
    try:
        previous = {s: signal.getsignal(s) for s in _HELD_SIGNALS}

        def hold(signum: int, _frame: FrameType | None) -> None:
            if state["signal"] is None:
                state["signal"] = signum

        for s in _HELD_SIGNALS:
            signal.signal(s, hold)
    except ValueError:  # not the main thread
        yield state
        return
    try:
        yield state
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if state["signal"] is not None:
            signal.raise_signal(state["signal"])


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def recover_outputs(out_dir: str | Path) -> None:
    """
    Finish or undo the switches of earlier killed runs into ``out_dir``.

    A staging folder with a journal is rolled forward (its new files moved into
    OUT); any other staging folder of OUT is deleted. Called by every run before
    it writes; safe to call at any time.

    Raises
    ------
    OSError
        A move or delete failed (the staging folder stays for the next run).
    """
    out_dir = Path(out_dir).resolve()
    for staging in _staging_dirs(out_dir):
        journal = staging / _JOURNAL
        if journal.is_file():
            _roll_forward(staging, out_dir, json.loads(journal.read_text("utf-8")))
        shutil.rmtree(staging)


def _roll_forward(staging: Path, out_dir: Path, entries: dict[str, Any]) -> None:
    new, old = staging / "new", staging / "old"
    done = 0
    for name in entries["remove"]:
        if (out_dir / name).is_file() and not (out_dir / name).is_symlink():
            os.replace(out_dir / name, old / name)
            done += 1
            _test_pause(f"move:{done}")
    for name in entries["install"]:
        src = new / name
        if not src.exists():  # moved by an earlier, interrupted roll-forward
            continue
        target = out_dir / name
        if target.is_file() and not target.is_symlink():
            os.replace(target, old / name)
        os.replace(src, target)
        done += 1
        _test_pause(f"move:{done}")
    _fsync_dir(out_dir)


def _check_folder(
    out_dir: Path, protected: set[Path], scenario_dir: Path | None
) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"{out_dir}: expected an output folder, found an existing file"
        raise OutputFolderError(msg)
    if out_dir.is_dir() and out_dir.stat().st_dev != out_dir.parent.stat().st_dev:
        msg = (
            f"{out_dir}: expected an output folder on the same file system as its "
            "parent folder (outputs are staged there), found a mount point; write "
            "to a folder inside it"
        )
        raise OutputFolderError(msg)
    if scenario_dir is not None:
        sc = scenario_dir.resolve()
        if out_dir == sc or sc in out_dir.parents:
            msg = (
                f"{out_dir}: refusing to write outputs into the scenario folder "
                f"{sc}; choose an output folder outside it"
            )
            raise OutputFolderError(msg)
    for p in sorted(protected):
        if p.parent == out_dir:
            msg = (
                f"{out_dir}: refusing to write outputs into a folder holding the "
                f"input file {p.name}; choose another output folder"
            )
            raise OutputFolderError(msg)


def _check_targets(
    out_dir: Path, names: Iterable[str], *, overwrite: bool, protected: set[Path]
) -> None:
    for name in names:
        target = out_dir / name
        if target.absolute() in protected or target.resolve() in protected:
            msg = f"{target}: refusing to write over an input file"
            raise OutputExistsError(msg)
        if not target.exists() and not target.is_symlink():
            continue
        if target.is_symlink() or not target.is_file():
            kind = "a symlink" if target.is_symlink() else "a folder or special file"
            msg = (
                f"{target}: expected convoy's output file here, found {kind}; "
                "move it away (convoy never deletes it)"
            )
            raise OutputExistsError(msg)
        if not overwrite:
            msg = f"{target} exists; pass --overwrite to replace it"
            raise OutputExistsError(msg)


@contextmanager
def staged_outputs(
    out_dir: Path,
    names: Iterable[str],
    *,
    overwrite: bool,
    protect: Iterable[Path] = (),
    stale: Iterable[str] = (),
    scenario_dir: Path | None = None,
    swap_folder: bool = False,
) -> Iterator[Path]:
    """
    Yield a staging folder; on success switch its files into ``out_dir`` at once.

    See the module docstring for the guarantees (atomic switch, journaled
    fallback, leftovers, user files, signals).

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    names
        Files the caller may write, checked before any work starts.
    overwrite
        Replace existing files of those names; otherwise refuse.
    protect
        Input files that must never be replaced, whatever ``overwrite`` says.
    stale
        convoy's outputs of other runs that the new set does not hold: removed with
        ``overwrite`` (so that OUT is exactly the new set), kept otherwise.
    scenario_dir
        The scenario's folder: OUT equal to it or inside it is refused.
    swap_folder
        OUT is an output folder (a plan folder) that may be swapped whole; false
        (the default, for a file or two written into any folder, as ``convoy
        risk`` does) always uses the journaled switch.

    Raises
    ------
    OutputExistsError
        An output exists and ``overwrite`` is false, an output is an input, or a
        non-file stands where an output goes.
    OutputFolderError
        OUT is a file, the scenario folder or inside it, or holds an input.
    OSError
        The file system refused (permission, read-only, full): OUT is unchanged.
    """
    out_dir = Path(out_dir).resolve()
    protected = {Path(p).absolute() for p in protect}
    protected |= {Path(p).resolve() for p in protect}
    names = list(names)
    _check_folder(out_dir, protected, scenario_dir)
    recover_outputs(out_dir)
    _check_targets(out_dir, names, overwrite=overwrite, protected=protected)
    # only regular files of convoy's names are stale outputs; anything else is kept
    stale = [
        n
        for n in stale
        if overwrite
        and n not in names
        and (out_dir / n).is_file()
        and not (out_dir / n).is_symlink()
        and (out_dir / n).resolve() not in protected
    ]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f"{STAGING_PREFIX}{out_dir.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        new = staging / "new"
        new.mkdir()
        yield new
        built = sorted(p.name for p in new.iterdir())
        unexpected = sorted(set(built) - set(names))
        if unexpected:  # a programming error: the checks above did not cover them
            msg = f"{out_dir}: unexpected outputs {unexpected}"
            raise OutputExistsError(msg)
        _check_targets(out_dir, built, overwrite=overwrite, protected=protected)
        _sync_tree(new)
        _test_pause("stage")
        _switch(staging, out_dir, built, stale, swap_folder=swap_folder)
    finally:
        if staging.exists() and not (staging / _JOURNAL).exists():
            shutil.rmtree(staging, ignore_errors=True)


def _switch(
    staging: Path,
    out_dir: Path,
    built: list[str],
    stale: list[str],
    *,
    swap_folder: bool,
) -> None:
    """Put the built set in place: swap folders, or rename, or journal and move."""
    new = staging / "new"
    if not out_dir.exists():
        with held_signals() as held:
            if held["signal"] is None:
                os.rename(new, out_dir)
                _fsync_dir(out_dir.parent)
        return
    ours = set(built) | set(stale)
    others = [p for p in out_dir.iterdir() if p.name not in ours]
    # a swapped-out folder is deleted: never do that to this process's own folder
    swappable = (
        swap_folder
        and Path.cwd().resolve() != out_dir
        and all(not (p.is_dir() and not p.is_symlink()) for p in others)
    )
    if swappable and _link_all(others, new):
        with contextlib.suppress(OSError):
            os.chmod(new, stat.S_IMODE(out_dir.stat().st_mode))
        with held_signals() as held:
            if held["signal"] is not None:
                return
            if _exchange(new, out_dir):
                _fsync_dir(out_dir.parent)
                _test_pause("swap")
                _keep_late_arrivals(new, out_dir, ours)
                return
        for p in others:  # no RENAME_EXCHANGE here: drop the links, journal instead
            (new / p.name).unlink()
    _journaled_switch(staging, out_dir, built, stale)


def _link_all(entries: list[Path], into: Path) -> bool:
    """Hard-link each entry (a symlink as itself) into ``into``; False if impossible."""
    for p in entries:
        try:
            os.link(p, into / p.name, follow_symlinks=False)
        except OSError:
            for q in entries:
                with contextlib.suppress(OSError):
                    (into / q.name).unlink()
            return False
    return True


def _keep_late_arrivals(old: Path, out_dir: Path, ours: set[str]) -> None:
    """Move back entries created in OUT between the linking and the swap."""
    for p in old.iterdir():
        if p.name not in ours and not os.path.lexists(out_dir / p.name):
            os.rename(p, out_dir / p.name)


def _journaled_switch(
    staging: Path, out_dir: Path, built: list[str], stale: list[str]
) -> None:
    (staging / "old").mkdir()
    entries = {"install": built, "remove": stale}
    tmp = staging / f"{_JOURNAL}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(entries, f)
        f.flush()
        os.fsync(f.fileno())
    with held_signals() as held:
        if held["signal"] is not None:
            return
        os.rename(tmp, staging / _JOURNAL)  # the commit point
        _fsync_dir(staging)
        try:
            _roll_forward(staging, out_dir, entries)
        except OSError:
            _roll_back(staging, out_dir, entries)
            raise
        shutil.rmtree(staging, ignore_errors=True)


def _roll_back(staging: Path, out_dir: Path, entries: dict[str, Any]) -> None:
    """After a failed move, put the previous set back and drop the journal.

    If putting back fails too, the journal stays and the next run rolls forward.
    """
    new, old = staging / "new", staging / "old"
    try:
        for name in entries["install"]:
            if not (new / name).exists() and (out_dir / name).is_file():
                os.replace(out_dir / name, new / name)
        for p in old.iterdir():
            os.replace(p, out_dir / p.name)
        (staging / _JOURNAL).unlink()
    except OSError:
        return
    _fsync_dir(out_dir)

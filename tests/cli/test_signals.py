"""Interrupts and kills of a real `convoy plan --overwrite` process.

Each test copies a previous output set (with a user's file, and for the journaled
switch a user's folder) into OUT, starts `python -m convoy plan` on the tiny scenario
with a different --runs (so the new plan.json differs from the old one), stops it
at one moment and checks the exit code, the message and that OUT holds exactly the
previous set or exactly the new set, with no staging folder left beside it.
The moments inside the output writer come from its test hook CONVOY_TEST_PAUSE_AT.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convoy.outputs.write import STAGING_PREFIX, recover_outputs

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"
BASE = ["-m", "convoy", "plan", "--no-maps", "--overwrite", str(TINY)]
EMBEDDED = ["-m", "convoy", "plan", "--no-maps", "--runs", "0", "--overwrite"]


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.pop("CONVOY_TEST_PAUSE_AT", None)
    env.update(extra)
    return env


def _run(out: Path, runs: int) -> None:
    subprocess.run(
        [sys.executable, *BASE, "-o", str(out), "--runs", str(runs)],
        check=True,
        capture_output=True,
        env=_env(),
    )


def _digests(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The previous set (--runs 0) and the new set (--runs 20), with a user file."""
    root = tmp_path_factory.mktemp("sets")
    old, new = root / "old", root / "new"
    _run(old, 0)
    _run(new, 20)
    for folder in (old, new):
        (folder / "notes.txt").write_text("the user's notes\n")
    assert _digests(old) != _digests(new)
    return old, new


def _prepare(tmp_path: Path, old: Path, user_folder: bool) -> Path:
    out = tmp_path / "out"
    shutil.copytree(old, out)
    if user_folder:
        (out / "mine").mkdir()
        (out / "mine" / "data.txt").write_text("keep me\n")
    return out


def _interactive_signals() -> None:
    # As a terminal starts a command: a test runner started in the background by a
    # non-interactive shell ignores SIGINT, and the child would inherit that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(
    out: Path, pause: str | None = None, maps: bool = False
) -> subprocess.Popen[str]:
    extra = {} if pause is None else {"CONVOY_TEST_PAUSE_AT": pause}
    args = BASE if not maps else [a for a in BASE if a != "--no-maps"]
    return subprocess.Popen(
        [sys.executable, *args, "-o", str(out), "--runs", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(**extra),
        preexec_fn=_interactive_signals,
    )


def _wait_for_pause(proc: subprocess.Popen[str], point: str) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.strip() == f"paused at {point}":
            return
    pytest.fail(f"the run never paused at {point}")


def _expected(folder: Path, user_folder: bool) -> dict[str, str]:
    d = _digests(folder)
    if user_folder:
        d["mine/data.txt"] = hashlib.sha256(b"keep me\n").hexdigest()
    return d


def _no_staging(out: Path) -> None:
    assert not [p for p in out.parent.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert not [p for p in out.iterdir() if p.name.startswith(".convoy")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay_s", [0.3, 2.0])
def test_signal_at_a_time(tmp_path, sets, sig, delay_s):
    """A signal during start-up, planning or maps: exit 128+sig, previous set kept."""
    old, _ = sets
    out = _prepare(tmp_path, old, user_folder=False)
    proc = _start(out, pause="stage", maps=True)
    time.sleep(delay_s)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    # the pause before the switch holds the run there if it gets that far, so the
    # signal always lands before the switch
    assert proc.returncode == 128 + sig, err
    assert f"interrupted by {signal.Signals(sig).name}" in err
    assert "Traceback" not in err
    assert _digests(out) == _expected(old, False)
    _no_staging(out)


@pytest.mark.parametrize(
    ("sig", "user_folder"), [(signal.SIGINT, False), (signal.SIGTERM, True)]
)
def test_signal_with_the_new_set_built(tmp_path, sets, sig, user_folder):
    """A signal after the new set is built, before the switch: previous set kept."""
    old, _ = sets
    out = _prepare(tmp_path, old, user_folder)
    proc = _start(out, pause="stage")
    _wait_for_pause(proc, "stage")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert err.count("\n") == 1 and "interrupted" in err
    assert _digests(out) == _expected(old, user_folder)
    _no_staging(out)


@pytest.mark.parametrize("sig", [signal.SIGINT])
def test_signal_during_the_switch_completes_it(tmp_path, sets, sig):
    """A signal during the switch waits for it: the new set, then exit 128+sig."""
    old, new = sets
    out = _prepare(tmp_path, old, user_folder=False)
    proc = _start(out, pause="swap")
    _wait_for_pause(proc, "swap")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert _digests(out) == _expected(new, False)
    _no_staging(out)


@pytest.mark.parametrize(
    ("pause", "user_folder", "expect"),
    [
        ("stage", False, "old"),
        ("stage", True, "old"),
        ("swap", False, "new"),
        ("move:1", True, "new"),
        ("move:3", True, "new"),
    ],
)
def test_sigkill(tmp_path, sets, pause, user_folder, expect):
    """SIGKILL at a moment of the switch: once recovered, exactly old or new."""
    old, new = sets
    out = _prepare(tmp_path, old, user_folder)
    proc = _start(out, pause=pause)
    _wait_for_pause(proc, pause)
    proc.kill()
    proc.communicate(timeout=60)
    if pause in ("stage", "swap"):  # the folder swap: consistent at once
        want = old if expect == "old" else new
        assert _digests(out) == _expected(want, user_folder)
    recover_outputs(out)
    want = old if expect == "old" else new
    assert _digests(out) == _expected(want, user_folder)
    _no_staging(out)


def test_next_run_cleans_a_killed_run(tmp_path, sets):
    """The run after a SIGKILL removes the leftover staging folder and succeeds."""
    old, new = sets
    out = _prepare(tmp_path, old, user_folder=True)
    proc = _start(out, pause="move:2")
    _wait_for_pause(proc, "move:2")
    proc.kill()
    proc.communicate(timeout=60)
    assert [p for p in out.parent.iterdir() if p.name.startswith(STAGING_PREFIX)]
    _run(out, 20)
    assert _digests(out) == _expected(new, True)
    _no_staging(out)


@pytest.mark.parametrize("delay_s", [2.5])
def test_sigint_on_the_embedded_scenario(tmp_path, sets, delay_s):
    """Ctrl-C a few seconds into the embedded plan (loads, CP-SAT): 130, OUT kept."""
    old, _ = sets
    out = _prepare(tmp_path, old, user_folder=False)
    proc = subprocess.Popen(
        [sys.executable, *EMBEDDED, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(CONVOY_TEST_PAUSE_AT="stage"),
        preexec_fn=_interactive_signals,
    )
    time.sleep(delay_s)
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert time.perf_counter() - t0 < 5.0
    assert "interrupted by SIGINT" in err and "Traceback" not in err
    assert _digests(out) == _expected(old, False)
    _no_staging(out)


def test_signal_inside_an_llvmlite_callback_is_delivered_again():
    """ctypes drops an exception raised in a callback: the signal comes back later."""
    import os
    import threading

    import llvmlite

    from convoy.cli import options

    got = threading.Event()
    previous = signal.signal(signal.SIGUSR1, lambda *_: got.set())
    try:
        # a frame whose code lives in llvmlite's folder, as its callbacks' do
        fake = os.path.join(os.path.dirname(llvmlite.__file__), "callback.py")
        scope = {"handler": options._raise_interrupted, "sig": signal.SIGUSR1}
        code = compile("import sys\nhandler(sig, sys._getframe())", fake, "exec")
        exec(code, scope)  # returns: no Interrupted raised inside the callback
        deadline = time.monotonic() + 5
        while not got.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got.is_set()
        with pytest.raises(options.Interrupted):
            options._raise_interrupted(signal.SIGUSR1, sys._getframe())
    finally:
        signal.signal(signal.SIGUSR1, previous)

"""`convoy warmup`: after it, a plan in a new process compiles nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"

#: Runs ``convoy ARGS`` (or, with no arguments, compiles a new function) and
#: prints how many numba compilations it started.
COUNT_COMPILES = """
import sys
from numba import njit
from numba.core import event
from convoy.cli.main import cli

class Count(event.Listener):
    started = 0
    def on_start(self, ev):
        Count.started += 1
    def on_end(self, ev):
        pass

event.register("numba:compile", Count())
try:
    if sys.argv[1:]:
        cli(sys.argv[1:], prog_name="convoy", standalone_mode=False)
    else:
        njit(lambda x: x + 1)(1)
finally:
    print("compiles", Count.started)
"""


@pytest.mark.slow
def test_warmup_leaves_nothing_to_compile(tmp_path):
    """With an empty numba cache, warmup then a plan: the plan compiles nothing."""
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    env.pop("NUMBA_DISABLE_JIT", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])

    def run(*args: str) -> str:
        res = subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        return res.stdout + res.stderr

    # the counter sees a compilation
    assert "compiles 0" not in run("-c", COUNT_COMPILES)
    assert "warmup: done in" in run("-m", "convoy", "warmup")
    out = run(
        "-c",
        COUNT_COMPILES,
        *("plan", str(TINY), "--runs", "50", "-o", str(tmp_path / "plan")),
    )
    assert "compiles 0" in out, out

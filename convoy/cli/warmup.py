"""``convoy warmup``: compile the numba kernels into numba's on-disk cache, once.

Every kernel has ``cache=True``: the first process to call it compiles it (seconds
each, a minute or more on a busy machine) and writes the machine code to numba's
cache; later processes load it in milliseconds. ``convoy warmup`` pays that once,
right after installation, so that the first ``convoy plan`` starts warm. It calls
the risk field's kernels on small inputs that reach every compiled path (fixed and
per-event bandwidths, direct sums and expansions, the raster's scatter and series)
and then plans the embedded scenario into a temporary folder with a short Monte
Carlo, which compiles the schedule search, the loads packer and the simulation
with the argument types a real plan gives them.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
import numba
import numpy as np

from convoy.cli.options import guarded, human_output
from convoy.io.scenario import read_scenario
from convoy.outputs.folder import plan_into
from convoy.risk import kernel_at, kernel_raster

#: The scenario planned to compile the planner's kernels, and its Monte Carlo runs
#: (the kernels' argument types do not depend on the number of runs).
WARMUP_SCENARIO = "kidal-gao"
WARMUP_RUNS = 100


def _say(text: str) -> None:
    """One progress line on stderr (not with ``-q`` or ``--json``)."""
    if human_output():
        click.echo(text, err=True)


def compile_risk_kernels() -> None:
    """Call each risk kernel once on small inputs that reach every compiled path."""
    rng = np.random.default_rng(0)
    xy = rng.uniform(0.0, 20e3, size=(300, 2))
    w = rng.uniform(0.0, 1.0, 300)
    h = rng.uniform(1e3, 3e3, 300)
    pts = rng.uniform(9e3, 10e3, size=(2000, 2))
    kernel_raster(xy, w, 2e3, (0.0, 20e3), 500.0, (40, 40))
    kernel_raster(xy, w, h, (0.0, 20e3), 500.0, (40, 40))
    # many events sharing a bandwidth 20 cells wide: the series path
    kernel_raster(
        np.tile(xy, (3, 1)), np.tile(w, 3), 2e3, (5e3, 15e3), 100.0, (100, 100)
    )
    kernel_at(xy, w, 2e3, pts)
    kernel_at(xy, w, h, pts)


@click.command(
    "warmup",
    short_help="Compile the numeric kernels into numba's cache (once, after install).",
    epilog="""\b
Examples:
  convoy warmup                         once, right after pip install
  convoy warmup -q                      the same without the progress lines""",
)
@guarded
def warmup() -> None:
    """Compile every numba kernel a plan uses into numba's on-disk cache.

    Run once after installing (the README's setup command does): the first
    `convoy plan` then loads the compiled kernels instead of compiling them. The
    cache is NUMBA_CACHE_DIR when set, else __pycache__ beside convoy's sources;
    it stays valid until convoy's sources or numba change. Writes nothing else.
    """
    where = getattr(numba.config, "CACHE_DIR", "") or "__pycache__ beside the sources"
    _say(f"warmup: compiling the numba kernels into {where}")
    t0 = time.perf_counter()
    compile_risk_kernels()
    t1 = time.perf_counter()
    _say(f"warmup: risk field kernels {t1 - t0:.1f} s")
    with tempfile.TemporaryDirectory(prefix="convoy-warmup-") as tmp:
        plan_into(
            read_scenario(WARMUP_SCENARIO),
            Path(tmp) / "plan",
            runs=WARMUP_RUNS,
            maps=False,
        )
    t2 = time.perf_counter()
    _say(
        f"warmup: schedule, loads and Monte Carlo kernels (a plan of "
        f"{WARMUP_SCENARIO}) {t2 - t1:.1f} s"
    )
    _say(f"warmup: done in {t2 - t0:.1f} s")

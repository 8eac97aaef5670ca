"""Run a sweep: validate every combination, plan each on Dask, write the set.

:func:`run_sweep` checks the whole sweep before any task starts (every swept key
and value through the scenario reader, every fleet subset), skips the combinations
with a finished part in ``OUT/parts`` (:mod:`convoy.sweep.store`), submits the others
as tasks to ``dask.distributed`` (a :class:`~distributed.LocalCluster` of processes
with one thread each by default, or the scheduler at an address), writes each
result as its own part as it arrives, and at the end writes the table, the summary
and the page into OUT at once (:func:`convoy.outputs.write.staged_outputs`).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convoy._problems import Problems
from convoy.errors import ConvoyError, Problem, ScenarioError
from convoy.io.files import label_of
from convoy.io.scenario import read_scenario, resolve_scenario
from convoy.outputs.write import staged_outputs
from convoy.report.sweep_page import chart_name, write_sweep_page
from convoy.sweep.spec import (
    Combination,
    SweepSpec,
    check_axes,
    combinations,
    scenario_inputs,
)
from convoy.sweep.store import finished, parts_dir, read_parts, write_part
from convoy.sweep.table import (
    SUMMARY_STATS,
    summary_csv,
    summary_rows,
    table_rows,
    write_parquet,
)
from convoy.sweep.task import THREAD_ENV, fleet_subset, run_combination

logger = logging.getLogger(__name__)

#: The sweep's table, one row a plan.
TABLE_FILE = "sweep.parquet"

#: The distribution of each outcome at each grid point.
SUMMARY_FILE = "sweep_summary.csv"

#: ``--scheduler`` value that runs every task in this process, one after another.
SYNCHRONOUS = "synchronous"

#: ``--scheduler`` value (the default) that starts a local cluster of processes.
LOCAL = "local"

#: Called after each finished combination: ``(done, total, failed)``.
Steps = Callable[[int, int, int], None]


@dataclass
class SweepResult:
    """What a sweep did and wrote."""

    out: Path
    total: int
    skipped: int
    planned: int
    failed: int
    files: list[str]
    seconds: float
    workers: int
    rows: list[dict[str, Any]] = field(default_factory=list)


def prepare(spec: SweepSpec) -> tuple[Path, list[Combination]]:
    """
    The scenario file and every combination, each checked before any task starts.

    Every distinct set of overrides is read through :func:`read_scenario` (so a
    bad key or value is the reader's message, naming the table and the key) and
    every fleet subset is taken; all problems are raised together.

    Raises
    ------
    ScenarioError
        A bad swept key or value, a bad fleet subset, draws of the scales on a
        scenario whose scales are given, or too many combinations.
    """
    check_axes(spec)
    toml = resolve_scenario(spec.scenario)
    base = read_scenario(toml)
    files = base.files
    inputs = scenario_inputs(
        [
            files.scenario,
            files.roads,
            files.sites,
            files.events,
            files.fleet,
            files.manifest,
        ]
    )
    seed = base.seed if spec.seed is None else spec.seed
    combos = combinations(spec, toml, inputs, seed)
    if spec.scale_draws and not (
        base.calibration.enabled
        and any(t.used_for_calibration for t in base.reference_trips)
    ):
        msg = (
            f"{label_of(toml)}: scale draws need scales fitted to a reference trip "
            "([calibration] enabled and a trip with calibrate = true); found the "
            "scales given in [risk]. Use --scale-draws 0"
        )
        raise ScenarioError(msg)
    problems = Problems(label_of(toml))
    seen: set[str] = set()
    for c in combos:
        task = c.task()
        sig = repr((sorted(task["overrides"].items()), sorted(task["fleet"].items())))
        if sig in seen:
            continue
        seen.add(sig)
        try:
            sc = read_scenario(toml, overrides=task["overrides"])
            if task["fleet"]:
                fleet_subset(sc, task["fleet"])
        except ScenarioError as exc:
            point = ", ".join(f"{k}={v!r}" for k, v in c.values)
            for p in exc.problems:
                if isinstance(p, Problem):
                    where = f"{p.where} (sweep at {point})".strip()
                    problems.add(p.file, where, p.field, p.expected, p.found)
                else:
                    problems.append(f"{p} (sweep at {point})")
    if problems:
        raise problems.error()
    return toml, combos


@contextlib.contextmanager
def dask_client(scheduler: str, workers: int | None) -> Iterator[Any]:
    """
    A ``dask.distributed`` client: a new local cluster, or the scheduler at an address.

    ``local`` starts a :class:`~distributed.LocalCluster` of ``workers`` processes
    (default: the machine's cores) with one thread each, numba and BLAS limited to
    one thread (:data:`~convoy.sweep.task.THREAD_ENV`); ``tcp://HOST:PORT`` joins
    an existing cluster, whose workers must have convoy installed and see the
    scenario folder at the same path.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency
        msg = f"convoy sweep needs dask[distributed]: {exc}"
        raise ConvoyError(msg) from None
    if scheduler == LOCAL:
        n = workers or os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
                env=dict(THREAD_ENV),
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            msg = f"--scheduler {scheduler}: no Dask scheduler answered ({exc})"
            raise ConvoyError(msg) from None
        with client:
            yield client


def _failed_row(key: str, exc: BaseException) -> dict[str, Any]:
    return {
        "key": key,
        "status": "failed",
        "error": f"{type(exc).__name__}: {exc}",
        "seconds": None,
    }


def _run_tasks(
    todo: list[Combination],
    folder: Path,
    scheduler: str,
    workers: int | None,
    on_row: Callable[[dict[str, Any]], None],
) -> int:
    """Run ``todo``; each row is written as a part, then passed to ``on_row``."""
    if scheduler == SYNCHRONOUS:
        for c in todo:
            row = run_combination(c.task())
            write_part(folder, row)
            on_row(row)
        return 1
    from dask.distributed import as_completed

    with dask_client(scheduler, workers) as client:
        n = len(client.scheduler_info(n_workers=-1).get("workers", {})) or 1
        futures = {
            client.submit(
                run_combination, c.task(), key=f"convoy-sweep-{c.key}", pure=False
            ): c.key
            for c in todo
        }
        for fut in as_completed(list(futures)):
            key = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # a worker died (memory, killed): recorded
                row = _failed_row(key, exc)
            write_part(folder, row)
            on_row(row)
            fut.release()
        return n


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    scheduler: str = LOCAL,
    workers: int | None = None,
    steps: Steps | None = None,
    progress: Callable[[str], None] | None = None,
) -> SweepResult:
    """
    Run ``spec`` into ``out``: parts as they finish, then the table, summary, page.

    Parameters
    ----------
    spec
        The sweep.
    out
        Output folder: ``parts/`` (one JSON a finished combination, kept for
        resuming), ``sweep.parquet``, ``sweep_summary.csv``, ``sweep.html`` and its
        charts (replaced as a set at the end).
    scheduler
        ``local`` (a new local cluster), ``synchronous`` (this process, no Dask) or
        the address of a Dask scheduler (``tcp://HOST:PORT``).
    workers
        Processes of the local cluster; default the machine's cores.
    steps
        ``steps(done, total, failed)`` after each finished combination (done
        counts the ones skipped as finished before).
    progress
        ``progress(message)`` before each long step.

    Raises
    ------
    ScenarioError
        Before any task: a bad swept key or value (:func:`prepare`).
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    out = Path(out)
    say("checking every combination")
    toml, combos = prepare(spec)
    scenario_dir = toml.parent.resolve()
    if out.resolve() == scenario_dir or scenario_dir in out.resolve().parents:
        msg = f"{out}: the sweep's folder must not be the scenario folder or inside it"
        raise ConvoyError(msg)
    folder = parts_dir(out)
    parts = read_parts(folder, {c.key for c in combos})
    done_keys = finished(parts)
    todo = [c for c in combos if c.key not in done_keys]
    total = len(combos)
    counts = {"done": len(done_keys), "failed": 0}
    if steps:
        steps(counts["done"], total, 0)

    def on_row(row: dict[str, Any]) -> None:
        parts[row["key"]] = row
        counts["done"] += 1
        counts["failed"] += row["status"] != "ok"
        if steps:
            steps(counts["done"], total, counts["failed"])

    say(f"planning {len(todo)} of {total} combinations")
    n_workers = _run_tasks(todo, folder, scheduler, workers, on_row) if todo else 0
    say("writing the table, the summary and the page")
    rows = table_rows(combos, parts)
    files = write_outputs(out, spec, toml, rows)
    return SweepResult(
        out=out,
        total=total,
        skipped=len(done_keys),
        planned=len(todo),
        failed=sum(1 for r in rows if r["status"] != "ok"),
        files=files,
        seconds=time.perf_counter() - t0,
        workers=n_workers,
        rows=rows,
    )


def output_files(spec: SweepSpec) -> list[str]:
    """The files a sweep writes into OUT (besides ``parts/``)."""
    return [
        TABLE_FILE,
        SUMMARY_FILE,
        *(chart_name(i) for i in range(len(spec.grid))),
        "sweep.html",
    ]


def write_outputs(
    out: Path, spec: SweepSpec, toml: Path, rows: list[dict[str, Any]]
) -> list[str]:
    """Write the table, the summary and the page into ``out`` as one set."""
    axes = spec.axes
    summary = summary_rows(rows, axes)
    names = output_files(spec)
    header = [*axes, *SUMMARY_STATS]
    text = summary_csv(summary, axes)
    with staged_outputs(out, names, overwrite=True, scenario_dir=toml.parent) as tmp:
        write_parquet(rows, axes, tmp / TABLE_FILE)
        (tmp / SUMMARY_FILE).write_text(text, encoding="utf-8")
        cells = list(csv.reader(text.splitlines()[1:]))
        write_sweep_page(
            tmp,
            rows=rows,
            axes=[(k, list(v)) for k, v in spec.grid],
            summary_header=header,
            summary=cells,
            info={
                "title": toml.parent.name,
                "scenario": label_of(toml),
                "resamples": spec.resamples,
                "scale_draws": spec.scale_draws,
                "seed": rows[0]["seed"] if rows else spec.seed,
                "runs": spec.runs,
            },
        )
    return names

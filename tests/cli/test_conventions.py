"""Conventions every command keeps: -v/-q, --json on stdout, 80 columns, progress.

stdout carries the result only (the human summary, or one JSON object with
``--json``); progress, warnings and errors go to stderr. Click 8.2+ keeps the two
apart in ``result.stdout`` and ``result.stderr``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

import convoy.simulate.montecarlo as mc
from convoy.cli import simulate as simulate_cmd
from convoy.cli.main import cli
from convoy.cli.plan import render_summary, summary_table
from convoy.cli.progress import ProgressDisplay
from convoy.document import PlanDocument
from convoy.loadout.pareto import pareto_front
from convoy.params import SimulationParams
from convoy.plan import plan_withdrawal
from convoy.plan.withdrawal import MONTE_CARLO_STEPS, PARETO_STEPS
from convoy.simulate import ColumnVehicle, TripExposure, simulate_column

TINY = Path(__file__).parents[1] / "data" / "tiny"
COMMANDS = tuple(sorted(cli.commands))  # every command, the ones added later too
ELLIPSES = ("…", "...")


def _run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A copy of the tiny scenario (edited by some tests) and room for outputs."""
    root = tmp_path_factory.mktemp("conventions")
    shutil.copytree(TINY, root / "tiny")
    return root


@pytest.fixture(scope="module")
def plan_dir(work) -> Path:
    """The tiny scenario planned with maps (export and report need them)."""
    out = work / "plan"
    res = _run("plan", str(work / "tiny"), "-o", str(out), "--runs", "500", "-q")
    assert res.exit_code == 0, res.output
    return out


# ------------------------------------------------------------------ -v and -q


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flags", [["-v"], ["-q"], ["-v", "-q"], ["--quiet"]])
def test_every_command_accepts_v_and_q(command, flags):
    """-v and -q are options of every command, after its name as before it."""
    after = _run(command, *flags, "--help")
    assert after.exit_code == 0, after.output
    before = _run(*flags, command, "--help")
    assert before.exit_code == 0, before.output
    assert "-q, --quiet" in after.stdout and "-v, --verbose" in after.stdout


def test_quiet_runs_print_nothing(work, plan_dir):
    """-q: exit 0 and nothing on stdout or stderr, for each command."""
    tiny = str(work / "tiny")
    runs = [
        ["validate", tiny],
        [
            "plan",
            tiny,
            "-o",
            str(work / "q"),
            "--no-maps",
            "--runs",
            "0",
            "--overwrite",
        ],
        ["simulate", str(plan_dir), "-n", "200", "--overwrite"],
        ["risk", tiny, "-o", str(work / "q.tif"), "--overwrite"],
        ["report", str(plan_dir)],
        ["validate-model", tiny],
    ]
    for args in runs:
        for argv in ([args[0], "-q", *args[1:]], ["-q", *args]):
            res = _run(*argv)
            assert res.exit_code == 0, (argv, res.output)
            assert res.stdout == "" and res.stderr == "", (argv, res.output)
            if args[0] == "report":  # it has no --overwrite
                (plan_dir / "report.html").unlink()
    assert _run("scenarios", "-q").stdout.split() == [
        "kidal-gao",
        "north-sector",
        "north-sector-gao-north",
    ]


def test_quiet_keeps_errors_and_exit_codes(work):
    """An error under -q is still printed on stderr, with exit code 2."""
    res = _run("-q", "validate", str(work / "no-such-folder"))
    assert res.exit_code == 2
    assert res.stdout == "" and res.stderr.startswith("error: ")


# ------------------------------------------------------------------ --json


def _json(res) -> dict:
    """The one JSON object on stdout (json.loads fails on anything else)."""
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict)
    assert res.stdout.strip() == json.dumps(doc, sort_keys=True, indent=2)
    return doc


def test_plan_json(work):
    """plan --json: folder, files, each plan's numbers, loads, exit code."""
    out = work / "json-plan"
    res = _run("plan", str(work / "tiny"), "-o", str(out), "--no-maps", "--json")
    assert res.exit_code == 0, res.output
    doc = _json(res)
    assert {"out", "files", "plans", "loads", "simulation", "exit_code"} <= set(doc)
    assert doc["exit_code"] == 0 and doc["out"] == str(out)
    assert all((out / name).is_file() for name in doc["files"])
    assert {"optimised", "historical"} <= set(doc["plans"])
    plan = json.loads((out / "plan.json").read_text())
    opt = doc["plans"]["optimised"]
    assert opt["expected_incidents"] == plan["summary"]["expected_incidents"]
    assert {"arrive", "distance_km", "vehicles_moving"} <= set(opt)
    assert {"status", "gap", "proven"} <= set(doc["loads"])
    assert doc["simulation"]["num_runs"] == 10_000
    assert doc["warnings"] == []


def test_simulate_json_and_warnings_on_stderr(work, plan_dir):
    """A warning goes to stderr (not with -q) and into the JSON; stdout is JSON."""
    fleet = work / "tiny" / "fleet.csv"
    original = fleet.read_text()
    fleet.write_text(original + "\n")  # same fleet, another sha256: a warning
    try:
        res = _run("simulate", str(plan_dir), "-n", "300", "--overwrite", "--json")
        quiet = _run(
            "simulate", str(plan_dir), "-n", "300", "--overwrite", "--json", "-q"
        )
    finally:
        fleet.write_text(original)
    assert res.exit_code == 0, res.output
    doc = _json(res)
    assert doc["command"] == "simulate" and doc["exit_code"] == 0
    assert doc["simulation"]["num_runs"] == 300
    assert doc["file"] == str(plan_dir / "simulation.json")
    assert len(doc["warnings"]) == 1 and "fleet.csv" in doc["warnings"][0]
    assert "warning: " in res.stderr
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert _json(quiet)["warnings"] == doc["warnings"]


def test_json_of_the_other_commands(work, plan_dir):
    """validate, risk, export, report, scenarios, validate-model: their keys."""
    tiny = str(work / "tiny")
    checks = {
        ("validate", tiny): {"valid", "scenario", "counts", "roads", "capacities"},
        ("risk", tiny, "-o", str(work / "j.tif")): {"file", "bands", "events"},
        ("export", str(plan_dir), "--overwrite"): {"files", "out", "crs"},
        ("report", str(plan_dir)): {"files", "out"},
        ("scenarios",): {"scenarios", "folder"},
        ("validate-model", tiny): {"rows", "unobserved", "calibration_trips"},
    }
    for args, keys in checks.items():
        if args[0] == "report":
            (plan_dir / "report.html").unlink(missing_ok=True)
        res = _run(*args, "--json")
        assert res.exit_code == 0, (args, res.output)
        doc = _json(res)
        assert keys | {"command", "exit_code", "warnings"} <= set(doc), args
        assert doc["command"] == args[0] and doc["exit_code"] == 0
    assert "kidal-gao" in _json(_run("scenarios", "--json"))["scenarios"]


def test_json_of_a_failure(defect_variant):
    """A bad scenario with --json: exit 2, the error on stderr and in the JSON."""
    folder = defect_variant("DeadlineBeforeStart")
    res = _run("validate", str(folder), "--json")
    assert res.exit_code == 2
    doc = _json(res)
    assert doc["exit_code"] == 2 and doc["error"]
    assert res.stderr.startswith("error: ")
    assert doc["error"] in res.stderr


# ------------------------------------------------------------------ 80 columns


@pytest.fixture(scope="module")
def tiny_doc(tiny_scenario) -> PlanDocument:
    return PlanDocument.from_plan(plan_withdrawal(tiny_scenario, runs=500))


def test_plan_summary_fits_80_columns(tiny_doc):
    """At width 80 every line fits and every cell is whole (no ellipsis)."""
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(summary_table(tiny_doc))
    text = console.export_text()
    assert max(map(len, text.splitlines())) <= 80
    assert not any(e in text for e in ELLIPSES)
    for s in (tiny_doc.summary, *tiny_doc.baselines.values()):
        assert s.depart.strftime("%d %b %H:%M") in text
        assert f"{s.expected_incidents:.2f}" in text
    console = Console(width=80, record=True, file=io.StringIO())
    render_summary(tiny_doc, console)
    assert not any(e in console.export_text() for e in ELLIPSES)


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{tiny}"),
        ("validate",),
        ("scenarios",),
        ("plan", "{tiny}", "-o", "{work}/cols", "--no-maps", "--runs", "300"),
        ("simulate", "{plan}", "-n", "300", "--overwrite"),
    ],
)
def test_human_summaries_at_80_columns(work, plan_dir, args):
    """COLUMNS=80: nothing is cut short with an ellipsis in any summary."""
    fill = {"tiny": work / "tiny", "work": work, "plan": plan_dir}
    res = _run(*(a.format(**fill) for a in args), env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert not any(e in res.stdout for e in ELLIPSES), res.stdout
    table = [line for line in res.stdout.splitlines() if "│" in line or "  " in line]
    assert table and max(map(len, table)) <= 80
    if args[0] == "plan":
        shutil.rmtree(work / "cols")


# ------------------------------------------------------------------ progress


def test_pareto_front_reports_prices_solved():
    """steps(done, total) goes from 0 to the number of prices, one step a price."""
    seen: list[tuple[int, int]] = []
    solved: list[float] = []

    def solve(price: float) -> SimpleNamespace:
        solved.append(price)
        assert len(seen) == len(solved)  # counted after the price is solved
        return SimpleNamespace(
            value_saved_usd=price, moving_ids=(1,), gap=None, proven=True
        )

    prices = [0.0, 1.0, 2.0, 3.0]
    front = pareto_front(
        prices,
        solve,  # type: ignore[arg-type]
        lambda _lp: 1.0,
        lambda _msg: None,
        lambda done, total: seen.append((done, total)),
    )
    assert len(front) == len(prices)
    assert seen == [(i, len(prices)) for i in range(len(prices) + 1)]


def _trip_and_column() -> tuple[TripExposure, list[ColumnVehicle]]:
    t = datetime(2023, 10, 31, 12, tzinfo=UTC)
    trip = TripExposure(
        plan="optimised",
        leg_ied=(0.4, 0.3),
        leg_ambush=(0.1, 0.2),
        halt_ambush=(0.05,),
        leg_km=(30.0, 20.0),
        planned_arrive=t,
        deadline=t + timedelta(days=1),
    )
    column = [
        ColumnVehicle("A", 0.9, True, False),
        ColumnVehicle("B", 0.8, False, False),
        ColumnVehicle("C", 0.95, False, False),
    ]
    return trip, column


def test_monte_carlo_progress_counts_up_and_changes_nothing(monkeypatch):
    """Chunks are counted in increasing runs to the total; results are identical."""
    monkeypatch.setattr(mc, "RUN_CHUNK", 1_000)
    trip, column = _trip_and_column()
    seen: list[tuple[int, int]] = []
    kw = {"num_runs": 4_500, "seed": 3, "params": SimulationParams()}
    quiet = simulate_column(trip, column, **kw)
    counted = simulate_column(
        trip, column, **kw, progress=lambda d, n: seen.append((d, n))
    )
    assert seen == [
        (0, 4500),
        (1000, 4500),
        (2000, 4500),
        (3000, 4500),
        (4000, 4500),
        (4500, 4500),
    ]
    for name in ("num_ied", "num_ambush", "delay_h", "destroyed", "breakdowns"):
        np.testing.assert_array_equal(getattr(quiet, name), getattr(counted, name))
    assert quiet.to_document() == counted.to_document()


def test_plan_steps_are_counted_and_the_plan_is_the_same(tiny_scenario, monkeypatch):
    """plan_withdrawal's steps: Pareto prices and Monte Carlo runs, plan unchanged."""
    monkeypatch.setattr(mc, "RUN_CHUNK", 700)
    seen: dict[str, list[tuple[int, int]]] = {}

    def steps(what: str, done: int, total: int) -> None:
        seen.setdefault(what, []).append((done, total))

    kw = {"pareto": True, "runs": 2_000}
    with_steps = plan_withdrawal(tiny_scenario, **kw, steps=steps)
    without = plan_withdrawal(tiny_scenario, **kw)
    assert set(seen) == {PARETO_STEPS, MONTE_CARLO_STEPS}
    for counts in seen.values():
        done = [d for d, _t in counts]
        assert done == sorted(done) and done[0] == 0
        assert counts[-1][0] == counts[-1][1] and len({t for _d, t in counts}) == 1
    assert seen[MONTE_CARLO_STEPS][-1] == (2_000, 2_000)
    assert len(seen[PARETO_STEPS]) == len(with_steps.pareto) + 1
    a = PlanDocument.from_plan(with_steps).to_json()
    assert a == PlanDocument.from_plan(without).to_json()


def test_progress_display_draws_counts_on_a_terminal():
    """A counted step shows done/total; disabled or not a terminal: nothing."""
    buf = io.StringIO()
    term = Console(file=buf, force_terminal=True, width=100)
    with ProgressDisplay(console=term) as shown:
        shown.message("planning")
        shown.steps("Monte Carlo: runs", 3, 10)
        shown.counter("Pareto front: prices")(2, 7)
    text = buf.getvalue()
    assert "3/10" in text and "2/7" in text and "ETA" in text
    for display in (
        ProgressDisplay(enabled=False, console=term),
        ProgressDisplay(console=Console(file=io.StringIO(), force_terminal=False)),
    ):
        with display as shown:
            shown.steps("Monte Carlo: runs", 3, 10)
        assert display.enabled is False


@pytest.mark.parametrize(
    ("flags", "enabled"), [((), True), (("-q",), False), (("--json",), False)]
)
def test_progress_is_off_with_q_and_json(plan_dir, monkeypatch, flags, enabled):
    """The simulate command asks for a display unless -q or --json."""
    asked: list[bool] = []

    class Recording(ProgressDisplay):
        def __init__(self, *, enabled: bool = True, console=None):
            asked.append(enabled)
            super().__init__(enabled=enabled, console=console)

    monkeypatch.setattr(simulate_cmd, "ProgressDisplay", Recording)
    res = _run("simulate", str(plan_dir), "-n", "100", "--overwrite", *flags)
    assert res.exit_code == 0, res.output
    assert asked == [enabled]
    assert "Monte Carlo" not in res.stderr  # stderr is not a terminal here


# ------------------------------------------------------------------ help


def test_help_shows_examples_and_completion():
    """convoy --help: examples and shell completion; each command: examples."""
    res = _run("--help")
    assert "Examples:" in res.stdout and "_CONVOY_COMPLETE=bash_source convoy" in (
        res.stdout
    )
    commands = res.stdout.split("Commands:")[1].split("Examples:")[0]
    assert "..." not in commands  # every command's one-line help is whole
    for command in COMMANDS:
        assert "Examples:" in _run(command, "--help").stdout, command


def test_bash_completion_script():
    """_CONVOY_COMPLETE=bash_source prints the completion script (the README's)."""
    res = CliRunner().invoke(
        cli, [], prog_name="convoy", env={"_CONVOY_COMPLETE": "bash_source"}
    )
    assert res.exit_code == 0
    assert "_convoy_completion" in res.stdout


def test_unproven_loads_with_json_exit_3(work, tiny_doc, monkeypatch):
    """Loads not proven: the JSON says exit 3 and proven false; the reason on stderr."""
    from convoy.cli import plan as plan_cmd

    loadout = dataclasses.replace(tiny_doc.loadout, status="NOT_PROVEN")
    doc = dataclasses.replace(tiny_doc, loadout=loadout)
    monkeypatch.setattr(plan_cmd, "plan_into", lambda *_a, **_k: doc)
    args = ("plan", str(work / "tiny"), "-o", str(work / "gap"), "--json")
    for extra in ((), ("-q",)):
        res = _run(*args, *extra)
        assert res.exit_code == 3, res.output
        out = _json(res)
        assert out["exit_code"] == 3 and out["loads"]["proven"] is False
        assert "--accept-gap" in res.stderr
    res = _run(*args, "--accept-gap")
    assert res.exit_code == 0 and _json(res)["exit_code"] == 0


def test_quiet_logs_errors_only(work):
    """-q lowers convoy's log level to errors; -v wins over it."""
    logger = logging.getLogger("convoy")
    tiny = str(work / "tiny")
    for argv, level in (
        (["-q", "validate", tiny], logging.ERROR),
        (["validate", tiny, "-q"], logging.ERROR),
        (["-q", "validate", tiny, "-v"], logging.INFO),
        (["validate", tiny], logging.WARNING),  # and the default is back
    ):
        assert _run(*argv).exit_code == 0
        assert logger.level == level, argv

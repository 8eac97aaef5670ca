"""convoy sweep: grid parsing, checks before any task, failures, kill and resume.

The end-to-end test runs the command on a real ``dask.distributed.LocalCluster``
of two worker processes, kills it with SIGKILL once some combinations are
finished, runs it again (which plans only the rest) and compares the table with a
single-process run of the same combinations.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("dask.distributed")
pq = pytest.importorskip("pyarrow.parquet")

from convoy.cli.main import cli  # noqa: E402
from convoy.errors import ScenarioError  # noqa: E402
from convoy.io.scenario import read_scenario  # noqa: E402
from convoy.sweep import SweepSpec, parse_grid, prepare, read_sweep_file  # noqa: E402
from convoy.sweep.spec import split_values  # noqa: E402
from convoy.sweep.store import PARTS_DIR, write_part  # noqa: E402
from convoy.sweep.task import (  # noqa: E402
    bootstrap_events,
    build_scenario,
    fix_scales,
    fleet_subset,
)

TINY = Path(__file__).parent / "data" / "tiny"
REPO = Path(__file__).resolve().parents[1]

#: 2 x 3 grid x 4 resamples = 24 plans of the tiny scenario.
GRID = (
    "--grid",
    "scenario.air_cover=true,false",
    "--grid",
    "prices.incident_usd=1e6,3e6,9e6",
    "--resamples",
    "4",
)


@pytest.fixture
def tiny(tmp_path) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    return tmp_path / "tiny"


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _convoy(*args: str) -> list[str]:
    return [sys.executable, "-m", "convoy", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


# ------------------------------------------------------------------ the grid


def test_grid_values_are_toml_or_text():
    assert parse_grid("scenario.air_cover=true,false") == (
        "scenario.air_cover",
        [True, False],
    )
    assert parse_grid("prices.incident_usd=1e6, 2500000") == (
        "prices.incident_usd",
        [1e6, 2500000],
    )
    key, values = parse_grid('fleet.ids=["A", "B"],["C"]')
    assert key == "fleet.ids" and values == [["A", "B"], ["C"]]
    # a TOML time becomes the same ISO text the scenario file would hold
    assert parse_grid("scenario.deadline=2023-11-08T18:00:00Z")[1] == [
        "2023-11-08T18:00:00Z"
    ]
    assert split_values('a,"b,c",[1,2]') == ["a", '"b,c"', "[1,2]"]
    with pytest.raises(ScenarioError, match="KEY=V1,V2"):
        parse_grid("scenario.air_cover")


def test_sweep_file(tmp_path, tiny):
    path = tmp_path / "what-if.toml"
    path.write_text(
        f'scenario = "{tiny}"\nresamples = 2\nseed = 5\n'
        '[grid]\n"scenario.air_cover" = [true, false]\n'
        "[grid.prices]\nincident_usd = [1e6, 2e6]\n",
        encoding="utf-8",
    )
    kw = read_sweep_file(path)
    assert kw["resamples"] == 2 and kw["seed"] == 5
    assert kw["grid"] == (
        ("scenario.air_cover", (True, False)),
        ("prices.incident_usd", (1e6, 2e6)),
    )
    path.write_text("resample = 2\n[grid]\nx = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_sweep_file(path)
    text = "\n".join(map(str, err.value.problems))
    assert "resample" in text and "non-empty array" in text


def test_overrides_go_through_the_scenario_reader(tiny):
    sc = read_scenario(tiny, overrides={"scenario.air_cover": True})
    assert sc.air_cover is True
    assert read_scenario(tiny).air_cover is False
    with pytest.raises(ScenarioError, match="air_cover"):
        read_scenario(tiny, overrides={"scenario.air_cover": "yes"})
    with pytest.raises(ScenarioError, match="incident_usdd"):
        read_scenario(tiny, overrides={"prices.incident_usdd": 1.0})


@pytest.mark.parametrize(
    ("grid", "named"),
    [
        ("scenario.deadlin=2023-11-03T18:00:00Z", "deadlin"),
        ("scenario.deadline=tomorrow", "deadline"),
        ("scenario.air_cover=true,maybe", "air_cover"),
        ("files.roads=other.geojson", "files.roads"),
        ("fleet.count=0", "fleet.count"),
        ('fleet.ids=["NOPE"]', "NOPE"),
        ("fleet.size=3", "fleet.size"),
    ],
)
def test_a_bad_value_stops_the_sweep_before_any_task(tiny, tmp_path, grid, named):
    out = tmp_path / "sweep"
    res = _run(
        "sweep", str(tiny), "--grid", grid, "-o", str(out), "--scheduler", "synchronous"
    )
    assert res.exit_code == 2, res.output
    assert named in res.stderr and "Traceback" not in res.stderr
    assert not (out / PARTS_DIR).exists()


def test_scale_draws_need_a_fitted_calibration(tiny, tmp_path):
    toml = tiny / "scenario.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + "\n[calibration]\nenabled = false\n[risk]\nscale_ied = 1.0\n"
        "scale_ambush = 1.0\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="scale draws"):
        prepare(SweepSpec(str(tiny), scale_draws=2))


def test_bootstrap_is_seeded():
    sc = read_scenario(TINY)
    a = bootstrap_events(sc.events, np.random.default_rng([1, 2, 0]))
    b = bootstrap_events(sc.events, np.random.default_rng([1, 2, 0]))
    c = bootstrap_events(sc.events, np.random.default_rng([1, 3, 0]))
    assert np.array_equal(a.xy, b.xy) and a.num_events == sc.events.num_events
    assert not np.array_equal(a.xy, c.xy) or sc.events.num_events < 2
    # every resampled event is one of the file's
    rows = {tuple(p) for p in sc.events.xy}
    assert all(tuple(p) in rows for p in a.xy)


def test_scale_draws_are_seeded_gamma_multipliers():
    sc = read_scenario(TINY)
    fitted, s_ied, s_amb = fix_scales(sc, 0, 7)
    assert fitted.calibration.enabled is False
    assert (fitted.risk.scale_ied, fitted.risk.scale_ambush) == (s_ied, s_amb)
    draws = [fix_scales(sc, d, 7)[1:] for d in (1, 2, 3)]
    assert draws[0] == fix_scales(sc, 1, 7)[1:]  # the same draw, the same scales
    assert len({d[0] for d in draws}) == 3  # draws differ
    assert fix_scales(sc, 1, 8)[1:] != draws[0]  # another seed, another draw
    assert all(d[0] > 0 and d[1] > 0 for d in draws)


def test_a_fleet_subset_keeps_the_whole_fleets_scales(tiny):
    sc = read_scenario(tiny)
    whole = fix_scales(sc, 0, 7)[1:]
    task = {
        "scenario": str(tiny),
        "overrides": {},
        "fleet": {"count": 4},
        "resample": 0,
        "draw": 0,
        "seed": 7,
    }
    sub, s_ied, s_amb = build_scenario(task)
    assert (s_ied, s_amb) == whole
    assert [v.id for v in sub.vehicles] == [v.id for v in sc.vehicles[:4]]
    ids = [sc.vehicles[4].id, sc.vehicles[0].id]
    kept = fleet_subset(sc, {"ids": ids}).vehicles
    assert [v.id for v in kept] == [sc.vehicles[0].id, sc.vehicles[4].id]


# ------------------------------------------------------------------ failures


def test_a_failed_combination_is_recorded_and_the_sweep_goes_on(tiny, tmp_path):
    out = tmp_path / "sweep"
    # three vehicles seat too few of the 20 persons: that plan fails, 5 does not
    res = _run(
        "sweep",
        str(tiny),
        "--grid",
        "fleet.count=3,5",
        "-o",
        str(out),
        "--scheduler",
        "synchronous",
        "--json",
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["combinations"] == 2 and summary["failed"] == 1
    rows = pq.read_table(out / "sweep.parquet").to_pylist()
    bad, good = sorted(rows, key=lambda r: r["fleet.count"])
    assert bad["status"] == "failed" and "seat" in bad["error"]
    assert bad["expected_incidents"] is None
    assert good["status"] == "ok" and good["expected_incidents"] > 0
    assert "seat" in (out / "sweep.html").read_text(encoding="utf-8")
    csv_text = (out / "sweep_summary.csv").read_text(encoding="utf-8")
    assert csv_text.startswith("fleet.count,outcome,unit,n,failed,")
    # a rerun plans the failed one again and skips the other
    again = json.loads(
        _run(
            "sweep",
            str(tiny),
            "--grid",
            "fleet.count=3,5",
            "-o",
            str(out),
            "--scheduler",
            "synchronous",
            "--json",
        ).stdout
    )
    assert again["skipped"] == 1 and again["planned"] == 1


def test_a_torn_part_is_planned_again(tiny, tmp_path):
    out = tmp_path / "sweep"
    args = (
        "sweep",
        str(tiny),
        "--grid",
        "prices.incident_usd=1e6,2e6",
        "-o",
        str(out),
        "--scheduler",
        "synchronous",
        "--json",
    )
    first = pq.read_table(_table(_run(*args), out)).to_pylist()
    parts = sorted((out / PARTS_DIR).glob("*.json"))
    parts[0].write_text('{"key": "', encoding="utf-8")  # damaged from outside
    (out / PARTS_DIR / ".part-leftover").write_text("x", encoding="utf-8")
    res = _run(*args)
    assert json.loads(res.stdout)["planned"] == 1
    assert pq.read_table(out / "sweep.parquet").to_pylist() == first
    assert not (out / PARTS_DIR / ".part-leftover").exists()
    write_part(out / PARTS_DIR, {"key": "x" * 64, "status": "ok"})  # another sweep's
    assert pq.read_table(_table(_run(*args), out)).to_pylist() == first


def _table(res, out: Path) -> Path:
    assert res.exit_code == 0, res.output
    return out / "sweep.parquet"


# ------------------------------------------------------------------ Dask, kill, resume


def test_local_cluster_killed_and_resumed_gives_the_single_process_table(
    tiny, tmp_path
):
    """SIGKILL half-way, rerun: the same table as one process planning them all."""
    out = tmp_path / "dask"
    args = _convoy("sweep", str(tiny), *GRID, "-o", str(out), "--workers", "2", "-q")
    t0 = time.monotonic()
    proc = subprocess.Popen(args, env=_env(), start_new_session=True)
    parts = out / PARTS_DIR
    killed_at = None
    try:
        while time.monotonic() - t0 < 120 and proc.poll() is None:
            n = len(list(parts.glob("*.json"))) if parts.is_dir() else 0
            if n >= 2:
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = n
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert killed_at is not None, "the sweep ended before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    finished = len(list(parts.glob("*.json")))
    assert 2 <= finished < 24
    assert not (out / "sweep.parquet").exists()  # the set is written at the end

    res = subprocess.run(
        [*args[:-1], "--json"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["combinations"] == 24 and summary["failed"] == 0
    assert summary["skipped"] >= finished and summary["planned"] <= 24 - finished
    assert summary["workers"] == 2

    single = tmp_path / "single"
    res = _run(
        "sweep", str(tiny), *GRID, "-o", str(single), "--scheduler", "local-sync", "-q"
    )
    assert res.exit_code == 0, res.output
    dask_rows = pq.read_table(out / "sweep.parquet").to_pylist()
    single_rows = pq.read_table(single / "sweep.parquet").to_pylist()
    assert [r["index"] for r in dask_rows] == list(range(24))
    assert dask_rows == single_rows
    assert (out / "sweep_summary.csv").read_bytes() == (
        single / "sweep_summary.csv"
    ).read_bytes()
    assert {p.name for p in out.iterdir()} >= {
        "sweep.parquet",
        "sweep_summary.csv",
        "sweep.html",
        "sweep_1.png",
        "sweep_2.png",
        PARTS_DIR,
    }
    assert time.monotonic() - t0 < 90

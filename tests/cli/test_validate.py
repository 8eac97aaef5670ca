"""``convoy validate`` and ``convoy scenarios`` through click's test runner."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from convoy.cli.main import cli


def run(*args: str):
    """Invoke the convoy command line; stderr is kept apart from stdout."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version():
    """--version prints the package version."""
    import convoy

    result = run("--version")
    assert result.exit_code == 0
    assert convoy.__version__ in result.output


def test_validate_tiny(tiny_dir):
    """A valid scenario exits 0 with counts, km by surface, repairs, route, capacity."""
    result = run("validate", str(tiny_dir))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Tiny test withdrawal" in out
    assert "sites: camp" in out and "North, West" in out
    assert "1 after the start" in out
    assert "laterite" in out and "24.5" in out
    assert "7 nodes, 7 edges, 1 component(s)" in out
    assert "split 4 lines into 6 pieces" in out
    assert "North -> South: 49.1 km" in out
    assert "seats (persons)" in out and "2.30" in out
    assert "The scenario is valid." in out
    assert result.stderr == ""


def test_validate_defect(defect):
    """Each defective scenario exits 2 with a message naming the file, no traceback."""
    result = run("validate", str(defect.path))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("error: ")
    assert any(all(p in line for p in defect.expect) for line in err.splitlines()), err
    assert "Traceback" not in err


def test_validate_lists_every_problem(tmp_path, tiny_dir, edits):
    """Several problems give one error with a count and one problem a line."""

    d = tmp_path / "two"
    shutil.copytree(tiny_dir, d)
    edits.csv(d / "fleet.csv", "APC-1", "seats", "-1")
    edits.csv(d / "manifest.csv", "L01", "camp", "Atlantis")
    result = run("validate", str(d))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 2 problems in the scenario:"
    assert "fleet.csv: row 2 ('APC-1'): field 'seats'" in lines[1]
    assert "manifest.csv: row 2 ('L01'): field 'camp'" in lines[2]


def test_validate_missing_scenario(tmp_path):
    """A path that is neither a scenario nor an embedded name is refused, code 2."""
    result = run("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and "embedded scenario" in result.stderr


def test_validate_geometry_only_roads(geometry_only_dir):
    """Bare road lines validate (exit 0) and the repairs say the defaults were used."""
    result = run("validate", str(geometry_only_dir))
    assert result.exit_code == 0, result.output
    assert "4 of 4 features had no surface" in result.stdout
    assert "default_surface 'track'" in result.stdout


def test_validate_prints_warnings(tmp_path, tiny_dir, edits):
    """A DataQualityWarning is printed on stderr and the run still succeeds."""

    d = tmp_path / "big"
    shutil.copytree(tiny_dir, d)
    edits.csv(d / "manifest.csv", "L03", "weight_kg", "20000")
    result = run("validate", str(d))
    assert result.exit_code == 0
    assert "warning: " in result.stderr and "fits on no vehicle" in result.stderr


def test_scenarios_lists_embedded(tmp_path, tiny_dir, monkeypatch):
    """`convoy scenarios` lists each folder with a scenario.toml: name, title, path."""
    shutil.copytree(tiny_dir, tmp_path / "mini")
    monkeypatch.setenv("CONVOY_GEODATA", str(tmp_path))
    result = run("scenarios")
    assert result.exit_code == 0
    assert "mini" in result.stdout and "Tiny test withdrawal" in result.stdout
    result = run("validate", "mini")
    assert result.exit_code == 0, result.output


def test_scenarios_none(tmp_path, monkeypatch):
    """With no embedded scenarios the command says so and exits 0."""
    monkeypatch.setenv("CONVOY_GEODATA", str(tmp_path))
    result = run("scenarios")
    assert result.exit_code == 0
    assert "No embedded scenarios" in result.stdout


def test_validate_embedded(embedded_kidal_gao):
    """The default embedded scenario validates; Kidal -> Gao is 340-360 km."""
    result = run("validate")
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if "Kidal -> Gao:" in ln)
    km = float(line.rsplit(":", 1)[1].replace("km", "").strip())
    assert 340 <= km <= 360


@pytest.mark.parametrize("flag", ["-v", "-vv"])
def test_verbose_flag(flag, tiny_dir):
    """-v logs what was read (INFO) on stderr; -vv adds the repairs (DEBUG)."""
    import logging

    logger = logging.getLogger("convoy")
    before = (logger.level, list(logger.handlers))
    try:
        result = run(flag, "validate", str(tiny_dir))
    finally:
        logger.setLevel(before[0])
        logger.handlers[:] = before[1]
    assert result.exit_code == 0
    assert "INFO convoy.roads.build:" in result.stderr
    assert "7 nodes, 7 edges" in result.stderr
    assert ("DEBUG convoy.roads.build:" in result.stderr) is (flag == "-vv")


def test_guard_turns_convoy_errors_into_exit_2():
    """Any ConvoyError (here a NoRouteError) ends with its message and code 2."""
    import click

    from convoy.cli.options import guarded
    from convoy.errors import NoRouteError

    @click.command()
    @guarded
    def boom() -> None:
        msg = "no road joins 'A' and 'B'"
        raise NoRouteError(msg)

    result = CliRunner().invoke(boom, [])
    assert result.exit_code == 2
    assert result.stderr == "error: no road joins 'A' and 'B'\n"


def test_guard_leaves_bugs_alone():
    """An exception that is not a ConvoyError is not hidden."""
    import click

    from convoy.cli.options import guarded

    @click.command()
    @guarded
    def bug() -> None:
        raise ZeroDivisionError

    result = CliRunner().invoke(bug, [])
    assert result.exit_code == 1
    assert isinstance(result.exception, ZeroDivisionError)


def test_plan_refuses_reference_trip_outside_the_dates(defect_variant, tmp_path):
    """convoy plan exits 2, naming [calibration] depart, and writes nothing."""
    out = tmp_path / "plan"
    result = run("plan", str(defect_variant("CalibrationBeforeStart")), "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "[calibration]: field 'depart'" in result.stderr
    assert "2024-10-31T06:00Z (start)" in result.stderr
    assert not out.exists()


def test_validate_refuses_a_sparse_events_file_past_the_limit(tmp_path, tiny_dir):
    """A 513 MiB (sparse) events file: exit 2 naming file, size, limit; not read."""
    d = tmp_path / "big"
    shutil.copytree(tiny_dir, d)
    with open(d / "events.csv", "r+b") as f:
        f.truncate(513 << 20)
    result = run("validate", str(d))
    assert result.exit_code == 2, result.output
    (line,) = [ln for ln in result.stderr.splitlines() if "events.csv" in ln]
    assert "expected a file of at most 512 MiB" in line
    assert "CONVOY_MAX_INPUT_MB" in line and "found 513.0 MiB" in line
    assert "Traceback" not in result.stderr


def test_files_outside_the_folder_only_by_absolute_path(tmp_path, tiny_dir, edits):
    """`../fleet.csv` is refused unread; the same file by absolute path is used."""
    d = tmp_path / "sc"
    shutil.copytree(tiny_dir, d)
    outside = tmp_path / "fleet.csv"
    shutil.move(d / "fleet.csv", outside)
    edits.text(d / "scenario.toml", 'fleet = "fleet.csv"', 'fleet = "../fleet.csv"')
    result = run("validate", str(d))
    assert result.exit_code == 2
    assert "field 'fleet' expected a path inside the scenario folder" in result.stderr
    assert "payload_kg" not in result.stderr  # nothing of the file is shown
    edits.text(d / "scenario.toml", '"../fleet.csv"', f'"{outside}"')
    result = run("validate", str(d))
    assert result.exit_code == 0, result.output


def test_outside_file_content_never_echoed(tmp_path, tiny_dir, edits):
    """A relative path to a file outside the folder never shows its content."""
    d = tmp_path / "sc"
    shutil.copytree(tiny_dir, d)
    (tmp_path / "secret.txt").write_text("root:SECRET-LINE,x\n")
    edits.text(d / "scenario.toml", 'fleet = "fleet.csv"', 'fleet = "../secret.txt"')
    result = run("validate", str(d))
    assert result.exit_code == 2
    assert "SECRET" not in result.output and "SECRET" not in result.stderr
    # by absolute path it is read, found not to be a table, and still not shown
    edits.text(d / "scenario.toml", '"../secret.txt"', f'"{tmp_path / "secret.txt"}"')
    result = run("validate", str(d))
    assert result.exit_code == 2
    assert "SECRET" not in result.output and "SECRET" not in result.stderr
    assert "a first line of 2 cells that is not column names" in result.stderr


def test_validate_names_a_bad_size_limit(tiny_dir, monkeypatch):
    """A CONVOY_MAX_INPUT_MB that is not a number > 0 is named: exit 2."""
    monkeypatch.setenv("CONVOY_MAX_INPUT_MB", "lots")
    result = run("validate", str(tiny_dir))
    assert result.exit_code == 2
    assert "CONVOY_MAX_INPUT_MB: expected a number of MiB > 0" in result.stderr

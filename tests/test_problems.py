"""The problem collector: order, the cap per file, the error class."""

from __future__ import annotations

import pytest

from convoy._problems import MAX_LISTED_PROBLEMS, Problems
from convoy.errors import GeodataError, Problem, ScenarioError


def test_cap_per_file_with_a_count():
    """Each file lists at most the cap; one line counts the rest, file by file."""
    problems = Problems("events.csv")
    for i in range(MAX_LISTED_PROBLEMS + 10):
        problems.add("", f"row {i + 2}", "latitude", "a number", "'x'")
    problems.add("fleet.csv", "row 2", "seats", "an integer >= 0", "'-1'")
    assert len(problems) == MAX_LISTED_PROBLEMS + 11
    items = problems.items
    assert len(items) == MAX_LISTED_PROBLEMS + 2
    assert isinstance(items[MAX_LISTED_PROBLEMS], Problem)
    assert items[MAX_LISTED_PROBLEMS].file == "fleet.csv"
    assert items[-1] == "events.csv: ... and 10 more problems"


def test_raise_once_with_the_right_class():
    """Only geographic files give a GeodataError; anything else a ScenarioError."""
    problems = Problems()
    problems.raise_if_any(geodata_files=["roads.geojson"])  # nothing recorded
    problems.add("roads.geojson", "feature 2", "geometry", "finite coordinates")
    with pytest.raises(GeodataError):
        problems.raise_if_any(geodata_files=["roads.geojson"])
    problems.take(ScenarioError("fleet.csv: something"), file="fleet.csv")
    with pytest.raises(ScenarioError) as err:
        problems.raise_if_any(geodata_files=["roads.geojson"])
    assert not isinstance(err.value, GeodataError)
    assert str(err.value).splitlines()[1] == "fleet.csv: something"


def test_take_fills_in_file_and_place():
    """A record's own error gets the file and row it came from."""
    problems = Problems()
    problems.take(
        ScenarioError(Problem("", "TRK-1", "length_m", "a number > 0", "0.0")),
        file="fleet.csv",
        where="row 3 ('TRK-1')",
    )
    (p,) = problems.items
    assert isinstance(p, Problem)
    assert (p.file, p.where, p.field) == ("fleet.csv", "row 3 ('TRK-1')", "length_m")


def test_counts_left_out_elsewhere_are_merged():
    """A reader's own count of problems left out is added to the file's count."""
    inner = Problems("events.csv")
    for i in range(MAX_LISTED_PROBLEMS + 3):
        inner.add("", f"row {i + 2}", "event_date", "a date", "'x'")
    outer = Problems("scenario.toml")
    outer.add("", "[scenario]", "seed", "an integer >= 0", "-1")
    outer.take(inner.error(), file="events.csv")
    items = outer.items
    assert len(outer) == MAX_LISTED_PROBLEMS + 4
    assert len(items) == MAX_LISTED_PROBLEMS + 2
    assert items[-1] == "events.csv: ... and 3 more problems"

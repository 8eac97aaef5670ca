"""Fixtures: the export scenario, a plan on it, and its map outputs (built once)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))

from make_fixture import OUT, build_plan, maps_outputs

from convoy.scenario import read_scenario


@pytest.fixture(scope="session")
def export_scenario():
    """The Kidal -> Anefis export scenario, loaded."""
    return read_scenario(OUT)


@pytest.fixture(scope="session")
def export_plan():
    """A plan.json document on the export scenario (hand-made, not solved)."""
    return build_plan(OUT)


@pytest.fixture(scope="session")
def maps_dir(tmp_path_factory, export_plan, export_scenario):
    """A folder with every output of write_maps() for the export plan (read only)."""
    return maps_outputs(tmp_path_factory, export_plan, export_scenario)

"""Shared fixtures: the tiny scenario and its defective variants.

``tests/data/tiny/`` is a small valid scenario (two camps, a destination 50 km
south, four roads, five vehicles, five lots, five ACLED rows). The gallery
``tests/data/defects/`` keeps every defective input as a small folder named after
its defect: the files that replace the tiny scenario's own, and ``defect.toml``
saying which files it deletes, which environment it needs, and the file, row or
feature, field and texts one line of the error message must name. A defective
scenario is the tiny one with that folder laid over it, built on demand in a
temporary folder of the same name (``DEFECTS`` holds the specs).

A test that takes a ``defect`` argument runs once per defect. To add one: make
the folder with the changed files and a ``defect.toml`` like its neighbours'.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
GALLERY = DATA / "defects"

# tests/export/make_fixture.py builds the export scenario's plan and maps
sys.path.insert(0, str(Path(__file__).parent / "outputs"))


# ------------------------------------------------------------------ editing helpers


def edit_text(path: Path, old: str, new: str) -> None:
    """Replace one exact text (which must be there) in a file."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def edit_csv(path: Path, row_id: str, column: str, value: str) -> None:
    """Set one cell of a CSV, found by the row's ``id`` and the column name."""
    rows = list(csv.reader(path.read_text().splitlines()))
    col = rows[0].index(column)
    hits = [r for r in rows[1:] if r[0] == row_id]
    assert hits, f"no row {row_id!r} in {path}"
    hits[0][col] = value
    write_csv(path, rows)


def drop_csv_column(path: Path, column: str) -> None:
    """Remove a column from a CSV."""
    rows = list(csv.reader(path.read_text().splitlines()))
    col = rows[0].index(column)
    write_csv(path, [r[:col] + r[col + 1 :] for r in rows])


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Write rows as CSV with plain newlines."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


def edit_geojson(path: Path, fn: Callable[[dict], None]) -> None:
    """Load a GeoJSON, let ``fn`` change it in place, write it back (NaN allowed)."""
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def feature(doc: dict, name: str) -> dict:
    """The feature of a sites/roads GeoJSON whose ``name`` property is ``name``."""
    return next(f for f in doc["features"] if f["properties"].get("name") == name)


# ------------------------------------------------------------ the gallery of defects


@dataclass(frozen=True)
class DefectSpec:
    """
    One folder of ``tests/data/defects/``: what it breaks and what must be named.

    ``file``, ``where`` and ``field`` are the file, the row or feature, and the
    field the message must name; ``scope`` is ``"file"`` for a defect of the whole
    file (missing, empty, too large, unreadable: no row or field to name) and
    ``"row"`` for one of a whole row (bad bytes, wrong cell count: no field),
    empty otherwise; ``also`` are further
    texts the same line must hold; ``remove`` are files of the tiny scenario the
    defect deletes; ``env`` are environment variables set while it runs.
    """

    name: str
    file: str
    where: str
    field: str
    scope: str
    also: list[str]
    remove: list[str]
    env: dict[str, str]

    @property
    def expect(self) -> list[str]:
        """Every text one line of the message must hold."""
        field = [f"field '{self.field}'"] if self.field else []
        return [self.file, *([self.where] if self.where else []), *field, *self.also]


def read_gallery() -> dict[str, DefectSpec]:
    """Every defect of ``tests/data/defects/`` by folder name."""
    out: dict[str, DefectSpec] = {}
    for d in sorted(GALLERY.iterdir()):
        spec = tomllib.loads((d / "defect.toml").read_text())
        out[d.name] = DefectSpec(
            d.name,
            spec["file"],
            spec.get("where", ""),
            spec.get("field", ""),
            spec.get("scope", ""),
            list(spec.get("also", [])),
            list(spec.get("remove", [])),
            dict(spec.get("env", {})),
        )
    return out


#: Defect name -> what it breaks and what the message must name.
DEFECTS: dict[str, DefectSpec] = read_gallery()


def apply_defect(d: Path, name: str) -> None:
    """Turn a copy of the tiny scenario into the defect ``name``."""
    spec = DEFECTS[name]
    for f in spec.remove:
        (d / f).unlink()
    for f in (GALLERY / name).iterdir():
        if f.name != "defect.toml":
            shutil.copy2(f, d / f.name)


@dataclass(frozen=True)
class Defect:
    """A defective scenario folder and what its error must name."""

    name: str
    path: Path
    expect: list[str]
    spec: DefectSpec


def build_variant(root: Path, name: str, fn: Callable[[Path], None]) -> Path:
    """Copy the tiny scenario to ``root/name`` and apply ``fn`` to it."""
    d = root / name
    if not d.exists():
        shutil.copytree(TINY, d)
        fn(d)
    return d


def build_defect(root: Path, name: str) -> Path:
    """The folder of the defect ``name`` under ``root`` (built once)."""
    return build_variant(root, name, lambda d: apply_defect(d, name))


@pytest.fixture(scope="session")
def variants_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder holding the scenario variants."""
    return tmp_path_factory.mktemp("scenarios")


@pytest.fixture
def defect(
    request: pytest.FixtureRequest,
    variants_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Defect:
    """One defective scenario (tests taking ``defect`` run once per defect)."""
    spec = DEFECTS[request.param]
    for key, value in spec.env.items():
        monkeypatch.setenv(key, value)
    path = build_defect(variants_root, request.param)
    return Defect(request.param, path, spec.expect, spec)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``defect`` once per folder of the gallery."""
    if "defect" in metafunc.fixturenames:
        metafunc.parametrize("defect", sorted(DEFECTS), indirect=True)


@pytest.fixture(scope="session")
def edits() -> SimpleNamespace:
    """The file-editing helpers above, for tests that break their own copy.

    ``edits.text(path, old, new)``, ``edits.csv(path, row_id, column, value)``,
    ``edits.drop_column(path, column)``, ``edits.geojson(path, fn)``.
    """
    return SimpleNamespace(
        text=edit_text, csv=edit_csv, drop_column=drop_csv_column, geojson=edit_geojson
    )


@pytest.fixture(scope="session")
def defect_variant(variants_root: Path) -> Callable[[str], Path]:
    """Build (once) and return the folder of the defect of that name."""
    return lambda name: build_defect(variants_root, name)


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """The tiny valid scenario folder."""
    return TINY


@pytest.fixture(scope="session")
def tiny_scenario():
    """The tiny scenario, loaded once."""
    from convoy.io.scenario import read_scenario

    return read_scenario(TINY)


@pytest.fixture(scope="session")
def geometry_only_dir(variants_root: Path) -> Path:
    """The tiny scenario with a roads layer of bare lines (no attributes)."""

    def fn(d: Path) -> None:
        def strip(doc: dict) -> None:
            for f in doc["features"]:
                f["properties"] = {}

        edit_geojson(d / "roads.geojson", strip)

    return build_variant(variants_root, "RoadsGeometryOnly", fn)


@pytest.fixture(scope="session")
def embedded_kidal_gao() -> Path:
    """The embedded Kidal-Gao scenario folder; skips while it is not there."""
    from convoy.io.scenario import embedded_scenarios

    found = embedded_scenarios().get("kidal-gao")
    if found is None:
        pytest.skip("geodata/kidal-gao is not there")
    return found


# ------------------------------------------------- the export scenario and its maps
# Shared by tests/export, tests/report and tests/qgis: session fixtures here are
# built once for all three (in each folder's own conftest they were built thrice).


@pytest.fixture(scope="session")
def export_scenario():
    """The Kidal -> Anefis export scenario, loaded."""
    from make_fixture import OUT

    from convoy.io.scenario import read_scenario

    return read_scenario(OUT)


@pytest.fixture(scope="session")
def export_plan():
    """A plan.json document on the export scenario (hand-made, not solved)."""
    from make_fixture import OUT, build_plan

    return build_plan(OUT)


@pytest.fixture(scope="session")
def export_doc(export_plan):
    """The export plan as a PlanDocument."""
    from convoy.document import PlanDocument

    return PlanDocument.from_dict(export_plan)


@pytest.fixture(scope="session")
def maps_dir(tmp_path_factory, export_doc, export_scenario):
    """A folder with every output of write_maps() for the export plan (read only)."""
    from make_fixture import maps_outputs

    return maps_outputs(tmp_path_factory, export_doc, export_scenario)

"""What a sweep runs: the axes, the threat draws, and one task per combination.

A sweep is a grid over scenario parameters (dotted ``scenario.toml`` keys such as
``scenario.deadline`` or ``prices.incident_usd``, and the fleet subsets
``fleet.count`` and ``fleet.ids``) times the threat draws: bootstrap resamples of the
events and draws of the calibration scales from their Gamma posterior. Each
combination becomes one :class:`Combination` whose :meth:`Combination.task` is plain
data (the scenario file's path and the overrides), keyed by the SHA-256 of its
inputs so that a finished one is skipped when the sweep is run again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from convoy._problems import Problems
from convoy._version import __version__
from convoy.errors import Problem, ScenarioError
from convoy.io.files import file_sha256, label_of
from convoy.io.overrides import override_problems
from convoy.io.toml import read_toml

#: The pseudo-table of fleet subsets: ``fleet.count`` (the first N vehicles of the
#: fleet file) and ``fleet.ids`` (those vehicle ids, an array).
FLEET_TABLE = "fleet"

#: Keys of the fleet pseudo-table.
FLEET_KEYS: tuple[str, ...] = ("count", "ids")

#: Keys of a sweep file's top level.
SWEEP_FILE_KEYS: tuple[str, ...] = (
    "scenario",
    "grid",
    "resamples",
    "scale_draws",
    "seed",
    "runs",
)

#: Largest number of combinations of one sweep; an assumption that keeps a typo
#: (an extra zero in --resamples) from queueing a week of work.
MAX_COMBINATIONS = 100_000


def plain(value: Any) -> Any:
    """A TOML value as JSON-able plain data: times become ISO 8601 text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def parse_value(text: str) -> Any:
    """
    One ``--grid`` value: a TOML value, or failing that the text itself.

    A TOML value is a number, true or false, an array, a quoted string or a time
    (given back as ISO 8601 text).

    Examples
    --------
    >>> parse_value("2.5e6"), parse_value("true"), parse_value("Gao")
    (2500000.0, True, 'Gao')
    >>> parse_value("2023-11-08T18:00:00Z")
    '2023-11-08T18:00:00Z'
    """
    text = text.strip()
    try:
        return plain(tomllib.loads(f"v = {text}")["v"])
    except tomllib.TOMLDecodeError:
        return text


def split_values(text: str) -> list[str]:
    """
    ``V1,V2,...`` split at the commas outside brackets and quotes.

    Examples
    --------
    >>> split_values('1,[1, 2],"a,b"')
    ['1', '[1, 2]', '"a,b"']
    """
    out: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [v.strip() for v in out]


def parse_grid(option: str) -> tuple[str, list[Any]]:
    """
    ``KEY=V1,V2`` as the key and its values.

    Raises
    ------
    ScenarioError
        No ``=``, an empty key, or no value.

    Examples
    --------
    >>> parse_grid("scenario.air_cover=true,false")
    ('scenario.air_cover', [True, False])
    """
    key, eq, values = option.partition("=")
    key = key.strip()
    texts = [v for v in split_values(values) if v] if eq else []
    if not key or not texts:
        raise ScenarioError(
            Problem(
                "--grid",
                "",
                option,
                "KEY=V1,V2,... with a dotted key, e.g. scenario.air_cover=true,false",
                repr(option),
            )
        )
    return key, [parse_value(v) for v in texts]


@dataclass(frozen=True)
class SweepSpec:
    """
    A whole sweep.

    Parameters
    ----------
    scenario
        A scenario folder, its ``scenario.toml`` or an embedded scenario's name.
    grid
        ``(key, values)`` axes, in the order given; the combinations are their
        product.
    resamples
        Bootstrap resamples of the events per grid point (0: the events as read).
    scale_draws
        Draws of the calibration scales from their Gamma posterior per grid point
        and resample (0: the fitted scales).
    seed
        Seed of the resamples and draws; None for the scenario's ``seed``.
    runs
        Monte Carlo runs of each plan (0: none).
    """

    scenario: str
    grid: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    resamples: int = 0
    scale_draws: int = 0
    seed: int | None = None
    runs: int = 0

    @property
    def axes(self) -> list[str]:
        """The swept keys, in order."""
        return [k for k, _ in self.grid]


def _int_key(doc: Mapping[str, Any], key: str, label: str, problems: Problems) -> Any:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(label, "", key, "an integer >= 0", repr(value))
        return None
    return value


def read_sweep_file(path: Path) -> dict[str, Any]:
    """
    A sweep file (TOML) as keyword arguments of :class:`SweepSpec`.

    The file holds ``scenario`` (relative to the file), ``resamples``,
    ``scale_draws``, ``seed``, ``runs`` and a ``[grid]`` table of dotted keys, each
    an array of values (README, "Sweeps").

    Raises
    ------
    ScenarioError
        Naming the file and each bad key.
    """
    label = label_of(path)
    problems = Problems(label)
    doc = read_toml(path, label, problems, expected="a sweep file with a [grid]")
    if doc is None:
        raise problems.error()
    out: dict[str, Any] = {}
    for key in doc:
        if key not in SWEEP_FILE_KEYS:
            problems.add(label, "", key, f"one of {list(SWEEP_FILE_KEYS)}", "unknown")
    scenario = doc.get("scenario")
    if scenario is not None:
        if isinstance(scenario, str) and scenario.strip():
            where = path.parent / scenario
            out["scenario"] = str(where) if where.exists() else scenario
        else:
            problems.add(label, "", "scenario", "a folder or a name", repr(scenario))
    for key in ("resamples", "scale_draws", "seed", "runs"):
        value = _int_key(doc, key, label, problems)
        if value is not None:
            out[key] = value
    grid = doc.get("grid", {})
    axes: list[tuple[str, tuple[Any, ...]]] = []
    if not isinstance(grid, dict):
        problems.add(label, "[grid]", "", "a table of KEY = [values]", repr(grid))
        grid = {}
    for table, value in grid.items():
        # "scenario.deadline" = [...] and [grid.scenario] deadline = [...] alike
        items = (
            [(f"{table}.{k}", v) for k, v in value.items()]
            if isinstance(value, dict)
            else [(table, value)]
        )
        for key, values in items:
            if not isinstance(values, list) or not values:
                problems.add(label, "[grid]", key, "a non-empty array", repr(values))
            else:
                axes.append((key, tuple(plain(v) for v in values)))
    if problems:
        raise problems.error()
    out["grid"] = tuple(axes)
    return out


def check_axes(spec: SweepSpec) -> None:
    """
    Every axis key well formed, none twice, the count of combinations bounded.

    Raises
    ------
    ScenarioError
        Naming each bad key (``fleet.*`` keys are checked here, the others are
        ``table.key`` of an overridable table).
    """
    problems = Problems("sweep")
    seen: set[str] = set()
    toml_keys = []
    for key, values in spec.grid:
        if key in seen:
            problems.add("sweep", "grid", key, "each key once", "twice")
        seen.add(key)
        if not values:
            problems.add("sweep", "grid", key, "at least one value", "none")
        table, _dot, name = key.partition(".")
        if table == FLEET_TABLE:
            if name not in FLEET_KEYS:
                problems.add(
                    "sweep",
                    "grid",
                    key,
                    f"one of {[f'{FLEET_TABLE}.{k}' for k in FLEET_KEYS]}",
                    "an unknown key",
                )
        else:
            toml_keys.append(key)
    override_problems(toml_keys, "sweep", problems)
    if problems:
        raise problems.error()
    n = math.prod(len(v) for _, v in spec.grid) * max(spec.resamples, 1)
    n *= max(spec.scale_draws, 1)
    if n > MAX_COMBINATIONS:
        msg = (
            f"sweep: {n:,} combinations exceed the limit of {MAX_COMBINATIONS:,}; "
            "fewer values, resamples or draws"
        )
        raise ScenarioError(msg)


@dataclass(frozen=True)
class Combination:
    """
    One plan of a sweep: the grid point and the threat draw.

    ``values`` maps each swept key to its value here; ``resample`` and ``draw``
    number the bootstrap resample of the events and the draw of the scales (0:
    none). ``key`` is the SHA-256 of the inputs (:func:`combination_key`).
    """

    values: tuple[tuple[str, Any], ...]
    resample: int
    draw: int
    seed: int
    runs: int
    scenario_toml: str
    key: str = ""
    inputs: Mapping[str, str] = field(default_factory=dict)

    def overrides(self) -> dict[str, Any]:
        """
        The ``scenario.toml`` overrides: the swept keys but the fleet's.

        CP-SAT keeps the scenario's ``[solver] workers`` (default 2): its
        interleaved search is deterministic, while one worker switches to a
        single search strategy that proves far less (on the embedded scenario 100
        to 180 s and an 11 % gap against 8 s and 0.4 %). Sweep ``solver.workers``
        to change it.
        """
        return {k: v for k, v in self.values if not k.startswith(FLEET_TABLE + ".")}

    def fleet(self) -> dict[str, Any]:
        """The fleet subset: ``{"count": N}`` and/or ``{"ids": [...]}``."""
        prefix = FLEET_TABLE + "."
        return {k[len(prefix) :]: v for k, v in self.values if k.startswith(prefix)}

    def task(self) -> dict[str, Any]:
        """Plain data for a worker: everything :func:`run_combination` needs."""
        return {
            "key": self.key,
            "scenario": self.scenario_toml,
            "overrides": self.overrides(),
            "fleet": self.fleet(),
            "resample": self.resample,
            "draw": self.draw,
            "seed": self.seed,
            "runs": self.runs,
        }


def combination_key(inputs: Mapping[str, str], task: Mapping[str, Any]) -> str:
    """
    SHA-256 of a combination's inputs, as 64 hex digits.

    The inputs are the scenario files' SHA-256, the overrides, the fleet subset,
    the resample, the draw, the seed, the runs and convoy's version.
    """
    body = {
        "convoy": __version__,
        "inputs": dict(sorted(inputs.items())),
        **{k: v for k, v in task.items() if k not in ("key", "scenario")},
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_inputs(files: Sequence[Path]) -> dict[str, str]:
    """``{file name: "sha256:..."}`` of the scenario's files."""
    return {p.name: file_sha256(p) for p in files}


def combinations(
    spec: SweepSpec, scenario_toml: Path, inputs: Mapping[str, str], seed: int
) -> list[Combination]:
    """
    Every combination of ``spec``, in the order of the table's rows.

    The grid's order (the first axis slowest), then resample, then draw: the
    same whatever the workers do.

    Resamples and draws are numbered from 1; 0 means none.
    """
    keys = [k for k, _ in spec.grid]
    resamples = range(1, spec.resamples + 1) if spec.resamples else [0]
    draws = range(1, spec.scale_draws + 1) if spec.scale_draws else [0]
    out = []
    for point in itertools.product(*(v for _, v in spec.grid)):
        for r in resamples:
            for d in draws:
                c = Combination(
                    values=tuple(zip(keys, point, strict=True)),
                    resample=r,
                    draw=d,
                    seed=seed,
                    runs=spec.runs,
                    scenario_toml=str(scenario_toml),
                    inputs=dict(inputs),
                )
                key = combination_key(inputs, c.task())
                out.append(
                    Combination(
                        c.values, r, d, seed, spec.runs, str(scenario_toml), key, inputs
                    )
                )
    return out

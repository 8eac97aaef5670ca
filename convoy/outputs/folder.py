"""A plan folder: plan.json, the tables and (optionally) the maps, written at once.

:func:`write_outputs` writes a planned withdrawal; :func:`plan_into` checks the
folder, plans and writes, so a run that would fail to write fails before planning.
Both build everything in a staging folder beside the destination and switch the
whole set in at once only when all of it succeeded
(:func:`convoy.outputs.write.staged_outputs`: a kill at any moment leaves the
previous set or the new one); inputs are never replaced, the scenario folder is
never an output folder, and files of the user's in the folder are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from convoy.document import PLAN_FILE, PlanDocument
from convoy.outputs.maps import MAP_FILES, REPORT_CHARTS, map_inputs, write_maps
from convoy.outputs.tables import write_tables
from convoy.outputs.write import staged_outputs
from convoy.plan import Plan, plan_withdrawal
from convoy.scenario import Scenario

#: Files every plan folder holds; the maps add MAP_FILES and REPORT_CHARTS.
PLAN_FILES: tuple[str, ...] = (
    PLAN_FILE,
    "march_table.csv",
    "loads.csv",
    "left_behind.csv",
)

#: The chart drawn only when the plan carries a Monte Carlo.
SIMULATION_CHART = "simulation.png"


def _quiet(_msg: str) -> None:
    return None


def output_names(*, maps: bool = True, simulation: bool = True) -> tuple[str, ...]:
    """The files a plan folder gets: plan.json and tables, then the maps if asked."""
    if not maps:
        return PLAN_FILES
    charts = tuple(n for n in REPORT_CHARTS if simulation or n != SIMULATION_CHART)
    return PLAN_FILES + MAP_FILES + charts


def _staged(
    scenario: Scenario, out_dir: Path, names: tuple[str, ...], overwrite: bool
) -> AbstractContextManager[Path]:
    """The staged output set of a plan folder: inputs protected, old outputs stale."""
    return staged_outputs(
        out_dir,
        names,
        overwrite=overwrite,
        protect=scenario.files.inputs(),
        stale=output_names(maps=True, simulation=True),
        scenario_dir=scenario.files.scenario.parent,
        swap_folder=True,
    )


def write_plan_files(
    plan: Plan,
    out_dir: Path,
    *,
    maps: bool = True,
    crs: str = "EPSG:4326",
    progress: Callable[[str], None] = _quiet,
) -> PlanDocument:
    """Write plan.json, the tables and the maps into ``out_dir`` (no staging)."""
    doc = PlanDocument.from_plan(plan)
    doc.write(out_dir / PLAN_FILE)
    write_tables(doc, out_dir)
    if maps:
        progress("maps and report")
        write_maps(
            doc, map_inputs(plan.scenario), out_dir, crs=crs, field=plan.risk_field
        )
    return doc


def write_outputs(
    plan: Plan,
    out_dir: str | Path,
    *,
    maps: bool = True,
    crs: str = "EPSG:4326",
    overwrite: bool = False,
    progress: Callable[[str], None] = _quiet,
) -> PlanDocument:
    """
    Write a plan's folder: plan.json, the tables and (unless ``maps`` is false) maps.

    The tables are march_table.csv, loads.csv and left_behind.csv; the maps
    plan.gpkg, risk.tif, plan.qgz, report.html and its charts.

    Parameters
    ----------
    plan
        From :func:`convoy.plan.plan_withdrawal` (its Monte Carlo, if any, goes
        into plan.json and the report).
    out_dir
        The folder (created if missing).
    maps
        Also write the maps and the report.
    crs
        CRS of the GeoPackage layers and the QGIS project.
    overwrite
        Replace existing outputs (never an input).
    progress
        Called with a short message before each long step.

    Returns
    -------
    PlanDocument
        The document written as plan.json.

    Raises
    ------
    OutputExistsError
        An output exists and ``overwrite`` is false, an output is an input, or a
        non-file stands where an output goes.
    OutputFolderError
        OUT is a file, the scenario folder or inside it, or holds an input file.

    Examples
    --------
    >>> plan = plan_withdrawal(read_scenario("kidal-gao"))  # doctest: +SKIP
    >>> doc = write_outputs(plan, "plan")  # doctest: +SKIP
    """
    names = output_names(maps=maps, simulation=plan.simulation is not None)
    with _staged(plan.scenario, Path(out_dir), names, overwrite) as tmp:
        return write_plan_files(plan, tmp, maps=maps, crs=crs, progress=progress)


def plan_into(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    pareto: bool = False,
    runs: int = 10_000,
    maps: bool = True,
    crs: str = "EPSG:4326",
    overwrite: bool = False,
    progress: Callable[[str], None] = _quiet,
    steps: Callable[[str, int, int], None] | None = None,
    adversary: str = "static",
    attacker_budget: float | None = None,
    objective: str = "expected",
) -> PlanDocument:
    """
    Plan a scenario into a folder, as ``convoy plan`` does.

    The folder is checked first (existing outputs, inputs), so a run that could not
    write stops before planning; then :func:`convoy.plan.plan_withdrawal` and the
    files of :func:`write_outputs`, moved in together at the end. ``progress`` and
    ``steps``, ``adversary``, ``attacker_budget`` and ``objective`` are handed to
    :func:`convoy.plan.plan_withdrawal`.

    Raises
    ------
    OutputExistsError
        An output exists and ``overwrite`` is false, an output is an input, or a
        non-file stands where an output goes.
    OutputFolderError
        OUT is a file, the scenario folder or inside it, or holds an input file.
    InfeasibleError
        No plan meets the deadline (nothing is written).
    """
    names = output_names(maps=maps, simulation=runs > 0)
    with _staged(scenario, Path(out_dir), names, overwrite) as tmp:
        plan = plan_withdrawal(
            scenario,
            pareto=pareto,
            runs=runs,
            progress=progress,
            steps=steps,
            adversary=adversary,
            attacker_budget=attacker_budget,
            objective=objective,
        )
        return write_plan_files(plan, tmp, maps=maps, crs=crs, progress=progress)

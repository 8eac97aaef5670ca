"""``convoy report``: report.html (and report.pdf) of a written plan or sector."""

from __future__ import annotations

import json
from pathlib import Path

import click

from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
)
from convoy.cli.simulate import plan_scenario
from convoy.document import PlanDocument
from convoy.errors import ConvoyError, ScenarioError
from convoy.report import write_report
from convoy.report.pdf import pdf_engine_problem, write_pdf
from convoy.report.sector import (
    plot_sector_timeline,
    render_sector_html,
    sector_context,
)

#: A sector's folder holds this instead of plan.json (``convoy plan`` of camps).
SECTOR_FILE = "sector.json"


def run_report(
    plan_dir: str | Path, *, pdf: bool = False, template: str | Path | None = None
) -> list[Path]:
    """
    Write PLANDIR/report.html (and report.pdf) from PLANDIR/plan.json.

    The scenario the plan names is read again for its sites, the IED's daily
    profile and its ``[report] template`` (used unless ``template`` is given);
    the charts are drawn again beside the page.

    Raises
    ------
    ConvoyError
        No or invalid plan.json, scenario not found, template invalid, or ``pdf``
        asked where WeasyPrint cannot run (checked before anything is written).
    """
    folder = Path(plan_dir)
    if (folder / SECTOR_FILE).is_file() and not (folder / "plan.json").is_file():
        return run_sector_report(folder, pdf=pdf, template=template)
    doc = PlanDocument.read_folder(folder)
    if pdf and (problem := pdf_engine_problem()) is not None:
        raise ConvoyError(problem)
    scenario = plan_scenario(doc, folder)
    if template is None and scenario.report.template:
        template = scenario.files.scenario.parent / scenario.report.template
    html = write_report(
        doc,
        scenario.sites,
        folder,
        diurnal_ied=scenario.risk.diurnal_ied,
        template=template,
    )
    return [html, write_pdf(html)] if pdf else [html]


def run_sector_report(
    folder: Path, *, pdf: bool = False, template: str | Path | None = None
) -> list[Path]:
    """
    Write FOLDER/sector_report.html (and .pdf) again from FOLDER/sector.json.

    The timeline is drawn again from sector.json; the map (it needs every
    convoy's plan and the sites) is embedded as ``convoy plan`` drew it, if there.
    ``template`` is a sector template (the variables of
    :func:`convoy.report.sector.sector_context`); the scenario's ``[report]
    template`` is the convoy report's and does not apply.

    Raises
    ------
    ConvoyError
        sector.json unreadable or not a sector's, template invalid, or ``pdf``
        asked where WeasyPrint cannot run (checked before anything is written).
    """
    path = folder / SECTOR_FILE
    if pdf and (problem := pdf_engine_problem()) is not None:
        raise ConvoyError(problem)
    try:
        sector = json.loads(path.read_text(encoding="utf-8"))
        sector_context(sector, {})  # every key the page reads is there
        plot_sector_timeline(sector, folder / "sector_timeline.png")
    except (ValueError, KeyError, TypeError) as exc:
        msg = f"{path}: expected a sector.json written by `convoy plan`, found {exc!r}"
        raise ScenarioError(msg) from None
    html = render_sector_html(sector, folder / "sector_report.html", template=template)
    if not pdf:
        return [html]
    return [html, write_pdf(html, folder / "sector_report.pdf")]


@click.command(
    "report",
    short_help="Write the commander's report of a written plan (HTML, PDF).",
    epilog="""\b
Examples:
  convoy report plan
  convoy report plan --pdf --template my-report.html.j2""",
)
@click.argument(
    "plan_dir",
    metavar="PLANDIR",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--pdf", is_flag=True, help="Also print report.pdf (A4 landscape).")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A Jinja2 template to use instead of the packaged one "
    "(default: the scenario's [report] template, if any).",
)
@json_option
@guarded
def report(plan_dir: Path, pdf: bool, template: Path | None) -> None:
    """Write the commander's report of a written plan: report.html, --pdf.

    PLANDIR is a folder written by `convoy plan`. The page opens with the bottom
    line, then the itinerary, the march table, the baselines and the charts. A
    sector's folder (sector.json) gets sector_report.html (and sector_report.pdf)
    again; its --template is a sector template (sector.html.j2's variables).
    """
    written = run_report(plan_dir, pdf=pdf, template=template)
    if json_output():
        echo_json(
            {
                "command": "report",
                "exit_code": 0,
                "out": plan_dir,
                "files": [str(p) for p in written],
            }
        )
    elif human_output():
        for path in written:
            click.echo(f"wrote {path}")

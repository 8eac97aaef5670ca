"""``convoy report``: report.html (and report.pdf) of a written plan."""

from __future__ import annotations

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
from convoy.errors import ConvoyError
from convoy.report import write_report
from convoy.report.pdf import pdf_engine_problem, write_pdf


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
    line, then the itinerary, the march table, the baselines and the charts.
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

"""``convoy export PLANDIR``: rebuild a plan folder's maps and report from plan.json."""

from __future__ import annotations

from pathlib import Path

import click

from convoy.cli.options import (
    echo_json,
    guarded,
    human_output,
    json_option,
    json_output,
    overwrite_option,
)
from convoy.outputs.maps import export_plan_dir


@click.command(
    "export",
    short_help="Rebuild a plan folder's maps and report from plan.json.",
    epilog="""\b
Examples:
  convoy export plan --overwrite
  convoy export plan --crs EPSG:32631 --overwrite --json""",
)
@click.argument(
    "plandir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--crs",
    default="EPSG:4326",
    show_default=True,
    help="CRS of the GeoPackage layers and the QGIS project (e.g. EPSG:32631).",
)
@overwrite_option
@json_option
@guarded
def export(plandir: Path, crs: str, overwrite: bool) -> None:
    """Rewrite plan.gpkg, risk.tif, plan.qgz and report.html from PLANDIR/plan.json.

    The scenario is re-read from the folder plan.json names. Everything is built
    aside and moved in at the end; plan.json and the CSV tables are never touched.
    """
    written = export_plan_dir(plandir, crs=crs, overwrite=overwrite)
    if json_output():
        echo_json(
            {
                "command": "export",
                "exit_code": 0,
                "out": plandir,
                "crs": crs,
                "files": [str(p) for p in written],
            }
        )
    elif human_output():
        for path in written:
            click.echo(str(path))

"""``convoy export PLANDIR``: rebuild a plan folder's maps and report from plan.json."""

from __future__ import annotations

from pathlib import Path

import click

from convoy.cli.options import guarded, overwrite_option
from convoy.outputs.maps import export_plan_dir


@click.command("export")
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
@guarded
def export(plandir: Path, crs: str, overwrite: bool) -> None:
    """Rewrite plan.gpkg, risk.tif, plan.qgz and report.html from PLANDIR/plan.json.

    The scenario is re-read from the folder plan.json names. Everything is built
    aside and moved in at the end; plan.json and the CSV tables are never touched.
    """
    written = export_plan_dir(plandir, crs=crs, overwrite=overwrite)
    for path in written:
        click.echo(str(path))

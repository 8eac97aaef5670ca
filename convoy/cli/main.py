"""The ``convoy`` command: a click group with logging and ``--version``.

Commands live one per module in :mod:`convoy.cli` and are registered below with
``cli.add_command``; each wraps its work in :func:`convoy.cli.options.guarded` so
that a bad input ends with a message and exit code 2, never a traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import click

from convoy._version import __version__
from convoy.cli.draw import draw
from convoy.cli.export import export
from convoy.cli.options import (
    QUIET_KEY,
    VERBOSE_HELP,
    VERBOSE_KEY,
    add_verbose_option,
    quiet_option,
)
from convoy.cli.plan import plan
from convoy.cli.report import report
from convoy.cli.risk import risk
from convoy.cli.simulate import simulate
from convoy.cli.sweep import sweep
from convoy.cli.validate import scenarios, validate
from convoy.cli.validate_model import validate_model
from convoy.cli.warmup import warmup

#: Log format on stderr; -v shows INFO, -vv DEBUG.
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """Ignored: the stream is always the current stderr."""


def configure_logging(verbose: int) -> None:
    """Send convoy's log records to stderr: WARNING, INFO with -v, DEBUG with -vv.

    A negative ``verbose`` (``-q``) shows errors only.
    """
    level = (
        logging.ERROR
        if verbose < 0
        else logging.WARNING
        if verbose == 0
        else logging.INFO
        if verbose == 1
        else logging.DEBUG
    )
    logger = logging.getLogger("convoy")
    logger.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)


#: The end of ``convoy --help``: examples, output conventions, shell completion.
EPILOG = """\b
Examples:
  convoy scenarios                      list the embedded scenarios
  convoy validate kidal-gao             check a scenario and summarise it
  convoy plan kidal-gao -o plan         plan it into the folder plan/
  convoy plan kidal-gao --pareto        also sweep the price of an incident
  convoy simulate plan -n 100000        Monte Carlo of the written plan
  convoy plan --adversary mixed         a mix of plans; `convoy draw plan` picks one
  convoy report plan --pdf              the commander's report, HTML and PDF
  convoy export plan --crs EPSG:32631   rebuild the maps in another CRS
  convoy risk kidal-gao -o risk.tif     the risk field as a GeoTIFF
  convoy plan --json > summary.json     a summary for scripts (stdout only)
  convoy sweep --grid scenario.air_cover=true,false --resamples 20
                                        many plans on Dask, resumable

\b
Output: the summary goes to stdout; progress, warnings and errors to stderr.
-q keeps only errors; --json prints one JSON object on stdout. Exit codes:
0 done, 2 bad input, 3 loads not proven within the gap (plan, unless
--accept-gap), 130/143 interrupted. `convoy COMMAND -h` shows examples.

\b
Shell completion (add to the shell's start-up file):
  bash: eval "$(_CONVOY_COMPLETE=bash_source convoy)"
  zsh:  eval "$(_CONVOY_COMPLETE=zsh_source convoy)"
  fish: _CONVOY_COMPLETE=fish_source convoy | source
"""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EPILOG,
)
@click.version_option(__version__, "--version", prog_name="convoy")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help=VERBOSE_HELP[:-1] + "; also accepted after the command name.",
)
@quiet_option
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Plan the withdrawal of a force by road convoy through contested ground.

    A scenario is a folder (scenario.toml, roads, sites, events, fleet, manifest)
    or the name of an embedded one; `convoy scenarios` lists those.
    """
    ctx.meta[VERBOSE_KEY] = verbose
    ctx.meta["convoy.configure_logging"] = configure_logging
    configure_logging(-1 if verbose == 0 and ctx.meta.get(QUIET_KEY) else verbose)


for _command in (
    scenarios,
    validate,
    validate_model,
    plan,
    risk,
    export,
    simulate,
    report,
    draw,
    sweep,
    warmup,
):
    cli.add_command(add_verbose_option(_command))

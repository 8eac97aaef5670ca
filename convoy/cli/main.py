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
from convoy.cli.export import export
from convoy.cli.options import VERBOSE_KEY, add_verbose_option
from convoy.cli.plan import plan
from convoy.cli.report import report
from convoy.cli.risk import risk
from convoy.cli.simulate import simulate
from convoy.cli.validate import scenarios, validate
from convoy.cli.validate_model import validate_model

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
    """Send convoy's log records to stderr: WARNING, INFO with -v, DEBUG with -vv."""
    level = (
        logging.WARNING
        if verbose <= 0
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="convoy")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More log output (-v info, -vv debug) and tracebacks of failures; "
    "also accepted after the command name.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Plan the withdrawal of a force by road convoy through contested ground.

    A scenario is a folder (scenario.toml, roads, sites, events, fleet, manifest)
    or the name of an embedded one; `convoy scenarios` lists those.
    """
    ctx.meta[VERBOSE_KEY] = verbose
    ctx.meta["convoy.configure_logging"] = configure_logging
    configure_logging(verbose)


for _command in (
    scenarios,
    validate,
    validate_model,
    plan,
    risk,
    export,
    simulate,
    report,
):
    cli.add_command(add_verbose_option(_command))

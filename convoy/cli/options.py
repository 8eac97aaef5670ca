"""Pieces every command shares: the scenario argument, output options, error handling.

A planner never sees a traceback for a mistake in their input: :func:`guarded` (or
:func:`run_guarded`) turns every :class:`~convoy.errors.ConvoyError` into a message
on stderr and exit code 2, and prints each
:class:`~convoy.errors.DataQualityWarning` as a one-line warning while the command
goes on. Anything else that escapes is a bug and keeps its traceback.

Example of a command::

    @click.command("plan")
    @scenario_argument
    @out_option(default="plan")
    @overwrite_option
    @guarded
    def plan(scenario: str, out: Path, overwrite: bool) -> None:
        ...
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from convoy.errors import ConvoyError, DataQualityWarning, ScenarioError
from convoy.io.scenario import DEFAULT_SCENARIO

#: Exit code of a run stopped by a ConvoyError (bad input, no feasible plan).
EXIT_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])

#: ``SCENARIO``: a folder, its scenario.toml, or an embedded scenario's name.
scenario_argument = click.argument(
    "scenario",
    required=False,
    default=DEFAULT_SCENARIO,
    metavar="[PATH|NAME]",
)


def out_option(default: str, help_text: str = "Output folder.") -> Callable[[F], F]:
    """``-o/--out PATH`` with a default, as a :class:`pathlib.Path`."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(path_type=Path),
        default=Path(default),
        show_default=True,
        help=help_text,
    )


#: ``--overwrite``: replace existing outputs (never an input).
overwrite_option = click.option(
    "--overwrite", is_flag=True, help="Replace existing outputs (never an input)."
)


def error_text(exc: ConvoyError) -> str:
    """
    An error as the planner reads it: one line, or a count and one problem a line.

    Examples
    --------
    >>> error_text(ScenarioError("fleet.csv: row 3: field 'seats' expected ..."))
    "error: fleet.csv: row 3: field 'seats' expected ..."
    """
    if isinstance(exc, ScenarioError) and len(exc.problems) > 1:
        lines = [f"error: {len(exc.problems)} problems in the scenario:"]
        lines += [f"  {p}" for p in exc.problems]
        return "\n".join(lines)
    text = str(exc).strip() or type(exc).__name__
    return f"error: {text}"


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a DataQualityWarning as one line on stderr; others as Python does."""
    if issubclass(category, DataQualityWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        sys.stderr.write(
            warnings.formatwarning(message, category, filename, lineno, line)
        )


def run_guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """
    Call ``fn``; a ConvoyError becomes a message on stderr and exit code 2.

    DataQualityWarnings are printed as they happen (``warning: ...`` on stderr)
    and the call goes on.

    Raises
    ------
    SystemExit
        With code :data:`EXIT_INPUT` after printing the error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("always", DataQualityWarning)
        warnings.showwarning = _show_warning
        try:
            return fn(*args, **kwargs)
        except ConvoyError as exc:
            click.echo(error_text(exc), err=True)
            sys.exit(EXIT_INPUT)


def guarded(fn: F) -> F:
    """Decorate a command callback with :func:`run_guarded`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_guarded(fn, *args, **kwargs)

    return wrapper  # type: ignore[return-value]

"""Pieces every command shares: the scenario argument, output options, error handling.

A planner never sees a traceback: :func:`guarded` (or :func:`run_guarded`) turns
every :class:`~convoy.errors.ConvoyError` into a message on stderr and exit code 2,
and so too an operating-system error (permission denied, read-only file system,
disk full, name too long: the message names the path), a number too large to
compute with, a solver failure and a memory error. SIGINT (Ctrl-C) and SIGTERM stop
the command with a one-line message and exit code 130 or 143 (128 + the signal);
the output writer (:mod:`convoy.outputs.write`) guarantees the output folder then
holds a complete set. Each :class:`~convoy.errors.DataQualityWarning` is printed as
a one-line warning while the command goes on. ``-v`` (before or after the command
name) also prints the traceback of a failure, for a developer.

Output conventions, the same for every command (:func:`add_verbose_option`,
:func:`json_option`):

- stdout carries the result (the human summary, or with ``--json`` one JSON
  object and nothing else); stderr carries progress, warnings, log records and
  errors.
- ``-q/--quiet`` silences the progress display, the human summary and the
  warnings (a script reads the exit code; ``--json`` lists the warnings in its
  object); errors are always printed. ``-v`` adds log records and tracebacks,
  also with ``-q``.
- ``--json`` prints one JSON object with sorted keys on stdout, also when the
  command fails (``{"error": ..., "exit_code": ...}``); progress is not drawn.
- Exit codes: 0 done, 2 bad input (or any failure with a message), 3 ``convoy
  plan`` loads not proven within the gap target (unless ``--accept-gap``), 130
  or 143 stopped by SIGINT or SIGTERM.

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

import errno
import functools
import math
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from convoy.document import canonical_json
from convoy.errors import ConvoyError, DataQualityWarning, ScenarioError
from convoy.io.scenario import DEFAULT_SCENARIO

#: Exit code of a run stopped by a ConvoyError (bad input, no feasible plan), an
#: operating-system error, a numeric overflow or a solver failure.
EXIT_INPUT = 2

#: The signals that stop a command; the exit code is 128 + the signal number.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Key of ``click.Context.meta`` counting ``-v`` flags (group and command).
VERBOSE_KEY = "convoy.verbose"

#: Key of ``click.Context.meta``: ``-q`` was given (group or command).
QUIET_KEY = "convoy.quiet"

#: Key of ``click.Context.meta``: ``--json`` was given.
JSON_KEY = "convoy.json"

#: Key of ``click.Context.meta``: the warnings of the run, for ``--json``.
WARNINGS_KEY = "convoy.warnings"


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: the command stops (nothing half-written)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


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


def _meta() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return {} if ctx is None else ctx.meta


def quiet() -> bool:
    """``-q`` was given: no progress, no human summary, no warnings."""
    return bool(_meta().get(QUIET_KEY, False))


def json_output() -> bool:
    """``--json`` was given: stdout holds one JSON object and nothing else."""
    return bool(_meta().get(JSON_KEY, False))


def human_output() -> bool:
    """Print the human summary (neither ``-q`` nor ``--json``)."""
    return not (quiet() or json_output())


def show_progress() -> bool:
    """Draw a progress display (neither ``-q`` nor ``--json``; stderr a terminal)."""
    return human_output()


def run_warnings() -> list[str]:
    """The warnings of this run so far, one line each (for ``--json``)."""
    return list(_meta().get(WARNINGS_KEY, []))


def _jsonable(value: Any) -> Any:
    """``value`` with dates as ISO 8601, paths as text and non-finite numbers null."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(obj: Mapping[str, Any]) -> str:
    """
    ``obj`` as the JSON ``--json`` prints: sorted keys, two-space indent.

    Dates become ISO 8601 text, paths text, NaN and infinities null (strict JSON);
    numbers are rounded as plan.json's are (:func:`convoy.document.canonical_json`).

    Examples
    --------
    >>> print(json_text({"b": float("nan"), "a": Path("plan")}))
    {
      "a": "plan",
      "b": null
    }
    """
    return canonical_json(_jsonable(obj)).rstrip("\n")


def echo_json(obj: Mapping[str, Any]) -> None:
    """Print ``obj`` on stdout (:func:`json_text`), with the run's ``warnings``."""
    click.echo(json_text({"warnings": run_warnings(), **obj}))


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a DataQualityWarning as one line on stderr; others as Python does.

    Every warning is also recorded for ``--json``; ``-q`` prints none.
    """
    meta = _meta()
    meta.setdefault(WARNINGS_KEY, []).append(str(message))
    if quiet():
        return
    if issubclass(category, DataQualityWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        sys.stderr.write(
            warnings.formatwarning(message, category, filename, lineno, line)
        )


def os_error_text(exc: OSError) -> str:
    """
    An operating-system error as one line naming the path and the cause.

    Examples
    --------
    >>> os_error_text(OSError(28, "No space left on device", "plan/plan.json"))
    'error: plan/plan.json: no space left on device (disk full); nothing was changed'
    """
    path = exc.filename if exc.filename is not None else "output"
    if exc.filename2 is not None:
        path = f"{path} -> {exc.filename2}"
    cause = {
        errno.ENOSPC: "no space left on device (disk full)",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENAMETOOLONG: "file name too long",
        errno.ENOTDIR: "a path component is a file, not a folder",
        errno.EEXIST: "already exists",
        errno.EDQUOT: "disk quota exceeded",
    }.get(exc.errno or 0, (exc.strerror or str(exc)).lower())
    return f"error: {path}: {cause}; nothing was changed"


def _failure_text(exc: BaseException) -> str | None:
    """The message for an expected failure; None for a bug or click's own exits."""
    if isinstance(exc, click.exceptions.Exit | click.Abort | click.ClickException):
        return None  # click.Exit and Abort are RuntimeErrors: not solver failures
    if isinstance(exc, ConvoyError):
        return error_text(exc)
    if isinstance(exc, OSError):
        return os_error_text(exc)
    if isinstance(exc, OverflowError):
        return (
            f"error: a number is too large to compute with ({exc}); check the "
            "largest values of the scenario (value_usd, weight_kg, distances)"
        )
    if isinstance(exc, MemoryError):
        return "error: out of memory; try a smaller scenario or input files"
    if isinstance(exc, RuntimeError):
        return f"error: the solver failed: {str(exc).strip() or type(exc).__name__}"
    return None


def _in_llvmlite_callback(frame: FrameType | None) -> bool:
    """True while Python runs inside one of llvmlite's ctypes callbacks."""
    llvmlite = sys.modules.get("llvmlite")
    root = (
        os.path.dirname(getattr(llvmlite, "__file__", None) or "") if llvmlite else ""
    )
    while root and frame is not None:
        if frame.f_code.co_filename.startswith(root):
            return True
        frame = frame.f_back
    return False


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    if _in_llvmlite_callback(frame):
        # An exception raised inside a ctypes callback (llvmlite's object cache,
        # called while numba compiles) is printed and dropped by ctypes, and the
        # run would go on: deliver the signal again a moment later instead.
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` inside the block."""
    try:
        previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
        for s in STOP_SIGNALS:
            signal.signal(s, _raise_interrupted)
    except ValueError:  # not the main thread: signals stay as they are
        yield
        return
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _verbose() -> int:
    return int(_meta().get(VERBOSE_KEY, 0))


def _fail(text: str, code: int) -> None:
    """Print ``text`` on stderr (and the JSON failure object) and exit ``code``."""
    click.echo(text, err=True)
    if json_output():
        lines = text.removeprefix("error: ").splitlines()
        echo_json(
            {
                "error": lines[0],
                "problems": [line.strip() for line in lines[1:]],
                "exit_code": code,
            }
        )
    sys.exit(code)


def run_guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """
    Call ``fn``; an expected failure becomes a message on stderr and exit code 2.

    DataQualityWarnings are printed as they happen (``warning: ...`` on stderr,
    unless ``-q``) and the call goes on. With ``--json`` a failure also prints
    ``{"error": ..., "exit_code": ...}`` on stdout. SIGINT and SIGTERM end the
    call with exit code 130 or 143. With ``-v`` the traceback of a failure is
    printed too.

    Raises
    ------
    SystemExit
        With code :data:`EXIT_INPUT` after printing the error, or 128 + the
        signal number after an interrupt.
    """
    with warnings.catch_warnings(), stop_on_signals():
        warnings.simplefilter("always", DataQualityWarning)
        warnings.showwarning = _show_warning
        try:
            return fn(*args, **kwargs)
        except Interrupted as exc:
            if _verbose():
                traceback.print_exc()
            name = signal.Signals(exc.signum).name
            _fail(
                f"error: interrupted by {name}; stopped. The output folder holds a "
                "complete set: the previous one, or the new one if it was already "
                "being switched in",
                128 + exc.signum,
            )
        except Exception as exc:
            text = _failure_text(exc)
            if text is None:
                raise
            if _verbose():
                traceback.print_exc()
            else:
                text += (
                    " (-v shows the traceback)"
                    if not isinstance(exc, ConvoyError)
                    else ""
                )
            _fail(text, EXIT_INPUT)


def guarded(fn: F) -> F:
    """Decorate a command callback with :func:`run_guarded`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_guarded(fn, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _count_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """Add this ``-v`` count to the group's and configure logging to match."""
    total = int(ctx.meta.get(VERBOSE_KEY, 0)) + value
    ctx.meta[VERBOSE_KEY] = total
    _configure_logging(ctx)
    return total


def _configure_logging(ctx: click.Context) -> None:
    """Log level from ``-v`` (info, debug) and ``-q`` (errors only, unless -v)."""
    configure = ctx.meta.get("convoy.configure_logging")
    if configure is not None:
        total = int(ctx.meta.get(VERBOSE_KEY, 0))
        configure(-1 if total == 0 and ctx.meta.get(QUIET_KEY) else total)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """Record ``-q`` (group or command) and lower the log level to errors."""
    if value:
        ctx.meta[QUIET_KEY] = True
        _configure_logging(ctx)
    return value


#: Help of ``-v/--verbose``.
VERBOSE_HELP = "More log output (-v info, -vv debug) and tracebacks of failures."

#: Help of ``-q/--quiet``.
QUIET_HELP = (
    "No progress, no summary, no warnings: only errors (stderr) and the exit code."
)


def quiet_option(fn: F) -> F:
    """``-q/--quiet``: recorded in ``ctx.meta`` (:func:`quiet`), not passed on."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_quiet,
        help=QUIET_HELP,
    )(fn)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[JSON_KEY] = bool(value)
    return value


def json_option(fn: F) -> F:
    """``--json``: one JSON summary on stdout (:func:`json_output`)."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_json,
        help="Print one JSON object (sorted keys) on stdout instead of the summary; "
        "progress and warnings go to stderr.",
    )(fn)


def add_verbose_option(command: click.Command) -> click.Command:
    """
    Give ``command`` its own ``-v/--verbose`` and ``-q/--quiet``.

    So ``convoy plan -v`` and ``convoy plan -q`` work as ``convoy -v plan`` does.
    """
    command.params.append(
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_count_verbose,
            help=VERBOSE_HELP,
        )
    )
    command.params.append(
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_quiet,
            help=QUIET_HELP,
        )
    )
    return command

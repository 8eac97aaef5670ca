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
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from convoy.errors import ConvoyError, DataQualityWarning, ScenarioError
from convoy.io.scenario import DEFAULT_SCENARIO

#: Exit code of a run stopped by a ConvoyError (bad input, no feasible plan), an
#: operating-system error, a numeric overflow or a solver failure.
EXIT_INPUT = 2

#: The signals that stop a command; the exit code is 128 + the signal number.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Key of ``click.Context.meta`` counting ``-v`` flags (group and command).
VERBOSE_KEY = "convoy.verbose"


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
    ctx = click.get_current_context(silent=True)
    return 0 if ctx is None else int(ctx.meta.get(VERBOSE_KEY, 0))


def run_guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """
    Call ``fn``; an expected failure becomes a message on stderr and exit code 2.

    DataQualityWarnings are printed as they happen (``warning: ...`` on stderr)
    and the call goes on. SIGINT and SIGTERM end the call with exit code 130 or
    143. With ``-v`` the traceback of a failure is printed too.

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
            click.echo(
                f"error: interrupted by {name}; stopped. The output folder holds a "
                "complete set: the previous one, or the new one if it was already "
                "being switched in",
                err=True,
            )
            sys.exit(128 + exc.signum)
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
            click.echo(text, err=True)
            sys.exit(EXIT_INPUT)


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
    configure = ctx.meta.get("convoy.configure_logging")
    if configure is not None:
        configure(total)
    return total


def add_verbose_option(command: click.Command) -> click.Command:
    """Give ``command`` its own ``-v/--verbose``, so ``convoy plan -v`` works too."""
    command.params.append(
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_count_verbose,
            help="More log output (-v info, -vv debug) and tracebacks of failures.",
        )
    )
    return command

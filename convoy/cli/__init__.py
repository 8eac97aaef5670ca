"""The ``convoy`` command line: one click command per module.

Importing the command line (its modules load the heavy libraries, which takes a few
seconds) first makes SIGINT and SIGTERM end the process with a one-line message and
exit code 130 or 143, so an interrupt during start-up gives no traceback; nothing
has been written then. A command replaces these handlers while it runs
(:func:`convoy.cli.options.run_guarded`).
"""

from __future__ import annotations

import os
import signal
from types import FrameType


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # Nothing is open or written yet, so the process ends at once: an exception
    # raised here could land inside an extension module's initialisation (OR-Tools,
    # numba), which turns it into an ImportError and exit code 1.
    name = signal.Signals(signum).name
    os.write(2, f"error: interrupted by {name}; nothing was written\n".encode())
    os._exit(128 + signum)


def _install_start_up_handlers() -> None:
    """Exit cleanly on SIGINT/SIGTERM, unless someone else set a handler."""
    defaults = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: signal.SIG_DFL,
    }
    try:
        for signum, default in defaults.items():
            if signal.getsignal(signum) is default:
                signal.signal(signum, _exit_on_signal)
    except ValueError:  # imported outside the main thread: leave signals alone
        pass


_install_start_up_handlers()

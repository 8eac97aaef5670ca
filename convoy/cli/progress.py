"""The progress display of the long commands: a rich bar on stderr, or nothing.

The layers below report through plain callbacks: ``progress(message)`` before each
long step and ``steps(what, done, total)`` as a counted step goes on (prices of the
Pareto sweep solved, Monte Carlo runs simulated). :class:`ProgressDisplay` draws
them: the current step with its elapsed time, and for a counted step a bar, ``done
of total``, the elapsed time and an estimate of the time left. It draws only when
stderr is a terminal and neither ``-q`` nor ``--json`` was given; it is transient
(gone when the command ends), and it never writes to stdout.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

#: Seconds over which the rate (and so the ETA) of a counted step is averaged;
#: a display choice, long enough to cover a whole Pareto sweep (about 5 min).
SPEED_WINDOW_S = 3600.0


class _Counted(ProgressColumn):
    """``column`` for a counted task; nothing for a step without a total."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: Task) -> RenderableType:
        return self.column.render(task) if task.total is not None else Text("")


class ProgressDisplay:
    """
    A transient rich progress display on stderr, fed by plain callbacks.

    Parameters
    ----------
    enabled
        Draw at all; when false (``-q``, ``--json``) the callbacks do nothing.
    console
        Where to draw; default a stderr console. Nothing is drawn unless it is a
        terminal.

    Examples
    --------
    >>> with ProgressDisplay(enabled=False) as show:
    ...     show.message("loads")
    ...     show.steps("Monte Carlo: runs", 1, 2)
    """

    def __init__(self, *, enabled: bool = True, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self._bar: Progress | None = None
        self._phase: TaskID | None = None
        self._counted: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                _Counted(BarColumn(bar_width=20)),
                _Counted(MofNCompleteColumn()),
                TimeElapsedColumn(),
                _Counted(TextColumn("ETA")),
                _Counted(TimeRemainingColumn()),
                console=self.console,
                transient=True,
                # the ETA from the mean rate since the start: the prices of a
                # sweep take very different times, a short window gives none
                speed_estimate_period=SPEED_WINDOW_S,
            )
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def message(self, text: str) -> None:
        """Show ``text`` as the step under way (no count); drop finished counts."""
        if self._bar is None:
            return
        for what, task in list(self._counted.items()):
            if self._bar.tasks[task].finished:
                self._bar.remove_task(task)
                del self._counted[what]
        if self._phase is None:
            self._phase = self._bar.add_task(text, total=None)
        else:
            self._bar.update(self._phase, description=text)

    def steps(self, what: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` for the counted step ``what``."""
        if self._bar is None:
            return
        task = self._counted.get(what)
        if task is None:
            task = self._counted[what] = self._bar.add_task(what, total=total)
        self._bar.update(task, completed=done, total=total)

    def counter(self, what: str) -> _Counter:
        """A ``(done, total)`` callback for the counted step ``what``."""
        return _Counter(self, what)


class _Counter:
    """``(done, total)`` -> :meth:`ProgressDisplay.steps` of one counted step."""

    def __init__(self, display: ProgressDisplay, what: str) -> None:
        self.display = display
        self.what = what

    def __call__(self, done: int, total: int) -> None:
        self.display.steps(self.what, done, total)

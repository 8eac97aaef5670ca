"""The one problem collector every reader uses.

A reader records each thing wrong with its input as a :class:`~convoy.errors.Problem`
and carries on, so that one run lists everything a planner must fix; at the end it
raises once. A file with thousands of bad rows is usually one systematic mistake, so
each file lists at most :data:`MAX_LISTED_PROBLEMS` problems and one line counts the
rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from convoy.errors import GeodataError, Problem, ScenarioError

R = TypeVar("R")

#: The line that counts a file's problems left out; another collector's is merged.
_MORE = re.compile(r"^(?P<file>.*): \.\.\. and (?P<num>\d+) more problems$")

#: Problems listed for one file before the rest are counted in one line.
MAX_LISTED_PROBLEMS = 40


class Problems:
    """
    Every problem found while reading, from every file, in the order found.

    Parameters
    ----------
    file
        The file most problems are about, as messages name it; ``add`` and
        ``take`` use it when they are given none.

    Examples
    --------
    >>> problems = Problems("fleet.csv")
    >>> problems.add("", "row 2", "seats", "an integer >= 0", "'-1'")
    >>> len(problems)
    1
    """

    def __init__(self, file: str = "") -> None:
        self.file = file
        self._items: list[str | Problem] = []
        self._files: list[str] = []
        self._listed: dict[str, int] = {}
        self._more: dict[str, int] = {}

    def add(
        self,
        file: str = "",
        where: str = "",
        field: str = "",
        expected: str = "",
        found: str = "",
    ) -> None:
        """Record one problem (``file`` defaults to the collector's)."""
        self.append(Problem(file or self.file, where, field, expected, found))

    def append(self, item: str | Problem, file: str | None = None) -> None:
        """
        Record a problem, or a line of advice (a plain string naming its file).

        ``file`` is the file a plain string is about (default the collector's).
        """
        if isinstance(item, Problem):
            file = item.file
        elif file is None:
            file = self.file
        self._files.append(file)
        if self._listed.get(file, 0) < MAX_LISTED_PROBLEMS:
            self._listed[file] = self._listed.get(file, 0) + 1
            self._items.append(item)
        else:
            self._more[file] = self._more.get(file, 0) + 1

    def extend(self, items: Iterable[str | Problem]) -> None:
        """Record several problems."""
        for item in items:
            self.append(item)

    def take(
        self, exc: ScenarioError, file: str | None = None, where: str | None = None
    ) -> None:
        """Record an error's problems, filling in the file and place where missing."""
        file = file if file is not None else self.file
        for p in exc.problems:
            if isinstance(p, Problem):
                self.append(
                    Problem(
                        p.file or file,
                        where if where is not None else p.where,
                        p.field,
                        p.expected,
                        p.found,
                    )
                )
            elif m := _MORE.match(str(p)):
                more = m["file"]
                self._files.extend([more] * int(m["num"]))
                self._more[more] = self._more.get(more, 0) + int(m["num"])
            elif file and str(p).startswith(f"{file}:"):
                self.append(p, file)  # already names its file
            else:
                self.append(Problem(file, where or "", "", "", str(p)))

    def build(
        self, factory: Callable[..., R], kwargs: dict[str, Any], file: str, where: str
    ) -> R | None:
        """
        A record built from ``kwargs``, or None after recording why it is refused.

        The record's own :class:`~convoy.errors.ScenarioError` is recorded at
        ``file`` and ``where`` (e.g. ``"row 7 ('TRK-2')"``).
        """
        try:
            return factory(**kwargs)
        except ScenarioError as exc:
            self.take(exc, file=file, where=where)
            return None

    def __len__(self) -> int:
        return len(self._files)

    def __bool__(self) -> bool:
        return bool(self._files)

    @property
    def files(self) -> frozenset[str]:
        """Every file with a problem, the ones beyond the cap included."""
        return frozenset(self._files)

    @property
    def items(self) -> list[str | Problem]:
        """The problems listed, then one line per file counting those left out."""
        more = [f"{f}: ... and {n} more problems" for f, n in self._more.items()]
        return [*self._items, *more]

    def error(self, cls: type[ScenarioError] = ScenarioError) -> ScenarioError:
        """One error of class ``cls`` listing every problem."""
        return cls(self.items)

    def raise_if_any(self, geodata_files: Iterable[str] = ()) -> None:
        """
        Raise once if anything was recorded.

        Parameters
        ----------
        geodata_files
            Files that are geographic layers: when every problem is in one of them
            the error is a :class:`~convoy.errors.GeodataError`.

        Raises
        ------
        ScenarioError
            Listing every problem; a GeodataError when all are geographic.
        """
        if not self:
            return
        geo = set(geodata_files)
        only_geo = bool(geo) and self.files <= geo
        raise self.error(GeodataError if only_geo else ScenarioError)

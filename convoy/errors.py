"""The exceptions and warnings convoy raises.

Every error a planner can cause by their input is a :class:`ConvoyError`. The CLI
turns these into a one-line message and exit code 2; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class ConvoyError(Exception):
    """Base class of every error convoy raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """
    One thing wrong with an input, located precisely enough to fix it.

    Parameters
    ----------
    file
        The file (or scenario key) where the problem is, as the user named it.
    where
        The row, feature or table, e.g. ``"row 17"``, ``"feature 3"``,
        ``"[movement]"``; empty when the problem is about the whole file.
    field
        The column, attribute or key; empty when not about one field.
    expected
        What was expected, e.g. ``"a number > 0"``.
    found
        What was found, e.g. ``"'-3'"``.
    """

    file: str
    where: str = ""
    field: str = ""
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        loc = ": ".join(p for p in (self.file, self.where) if p)
        fld = f" field '{self.field}'" if self.field else ""
        exp = f" expected {self.expected}" if self.expected else ""
        got = f", found {self.found}" if self.found else ""
        return f"{loc}:{fld}{exp}{got}".replace(":,", ":").strip()


class ScenarioError(ConvoyError, ValueError):
    """
    A scenario input is impossible: missing, unreadable or out of range.

    Carries every :class:`Problem` found, so that a planner can fix a file in one
    pass; ``str()`` lists them one per line.
    """

    def __init__(self, problems: str | Problem | Iterable[str | Problem]) -> None:
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.problems: list[str | Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class GeodataError(ScenarioError):
    """A geographic input is impossible: no CRS, bad coordinates, bad geometry."""


class InfeasibleError(ConvoyError):
    """A solver proved there is no answer; the message names the binding constraint."""


class NoRouteError(InfeasibleError):
    """Two places the plan needs are not connected by the road network."""


class DataQualityWarning(UserWarning):
    """The input is legal but suspicious (a 300 km/h truck, a CRS in degrees)."""

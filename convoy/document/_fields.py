"""Checked reading of plan.json values: one clear error per wrong field.

Every reader names the place in the document (``plans.optimised.legs[3]``), the
field, what was expected and what was found, as a :class:`~convoy.errors.Problem`
of ``plan.json``, so a corrupt or hand-edited file stops with a ScenarioError and
never a KeyError or TypeError traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from convoy.errors import Problem, ScenarioError
from convoy.times import as_utc

#: The file every problem of a plan document is reported against.
PLAN_FILE = "plan.json"

#: How plan.json writes a time (UTC, whole seconds).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

T = TypeVar("T")
_MISSING = object()


def with_optional(out: dict[str, Any], **values: Any) -> dict[str, Any]:
    """``out`` with each value that is not None added (absent fields stay absent)."""
    out.update({k: v for k, v in values.items() if v is not None})
    return out


def iso(t: datetime) -> str:
    """A time as plan.json writes it: ISO 8601 UTC to the second, ``Z`` suffix."""
    return t.strftime(TIME_FORMAT)


def parse_iso(text: str) -> datetime:
    """
    An ISO 8601 time of plan.json as an aware UTC datetime.

    Raises
    ------
    ValueError
        If ``text`` is not an ISO 8601 time.
    """
    return as_utc(text)


class Fields:
    """
    A JSON object of plan.json with typed, checked getters.

    Parameters
    ----------
    raw
        The decoded JSON value that should be an object.
    where
        Its place in the document, e.g. ``"plans.optimised.legs[2]"`` (``""`` for
        the top level).
    """

    __slots__ = ("raw", "where")

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, Mapping):
            self._fail_at(where, "an object", type(raw).__name__)
        self.raw: Mapping[str, Any] = raw
        self.where = where

    @staticmethod
    def _fail_at(where: str, expected: str, found: str, key: str = "") -> NoReturn:
        raise ScenarioError(Problem(PLAN_FILE, where, key, expected, found))

    def fail(self, key: str, expected: str, found: Any = _MISSING) -> NoReturn:
        """Raise the ScenarioError of ``key``: expected this, found that."""
        if found is _MISSING:
            found = self.raw.get(key, _MISSING)
        shown = "nothing" if found is _MISSING else repr(found)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        self._fail_at(self.where, expected, shown, key)

    def has(self, key: str) -> bool:
        """Whether the key is present (with any value)."""
        return key in self.raw

    def child(self, key: str) -> str:
        """The place of a member, for nested readers."""
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, check: Callable[[Any], bool], expected: str) -> Any:
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or not check(value):
            self.fail(key, expected)
        return value

    def num(self, key: str, *, lo: float | None = None) -> float:
        """A number (int or float as written; never a bool), at least ``lo``."""
        expected = "a number" if lo is None else f"a number >= {lo:g}"

        def ok(v: Any) -> bool:
            return (
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and (lo is None or (math.isfinite(v) and v >= lo))
            )

        value: float = self._get(key, ok, expected)
        return value

    def num_or_none(self, key: str) -> float | None:
        """A number, or None when the key is absent or null (a non-finite value)."""
        if self.raw.get(key) is None:
            return None
        return self.num(key)

    def int_(self, key: str) -> int:
        """An integer (never a bool)."""
        value: int = self._get(
            key, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"
        )
        return value

    def str_(self, key: str) -> str:
        """A string."""
        value: str = self._get(key, lambda v: isinstance(v, str), "a string")
        return value

    def str_or_none(self, key: str) -> str | None:
        """A string, or None when absent or null."""
        return None if self.raw.get(key) is None else self.str_(key)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """One of ``allowed``."""
        value: str = self._get(key, lambda v: v in allowed, f"one of {list(allowed)}")
        return value

    def bool_(self, key: str) -> bool:
        """A boolean."""
        value: bool = self._get(key, lambda v: isinstance(v, bool), "true or false")
        return value

    def bool_or_none(self, key: str) -> bool | None:
        """A boolean, or None when absent or null."""
        return None if self.raw.get(key) is None else self.bool_(key)

    def time(self, key: str) -> datetime:
        """An ISO 8601 time (UTC)."""
        text = self._get(key, lambda v: isinstance(v, str), "an ISO 8601 time")
        try:
            return parse_iso(text)
        except ValueError:
            self.fail(key, "an ISO 8601 time")

    def time_or_none(self, key: str) -> datetime | None:
        """An ISO 8601 time, or None when absent or null."""
        return None if self.raw.get(key) is None else self.time(key)

    def obj(self, key: str) -> Fields:
        """A nested object."""
        self._get(key, lambda v: isinstance(v, Mapping), "an object")
        return Fields(self.raw[key], self.child(key))

    def obj_or_none(self, key: str) -> Fields | None:
        """A nested object, or None when absent or null."""
        return None if self.raw.get(key) is None else self.obj(key)

    def items(self, key: str) -> Iterator[Fields]:
        """Each object of a list, with its place (``key[i]``)."""
        rows = self._get(key, lambda v: isinstance(v, list), "a list")
        for i, row in enumerate(rows):
            yield Fields(row, f"{self.child(key)}[{i}]")

    def rows(self, key: str, make: Callable[[Fields], T]) -> tuple[T, ...]:
        """A list of objects, each made into a record by ``make``."""
        return tuple(make(f) for f in self.items(key))

    def rows_or_none(
        self, key: str, make: Callable[[Fields], T]
    ) -> tuple[T, ...] | None:
        """A list of objects as records, or None when absent or null."""
        return None if self.raw.get(key) is None else self.rows(key, make)

    def strs(self, key: str) -> tuple[str, ...]:
        """A list of strings."""
        value = self._get(
            key,
            lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
            "a list of strings",
        )
        return tuple(value)

    def hhmm_pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        """A list of ``["HH:MM", "HH:MM"]`` pairs."""
        value = self._get(
            key,
            lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(p, list)
                    and len(p) == 2
                    and all(isinstance(t, str) for t in p)
                    for p in v
                )
            ),
            'a list of ["HH:MM", "HH:MM"] pairs',
        )
        return tuple((str(a), str(b)) for a, b in value)

    def nums(self, key: str) -> tuple[float, ...]:
        """A list of numbers (null stays None: a non-finite value)."""
        value = self._get(
            key,
            lambda v: (
                isinstance(v, list)
                and all(
                    x is None
                    or (isinstance(x, int | float) and not isinstance(x, bool))
                    for x in v
                )
            ),
            "a list of numbers",
        )
        return tuple(value)

    def coords(self, key: str) -> tuple[tuple[float, float], ...]:
        """At least two finite ``[lon, lat]`` pairs."""
        raw = self.raw.get(key)
        try:
            pts = tuple((float(p[0]), float(p[1])) for p in raw)  # type: ignore[union-attr]
        except (TypeError, ValueError, IndexError, KeyError):
            pts = ()
        if len(pts) < 2 or not all(
            math.isfinite(a) and math.isfinite(b) for a, b in pts
        ):
            self.fail(key, "at least two finite [lon, lat] pairs")
        return pts

    def mapping(self, key: str) -> dict[str, Any]:
        """An object kept as plain JSON values (versions, input hashes, params)."""
        self._get(key, lambda v: isinstance(v, Mapping), "an object")
        return dict(self.raw[key])

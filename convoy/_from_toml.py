"""Parameter tables from TOML: the mixin that builds a frozen dataclass from a table.

Each parameter dataclass of :mod:`convoy.params` inherits :class:`FromToml`; its
``from_toml()`` rejects unknown keys and values of the wrong type with a
:class:`~convoy.errors.ScenarioError` naming the table, the key, what was expected
and what was found. Reading the TOML file itself is :mod:`convoy.io.toml`'s job.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from convoy._problems import Problems
from convoy.errors import Problem, ScenarioError


class FromToml:
    """Mixin: build a frozen dataclass from a TOML table, checking keys and types."""

    #: Name of the TOML table, for messages.
    TABLE: ClassVar[str] = ""

    @classmethod
    def from_toml(
        cls, table: Mapping[str, Any] | None, file: str = "scenario.toml"
    ) -> Self:
        """
        Build from a parsed TOML table; missing keys take their defaults.

        Raises
        ------
        ScenarioError
            Listing every unknown key and every value of the wrong type.
        """
        table = dict(table or {})
        where = f"[{cls.TABLE}]"
        problems = Problems(file)
        kwargs: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for key, value in table.items():
            if key not in names:
                problems.add(
                    file, where, key, f"one of {sorted(names)}", "an unknown key"
                )
                continue
            try:
                kwargs[key] = _coerce(value, hints[key])
            except (TypeError, ValueError) as exc:
                problems.add(file, where, key, str(exc), repr(value))
        if problems:
            raise problems.error()
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            for p in exc.problems:  # a record names only its field: this table's
                if isinstance(p, Problem):
                    problems.add(file, where, p.field, p.expected, p.found)
                else:
                    problems.add(file, where, "", str(p))
            raise problems.error() from None


def _coerce(value: Any, hint: Any) -> Any:
    """Convert a TOML value to the field's annotated type, or raise ValueError."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        last: Exception | None = None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg)
            except (TypeError, ValueError) as exc:
                last = exc
        raise ValueError(str(last))
    if hint is bool:
        if not isinstance(value, bool):
            msg = "true or false"
            raise ValueError(msg)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = "an integer"
            raise ValueError(msg)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = "a number"
            raise ValueError(msg)
        if not math.isfinite(value):
            msg = "a finite number"
            raise ValueError(msg)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            msg = "a string"
            raise ValueError(msg)
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            msg = "an array"
            raise ValueError(msg)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        if len(args) != len(value):
            msg = f"an array of {len(args)} values"
            raise ValueError(msg)
        return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            msg = "a table"
            raise ValueError(msg)
        return dict(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            msg = "a table"
            raise ValueError(msg)
        return hint.from_toml(value)  # type: ignore[attr-defined]
    return value

"""Dotted overrides of ``scenario.toml`` keys, applied to the parsed document.

``{"scenario.deadline": "2023-11-08T18:00:00Z", "prices.incident_usd": 2e6}``
changes those keys of the parsed file before it is read into records, so an
override is checked exactly as the same key in the file would be: a bad value or an
unknown key is a problem naming the table and the key (exit code 2 from the CLI).
Only the ``[scenario]`` table and the parameter tables may be overridden; the
``[files]`` and ``[[reference_trips]]`` are the scenario's inputs and stay as
written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from convoy._problems import Problems

#: The tables of ``scenario.toml`` whose keys an override may set.
OVERRIDABLE_TABLES: tuple[str, ...] = (
    "scenario",
    "roads",
    "movement",
    "risk",
    "calibration",
    "prices",
    "loads",
    "solver",
    "simulation",
    "report",
)


def override_problems(keys: Iterable[str], label: str, problems: Problems) -> bool:
    """
    Record a problem for each key that is not ``table.key`` of an overridable table.

    Returns
    -------
    bool
        True when every key is well formed.
    """
    ok = True
    for key in keys:
        table, dot, name = str(key).partition(".")
        if not dot or not name or "." in name:
            problems.add(
                label,
                "override",
                str(key),
                "a dotted key TABLE.KEY, e.g. scenario.deadline",
                repr(key),
            )
            ok = False
        elif table not in OVERRIDABLE_TABLES:
            problems.add(
                label,
                "override",
                str(key),
                f"a key of one of the tables {list(OVERRIDABLE_TABLES)}",
                f"table {table!r}",
            )
            ok = False
    return ok


def apply_overrides(
    doc: Mapping[str, Any],
    overrides: Mapping[str, Any],
    label: str,
    problems: Problems,
) -> dict[str, Any]:
    """
    ``doc`` with each ``table.key`` of ``overrides`` set (a deep copy).

    Malformed keys are recorded in ``problems`` and skipped; values are checked
    later by the readers of the tables, as the file's own values are.

    Examples
    --------
    >>> doc = {"scenario": {"air_cover": False}}
    >>> apply_overrides(doc, {"scenario.air_cover": True}, "s.toml", Problems())
    {'scenario': {'air_cover': True}}
    """
    out = copy.deepcopy(dict(doc))
    for key, value in sorted(overrides.items()):
        if not override_problems([key], label, problems):
            continue
        table, _dot, name = key.partition(".")
        current = out.get(table)
        if current is None:
            current = out[table] = {}
        if isinstance(current, dict):
            current[name] = copy.deepcopy(value)
    return out

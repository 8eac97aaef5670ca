"""The sweep's table (Parquet) and its summary (CSV): one row a combination.

The table's columns are ``index`` (the combination's place in the grid's order),
``key`` (SHA-256 of its inputs), one column per swept key (named by the key, e.g.
``scenario.deadline``), ``resample``, ``draw``, ``seed``, ``status``, ``error``,
and the outcomes (:data:`convoy.sweep.task.OUTCOMES`, with ``depart``, ``arrive``
and ``loads_status``). Rows are in the grid's order whatever the workers did, and
the wall time of each task is kept out, so the same sweep gives the same table.

The summary holds, for each grid point (the swept keys' values) and each outcome,
the distribution over the threat draws: count, failed, mean, standard deviation,
minimum, 10th, 50th, 90th percentile and maximum, and the loads' statuses.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convoy.sweep.spec import Combination
from convoy.sweep.task import OUTCOMES, TEXT_COLUMNS

#: Percentiles of the summary.
SUMMARY_PERCENTILES: tuple[int, ...] = (10, 50, 90)

#: Columns of the summary after the swept keys.
SUMMARY_STATS: tuple[str, ...] = (
    "outcome",
    "unit",
    "n",
    "failed",
    "mean",
    "std",
    "min",
    *(f"p{q}" for q in SUMMARY_PERCENTILES),
    "max",
    "loads_status",
)


def _axis_value(value: Any) -> Any:
    """An axis value as a table cell: arrays as JSON text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def table_rows(
    combos: Sequence[Combination], parts: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """
    The table's rows: each combination with its part's outcomes, in grid order.

    A combination without a part (the run was stopped) has status ``missing``.
    """
    out = []
    for i, c in enumerate(combos):
        row: dict[str, Any] = {"index": i, "key": c.key}
        row.update((k, _axis_value(v)) for k, v in c.values)
        row.update(resample=c.resample, draw=c.draw, seed=c.seed)
        part = parts.get(c.key, {"status": "missing", "error": None})
        for name in TEXT_COLUMNS:
            row[name] = part.get(name)
        for name, _unit, _what in OUTCOMES:
            row[name] = part.get(name)
        out.append(row)
    return out


def _axis_type(values: Sequence[Any]) -> Any:
    import pyarrow as pa

    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64()
    return pa.string()


def write_parquet(
    rows: Sequence[Mapping[str, Any]], axes: Sequence[str], path: Path
) -> None:
    """Write the table as Parquet with a fixed schema (same input, same table)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [pa.field("index", pa.int64()), pa.field("key", pa.string())]
    for a in axes:
        vals = [r[a] for r in rows]
        t = _axis_type(vals)
        fields.append(pa.field(a, t))
    fields += [pa.field(n, pa.int64()) for n in ("resample", "draw", "seed")]
    fields += [pa.field(n, pa.string()) for n in TEXT_COLUMNS]
    for name, _unit, _what in OUTCOMES:
        kind = pa.int64() if name == "vehicles_moving" else pa.float64()
        fields.append(pa.field(name, kind))
    schema = pa.schema(fields)
    cols = {
        f.name: [
            str(r[f.name])
            if f.type == pa.string() and r[f.name] is not None
            else r[f.name]
            for r in rows
        ]
        for f in fields
    }
    pq.write_table(pa.table(cols, schema=schema), path)


def read_table(path: Path) -> list[dict[str, Any]]:
    """The rows of a sweep table written by :func:`write_parquet`."""
    import pyarrow.parquet as pq

    return list(pq.read_table(path).to_pylist())


def _stats(values: Sequence[float]) -> list[Any]:
    x = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not len(x):
        return [0, *([None] * (4 + len(SUMMARY_PERCENTILES)))]
    qs = np.percentile(x, SUMMARY_PERCENTILES)
    return [
        len(x),
        float(x.mean()),
        float(x.std(ddof=1)) if len(x) > 1 else 0.0,
        float(x.min()),
        *(float(q) for q in qs),
        float(x.max()),
    ]


def summary_rows(
    rows: Sequence[Mapping[str, Any]], axes: Sequence[str]
) -> list[dict[str, Any]]:
    """The distribution of each outcome at each grid point (over the threat draws)."""
    points: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in rows:
        points.setdefault(tuple(r[a] for a in axes), []).append(r)
    out = []
    for point, group in points.items():
        ok = [r for r in group if r["status"] == "ok"]
        statuses: dict[str, int] = {}
        for r in ok:
            statuses[str(r["loads_status"])] = (
                statuses.get(str(r["loads_status"]), 0) + 1
            )
        status_text = "; ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        for name, unit, _what in OUTCOMES:
            n, *rest = _stats([r[name] for r in ok])
            stats = [n, len(group) - len(ok), *rest]
            row = dict(zip(axes, point, strict=True))
            row.update(
                zip(SUMMARY_STATS, [name, unit, *stats, status_text], strict=True)
            )
            out.append(row)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def summary_csv(summary: Sequence[Mapping[str, Any]], axes: Sequence[str]) -> str:
    """The summary as CSV text (UTF-8, comma, one header row)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = [*axes, *SUMMARY_STATS]
    w.writerow(header)
    for row in summary:
        w.writerow([_cell(row[h]) for h in header])
    return buf.getvalue()

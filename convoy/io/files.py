"""Facts about input files: how messages name them, their size, their content hash."""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

from convoy.errors import Problem, ScenarioError
from convoy.params import MAX_INPUT_ENV, MAX_INPUT_MB

_MIB = 1 << 20


def file_sha256(path: Path) -> str:
    """``"sha256:<hex>"`` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def max_input_bytes() -> int:
    """
    The size limit of one input file, in bytes.

    :data:`~convoy.params.MAX_INPUT_MB` MiB unless the environment variable
    :data:`~convoy.params.MAX_INPUT_ENV` gives another number of MiB.

    Raises
    ------
    ScenarioError
        The environment variable is set but is not a number > 0.
    """
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return int(MAX_INPUT_MB * _MIB)
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise ScenarioError(
            Problem(
                f"environment variable {MAX_INPUT_ENV}",
                "",
                "",
                "a number of MiB > 0",
                repr(raw[:40]),
            )
        )
    return int(mb * _MIB)


def _size(n: int, fmt: str) -> str:
    """A size in MiB (``fmt`` formats the number), or in bytes below 1 MiB."""
    return f"{fmt.format(n / _MIB)} MiB" if n >= _MIB else f"{n} bytes"


def check_size(path: Path, label: str) -> None:
    """
    Refuse, before reading it, a file larger than :func:`max_input_bytes`.

    A missing file passes (its reader says so); a folder counts as its size 0.

    Raises
    ------
    ScenarioError
        Naming the file, its size, the limit and how to raise it.
    """
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        return
    limit = max_input_bytes()
    if size > limit:
        raise ScenarioError(
            Problem(
                label,
                "",
                "",
                f"a file of at most {_size(limit, '{:g}')} (raise the limit with the "
                f"environment variable {MAX_INPUT_ENV}=<MiB>)",
                _size(size, "{:.1f}"),
            )
        )


def label_of(path: Path) -> str:
    """
    A file as messages name it: relative to the working folder when inside it.

    Examples
    --------
    >>> label_of(Path.cwd() / "fleet.csv")
    'fleet.csv'
    """
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

"""The one TOML reader: a file's tables, or a clear problem saying why not."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from convoy._problems import Problems
from convoy.errors import ScenarioError
from convoy.io.files import check_size


def read_toml(
    path: Path, label: str, problems: Problems, *, expected: str = "a TOML file"
) -> dict[str, Any] | None:
    """
    The parsed TOML document, or None after recording why it cannot be read.

    Parameters
    ----------
    path
        The file; UTF-8, with or without a byte-order mark.
    label
        How messages name it.
    problems
        Where an unreadable, empty, non-UTF-8 or invalid file is recorded.
    expected
        What an empty file should have held, for its message.

    Returns
    -------
    dict or None
        The document's tables; None when the file cannot be used.

    Examples
    --------
    >>> doc = read_toml(Path("scenario.toml"), "scenario.toml", Problems())
    ... # doctest: +SKIP
    """
    try:
        check_size(path, label)
    except ScenarioError as exc:
        problems.take(exc, file=label)
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(label, "", "", "a readable file", exc.strerror or str(exc))
        return None
    if not raw.strip():
        problems.add(label, "", "", expected, "an empty file")
        return None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.add(label, "", "", "UTF-8 text", "undecodable bytes")
    except tomllib.TOMLDecodeError as exc:
        problems.add(label, "", "", "valid TOML", str(exc))
    return None

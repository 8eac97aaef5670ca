"""Facts about input files: how messages name them, their content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    """``"sha256:<hex>"`` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


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

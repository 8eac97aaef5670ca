"""The crash-safe store of a sweep: one small JSON part per finished combination.

Each finished combination (done or failed) is written as ``OUT/parts/<key>.json``:
written to a temporary name in the same folder, flushed and synced, then renamed
into place, so a part is whole or absent whatever kills the run (SIGKILL included);
a leftover temporary file is ignored and removed on the next run. On a rerun every
combination with a part whose status is ``ok`` is skipped; a failed one is planned
again. At the end the parts of the sweep's combinations are consolidated into the
table (:func:`table_rows`), written with the other outputs as a set.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: The folder of the parts inside the sweep's output folder.
PARTS_DIR = "parts"

#: Suffix of a part file.
PART_SUFFIX = ".json"


def parts_dir(out: Path) -> Path:
    """``out/parts``, created if missing (leftover temporary files removed)."""
    folder = out / PARTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for tmp in folder.glob(".part-*"):
        tmp.unlink(missing_ok=True)
    return folder


def write_part(folder: Path, row: dict[str, Any]) -> Path:
    """Write one row as ``<key>.json`` atomically (temporary file, fsync, rename)."""
    path = folder / f"{row['key']}{PART_SUFFIX}"
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(row, f, sort_keys=True, allow_nan=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_parts(folder: Path, keys: set[str]) -> dict[str, dict[str, Any]]:
    """
    The parts of ``keys`` found in ``folder``: ``{key: row}``.

    A part that cannot be read (a damaged file from outside convoy) is ignored, so
    its combination runs again.
    """
    out: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return out
    for path in folder.glob(f"*{PART_SUFFIX}"):
        key = path.name.removesuffix(PART_SUFFIX)
        if key not in keys:
            continue
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(row, dict) and row.get("key") == key:
            out[key] = row
    return out


def finished(rows: dict[str, dict[str, Any]]) -> set[str]:
    """The keys a rerun skips: the combinations planned without failure."""
    return {k for k, r in rows.items() if r.get("status") == "ok"}

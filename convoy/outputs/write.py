"""Safe output: build a whole output folder aside, then move it into place.

A failed run must never leave half a plan behind, nor write over an input. Outputs
are built in a temporary folder next to the destination (same file system, so the
final moves are renames) and moved in only when everything succeeded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from convoy.errors import ConvoyError


class OutputExistsError(ConvoyError):
    """An output file exists and ``--overwrite`` was not given."""


@contextmanager
def staged_outputs(
    out_dir: Path,
    names: Iterable[str],
    *,
    overwrite: bool,
    protect: Iterable[Path] = (),
) -> Iterator[Path]:
    """
    Yield a temporary folder; on success move its files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    names
        Files the caller intends to write, checked before any work starts.
    overwrite
        Replace existing files of those names; otherwise refuse.
    protect
        Input files that must never be replaced, whatever ``overwrite`` says.

    Raises
    ------
    OutputExistsError
        If an output exists and ``overwrite`` is false, or an output is an input.
    """
    out_dir = Path(out_dir).resolve()
    protected = {Path(p).resolve() for p in protect}
    names = list(names)
    for name in names:
        target = out_dir / name
        if target.resolve() in protected:
            msg = f"{target}: refusing to write over an input file"
            raise OutputExistsError(msg)
        if target.exists() and not overwrite:
            msg = f"{target} exists; pass --overwrite to replace it"
            raise OutputExistsError(msg)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convoy-", dir=out_dir))
    try:
        yield tmp
        for path in sorted(tmp.iterdir()):
            target = out_dir / path.name
            if target.resolve() in protected:
                msg = f"{target}: refusing to write over an input file"
                raise OutputExistsError(msg)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(path, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

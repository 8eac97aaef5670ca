"""Debian's python3 with PyQGIS, which the real-QGIS tests run their checkers in."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: The interpreter python3-qgis installs into (QGIS is not on PyPI).
QGIS_PYTHON = "/usr/bin/python3"


def have_qgis() -> bool:
    """True if :data:`QGIS_PYTHON` exists and imports ``qgis.core``."""
    if not Path(QGIS_PYTHON).is_file():
        return False
    try:
        r = subprocess.run(
            [QGIS_PYTHON, "-c", "import qgis.core"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0

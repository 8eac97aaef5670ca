"""report.pdf: the report page printed by WeasyPrint (A4 landscape, print styles).

WeasyPrint is an optional dependency (``pip install convoy[pdf]``; it needs the
system's Pango). :func:`pdf_engine_problem` says why it cannot be used, so the
command line can stop with a clear message instead of a traceback.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

from convoy.errors import ConvoyError


@cache
def _engine() -> tuple[Any, str | None]:
    """
    WeasyPrint and None, or None and why it cannot be imported.

    Imported once, when a PDF is asked for (it takes about a second).
    """
    try:  # optional: the PDF engine and its system libraries
        with warnings.catch_warnings():
            # Older WeasyPrint releases warn at import when HarfBuzz-Subset is missing.
            warnings.simplefilter("ignore", DeprecationWarning)
            import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        return None, str(exc)
    return weasyprint, None


def pdf_engine_problem() -> str | None:
    """Why no PDF can be made here, or None when WeasyPrint is usable."""
    engine, error = _engine()
    if engine is None:
        return (
            "writing a PDF needs WeasyPrint and Pango "
            "(pip install weasyprint; apt-get install libpango-1.0-0 "
            f"libpangoft2-1.0-0): {error}"
        )
    return None


def write_pdf(html_path: str | Path, pdf_path: str | Path | None = None) -> Path:
    """
    Print report.html to PDF with its print styles (``@page`` A4 landscape).

    Parameters
    ----------
    html_path
        The report page (its images are embedded, so it stands alone).
    pdf_path
        Where to write; default beside it as ``report.pdf``.

    Raises
    ------
    ConvoyError
        WeasyPrint (or Pango) is not installed.
    """
    problem = pdf_engine_problem()
    if problem is not None:
        raise ConvoyError(problem)
    src = Path(html_path)
    out = Path(pdf_path) if pdf_path is not None else src.with_name("report.pdf")
    tmp = out.with_name(out.name + ".part")
    _engine()[0].HTML(filename=str(src)).write_pdf(str(tmp))
    tmp.replace(out)
    return out

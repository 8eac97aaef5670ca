"""Shared helpers of the report charts: figures without pyplot, times, colours.

Charts are drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas
(no pyplot, no global state, no display needed), so report building is safe in
any process and thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: One minute in matplotlib date units (days).
MINUTE_DAYS = 1.0 / 1440.0

#: Resolution of the PNG charts, in dots per inch.
DPI = 110

#: zlib level of the PNG charts (Pillow's default is 6): level 1 encodes faster for
#: files about a tenth larger; the pixels are the same.
PNG_COMPRESS_LEVEL = 1

#: Settings while a chart is laid out and drawn. Text is most of a chart's cost;
#: unhinted glyphs (FreeType's outlines as they are, not snapped to the pixel
#: grid) lay out and render about a quarter faster and read the same at this
#: resolution.
DRAW_RC: dict[Any, Any] = {"text.hinting": "none"}

#: Plan colours, in :data:`convoy.document.PLAN_ORDER` (ColorBrewer Dark2/Set1, as
#: the map).
PLAN_COLOURS: dict[str, str] = {
    "optimised": "#006d2c",
    "depart_at_once": "#e41a1c",
    "daylight_only": "#ff7f00",
    "historical": "#7570b3",
}
PLAN_LABELS: dict[str, str] = {
    "optimised": "Optimised plan",
    "depart_at_once": "Baseline: depart at once",
    "daylight_only": "Baseline: daylight only",
    "historical": "Baseline: historical profile",
}
DISPOSITION_COLOURS: dict[str, str] = {
    "destroyed": "#cb181d",
    "handed_over": "#2171b5",
    "abandoned": "#969696",
}


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure attached to an Agg canvas."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, path: Path) -> Path:
    """
    Write ``fig`` as PNG (no timestamp metadata, so reruns give the same bytes).

    The constrained layout is computed first and then switched off: with a layout
    engine set, ``savefig`` draws the whole figure twice (once, not rendered, for
    the layout; once for the pixels); this way it draws it once. The layout and
    the pixels are the same.
    """
    with matplotlib.rc_context(DRAW_RC):
        engine = fig.get_layout_engine()
        if engine is not None:
            engine.execute(fig)
            fig.set_layout_engine(None)
        fig.savefig(
            path,
            format="png",
            dpi=DPI,
            metadata={"Software": None},
            pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL},
        )
    return path


def plan_label(key: str) -> str:
    """Legend text of a plan key."""
    return PLAN_LABELS.get(key, key.replace("_", " "))


def plan_colour(key: str) -> str:
    """Line colour of a plan key."""
    return PLAN_COLOURS.get(key, "#636363")


def day_numbers(times: Sequence[datetime]) -> np.ndarray:
    """Matplotlib date numbers (days since 1970-01-01 UTC) of aware datetimes."""
    return np.asarray(mdates.date2num(list(times)), dtype=np.float64)


def utc_time_axis(ax: Axes) -> None:
    """Show the x axis as UTC day and time, e.g. ``31 Oct`` over ``06:00``."""
    ax.xaxis_date(tz=UTC)
    fmt = mdates.DateFormatter("%d %b\n%H:%M", tz=UTC)
    ax.xaxis.set_major_formatter(fmt)

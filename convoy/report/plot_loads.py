"""What is left behind: value by category and disposition."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convoy.document import DISPOSITIONS, PlanDocument
from convoy.report._common import DISPOSITION_COLOURS, new_figure, save


def left_behind_by_category(
    doc: PlanDocument,
) -> dict[str, dict[str, list[float]]]:
    """
    ``{category: {disposition: [count, weight_kg, value_usd]}}`` of ``left_behind``.

    Vehicles count under their category with ``vehicle: `` in front.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for r in doc.left_behind:
        cat = r.category or "(none)"
        if r.kind == "vehicle":
            cat = f"vehicle: {cat}"
        cell = out.setdefault(cat, {d: [0.0, 0.0, 0.0] for d in DISPOSITIONS})
        d = cell.setdefault(r.disposition, [0.0, 0.0, 0.0])
        d[0] += 1
        d[1] += float(r.weight_kg)
        d[2] += float(r.value_usd)
    return dict(sorted(out.items()))


def plot_left_behind(doc: PlanDocument, path: Path) -> Path:
    """
    Draw a stacked bar chart of the value left behind, by category and disposition.

    Parameters
    ----------
    doc
        The plan document (its ``left_behind``).
    path
        PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    table = left_behind_by_category(doc)
    cats = list(table)
    fig = new_figure(8.0, 1.8 + 0.4 * max(len(cats), 2))
    ax = fig.subplots()
    left = np.zeros(len(cats))
    for disp in DISPOSITIONS:
        vals = np.array([table[c].get(disp, [0, 0, 0])[2] / 1e6 for c in cats])
        counts = [int(table[c].get(disp, [0, 0, 0])[0]) for c in cats]
        bars = ax.barh(
            cats,
            vals,
            left=left,
            color=DISPOSITION_COLOURS[disp],
            label=disp.replace("_", " "),
        )
        ax.bar_label(
            bars,
            labels=[str(n) if n else "" for n in counts],
            label_type="center",
            fontsize=7,
            color="white",
        )
        left += vals
    if not cats:
        ax.text(
            0.5,
            0.5,
            "nothing is left behind",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.invert_yaxis()
    ax.set_xlabel(
        "value left behind (million USD); numbers in the bars are item counts"
    )
    ax.set_ylabel("category")
    ax.set_title("Left behind: value by category and disposition")
    fig.legend(loc="outside lower center", ncols=len(DISPOSITIONS), fontsize=8)
    ax.grid(True, axis="x", lw=0.3, alpha=0.5)
    return save(fig, path)

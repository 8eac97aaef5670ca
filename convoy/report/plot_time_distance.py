"""The movement graph: distance along the route against time, over the risk.

The doctrinal time-distance graph (FM 55-30, chapter 5): the head's trajectory, the
tail's (the head delayed by the column's pass time), halts as flat stretches, and
behind them the IED risk the head would meet at each place and hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from convoy.document import MarchTableRow, PlanDocument, RiskPiece
from convoy.params import DEFAULT_DIURNAL_IED
from convoy.report._common import (
    MINUTE_DAYS,
    day_numbers,
    new_figure,
    save,
    utc_time_axis,
)

#: Time resolution of the risk heat map, in minutes.
HEAT_STEP_MIN = 10.0


def pass_time_min(rows: Sequence[MarchTableRow]) -> float:
    """
    Pass time of the whole column, in minutes.

    From a march table: at the first checkpoint, the last unit's tail clearance
    minus the first unit's head arrival. Without a march table, 0.
    """
    if not rows:
        return 0.0
    first = rows[0].checkpoint
    at = [r for r in rows if r.checkpoint == first]
    head = min(r.head_arrival for r in at)
    tail = max(r.tail_clearance for r in at)
    return max((tail - head).total_seconds() / 60.0, 0.0)


def risk_time_grid(
    risk_rows: Sequence[RiskPiece],
    t0: datetime,
    t1: datetime,
    diurnal: Sequence[float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    IED risk per km at every route piece and hour between ``t0`` and ``t1``.

    plan.json gives each piece's risk at the head's passing hour h0; the field varies
    in time by the diurnal profile d (normalised to mean 1), so the risk at hour h is
    ``ied_per_km * d(h) / d(h0)``.

    Returns
    -------
    times, km_edges, values
        Time bin edges (datetimes, ``HEAT_STEP_MIN`` apart), km bin edges, and the
        (pieces, time bins) grid in expected incidents per km.
    """
    d = np.asarray(diurnal, dtype=float)
    d = d / d.mean() if d.mean() > 0 else np.ones(24)
    n_t = max(int(np.ceil((t1 - t0).total_seconds() / 60.0 / HEAT_STEP_MIN)), 1)
    times = [t0 + timedelta(minutes=HEAT_STEP_MIN * i) for i in range(n_t + 1)]
    mid_hours = np.array(
        [(t.hour + t.minute / 60.0 + HEAT_STEP_MIN / 120.0) % 24 for t in times[:-1]]
    )
    d_t = d[np.floor(mid_hours).astype(int) % 24]
    km_edges = np.array(
        [float(r.km_from) for r in risk_rows] + [float(risk_rows[-1].km_to)]
    )
    base = np.empty(len(risk_rows))
    for i, r in enumerate(risk_rows):
        h0 = r.head_time.hour
        base[i] = float(r.ied_per_km) / d[h0] if d[h0] > 0 else 0.0
    return np.array(times), km_edges, base[:, None] * d_t[None, :]


def plot_time_distance(
    doc: PlanDocument,
    path: Path,
    key: str = "optimised",
    *,
    diurnal_ied: Sequence[float] = DEFAULT_DIURNAL_IED,
) -> Path:
    """
    Draw the time-distance graph of one plan.

    Parameters
    ----------
    doc
        The plan document.
    path
        PNG file to write.
    key
        Which of ``doc.plans`` to draw.
    diurnal_ied
        The IED channel's hourly profile (``[risk] diurnal_ied``).

    Returns
    -------
    Path
        ``path``.
    """
    p = doc.trip(key)
    traj = p.trajectory
    th = day_numbers([r.time for r in traj])
    km_head = np.array([float(r.km) for r in traj])
    pass_min = pass_time_min(doc.march_table) if key == "optimised" else 0.0
    fig = new_figure(10.0, 5.8)
    ax = fig.subplots()
    rows = p.risk_along_route
    if rows and len(th):
        t0 = traj[0].time - timedelta(hours=2)
        t1 = traj[-1].time + timedelta(minutes=pass_min + 120.0)
        times, km_edges, grid = risk_time_grid(rows, t0, t1, diurnal_ied)
        tx = day_numbers(list(times))
        # a rectilinear grid: drawn as one image, not a mesh of quadrilaterals
        mesh = ax.pcolorfast(tx, km_edges, grid, cmap="YlOrRd", zorder=1)
        ax.set_xlim(tx[0], tx[-1])
        fig.colorbar(
            mesh,
            ax=ax,
            pad=0.01,
            label="IED risk at that place and hour (expected incidents per km)",
        )
    ax.plot(th, km_head, color="#08306b", lw=2.2, label="head of column", zorder=4)
    if pass_min > 0:
        tt = th + pass_min * MINUTE_DAYS
        ax.plot(
            tt,
            km_head,
            color="#08306b",
            lw=1.4,
            ls="--",
            label=f"tail of column (pass time {pass_min:.0f} min)",
            zorder=4,
        )
        ax.fill_betweenx(
            km_head,
            th,
            tt,
            color="#6baed6",
            alpha=0.35,
            zorder=3,
            label="column on the road",
        )
    # a halt sits where the head is when it starts: read off the trajectory
    for i, h in enumerate(p.halts):
        s, e = day_numbers([h.start, h.end])
        km = float(np.interp(s, th, km_head)) if len(th) else 0.0
        ax.plot(
            [s, e + pass_min * MINUTE_DAYS],
            [km, km],
            color="#2171b5",
            lw=6,
            alpha=0.8,
            solid_capstyle="butt",
            zorder=5,
            label="halt" if i == 0 else None,
        )
        ax.annotate(
            f"{h.site} ({float(h.hours):.1f} h)",
            (s, km),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=8,
            zorder=6,
        )
    deadline = doc.scenario.deadline
    if len(th):
        (td,) = day_numbers([deadline])
        if td <= th[-1] + 2.0 / 24.0:
            ax.axvline(td, color="black", lw=1.0, ls=":", label="deadline")
    utc_time_axis(ax)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("distance along the route (km)")
    title = (
        "Time-distance graph of the optimised plan"
        if key == "optimised"
        else f"Time-distance graph: {key.replace('_', ' ')}"
    )
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax.grid(True, lw=0.3, alpha=0.5)
    return save(fig, path)

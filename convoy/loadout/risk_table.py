"""The risk table the loads optimiser trades against, and how it is tabulated."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numba
import numpy as np

from convoy.errors import Problem, ScenarioError
from convoy.params import MovementParams
from convoy.roads.network import RoadNetwork
from convoy.scenario import Vehicle
from convoy.schedule import ExposureModel, column_surface_speeds, plan_schedule
from convoy.schedule.search import SearchSize, check_size, search_size

#: Column sizes tabulated for the loads optimiser (between them it interpolates).
RISK_TABLE_SIZES = 7
#: Departure delays tabulated for the loads optimiser, in minutes: (up to, spacing)
#: pieces, fine where destruction work usually ends and coarse beyond. A delay
#: between grid points is priced at the next one (the cautious side); the final
#: schedule then uses the exact delay. Every extra delay is one more piece in the
#: CP-SAT model: 60-minute spacing over eleven days took CP-SAT 4x longer for the
#: same plan on the embedded scenario.
RISK_TABLE_DELAYS_MIN: tuple[tuple[float, float], ...] = (
    (240.0, 30.0),
    (720.0, 60.0),
    (math.inf, 180.0),
)

_RISK_TABLE = "risk table"


@dataclass(frozen=True)
class RiskTable:
    """
    Expected incidents of the best schedule, by column size and departure delay.

    Parameters
    ----------
    num_vehicles
        (A,) int, strictly increasing: column sizes tabulated (vehicles moving,
        towed ones included). Between grid points the table is interpolated
        linearly; outside ``[num_vehicles[0], num_vehicles[-1]]`` it is infeasible.
    delay_min
        (B,) float, strictly increasing, >= 0: earliest departure delays after the
        scenario start, in minutes. A delay between grid points takes the next
        larger grid delay; a delay beyond the last is infeasible.
    incidents
        (A, B) float, >= 0: expected incidents of the best schedule for that column
        size leaving no earlier than start + delay; ``np.inf`` where no schedule
        meets the deadline (such cells are forbidden).

    Raises
    ------
    ScenarioError
        If shapes, orders or values are not as above.

    Examples
    --------
    >>> t = RiskTable(np.array([1, 10]), np.array([0.0, 60.0]),
    ...               np.array([[0.1, 0.2], [1.0, 2.0]]))
    >>> round(t.incidents_at(4, 30.0), 3)
    0.8
    """

    num_vehicles: np.ndarray
    delay_min: np.ndarray
    incidents: np.ndarray

    def __post_init__(self) -> None:
        nv = np.asarray(self.num_vehicles)
        dl = np.asarray(self.delay_min, dtype=np.float64)
        inc = np.asarray(self.incidents, dtype=np.float64)
        if nv.ndim != 1 or nv.size == 0 or not np.issubdtype(nv.dtype, np.integer):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "num_vehicles",
                    "a non-empty 1-D integer array",
                    f"{nv.dtype} of shape {nv.shape}",
                )
            )
        if np.any(np.diff(nv) <= 0) or nv[0] < 0:
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "num_vehicles",
                    "strictly increasing counts >= 0",
                    str(nv.tolist()),
                )
            )
        if dl.ndim != 1 or dl.size == 0 or not np.all(np.isfinite(dl)):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "delay_min",
                    "a non-empty 1-D array of finite minutes",
                    str(dl.tolist()),
                )
            )
        if np.any(np.diff(dl) <= 0) or dl[0] < 0:
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "delay_min",
                    "strictly increasing minutes >= 0",
                    str(dl.tolist()),
                )
            )
        if inc.shape != (nv.size, dl.size):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "incidents",
                    f"shape {(nv.size, dl.size)}",
                    str(inc.shape),
                )
            )
        if np.any(np.isnan(inc)) or np.any(inc < 0) or np.any(inc == -np.inf):
            raise ScenarioError(
                Problem(
                    _RISK_TABLE,
                    "",
                    "incidents",
                    "expected incidents >= 0 or inf",
                    "NaN or negative values",
                )
            )
        object.__setattr__(self, "num_vehicles", np.ascontiguousarray(nv, np.int64))
        object.__setattr__(self, "delay_min", np.ascontiguousarray(dl))
        object.__setattr__(self, "incidents", np.ascontiguousarray(inc))

    def column_incidents(self, max_vehicles: int) -> np.ndarray:
        """
        The table at every integer column size 0..max_vehicles.

        Returns
        -------
        numpy.ndarray
            (max_vehicles + 1, B) float64 expected incidents, ``inf`` where
            infeasible (a size outside the tabulated range, or next to an
            infeasible grid cell).
        """
        nv, inc = self.num_vehicles, self.incidents
        out = np.full((max_vehicles + 1, inc.shape[1]), np.inf)
        for n in range(max_vehicles + 1):
            if n < nv[0] or n > nv[-1]:
                continue
            i = int(np.searchsorted(nv, n, side="right")) - 1
            if nv[i] == n:
                out[n] = inc[i]
            else:
                t = (n - nv[i]) / (nv[i + 1] - nv[i])
                lo, hi = inc[i], inc[i + 1]
                both = np.isfinite(lo) & np.isfinite(hi)
                out[n] = np.where(
                    both,
                    (1.0 - t) * np.where(both, lo, 0.0) + t * np.where(both, hi, 0.0),
                    np.inf,
                )
        return out

    def incidents_at(self, num_vehicles: int, delay_min: float) -> float:
        """Expected incidents of a column of that size leaving ``delay_min`` late."""
        b = int(np.searchsorted(self.delay_min, delay_min, side="left"))
        if b >= self.delay_min.size or num_vehicles < 0:
            return math.inf
        return float(self.column_incidents(int(num_vehicles))[num_vehicles, b])


def _quiet(_msg: str) -> None:
    return None


def min_column(vehicles: Sequence[Vehicle], personnel: int) -> int:
    """Fewest self-propelled vehicles whose seats hold everyone (at least 1)."""
    seats = sorted((v.seats for v in vehicles if v.roadworthy), reverse=True)
    total, n = 0, 0
    for s in seats:
        if total >= personnel:
            break
        total += s
        n += 1
    return max(n, 1)


def tabulate_risk(
    base: ExposureModel,
    roads: RoadNetwork,
    vehicles: Sequence[Vehicle],
    *,
    personnel: int,
    origin: int,
    destination: int,
    horizon_min: float,
    movement: MovementParams,
    start: datetime,
    node_names: Mapping[int, str],
    progress: Callable[[str], None] = _quiet,
    prepare: Callable[[ExposureModel], ExposureModel] | None = None,
) -> RiskTable:
    """
    Expected incidents of the optimal schedule by column size and departure delay.

    The column of ``n`` vehicles is ``n`` vehicles of the fleet's mean length at the
    fleet's slowest speed on each surface (conservative: the optimiser may leave the
    slowest vehicles behind, and the final schedule is then recomputed for the
    column actually chosen). One backward search per size gives the cost of every
    departure step; the cost of leaving no earlier than a delay is the smallest cost
    of the steps at or after it.

    Parameters
    ----------
    base
        Exposure model of the whole column (its risk and halts are kept; lengths
        and speeds are replaced per column size).
    roads
        The road network (surfaces and speed limits of the edges).
    vehicles
        The vehicles at the camp.
    personnel
        People to seat, which sets the smallest column.
    origin, destination
        Node ids.
    horizon_min
        Minutes from the start to the deadline.
    movement
        Movement rules, intervals and speed cap.
    start
        The scenario start (for messages).
    node_names
        Site names of nodes (for messages).
    progress
        Called with a short message before the searches.
    prepare
        Applied to each column size's model before its search (the planner merges
        chains of two-way nodes there, :mod:`convoy.schedule.contract`); None for
        the model as it is.

    Returns
    -------
    RiskTable

    Raises
    ------
    InfeasibleError
        If no schedule meets the deadline even for the smallest column; the message
        names the binding constraint and the earliest feasible arrival.
    ScenarioError
        If a column size's search is over the state limit
        (:func:`convoy.schedule.search.search_size`, counted for every size,
        the largest first, before any search runs).
    """
    n_max = len(vehicles)
    n_min = min(min_column(vehicles, personnel), n_max)
    sizes = np.unique(np.round(np.linspace(n_min, n_max, RISK_TABLE_SIZES)).astype(int))
    mean_len = float(np.mean([v.length_m for v in vehicles]))
    speeds = column_surface_speeds(
        [v.speed_kph for v in vehicles if v.roadworthy]
        or [v.speed_kph for v in vehicles]
    )

    def size_model(n: int) -> ExposureModel:
        day_km = (n * mean_len + (n - 1) * movement.interval_day_m) / 1000.0
        night_km = (n * mean_len + (n - 1) * movement.interval_night_m) / 1000.0
        model = dataclasses.replace(
            base,
            column_day_km=day_km,
            column_night_km=night_km,
            edge_speed_kph=np.minimum(
                np.minimum(speeds[roads.edge_surface], roads.edge_maxspeed_kph),
                movement.max_speed_kph,
            ),
        )
        return model if prepare is None else prepare(model)

    def size_of(model: ExposureModel) -> SearchSize:
        return search_size(
            model,
            origin,
            destination,
            horizon_min=horizon_min,
            movement=movement,
            costs_read="suffix_min",
        )

    def cost_by_departure(model: ExposureModel) -> np.ndarray:
        sched = plan_schedule(
            model,
            origin,
            destination,
            horizon_min=horizon_min,
            movement=movement,
            start=start,
            node_names=node_names,
            costs_read="suffix_min",
        )
        # only its suffix minima are read (``_delay_grid``): the search may skip
        # the states that no best departure at or after a step can pass
        return np.asarray(sched.cost_by_departure, dtype=np.float64)

    # Every size's search is counted first, the largest column first (the
    # largest search: its cost bound cuts least), so that a table over the state
    # limit is refused before any search runs, within the seconds of one count.
    progress(
        f"{_RISK_TABLE}: columns of {', '.join(str(int(n)) for n in sizes)} vehicles"
    )
    by_size: dict[int, ExposureModel] = {}
    for n in sorted((int(n) for n in sizes), reverse=True):
        by_size[n] = size_model(n)
        check_size(size_of(by_size[n]), f"for the risk table's column of {n} vehicles")
    models = [by_size[int(n)] for n in sizes]
    # The sizes' searches are independent (pass times and ambush costs differ, so
    # no pass can serve two sizes): they run side by side on numba's threads (its
    # kernels release the GIL), each on its own arrays; the table is the same
    # whatever the number of threads, and a failure is the smallest size's.
    workers = max(1, min(numba.get_num_threads(), len(sizes)))
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(cost_by_departure, m) for m in models]
        costs = [f.result() for f in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return _delay_grid(np.vstack(costs), sizes, movement.step_min)


def _delay_grid(c: np.ndarray, sizes: np.ndarray, step: int) -> RiskTable:
    """The table at the grid delays from the cost of every size and departure step."""
    # no earlier than step t: the best of t and every later step
    suffix = np.minimum.accumulate(c[:, ::-1], axis=1)[:, ::-1]
    finite = np.isfinite(suffix).any(axis=0)
    last = int(np.flatnonzero(finite)[-1])
    delays_l: list[float] = []
    lo, end = 0.0, last * step
    for upto, spacing in RISK_TABLE_DELAYS_MIN:
        delays_l.extend(np.arange(lo, min(upto, end + 1e-9), spacing).tolist())
        lo = min(upto, end + spacing)
        if upto >= end:
            break
    delays = np.unique(np.asarray([*delays_l, 0.0]))
    idx = np.ceil(delays / step - 1e-9).astype(int)
    return RiskTable(sizes.astype(np.int64), delays, suffix[:, idx])

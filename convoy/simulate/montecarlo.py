"""Monte Carlo simulation of a plan: the spread around the planner's expected values.

The planner prices a plan by its *expected* incidents. This module samples what can
happen on the road and reports the distribution: incidents (IED and ambush),
breakdowns, vehicles lost, delay, arrival time and the chance of missing the
deadline. It works from plain records (:mod:`convoy.simulate.records`): one
trip's intensities, leg lengths and times, and the moving column with each
vehicle's reliability; :func:`convoy.plan.simulate_plan` builds them from a plan.

Model (one run; all runs independent)
-------------------------------------
Incidents
    A Poisson process along the plan's trajectory with the intensities the planner
    priced: on each leg i, ``N_ied,i ~ Poisson(expected_ied_i)`` and
    ``N_amb,i ~ Poisson(expected_ambush_i)``; at each halt h,
    ``N_amb,h ~ Poisson(expected_ambush_h)``. The mean number of incidents is
    therefore exactly the plan's expected incidents, which the tests check.
Delay per incident
    Exponential, mean :attr:`SimulationParams.ied_delay_h` (2 h: casualty
    evacuation, clearance of the site, recovery of the hit vehicle) or
    :attr:`SimulationParams.ambush_delay_h` (1 h: contact, reorganisation).
    Planning assumptions, not measurements.
Vehicles destroyed by incidents
    Each incident destroys one vehicle with probability
    :attr:`SimulationParams.ied_destroy_p` (0.3) or
    :attr:`SimulationParams.ambush_destroy_p` (0.1). Planning assumptions.
Breakdowns
    Each self-propelled moving vehicle (``status == "moving"`` in the plan's loads)
    breaks down on the route with probability ``1 - reliability ** (D / 100)``, D
    the plan's route length in km and ``reliability`` the fleet's probability of
    covering 100 km without a breakdown; the place is drawn from the same law.
    In route order, a broken vehicle is taken in tow by a free recovery vehicle
    (``can_tow``, moving, not towing yet) or, with none free, lost (stripped and
    destroyed). A recovery vehicle that breaks down drops its tow, which is lost.
    Each breakdown delays the column :attr:`SimulationParams.breakdown_delay_h`
    (0.5 h), whether the vehicle is recovered or not.
Arrival
    ``planned arrival + total delay``. Simplification: a delay does not shift the
    risk windows (the later part of the route is priced at the planned times), and
    the movement windows and daily driving limit are not re-applied to the delayed
    column.

Other simplifications: vehicles destroyed by incidents are counted, not named, so
they do not deplete the recovery vehicles; a baseline plan (``plan="historical"``
and so on) is simulated with the optimised plan's loads, the only ones plan.json
records.

Random numbers come only from one :class:`numpy.random.Generator` seeded with the
given seed (the scenario's, unless the caller chooses another), drawn in a fixed
order before the kernel runs, so the same plan, parameters, ``num_runs`` and seed
give an identical result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convoy.errors import ScenarioError
from convoy.params import SimulationParams
from convoy.simulate._kernels import _simulate_runs
from convoy.simulate.records import ColumnVehicle, TripExposure

#: Largest ``num_runs`` accepted: the per-run results take 48 bytes a run.
MAX_RUNS = 2_000_000

#: Runs simulated per batch of random draws (the breakdown draws of a batch take
#: 8 bytes x RUN_CHUNK x moving vehicles: about 70 MB for the Kidal-Gao column).
RUN_CHUNK = 65_536

#: Quantiles reported for every distribution.
QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """
    Outcome of :func:`simulate_column`: one entry per run, and what was simulated.

    Parameters
    ----------
    plan
        Name of the simulated plan in plan.json (``"optimised"`` or a baseline).
    seed
        Seed of the generator.
    params
        The assumptions used.
    num_ied, num_ambush
        Incidents of each kind per run, int64 (n,).
    delay_h
        Total delay of the column per run, hours, float64 (n,).
    destroyed
        Vehicles destroyed by incidents per run, int64 (n,).
    breakdowns
        Breakdowns per run, int64 (n,).
    lost_breakdown
        Vehicles lost to breakdowns (no recovery vehicle free, or tow dropped) per
        run, int64 (n,).
    expected_ied, expected_ambush
        The plan's expected incidents of each kind (sum over legs and halts).
    planned_arrive, deadline
        Planned arrival and deadline, timezone-aware UTC.
    distance_km
        Route length, km.
    num_moving, num_recovery
        Self-propelled moving vehicles, and among them free recovery vehicles.
    """

    plan: str
    seed: int
    params: SimulationParams
    num_ied: NDArray[np.int64]
    num_ambush: NDArray[np.int64]
    delay_h: NDArray[np.float64]
    destroyed: NDArray[np.int64]
    breakdowns: NDArray[np.int64]
    lost_breakdown: NDArray[np.int64]
    expected_ied: float
    expected_ambush: float
    planned_arrive: datetime
    deadline: datetime
    distance_km: float
    num_moving: int
    num_recovery: int

    @property
    def num_runs(self) -> int:
        """Number of simulated runs."""
        return int(self.num_ied.shape[0])

    @property
    def incidents(self) -> NDArray[np.int64]:
        """All incidents per run."""
        return self.num_ied + self.num_ambush

    @property
    def vehicles_lost(self) -> NDArray[np.int64]:
        """Vehicles lost per run: destroyed by incidents plus lost to breakdowns."""
        return self.destroyed + self.lost_breakdown

    @property
    def slack_h(self) -> float:
        """Hours from the planned arrival to the deadline."""
        return (self.deadline - self.planned_arrive).total_seconds() / 3600.0

    @property
    def missed(self) -> NDArray[np.bool_]:
        """True for each run arriving after the deadline."""
        return np.asarray(self.delay_h > self.slack_h)

    @property
    def p_miss_deadline(self) -> float:
        """Fraction of runs arriving after the deadline."""
        return float(self.missed.mean())

    def arrival(self, q: float) -> datetime:
        """Arrival time at quantile ``q`` in [0, 1] (UTC)."""
        return self.planned_arrive + timedelta(
            hours=float(np.quantile(self.delay_h, q))
        )

    def to_document(self) -> dict[str, Any]:
        """The result as the simulation.json document (plain JSON types)."""
        total = self.expected_ied + self.expected_ambush
        return {
            "format": "convoy-simulation/1",
            "plan": self.plan,
            "num_runs": self.num_runs,
            "seed": self.seed,
            "params": asdict(self.params),
            "planned": {
                "expected_incidents": total,
                "expected_ied_incidents": self.expected_ied,
                "expected_ambush_incidents": self.expected_ambush,
                "arrive": _iso(self.planned_arrive),
                "deadline": _iso(self.deadline),
                "slack_h": self.slack_h,
                "distance_km": self.distance_km,
                "vehicles_moving": self.num_moving,
                "recovery_vehicles_free": self.num_recovery,
            },
            "incidents": count_stats(self.incidents),
            "ied": count_stats(self.num_ied),
            "ambush": count_stats(self.num_ambush),
            "breakdowns": count_stats(self.breakdowns),
            "vehicles_destroyed": count_stats(self.destroyed),
            "vehicles_lost_breakdown": count_stats(self.lost_breakdown),
            "vehicles_lost": count_stats(self.vehicles_lost),
            "delay_h": value_stats(self.delay_h),
            "arrival": {f"p{round(100 * q)}": _iso(self.arrival(q)) for q in QUANTILES},
            "p_miss_deadline": self.p_miss_deadline,
        }


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def count_stats(x: NDArray[np.int64]) -> dict[str, float]:
    """
    Statistics of a count per run.

    Mean, standard deviation, Monte Carlo standard error, P(0), P(>=1), P(>=3) and
    quantiles.

    Examples
    --------
    >>> count_stats(np.array([0, 1, 3]))["p_ge1"]
    0.6666666666666666
    """
    out = value_stats(x.astype(np.float64))
    out["p0"] = float(np.mean(x == 0))
    out["p_ge1"] = float(np.mean(x >= 1))
    out["p_ge3"] = float(np.mean(x >= 3))
    return out


def value_stats(x: NDArray[np.float64]) -> dict[str, float]:
    """Mean, standard deviation, standard error of the mean, quantiles and max."""
    n = x.shape[0]
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    out = {
        "mean": float(x.mean()),
        "std": std,
        "stderr": std / math.sqrt(n),
        "max": float(x.max()),
    }
    for q in QUANTILES:
        out[f"p{round(100 * q)}"] = float(np.quantile(x, q))
    return out


def _column_arrays(
    column: Sequence[ColumnVehicle],
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """ln(reliability), recovery flag and towing flag of each vehicle of the column."""
    return (
        np.array([math.log(v.reliability) for v in column], dtype=np.float64),
        np.array([int(v.can_tow) for v in column], dtype=np.int64),
        np.array([int(v.can_tow and v.towing) for v in column], dtype=np.int64),
    )


def _run_chunks(
    rng: np.random.Generator,
    n: int,
    ied: NDArray[np.float64],
    amb: NDArray[np.float64],
    column: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]],
    distance_km: float,
    params: SimulationParams,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[NDArray[Any], ...]:
    """
    Draw and simulate ``n`` runs: IED, ambush, delay, destroyed, breakdowns, lost.

    ``progress(done, n)`` is called before the first chunk (``done`` 0) and after
    each chunk of :data:`RUN_CHUNK` runs; it draws no random numbers, so the
    runs are the same with or without it.
    """
    log_rel, is_rec, is_tow = column
    num_ied = np.empty(n, dtype=np.int64)
    num_amb = np.empty(n, dtype=np.int64)
    delay_h = np.empty(n, dtype=np.float64)
    destroyed = np.empty(n, dtype=np.int64)
    breakdowns = np.empty(n, dtype=np.int64)
    lost = np.empty(n, dtype=np.int64)
    # Runs go in chunks of RUN_CHUNK so the draws stay a few tens of MB; within
    # each chunk the draw order is fixed: IED counts, ambush counts, per-incident
    # delays and destruction draws, then breakdown draws.
    if progress is not None:
        progress(0, n)
    for lo in range(0, n, RUN_CHUNK):
        hi = min(n, lo + RUN_CHUNK)
        m = hi - lo
        num_ied[lo:hi] = rng.poisson(ied, size=(m, ied.size)).sum(axis=1)
        num_amb[lo:hi] = rng.poisson(amb, size=(m, amb.size)).sum(axis=1)
        offsets = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(num_ied[lo:hi] + num_amb[lo:hi], out=offsets[1:])
        total = int(offsets[-1])
        inc_exp = rng.standard_exponential(total)
        inc_u = rng.random(total)
        bd_u = rng.random((m, log_rel.size))
        rep_u = rng.random((m, log_rel.size))
        _simulate_runs(
            num_ied[lo:hi],
            num_amb[lo:hi],
            offsets,
            inc_exp,
            inc_u,
            params.ied_delay_h,
            params.ambush_delay_h,
            params.ied_destroy_p,
            params.ambush_destroy_p,
            bd_u,
            rep_u,
            params.repair_p,
            log_rel,
            is_rec,
            is_tow,
            distance_km,
            params.breakdown_delay_h,
            delay_h[lo:hi],
            destroyed[lo:hi],
            breakdowns[lo:hi],
            lost[lo:hi],
        )
        if progress is not None:
            progress(hi, n)
    return num_ied, num_amb, delay_h, destroyed, breakdowns, lost


def simulate_column(
    trip: TripExposure,
    column: Sequence[ColumnVehicle],
    *,
    num_runs: int = 10_000,
    seed: int,
    params: SimulationParams,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """
    Simulate a trip ``num_runs`` times: incidents, breakdowns, losses and arrival.

    Parameters
    ----------
    trip
        The trip's intensities, leg lengths, planned arrival and deadline.
    column
        The self-propelled moving vehicles, in the plan's order.
    num_runs
        Number of independent runs, 1 to :data:`MAX_RUNS`.
    seed
        Seed of the generator.
    params
        Assumptions (delays, destruction and repair probabilities).
    progress
        Called as ``progress(done, num_runs)`` before the first and after each
        chunk of :data:`RUN_CHUNK` runs, for a count and an ETA; the result does
        not depend on it.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        Bad ``num_runs``.

    Examples
    --------
    >>> params = SimulationParams()
    >>> res = simulate_column(trip, column, seed=1, params=params)  # doctest: +SKIP
    >>> res.p_miss_deadline  # doctest: +SKIP
    0.0
    """
    if (
        isinstance(num_runs, bool)
        or not isinstance(num_runs, int | np.integer)
        or not (1 <= num_runs <= MAX_RUNS)
    ):
        msg = f"num_runs: expected an integer in [1, {MAX_RUNS}], found {num_runs!r}"
        raise ScenarioError(msg)
    ied = np.asarray(trip.leg_ied, dtype=np.float64)
    amb = np.concatenate(
        [
            np.asarray(trip.leg_ambush, dtype=np.float64),
            np.asarray(trip.halt_ambush, dtype=np.float64),
        ]
    )
    # summed one by one in route order, as plan.json's legs are
    distance_km = float(sum(np.asarray(trip.leg_km, dtype=np.float64)))
    arrive, deadline, plan = trip.planned_arrive, trip.deadline, trip.plan
    log_rel, is_rec, is_tow = _column_arrays(column)

    n = int(num_runs)
    runs = _run_chunks(
        np.random.default_rng(int(seed)),
        n,
        ied,
        amb,
        (log_rel, is_rec, is_tow),
        distance_km,
        params,
        progress,
    )
    num_ied, num_amb, delay_h, destroyed, breakdowns, lost = runs
    return SimulationResult(
        plan=plan,
        seed=int(seed),
        params=params,
        num_ied=num_ied,
        num_ambush=num_amb,
        delay_h=delay_h,
        destroyed=destroyed,
        breakdowns=breakdowns,
        lost_breakdown=lost,
        expected_ied=float(ied.sum()),
        expected_ambush=float(amb.sum()),
        planned_arrive=arrive,
        deadline=deadline,
        distance_km=distance_km,
        num_moving=int(log_rel.size),
        num_recovery=int(((is_rec == 1) & (is_tow == 0)).sum()),
    )

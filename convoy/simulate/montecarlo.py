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
    priced: on each leg i, ``N_ied,i ~ Poisson(G_ied * expected_ied_i)`` and
    ``N_amb,i ~ Poisson(G_amb * expected_ambush_i)``; at each halt h,
    ``N_amb,h ~ Poisson(G_amb * expected_ambush_h)``.
Uncertain scales
    ``G`` is 1 with fixed rates, else drawn per run and channel from Gamma(k, 1/k)
    (mean 1, variance 1/k): the calibration's uncertainty about its scale, k its
    posterior shape (or ``[simulation] rate_shape_*``). The counts are then
    negative binomial, variance ``mean + mean^2 / k``, not Poisson.
Near repeats
    An incident at route km x and time t multiplies its channel's rate by
    ``near_repeat_boost`` on the stretch the column drives after it, up to km
    ``x + near_repeat_km`` and time ``t + near_repeat_h`` (a Hawkes-like
    self-excitation; Townsley et al. 2008 found IED risk raised within about
    1 km and 2 days). Drawn as a cluster process of one generation: a background
    incident at x is kept with probability ``1 / (1 + (b - 1) G W(x))`` and brings
    ``Poisson((b - 1) G W(x))`` more, W(x) the planner's expected incidents of the
    window, so the mean stays exactly the planner's; boosted incidents do not
    boost again (second order when ``(b - 1) W`` is small). Legs spread their
    incidents evenly over their length and time, halts over their time. With both
    off (fixed rates, boost 1) the mean number of incidents is the plan's expected
    incidents and the counts are Poisson, which the tests check.
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
    breaks down at a constant hazard per km, ``-ln(reliability) / 100``, where
    ``reliability`` is the fleet's probability of covering 100 km without a
    breakdown: the exponential (constant failure rate) law of reliability
    engineering (MIL-HDBK-338B, ch. 5), mean km between failures
    ``-100 / ln(reliability)``. It is the planner's law: the expected breakdowns
    of the route are the planner's ``breakdowns_per_km`` times its length, less
    the km a vehicle spends in tow. A vehicle repaired on the road can break down
    again. Each breakdown delays the column
    :attr:`SimulationParams.breakdown_delay_h` (0.5 h) and is repaired on the spot
    with probability :attr:`SimulationParams.repair_p`, else needs a tow.
Recovery
    A tow is taken by the recovery vehicle (``can_tow``) free soonest, if it is
    free within :attr:`SimulationParams.tow_wait_h`; else the broken vehicle is
    lost (stripped and destroyed). The recovery vehicle tows it to the first halt
    of the plan at least :attr:`SimulationParams.laager_repair_h` long; there it
    is repaired with probability :attr:`SimulationParams.laager_repair_p` and
    both are back in the column from ``laager_repair_h`` after the halt begins;
    otherwise the tow lasts to the destination. A recovery vehicle that needs a
    tow drops its own tow, which is lost; one towing an unroadworthy vehicle from
    departure is busy to the destination.
Arrival
    ``planned arrival + total delay``. Simplification: a delay does not shift the
    risk windows (the later part of the route is priced at the planned times), and
    the movement windows and daily driving limit are not re-applied to the delayed
    column.

Other simplifications: vehicles destroyed by incidents are counted, not named, so
they do not deplete the recovery vehicles; every vehicle breaks down where and when
the head of the column passes; a baseline plan (``plan="historical"`` and so on) is
simulated with the optimised plan's loads, the only ones plan.json records.

Random numbers come only from generators seeded with the given seed (the
scenario's, unless the caller chooses another): the runs go in chunks of
:data:`RUN_CHUNK`, chunk i draws from the i-th child of
``numpy.random.SeedSequence(seed)``, inside the compiled kernel
(:mod:`convoy.simulate._kernels`), run after run in a fixed order, and the chunks
run in parallel threads. The same plan, parameters, ``num_runs`` and seed give an
identical result whatever the number of threads (``NUMBA_NUM_THREADS``).

How the kernel draws (the same laws as above, fewer numbers): the incidents of a
channel are a Poisson process on its cumulative expected incidents along the
trip, drawn by exponential spacings (each piece's count is then Poisson, its
incidents spread evenly over it); the breakdowns that need a tow are one Poisson
process of the whole column, each of a vehicle drawn in proportion to its hazard
(superposition), taken in route order; the roadside repairs, an independent
thinning of the same processes that changes nothing but the count, are one
Poisson count a run over the km each vehicle drives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numba import get_num_threads
from numpy.typing import NDArray

from convoy.errors import ScenarioError
from convoy.params import SimulationParams
from convoy.simulate._kernels import _simulate_runs, _window
from convoy.simulate.records import ColumnVehicle, TripExposure

#: Largest ``num_runs`` accepted: the per-run results take 56 bytes a run.
MAX_RUNS = 2_000_000

#: Runs per chunk: each chunk draws from its own generator and is one kernel call
#: (the unit of work of the thread pool).
RUN_CHUNK = 16_384

#: Quantiles reported for every distribution.
QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.99)

#: Nominal pace of a trip given without times (``TripExposure.leg_hours`` empty),
#: km/h: the legs are laid end to end at it, only to order events in time.
UNTIMED_KPH = 1.0


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
        Vehicles lost to breakdowns (no recovery vehicle free in time, or tow
        dropped) per run, int64 (n,).
    expected_ied, expected_ambush
        The plan's expected incidents of each kind (sum over legs and halts).
    planned_arrive, deadline
        Planned arrival and deadline, timezone-aware UTC.
    distance_km
        Route length, km.
    num_moving, num_recovery
        Self-propelled moving vehicles, and among them free recovery vehicles.
    tows
        Tows per run, int64 (n,) (empty when not simulated).
    expected_breakdowns
        The planner's expected breakdowns of the column on the route.
    rate_shape
        Gamma shapes of the IED and ambush rate multipliers used (None: fixed).
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
    tows: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    expected_breakdowns: float = 0.0
    rate_shape: tuple[float | None, float | None] = (None, None)
    ambush_follows_ied: bool = False

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

    def uncertainty(self) -> dict[str, float | None]:
        """What was drawn beyond the planner's rates: rate shapes, near repeats."""
        p = self.params
        return {
            "rate_shape_ied": self.rate_shape[0],
            "rate_shape_ambush": self.rate_shape[1],
            "near_repeat_boost": p.near_repeat_boost,
            "near_repeat_km": p.near_repeat_km,
            "near_repeat_h": p.near_repeat_h,
            "incidents_variance": float(self.incidents.var(ddof=1))
            if self.num_runs > 1
            else 0.0,
        }

    def to_document(self) -> dict[str, Any]:
        """The result as the simulation.json document (plain JSON types)."""
        total = self.expected_ied + self.expected_ambush
        out = {
            "format": "convoy-simulation/1",
            "plan": self.plan,
            "num_runs": self.num_runs,
            "seed": self.seed,
            "params": self.params.numbers(),
            "uncertainty": self.uncertainty(),
            "planned": {
                "expected_incidents": total,
                "expected_ied_incidents": self.expected_ied,
                "expected_ambush_incidents": self.expected_ambush,
                "expected_breakdowns": self.expected_breakdowns,
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
        if self.tows.size:
            out["tows"] = count_stats(self.tows)
        return out


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


@dataclass(frozen=True, slots=True)
class _Column:
    """The moving column as arrays: hazard per km, recovery and towing flags."""

    hazard_per_km: NDArray[np.float64]
    is_recovery: NDArray[np.int64]
    is_towing: NDArray[np.int64]


def _column_arrays(column: Sequence[ColumnVehicle]) -> _Column:
    """Breakdown hazard per km (``-ln(reliability) / 100``) and the recovery flags."""
    return _Column(
        np.array([-math.log(v.reliability) / 100.0 for v in column], dtype=np.float64),
        np.array([int(v.can_tow) for v in column], dtype=np.int64),
        np.array([int(v.can_tow and v.towing) for v in column], dtype=np.int64),
    )


@dataclass(frozen=True, slots=True)
class _Timeline:
    """
    The trip as pieces (legs, then halts) and the route's knots.

    ``km0``/``km1``, ``t0``/``t1`` (hours), ``ied``/``amb`` (expected incidents) and
    ``placed`` (a leg, or a halt of a timed trip: it alone triggers and takes the
    near-repeat boost) per piece; ``knot_km``/``knot_t`` the head's place at the
    legs' ends (km non-decreasing in time); ``halt_km``/``halt_t0``/``halt_t1``
    the halts of a timed trip, on the route.
    """

    km0: NDArray[np.float64]
    km1: NDArray[np.float64]
    t0: NDArray[np.float64]
    t1: NDArray[np.float64]
    ied: NDArray[np.float64]
    amb: NDArray[np.float64]
    placed: NDArray[np.bool_]
    knot_km: NDArray[np.float64]
    knot_t: NDArray[np.float64]
    halt_km: NDArray[np.float64]
    halt_t0: NDArray[np.float64]
    halt_t1: NDArray[np.float64]

    def time_at_km(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The head's time (hours) at route km ``x`` (the first time it is there)."""
        i = np.clip(np.searchsorted(self.knot_km, x, side="left"), 1, None)
        i = np.minimum(i, self.knot_km.size - 1)
        a_km, b_km = self.knot_km[i - 1], self.knot_km[i]
        a_t, b_t = self.knot_t[i - 1], self.knot_t[i]
        gap = b_km - a_km
        f = np.divide(x - a_km, gap, out=np.ones_like(x), where=gap > 0)
        return np.asarray(a_t + np.clip(f, 0.0, 1.0) * (b_t - a_t), dtype=np.float64)

    def last_time_within(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The last time (hours) the head is at or before km ``x`` (inf: always)."""
        i = np.searchsorted(self.knot_km, x, side="right")
        out = np.full(np.shape(x), np.inf)
        inside = (i >= 1) & (i < self.knot_km.size)
        j = i[inside]
        a_km, b_km = self.knot_km[j - 1], self.knot_km[j]
        a_t, b_t = self.knot_t[j - 1], self.knot_t[j]
        out[inside] = a_t + (x[inside] - a_km) / (b_km - a_km) * (b_t - a_t)
        return out


def _timeline(trip: TripExposure) -> _Timeline:
    """
    The trip's legs and halts as pieces, with the route's knots.

    A timed halt is placed where the head is when it begins (after the legs that
    arrived by then). An untimed trip's legs are laid end to end at
    :data:`UNTIMED_KPH` and its halts are not placed (time -1, before the trip).
    """
    km = np.asarray(trip.leg_km, dtype=np.float64)
    km1 = np.cumsum(km)
    km0 = km1 - km
    num_halts = len(trip.halt_ambush)
    if trip.leg_hours:
        lt = np.asarray(trip.leg_hours, dtype=np.float64).reshape(-1, 2)
        ht = np.asarray(trip.halt_hours, dtype=np.float64).reshape(-1, 2)
        after = np.searchsorted(lt[:, 1], ht[:, 0], side="right")
        halt_km = np.concatenate(([0.0], km1))[after]
        placed = np.ones(km.size + num_halts, dtype=bool)
    else:
        lt = np.column_stack((km0, km1)) / UNTIMED_KPH
        ht = np.full((num_halts, 2), -1.0)
        halt_km = np.zeros(num_halts)
        placed = np.r_[np.ones(km.size, dtype=bool), np.zeros(num_halts, dtype=bool)]
    knots = km.size > 0
    return _Timeline(
        km0=np.concatenate((km0, halt_km)),
        km1=np.concatenate((km1, halt_km)),
        t0=np.concatenate((lt[:, 0], ht[:, 0])),
        t1=np.concatenate((lt[:, 1], ht[:, 1])),
        ied=np.concatenate(
            (np.asarray(trip.leg_ied, dtype=np.float64), np.zeros(num_halts))
        ),
        amb=np.concatenate(
            (
                np.asarray(trip.leg_ambush, dtype=np.float64),
                np.asarray(trip.halt_ambush, dtype=np.float64),
            )
        ),
        placed=placed,
        knot_km=np.column_stack((km0, km1)).ravel() if knots else np.zeros(2),
        knot_t=lt.ravel() if knots else np.zeros(2),
        halt_km=halt_km if trip.leg_hours else np.zeros(0),
        halt_t0=ht[:, 0] if trip.leg_hours else np.zeros(0),
        halt_t1=ht[:, 1] if trip.leg_hours else np.zeros(0),
    )


def _mass_table(line: _Timeline, rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """
    A channel's expected incidents up to a time, as a table: float64 (3, B).

    Rows: the break points (the placed pieces' start and end times, sorted), the
    expected incidents up to each (an instantaneous piece at it included) and the
    slope after it. Each piece spreads its rate evenly over its time; an
    instantaneous one counts from its time on.
    """
    use = (rates > 0) & line.placed
    t0, t1, r = line.t0[use], line.t1[use], rates[use]
    bp = np.unique(np.concatenate((t0, t1)))
    span = t1 - t0
    lin = span > 0
    f = np.divide(
        bp[:, None] - t0[None, :],
        span[None, :],
        out=np.zeros((bp.size, t0.size)),
        where=lin[None, :],
    )
    ramp = (np.clip(f, 0.0, 1.0) * np.where(lin, r, 0.0)).sum(axis=1)
    step = np.where(lin, 0.0, r)
    at = ramp + ((t0[None, :] <= bp[:, None]) * step).sum(axis=1)
    before = ramp + ((t0[None, :] < bp[:, None]) * step).sum(axis=1)
    slope = np.zeros(bp.size)
    if bp.size > 1:
        slope[:-1] = (before[1:] - at[:-1]) / np.diff(bp)
    return np.ascontiguousarray(np.stack((bp, at, slope)))


def _window_mass(
    line: _Timeline,
    rates: NDArray[np.float64],
    t: NDArray[np.float64],
    x: NDArray[np.float64],
    params: SimulationParams,
) -> NDArray[np.float64]:
    """
    Expected incidents of a channel in the near-repeat window after each (x, t).

    The window runs from t to the earlier of ``t + near_repeat_h`` and the last
    time the head is within ``near_repeat_km`` after x; each piece spreads its
    rate evenly over its time, an instantaneous one counts if inside. The
    kernel's own computation (:func:`convoy.simulate._kernels._window`).
    """
    table = _mass_table(line, rates)
    return np.array(
        [
            _window(
                float(ti),
                float(xi),
                table[0],
                table[1],
                table[2],
                line.knot_km,
                line.knot_t,
                params.near_repeat_km,
                params.near_repeat_h,
            )
            for ti, xi in zip(t, x, strict=True)
        ],
        dtype=np.float64,
    )


def _alias_table(
    weights: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """
    Walker's alias table of a discrete law (Vose's construction).

    Outcome i is drawn as ``j = floor(u * k)``, then j if ``u * k - j < prob[j]``,
    else ``alias[j]``, for u uniform in [0, 1): probability ``weights[i] /
    weights.sum()`` up to rounding.
    """
    k = weights.size
    prob = np.ones(k, dtype=np.float64)
    alias = np.arange(k, dtype=np.int64)
    total = float(weights.sum())
    if not total > 0:
        return prob, alias
    scaled = [float(w) * k / total for w in weights]
    small = [i for i in range(k) if scaled[i] < 1.0]
    large = [i for i in range(k) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] += scaled[s] - 1.0
        (small if scaled[g] < 1.0 else large).append(g)
    return prob, alias


def _repair_halts(
    line: _Timeline, params: SimulationParams
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Halts long enough for a repair, by km: place and time a tow is released."""
    ok = (line.halt_t1 - line.halt_t0) >= params.laager_repair_h
    km = line.halt_km[ok]
    release = line.halt_t0[ok] + params.laager_repair_h
    by_km = np.lexsort((release, km))
    return np.ascontiguousarray(km[by_km]), np.ascontiguousarray(release[by_km])


def _kernel_inputs(
    trip: TripExposure,
    column: _Column,
    params: SimulationParams,
    shapes: tuple[float | None, float | None],
    ambush_follows_ied: bool,
) -> tuple[Any, ...]:
    """The kernel's arguments after the generator and before the outputs."""
    line = _timeline(trip)
    distance_km = float(sum(np.asarray(trip.leg_km, dtype=np.float64)))
    hazard = column.hazard_per_km
    alias_p, alias_i = _alias_table(hazard)
    k_ied, k_amb = shapes
    return (
        0.0 if k_ied is None else float(k_ied),
        0.0 if k_amb is None else float(k_amb),
        bool(ambush_follows_ied),
        np.ascontiguousarray(np.stack((line.t0, line.t1, line.km0, line.km1))),
        np.ascontiguousarray(line.placed),
        np.concatenate(([0.0], np.cumsum(line.ied))),
        np.concatenate(([0.0], np.cumsum(line.amb))),
        _mass_table(line, line.ied),
        _mass_table(line, line.amb),
        np.ascontiguousarray(np.stack((line.knot_km, line.knot_t))),
        np.array(
            [params.near_repeat_boost, params.near_repeat_km, params.near_repeat_h]
        ),
        np.array(
            [
                params.ied_delay_h,
                params.ambush_delay_h,
                params.ied_destroy_p,
                params.ambush_destroy_p,
            ]
        ),
        hazard,
        distance_km,
        alias_p,
        alias_i,
        params.repair_p,
        params.laager_repair_p,
        params.tow_wait_h,
        *_repair_halts(line, params),
        column.is_recovery,
        np.flatnonzero(column.is_recovery == 1).astype(np.int64),
        np.flatnonzero((column.is_recovery == 1) & (column.is_towing == 1)).astype(
            np.int64
        ),
        params.breakdown_delay_h,
    )


def _run_chunks(
    seed: int,
    n: int,
    trip: TripExposure,
    column: _Column,
    params: SimulationParams,
    shapes: tuple[float | None, float | None],
    progress: Callable[[int, int], None] | None = None,
    ambush_follows_ied: bool = False,
) -> tuple[NDArray[Any], ...]:
    """
    Draw and simulate ``n`` runs: IED, ambush, delay, destroyed, bd, lost, tows.

    Runs go in chunks of :data:`RUN_CHUNK`. Chunk i draws from its own
    generator, the i-th child of ``np.random.SeedSequence(seed)``
    (:meth:`~numpy.random.SeedSequence.spawn`), and writes its own slice of the
    results, so the chunks run in parallel threads
    (:func:`numba.get_num_threads` of them; the kernel, which draws its own
    random numbers, releases the GIL) and the result is the same whatever their
    number.
    ``progress(done, n)`` is called before the first chunk (``done`` 0) and as
    the chunks finish, in order; it draws no random numbers, so the runs are the
    same with or without it.
    """
    inputs = _kernel_inputs(trip, column, params, shapes, ambush_follows_ied)
    ints = [np.empty(n, dtype=np.int64) for _ in range(6)]
    num_ied, num_amb, destroyed, breakdowns, lost, tows = ints
    delay_h = np.empty(n, dtype=np.float64)
    out = (num_ied, num_amb, delay_h, destroyed, breakdowns, lost, tows)
    bounds = [(lo, min(n, lo + RUN_CHUNK)) for lo in range(0, n, RUN_CHUNK)]
    children = np.random.SeedSequence(seed).spawn(len(bounds))
    if progress is not None:
        progress(0, n)

    def work(i: int) -> int:
        lo, hi = bounds[i]
        rng = np.random.Generator(np.random.PCG64(children[i]))
        _simulate_runs(rng, *inputs, *(o[lo:hi] for o in out))
        return hi

    workers = min(len(bounds), max(1, get_num_threads()))
    if workers == 1:
        done: Iterable[int] = map(work, range(len(bounds)))
        for hi in done:
            if progress is not None:
                progress(hi, n)
    else:
        with ThreadPoolExecutor(workers) as pool:
            for hi in pool.map(work, range(len(bounds))):
                if progress is not None:
                    progress(hi, n)
    return out


def simulate_column(
    trip: TripExposure,
    column: Sequence[ColumnVehicle],
    *,
    num_runs: int = 10_000,
    seed: int,
    params: SimulationParams,
    progress: Callable[[int, int], None] | None = None,
    rate_shape: tuple[float | None, float | None] | None = None,
    ambush_follows_ied: bool = False,
) -> SimulationResult:
    """
    Simulate a trip ``num_runs`` times: incidents, breakdowns, losses and arrival.

    Parameters
    ----------
    trip
        The trip's intensities, leg lengths (and times), planned arrival, deadline.
    column
        The self-propelled moving vehicles, in the plan's order.
    num_runs
        Number of independent runs, 1 to :data:`MAX_RUNS`.
    seed
        Seed of the generator.
    params
        Assumptions (delays, destruction and repair probabilities, uncertainty).
    rate_shape
        Gamma shapes (IED, ambush) of the calibration's posterior on its scales,
        each None for a fixed rate; ``params.rate_shape_*`` override them and
        ``params.fixed_rates`` turns both off. Default None: fixed rates unless
        ``params`` sets shapes.
    progress
        Called as ``progress(done, num_runs)`` before the first and after each
        chunk of :data:`RUN_CHUNK` runs, for a count and an ETA; the result does
        not depend on it.
    ambush_follows_ied
        The ambush scale is tied to the IED scale (calibration assumed it from
        ``ambush_per_ied``): each run's ambush multiplier is its IED multiplier.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ScenarioError
        Bad ``num_runs`` or a shape that is not a number > 0.

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
    shapes = params.rate_shapes(rate_shape)
    for name, k in zip(("rate_shape_ied", "rate_shape_ambush"), shapes, strict=True):
        if k is not None and not (math.isfinite(k) and k > 0):
            msg = f"{name}: expected a number > 0 or none, found {k!r}"
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
    cols = _column_arrays(column)
    n = int(num_runs)
    num_ied, num_amb, delay_h, destroyed, breakdowns, lost, tows = _run_chunks(
        int(seed),
        n,
        trip,
        cols,
        params,
        shapes,
        progress,
        ambush_follows_ied,
    )
    return SimulationResult(
        plan=trip.plan,
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
        planned_arrive=trip.planned_arrive,
        deadline=trip.deadline,
        distance_km=distance_km,
        num_moving=int(cols.hazard_per_km.size),
        num_recovery=int(((cols.is_recovery == 1) & (cols.is_towing == 0)).sum()),
        tows=tows,
        expected_breakdowns=float(cols.hazard_per_km.sum() * distance_km),
        rate_shape=shapes,
        ambush_follows_ied=ambush_follows_ied,
    )

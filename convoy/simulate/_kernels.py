"""The Monte Carlo kernel of :mod:`convoy.simulate`: one pass per simulated run.

Arrays in, arrays out; every random number is drawn beforehand by the wrapper from a
seeded :class:`numpy.random.Generator`, so the kernel is a pure function of its
inputs and the same seed gives the same result, compiled or not.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


# One function on purpose: numba compiles it as one loop over runs, with the
# per-run recovery state in locals; split, the state would cross calls per run.
@njit(cache=True)
def _simulate_runs(
    num_ied,
    num_ambush,
    incident_offsets,
    incident_exp,
    incident_u,
    ied_delay_h,
    ambush_delay_h,
    ied_destroy_p,
    ambush_destroy_p,
    breakdown_u,
    repair_u,
    repair_p,
    log_reliability,
    is_recovery,
    is_towing,
    distance_km,
    breakdown_delay_h,
    delay_h,
    destroyed,
    breakdowns,
    lost_breakdown,
):
    """
    Delays and losses of ``n`` simulated runs of one plan.

    Parameters
    ----------
    num_ied, num_ambush
        int64 (n,): IED and ambush incidents of each run.
    incident_offsets
        int64 (n + 1,): run r's incidents are ``incident_offsets[r]:[r + 1]`` in the
        two arrays below, its IEDs first, then its ambushes.
    incident_exp
        float64 (T,): a standard exponential draw (mean 1) per incident.
    incident_u
        float64 (T,): a uniform draw in [0, 1) per incident.
    ied_delay_h, ambush_delay_h
        Mean delay of one incident of each kind, hours.
    ied_destroy_p, ambush_destroy_p
        Probability that one incident of each kind destroys a vehicle.
    breakdown_u
        float64 (n, V): a uniform draw in [0, 1) per run and self-propelled vehicle.
    repair_u
        float64 (n, V): another uniform draw per run and vehicle: the breakdown is
        repaired on the spot when it is below ``repair_p``.
    repair_p
        Probability that a breakdown is repaired on the spot, in [0, 1].
    log_reliability
        float64 (V,): ``ln(reliability)`` per 100 km of each vehicle (<= 0).
    is_recovery
        int64 (V,): 1 for a recovery vehicle (can tow one vehicle).
    is_towing
        int64 (V,): 1 for a recovery vehicle already towing at departure.
    distance_km
        Route length, km.
    breakdown_delay_h
        Column delay per breakdown, hours.
    delay_h, destroyed, breakdowns, lost_breakdown
        Outputs, (n,): total delay in hours (float64); vehicles destroyed by
        incidents, breakdowns, and vehicles lost to breakdowns (int64).

    Notes
    -----
    Vehicle v breaks down before km x with probability ``1 - r_v ** (x / 100)``;
    with ``u = breakdown_u[r, v]`` it breaks down on the route when that is below
    ``1 - r_v ** (D / 100)``, at ``x = 100 ln(1 - u) / ln(r_v)`` (inverse CDF).
    A breakdown repaired on the spot costs only the delay. The others are handled
    in route order: the lowest-numbered free recovery
    vehicle takes the broken one in tow; with none free it is lost. A recovery
    vehicle that breaks down is no longer free, and drops (loses) its tow if it had
    one.
    """
    n = num_ied.shape[0]
    nv = log_reliability.shape[0]
    pos_km = np.empty(nv, dtype=np.float64)
    who = np.empty(nv, dtype=np.int64)
    towing = np.empty(nv, dtype=np.int64)
    broken = np.empty(nv, dtype=np.int64)
    # the same for every run: computed once, not n times
    p_break = np.empty(nv, dtype=np.float64)
    for v in range(nv):
        p_break[v] = -math.expm1(log_reliability[v] * distance_km / 100.0)
    for r in range(n):
        d = 0.0
        k = 0
        first = incident_offsets[r]
        for j in range(num_ied[r] + num_ambush[r]):
            t = first + j
            if j < num_ied[r]:
                d += ied_delay_h * incident_exp[t]
                if incident_u[t] < ied_destroy_p:
                    k += 1
            else:
                d += ambush_delay_h * incident_exp[t]
                if incident_u[t] < ambush_destroy_p:
                    k += 1
        m = 0
        for v in range(nv):
            towing[v] = is_towing[v]
            broken[v] = 0
            u = breakdown_u[r, v]
            if u < p_break[v]:
                pos_km[m] = 100.0 * math.log1p(-u) / log_reliability[v]
                who[m] = v
                m += 1
        order = np.argsort(pos_km[:m], kind="mergesort")
        lost = 0
        for i in range(m):
            v = who[order[i]]
            if repair_u[r, v] < repair_p:
                continue
            broken[v] = 1
            if towing[v] == 1:
                towing[v] = 0
                lost += 1
            rescuer = -1
            for w in range(nv):
                if is_recovery[w] == 1 and broken[w] == 0 and towing[w] == 0:
                    rescuer = w
                    break
            if rescuer >= 0:
                towing[rescuer] = 1
            else:
                lost += 1
        delay_h[r] = d + m * breakdown_delay_h
        destroyed[r] = k
        breakdowns[r] = m
        lost_breakdown[r] = lost

"""The Monte Carlo kernel of :mod:`convoy.simulate`: one pass per simulated run.

Arrays in, arrays out; every random number is drawn beforehand by the wrapper from a
seeded :class:`numpy.random.Generator`, so the kernel is a pure function of its
inputs and the same seed gives the same result, compiled or not.
"""

from __future__ import annotations

import numpy as np
from numba import njit


# One function on purpose: numba compiles it as one loop over runs, with the
# per-run recovery state in locals; split, the state would cross calls per run.
@njit(cache=True, nogil=True)
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
    bd_offsets,
    bd_vehicle,
    bd_km,
    bd_time_h,
    bd_repair_u,
    bd_laager_u,
    repair_p,
    laager_repair_p,
    tow_wait_h,
    halt_km,
    halt_release_h,
    is_recovery,
    is_towing,
    breakdown_delay_h,
    delay_h,
    destroyed,
    breakdowns,
    lost_breakdown,
    tows,
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
    bd_offsets
        int64 (n + 1,): run r's candidate breakdowns are ``bd_offsets[r]:[r + 1]``
        in the five arrays below (a Poisson process per vehicle over the whole
        route; a candidate falling while its vehicle is towed or lost is ignored).
    bd_vehicle
        int64 (B,): the vehicle of each candidate breakdown.
    bd_km, bd_time_h
        float64 (B,): its place on the route (km) and the head's time there
        (hours, non-decreasing in km).
    bd_repair_u, bd_laager_u
        float64 (B,): uniform draws: repaired on the spot when
        ``bd_repair_u < repair_p``; a tow repaired at the next laager when
        ``bd_laager_u < laager_repair_p``.
    repair_p, laager_repair_p
        Probabilities of a roadside repair and of a repair at a laager.
    tow_wait_h
        Hours a broken vehicle may wait for a recovery vehicle to become free.
    halt_km, halt_release_h
        float64 (H,): the halts long enough for a repair, in route order: their
        place (km) and the time a tow brought there is repaired and its recovery
        vehicle free again (hours).
    is_recovery
        int64 (V,): 1 for a recovery vehicle (can tow one vehicle).
    is_towing
        int64 (V,): 1 for a recovery vehicle already towing at departure (an
        unroadworthy vehicle, towed to the destination).
    breakdown_delay_h
        Column delay per breakdown, hours.
    delay_h, destroyed, breakdowns, lost_breakdown, tows
        Outputs, (n,): total delay in hours (float64); vehicles destroyed by
        incidents, breakdowns, vehicles lost to breakdowns and tows (int64).

    Notes
    -----
    Candidates are taken in route order. A vehicle that is towed (until its
    repair) or lost does not break down. A breakdown costs the column
    ``breakdown_delay_h``; it is repaired on the spot, or needs a tow. A recovery
    vehicle that needs a tow drops the vehicle it tows, which is lost. The tow
    goes to the recovery vehicle that is free soonest (the lowest-numbered among
    equals), if it is free within ``tow_wait_h``; otherwise the vehicle is lost.
    It tows it to the first repair halt it can reach: there the vehicle is
    repaired (``laager_repair_p``) and both drive on from the halt's release
    time; otherwise the tow lasts to the destination.
    """
    n = num_ied.shape[0]
    nv = is_recovery.shape[0]
    nh = halt_km.shape[0]
    status = np.empty(nv, dtype=np.int64)  # 0 driving, 1 towed, 2 lost
    free_h = np.empty(nv, dtype=np.float64)  # when it (and its tow) is free again
    towing = np.empty(nv, dtype=np.int64)  # the vehicle it tows; -1 none; -2 external
    inf = np.inf
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
        for v in range(nv):
            status[v] = 0
            free_h[v] = -inf
            towing[v] = -1
            if is_recovery[v] == 1 and is_towing[v] == 1:
                free_h[v] = inf
                towing[v] = -2
        a, b = bd_offsets[r], bd_offsets[r + 1]
        order = np.argsort(bd_km[a:b], kind="mergesort")
        m = 0
        lost = 0
        towed = 0
        for i in range(b - a):
            e = a + order[i]
            v = bd_vehicle[e]
            t = bd_time_h[e]
            if status[v] == 2 or (status[v] == 1 and free_h[v] > t):
                continue
            status[v] = 0
            m += 1
            if bd_repair_u[e] < repair_p:
                continue
            # it needs a tow; a recovery vehicle drops the one it tows
            if is_recovery[v] == 1 and free_h[v] > t and towing[v] != -1:
                if towing[v] >= 0:
                    status[towing[v]] = 2
                lost += 1
            towing[v] = -1
            free_h[v] = inf
            rescuer = -1
            best = inf
            for w in range(nv):
                ok = is_recovery[w] == 1 and w != v and status[w] != 2
                if ok and free_h[w] <= t + tow_wait_h and free_h[w] < best:
                    best = free_h[w]
                    rescuer = w
            if rescuer < 0:
                status[v] = 2
                lost += 1
                continue
            towed += 1
            status[rescuer] = 0
            pick = max(t, free_h[rescuer])
            release = inf
            for h in range(nh):
                if halt_km[h] >= bd_km[e] and halt_release_h[h] >= pick:
                    if bd_laager_u[e] < laager_repair_p:
                        release = halt_release_h[h]
                    break
            status[v] = 1
            free_h[v] = release
            towing[rescuer] = v
            free_h[rescuer] = release
        delay_h[r] = d + m * breakdown_delay_h
        destroyed[r] = k
        breakdowns[r] = m
        lost_breakdown[r] = lost
        tows[r] = towed

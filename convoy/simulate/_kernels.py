"""The Monte Carlo kernel of :mod:`convoy.simulate`: one pass per simulated run.

The kernel draws every random number itself, in order, from the
:class:`numpy.random.Generator` it is given, and keeps each run's state in locals
and a few per-vehicle arrays: no array of draws is made. The same generator state
gives the same runs; the wrapper gives each chunk of runs its own generator.

Draws of one run, in order: the rate multipliers (Gamma), the IED incidents, the
ambush incidents (each with its near repeats, then a delay and a destruction draw
per incident), the breakdowns that need a tow in route order (each with its
vehicle and a draw for the repair at a halt), then the count of roadside repairs.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _bisect(a, x, right):
    """``np.searchsorted(a, x, side)``, right or left (a sorted; cheap to compile)."""
    lo, hi = 0, a.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x or (right and a[mid] == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def _last_time_within(x, knot_km, knot_t):
    """The last time (hours) the head is at or before km ``x`` (inf: always)."""
    i = _bisect(knot_km, x, True)
    if i < 1 or i >= knot_km.shape[0]:
        return np.inf
    a_km, b_km = knot_km[i - 1], knot_km[i]
    return knot_t[i - 1] + (x - a_km) / (b_km - a_km) * (knot_t[i] - knot_t[i - 1])


@njit(cache=True, nogil=True, inline="always")
def _mass_until(s, bp, mv, slope):
    """A channel's expected incidents up to time ``s`` (the table of _window)."""
    j = _bisect(bp, s, True) - 1
    if j < 0:
        return 0.0
    return mv[j] + slope[j] * (s - bp[j])


@njit(cache=True, nogil=True, inline="always")
def _window(t, x, bp, mv, slope, knot_km, knot_t, near_km, near_h):
    """
    Expected incidents of a channel in the near-repeat window after (x, t).

    The window runs from t to the earlier of ``t + near_h`` and the last time the
    head is within ``near_km`` after x. ``bp``, ``mv`` and ``slope`` tabulate the
    channel's expected incidents up to a time (non-decreasing, piecewise linear,
    a step at an instantaneous piece): the value at each break point (the step
    included) and the slope after it.
    """
    end = min(t + near_h, _last_time_within(x + near_km, knot_km, knot_t))
    if not end > t:
        return 0.0
    return max(0.0, _mass_until(end, bp, mv, slope) - _mass_until(t, bp, mv, slope))


@njit(cache=True, nogil=True, inline="always")
def _incidents(
    rng,
    gain,
    cum,
    t0,
    t1,
    km0,
    km1,
    placed,
    bp,
    mv,
    slope,
    knot_km,
    knot_t,
    boost,
    near_km,
    near_h,
):
    """
    Incidents of one channel in one run: Poisson along the trip, with near repeats.

    The background incidents are a Poisson process on the channel's cumulative
    expected incidents ``cum`` (pieces in order, ``cum[p]:cum[p + 1]`` piece p's),
    scaled by ``gain``: drawn by exponential spacings, so each piece gets a
    Poisson count of ``gain * rate`` incidents spread evenly over it. With
    ``boost > 1`` a background incident on a placed piece at (x, t), with ``w =
    (boost - 1) * gain * W(x, t)`` (W the window's expected incidents), is kept
    with probability ``1 / (1 + w)`` and brings ``Poisson(w)`` more.
    """
    total = cum[cum.shape[0] - 1]
    if not (gain > 0.0 and total > 0.0):
        return 0
    last = cum.shape[0] - 2
    n = 0
    p = 0
    step = 1.0 / gain
    s = rng.standard_exponential() * step
    while s < total:
        while p < last and s >= cum[p + 1]:
            p += 1
        if boost > 1.0 and placed[p]:
            f = min(max((s - cum[p]) / (cum[p + 1] - cum[p]), 0.0), 1.0)
            t = t0[p] + f * (t1[p] - t0[p])
            x = km0[p] + f * (km1[p] - km0[p])
            w = (boost - 1.0) * gain
            w *= _window(t, x, bp, mv, slope, knot_km, knot_t, near_km, near_h)
            if w > 0.0:
                if rng.random() * (1.0 + w) < 1.0:
                    n += 1 + rng.poisson(w)
            else:
                n += 1
        else:
            n += 1
        s += rng.standard_exponential() * step
    return n


@njit(cache=True, nogil=True, inline="always")
def _ignored(v, t, status, free_h):
    """A candidate breakdown of ``v`` at time ``t`` is ignored: it is towed or lost."""
    return status[v] == 2 or (status[v] == 1 and free_h[v] > t)


@njit(cache=True, nogil=True, inline="always")
def _km_at_time(r, knot_km, knot_t, distance_km):
    """The first km where the head's time is ``r`` or later (the route's end: never)."""
    i = _bisect(knot_t, r, False)
    if i >= knot_t.shape[0]:
        return distance_km
    if i == 0:
        return knot_km[0]
    f = (r - knot_t[i - 1]) / (knot_t[i] - knot_t[i - 1])
    return knot_km[i - 1] + f * (knot_km[i] - knot_km[i - 1])


@njit(cache=True, nogil=True, inline="always")
def _breakdown(
    v,
    t,
    x,
    laager_u,
    status,
    free_h,
    towing,
    is_recovery,
    recovery,
    tow_wait_h,
    halt_km,
    halt_release_h,
    laager_repair_p,
):
    """
    A breakdown of vehicle ``v`` at km ``x``, time ``t``, that needs a tow.

    The vehicle is driving (not :func:`_ignored`). Returns (lost, rescuer,
    dropped, release): vehicles it loses to the run, the recovery vehicle that
    tows it (-1: none, ``v`` is lost), the vehicle ``v`` was towing and drops
    (-1: none) and when the tow ends (hours; inf: at the destination).
    ``laager_u`` is a uniform draw: the tow is repaired at a halt when it is below
    ``laager_repair_p``. ``status`` (0 driving, 1 towed, 2 lost), ``free_h``
    (when it and its tow are free again) and ``towing`` (the vehicle it tows; -1
    none; -2 one from departure) are the run's state, updated; ``recovery`` the
    recovery vehicles' indices, ascending.

    Notes
    -----
    A recovery vehicle that needs a tow drops the vehicle it tows, which is lost.
    The tow goes to the recovery vehicle that is free soonest (the lowest-numbered
    among equals), if it is free within ``tow_wait_h``; otherwise the vehicle is
    lost. It tows it to the first repair halt it can reach: there the vehicle is
    repaired (``laager_repair_p``) and both drive on from the halt's release
    time; otherwise the tow lasts to the destination.
    """
    status[v] = 0
    lost = 0
    dropped = -1
    # a recovery vehicle drops the one it tows
    if is_recovery[v] == 1 and free_h[v] > t and towing[v] != -1:
        if towing[v] >= 0:
            dropped = towing[v]
            status[dropped] = 2
        lost += 1
    towing[v] = -1
    free_h[v] = np.inf
    rescuer = -1
    best = np.inf
    for i in range(recovery.shape[0]):
        w = recovery[i]
        ok = w != v and status[w] != 2
        if ok and free_h[w] <= t + tow_wait_h and free_h[w] < best:
            best = free_h[w]
            rescuer = w
    if rescuer < 0:
        status[v] = 2
        return lost + 1, -1, dropped, np.inf
    status[rescuer] = 0
    pick = max(t, free_h[rescuer])
    release = np.inf
    for h in range(halt_km.shape[0]):
        if halt_km[h] >= x and halt_release_h[h] >= pick:
            if laager_u < laager_repair_p:
                release = halt_release_h[h]
            break
    status[v] = 1
    free_h[v] = release
    towing[rescuer] = v
    free_h[rescuer] = release
    return lost, rescuer, dropped, release


@njit(cache=True, nogil=True, inline="always")
def _reset(status, free_h, towing, busy):
    """The column at departure: all driving; the ``busy`` recovery vehicles tow."""
    for v in range(status.shape[0]):
        status[v] = 0
        free_h[v] = -np.inf
        towing[v] = -1
    for i in range(busy.shape[0]):
        free_h[busy[i]] = np.inf
        towing[busy[i]] = -2


@njit(cache=True, nogil=True, inline="always")
def _off(v, x, until, off_km, on_km, listed, opened, num_opened):
    """
    Vehicle ``v`` leaves the road at km ``x`` until km ``until``.

    ``off_km``/``on_km`` hold each vehicle's current period off the road
    (``off_km`` -1: none); ``opened[:num_opened]`` lists the vehicles that had
    one in this run (``listed``), each once. Returns the new ``num_opened``.
    """
    if not listed[v]:
        listed[v] = True
        opened[num_opened] = v
        num_opened += 1
    off_km[v] = x
    on_km[v] = until
    return num_opened


@njit(cache=True, nogil=True, inline="always")
def _on(v, x, hazard, off_km, on_km):
    """Vehicle ``v`` drives at km ``x``: its hazard x km off the road since, closed."""
    if off_km[v] < 0.0:
        return 0.0
    out = hazard[v] * max(0.0, min(on_km[v], x) - off_km[v])
    off_km[v] = -1.0
    return out


# One loop over runs on purpose: numba compiles the helpers above into it, with the
# per-run state in locals and a few per-vehicle arrays reused from run to run.
@njit(cache=True, nogil=True)
def _simulate_runs(
    rng,
    shape_ied,
    shape_amb,
    amb_follows_ied,
    pieces,
    placed,
    ied_cum,
    amb_cum,
    ied_table,
    amb_table,
    knots,
    near,
    incident,
    hazard,
    distance_km,
    alias_p,
    alias_i,
    repair_p,
    laager_repair_p,
    tow_wait_h,
    halt_km,
    halt_release_h,
    is_recovery,
    recovery,
    busy,
    breakdown_delay_h,
    num_ied,
    num_amb,
    delay_h,
    destroyed,
    breakdowns,
    lost_breakdown,
    tows,
):
    """
    Simulate ``n`` runs of one plan with ``rng``; the outputs are (n,) arrays.

    Parameters
    ----------
    rng
        The :class:`numpy.random.Generator` all draws come from, in run order.
    shape_ied, shape_amb
        Gamma shapes of the runs' rate multipliers (mean 1, variance 1/shape);
        0 for a fixed rate (multiplier 1).
    amb_follows_ied
        The ambush multiplier is the IED one (when ``shape_ied > 0``).
    pieces
        float64 (4, P): each piece's (legs, then halts) start and end time
        (hours) and start and end km.
    placed
        bool (P,): the piece is placed on the route and in time (near repeats).
    ied_cum, amb_cum
        float64 (P + 1,): cumulative expected incidents over the pieces.
    ied_table, amb_table
        float64 (3, B): each channel's expected incidents up to a time (break
        points, value, slope after), for the near-repeat windows.
    knots
        float64 (2, K): the head's km and time at the legs' ends.
    near
        float64 (3,): near-repeat boost, window km and window hours.
    incident
        float64 (4,): mean delay (hours) of an IED and of an ambush, and the
        probability that one destroys a vehicle.
    hazard, distance_km
        float64 (V,): each vehicle's breakdowns per km; the route length.
    alias_p, alias_i
        Walker's alias table of the vehicles, in proportion to their hazard.
    repair_p
        Probability that a breakdown is repaired on the spot.
    laager_repair_p, tow_wait_h, halt_km, halt_release_h
        See :func:`_breakdown`; ``halt_km`` and ``halt_release_h`` are the halts
        long enough for a repair, in route order, and the time a tow brought
        there is repaired.
    is_recovery
        int64 (V,): 1 for a recovery vehicle.
    recovery, busy
        int64: the recovery vehicles' indices, ascending, and those of the ones
        towing from departure (busy to the destination).
    breakdown_delay_h
        Column delay per breakdown, hours.
    num_ied, num_amb, delay_h, destroyed, breakdowns, lost_breakdown, tows
        Outputs: incidents of each kind, total delay (hours), vehicles destroyed
        by incidents, breakdowns, vehicles lost to breakdowns and tows.

    Notes
    -----
    Each vehicle's breakdowns are a Poisson process along the route, ``hazard``
    per km, repaired on the spot with probability ``repair_p``; a breakdown
    while the vehicle is towed or lost does not happen. Split by that mark, the
    breakdowns that need a tow are a Poisson process of the whole column,
    ``(1 - repair_p) * hazard.sum()`` per km, each of a vehicle drawn in
    proportion to its hazard: the kernel draws them in route order (exponential
    spacings) and runs the recovery. The roadside repairs are an independent
    process that changes nothing but the count: their number is
    ``Poisson(repair_p * sum_v hazard[v] * km v drives)``, drawn once at the end
    of the run from the km each vehicle spent towed or lost.
    """
    n = num_ied.shape[0]
    nv = is_recovery.shape[0]
    status = np.empty(nv, dtype=np.int64)
    free_h = np.empty(nv, dtype=np.float64)
    towing = np.empty(nv, dtype=np.int64)
    off_km = np.full(nv, -1.0)
    on_km = np.zeros(nv)
    listed = np.zeros(nv, dtype=np.bool_)
    opened = np.empty(nv, dtype=np.int64)
    t0, t1, km0, km1 = pieces[0], pieces[1], pieces[2], pieces[3]
    knot_km, knot_t = knots[0], knots[1]
    nk = knot_km.shape[0]
    boost, near_km, near_h = near[0], near[1], near[2]
    ied_h, amb_h, ied_p, amb_p = incident[0], incident[1], incident[2], incident[3]
    num_alias = alias_p.shape[0]
    mass = hazard.sum() * distance_km  # expected breakdowns, no vehicle off
    tow_per_km = (1.0 - repair_p) * hazard.sum()
    tow_km = 1.0 / tow_per_km if tow_per_km > 0.0 else np.inf
    for r in range(n):
        g_ied = 1.0
        g_amb = 1.0
        if shape_ied > 0.0:
            g_ied = rng.gamma(shape_ied, 1.0 / shape_ied)
        if amb_follows_ied and shape_ied > 0.0:
            g_amb = g_ied
        elif shape_amb > 0.0:
            g_amb = rng.gamma(shape_amb, 1.0 / shape_amb)
        d = 0.0
        k = 0
        c = _incidents(
            rng,
            g_ied,
            ied_cum,
            t0,
            t1,
            km0,
            km1,
            placed,
            ied_table[0],
            ied_table[1],
            ied_table[2],
            knot_km,
            knot_t,
            boost,
            near_km,
            near_h,
        )
        num_ied[r] = c
        for _ in range(c):
            d += ied_h * rng.standard_exponential()
            if rng.random() < ied_p:
                k += 1
        c = _incidents(
            rng,
            g_amb,
            amb_cum,
            t0,
            t1,
            km0,
            km1,
            placed,
            amb_table[0],
            amb_table[1],
            amb_table[2],
            knot_km,
            knot_t,
            boost,
            near_km,
            near_h,
        )
        num_amb[r] = c
        for _ in range(c):
            d += amb_h * rng.standard_exponential()
            if rng.random() < amb_p:
                k += 1
        _reset(status, free_h, towing, busy)
        m = 0
        lost = 0
        towed = 0
        removed = 0.0  # expected breakdowns of the km vehicles spend off the road
        num_opened = 0
        ki = 1
        x = rng.standard_exponential() * tow_km if tow_per_km > 0.0 else np.inf
        while x < distance_km:
            u = rng.random() * num_alias
            j = min(int(u), num_alias - 1)
            v = j if u - j < alias_p[j] else alias_i[j]
            # the head's time at km x (the first time it is there)
            while ki < nk - 1 and knot_km[ki] < x:
                ki += 1
            gap = knot_km[ki] - knot_km[ki - 1]
            f = 1.0
            if gap > 0.0:
                f = min(max((x - knot_km[ki - 1]) / gap, 0.0), 1.0)
            t = knot_t[ki - 1] + f * (knot_t[ki] - knot_t[ki - 1])
            if not _ignored(v, t, status, free_h):
                m += 1
                removed += _on(v, x, hazard, off_km, on_km)
                lo, w, dropped, release = _breakdown(
                    v,
                    t,
                    x,
                    rng.random(),
                    status,
                    free_h,
                    towing,
                    is_recovery,
                    recovery,
                    tow_wait_h,
                    halt_km,
                    halt_release_h,
                    laager_repair_p,
                )
                lost += lo
                if dropped >= 0:
                    if off_km[dropped] >= 0.0:
                        on_km[dropped] = distance_km
                    else:
                        num_opened = _off(
                            dropped,
                            x,
                            distance_km,
                            off_km,
                            on_km,
                            listed,
                            opened,
                            num_opened,
                        )
                until = distance_km
                if w >= 0:
                    towed += 1
                    if off_km[w] >= 0.0:  # a towed recovery vehicle taken back
                        on_km[w] = min(on_km[w], x)
                    until = _km_at_time(release, knot_km, knot_t, distance_km)
                num_opened = _off(
                    v, x, until, off_km, on_km, listed, opened, num_opened
                )
            x += rng.standard_exponential() * tow_km
        for i in range(num_opened):
            v = opened[i]
            removed += _on(v, distance_km, hazard, off_km, on_km)
            listed[v] = False
        if repair_p > 0.0:
            m += rng.poisson(repair_p * max(0.0, mass - removed))
        delay_h[r] = d + m * breakdown_delay_h
        destroyed[r] = k
        breakdowns[r] = m
        lost_breakdown[r] = lost
        tows[r] = towed

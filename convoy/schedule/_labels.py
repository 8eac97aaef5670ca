"""Numba core of the schedule: backward label setting over (node, step, driven today).

Arrays in, arrays out; no objects, no exceptions, no NaN. The wrapper in
:mod:`convoy.schedule.search` builds every table and documents the model. Notation:

- ``T`` steps, points ``t = 0 .. T``; step ``s`` is the interval [s, s + 1).
- ``dur[(e * 2 + md) * 2 + light]``: steps to traverse edge e in mode md (0 normal,
  1 clearance) by day (light 0) or night (1).
- ``ied_coef[e * 2 + md]``: ``edge_ied[e] * f_md``; ``amb_coef[(e*2+md)*2+light]``:
  ``edge_ambush[e] * L_light / v``. A traversal departing at t costs
  ``ied_coef * (ci[t+d] - ci[t]) / (d * step)``
  ``+ amb_coef * (ca[t+d] - ca[t]) / (d * step)``
  where ``ci``/``ca`` are cumulative integrals of the diurnal profiles at the points.
- ``halt_coef[n] * (ch[t+1] - ch[t])``: cost of halting one step at n (a laager's
  or a roadside halt's exposure), plus ``step_price`` (crew hours).
- ``fixed[e]``: price of edge e's km; ``step_price * d``: the crew hours of a
  traversal of d steps (both in expected incidents, added to its cost).
- ``tail[(e * 2 + md) * 2 + light]``: the column's pass time in steps; the head's
  traversal plus it must end by ``run_end[t]`` (and, with ``guard``, by the next
  midnight ``nextmid[t]``).
- ``daycum[t]``: fully-daylight steps before t; a traversal is a day traversal when
  all its steps are daylight steps at the day duration.
- ``run_end[s]``: first step >= s outside the movement windows (T when none).
- ``nextmid[t]``: first point after t in a later calendar day (UTC).
- ``hlo[t]``, ``hcnt[t]``: the driven-today levels stored at t are
  ``hlo[t] .. hlo[t] + hcnt[t] - 1``; a label with fewer steps driven than ``hlo[t]``
  has the same future as one at ``hlo[t]`` (the daily limit cannot bind again that
  day), so it is stored there.
- The corridor (:func:`convoy.schedule.tables.corridor`): node n is held at the
  points ``nlo[n] .. nhi[n]``. Nodes are ranked by ``nlo`` rounded down to a
  bucket (``rank``, its inverse ``order``); at point t the first ``held[t]`` ranks
  are stored, and state
  (n, t, h) lives at ``base[t] + rank[n] * hcnt[t] + (max(h, hlo[t]) - hlo[t])``.
  A state outside ``nlo .. nhi`` is read as infeasible (inf); its slot, if any,
  is never written. (Before the corridor's own ``nlo`` no state is ever read;
  a cost cut may move ``nlo`` later, and the states it drops are then read as
  infeasible.)

``att[(e * att_nw + att_win[t]) * 2 + md]`` is an extra cost of a traversal of e
in mode md entered at t (an adversary's effort by segment and time window,
:mod:`convoy.schedule.attack`); all zeros without one.

Action codes: -2 arrived (n is the destination), -1 none (infeasible), 0 halt one
step, ``1 + 2 * k + md`` drive adjacency slot k in mode md.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# "no label yet"; it fits int32, and wraps in the uint16 arrival and driven arrays,
# where it is never read (only labels of finite cost are)
_BIG = np.int64(1) << 30


@njit(cache=True)
def _drive_levels(t, d, h, nextmid, hmax):
    """
    Steps driven today after driving steps [t, t + d) having driven h before t.

    Returns -1 when a calendar day would exceed ``hmax`` driven steps.
    """
    s = t
    hh = h
    end = t + d
    while True:
        seg_end = min(end, nextmid[s])
        hh += seg_end - s
        if hh > hmax:
            return -1
        if seg_end == end:
            if end == nextmid[s]:
                return 0
            return hh
        s = seg_end
        hh = 0


@njit(cache=True)
def _traversal(t, e, md, num_steps, dur, tail, daycum, run_end, nextmid, guard):
    """
    Duration and light (0 day, 1 night) of a traversal; (-1, -1) if not allowed.

    The head's traversal plus the column's pass time (``tail`` steps) must end
    inside the movement window the head leaves in; with ``guard`` it must not
    straddle midnight either (the daily limit then counts every unit's driving).
    """
    j = (e * 2 + md) * 2
    d = dur[j]
    light = 0
    if t + d > num_steps:
        return -1, -1
    if daycum[t + d] - daycum[t] != d:
        light = 1
        d = dur[j + 1]
    if t + d > num_steps:
        return -1, -1
    end = t + d + tail[j + light]
    if end > run_end[t] or (guard and end > nextmid[t]):
        return -1, -1
    return d, light


@njit(cache=True)
def _traversal_cost(t, d, e, md, light, step_min, ied_coef, amb_coef, ci, ca):
    """Expected incidents of one traversal (IED, ambush)."""
    span = d * step_min
    ied = ied_coef[e * 2 + md] * (ci[t + d] - ci[t]) / span
    amb = amb_coef[(e * 2 + md) * 2 + light] * (ca[t + d] - ca[t]) / span
    return ied, amb


@njit(cache=True)
def _state(n, t, h, rank, nlo, nhi, base, hlo, hcnt):
    """Index of state (n, t, h), or -1 outside n's corridor (then it is infeasible)."""
    if t < nlo[n] or t > nhi[n]:
        return -1
    i = h - hlo[t]
    if i < 0:
        i = 0
    if i > hcnt[t] - 1:
        i = hcnt[t] - 1
    return base[t] + rank[n] * hcnt[t] + i


@njit(cache=True)
def _better(c, a, r, nx, bc, ba, br, bnx):
    """Lexicographic order: cost, arrival step, steps driven, next node."""
    if c < bc:
        return True
    if c > bc:
        return False
    if a != ba:
        return a < ba
    if r != br:
        return r < br
    return nx < bnx


@njit(cache=True, nogil=True)
def _fill(
    num_nodes,
    indptr,
    indices,
    adj_edge,
    can_halt,
    halt_coef,
    dest,
    num_steps,
    step_min,
    dur,
    tail,
    guard,
    ied_coef,
    amb_coef,
    fixed,
    step_price,
    ci,
    ca,
    ch,
    daycum,
    run_end,
    dayidx,
    nextmid,
    hmax,
    hlo,
    hcnt,
    base,
    rank,
    nlo,
    nhi,
    order,
    held,
    cost,
    arr,
    drv,
    act,
    att,
    att_win,
    att_nw,
):
    # One function of 31 arguments (about 135 lines with them): the pass is
    # the search's hot loop, and splitting it would pass the same arrays again
    # through every call numba does not inline.
    """
    Backward pass: the best (cost, arrival, driven) to reach ``dest`` from every state.

    Fills ``cost`` (float64; inf when the destination cannot be reached by
    ``num_steps``), ``arr`` (arrival step), ``drv`` (steps driven from here) and
    ``act`` (the action code), the last three int32, all indexed by state.
    """
    inf = np.inf
    for t in range(num_steps, -1, -1):
        cnt = hcnt[t]
        lo = hlo[t]
        for r in range(held[t]):
            n = order[r]
            if t > nhi[n] or t < nlo[n]:
                continue  # cannot reach the destination in time, or never read
            first = base[t] + r * cnt
            if n == dest:
                for i in range(cnt):
                    cost[first + i] = 0.0
                    arr[first + i] = t
                    drv[first + i] = 0
                    act[first + i] = -2
                continue
            for i in range(cnt):
                cost[first + i] = inf
                arr[first + i] = _BIG
                drv[first + i] = _BIG
                act[first + i] = -1
            if t == num_steps:
                continue
            # best next node so far per level, for tie-breaking
            if can_halt[n]:
                c0 = halt_coef[n] * (ch[t + 1] - ch[t]) + step_price
                same_day = dayidx[t + 1] == dayidx[t]
                for i in range(cnt):
                    h2 = lo + i if same_day else 0
                    j = _state(n, t + 1, h2, rank, nlo, nhi, base, hlo, hcnt)
                    if j >= 0 and cost[j] < inf:
                        cost[first + i] = c0 + cost[j]
                        arr[first + i] = arr[j]
                        drv[first + i] = drv[j]
                        act[first + i] = 0
            if run_end[t] == t:
                continue
            for k in range(indptr[n], indptr[n + 1]):
                e = adj_edge[k]
                m = indices[k]
                for md in range(2):
                    d, light = _traversal(
                        t, e, md, num_steps, dur, tail, daycum, run_end, nextmid, guard
                    )
                    if d < 0:
                        continue
                    ci_, ca_ = _traversal_cost(
                        t, d, e, md, light, step_min, ied_coef, amb_coef, ci, ca
                    )
                    c0 = ci_ + ca_ + fixed[e] + step_price * d
                    c0 += att[(e * att_nw + att_win[t]) * 2 + md]
                    t2 = t + d
                    if t2 > nhi[m] or t2 < nlo[m]:
                        continue  # too late for the deadline, or cut off by cost
                    same_day = t2 < nextmid[t]
                    lo2 = hlo[t2]
                    top2 = hcnt[t2] - 1
                    first2 = base[t2] + rank[m] * hcnt[t2]
                    code = 1 + 2 * k + md
                    for i in range(cnt):
                        if same_day:  # the common case, without the day loop
                            h2 = lo + i + d
                            if h2 > hmax:
                                break  # more driving today only makes it worse
                        else:
                            h2 = _drive_levels(t, d, lo + i, nextmid, hmax)
                            if h2 < 0:
                                break
                        i2 = h2 - lo2
                        if i2 < 0:
                            i2 = 0
                        elif i2 > top2:
                            i2 = top2
                        j = first2 + i2
                        cj = cost[j]
                        if cj == inf:
                            continue
                        c = c0 + cj
                        q = first + i
                        cq = cost[q]
                        if c > cq:
                            continue
                        if c == cq:
                            bnx = n
                            if act[q] > 0:
                                bnx = indices[(act[q] - 1) // 2]
                            if not _better(
                                c, arr[j], drv[j] + d, m, cq, arr[q], drv[q], bnx
                            ):
                                continue
                        cost[q] = c
                        arr[q] = arr[j]
                        drv[q] = drv[j] + d
                        act[q] = code


@njit(cache=True, nogil=True)
def _departures(
    origin,
    earliest,
    latest,
    num_nodes,
    indptr,
    indices,
    adj_edge,
    num_steps,
    step_min,
    dur,
    tail,
    guard,
    ied_coef,
    amb_coef,
    fixed,
    step_price,
    ci,
    ca,
    daycum,
    run_end,
    nextmid,
    hmax,
    hlo,
    hcnt,
    base,
    rank,
    nlo,
    nhi,
    cost,
    arr,
    drv,
    dep_cost,
    dep_arr,
    dep_drv,
    dep_act,
    att,
    att_win,
    att_nw,
):
    """
    Best first move from the origin at each departure step, nothing driven yet.

    ``dep_*[t]`` for t in [earliest, latest]; inf / -1 where no move at t reaches
    the destination in time. Waiting at the origin before t is free.
    """
    for t in range(earliest, latest + 1):
        dep_cost[t] = np.inf
        dep_arr[t] = _BIG
        dep_drv[t] = _BIG
        dep_act[t] = -1
        if t >= num_steps or run_end[t] == t:
            continue
        bnx = num_nodes
        for k in range(indptr[origin], indptr[origin + 1]):
            e = adj_edge[k]
            m = indices[k]
            for md in range(2):
                d, light = _traversal(
                    t, e, md, num_steps, dur, tail, daycum, run_end, nextmid, guard
                )
                if d < 0:
                    continue
                h2 = _drive_levels(t, d, 0, nextmid, hmax)
                if h2 < 0:
                    continue
                j = _state(m, t + d, h2, rank, nlo, nhi, base, hlo, hcnt)
                if j < 0 or cost[j] == np.inf:
                    continue
                ci_, ca_ = _traversal_cost(
                    t, d, e, md, light, step_min, ied_coef, amb_coef, ci, ca
                )
                c = ci_ + ca_ + fixed[e] + step_price * d + cost[j]
                c += att[(e * att_nw + att_win[t]) * 2 + md]
                if dep_act[t] == -1 or _better(
                    c, arr[j], drv[j] + d, m, dep_cost[t], dep_arr[t], dep_drv[t], bnx
                ):
                    dep_cost[t] = c
                    dep_arr[t] = arr[j]
                    dep_drv[t] = drv[j] + d
                    dep_act[t] = 1 + 2 * k + md
                    bnx = m


@njit(cache=True, nogil=True)
def _walk(
    origin,
    t0,
    first_act,
    num_nodes,
    indices,
    adj_edge,
    num_steps,
    dur,
    tail,
    guard,
    daycum,
    run_end,
    dayidx,
    nextmid,
    hmax,
    hlo,
    hcnt,
    base,
    rank,
    nlo,
    nhi,
    act,
    out,
):
    """
    Follow the actions from a departure.

    Writes rows (kind, node, edge, mode, t, d, light) to ``out`` (kind 0 halt step,
    1 drive) and returns the row count.
    """
    n = origin
    t = t0
    h = 0
    a = first_act
    rows = 0
    while True:
        if a == 0:
            out[rows, 0] = 0
            out[rows, 1] = n
            out[rows, 2] = -1
            out[rows, 3] = -1
            out[rows, 4] = t
            out[rows, 5] = 1
            out[rows, 6] = -1
            rows += 1
            if dayidx[t + 1] != dayidx[t]:
                h = 0
            t += 1
        else:
            k = (a - 1) // 2
            md = (a - 1) % 2
            e = adj_edge[k]
            d, light = _traversal(
                t, e, md, num_steps, dur, tail, daycum, run_end, nextmid, guard
            )
            out[rows, 0] = 1
            out[rows, 1] = n
            out[rows, 2] = e
            out[rows, 3] = md
            out[rows, 4] = t
            out[rows, 5] = d
            out[rows, 6] = light
            rows += 1
            h = _drive_levels(t, d, h, nextmid, hmax)
            n = indices[k]
            t += d
        a = act[_state(n, t, h, rank, nlo, nhi, base, hlo, hcnt)]
        if a < 0:
            return rows


@njit(cache=True)
def _relax_moves(
    n,
    t,
    h,
    dest,
    num_nodes,
    indptr,
    indices,
    adj_edge,
    num_steps,
    dur,
    tail,
    guard,
    daycum,
    run_end,
    nextmid,
    hmax,
    best_h,
    found,
):
    """Push the fewest steps driven through every move from (n, t, h)."""
    for k in range(indptr[n], indptr[n + 1]):
        e = adj_edge[k]
        m = indices[k]
        for md in range(2):
            d, _light = _traversal(
                t, e, md, num_steps, dur, tail, daycum, run_end, nextmid, guard
            )
            if d < 0:
                continue
            h2 = _drive_levels(t, d, h, nextmid, hmax)
            if h2 < 0:
                continue
            q = (t + d) * num_nodes + m
            if h2 < best_h[q]:
                best_h[q] = h2
            if m == dest and (found < 0 or t + d < found):
                found = t + d
    return found


@njit(cache=True)
def _earliest_arrival(
    origin,
    dest,
    earliest,
    latest,
    num_nodes,
    indptr,
    indices,
    adj_edge,
    can_halt,
    num_steps,
    dur,
    tail,
    guard,
    daycum,
    run_end,
    dayidx,
    nextmid,
    hmax,
    best_h,
):
    """
    Earliest arrival step at ``dest`` ignoring risk, or -1 if none by ``num_steps``.

    Forward in time; at each (node, step) after departure only the fewest steps
    driven today is kept, which is exact because driving less today never removes
    an option. The origin before departure (steps ``earliest .. latest``, nothing
    driven) is handled apart, so that a column cannot wait there past ``latest``.
    ``best_h`` is scratch of size (num_steps + 1) * num_nodes.
    """
    big = _BIG
    best_h[:] = big
    found = -1
    for t in range(num_steps):
        if found >= 0 and t >= found:
            break
        if earliest <= t <= latest and run_end[t] > t:
            found = _relax_moves(
                origin,
                t,
                0,
                dest,
                num_nodes,
                indptr,
                indices,
                adj_edge,
                num_steps,
                dur,
                tail,
                guard,
                daycum,
                run_end,
                nextmid,
                hmax,
                best_h,
                found,
            )
        for n in range(num_nodes):
            h = best_h[t * num_nodes + n]
            if h == big or n == dest:
                continue
            if can_halt[n]:
                h2 = h if dayidx[t + 1] == dayidx[t] else 0
                q = (t + 1) * num_nodes + n
                if h2 < best_h[q]:
                    best_h[q] = h2
            if run_end[t] > t:
                found = _relax_moves(
                    n,
                    t,
                    h,
                    dest,
                    num_nodes,
                    indptr,
                    indices,
                    adj_edge,
                    num_steps,
                    dur,
                    tail,
                    guard,
                    daycum,
                    run_end,
                    nextmid,
                    hmax,
                    best_h,
                    found,
                )
    return found

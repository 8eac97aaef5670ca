"""Slow, obviously right twins of the schedule kernels, for small cases only.

Everything is recomputed minute by minute from the model's raw fields (hourly profiles,
daylight, windows), without the prefix sums and level merging of the optimiser. The
column rules are applied in their plain form: every step from the head's departure to
the tail's clearance (the column's pass time, gaps plus length over the leg's speed,
rounded up to steps) lies inside the movement windows (the deadline binds the head's
arrival); with a daily limit under 24 h that span stays within one calendar day; the
column may halt at a halt site, or anywhere at ``roadside_halt_factor`` times the
exposure when that factor is > 0; each km and each step after departure has its price.
The search is an exhaustive depth-first search over every choice (wait, each edge, each
mode) at every (node, step, steps driven today), memoised on that full state.
"""

from __future__ import annotations

import math
from functools import cache

from convoy.params import MovementParams
from convoy.schedule.exposure import ExposureModel

EPS = 1e-9


class NaiveSchedule:
    """The reference search for one model, movement table and horizon."""

    def __init__(
        self,
        model: ExposureModel,
        movement: MovementParams,
        horizon_min: float,
        earliest_min: float = 0.0,
        latest_min: float | None = None,
    ) -> None:
        self.m = model
        self.step = movement.step_min
        self.T = math.floor(horizon_min / self.step + EPS)
        self.earliest = max(0, math.ceil(earliest_min / self.step - EPS))
        lm = horizon_min if latest_min is None else latest_min
        self.latest = math.floor(lm / self.step + EPS)
        self.H = math.floor(movement.daily_driving_limit_h * 60 / self.step + EPS)
        self.one_day = movement.daily_driving_limit_h < 24.0
        self.windows = movement.window_minutes()
        assert float(model.start_minute_of_day).is_integer()
        self.m0 = int(model.start_minute_of_day)
        self._memo: dict = {}

    # ---- time, minute by minute -------------------------------------------------
    def minute_of_day(self, x: int) -> int:
        return (self.m0 + x) % 1440

    def day(self, t: int) -> int:
        return (self.m0 + t * self.step) // 1440

    def in_window(self, x: int) -> bool:
        mod = self.minute_of_day(x)
        return any(a <= mod < b for a, b in self.windows)

    def in_daylight(self, x: int) -> bool:
        mod = self.minute_of_day(x)
        a, b = self.m.day_start_min, self.m.day_end_min
        return a <= mod < b if a <= b else (mod >= a or mod < b)

    def step_all(self, s: int, pred) -> bool:
        key = (s, pred.__name__)
        if key not in self._memo:
            self._memo[key] = all(pred(s * self.step + i) for i in range(self.step))
        return self._memo[key]

    def step_profile(self, prof, s: int) -> float:
        """Sum over the minutes of step s of an hourly profile."""
        key = ("prof", id(prof), s)
        if key not in self._memo:
            self._memo[key] = sum(
                prof[self.minute_of_day(x) // 60]
                for x in range(s * self.step, (s + 1) * self.step)
            )
        return self._memo[key]

    def mean_profile(self, prof, t: int, d: int) -> float:
        return sum(self.step_profile(prof, s) for s in range(t, t + d)) / (
            d * self.step
        )

    # ---- one traversal ------------------------------------------------------------
    def traversal(self, e: int, md: int, t: int):
        """(duration, night, pace) of a traversal at t, or None if not allowed."""
        key = ("tr", e, md, t, self.T)
        if key not in self._memo:
            self._memo[key] = self._traversal(e, md, t)
        return self._memo[key]

    def _traversal(self, e: int, md: int, t: int):
        m = self.m
        if md == 1 and not m.clearance_available:
            return None
        for night in (False, True):
            v = m.edge_speed_kph[e] * (m.night_speed_factor if night else 1.0)
            if md == 1:
                v = min(v, m.clearance_speed_kph)
            d = max(1, math.ceil(m.edge_length_m[e] / 1000 / v * 60 / self.step - EPS))
            if not night and not all(
                self.step_all(s, self.in_daylight) for s in range(t, t + d)
            ):
                continue
            if t + d > self.T:
                return None
            if night:
                space = m.pass_night_km or m.column_night_km
            else:
                space = m.pass_day_km or m.column_day_km
            pass_min = m.pass_gap_min + 60.0 * space / v
            end = t + d + max(0, math.ceil(pass_min / self.step - EPS))
            if not all(self.step_all(s, self.in_window) for s in range(t, end)):
                return None
            if self.one_day and self.day(t) != (self.m0 + end * self.step - 1) // 1440:
                return None
            return d, night, m.edge_length_m[e] / 1000 / (d * self.step / 60)
        raise AssertionError

    def traversal_cost(self, e: int, md: int, t: int, d: int, night: bool, v: float):
        m = self.m
        f = 1.0 if md == 0 else m.clearance_ied_factor
        ied = m.edge_ied[e] * f * self.mean_profile(m.diurnal_ied, t, d)
        col = m.column_night_km if night else m.column_day_km
        amb = m.edge_ambush[e] * col / v * self.mean_profile(m.diurnal_ambush, t, d)
        return ied, amb

    def price(self, e: int | None, d: int) -> float:
        """Price of d steps after departure, plus the km of edge e if driven."""
        m = self.m
        hours = d * self.step / 60.0
        km = 0.0 if e is None else m.edge_length_m[e] / 1000.0
        crew = m.crew * m.crew_hour_price * hours
        per_km = m.breakdowns_per_km * m.breakdown_price
        per_km += m.fuel_l_per_km * m.fuel_price_l
        return crew + per_km * km

    def may_halt(self, n: int) -> bool:
        return bool(self.m.node_can_halt[n]) or self.m.roadside_halt_factor > 0

    def halt_cost(self, n: int, t: int) -> float:
        m = self.m
        key = ("halt", t)
        if key not in self._memo:
            self._memo[key] = self._halt_exposure(t)
        f = m.halt_exposure_factor
        if not m.node_can_halt[n]:
            f *= m.roadside_halt_factor
        return m.node_ambush[n] * f * self._memo[key]

    def _halt_exposure(self, t: int) -> float:
        m = self.m
        tot = 0.0
        for x in range(t * self.step, (t + 1) * self.step):
            col = m.column_day_km if self.in_daylight(x) else m.column_night_km
            tot += col * m.diurnal_ambush[self.minute_of_day(x) // 60] / 60.0
        return tot

    def drive(self, t: int, d: int, h: int):
        """Steps driven today at t + d, or None if some day exceeds the limit."""
        per_day: dict[int, int] = {}
        for s in range(t, t + d):
            per_day[self.day(s)] = per_day.get(self.day(s), 0) + 1
        per_day[self.day(t)] = per_day.get(self.day(t), 0) + h
        if max(per_day.values()) > self.H:
            return None
        return per_day.get(self.day(t + d), 0)

    def moves(self, n: int, t: int):
        m = self.m
        for e in range(m.num_edges):
            u, v = int(m.edge_u[e]), int(m.edge_v[e])
            if u == v or n not in (u, v):
                continue
            nxt = v if n == u else u
            for md in (0, 1):
                tr = self.traversal(e, md, t)
                if tr is not None:
                    yield e, nxt, md, tr

    # ---- searches -----------------------------------------------------------
    def best_cost(self, origin: int, dest: int):
        """(optimal cost, {departure step: optimal cost}) or (inf, {})."""

        @cache
        def value(n: int, t: int, h: int) -> float:
            if n == dest:
                return 0.0
            if t >= self.T:
                return math.inf
            best = math.inf
            if self.may_halt(n):
                h2 = h if self.day(t + 1) == self.day(t) else 0
                c = self.halt_cost(n, t) + self.price(None, 1)
                best = min(best, c + value(n, t + 1, h2))
            for e, nxt, md, (d, night, v) in self.moves(n, t):
                h2 = self.drive(t, d, h)
                if h2 is None:
                    continue
                c = sum(self.traversal_cost(e, md, t, d, night, v))
                c += self.price(e, d)
                best = min(best, c + value(nxt, t + d, h2))
            return best

        by_dep: dict[int, float] = {}
        for t in range(self.earliest, min(self.latest, self.T) + 1):
            best = math.inf
            for e, nxt, md, (d, night, v) in self.moves(origin, t):
                h2 = self.drive(t, d, 0)
                if h2 is None:
                    continue
                c = sum(self.traversal_cost(e, md, t, d, night, v))
                c += self.price(e, d)
                best = min(best, c + value(nxt, t + d, h2))
            by_dep[t] = best
        return min(by_dep.values(), default=math.inf), by_dep

    def earliest_arrival(self, origin: int, dest: int, extra_steps: int) -> int | None:
        """Earliest arrival step with the horizon pushed back, or None."""
        T0 = self.T
        self.T = T0 + extra_steps
        try:
            frontier: dict[int, set[tuple[int, int]]] = {}
            for t in range(
                self.earliest, min(max(self.latest, self.earliest), self.T) + 1
            ):
                frontier.setdefault(t, set()).add((origin, -1))  # -1: not departed
            seen = set()
            for t in range(self.T + 1):
                for n, h in sorted(frontier.pop(t, set())):
                    if (n, t, h) in seen:
                        continue
                    seen.add((n, t, h))
                    if n == dest and h >= 0:
                        return t
                    if h >= 0 and self.may_halt(n) and t < self.T:
                        h2 = h if self.day(t + 1) == self.day(t) else 0
                        frontier.setdefault(t + 1, set()).add((n, h2))
                    for _e, nxt, _md, (d, _night, _v) in self.moves(n, t):
                        h2 = self.drive(t, d, max(h, 0))
                        if h2 is not None:
                            frontier.setdefault(t + d, set()).add((nxt, h2))
            return None
        finally:
            self.T = T0


def enumerate_trajectories(ref: NaiveSchedule, origin: int, dest: int):
    """
    Every feasible trajectory from origin to dest, one by one, as (legs, halts).

    Plain depth-first enumeration of each wait, edge and mode at every step; costs
    play no part. Only for tiny horizons; branches that cannot reach dest in time
    are cut (a memoised yes/no reachability test).
    """
    from convoy.schedule.trajectory import Halt, Leg

    @cache
    def can_reach(n: int, t: int, h: int, departed: bool) -> bool:
        if departed and n == dest:
            return True
        if t >= ref.T:
            return False
        if (
            not departed
            and t + 1 <= min(ref.latest, ref.T)
            and can_reach(n, t + 1, 0, False)
        ):
            return True
        if departed and ref.may_halt(n):
            h2 = h if ref.day(t + 1) == ref.day(t) else 0
            if can_reach(n, t + 1, h2, True):
                return True
        if not departed and not ref.earliest <= t <= ref.latest:
            return False
        for _e, nxt, _md, (d, _night, _v) in ref.moves(n, t):
            h2 = ref.drive(t, d, h)
            if h2 is not None and can_reach(nxt, t + d, h2, True):
                return True
        return False

    def halts_of(steps):
        out = []
        for n, t in steps:
            if out and out[-1][0] == n and out[-1][2] == t * ref.step:
                out[-1][2] = (t + 1) * ref.step
            else:
                out.append([n, t * ref.step, (t + 1) * ref.step])
        return [Halt(n, a, b) for n, a, b in out]

    def go(n, t, h, departed, legs, halt_steps):
        if departed and n == dest:
            yield list(legs), halts_of(halt_steps)
            return
        if not can_reach(n, t, h, departed):
            return
        if not departed and t + 1 <= min(ref.latest, ref.T):
            yield from go(n, t + 1, 0, False, legs, halt_steps)
        if departed and ref.may_halt(n):
            h2 = h if ref.day(t + 1) == ref.day(t) else 0
            halt_steps.append((n, t))
            yield from go(n, t + 1, h2, True, legs, halt_steps)
            halt_steps.pop()
        if not departed and not ref.earliest <= t <= ref.latest:
            return
        for e, nxt, md, (d, _night, v) in ref.moves(n, t):
            h2 = ref.drive(t, d, h)
            if h2 is None:
                continue
            legs.append(
                Leg(
                    e,
                    n,
                    t * ref.step,
                    (t + d) * ref.step,
                    ("normal", "clearance")[md],
                    v,
                )
            )
            yield from go(nxt, t + d, h2, True, legs, halt_steps)
            legs.pop()

    start = ref.earliest
    yield from go(origin, start, 0, False, [], [])

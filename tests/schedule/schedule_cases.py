"""Random small schedule problems shared by the schedule tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from convoy.params import MovementParams
from convoy.schedule.exposure import ExposureModel


@dataclass(frozen=True)
class Case:
    model: ExposureModel
    movement: MovementParams
    origin: int
    destination: int
    horizon_min: float
    earliest_min: float
    latest_min: float | None


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def random_graph(rng: np.random.Generator, num_nodes: int, num_extra: int):
    """A random tree plus extra edges (parallel edges allowed)."""
    u, v = [], []
    for n in range(1, num_nodes):
        u.append(int(rng.integers(0, n)))
        v.append(n)
    for _ in range(num_extra):
        a, b = rng.choice(num_nodes, size=2, replace=False)
        u.append(int(a))
        v.append(int(b))
    return np.array(u, dtype=np.int64), np.array(v, dtype=np.int64)


def random_case(
    seed: int,
    *,
    num_nodes: int | None = None,
    step_min: int | None = None,
    days: float | None = None,
) -> Case:
    """A small random problem: 3-6 nodes, 30- or 60-minute steps, 1-2.5 days."""
    rng = np.random.default_rng(seed)
    n = int(num_nodes or rng.integers(3, 7))
    u, v = random_graph(rng, n, int(rng.integers(0, 3)))
    e = len(u)
    step = int(step_min or rng.choice([30, 60]))
    windows = []
    a = int(rng.integers(0, 12)) * 60
    b = a + int(rng.integers(4, 13)) * 60
    windows.append((hhmm(a), hhmm(min(b, 1440))))
    if rng.random() < 0.4 and b + 60 < 1440:
        c = b + int(rng.integers(1, 4)) * 60
        if c < 1440:
            windows.append((hhmm(c), hhmm(min(1440, c + int(rng.integers(1, 6)) * 60))))
    ds = int(rng.integers(3, 9)) * 60
    de = ds + int(rng.integers(8, 14)) * 60
    movement = MovementParams(
        windows=tuple(windows),
        daily_driving_limit_h=float(rng.integers(2, 13)),
        step_min=step,
    )
    can_halt = rng.random(n) < 0.5
    can_halt[0] = can_halt[n - 1] = True
    model = ExposureModel(
        edge_u=u,
        edge_v=v,
        edge_length_m=rng.uniform(5_000, 80_000, e),
        edge_speed_kph=rng.uniform(10, 50, e),
        edge_ied=rng.uniform(0, 1, e) * (rng.random(e) < 0.8),
        edge_ambush=rng.uniform(0, 0.05, e),
        node_ambush=rng.uniform(0, 0.02, n),
        node_can_halt=can_halt,
        column_day_km=float(rng.uniform(1, 15)),
        column_night_km=float(rng.uniform(0.5, 8)),
        start_minute_of_day=float(int(rng.integers(0, 48)) * 30),
        day_start_min=ds,
        day_end_min=min(de, 1440),
        diurnal_ied=rng.uniform(0.2, 2.0, 24),
        diurnal_ambush=rng.uniform(0.2, 2.0, 24),
        clearance_speed_kph=float(rng.uniform(5, 15)),
        clearance_ied_factor=float(rng.uniform(0, 1)),
        clearance_available=bool(rng.random() < 0.8),
        night_speed_factor=float(rng.uniform(0.5, 1)),
        halt_exposure_factor=float(rng.uniform(0, 1)),
    )
    horizon = float(days or rng.uniform(1.0, 2.5)) * 1440.0
    earliest = float(rng.integers(0, 8)) * 60.0
    latest = (
        None if rng.random() < 0.5 else earliest + float(rng.integers(0, 30)) * 60.0
    )
    # the column rules and prices: pass-time gaps, roadside halts, km and hours
    rules = rng.random(6)
    model = replace(
        model,
        roadside_halt_factor=0.0 if rules[0] < 0.4 else float(1 + 4 * rules[1]),
        pass_gap_min=float(rules[2] * 60),
        pass_day_km=float(rng.uniform(0, 20)) if rules[1] < 0.5 else 0.0,
        pass_night_km=float(rng.uniform(0, 10)) if rules[1] < 0.5 else 0.0,
        breakdowns_per_km=float(rules[3] * 0.05) if rules[5] < 0.7 else 0.0,
        fuel_l_per_km=float(rules[4] * 20) if rules[5] < 0.7 else 0.0,
        crew=float(rng.integers(0, 40)),
        breakdown_price=float(rng.uniform(0, 0.02)),
        fuel_price_l=float(rng.uniform(0, 1e-4)),
        crew_hour_price=float(rng.uniform(0, 1e-3)),
    )
    return Case(model, movement, 0, n - 1, horizon, earliest, latest)

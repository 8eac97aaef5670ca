"""A Ctrl-C during a CP-SAT solve stops it at once and reaches the caller."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from ortools.sat.python import cp_model

from convoy.loadout.instance import _solve


class _Stop(Exception):
    pass


def _hard_model() -> cp_model.CpModel:
    # a multi-dimensional knapsack: CP-SAT finds good answers fast but cannot prove
    # the best one for a long time
    rng = np.random.default_rng(7)
    n, k = 300, 30
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{i}") for i in range(n)]
    w = rng.integers(100, 1000, size=(k, n))
    for row in w:
        m.add(
            sum(int(c) * v for c, v in zip(row, x, strict=True)) <= int(row.sum()) // 3
        )
    value = rng.integers(100, 1000, size=n)
    m.maximize(sum(int(c) * v for c, v in zip(value, x, strict=True)))
    return m


def test_sigint_inside_cp_sat_stops_the_solve():
    """A signal 0.5 s into a long solve raises within about a second."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60.0
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False

    def raise_stop(_signum, _frame):
        raise _Stop

    previous = signal.signal(signal.SIGINT, raise_stop)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        t0 = time.perf_counter()
        timer.start()
        with pytest.raises(_Stop):
            _solve(solver, _hard_model())
        assert time.perf_counter() - t0 < 10.0
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def test_solve_returns_the_status():
    """Without a signal, _solve is solver.solve."""
    m = cp_model.CpModel()
    x = m.new_int_var(0, 10, "x")
    m.maximize(x)
    assert _solve(cp_model.CpSolver(), m) == cp_model.OPTIMAL


def test_the_model_is_hard():
    """The model of the interrupt test is not solved to optimality in 1 s."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 1.0
    solver.parameters.num_workers = 1
    assert solver.solve(_hard_model()) != cp_model.OPTIMAL

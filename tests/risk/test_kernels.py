"""Gaussian kernel sums at points and on rasters, against the exact direct sum."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convoy.errors import ScenarioError
from convoy.risk import (
    _kernels,
    _point_kernels,
    cutoff_factor,
    kernel_at,
    kernel_raster,
    kernels,
)
from convoy.risk.kernels import expansion_terms, series_terms

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from naive import kernel_raster_sum, kernel_sum, raster_centres

ACC = 1e-6
#: Absolute floor for fields that are all (or nearly) zero, weight per m^2.
FLOOR = 1e-300


def field_scale(xy, w, h, exact):
    """A lower bound of max f over the plane: its largest value at events or samples."""
    at_events = kernel_sum(xy, w, h, xy)
    return max(float(exact.max(initial=0.0)), float(at_events.max(initial=0.0)))


def assert_within(got, exact, scale, accuracy=ACC):
    """``got`` is within ``accuracy * scale`` of ``exact`` everywhere."""
    assert got.dtype == np.float64
    assert got.shape == exact.shape
    assert np.isfinite(got).all()
    err = float(np.abs(got - exact).max()) if exact.size else 0.0
    assert err <= accuracy * scale + FLOOR, (err, scale)


@st.composite
def event_sets(draw, max_events=25):
    """Events in a 200 km box: clusters, duplicates, far outliers, mixed bandwidths."""
    k = draw(st.integers(0, max_events))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xy = rng.uniform(-100e3, 100e3, size=(k, 2))
    if k >= 2 and draw(st.booleans()):
        # coincident events
        n = rng.integers(1, k)
        xy[:n] = xy[rng.integers(0, k)]
    if k >= 1 and draw(st.booleans()):
        # events far outside the area of interest
        far = rng.random(k) < 0.3
        xy[far] += rng.choice([-1.0, 1.0], size=(far.sum(), 2)) * 2e6
    w = rng.uniform(0.0, 5.0, size=k)
    w[rng.random(k) < 0.2] = 0.0
    if draw(st.booleans()):
        h = float(10 ** rng.uniform(2, math.log10(50e3)))
    else:
        h = 10 ** rng.uniform(2, math.log10(50e3), size=k)
    return xy, w, h


@settings(max_examples=60, deadline=None)
@given(event_sets(), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_kernel_at_matches_direct_sum(events, num_points, seed):
    """kernel_at is within 1e-6 of the field's maximum of the exact sum."""
    xy, w, h = events
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-120e3, 120e3, size=(num_points, 2))
    if len(xy) and num_points:
        # some points exactly on events
        n = min(len(xy), num_points // 2)
        pts[:n] = xy[:n]
    got = kernel_at(xy, w, h, pts)
    exact = kernel_sum(xy, w, h, pts)
    assert_within(got, exact, field_scale(xy, w, h, exact))


@settings(max_examples=10, deadline=None)
@given(
    st.integers(200, 400),
    st.integers(400, 800),
    st.booleans(),
    st.sampled_from([1e-6, 1e-8]),
    st.integers(0, 2**32 - 1),
)
def test_kernel_at_dense_points(num_events, num_points, fixed, accuracy, seed):
    """Dense points (summed by block expansions) match the exact sum."""
    rng = np.random.default_rng(seed)
    xy = rng.normal(0.0, 8e3, size=(num_events, 2))
    w = rng.exponential(1.0, num_events)
    h = 3e3 if fixed else rng.uniform(1e3, 6e3, num_events)
    # hundreds of points within a kilometre: one to four blocks
    pts = rng.uniform(-500.0, 500.0, size=(num_points, 2)) + rng.normal(0.0, 5e3, 2)
    got = kernel_at(xy, w, h, pts, accuracy=accuracy)
    exact = kernel_sum(xy, w, h, pts)
    assert_within(got, exact, field_scale(xy, w, h, exact), accuracy)


@settings(max_examples=20, deadline=None)
@given(
    st.integers(1, 40), st.floats(0.05, 0.5), st.booleans(), st.integers(0, 2**32 - 1)
)
def test_expansion_matches_direct_sum(num_events, rho, fixed, seed):
    """The block expansion meets its share of the accuracy against the direct sum."""
    rng = np.random.default_rng(seed)
    h_min = 1000.0
    h = np.full(num_events, h_min) if fixed else rng.uniform(h_min, 8e3, num_events)
    half = rho * h_min
    ex = rng.normal(0.0, 5e3, num_events)
    ey = rng.normal(0.0, 5e3, num_events)
    w = rng.exponential(1.0, num_events)
    wn = w / (2 * np.pi * h * h)
    p = expansion_terms(rho, float(h.max() / h_min), 1e-6)
    assert p > 0
    mom = np.zeros((p, p))
    _point_kernels._hermite_moments(
        ex, ey, wn, 0.5 / h**2, num_events, 0.0, 0.0, half, mom
    )
    pts = rng.uniform(-half, half, size=(200, 2))
    got = np.empty(200)
    _point_kernels._eval_moments(pts[:, 0], pts[:, 1], 0, 200, 0.0, 0.0, half, mom, got)
    xy = np.column_stack([ex, ey])
    exact = kernel_sum(xy, w, h, pts)
    assert_within(got, exact, field_scale(xy, w, h, exact), 0.005e-6)


def test_expansion_terms():
    """More terms for wider blocks and finer accuracy; none when it cannot converge."""
    assert 0 < expansion_terms(0.25, 1.0, 1e-6) < expansion_terms(0.5, 1.0, 1e-6)
    assert expansion_terms(0.5, 1.0, 1e-6) < expansion_terms(0.5, 1.0, 1e-9)
    assert expansion_terms(0.5, 1.0, 1e-6) <= expansion_terms(0.5, 500.0, 1e-6)
    assert expansion_terms(6.0, 1.0, 1e-6) == 0


@settings(max_examples=40, deadline=None)
@given(
    event_sets(),
    st.integers(0, 20),
    st.integers(0, 20),
    st.floats(50.0, 20e3),
    st.floats(-150e3, 50e3),
    st.floats(-50e3, 150e3),
)
def test_kernel_raster_matches_direct_sum(events, rows, cols, cell, x_min, y_max):
    """kernel_raster is within 1e-6 of the field's maximum of the exact sum."""
    xy, w, h = events
    got = kernel_raster(xy, w, h, (x_min, y_max), cell, (rows, cols))
    exact = kernel_raster_sum(xy, w, h, (x_min, y_max), cell, (rows, cols))
    assert_within(got, exact, field_scale(xy, w, h, exact))


@settings(max_examples=20, deadline=None)
@given(event_sets(max_events=12), st.sampled_from([1e-3, 1e-4, 1e-8]))
def test_other_accuracies(events, accuracy):
    """The bound holds at other accuracies, on points and on a raster."""
    xy, w, h = events
    pts = raster_centres((-100e3, 100e3), 10e3, (20, 20))
    exact = kernel_sum(xy, w, h, pts)
    scale = field_scale(xy, w, h, exact)
    assert_within(kernel_at(xy, w, h, pts, accuracy=accuracy), exact, scale, accuracy)
    got = kernel_raster(xy, w, h, (-100e3, 100e3), 10e3, (20, 20), accuracy=accuracy)
    assert_within(got.ravel(), exact, scale, accuracy)


def test_raster_equals_points_at_cell_centres():
    """A raster and kernel_at at its cell centres agree to the accuracy."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0.0, 50e3, size=(30, 2))
    w = rng.uniform(0.5, 2.0, size=30)
    h = rng.uniform(2e3, 10e3, size=30)
    ras = kernel_raster(xy, w, h, (0.0, 50e3), 1e3, (50, 50))
    pts = kernel_at(xy, w, h, raster_centres((0.0, 50e3), 1e3, (50, 50)))
    assert np.allclose(ras.ravel(), pts, rtol=0.0, atol=2e-6 * ras.max())


def test_worst_case_ring_of_events():
    """Events on a circle just beyond the cutoff keep the error under the bound."""
    h = 1000.0
    radius = cutoff_factor(ACC) * h * (1.0 + 1e-9)
    theta = np.linspace(0.0, 2.0 * np.pi, 4000, endpoint=False)
    xy = radius * np.column_stack([np.cos(theta), np.sin(theta)])
    w = np.ones(len(xy))
    # the centre (every event dropped) and points on the ring (where f peaks)
    pts = np.vstack([[0.0, 0.0], xy[:50]])
    exact = kernel_sum(xy, w, h, pts)
    scale = field_scale(xy, w, h, exact)
    assert exact[0] > 0.98 * ACC * scale  # the case is the worst one
    assert_within(kernel_at(xy, w, h, pts), exact, scale)
    ras = kernel_raster(xy, w, h, (-0.5, 0.5), 1.0, (1, 1))
    assert_within(ras[0], exact[:1], scale)


@pytest.mark.parametrize("spread", [3e3, 60e3])
def test_raster_across_many_tiles(spread):
    """A raster of several tiles each way matches the exact sum at tile seams."""
    rng = np.random.default_rng(11)
    shape = (150, 1100)  # 3 x 3 tiles of 64 x 512 cells
    cell = 1000.0
    # clustered (shared passes) or spread out (one event at a time); some events
    # sit exactly on tile edges
    xy = rng.normal([550e3, 75e3], spread, size=(40, 2))
    xy[:4] = [[512e3, 86e3], [1024e3, 22e3], [0.0, 150e3], [300e3, 0.0]]
    w = rng.exponential(1.0, 40)
    h = rng.uniform(2e3, 8e3, 40)
    got = kernel_raster(xy, w, h, (0.0, 150e3), cell, shape)
    exact = kernel_raster_sum(xy, w, h, (0.0, 150e3), cell, shape)
    assert_within(got, exact, field_scale(xy, w, h, exact))


@st.composite
def series_cases(draw):
    """One bandwidth, cells of 0.03-0.12 h, events inside, outside and on boundaries."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h = float(rng.uniform(500.0, 5e3))
    cell = h * draw(st.floats(0.03, 0.12))
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    x_min, y_max = float(rng.uniform(-1e4, 1e4)), float(rng.uniform(-1e4, 1e4))
    k = draw(st.integers(1, 30))
    # a box reaching 8 h beyond the raster: some events beyond the truncation
    xy = np.column_stack(
        [
            rng.uniform(x_min - 8 * h, x_min + cols * cell + 8 * h, k),
            rng.uniform(y_max - rows * cell - 8 * h, y_max + 8 * h, k),
        ]
    )
    kind = draw(st.sampled_from(["spread", "boundaries", "coincident"]))
    if kind == "boundaries":
        # on cell edges and centres (half-way between rows: |e_k| = 1/2)
        i = rng.integers(-3, rows + 3, k)
        j = rng.integers(-3, cols + 3, k)
        half = rng.integers(0, 2, (k, 2)) * 0.5
        xy = np.column_stack(
            [x_min + (j + half[:, 0]) * cell, y_max - (i + half[:, 1]) * cell]
        )
    elif kind == "coincident":
        xy[:] = xy[0]
    w = rng.exponential(1.0, k)
    w[rng.random(k) < 0.1] = 0.0
    return xy, w, h, (x_min, y_max), cell, (rows, cols)


@settings(max_examples=40, deadline=None)
@given(series_cases(), st.sampled_from([1e-6, 1e-8, 1e-4]))
def test_series_raster_matches_direct_sum(case, accuracy):
    """The one-bandwidth series path is within the accuracy of the exact sum."""
    xy, w, h, origin, cell, shape = case
    if series_terms(cell / h, accuracy) == 0:
        accuracy = 1e-6  # no series that fine at this cell size
    got = kernels._series_raster(
        xy, w, h, origin[0], origin[1], cell, shape[0], shape[1], accuracy
    )
    exact = kernel_raster_sum(xy, w, h, origin, cell, shape)
    assert_within(got, exact, field_scale(xy, w, h, exact), accuracy)


def test_series_one_event_on_a_row_boundary():
    """One event half-way between two rows gives them equal values, to the accuracy."""
    cell, h = 100.0, 2000.0
    ev = [[550.0, -1000.0]]  # between rows 9 and 10, on column 5
    got = kernels._series_raster(
        np.array(ev), np.array([2.0]), h, 0.0, 0.0, cell, 20, 11, 1e-6
    )
    exact = kernel_raster_sum(ev, [2.0], h, (0.0, 0.0), cell, (20, 11))
    assert_within(got, exact, 2.0 / (2 * np.pi * h * h))
    assert got[9, 5] == pytest.approx(got[10, 5], rel=1e-6)


def test_kernel_raster_chooses_series_when_cheaper():
    """Many events sharing one bandwidth take the series path, and match the sum."""
    rng = np.random.default_rng(3)
    h, cell, shape = 2000.0, 200.0, (12, 16)
    xy = rng.normal([1600.0, -1200.0], 2e3, size=(800, 2))
    w = rng.exponential(1.0, 800)
    args = (xy, np.full(800, h), 0.0, 0.0, cell, *shape, 1e-6)
    assert kernels._series_cheaper(*args)
    # a bandwidth per event, or few events: the scatter
    assert not kernels._series_cheaper(
        xy, rng.uniform(1e3, 3e3, 800), 0.0, 0.0, cell, *shape, 1e-6
    )
    assert not kernels._series_cheaper(
        xy[:3], np.full(3, h), 0.0, 0.0, cell, *shape, 1e-6
    )
    got = kernel_raster(xy, w, h, (0.0, 0.0), cell, shape)
    exact = kernel_raster_sum(xy, w, h, (0.0, 0.0), cell, shape)
    assert_within(got, exact, field_scale(xy, w, h, exact))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert np.array_equal(got, kernel_raster(xy, w, h, (0.0, 0.0), cell, shape))
    finally:
        numba.set_num_threads(threads)


def test_series_kernels_match_numpy():
    """The two passes of the series path against plain NumPy sums."""
    rng = np.random.default_rng(5)
    rows, cols, num_t, num_m = 7, 21, 5, 3
    u = rng.random((rows + num_t - 1, num_m, cols))
    trev = rng.random((num_t, num_m))
    out = np.empty((rows, cols))
    _kernels._raster_series_rows(trev, u, out)
    ref = np.zeros((rows, cols))
    for i in range(num_t):
        ref += np.einsum("m,rmc->rc", trev[i], u[i : i + rows])
    assert np.allclose(out, ref, rtol=1e-13, atol=0.0)
    # scatter: events of padded rows 0, 0, 2 (sorted), clipped column windows
    ex = np.array([350.0, 1234.5, -80.0])
    coef = rng.random((3, num_m))
    c_lo = np.array([0, 8, 0])
    c_hi = np.array([6, 20, 1])
    row_start = np.array([0, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3])
    x_min, cell, q = -100.0, 100.0, 0.5 / 300.0**2
    u = np.zeros((rows + num_t - 1, num_m, cols))
    _kernels._raster_series_scatter(ex, coef, c_lo, c_hi, row_start, x_min, cell, q, u)
    ref = np.zeros_like(u)
    xc = x_min + (np.arange(cols) + 0.5) * cell
    for k, p in enumerate([0, 0, 2]):
        c = np.arange(c_lo[k], c_hi[k] + 1)
        ref[p][:, c] += coef[k][:, None] * np.exp(-((xc[c] - ex[k]) ** 2) * q)
    assert np.allclose(u, ref, rtol=1e-11, atol=0.0)


def test_series_terms():
    """More terms for coarser cells and finer accuracy; none when cells are coarse."""
    assert series_terms(0.04, 1e-6) == 4
    assert 0 < series_terms(0.01, 1e-6) <= series_terms(0.04, 1e-6)
    assert series_terms(0.04, 1e-6) < series_terms(0.04, 1e-8)
    assert series_terms(0.3, 1e-6) == 0
    # the bound is met: largest remainder of exp(x) over the window at d / h = 0.1
    m = series_terms(0.1, 1e-6)
    a = cutoff_factor(1e-6)
    v = np.linspace(-a - 0.2, a + 0.2, 2001)
    x = v * 0.5 * 0.1
    partial = sum(x**i / math.factorial(i) for i in range(m))
    err = np.exp(-v * v / 2) * np.abs(np.exp(x) - partial)
    assert err.max() <= kernels.SERIES_SHARE * 1e-6


def test_zero_weights():
    """Events of zero weight give a zero field."""
    xy = [[0.0, 0.0], [10.0, 5.0]]
    assert not kernel_at(xy, [0.0, 0.0], 100.0, [[0.0, 0.0], [5.0, 5.0]]).any()
    assert not kernel_raster(xy, [0.0, 0.0], 100.0, (-50.0, 50.0), 10.0, (9, 9)).any()


def test_raster_geometry_is_north_up_cell_centred():
    """Cell (r, c) is centred at (x_min + (c + .5) cell, y_max - (r + .5) cell)."""
    cell = 100.0
    x_min, y_max = 1000.0, 5000.0
    # an event at the centre of row 1, column 3
    ev = [[x_min + 3.5 * cell, y_max - 1.5 * cell]]
    ras = kernel_raster(ev, [1.0], 150.0, (x_min, y_max), cell, (4, 6))
    assert np.unravel_index(ras.argmax(), ras.shape) == (1, 3)
    assert ras[1, 3] == pytest.approx(1.0 / (2.0 * np.pi * 150.0**2), rel=1e-12)
    # symmetric about the event: left/right and up/down neighbours are equal
    assert ras[1, 2] == pytest.approx(ras[1, 4], rel=1e-12)
    assert ras[0, 3] == pytest.approx(ras[2, 3], rel=1e-12)
    # an event to the north falls on row 0
    ras = kernel_raster(
        [[x_min + 50.0, y_max - 10.0]], [1.0], 100.0, (x_min, y_max), cell, (4, 6)
    )
    assert ras[0].sum() > ras[1:].sum()


def test_single_event_integrates_to_its_weight():
    """A fine raster around one event sums to its weight (cell area included)."""
    ras = kernel_raster(
        [[0.0, 0.0]], [3.0], 1000.0, (-8000.0, 8000.0), 100.0, (160, 160)
    )
    assert ras.sum() * 100.0**2 == pytest.approx(3.0, rel=1e-6)


def test_empty_inputs():
    """No events or no points give zeros of the right shape."""
    none = np.zeros((0, 2))
    assert kernel_at(none, [], 1000.0, [[0.0, 0.0], [1.0, 1.0]]).tolist() == [0.0, 0.0]
    assert kernel_at([[0.0, 0.0]], [1.0], 1000.0, none).shape == (0,)
    assert kernel_at([], [], [], []).shape == (0,)
    ras = kernel_raster(none, [], 1000.0, (0.0, 0.0), 10.0, (3, 4))
    assert ras.shape == (3, 4)
    assert not ras.any()
    ras = kernel_raster([[0.0, 0.0]], [1.0], 1.0, (0.0, 0.0), 1.0, (0, 5))
    assert ras.shape == (0, 5)


def test_deterministic():
    """The same inputs give bit-identical outputs, with any number of threads."""
    rng = np.random.default_rng(7)
    xy = rng.uniform(0.0, 30e3, size=(200, 2))
    w = rng.uniform(0.0, 1.0, size=200)
    h = rng.uniform(500.0, 5e3, size=200)
    pts = rng.uniform(0.0, 30e3, size=(300, 2))
    assert np.array_equal(kernel_at(xy, w, h, pts), kernel_at(xy, w, h, pts))
    a = kernel_raster(xy, w, h, (0.0, 30e3), 500.0, (60, 60))
    assert np.array_equal(a, kernel_raster(xy, w, h, (0.0, 30e3), 500.0, (60, 60)))
    at = kernel_at(xy, w, h, pts)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert np.array_equal(at, kernel_at(xy, w, h, pts))
        assert np.array_equal(a, kernel_raster(xy, w, h, (0.0, 30e3), 500.0, (60, 60)))
    finally:
        numba.set_num_threads(threads)


def test_exp_neg_matches_numpy():
    """The vectorisable exp(-z) is within 1e-11 (relative) of numpy.exp on [0, 40)."""
    z = np.linspace(0.0, 40.0, 4001, endpoint=False)
    z = np.concatenate([z, [1e-300, 39.9999]])
    got = np.array([_kernels._exp_neg(v) for v in z])
    assert np.abs(got / np.exp(-z) - 1.0).max() < 1e-11
    assert _kernels._exp_neg(40.0) == 0.0
    assert _kernels._exp_neg(1e300) == 0.0


def test_cutoff_factor():
    """The truncation factor solves exp(-a^2/2) = 0.99 acc / (sqrt(2 pi) a)."""
    for acc in (1e-3, 1e-6, 1e-9):
        a = cutoff_factor(acc)
        share = 0.99 * acc
        assert math.exp(-a * a / 2) == pytest.approx(
            share / (math.sqrt(2 * math.pi) * a)
        )
    assert 5.7 < cutoff_factor(1e-6) < 5.8


GOOD = {
    "events_xy": [[0.0, 0.0], [1.0, 1.0]],
    "weights": [1.0, 2.0],
    "bandwidths_m": [100.0, 200.0],
}


@pytest.mark.parametrize(
    ("change", "field", "found"),
    [
        ({"events_xy": [[0.0, 0.0], [np.nan, 1.0]]}, "events_xy", "row 1"),
        ({"events_xy": [[0.0, 0.0, 0.0]]}, "events_xy", "shape (1, 3)"),
        ({"events_xy": [[0.0, 0.0], [2e9, 0.0]]}, "events_xy", "row 1"),
        ({"weights": [1.0, -1.0]}, "weights", "-1.0"),
        ({"weights": [1.0, np.inf]}, "weights", "inf"),
        ({"weights": [1.0]}, "weights", "shape (1,)"),
        ({"weights": ["a", "b"]}, "weights", "could not convert"),
        ({"bandwidths_m": [100.0, 0.0]}, "bandwidths_m", "0.0"),
        ({"bandwidths_m": [100.0, np.nan]}, "bandwidths_m", "nan"),
        ({"bandwidths_m": [1.0, 2.0, 3.0]}, "bandwidths_m", "shape (3,)"),
    ],
)
def test_bad_events_are_refused(change, field, found):
    """Bad event arrays raise a ScenarioError naming the field and the value."""
    args = {**GOOD, **change}
    for call in (
        lambda: kernel_at(
            args["events_xy"], args["weights"], args["bandwidths_m"], [[0.0, 0.0]]
        ),
        lambda: kernel_raster(
            args["events_xy"],
            args["weights"],
            args["bandwidths_m"],
            (0.0, 0.0),
            1.0,
            (2, 2),
        ),
    ):
        with pytest.raises(ScenarioError) as info:
            call()
        assert field in str(info.value)
        assert found in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"origin_xy": (0.0, np.nan)}, "origin_xy"),
        ({"origin_xy": (0.0,)}, "origin_xy"),
        ({"cell_m": 0.0}, "cell_m"),
        ({"cell_m": -5.0}, "cell_m"),
        ({"shape": (2, -1)}, "shape"),
        ({"shape": (2.5, 3)}, "shape"),
        ({"shape": 7}, "shape"),
        ({"accuracy": 0.5}, "accuracy"),
        ({"accuracy": 0.0}, "accuracy"),
    ],
)
def test_bad_raster_is_refused(kwargs, field):
    """A malformed raster or accuracy raises a ScenarioError naming the field."""
    args = {"origin_xy": (0.0, 0.0), "cell_m": 1.0, "shape": (2, 2), **kwargs}
    acc = args.pop("accuracy", 1e-6)
    with pytest.raises(ScenarioError, match=field):
        kernel_raster(
            GOOD["events_xy"],
            GOOD["weights"],
            GOOD["bandwidths_m"],
            args["origin_xy"],
            args["cell_m"],
            args["shape"],
            accuracy=acc,
        )


def test_bad_points_are_refused():
    """Points must be finite and of shape (M, 2)."""
    with pytest.raises(ScenarioError, match="points_xy"):
        kernel_at(**GOOD, points_xy=[[0.0, np.inf]])
    with pytest.raises(ScenarioError, match="points_xy"):
        kernel_at(**GOOD, points_xy=[0.0, 1.0, 2.0])


def test_kernel_at_threads_give_the_serial_sums(monkeypatch):
    """Blocks split over a thread pool give bit-identical sums to one thread."""
    rng = np.random.default_rng(11)
    xy = rng.uniform(0.0, 60e3, size=(400, 2))
    w = rng.uniform(0.0, 1.0, size=400)
    h = rng.uniform(500.0, 5e3, size=400)
    # scattered points (direct sums) and a dense patch (expansions)
    pts = np.vstack(
        [rng.uniform(0.0, 60e3, (3000, 2)), rng.uniform(20e3, 21e3, (2000, 2))]
    )
    monkeypatch.setattr(kernels, "PARALLEL_MIN_COST", math.inf)
    serial = kernel_at(xy, w, h, pts)
    monkeypatch.setattr(kernels, "PARALLEL_MIN_COST", 0.0)
    assert np.array_equal(serial, kernel_at(xy, w, h, pts))
    exact = kernel_sum(xy, w, h, pts)
    assert_within(serial, exact, field_scale(xy, w, h, exact))

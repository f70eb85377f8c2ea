"""Unit tests of the KSIM update rule, the integrator and the ensemble runner."""

from __future__ import annotations

import numpy as np
import pytest

from models.dynamics import LOG_FLOOR, Readout, ksim_step, split_signs, stack_matrix, static_terms
from models.ensemble import Future, World, run
from models.impacts import impact_readout
from models.integrator import integrate
from scenarios.config.study import default_study

STUDY = default_study()

N_TRENDS = len(STUDY.trend_labels)
N_DRIVERS = len(STUDY.driver_labels)
N_LEVERS = len(STUDY.lever_labels)
N_AREAS = len(STUDY.area_labels)


# --------------------------------------------------------------------------- helpers


def reference_run(x0, trend_matrix, dyn_loadings, static_loadings, static_drivers, dyn,
                  strength, dt, n_steps):
    """Integrate by repeated :func:`ksim_step`, one future and member at a time.

    Shapes as for :func:`integrate`: ``x0`` (F, n, M), ``trend_matrix`` (F, n, n),
    ``dyn_loadings`` (F, n, K), ``static_loadings`` (F, n, k, M), ``static_drivers`` (F, k, M),
    ``dyn`` (F, K, T, M), ``strength`` (F, M). Returns levels (F, T, n, M).
    """
    n_fut, n, n_mem = x0.shape
    levels = np.empty((n_fut, n_steps + 1, n, n_mem))
    for f in range(n_fut):
        for m in range(n_mem):
            matrix = np.concatenate([strength[f, m] * trend_matrix[f], dyn_loadings[f],
                                     static_loadings[f, :, :, m]], axis=1)
            x = x0[f, :, m].copy()
            levels[f, 0, :, m] = x
            for step in range(n_steps):
                drivers = np.concatenate([dyn[f, :, step, m], static_drivers[f, :, m]])
                # integrate holds levels at >= 1e-12 (LOG_FLOOR); so does the reference
                x = np.maximum(ksim_step(x, matrix, drivers, dt), np.exp(LOG_FLOOR))
                levels[f, step + 1, :, m] = x
    return levels


def filler(dyn):
    """A ``fill_dynamic`` callback reading the rows of ``dyn`` of shape (F, K, T, M)."""
    def fill(step, members, out):
        out[...] = dyn[:, :, step, members]
    return fill


@pytest.fixture
def system():
    """A small random system: 2 futures, 3 trends, 2 dynamic and 2 static drivers, 5 members."""
    rng = np.random.default_rng(20211)
    n_fut, n, n_dyn, n_static, n_mem, n_steps = 2, 3, 2, 2, 5, 24
    ramp = np.minimum(np.arange(n_steps + 1) / 8.0, 1.0)
    return {
        "x0": rng.uniform(0.05, 0.95, (n_fut, n, n_mem)),
        "trend_matrix": rng.uniform(-2.0, 2.0, (n_fut, n, n)),
        "dyn_loadings": rng.uniform(-2.0, 2.0, (n_fut, n, n_dyn)),
        "static_loadings": rng.uniform(-2.0, 2.0, (n_fut, n, n_static, n_mem)),
        "static_drivers": rng.uniform(0.0, 1.0, (n_fut, n_static, n_mem)),
        # dynamic drivers ramp up from 0, as the transition of the futures does
        "dyn": rng.uniform(0.0, 1.0, (n_fut, n_dyn, 1, n_mem)) * ramp[None, None, :, None],
        "dt": 1.0 / 12.0,  # the model's monthly step
        "n_steps": n_steps,
    }


def integrate_system(s, strength, **kwargs):
    """Run :func:`integrate` on a ``system`` fixture dict."""
    product = stack_matrix(s["trend_matrix"], s["dyn_loadings"], s["dt"])
    c0 = static_terms(s["static_loadings"], s["static_drivers"], s["dt"])
    return integrate(np.log(s["x0"]), product, c0, strength, s["n_steps"],
                     fill_dynamic=filler(s["dyn"]), **kwargs)


def one_trend(loading, x0=0.5, n_steps=24, dt=0.25, out_dtype=np.float64):
    """Levels (T,) of one trend driven only by a constant driver of value 1 and ``loading``."""
    product = stack_matrix(np.zeros((1, 1, 1)), np.zeros((1, 1, 0)), dt)
    c0 = static_terms(np.full((1, 1, 1, 1), loading), np.ones((1, 1, 1)), dt)
    levels, _ = integrate(np.log(np.full((1, 1, 1), x0)), product, c0, np.ones((1, 1)),
                          n_steps, out_dtype=out_dtype)
    return levels[0, :, 0, 0]


def make_world(**overrides):
    """A :class:`World` with every matrix and weight zero, 2021 levels spread over (0, 1)."""
    fields = {
        "trend_matrix": np.zeros((N_TRENDS, N_TRENDS)),
        "driver_loadings": np.zeros((N_TRENDS, N_DRIVERS)),
        "lever_loadings": np.zeros((N_TRENDS, N_LEVERS)),
        "area_trend_weights": np.zeros((N_AREAS, N_TRENDS)),
        "area_driver_weights": np.zeros((N_AREAS, N_DRIVERS)),
        "area_lever_weights": np.zeros((N_AREAS, N_LEVERS)),
        "initial": np.linspace(0.1, 0.9, N_TRENDS),
        "status_quo": np.full(N_DRIVERS, 0.4),
        "lever_reference": np.full(N_LEVERS, 0.5),
        "transition_years": 3.0,
        "end": 2024.0,
        # the labels of the default study, so tests can name drivers and levers
        "trends": STUDY.trend_labels, "drivers": STUDY.driver_labels,
        "levers": STUDY.lever_labels, "areas": STUDY.area_labels,
        "axes": tuple((a.low, a.high) for a in STUDY.axes),
    }
    fields.update(overrides)
    return World(**fields)


def random_world(seed=7):
    """A :class:`World` with random non-zero matrices and weights of the default study's sizes."""
    rng = np.random.default_rng(seed)
    return make_world(
        trend_matrix=rng.uniform(-2, 2, (N_TRENDS, N_TRENDS)),
        driver_loadings=rng.uniform(-2, 2, (N_TRENDS, N_DRIVERS)),
        lever_loadings=rng.uniform(-2, 2, (N_TRENDS, N_LEVERS)),
        area_trend_weights=rng.uniform(-1, 1, (N_AREAS, N_TRENDS)),
        area_driver_weights=rng.uniform(-1, 1, (N_AREAS, N_DRIVERS)),
        area_lever_weights=rng.uniform(-1, 1, (N_AREAS, N_LEVERS)),
        initial=rng.uniform(0.1, 0.9, N_TRENDS),
        status_quo=rng.uniform(0, 1, N_DRIVERS),
        lever_reference=rng.uniform(0, 1, N_LEVERS),
    )


FUTURES = [Future("shareholder_growth", 0.1, 0.2),
           Future("stakeholder_welfare", 0.9, 0.8, drivers={"eu_regulation": 0.9},
                  levers={"ai_investment": 1.0})]


# --------------------------------------------------------------------------- ksim_step


def test_ksim_step_by_hand():
    """One step of a 2-trend, 1-driver system equals the formula worked out by hand."""
    x = np.array([0.5, 0.2])
    matrix = np.array([[0.0, 0.6, 0.0],
                       [-0.4, 0.0, 0.3]])
    drivers = np.array([1.0])
    # z = [0.5, 0.2, 1.0], dt/2 = 0.25
    # trend 0: (|A|-A) z = 0,              (|A|+A) z = 1.2 * 0.2 = 0.24
    #          phi = 1 / (1 + 0.25 * 0.24) = 1 / 1.06
    # trend 1: (|A|-A) z = 0.8 * 0.5 = 0.4, (|A|+A) z = 0.6 * 1.0 = 0.6
    #          phi = (1 + 0.25 * 0.4) / (1 + 0.25 * 0.6) = 1.1 / 1.15
    expected = np.array([0.5 ** (1.0 / 1.06), 0.2 ** (1.1 / 1.15)])
    got = ksim_step(x, matrix, drivers, 0.5)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert got[0] > 0.5 and got[1] > 0.2  # both net pushed


def test_ksim_step_broadcasts_over_leading_axes():
    """A batch of states gives the same as stepping each state alone."""
    rng = np.random.default_rng(3)
    matrix = rng.uniform(-1, 1, (3, 5))
    x = rng.uniform(0.1, 0.9, (4, 2, 3))
    drivers = rng.uniform(0, 1, (4, 2, 2))
    batch = ksim_step(x, matrix, drivers, 0.25)
    for i in range(4):
        for j in range(2):
            np.testing.assert_allclose(batch[i, j], ksim_step(x[i, j], matrix, drivers[i, j], 0.25),
                                       rtol=1e-15)


def test_split_signs():
    """Pushing and braking parts are non-negative and recombine to the matrix."""
    matrix = np.array([[1.5, -2.0], [0.0, -0.25]])
    pos, neg = split_signs(matrix)
    np.testing.assert_array_equal(pos, [[1.5, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(neg, [[0.0, 2.0], [0.0, 0.25]])
    np.testing.assert_array_equal(pos - neg, matrix)


def test_stack_and_static_terms_by_hand():
    """``stack_matrix`` is dt*[A+; A-]; ``static_terms`` is 1 + dt*[A+ d; A- d]."""
    trend = np.array([[[0.0, 2.0], [-1.0, 0.0]]])
    dyn = np.array([[[-3.0], [4.0]]])
    np.testing.assert_array_equal(stack_matrix(trend, dyn, 0.5)[0],
                                  [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0],
                                   [0.0, 0.0, 1.5], [0.5, 0.0, 0.0]])
    loadings = np.array([[[1.0, -2.0], [-0.5, 0.0]]])[..., None]  # (1, 2, 2, 1)
    drivers = np.array([[0.5, 0.25]])[..., None]  # (1, 2, 1)
    c0 = static_terms(loadings, drivers, 0.5)
    # push: [1*0.5, 0], brake: [2*0.25, 0.5*0.5]
    np.testing.assert_allclose(c0[0, :, 0], [1.25, 1.0, 1.25, 1.125], rtol=1e-15)


# --------------------------------------------------------------------------- integrate


def test_integrate_equals_repeated_ksim_step(system):
    """With strength 1, ``integrate`` reproduces repeated ``ksim_step``."""
    s = system
    strength = np.ones(s["x0"].shape[::2])
    levels, indices = integrate_system(s, strength)
    assert indices is None
    assert levels.shape == (2, s["n_steps"] + 1, 3, 5) and levels.dtype == np.float64
    expected = reference_run(s["x0"], s["trend_matrix"], s["dyn_loadings"],
                             s["static_loadings"], s["static_drivers"], s["dyn"], strength,
                             s["dt"], s["n_steps"])
    np.testing.assert_allclose(levels, expected, rtol=1e-12, atol=0)
    assert not np.allclose(levels[:, -1], levels[:, 0])  # the system did move


def test_integrate_strength_scales_trend_impacts_only(system):
    """A strength != 1 equals ``ksim_step`` with the trend-on-trend block scaled."""
    s = system
    strength = np.array([[0.0, 0.5, 1.0, 2.0, 3.5], [1.5, 0.25, 4.0, 1.0, 0.0]])
    levels, _ = integrate_system(s, strength)
    expected = reference_run(s["x0"], s["trend_matrix"], s["dyn_loadings"],
                             s["static_loadings"], s["static_drivers"], s["dyn"], strength,
                             s["dt"], s["n_steps"])
    np.testing.assert_allclose(levels, expected, rtol=1e-12, atol=0)
    unscaled, _ = integrate_system(s, np.ones_like(strength))
    differs = ~np.all(levels == unscaled, axis=(1, 2))
    np.testing.assert_array_equal(differs, strength != 1.0)


def test_integrate_strength_does_not_scale_drivers(system):
    """Without trend-on-trend impacts, strength changes nothing."""
    s = dict(system, trend_matrix=np.zeros_like(system["trend_matrix"]))
    ones, _ = integrate_system(s, np.ones((2, 5)))
    scaled, _ = integrate_system(s, np.full((2, 5), 3.0))
    np.testing.assert_array_equal(scaled, ones)


def test_integrate_first_point_is_initial_level(system):
    """The first time point holds the initial levels."""
    levels, _ = integrate_system(system, np.ones((2, 5)))
    np.testing.assert_allclose(levels[:, 0], system["x0"], rtol=1e-15)


def test_zero_matrix_is_fixed_point():
    """Without impacts (zero matrices) every level stays exactly where it started."""
    rng = np.random.default_rng(5)
    n_fut, n, n_dyn, n_mem, n_steps, dt = 2, 4, 2, 6, 36, 1.0 / 12.0
    x0 = rng.uniform(0.01, 0.99, (n_fut, n, n_mem))
    dyn = rng.uniform(0, 1, (n_fut, n_dyn, n_steps + 1, n_mem))
    product = stack_matrix(np.zeros((n_fut, n, n)), np.zeros((n_fut, n, n_dyn)), dt)
    c0 = static_terms(np.zeros((n_fut, n, 3, 1)), rng.uniform(0, 1, (n_fut, 3, 1)), dt)
    c0 = np.broadcast_to(c0, (n_fut, 2 * n, n_mem))
    levels, _ = integrate(np.log(x0), product, c0, rng.uniform(0, 3, (n_fut, n_mem)), n_steps,
                          fill_dynamic=filler(dyn))
    np.testing.assert_allclose(levels[:, 0], x0, rtol=1e-15)
    np.testing.assert_array_equal(levels, np.broadcast_to(levels[:, :1], levels.shape))


def test_push_rises_and_brake_falls_monotonically():
    """A positive constant impact raises a trend every step; a negative one lowers it."""
    up = one_trend(+1.0)
    down = one_trend(-1.0)
    assert np.all(np.diff(up) > 0)
    floor = np.exp(LOG_FLOOR)
    above = down[:-1] > floor
    assert np.all(np.diff(down)[above] < 0)  # falls every step until the 1e-12 floor
    assert np.all(down >= floor * (1 - 1e-12))
    # closed form: ln x(t) = ln x0 * phi**t with phi = 1/(1 + dt) resp. (1 + dt)
    steps = np.arange(25)
    np.testing.assert_allclose(up, 0.5 ** (1.0 / 1.25) ** steps, rtol=1e-13)
    exact = 0.5 ** 1.25 ** steps
    np.testing.assert_allclose(down, np.maximum(exact, floor), rtol=1e-12)


def test_levels_stay_inside_unit_interval_under_strong_push():
    """A strong push brings a trend to the largest float below 1, never to 1."""
    levels = one_trend(+5.0, n_steps=120, dt=1.0)
    assert np.all(levels < 1.0) and np.all(levels > 0.0)
    assert np.all(np.diff(levels) >= 0)
    # ln x(t) = ln(0.5) / 6**t: still representably below 1 after 10 steps, not after 30
    assert levels[10] == pytest.approx(0.5 ** (6.0 ** -10), rel=1e-14)
    assert levels[10] < 1.0
    assert levels[30] == levels[-1] == np.nextafter(1.0, 0.0)


def test_levels_stay_inside_unit_interval_under_strong_brake():
    """A strong brake brings a trend down to the 1e-12 floor, never to 0."""
    levels = one_trend(-5.0, n_steps=120, dt=1.0)
    assert np.all(levels > 0.0) and np.all(levels < 1.0)
    assert np.all(np.diff(levels) <= 0)
    assert levels[1] == pytest.approx(0.5 ** 6.0, rel=1e-13)
    assert levels[-1] == pytest.approx(1e-12, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_levels_clipped_to_storage_dtype(dtype):
    """Stored levels stay strictly inside (0, 1) in the storage precision."""
    up = one_trend(+5.0, n_steps=60, dt=1.0, out_dtype=dtype)
    down = one_trend(-5.0, n_steps=60, dt=1.0, out_dtype=dtype)
    assert up.dtype == dtype and down.dtype == dtype
    assert up[-1] == np.nextafter(dtype(1), dtype(0)) and up.max() < dtype(1)
    assert down[-1] == pytest.approx(1e-12, rel=1e-6) and down.min() > dtype(0)


def test_out_argument_is_filled_and_returned(system):
    """A preallocated ``out`` receives the levels."""
    out = np.full((2, system["n_steps"] + 1, 3, 5), np.nan)
    levels, _ = integrate_system(system, np.ones((2, 5)), out=out)
    assert levels is out
    expected, _ = integrate_system(system, np.ones((2, 5)))
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("threads", [2, 4])
def test_threads_do_not_change_results(threads):
    """Running the same member blocks on several threads is bit-identical to one thread."""
    rng = np.random.default_rng(11)
    n_fut, n, n_dyn, n_mem, n_steps, dt = 2, 5, 3, 64, 24, 0.25
    x0 = rng.uniform(0.05, 0.95, (n_fut, n, n_mem))
    product = stack_matrix(rng.uniform(-2, 2, (n_fut, n, n)),
                           rng.uniform(-2, 2, (n_fut, n, n_dyn)), dt)
    c0 = static_terms(rng.uniform(-2, 2, (n_fut, n, 2, n_mem)),
                      rng.uniform(0, 1, (n_fut, 2, n_mem)), dt)
    strength = rng.uniform(0.5, 1.5, (n_fut, n_mem))
    dyn = rng.uniform(0, 1, (n_fut, n_dyn, n_steps + 1, n_mem))
    # chunk 16 gives four blocks of 16 members whatever the thread count (4 is a multiple
    # of 2 and 4), so only the threading differs
    args = (np.log(x0), product, c0, strength, n_steps)
    one, _ = integrate(*args, fill_dynamic=filler(dyn), chunk=16, threads=1)
    many, _ = integrate(*args, fill_dynamic=filler(dyn), chunk=16, threads=threads)
    np.testing.assert_array_equal(many, one)


@pytest.mark.parametrize("chunk,threads", [(1, 1), (3, 1), (5, 1), (12, 2), (2048, 3)])
def test_chunk_and_threads_do_not_change_results(chunk, threads):
    """Results agree whatever ``chunk`` and ``threads`` (model-sized system).

    Bit-identity holds across ``threads`` (every block has the same width); across ``chunk``
    BLAS may round differently for different block widths, so only rounding differences
    are allowed there.
    """
    rng = np.random.default_rng(12)
    # the model's sizes: 11 trends, 5 axis drivers + 6 levers as dynamic rows
    n_fut, n, n_dyn, n_mem, n_steps, dt = 4, N_TRENDS, 11, 64, 24, 1.0 / 12.0
    x0 = rng.uniform(0.05, 0.95, (n_fut, n, n_mem))
    product = stack_matrix(rng.uniform(-3, 3, (n_fut, n, n)),
                           rng.uniform(-3, 3, (n_fut, n, n_dyn)), dt)
    c0 = static_terms(rng.uniform(-2, 2, (n_fut, n, 2, n_mem)),
                      rng.uniform(0, 1, (n_fut, 2, n_mem)), dt)
    strength = rng.uniform(0.5, 1.5, (n_fut, n_mem))
    dyn = rng.uniform(0, 1, (n_fut, n_dyn, n_steps + 1, n_mem))
    args = (np.log(x0), product, c0, strength, n_steps)
    ref, _ = integrate(*args, fill_dynamic=filler(dyn))
    got, _ = integrate(*args, fill_dynamic=filler(dyn), chunk=chunk, threads=threads)
    np.testing.assert_allclose(got, ref, rtol=1e-12)  # equal up to rounding across chunks
    same_chunk, _ = integrate(*args, fill_dynamic=filler(dyn), chunk=chunk, threads=1)
    assert np.array_equal(got, same_chunk)  # bit-identical across threads


def test_readout_starts_at_zero_and_tracks_levels(system):
    """Without a base, indices are W (x(t) - x(t0)) + V (dyn(t) - dyn(t0)), exactly 0 at t0."""
    s = dict(system, dyn=system["dyn"] + 0.2)  # dyn(t0) != 0, so its subtraction matters
    rng = np.random.default_rng(9)
    trend_weights = rng.uniform(-1, 1, (4, 3))  # 4 areas
    driver_weights = rng.uniform(-1, 1, (4, 2))
    readout = impact_readout(trend_weights, driver_weights, 2)
    assert readout.trend_weights.shape == (2, 4, 3) and readout.base is None
    levels, indices = integrate_system(s, np.ones((2, 5)), readout=readout)
    assert indices.shape == (2, s["n_steps"] + 1, 4, 5)
    np.testing.assert_array_equal(indices[:, 0], 0.0)
    expected = (np.einsum("an,ftnm->ftam", trend_weights, levels - levels[:, :1])
                + np.einsum("ak,fktm->ftam", driver_weights, s["dyn"] - s["dyn"][:, :, :1]))
    np.testing.assert_allclose(indices, expected, rtol=0, atol=1e-13)
    assert np.abs(indices[:, -1]).max() > 0.05  # the readout did move


@pytest.mark.parametrize("keep", [[0, 3, 7], [2, 5, 8], [8]])
def test_keep_stores_those_time_points_bit_for_bit(system, keep):
    """Storing some time points only gives the full run's numbers there, readout included
    (its base is the first time point even when that one is not kept)."""
    s = dict(system, dyn=system["dyn"] + 0.2)
    readout = impact_readout(np.random.default_rng(4).uniform(-1, 1, (4, 3)),
                             np.random.default_rng(5).uniform(-1, 1, (4, 2)), 2)
    keep = [k for k in keep if k <= s["n_steps"]]
    full, full_idx = integrate_system(s, np.ones((2, 5)), readout=readout)
    some, some_idx = integrate_system(s, np.ones((2, 5)), readout=readout, keep=np.array(keep))
    assert some.shape == (2, len(keep), 3, 5)
    np.testing.assert_array_equal(some, full[:, keep])
    np.testing.assert_array_equal(some_idx, full_idx[:, keep])
    with pytest.raises(ValueError, match="must be increasing indices"):
        integrate_system(s, np.ones((2, 5)), keep=np.array([3, 2]))


def test_readout_with_explicit_base(system):
    """With a base, indices are W x(t) + V dyn(t) - base."""
    s = system
    rng = np.random.default_rng(10)
    trend_weights = rng.uniform(-1, 1, (2, 4, 3))
    driver_weights = rng.uniform(-1, 1, (2, 4, 2))
    base = rng.uniform(-1, 1, (2, 4, 5))
    readout = Readout(trend_weights, driver_weights, base)
    levels, indices = integrate_system(s, np.ones((2, 5)), readout=readout)
    expected = (np.einsum("fan,ftnm->ftam", trend_weights, levels)
                + np.einsum("fak,fktm->ftam", driver_weights, s["dyn"]) - base[:, None])
    np.testing.assert_allclose(indices, expected, rtol=0, atol=1e-13)


def test_readout_in_storage_dtype(system):
    """Indices are stored in the levels' dtype."""
    readout = impact_readout(np.ones((1, 3)), np.ones((1, 2)), 2)
    levels, indices = integrate_system(system, np.ones((2, 5)), readout=readout,
                                       out_dtype=np.float32)
    assert levels.dtype == np.float32 and indices.dtype == np.float32


def test_integrate_rejects_wrong_product_shape(system):
    """A product that is not (F, 2n, n+K) is refused."""
    s = system
    product = stack_matrix(s["trend_matrix"], s["dyn_loadings"], s["dt"])
    c0 = static_terms(s["static_loadings"], s["static_drivers"], s["dt"])
    with pytest.raises(ValueError, match=r"product\(shape=\(2, 5, 5\)\) must be \(F, 2n, n\+K\)"):
        integrate(np.log(s["x0"]), product[:, 1:], c0, np.ones((2, 5)), 3,
                  fill_dynamic=filler(s["dyn"]))
    with pytest.raises(ValueError, match=r"product\(shape=\(1, 6, 5\)\).*\(2, 6, 3\+K\)"):
        integrate(np.log(s["x0"]), product[:1], c0, np.ones((2, 5)), 3,
                  fill_dynamic=filler(s["dyn"]))


def test_integrate_rejects_wrong_c0_shape(system):
    """A c0 that is not (F, 2n, M) is refused."""
    s = system
    product = stack_matrix(s["trend_matrix"], s["dyn_loadings"], s["dt"])
    c0 = static_terms(s["static_loadings"], s["static_drivers"], s["dt"])
    with pytest.raises(ValueError, match=r"c0\(shape=\(2, 6, 4\)\) must be \(2, 6, 5\)"):
        integrate(np.log(s["x0"]), product, c0[:, :, :4], np.ones((2, 5)), 3,
                  fill_dynamic=filler(s["dyn"]))


def test_integrate_requires_fill_dynamic(system):
    """Dynamic driver rows without a callback are refused."""
    s = system
    product = stack_matrix(s["trend_matrix"], s["dyn_loadings"], s["dt"])
    c0 = static_terms(s["static_loadings"], s["static_drivers"], s["dt"])
    with pytest.raises(ValueError, match="fill_dynamic is required with 2 dynamic drivers"):
        integrate(np.log(s["x0"]), product, c0, np.ones((2, 5)), 3)


# --------------------------------------------------------------------------- ensemble.run


def test_run_zero_world_keeps_initial_levels():
    """With zero matrices and weights nothing moves in any future or member."""
    world = make_world()
    futures = [Future(label, own, pur, levers={"connectivity": 1.0})
               for label, own, pur in [("a", 0.0, 0.0), ("b", 1.0, 0.0), ("c", 0.0, 1.0),
                                       ("d", 0.7, 0.4)]]
    n_mem = 3
    members = {"cross_impact_strength": np.full((4, n_mem), 2.0),
               "ownership_shift": np.full((4, n_mem), 0.2)}
    outcome = run(world, futures, members, n_mem)
    assert outcome.levels.shape == (4, world.n_steps + 1, N_TRENDS, n_mem)
    assert outcome.impacts.shape == (4, world.n_steps + 1, N_AREAS, n_mem)
    np.testing.assert_allclose(outcome.levels, np.broadcast_to(
        world.initial[None, None, :, None], outcome.levels.shape), rtol=1e-15)
    np.testing.assert_array_equal(outcome.levels,
                                  np.broadcast_to(outcome.levels[:, :1], outcome.levels.shape))
    np.testing.assert_array_equal(outcome.impacts, 0.0)
    np.testing.assert_allclose(outcome.times, 2021.0 + np.arange(37) / 12.0)


def test_run_initial_members_override_world():
    """Sampled ``initial.<trend>`` values are the first time point of each member."""
    world = make_world()
    label = STUDY.trend_labels[2]
    values = np.array([[0.2, 0.3], [0.6, 0.7]])
    outcome = run(world, FUTURES, {f"initial.{label}": values}, 2)
    np.testing.assert_allclose(outcome.levels[:, :, 2, :],
                               np.broadcast_to(values[:, None, :], (2, 37, 2)), rtol=1e-15)


def test_run_rejects_unknown_parameter():
    """Members naming no known parameter are refused."""
    with pytest.raises(KeyError, match=r"unknown parameters \['bogus'\]"):
        run(make_world(), FUTURES, {"bogus": np.zeros((2, 1))}, 1)


def test_driver_targets_follow_the_axes():
    """Axis drivers are 1-own, own, 1-purpose, purpose; others come from overrides or 2021."""
    status_quo = np.arange(N_DRIVERS) / 10.0
    future = Future("f", 0.3, 0.8, drivers={"eu_regulation": 0.95})
    targets = future.driver_targets(make_world(status_quo=status_quo), future.ownership, future.purpose)
    by_label = dict(zip(STUDY.driver_labels, targets))
    assert by_label["shareholder"] == pytest.approx(0.7)
    assert by_label["stakeholder"] == pytest.approx(0.3)
    assert by_label["growth"] == pytest.approx(0.2)
    assert by_label["welfare"] == pytest.approx(0.8)
    assert by_label["eu_regulation"] == pytest.approx(0.95)
    k = STUDY.driver_labels.index("security_pressure")
    assert by_label["security_pressure"] == status_quo[k]


def test_driver_targets_clip_and_broadcast():
    """Shifted axis positions are clipped to [0, 1] and broadcast per member."""
    future = Future("f", 0.9, 0.1)
    targets = future.driver_targets(make_world(status_quo=np.zeros(N_DRIVERS)), np.array([0.9, 1.4, -0.3]),
                                    np.array([0.1, 0.1, 0.1]))
    assert targets.shape == (N_DRIVERS, 3)
    stake = STUDY.driver_labels.index("stakeholder")
    share = STUDY.driver_labels.index("shareholder")
    np.testing.assert_allclose(targets[stake], [0.9, 1.0, 0.0])
    np.testing.assert_allclose(targets[share], [0.1, 0.0, 1.0], atol=1e-15)


def test_higher_ownership_gives_larger_stakeholder_target():
    """A future further towards the stakeholder model has a larger stakeholder target."""
    stake = STUDY.driver_labels.index("stakeholder")
    low, high = Future("low", 0.2, 0.5), Future("high", 0.8, 0.5)
    sq = np.full(N_DRIVERS, 0.5)
    assert (high.driver_targets(make_world(status_quo=sq), high.ownership, high.purpose)[stake]
            > low.driver_targets(make_world(status_quo=sq), low.ownership, low.purpose)[stake])


def test_stakeholder_loading_favours_high_ownership_future():
    """A trend pushed by the stakeholder driver ends higher in the higher-ownership future."""
    loadings = np.zeros((N_TRENDS, N_DRIVERS))
    loadings[0, STUDY.driver_labels.index("stakeholder")] = 1.0
    world = make_world(driver_loadings=loadings)
    outcome = run(world, [Future("low", 0.1, 0.5), Future("high", 0.9, 0.5)], {}, 1)
    final = outcome.levels[:, -1, :, 0]
    assert final[1, 0] > final[0, 0] > world.initial[0]
    np.testing.assert_allclose(final[:, 1:], np.broadcast_to(world.initial[1:], (2, 10)),
                               rtol=1e-15)


def test_run_impacts_match_readout_formula():
    """Impact indices are W (x(t) - x(t0)) + V (d(t) - d(t0)) over drivers and levers."""
    world = random_world()
    n_mem = 2
    outcome = run(world, FUTURES, {}, n_mem)
    # d(t) - d(t0) of every driver but momentum and of the levers, from the transition
    dyn_idx = [k for k, d in enumerate(STUDY.driver_labels) if d != "momentum"]
    ramp = np.minimum((outcome.times - world.start) / world.transition_years, 1.0)
    expected = np.empty_like(outcome.impacts)
    for f, future in enumerate(FUTURES):
        targets = future.driver_targets(world, future.ownership, future.purpose)
        levers = np.array([future.levers.get(lv, world.lever_reference[k])
                           for k, lv in enumerate(STUDY.lever_labels)])
        delta = np.concatenate([targets[dyn_idx] - world.status_quo[dyn_idx],
                                levers - world.lever_reference])
        weights = np.concatenate([world.area_driver_weights[:, dyn_idx],
                                  world.area_lever_weights], axis=1)
        change = outcome.levels[f] - world.initial[None, :, None]
        expected[f] = (np.einsum("an,tnm->tam", world.area_trend_weights, change)
                       + (weights @ delta)[None, :, None] * ramp[:, None, None])
    np.testing.assert_allclose(outcome.impacts, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(outcome.impacts[:, 0], 0.0)


def test_run_is_deterministic():
    """Two runs with identical inputs are bit-identical."""
    world = random_world()
    members = {"transition_years": np.array([[1.0, 4.0, 9.0]] * 2),
               "lever_efficacy": np.array([[0.5, 1.0, 2.0]] * 2)}
    a = run(world, FUTURES, members, 3)
    b = run(world, FUTURES, members, 3)
    np.testing.assert_array_equal(a.levels, b.levels)
    np.testing.assert_array_equal(a.impacts, b.impacts)


def test_run_independent_of_threads():
    """``run`` results do not depend on ``threads`` (its docstring's promise)."""
    world = random_world()
    members = {"cross_impact_strength": np.linspace(0.5, 1.5, 2 * 9).reshape(2, 9)}
    one = run(world, FUTURES, members, 9, threads=1)
    two = run(world, FUTURES, members, 9, threads=2)
    np.testing.assert_allclose(two.levels, one.levels, rtol=1e-9)
    assert np.array_equal(two.levels, one.levels)


def test_run_honours_non_axis_driver_override():
    """A future's driver override of ``security_pressure`` moves the trends it loads on."""
    loadings = np.zeros((N_TRENDS, N_DRIVERS))
    loadings[0, STUDY.driver_labels.index("security_pressure")] = 1.0
    world = make_world(driver_loadings=loadings,
                       status_quo=np.zeros(N_DRIVERS))
    futures = [Future("calm", 0.5, 0.5),
               Future("tense", 0.5, 0.5, drivers={"security_pressure": 1.0})]
    outcome = run(world, futures, {}, 1)
    calm, tense = outcome.levels[:, -1, 0, 0]
    assert calm == pytest.approx(world.initial[0], rel=1e-15)
    assert tense > calm


@pytest.mark.parametrize("chunk", [8, 2048])
def test_integrate_leaves_its_inputs_alone(system, chunk):
    """The loop works on private copies: the caller's arrays are unchanged afterwards."""
    log_x0 = np.log(system["x0"])
    product = stack_matrix(system["trend_matrix"], system["dyn_loadings"], system["dt"])
    c0 = static_terms(system["static_loadings"], system["static_drivers"], system["dt"])
    before = (log_x0.copy(), c0.copy())
    integrate(log_x0, product, c0, np.ones(log_x0[:, 0].shape), system["n_steps"],
              fill_dynamic=filler(system["dyn"]), chunk=chunk)
    np.testing.assert_array_equal(log_x0, before[0])
    np.testing.assert_array_equal(c0, before[1])


def test_world_without_labels_gets_generic_ones():
    """The model holds no study's labels: a World given only arrays names its rows
    generically, with momentum and the four axis poles first among the drivers."""
    world = World(**{k: v for k, v in make_world().__dict__.items()
                     if k not in ("trends", "drivers", "levers", "areas", "axes")})
    assert world.trends[:2] == ("trend0", "trend1") and len(world.trends) == N_TRENDS
    assert world.drivers[:5] == ("momentum", "axis0_low", "axis0_high", "axis1_low",
                                 "axis1_high")
    assert world.axes == (("axis0_low", "axis0_high"), ("axis1_low", "axis1_high"))
    targets = Future("f", 0.25, 0.75).driver_targets(world, 0.25, 0.75)
    np.testing.assert_allclose(targets[1:5], [0.75, 0.25, 0.25, 0.75])


@pytest.mark.parametrize("rows", [[3], [0, 7, 21], [4, 4], [1, 2, 2, 9]])
def test_sparse_part_direct_rows_equal_the_scatter_product(rows):
    """A correction whose rows take one entry each is added row by row (no scatter product):
    the same bits as ``target += S @ (coef * source[:, cols])``; rows taking two entries
    keep the product."""
    from models.sparse import SparsePart

    rng = np.random.default_rng(len(rows))
    scatter = np.zeros((22, len(rows)))
    scatter[rows, np.arange(len(rows))] = 1.0
    cols = rng.integers(0, 5, len(rows))
    part = SparsePart(scatter, cols, rng.normal(size=(3, len(rows), 40)))
    assert (part.rows is not None) == (len(set(rows)) == len(rows))
    target = rng.normal(size=(3, 22, 40)) + 2.0
    source = rng.normal(size=(3, 5, 40))
    expected = target + np.matmul(scatter, part.coef * source[:, cols])
    part.add(target, source)
    assert np.array_equal(target, expected)

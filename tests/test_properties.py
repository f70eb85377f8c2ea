"""Property tests of the KSIM kernel: bounds, finiteness and determinism for random systems."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models.dynamics import LOG_FLOOR, ksim_step, stack_matrix, static_terms
from models.integrator import integrate

#: The bound on any impact that the configuration validation accepts.
MAX_IMPACT = 5.0
DTS = (1.0 / 12.0, 0.25, 1.0)

PROFILE = settings(max_examples=50, deadline=None)


def floats(low, high):
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def systems(draw, bound=MAX_IMPACT, dts=DTS, max_steps=120):
    """A random system for :func:`integrate`, with every input drawn by hypothesis."""
    n_fut = draw(st.integers(1, 2))
    n = draw(st.integers(1, 4))
    n_dyn = draw(st.integers(0, 2))
    n_static = draw(st.integers(0, 2))
    n_mem = draw(st.integers(1, 4))
    impact = floats(-bound, bound)
    unit = floats(0.0, 1.0)
    return {
        "x0": draw(hnp.arrays(np.float64, (n_fut, n, n_mem), elements=floats(0.01, 0.99))),
        "trend_matrix": draw(hnp.arrays(np.float64, (n_fut, n, n), elements=impact)),
        "dyn_loadings": draw(hnp.arrays(np.float64, (n_fut, n, n_dyn), elements=impact)),
        "static_loadings": draw(hnp.arrays(np.float64, (n_fut, n, n_static, n_mem),
                                           elements=impact)),
        "static_drivers": draw(hnp.arrays(np.float64, (n_fut, n_static, n_mem), elements=unit)),
        # dynamic drivers: a target per future/member reached along a ramp of some steps
        "dyn_target": draw(hnp.arrays(np.float64, (n_fut, n_dyn, n_mem), elements=unit)),
        "ramp_steps": draw(st.integers(1, 60)),
        "strength": draw(hnp.arrays(np.float64, (n_fut, n_mem), elements=floats(0.0, 2.0))),
        "dt": draw(st.sampled_from(dts)),
        "n_steps": draw(st.integers(0, max_steps)),
    }


def run_system(s, **kwargs):
    """Integrate a :func:`systems` draw; return levels and the phi of every step."""
    product = stack_matrix(s["trend_matrix"], s["dyn_loadings"], s["dt"])
    c0 = static_terms(s["static_loadings"], s["static_drivers"], s["dt"])
    ramp = np.minimum(np.arange(s["n_steps"] + 1) / s["ramp_steps"], 1.0)

    def fill(step, members, out):
        out[...] = s["dyn_target"][:, :, members] * ramp[step]

    levels, _ = integrate(np.log(s["x0"]), product, c0, s["strength"], s["n_steps"],
                          fill_dynamic=fill, **kwargs)
    return levels, product, c0, ramp


def phis(s, levels, product, c0, ramp):
    """phi = braking / pushing sums of every step, from the stored levels."""
    n = levels.shape[2]
    x = levels[:, :-1]  # (F, T-1, n, M)
    trends = x * s["strength"][:, None, None, :]
    dyn = s["dyn_target"][:, None] * ramp[None, :-1, None, None]  # (F, T-1, K, M)
    impactors = np.concatenate([trends, dyn], axis=2)
    sums = np.einsum("frc,ftcm->ftrm", product, impactors) + c0[:, None]
    return sums[:, :, n:] / sums[:, :, :n]


@PROFILE
@given(systems())
def test_levels_finite_and_strictly_inside_unit_interval(s):
    """Levels of any system stay finite and inside (0, 1); every phi is positive."""
    levels, product, c0, ramp = run_system(s, out_dtype=np.float64)
    assert levels.shape == (s["x0"].shape[0], s["n_steps"] + 1) + s["x0"].shape[1:]
    assert np.all(np.isfinite(levels))
    assert np.all(levels > 0.0) and np.all(levels < 1.0)
    assert np.all(np.isfinite(np.log(levels)))
    assert np.all(np.log(levels) < 0.0)
    if s["n_steps"]:
        phi = phis(s, levels, product, c0, ramp)
        assert np.all(np.isfinite(phi)) and np.all(phi > 0.0)


@PROFILE
@given(systems())
def test_float32_levels_strictly_inside_unit_interval(s):
    """Stored in float32, levels still lie strictly inside (0, 1) and are never NaN."""
    levels, *_ = run_system(s, out_dtype=np.float32)
    assert levels.dtype == np.float32
    assert not np.any(np.isnan(levels))
    assert np.all(levels > np.float32(0)) and np.all(levels < np.float32(1))


@PROFILE
@given(systems())
def test_integrate_is_deterministic(s):
    """Two calls with identical inputs give identical levels."""
    a, *_ = run_system(s)
    b, *_ = run_system(s)
    np.testing.assert_array_equal(a, b)


@PROFILE
@given(systems(bound=2.0, dts=(1.0 / 12.0, 0.25), max_steps=24))
def test_integrate_matches_repeated_ksim_step(s):
    """Where float64 can represent the levels, integrate equals repeated ksim_step."""
    levels, *_ = run_system(s)
    n_fut, _n, n_mem = s["x0"].shape
    ramp = np.minimum(np.arange(s["n_steps"] + 1) / s["ramp_steps"], 1.0)
    for f in range(n_fut):
        for m in range(n_mem):
            matrix = np.concatenate([s["strength"][f, m] * s["trend_matrix"][f],
                                     s["dyn_loadings"][f], s["static_loadings"][f, :, :, m]],
                                    axis=1)
            x = s["x0"][f, :, m]
            for step in range(s["n_steps"]):
                drivers = np.concatenate([s["dyn_target"][f, :, m] * ramp[step],
                                          s["static_drivers"][f, :, m]])
                x = np.maximum(ksim_step(x, matrix, drivers, s["dt"]), np.exp(LOG_FLOOR))
                got = levels[f, step + 1, :, m]
                normal = x < 1.0 - 1e-9  # no rounding to 1
                np.testing.assert_allclose(got[normal], x[normal], rtol=1e-9)


@st.composite
def ksim_inputs(draw):
    """A state in (0, 1), a moderate matrix, drivers in [0, 1] and a short step."""
    n = draw(st.integers(1, 6))
    k = draw(st.integers(0, 3))
    x = draw(hnp.arrays(np.float64, n, elements=floats(0.01, 0.99)))
    matrix = draw(hnp.arrays(np.float64, (n, n + k), elements=floats(-2.0, 2.0)))
    drivers = draw(hnp.arrays(np.float64, k, elements=floats(0.0, 1.0)))
    dt = draw(st.sampled_from((1.0 / 12.0, 0.125, 0.25)))
    return x, matrix, drivers, dt


@PROFILE
@given(ksim_inputs())
def test_ksim_step_stays_strictly_inside_unit_interval(inputs):
    """One step maps (0, 1) into (0, 1) exactly, with the direction phi dictates."""
    x, matrix, drivers, dt = inputs
    new = ksim_step(x, matrix, drivers, dt)
    assert np.all(np.isfinite(new))
    assert np.all(new > 0.0) and np.all(new < 1.0)
    z = np.concatenate([x, drivers])
    push = dt * np.maximum(matrix, 0.0) @ z
    brake = dt * np.maximum(-matrix, 0.0) @ z
    phi = (1.0 + brake) / (1.0 + push)
    assert np.all(phi > 0.0)
    np.testing.assert_allclose(new, x ** phi, rtol=1e-13)
    assert np.all(new[phi < 1.0] >= x[phi < 1.0])  # pushed: rises (or stays, by rounding)
    assert np.all(new[phi > 1.0] <= x[phi > 1.0])  # braked: falls

"""The Sobol estimator against the Ishigami function's analytic indices, and its intervals."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.analysis.sensitivity.sobol import saltelli_design, sobol_indices

#: Ishigami (a=7, b=0.1) analytic indices (Ishigami & Homma 1990; Sobol' & Levitan 1999).
A, B = 7.0, 0.1
VAR = A ** 2 / 8 + B * np.pi ** 4 / 5 + B ** 2 * np.pi ** 8 / 18 + 0.5
V1 = 0.5 * (1 + B * np.pi ** 4 / 5) ** 2
V2 = A ** 2 / 8
V13 = B ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
S1_TRUE = np.array([V1, V2, 0.0]) / VAR
ST_TRUE = np.array([V1 + V13, V2, V13]) / VAR


def ishigami(unit: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * unit
    return np.sin(x[..., 0]) + A * np.sin(x[..., 1]) ** 2 + \
        B * x[..., 2] ** 4 * np.sin(x[..., 0])


def indices_for(n: int, seed: int, bootstrap: int = 500):
    rng = np.random.default_rng(seed)
    y = ishigami(saltelli_design(n, 3, rng=rng))
    return sobol_indices(y[0], y[1], y[2:], bootstrap=bootstrap, confidence=0.95, rng=rng)


def test_analytic_values_are_the_published_ones():
    np.testing.assert_allclose(S1_TRUE, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(ST_TRUE, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_ishigami_indices_within_their_intervals_and_tolerance():
    res = indices_for(8192, seed=11)
    np.testing.assert_allclose(res.S1, S1_TRUE, atol=0.02)
    np.testing.assert_allclose(res.ST, ST_TRUE, atol=0.02)
    assert np.all(res.S1_low <= S1_TRUE) and np.all(S1_TRUE <= res.S1_high)
    assert np.all(res.ST_low <= ST_TRUE) and np.all(ST_TRUE <= res.ST_high)
    # the intervals are informative: narrower than 0.1 at n = 8192
    assert np.all(res.S1_high - res.S1_low < 0.1)
    assert np.all(res.ST_high - res.ST_low < 0.1)


def test_interval_coverage_over_independent_replicates():
    """95% intervals cover the truth in most of 24 replicates (n = 512 each)."""
    covered_s1, covered_st = np.zeros(3), np.zeros(3)
    reps = 24
    for seed in range(reps):
        res = indices_for(512, seed=100 + seed, bootstrap=300)
        covered_s1 += (res.S1_low <= S1_TRUE) & (S1_TRUE <= res.S1_high)
        covered_st += (res.ST_low <= ST_TRUE) & (ST_TRUE <= res.ST_high)
    # Binomial(24, 0.95) falls below 19 with probability < 0.01; QMC rows make the
    # bootstrap (which assumes independent rows) conservative rather than narrow.
    assert np.all(covered_s1 >= 19), covered_s1
    assert np.all(covered_st >= 19), covered_st


def test_intervals_shrink_with_more_samples():
    small, large = indices_for(512, seed=3), indices_for(8192, seed=3)
    width_small = small.ST_high - small.ST_low
    width_large = large.ST_high - large.ST_low
    # 16x the samples: about 4x narrower (bootstrap width ~ 1/sqrt(n))
    assert np.all(width_large < width_small / 2.5)


def test_vectorised_over_outputs_matches_one_at_a_time():
    rng = np.random.default_rng(5)
    unit = saltelli_design(1024, 3, rng=rng)
    y = np.stack([ishigami(unit), 2.0 * ishigami(unit) + 3.0, unit[..., 1]], axis=-2)
    y = np.stack([y, y[..., ::-1, :]], axis=-3)  # outputs (2, 3), rows last
    res = sobol_indices(y[0], y[1], y[2:], bootstrap=50, confidence=0.9,
                        rng=np.random.default_rng(0))
    assert res.S1.shape == (3, 2, 3)
    one = sobol_indices(y[0, 1, 0], y[1, 1, 0], y[2:, 1, 0], bootstrap=50, confidence=0.9,
                        rng=np.random.default_rng(0))
    np.testing.assert_allclose(res.S1[:, 1, 0], one.S1)
    np.testing.assert_allclose(res.ST[:, 1, 0], one.ST)
    # an affine map of the output leaves the indices unchanged
    np.testing.assert_allclose(res.S1[:, 0, 0], res.S1[:, 0, 1], atol=1e-12)
    # y = x2 alone: S1 = ST = 1 for x2, 0 for the others
    np.testing.assert_allclose(res.ST[:, 0, 2], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(res.S1[:, 0, 2], [0, 1, 0], atol=0.02)


def test_constant_output_gives_nan_not_a_warning():
    y = np.ones((5, 64))  # A, B and three A_B matrices of a constant model
    res = sobol_indices(y[0], y[1], y[2:], bootstrap=10, confidence=0.9,
                        rng=np.random.default_rng(0))
    assert np.isnan(res.S1).all() and np.isnan(res.ST_high).all()
    assert res.variance == 0


def test_same_seed_same_indices_and_bad_arguments():
    a, b = indices_for(256, seed=9, bootstrap=100), indices_for(256, seed=9, bootstrap=100)
    np.testing.assert_array_equal(a.ST_low, b.ST_low)
    with pytest.raises(ValueError, match=r"n\(=100\) must be a power of two"):
        saltelli_design(100, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="confidence"):
        sobol_indices(np.ones(4), np.ones(4), np.ones((1, 4)), bootstrap=5, confidence=1.0,
                      rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="shapes do not match"):
        sobol_indices(np.ones(4), np.ones(5), np.ones((1, 4)), bootstrap=5, confidence=0.9,
                      rng=np.random.default_rng(0))


def test_docstring_examples_run():
    import doctest

    import scenarios.analysis.sensitivity.sobol

    result = doctest.testmod(scenarios.analysis.sensitivity.sobol)
    assert result.attempted >= 3 and result.failed == 0

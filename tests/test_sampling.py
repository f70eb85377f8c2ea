"""Unit tests of the quasi-Monte Carlo designs and the uncertain-parameter distributions."""

from __future__ import annotations

import numpy as np
import pytest

from models.sampling import DESIGNS, Uncertainty, sample, unit_design


@pytest.fixture
def rng():
    """A seeded generator."""
    return np.random.default_rng(2021)


@pytest.fixture
def uncertainties():
    """Three parameters of different shapes."""
    return [Uncertainty("a", 0.0, 10.0, nominal=5.0),
            Uncertainty("b", -0.1, 0.2, nominal=0.5, relative=True),
            Uncertainty("c", 1.0, 3.0, nominal=1.5, distribution="triangular")]


def strata(points, n):
    """Stratum index ``floor(n * u)`` of every point and dimension."""
    return np.floor(points * n).astype(int)


# --------------------------------------------------------------------------- unit_design


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("n,d", [(1, 1), (8, 3), (64, 12)])
def test_unit_design_shape_and_range(design, n, d, rng):
    """n points in the d-dimensional unit cube."""
    points = unit_design(n, d, design, rng=rng)
    assert points.shape == (n, d)
    assert np.all(points >= 0.0) and np.all(points < 1.0)


@pytest.mark.parametrize("design", DESIGNS)
def test_unit_design_zero_dimensions(design, rng):
    """No uncertain parameters gives an (n, 0) array."""
    assert unit_design(8, 0, design, rng=rng).shape == (8, 0)


@pytest.mark.parametrize("n", [1, 7, 10, 100])
def test_latin_hypercube_one_point_per_stratum(n, rng):
    """Every column has exactly one point in each [k/n, (k+1)/n)."""
    points = unit_design(n, 5, "latin_hypercube", rng=rng)
    for column in strata(points, n).T:
        np.testing.assert_array_equal(np.sort(column), np.arange(n))


@pytest.mark.parametrize("n", [2, 16, 128])
def test_sobol_one_point_per_stratum(n, rng):
    """A power-of-two scrambled Sobol design is also stratified in each dimension."""
    points = unit_design(n, 4, "sobol", rng=rng)
    for column in strata(points, n).T:
        np.testing.assert_array_equal(np.sort(column), np.arange(n))


@pytest.mark.parametrize("n", [3, 12, 100])
def test_sobol_requires_power_of_two(n, rng):
    """A Sobol design of other sizes is refused."""
    with pytest.raises(ValueError, match=f"sobol design needs a power of two members, got {n}"):
        unit_design(n, 2, "sobol", rng=rng)


@pytest.mark.parametrize("n", [0, -4])
def test_unit_design_needs_points(n, rng):
    """n must be positive."""
    with pytest.raises(ValueError, match=rf"n\(={n}\) must be > 0"):
        unit_design(n, 2, "latin_hypercube", rng=rng)


def test_unknown_design(rng):
    """An unknown design is refused with the list of known ones."""
    with pytest.raises(ValueError, match=r"design 'halton' not found; expected one of "
                                         r"\['latin_hypercube', 'sobol'\]"):
        unit_design(8, 2, "halton", rng=rng)


@pytest.mark.parametrize("design", DESIGNS)
def test_same_seed_same_draws(design):
    """Identical seeds give identical designs."""
    a = unit_design(16, 3, design, rng=np.random.default_rng(5))
    b = unit_design(16, 3, design, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("design", DESIGNS)
def test_different_seed_different_draws(design):
    """Different seeds give different designs."""
    a = unit_design(16, 3, design, rng=np.random.default_rng(5))
    b = unit_design(16, 3, design, rng=np.random.default_rng(6))
    assert not np.any(a == b)


def test_generator_state_advances(rng):
    """Two draws from one generator differ (randomness comes from the generator passed in)."""
    a = unit_design(16, 3, "latin_hypercube", rng=rng)
    b = unit_design(16, 3, "latin_hypercube", rng=rng)
    assert not np.array_equal(a, b)


# --------------------------------------------------------------------------- sample


@pytest.mark.parametrize("design", DESIGNS)
def test_sample_names_shapes_and_bounds(design, uncertainties, rng):
    """One array of n values per parameter, in order, inside each parameter's bounds."""
    draws = sample(uncertainties, 32, design, rng=rng)
    assert list(draws) == ["a", "b", "c"]
    for u in uncertainties:
        low, high = u.bounds
        assert draws[u.name].shape == (32,)
        assert np.all(draws[u.name] >= low) and np.all(draws[u.name] <= high)
    # a Latin hypercube / Sobol draw of a uniform parameter is stratified on its range
    np.testing.assert_array_equal(np.sort(np.floor(draws["a"] / 10.0 * 32)), np.arange(32))


def test_sample_reproducible(uncertainties):
    """Same seed, same members; different seed, different members."""
    a = sample(uncertainties, 16, "sobol", rng=np.random.default_rng(1))
    b = sample(uncertainties, 16, "sobol", rng=np.random.default_rng(1))
    c = sample(uncertainties, 16, "sobol", rng=np.random.default_rng(2))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])


def test_sample_nothing_uncertain(rng):
    """No uncertainties give no parameters."""
    assert sample([], 4, "latin_hypercube", rng=rng) == {}


# --------------------------------------------------------------------------- Uncertainty


def test_uniform_ppf_maps_ends_to_range():
    """0 maps to low, 1 to high, 0.5 to the middle."""
    u = Uncertainty("p", 0.25, 2.25, nominal=1.0)
    np.testing.assert_allclose(u.ppf(np.array([0.0, 0.5, 1.0])), [0.25, 1.25, 2.25],
                               rtol=1e-15)
    assert u.bounds == (0.25, 2.25)


def test_relative_adds_nominal():
    """A relative range is an offset from the nominal value."""
    u = Uncertainty("p", -0.1, 0.2, nominal=0.5, relative=True)
    np.testing.assert_allclose(u.ppf(np.array([0.0, 1.0])), [0.4, 0.7], rtol=1e-15)
    assert u.bounds == pytest.approx((0.4, 0.7), rel=1e-15)
    assert u.mode == 0.0
    absolute = Uncertainty("p", -0.1, 0.2, nominal=0.5)
    np.testing.assert_allclose(absolute.ppf(np.array([0.0, 1.0])), [-0.1, 0.2], rtol=1e-15)


def test_triangular_mode_at_nominal():
    """A triangular distribution peaks at the nominal value and spans [low, high]."""
    u = Uncertainty("p", 1.0, 3.0, nominal=1.5, distribution="triangular")
    # CDF at the mode is (mode - low) / (high - low) = 0.25
    np.testing.assert_allclose(u.ppf(np.array([0.0, 0.25, 1.0])), [1.0, 1.5, 3.0], rtol=1e-12)
    # the draws' density is highest next to the mode
    values = u.ppf((np.arange(4000) + 0.5) / 4000)
    counts, edges = np.histogram(values, bins=8, range=(1.0, 3.0))
    assert edges[np.argmax(counts)] <= 1.5 < edges[np.argmax(counts) + 1]


def test_triangular_relative_mode_at_nominal():
    """A relative triangular distribution has its mode at the nominal value."""
    u = Uncertainty("p", -0.2, 0.4, nominal=0.5, distribution="triangular", relative=True)
    np.testing.assert_allclose(u.ppf(np.array([0.0, 1.0 / 3.0, 1.0])), [0.3, 0.5, 0.9],
                               rtol=1e-12)


def test_triangular_symmetric_median():
    """A triangular distribution with a centred mode has its median there."""
    u = Uncertainty("p", 0.0, 2.0, nominal=1.0, distribution="triangular")
    assert u.ppf(np.array([0.5]))[0] == pytest.approx(1.0, rel=1e-12)
    assert u.ppf(np.array([0.125]))[0] == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize("low,high", [(1.0, 1.0), (2.0, 1.0)])
def test_empty_range_is_refused(low, high):
    """low must be below high."""
    with pytest.raises(ValueError, match=rf"p: low\(={low}\) must be < high\(={high}\)"):
        Uncertainty("p", low, high, nominal=1.0)


def test_unknown_distribution_is_refused():
    """Only the known distribution shapes are accepted."""
    with pytest.raises(ValueError, match=r"p: distribution 'normal' not found; expected one of "
                                         r"\['uniform', 'triangular'\]"):
        Uncertainty("p", 0.0, 1.0, nominal=0.5, distribution="normal")


def test_triangular_mode_outside_range_is_refused():
    """A triangular nominal outside [low, high] is refused."""
    with pytest.raises(ValueError, match=r"p: a triangular mode\(=2.0\) must lie in \[0.0, 1.0\]"):
        Uncertainty("p", 0.0, 1.0, nominal=2.0, distribution="triangular")


def test_relative_triangular_range_must_contain_zero():
    """A relative triangular range must contain the zero offset (the nominal)."""
    with pytest.raises(ValueError, match=r"p: a triangular mode\(=0.0\) must lie in \[0.1, 0.3\]"):
        Uncertainty("p", 0.1, 0.3, nominal=0.5, distribution="triangular", relative=True)

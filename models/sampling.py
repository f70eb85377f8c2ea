"""Sampling uncertain parameters with quasi-Monte Carlo designs (``scipy.stats.qmc``).

An ensemble member is one draw of every uncertain parameter. Draws come from a Latin
hypercube (the default) or a scrambled Sobol sequence over the unit cube, mapped through
each parameter's distribution (its inverse CDF). All randomness comes from the one
``np.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Sampling designs by name; the error for an unknown name lists these keys.
DESIGNS = ("latin_hypercube", "sobol")
#: Distribution shapes by name.
DISTRIBUTIONS = ("uniform", "triangular")


@dataclass(frozen=True)
class Uncertainty:
    """One uncertain parameter: a name, a range and a distribution shape.

    Parameters
    ----------
    name : str
        Parameter name, e.g. ``"initial.<trend label>"``.
    low, high : float
        Range of the draws, ``low < high``; offsets from ``nominal`` if ``relative``.
    nominal : float
        The value used when the parameter is not sampled.
    distribution : str
        ``"uniform"`` on [low, high], or ``"triangular"`` with its mode at the nominal value.
    relative : bool
        If true, a draw is ``nominal + offset`` with the offset in [low, high], so the range
        follows the nominal value when a user changes it.
    """

    name: str
    low: float
    high: float
    nominal: float
    distribution: str = "uniform"
    relative: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"{self.name}: low(={self.low}) must be < high(={self.high})")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"{self.name}: distribution {self.distribution!r} not found; "
                             f"expected one of {list(DISTRIBUTIONS)}")
        if self.distribution == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"{self.name}: a triangular mode(={self.mode}) must lie in "
                             f"[{self.low}, {self.high}]")

    @property
    def mode(self) -> float:
        """The nominal value on the scale of ``low`` and ``high``."""
        return 0.0 if self.relative else self.nominal

    @property
    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        shift = self.nominal if self.relative else 0.0
        return shift + self.low, shift + self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval draws to parameter values."""
        width = self.high - self.low
        shift = self.nominal if self.relative else 0.0
        if self.distribution == "uniform":
            return shift + self.low + u * width
        mode = (self.mode - self.low) / width
        return shift + triangular_ppf(u, mode) * width + self.low


def unit_design(n: int, d: int, design: str, *, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` points in the ``d``-dimensional unit cube.

    Parameters
    ----------
    n : int
        Number of points (> 0). For ``"sobol"`` a power of two, so the design keeps its
        balance properties.
    d : int
        Dimensions (>= 0); ``d == 0`` gives an ``(n, 0)`` array.
    design : str
        One of :data:`DESIGNS`.
    rng : numpy.random.Generator
        Source of the scrambling and permutations.

    Returns
    -------
    ndarray, shape (n, d)
    """
    if n <= 0:
        raise ValueError(f"n(={n}) must be > 0")
    if design not in DESIGNS:
        raise ValueError(f"design {design!r} not found; expected one of {list(DESIGNS)}")
    if d == 0:
        return np.empty((n, 0))
    if design == "latin_hypercube":
        return latin_hypercube(n, d, rng=rng)
    if n & (n - 1):
        raise ValueError(f"sobol design needs a power of two members, got {n}")
    from scipy.stats import qmc  # 0.5-1 s of imports: only where a Sobol design is drawn

    return qmc.Sobol(d, scramble=True, rng=rng).random_base2(int(np.log2(n)))


# ``scipy.stats`` costs 0.5-1 s to import, more than a default run's simulation; the two
# pieces a run needs are written out here with scipy's arithmetic, step for step, so that
# they give the same bits (tests/test_speed.py compares them with scipy).

def triangular_ppf(u: np.ndarray, c: float) -> np.ndarray:
    """Quantile function of the standard triangular distribution on [0, 1] with mode ``c``
    (``scipy.stats.triang(c).ppf``, same arithmetic)."""
    u = np.asarray(u, dtype=float)
    return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u)))


def latin_hypercube(n: int, d: int, *, rng: np.random.Generator) -> np.ndarray:
    """``scipy.stats.qmc.LatinHypercube(d, rng=rng).random(n)`` (scrambled, strength 1,
    no optimisation): the same draws from the same child generator of ``rng``."""
    bit_generator = rng.bit_generator
    (child,) = bit_generator.seed_seq.spawn(1)  # type: ignore[attr-defined]
    gen = np.random.Generator(type(bit_generator)(child))
    samples = gen.uniform(size=(n, d))
    perms = np.tile(np.arange(1, n + 1), (d, 1))
    for i in range(d):
        gen.shuffle(perms[i, :])
    return (perms.T - samples) / n


def sample(uncertainties: list[Uncertainty], n: int, design: str, *,
           rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw ``n`` members of every uncertain parameter.

    Returns
    -------
    dict of str to ndarray, shape (n,)
        Values per parameter name, in the order of ``uncertainties``.
    """
    unit = unit_design(n, len(uncertainties), design, rng=rng)
    return {u.name: u.ppf(unit[:, k]) for k, u in enumerate(uncertainties)}

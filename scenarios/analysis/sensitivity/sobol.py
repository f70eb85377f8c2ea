r"""Sobol variance-based sensitivity indices, vectorised over many outputs at once.

For a model :math:`Y = f(X_1, \dots, X_d)` with independent inputs, the first-order index
:math:`S_i = V[E(Y|X_i)] / V(Y)` is the share of the output variance that :math:`X_i` explains
alone, and the total-order index :math:`S_{Ti} = E[V(Y|X_{\sim i})] / V(Y)` the share it takes
part in, interactions included (Sobol' 1993, Homma & Saltelli 1996).

Design (Saltelli 2002; Saltelli et al. 2010, "Variance based sensitivity analysis of model
output", Comput. Phys. Commun. 181: 259-270): two independent :math:`n \times d` matrices
:math:`A` and :math:`B` (the two halves of one scrambled Sobol sequence in :math:`2d`
dimensions), and for every input :math:`i` the matrix :math:`A_B^{(i)}`: :math:`A` with column
:math:`i` taken from :math:`B`. That is :math:`n (d + 2)` model runs. Estimators (Saltelli 2010,
table 2, (b) and (f)):

.. math::

    V_i \approx \frac1n \sum_j f(B)_j \,\big(f(A_B^{(i)})_j - f(A)_j\big), \qquad
    V_{Ti} \approx \frac1{2n} \sum_j \big(f(A)_j - f(A_B^{(i)})_j\big)^2 \quad \text{(Jansen)}

with :math:`V(Y)` from the :math:`2n` runs of :math:`A` and :math:`B`. Outputs are centred on
their mean first, which leaves the estimators' expectations unchanged and removes the noise a
large mean adds to :math:`V_i`.

Confidence intervals: a percentile bootstrap over the :math:`n` rows (a row is one
:math:`(A_j, B_j, A_B^{(\cdot)}_j)` tuple, resampled together). Every estimator above is a
ratio of row means, so one bootstrap replicate of all of them is a weighted mean with the
replicate's multinomial row counts: all replicates of all outputs are one matrix product
``counts @ terms``, done in column blocks to bound memory. (``scipy.stats.sobol_indices``'
``bootstrap()`` uses BCa intervals, whose jackknife needs O(n^2) memory.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

#: Bytes the bootstrap may hold at once for its replicate means (per column block).
BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Indices:
    """Sobol indices with percentile-bootstrap confidence bounds.

    Every array has shape ``(d, *outputs)``: one row per input, then the output dims.

    Attributes
    ----------
    S1, ST : ndarray
        First-order and total-order indices (NaN where the output has no variance).
    S1_low, S1_high, ST_low, ST_high : ndarray
        Bounds of the ``confidence`` percentile-bootstrap interval.
    variance, mean : ndarray, shape ``outputs``
        Variance and mean of the output over the ``2n`` runs of ``A`` and ``B``.
    """

    S1: np.ndarray
    ST: np.ndarray
    S1_low: np.ndarray
    S1_high: np.ndarray
    ST_low: np.ndarray
    ST_high: np.ndarray
    variance: np.ndarray
    mean: np.ndarray


def saltelli_design(n: int, d: int, *, rng: np.random.Generator) -> np.ndarray:
    """Unit-cube points for the Saltelli design: ``A``, ``B`` and every ``A_B^(i)``.

    Parameters
    ----------
    n : int
        Base samples, a power of two (>= 2), so the Sobol sequence keeps its balance.
    d : int
        Number of inputs (>= 1).
    rng : numpy.random.Generator
        Source of the scrambling.

    Returns
    -------
    ndarray, shape (d + 2, n, d)
        ``[A, B, A_B^(1), ..., A_B^(d)]`` in [0, 1).

    Examples
    --------
    >>> design = saltelli_design(8, 3, rng=np.random.default_rng(0))
    >>> design.shape
    (5, 8, 3)
    >>> bool((design[2][:, 1:] == design[0][:, 1:]).all())
    True
    """
    if n < 2 or n & (n - 1):
        raise ValueError(f"n(={n}) must be a power of two >= 2")
    if d < 1:
        raise ValueError(f"d(={d}) must be >= 1")
    points = qmc.Sobol(2 * d, scramble=True, rng=rng).random_base2(int(np.log2(n)))
    a, b = points[:, :d], points[:, d:]
    out = np.empty((d + 2, n, d))
    out[0], out[1] = a, b
    for i in range(d):
        out[2 + i] = a
        out[2 + i][:, i] = b[:, i]
    return out


def _terms(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """Per-row terms whose means give every estimator: shape (n, K, 2 d + 2)."""
    d = f_ab.shape[0]
    n, k = f_a.shape[-1], f_a.shape[0]
    out = np.empty((n, k, 2 * d + 2))
    out[:, :, 0] = ((f_a + f_b) / 2).T
    out[:, :, 1] = ((f_a ** 2 + f_b ** 2) / 2).T
    out[:, :, 2:2 + d] = (f_b[None] * (f_ab - f_a[None])).transpose(2, 1, 0)
    out[:, :, 2 + d:] = (0.5 * (f_a[None] - f_ab) ** 2).transpose(2, 1, 0)
    return out


def _ratios(means: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From means of the terms (..., 2 d + 2) to S1, ST (..., d) and the variance (...)."""
    variance = means[..., 1] - means[..., 0] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(variance > 0, variance, np.nan)[..., None]
        return means[..., 2:2 + d] / safe, means[..., 2 + d:] / safe, variance


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, *, bootstrap: int,
                  confidence: float, rng: np.random.Generator) -> Indices:
    """First- and total-order Sobol indices of many outputs, with bootstrap intervals.

    Parameters
    ----------
    f_a, f_b : ndarray, shape (*outputs, n)
        Model outputs for the rows of ``A`` and ``B``; the last axis is the sample row.
    f_ab : ndarray, shape (d, *outputs, n)
        Model outputs for ``A_B^(i)``, one slab per input.
    bootstrap : int
        Bootstrap replicates (>= 1) for the percentile intervals.
    confidence : float
        Level of the intervals, in (0, 1).
    rng : numpy.random.Generator
        Source of the bootstrap resampling.

    Returns
    -------
    Indices
        Arrays of shape ``(d, *outputs)``; ``variance`` and ``mean`` of shape ``outputs``.

    Examples
    --------
    An additive model ``y = x1 + 2 x2`` on uniform inputs: S1 = ST = (1/5, 4/5).

    >>> rng = np.random.default_rng(1)
    >>> x = saltelli_design(4096, 2, rng=rng)
    >>> y = x[..., 0] + 2 * x[..., 1]
    >>> res = sobol_indices(y[0], y[1], y[2:], bootstrap=200, confidence=0.95, rng=rng)
    >>> np.round(res.ST, 2).tolist()
    [0.2, 0.8]
    """
    f_a, f_b, f_ab = (np.asarray(v, dtype=np.float64) for v in (f_a, f_b, f_ab))
    if f_a.shape != f_b.shape or f_ab.shape[1:] != f_a.shape:
        raise ValueError(f"shapes do not match: f_a {f_a.shape}, f_b {f_b.shape}, "
                         f"f_ab {f_ab.shape} (expected (d, *f_a.shape))")
    if bootstrap < 1:
        raise ValueError(f"bootstrap(={bootstrap}) must be >= 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence(={confidence}) must lie in (0, 1)")
    d, outputs, n = f_ab.shape[0], f_a.shape[:-1], f_a.shape[-1]
    k = int(np.prod(outputs, dtype=int))
    flat_a, flat_b = f_a.reshape(k, n), f_b.reshape(k, n)
    flat_ab = f_ab.reshape(d, k, n)
    centre = (flat_a.mean(axis=1) + flat_b.mean(axis=1)) / 2
    mean = centre.copy()
    flat_a, flat_b = flat_a - centre[:, None], flat_b - centre[:, None]
    flat_ab = flat_ab - centre[None, :, None]

    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=bootstrap).astype(np.float64)
    tail = (1 - confidence) / 2
    s1, st = np.empty((k, d)), np.empty((k, d))
    variance = np.empty(k)
    bounds = np.empty((4, k, d))
    per_series = (bootstrap + n) * (2 * d + 2) * 8
    step = max(1, BLOCK_BYTES // per_series)
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        terms = _terms(flat_a[lo:hi], flat_b[lo:hi], flat_ab[:, lo:hi])  # (n, block, 2d+2)
        s1[lo:hi], st[lo:hi], variance[lo:hi] = _ratios(terms.mean(axis=0), d)
        means = (counts @ terms.reshape(n, -1) / n).reshape(bootstrap, hi - lo, 2 * d + 2)
        b1, bt, _ = _ratios(means, d)  # (bootstrap, block, d)
        bounds[0:2, lo:hi] = np.quantile(b1, [tail, 1 - tail], axis=0)
        bounds[2:4, lo:hi] = np.quantile(bt, [tail, 1 - tail], axis=0)

    def shaped(values: np.ndarray) -> np.ndarray:  # (k, d) -> (d, *outputs)
        return np.ascontiguousarray(values.T).reshape((d, *outputs))

    return Indices(S1=shaped(s1), ST=shaped(st), S1_low=shaped(bounds[0]),
                   S1_high=shaped(bounds[1]), ST_low=shaped(bounds[2]),
                   ST_high=shaped(bounds[3]), variance=variance.reshape(outputs),
                   mean=mean.reshape(outputs))

r"""KSIM cross-impact dynamics, vectorised over futures and ensemble members.

The state is the level :math:`x_i \in (0, 1)` of each of the eleven trends. Per step
(J. Kane, 1972, "A primer for a new cross-impact language - KSIM"):

.. math::

    x_i(t + \Delta t) = x_i(t)^{\varphi_i(t)}, \qquad
    \varphi_i = \frac{1 + \Delta t \sum_j A^-_{ij} z_j}{1 + \Delta t \sum_j A^+_{ij} z_j}

with :math:`A^+ = \max(A, 0)` and :math:`A^- = \max(-A, 0)` (so
:math:`A^\pm = (|A| \pm A)/2`, the form in docs/model.md) and :math:`z` the impactors:
the trends themselves and the exogenous drivers, all in [0, 1]. A positive :math:`A_{ij}`
pushes trend *i* up (:math:`\varphi_i < 1`), a negative one brakes it. Because
:math:`\varphi_i > 0` and :math:`0 < x_i < 1`, :math:`x_i^{\varphi_i}` stays inside (0, 1).

In log space the update is a scaling, :math:`\ln x_i \leftarrow \varphi_i \ln x_i`, which is
how :func:`integrate` runs it: per step one ``exp`` per element and one small batched matrix
product per future. Impactors split in three kinds so that each costs only what it must:

* trends: ``strength * x`` enters the matrix product (``strength`` is a per-member scale of
  all trend-on-trend impacts);
* *dynamic* drivers whose value changes during the run (the transition towards a future's
  axis position; later events): extra rows of the matrix product, filled per step by a
  callback;
* *static* drivers (momentum, levers, the 2021 status quo): constant per member, folded once
  into ``C0`` = 1 + dt * (driver terms).

See ``docs/model.md`` for the full model and its sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Natural log of the smallest level the integration keeps (1e-12).
LOG_FLOOR = float(np.log(1e-12))

#: Callback filling the dynamic-driver rows for one step: ``fill(step, members, out)`` with
#: ``members`` a slice of the member axis and ``out`` of shape (futures, K, len(slice)).
DynamicFill = Callable[[int, slice, np.ndarray], None]


def split_signs(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a cross-impact matrix into its pushing and braking magnitudes.

    Parameters
    ----------
    matrix : ndarray
        Signed impacts ``A[..., i, j]`` of impactor *j* on trend *i*, per year.

    Returns
    -------
    positive, negative : ndarray
        ``max(A, 0)`` and ``max(-A, 0)``, both non-negative, same shape as ``matrix``.
    """
    return np.maximum(matrix, 0.0), np.maximum(-matrix, 0.0)


def ksim_step(x: np.ndarray, matrix: np.ndarray, drivers: np.ndarray, dt: float) -> np.ndarray:
    """One KSIM step in its textbook form, for reference and tests.

    Parameters
    ----------
    x : ndarray, shape (..., n)
        Trend levels in (0, 1).
    matrix : ndarray, shape (n, n + k)
        Signed impacts per year; the first *n* columns are the trends, the rest drivers.
    drivers : ndarray, shape (..., k)
        Driver levels in [0, 1].
    dt : float
        Step length in years, > 0.

    Returns
    -------
    ndarray, shape (..., n)
        ``x ** phi`` with ``phi = (1 + dt/2 sum (|A|-A) z) / (1 + dt/2 sum (|A|+A) z)``.
    """
    z = np.concatenate([x, drivers], axis=-1)
    absm = np.abs(matrix)
    num = 1.0 + dt / 2.0 * z @ (absm - matrix).T
    den = 1.0 + dt / 2.0 * z @ (absm + matrix).T
    return x ** (num / den)


def stack_matrix(trend_matrix: np.ndarray, dynamic_loadings: np.ndarray, dt: float) -> np.ndarray:
    """Build the per-step product matrix of :func:`integrate`.

    Parameters
    ----------
    trend_matrix : ndarray, shape (F, n, n)
        Signed trend-on-trend impacts per year, per future.
    dynamic_loadings : ndarray, shape (F, n, K)
        Signed loadings of the dynamic drivers per year, per future.
    dt : float
        Step length in years.

    Returns
    -------
    ndarray, shape (F, 2n, n + K)
        ``dt * [[A+], [A-]]``: rows 0..n-1 give the pushing sums, rows n..2n-1 the braking sums.
    """
    full = np.concatenate([trend_matrix, dynamic_loadings], axis=-1)
    pos, neg = split_signs(full)
    return dt * np.concatenate([pos, neg], axis=-2)


def static_terms(static_loadings: np.ndarray, static_drivers: np.ndarray, dt: float) -> np.ndarray:
    """Fold constant drivers into ``C0 = 1 + dt * [A+ d; A- d]``.

    Parameters
    ----------
    static_loadings : ndarray, shape (F, n, k, M) or (F, n, k, 1)
        Signed loadings per year of the static drivers; may differ per member.
    static_drivers : ndarray, shape (F, k, M) or (F, k, 1)
        Values in [0, 1] of the static drivers per future and member.
    dt : float
        Step length in years.

    Returns
    -------
    ndarray, shape (F, 2n, M)
    """
    pos, neg = split_signs(static_loadings)
    d = static_drivers[:, None, :, :]
    push = (pos * d).sum(axis=2)
    brake = (neg * d).sum(axis=2)
    return 1.0 + dt * np.concatenate([push, brake], axis=1)


@dataclass(frozen=True)
class Readout:
    """Linear indices read off the state at every time point: ``T x + D dyn - base``.

    With ``base=None`` the indices are measured from their own value at the first time
    point, so they start at exactly 0.

    Attributes
    ----------
    trend_weights : ndarray, shape (F, a, n)
    driver_weights : ndarray, shape (F, a, K)
        Weights of the dynamic-driver rows (as filled by the callback).
    base : ndarray, shape (F, a, M), optional
        Subtracted per member; ``None`` subtracts the value at the first time point.
    """

    trend_weights: np.ndarray
    driver_weights: np.ndarray
    base: np.ndarray | None = None


@dataclass(frozen=True)
class Ramped:
    """Dynamic drivers of the form ``d(t) = g(t) * delta``: a per-member ramp times a fixed
    change. Their part of the step, ``P_dyn @ d``, becomes ``g(t) * (P_dyn @ delta)`` with
    the product taken once per block instead of every step. With ``groups`` the columns
    fall into G groups with a ramp each (levers that act with a lag, :mod:`models.levers`):
    ``sum_g g_g(t) * (P_dyn @ delta_g)``, one product per group.

    Attributes
    ----------
    delta : ndarray, shape (F, K, M)
        Full change of each dynamic driver per future and member.
    ramp : callable
        ``ramp(step, members)`` gives the fraction reached, shape (F, len(members)), or
        (F, G, len(members)) with ``groups``.
    groups : ndarray of int, shape (K,), optional
        Ramp group of each column, in ``range(G)``; ``None`` = one group.
    """

    delta: np.ndarray
    ramp: Callable[[int, slice], np.ndarray]
    groups: np.ndarray | None = None


@dataclass(frozen=True)
class Sparse:
    r"""Per-member corrections of a few matrix entries: ``target[:, rows[e]] += coef[:, e] *
    source[:, cols[e]]`` summed over the entries ``e``.

    How per-member matrices enter the kernel (sampled structural entries, docs/model.md):
    the shared matrix product stays one batched matmul per future, and each sampled entry
    adds its member's deviation from the nominal value, ``(A_m - A) z``, for the one row and
    column it sits in. The sum over entries is one small matmul with the 0/1 scatter matrix
    ``S[r, e] = [rows[e] == r]``: ``target += S @ (coef * source[:, cols])``.

    Attributes
    ----------
    rows : ndarray of int, shape (E,)
        Row of ``target`` each entry adds to.
    cols : ndarray of int, shape (E,)
        Row of ``source`` each entry reads.
    coef : ndarray, shape (F, E, M)
        Per future and member, the deviation of the entry (already scaled like the matrix
        it corrects, e.g. by ``dt``).
    n_rows : int
        Rows of ``target``.
    """

    rows: np.ndarray
    cols: np.ndarray
    coef: np.ndarray
    n_rows: int

    def scatter(self) -> np.ndarray:
        """The scatter matrix ``S``, shape (n_rows, E)."""
        out = np.zeros((self.n_rows, len(self.rows)))
        out[self.rows, np.arange(len(self.rows))] = 1.0
        return out

    def dense(self) -> np.ndarray:
        """The corrections as per-member matrices, shape (F, M, n_rows, n_cols): the
        reference form of the tests (``n_cols`` = largest column + 1)."""
        n_fut, _, n_mem = self.coef.shape
        out = np.zeros((n_fut, n_mem, self.n_rows, int(self.cols.max(initial=-1)) + 1))
        for e, (r, c) in enumerate(zip(self.rows, self.cols)):
            out[:, :, r, c] += self.coef[:, e, :]
        return out


@dataclass(frozen=True)
class Structural:
    """The sampled structural entries of one run, as :class:`Sparse` corrections.

    Attributes
    ----------
    trend : Sparse, optional
        Onto the step sums (2n rows: push, then brake) from the trend impactors
        (``strength * x``), every step.
    driver : Sparse, optional
        Onto the step sums from the dynamic-driver rows (their change ``d(t) - d(t0)``).
    index_trend : Sparse, optional
        Onto the readout (impact indices) from the levels ``x``, every time point.
    index_driver : Sparse, optional
        Onto the readout from the dynamic-driver rows.
    """

    trend: Sparse | None = None
    driver: Sparse | None = None
    index_trend: Sparse | None = None
    index_driver: Sparse | None = None

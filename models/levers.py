r"""Levers that act like policy: diminishing returns, an implementation lag, and effects that
depend on the future.

A lever's setting :math:`u_k \in [0, 1]` has its 2021 programme at :math:`r_k` (0.5 in the
default study: 0 stops it, 1 doubles it). The 2021 programme is part of the calibrated
baseline and acts through the lever's column :math:`A_{ik}` of the cross-impact matrix as
before. What this module adds concerns the **change** from 2021, the thing policy decides.

**Diminishing returns.** The lever acts through its *effective* setting

.. math::

    e_k(u) = a_k\,\kappa_k\left(1 - e^{-u/\kappa_k}\right), \qquad
    a_k = \frac{r_k}{\kappa_k\,(1 - e^{-r_k/\kappa_k})} \quad (e_k(r_k) = r_k),

concave and saturating. :math:`\kappa_k` comes from the **doubling gain**
:math:`\rho_k = e_k(2 r_k) / e_k(r_k) = 1 + e^{-r_k/\kappa_k}`, the effect of the doubled
programme relative to the 2021 one: :math:`\kappa_k = -r_k / \ln(\rho_k - 1)`; :math:`\rho_k = 2`
is the linear lever (:math:`\kappa_k = \infty`, :math:`e_k(u) = u`), :math:`\rho_k \to 1` a
lever whose effect is already saturated in 2021. The change that acts is
:math:`\Delta_k = \lambda\,(e_k(u_k) - r_k)` with :math:`\lambda` the member's ``lever_efficacy``.

**Effects that depend on the future.** The change acts on trend :math:`i` with the loading

.. math::

    A_{ik} + \sum_d B_{ikd}\,(d^{f} - d^{2021}),

where :math:`d^{f}` is the future's target value of driver :math:`d` (an axis pole such as
``stakeholder``, or ``eu_regulation``) per member, and :math:`d^{2021}` its status quo: in a
future like 2021 the change acts with the matrix loading, elsewhere more or less, possibly
with the other sign. Each (lever, driver) pair with non-zero :math:`B` is one extra dynamic
column of the KSIM system, ``"<lever>*<driver>"``, whose value is
:math:`\Delta_k (d^f - d^{2021})` and whose loadings are :math:`B_{\cdot kd}`.

**Implementation lag.** The change of lever :math:`k` (and of its future-dependent columns)
starts to act :math:`L_k` years after the start and then ramps in over the member's
transition time :math:`\tau` like the drivers do:
:math:`h_k(t) = \min(1, \max(0, (t - t_0 - L_k)/\tau))`. Levers with the same lag share one
ramp (:attr:`LeverResponse.groups`).

Lever changes at elections (:mod:`models.events`) go through :math:`e_k` and the
future-dependent columns too; they take effect after the elections' own lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LeverResponse:
    """How the changes of the levers act (module docstring).

    Attributes
    ----------
    doubling : ndarray, shape (n_levers,)
        Doubling gain :math:`\\rho_k` in (1, 2]; 2 = linear.
    lag : ndarray, shape (n_levers,)
        Implementation lag :math:`L_k` in years, >= 0.
    pairs : tuple of (int, int)
        Per future-dependent column: the lever's index and the driver's index (into
        ``World.drivers``).
    loadings : ndarray, shape (n_trends, n_pairs)
        :math:`B_{ikd}` per trend and future-dependent column, per year.
    labels : tuple of str
        ``"<lever>*<driver>"`` per column.
    """

    doubling: np.ndarray
    lag: np.ndarray
    pairs: tuple[tuple[int, int], ...] = ()
    loadings: np.ndarray | None = None
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        doubling = np.asarray(self.doubling, float)
        if np.any(doubling <= 1.0) or np.any(doubling > 2.0):
            raise ValueError(f"doubling(={doubling}) must be in (1, 2]")
        if np.any(np.asarray(self.lag) < 0):
            raise ValueError(f"lag(={self.lag}) must be >= 0")
        n_pairs = len(self.pairs)
        if len(self.labels) != n_pairs or (n_pairs and (self.loadings is None or
                                                         self.loadings.shape[1] != n_pairs)):
            raise ValueError(f"{n_pairs} pairs need as many labels and loading columns")

    @classmethod
    def linear(cls, n_levers: int, n_trends: int) -> LeverResponse:
        """Levers as plain KSIM columns: linear, no lag, the same effect in every future."""
        return cls(doubling=np.full(n_levers, 2.0), lag=np.zeros(n_levers),
                   loadings=np.zeros((n_trends, 0)))

    @property
    def n_pairs(self) -> int:
        """Number of future-dependent columns."""
        return len(self.pairs)

    def pair_loadings(self, n_trends: int) -> np.ndarray:
        """:attr:`loadings`, shape (n_trends, n_pairs) even when there are none."""
        return np.zeros((n_trends, 0)) if self.loadings is None else self.loadings

    def groups(self, n_drivers: int) -> tuple[np.ndarray, np.ndarray]:
        """Ramp group of every dynamic column and the lag of every group.

        Parameters
        ----------
        n_drivers : int
            Dynamic driver columns before the levers (they ramp without lag: group 0).

        Returns
        -------
        column_group : ndarray of int, shape (n_drivers + n_levers + n_pairs,)
        group_lag : ndarray, shape (G,)
            ``group_lag[0] == 0``.
        """
        lags = np.unique(np.concatenate([[0.0], self.lag]))
        lever_group = np.searchsorted(lags, self.lag)
        pair_group = np.array([lever_group[k] for k, _ in self.pairs], dtype=int)
        column = np.concatenate([np.zeros(n_drivers, int), lever_group, pair_group])
        return column.astype(int), lags


def effective(setting: np.ndarray, reference: np.ndarray, doubling: np.ndarray) -> np.ndarray:
    """Effective lever setting :math:`e_k(u)` (module docstring), elementwise.

    Parameters
    ----------
    setting : ndarray, shape (..., n_levers, M) or broadcastable
        Settings :math:`u` in [0, 1].
    reference, doubling : ndarray, shape (n_levers, 1) or broadcastable to ``setting``
        The 2021 setting :math:`r_k` and the doubling gain :math:`\\rho_k` in (1, 2].

    Returns
    -------
    ndarray
        Same shape as ``setting``; equal to it where ``doubling == 2`` and (exactly) at the
        reference.

    Examples
    --------
    >>> float(effective(np.array(1.0), np.array(0.5), np.array(1.5)))
    0.75
    """
    u = np.asarray(setting, float)
    r = np.broadcast_to(np.asarray(reference, float), np.broadcast(u, reference).shape)
    rho = np.broadcast_to(np.asarray(doubling, float), r.shape)
    u = np.broadcast_to(u, r.shape)
    linear = rho >= 2.0
    # kappa = -r / ln(rho - 1); with r = 0 (no 2021 programme) the curve is scaled to slope 1
    # at 0 instead of e(r) = r, and kappa is taken from the doubling of 0.5.
    base = np.where(r > 0, r, 0.5)
    kappa = -base / np.log(np.where(linear, 0.5, rho - 1.0))
    shape = kappa * -np.expm1(-u / kappa)
    at_ref = kappa * -np.expm1(-base / kappa)  # e's shape at the reference (at 0.5 if r = 0)
    norm = np.where(r > 0, base / at_ref, 1.0)
    # At the reference the curve is r by construction; the product above can miss it in the
    # last bit, and a lever at its 2021 setting must not act at all.
    return np.where(linear, u, np.where(u == r, r, norm * shape))


def lever_ramps(elapsed: float, years: np.ndarray, group_lag: np.ndarray) -> np.ndarray:
    """Fraction of each ramp group reached, shape (F, G, M).

    Parameters
    ----------
    elapsed : float
        Years since the start.
    years : ndarray, shape (F, M)
        The members' transition time :math:`\\tau`.
    group_lag : ndarray, shape (G,)
        Lag of each group; group 0 (lag 0) is the drivers' ramp ``min(1, elapsed / years)``.
    """
    since = np.maximum(elapsed - group_lag, 0.0)[None, :, None]
    return np.minimum(since / years[:, None, :], 1.0)

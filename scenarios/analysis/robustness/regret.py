r"""Regret of lever settings across futures (Savage's minimax-regret criterion).

For settings :math:`s`, futures :math:`f` and areas :math:`a`, with :math:`y_{sfa}` a
summary (median, mean or a quantile over the members) of the impact index in the judged
year:

.. math::

    R_{sfa} = \max_{s'} y_{s'fa} - y_{sfa} \ge 0, \qquad
    \bar R_{sa} = \max_f R_{sfa}, \qquad
    \Delta_{sa} = \max_f y_{sfa} - \min_f y_{sfa}

:math:`R` is the regret (how much better the best of the compared settings does in that
future), :math:`\bar R` the worst-case regret and :math:`\Delta` the spread of the outcome
across futures. A setting is *no-regret* in an area when :math:`\bar R_{sa} \le \tau`
(the tolerance), and overall when it is no-regret in every area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Slack in the no-regret test, so that a regret equal to the tolerance in decimal terms
#: (1.00 - 0.99 <= 0.01) is not lost to binary rounding.
ROUNDING = 1e-12


def summarise(values: np.ndarray, statistic: str, quantile: float = 0.1,
              axis: int = -1) -> np.ndarray:
    """The members' outcomes summarised along ``axis``.

    Parameters
    ----------
    values : ndarray
        Outcomes, members along ``axis``.
    statistic : {"median", "mean", "quantile"}
    quantile : float
        In (0, 1); used with ``statistic="quantile"`` (linear interpolation).

    Returns
    -------
    ndarray
        ``values`` without ``axis``.
    """
    if statistic == "median":
        return np.median(values, axis=axis)
    if statistic == "mean":
        return np.mean(values, axis=axis)
    if statistic == "quantile":
        return np.quantile(values, quantile, axis=axis)
    raise ValueError(f"statistic={statistic!r}: expected median, mean or quantile")


@dataclass(frozen=True)
class Regret:
    """Regret of every setting; see the module docstring for the formulas.

    Attributes
    ----------
    outcome : ndarray, shape (S, F, A)
        The summary :math:`y` per setting, future and area.
    regret : ndarray, shape (S, F, A)
        :math:`R`, >= 0; exactly 0 for the best setting of each future and area.
    worst : ndarray, shape (S, A)
        Worst-case regret over futures.
    mean : ndarray, shape (S, A)
        Mean regret over futures.
    spread : ndarray, shape (S, A)
        Largest minus smallest outcome over futures.
    no_regret : ndarray of bool, shape (S, A)
        ``worst <= tolerance`` (up to :data:`ROUNDING`).
    no_regret_overall : ndarray of bool, shape (S,)
        No-regret in every area.
    best : ndarray of int, shape (F, A)
        Index of the best setting per future and area (the first on ties).
    tolerance : float
    """

    outcome: np.ndarray
    regret: np.ndarray
    worst: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    no_regret: np.ndarray
    no_regret_overall: np.ndarray
    best: np.ndarray
    tolerance: float

    @property
    def worst_overall(self) -> np.ndarray:
        """Largest worst-case regret over the areas, shape (S,)."""
        return self.worst.max(axis=1)

    def minimax(self) -> np.ndarray:
        """Index of the setting with the smallest worst-case regret per area, shape (A,)."""
        return np.argmin(self.worst, axis=0)


def regret_of(outcome: np.ndarray, tolerance: float) -> Regret:
    """Regret, worst case, spread and the no-regret settings of summarised outcomes.

    Parameters
    ----------
    outcome : ndarray, shape (S, F, A)
        Summary per setting, future and area; larger is better.
    tolerance : float
        Regret at or below this counts as none, >= 0.

    Returns
    -------
    Regret

    Examples
    --------
    Two settings, two futures, one area: ``a`` wins the first future by 3, ``b`` the second
    by 1, so ``a`` has the smaller worst-case regret.

    >>> r = regret_of(np.array([[[5.0], [1.0]], [[2.0], [2.0]]]), tolerance=0.0)
    >>> r.regret[:, :, 0].tolist(), r.worst[:, 0].tolist()
    ([[0.0, 1.0], [3.0, 0.0]], [1.0, 3.0])
    """
    outcome = np.asarray(outcome, dtype=np.float64)
    if outcome.ndim != 3 or outcome.shape[0] < 1:
        raise ValueError(f"outcome shape {outcome.shape}: expected (settings, futures, areas)")
    if not tolerance >= 0:
        raise ValueError(f"tolerance={tolerance}: expected a number >= 0")
    regret = outcome.max(axis=0, keepdims=True) - outcome
    worst = regret.max(axis=1)
    no_regret = worst <= tolerance + ROUNDING
    return Regret(outcome=outcome, regret=regret, worst=worst, mean=regret.mean(axis=1),
                  spread=outcome.max(axis=1) - outcome.min(axis=1), no_regret=no_regret,
                  no_regret_overall=no_regret.all(axis=1), best=np.argmax(outcome, axis=0),
                  tolerance=float(tolerance))


@dataclass(frozen=True)
class WorldRegret:
    r"""Regret per sampled world (future, member), summarised, and satisficing.

    With :math:`y_{sfma}` the impact of setting :math:`s` in future :math:`f`, member
    :math:`m` (the same sampled world for every setting: common random numbers) and area
    :math:`a`, the regret in that world is :math:`r_{sfma} = \max_{s'} y_{s'fma} - y_{sfma}`.
    Its median, 90th percentile and maximum over all worlds of all futures are ``median``,
    ``p90`` and ``max``. ``satisficing`` is the share of worlds in which
    :math:`y_{sfma} \ge \theta` (``threshold``; 0: the area does not worsen since 2021),
    over all futures, and ``satisficing_future`` per future.

    Attributes
    ----------
    median, p90, max : ndarray, shape (S, A)
    satisficing : ndarray, shape (S, A)
    satisficing_future : ndarray, shape (S, F, A)
    threshold : float
    """

    median: np.ndarray
    p90: np.ndarray
    max: np.ndarray
    satisficing: np.ndarray
    satisficing_future: np.ndarray
    threshold: float


def world_regret(impacts: np.ndarray, threshold: float = 0.0) -> WorldRegret:
    """Per-world regret and satisficing of impacts shaped (settings, futures, members, areas).

    Examples
    --------
    Two settings, one future, two worlds, one area: ``a`` wins world 0 by 2, ``b`` world 1
    by 1; ``b`` is below 0 in world 0.

    >>> w = world_regret(np.array([[[[1.0], [0.0]]], [[[-1.0], [1.0]]]]))
    >>> w.max[:, 0].tolist(), w.satisficing[:, 0].tolist()
    ([1.0, 2.0], [1.0, 0.5])
    """
    y = np.asarray(impacts, dtype=np.float64)
    if y.ndim != 4:
        raise ValueError(f"impacts shape {y.shape}: expected (settings, futures, members, "
                         "areas)")
    r = y.max(axis=0, keepdims=True) - y
    flat = r.reshape(r.shape[0], -1, r.shape[-1])
    ok = y >= threshold - ROUNDING
    return WorldRegret(median=np.median(flat, axis=1), p90=np.quantile(flat, 0.9, axis=1),
                       max=flat.max(axis=1),
                       satisficing=ok.reshape(ok.shape[0], -1, ok.shape[-1]).mean(axis=1),
                       satisficing_future=ok.mean(axis=2), threshold=float(threshold))

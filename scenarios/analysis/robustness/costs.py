r"""What a lever setting costs: EUR million a year, from the study's ``study.costs``.

Each lever :math:`k` has a yearly cost :math:`c_k` at its 2021 reference setting
:math:`x^{ref}_k` (``levers.<lever>``), uncertain in :math:`[c^{lo}_k, c^{hi}_k]`. A setting
:math:`x` costs

.. math::

    C(x) = \sum_k c_k \, x_k / x^{ref}_k

(linear in effort: 0 stops a programme, twice the reference setting doubles its money), and
:math:`C^{lo}`, :math:`C^{hi}` with the range's ends. A lever without a cost entry, or with a
reference setting of 0, costs nothing. The 2021 budget is :math:`C(x^{ref})`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scenarios.config.study import Study


def unit_costs(study: Study, levers: Sequence[str],
               reference: Sequence[float] | np.ndarray) -> np.ndarray:
    """Cost per unit of setting, shape (3, n_levers): rows central, low, high."""
    out = np.zeros((3, len(levers)))
    for k, (lever, ref) in enumerate(zip(levers, reference)):
        cost = study.costs.get(lever)
        if cost is None or ref <= 0:
            continue
        out[:, k] = np.array([cost.reference, cost.low, cost.high]) / float(ref)
    return out


def cost_of(values: np.ndarray, study: Study, levers: Sequence[str],
            reference: Sequence[float] | np.ndarray) -> np.ndarray:
    """Yearly cost of settings.

    Parameters
    ----------
    values : ndarray, shape (..., n_levers)
        Lever settings in [0, 1].

    Returns
    -------
    ndarray, shape (3, ...)
        Central, low and high cost in EUR million a year.

    Examples
    --------
    >>> from scenarios.config.study import LeverCost, default_study
    >>> import dataclasses
    >>> s = dataclasses.replace(default_study(), costs={"a": LeverCost(10.0, 5.0, 20.0, "x")})
    >>> cost_of(np.array([[0.5], [1.0]]), s, ["a"], [0.5]).tolist()
    [[10.0, 20.0], [5.0, 10.0], [20.0, 40.0]]
    """
    per_unit = unit_costs(study, levers, reference)
    return np.einsum("...k,ck->c...", np.asarray(values, dtype=float), per_unit)


def reference_budget(study: Study, levers: Sequence[str], reference: Sequence[float] | np.ndarray) -> float:
    """The 2021 total: the central cost of the reference setting (EUR m/yr)."""
    return float(cost_of(np.asarray(reference, dtype=float), study, levers, reference)[0])

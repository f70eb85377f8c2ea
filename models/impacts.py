r"""Impact indices of the five areas the study judges futures by (NDS 2021 L3407-L3412).

Each area's index is the weighted change since 2021 of the trend levels and the drivers:

.. math::

    I_a(t) = \sum_i W_{ai}\,\bigl(x_i(t) - x_i(t_0)\bigr)
           + \sum_k V_{ak}\,\bigl(d_k(t) - d_k(t_0)\bigr)

with signed weights ``W`` (trends) and ``V`` (drivers and levers) from ``conf/impacts.yaml``.
0 means "as in 2021"; positive is better for the area. Because every future starts from the
same 2021 world, the indices compare futures directly.
"""

from __future__ import annotations

import numpy as np

from models.dynamics import Readout


def impact_readout(trend_weights: np.ndarray, driver_weights: np.ndarray,
                   n_futures: int) -> Readout:
    """The impact indices as a :class:`models.dynamics.Readout` of the integration.

    Parameters
    ----------
    trend_weights : ndarray, shape (a, n)
        W, signed weight of each trend in each area.
    driver_weights : ndarray, shape (a, K)
        V, signed weight of each moving driver or lever, in the order of the dynamic rows
        (whose values are the changes ``d_k(t) - d_k(t0)``).
    n_futures : int
        F, futures simulated together.

    Returns
    -------
    Readout
        Evaluates ``I(t) = W x(t) + V (d(t) - d(t0))`` minus its value at ``t0``
        (where ``d(t0) - d(t0) = 0``), so every index starts at exactly 0.
    """
    n_fut = n_futures
    w = np.broadcast_to(np.asarray(trend_weights, dtype=np.float64),
                        (n_fut,) + np.shape(trend_weights))
    v = np.broadcast_to(np.asarray(driver_weights, dtype=np.float64),
                        (n_fut,) + np.shape(driver_weights))
    return Readout(trend_weights=np.ascontiguousarray(w), driver_weights=np.ascontiguousarray(v))

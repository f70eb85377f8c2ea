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


def impact_indices(levels: np.ndarray, initial: np.ndarray, trend_weights: np.ndarray,
                   driver_weights: np.ndarray, driver_delta: np.ndarray, ramp: np.ndarray,
                   *, out_dtype: type = np.float64) -> np.ndarray:
    """Compute the impact indices of every future, member and time.

    Parameters
    ----------
    levels : ndarray, shape (F, T, n, M)
        Trend levels.
    initial : ndarray, shape (F, n, M)
        Levels at the first time point.
    trend_weights : ndarray, shape (a, n)
        W, signed weight of each trend in each area.
    driver_weights : ndarray, shape (a, K)
        V, signed weight of each moving driver or lever in each area.
    driver_delta : ndarray, shape (F, K, M)
        Full change of each moving driver from 2021 to the future's value.
    ramp : ndarray, shape (F, T, M)
        Fraction of that change reached at each time, in [0, 1].
    out_dtype : dtype
        Precision of the result.

    Returns
    -------
    ndarray, shape (F, T, a, M)
    """
    w = np.asarray(trend_weights, dtype=np.float64)
    base = np.einsum("an,fnm->fam", w, initial)  # (F, a, M)
    out = np.matmul(w, levels, dtype=np.float64)
    out -= base[:, None]
    drive = np.einsum("ak,fkm->fam", driver_weights, driver_delta)  # (F, a, M)
    out += ramp[:, :, None, :] * drive[:, None]
    return out.astype(out_dtype, copy=False)

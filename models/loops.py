"""The compiled loops of :mod:`models.compiled` (numba, imported only when it is used).

Each function works on a block's arrays in place, futures outermost and members innermost
(the loops over members vectorise); zero matrix entries are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from models.dynamics import LOG_FLOOR


def _jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit``, cached on disk and releasing the GIL (block threads)."""
    import numba

    return numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(fn)


@_jit
def _add_product(target, dense, src, rows, cols, coef):  # pragma: no cover - compiled
    """One future: ``target += dense @ src + S (coef src[cols])``, the dense product column
    by column with its zero entries skipped, then the sparse entries ``(rows, cols)``."""
    width = target.shape[1]
    for j in range(dense.shape[1]):
        for r in range(dense.shape[0]):
            d = dense[r, j]
            if d != 0.0:
                for w in range(width):
                    target[r, w] += d * src[j, w]
    for e in range(rows.shape[0]):
        r, c = rows[e], cols[e]
        for w in range(width):
            target[r, w] += src[c, w] * coef[e, w]


@_jit
def _trend_sums(x, scale, z, tp, rows, cols, coef, sums):  # pragma: no cover - compiled
    """``sums = P (s x) + S (coef (s x)[cols])`` per future (zero entries of P skipped)."""
    n_fut, n, width = x.shape
    for f in range(n_fut):
        for j in range(n):
            for w in range(width):
                z[f, j, w] = x[f, j, w] * scale[f, 0, w]
        sums[f] = 0.0
        _add_product(sums[f], tp[f], z[f], rows, cols, coef[f])


@_jit
def _ramp_terms(target, parts, ramps):  # pragma: no cover - compiled
    """``target += sum_g parts[:, g] * ramps[:, g]``; a group at zero ramp is skipped."""
    n_fut, n_groups, n_rows, width = parts.shape
    for f in range(n_fut):
        for g in range(n_groups):
            if not np.any(ramps[f, g] != 0.0):
                continue
            for r in range(n_rows):
                for w in range(width):
                    target[f, r, w] += parts[f, g, r, w] * ramps[f, g, w]


@_jit
def _pulse_terms(target, static, dense, now, rows, cols, coef):  # pragma: no cover
    """The event offsets: ``target += static + dense @ now + S (coef now[cols])``."""
    n_fut, n_rows, width = target.shape
    for f in range(n_fut):
        for r in range(n_rows):
            for w in range(width):
                target[f, r, w] += static[f, r, w]
        _add_product(target[f], dense[f], now[f], rows, cols, coef[f])


@_jit
def step(trend, const, ramp, pulses, log_x, sums):  # pragma: no cover - compiled
    """One KSIM step: the step sums, then ``ln x <- max(phi ln x, LOG_FLOOR)``."""
    x, scale, z, tp, t_rows, t_cols, t_coef = trend
    _trend_sums(x, scale, z, tp, t_rows, t_cols, t_coef, sums)
    sums += const
    _ramp_terms(sums, ramp[0], ramp[1])
    if pulses[0]:
        _pulse_terms(sums, pulses[1], pulses[2], pulses[3], pulses[4], pulses[5], pulses[6])
    n_fut, n, width = log_x.shape
    for f in range(n_fut):
        for i in range(n):
            for w in range(width):
                value = log_x[f, i, w] * (sums[f, n + i, w] / sums[f, i, w])
                log_x[f, i, w] = max(value, LOG_FLOOR)


@_jit
def levels(x, stored, bounds, floor):  # pragma: no cover - compiled
    """The valid members of ``x`` clipped into ``stored`` and, with a floor, ``floor +
    (1 - floor) y`` in the storage precision (``bounds = (low, high)``, ``floor = (on, f,
    1 - f)``)."""
    n_fut, n, valid = stored.shape
    for f in range(n_fut):
        for i in range(n):
            for w in range(valid):
                stored[f, i, w] = min(max(x[f, i, w], bounds[0]), bounds[1])
                if floor[0]:
                    stored[f, i, w] = stored[f, i, w] * floor[2] + floor[1]


@_jit
def readout(weights, x, sparse, ramp, pulses, index):  # pragma: no cover - compiled
    """The impact indices before their base: ``T x + S (coef x[cols])``, the ramp groups'
    part and the event offsets' part."""
    n_fut = index.shape[0]
    rows, cols, coef = sparse
    for f in range(n_fut):
        index[f] = 0.0
        _add_product(index[f], weights[f], x[f], rows, cols, coef[f])
    _ramp_terms(index, ramp[0], ramp[1])
    if pulses[0]:
        _pulse_terms(index, pulses[1], pulses[2], pulses[3], pulses[4], pulses[5], pulses[6])


@_jit
def indices(index, base, stored):  # pragma: no cover - compiled
    """``stored = index - base`` for the valid members."""
    n_fut, n_areas, valid = stored.shape
    for f in range(n_fut):
        for a in range(n_areas):
            for w in range(valid):
                stored[f, a, w] = index[f, a, w] - base[f, a, w]

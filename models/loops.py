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
def _add_column(target, dense, src, j):  # pragma: no cover - compiled
    """``target += dense[:, j] src[j]`` (the column's zero entries skipped), the order of
    :func:`_add_product`'s dense part."""
    width = target.shape[1]
    for r in range(dense.shape[0]):
        d = dense[r, j]
        if d != 0.0:
            for w in range(width):
                target[r, w] += d * src[j, w]


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
def _step_core(x, scale, z, tp, t_rows, t_cols, t_coef, const, pushes, ramps, use_offsets,
               static, dense, now, p_rows, p_cols, p_coef, log_x, sums):  # pragma: no cover
    """One block's KSIM step (:func:`step` with its tuples unpacked)."""
    _trend_sums(x, scale, z, tp, t_rows, t_cols, t_coef, sums)
    sums += const
    _ramp_terms(sums, pushes, ramps)
    if use_offsets:
        _pulse_terms(sums, static, dense, now, p_rows, p_cols, p_coef)
    n_fut, n, width = log_x.shape
    for f in range(n_fut):
        for i in range(n):
            for w in range(width):
                value = log_x[f, i, w] * (sums[f, n + i, w] / sums[f, i, w])
                log_x[f, i, w] = max(value, LOG_FLOOR)


@_jit
def step(trend, const, ramp, pulses, log_x, sums):  # pragma: no cover - compiled
    """One KSIM step: the step sums, then ``ln x <- max(phi ln x, LOG_FLOOR)``."""
    x, scale, z, tp, t_rows, t_cols, t_coef = trend
    _step_core(x, scale, z, tp, t_rows, t_cols, t_coef, const, ramp[0], ramp[1], pulses[0],
               pulses[1], pulses[2], pulses[3], pulses[4], pulses[5], pulses[6], log_x, sums)


@_jit
def step_blocks(trend, const, ramp, pulses, log_x, sums):  # pragma: no cover - compiled
    """:func:`step` for consecutive blocks: every array but the shared matrices (``tp``,
    the pulses' ``dense``) and the sparse entries' ``rows, cols`` has a leading block axis."""
    x, scale, z, tp, t_rows, t_cols, t_coef = trend
    pushes, ramps = ramp
    use, static, dense, now, p_rows, p_cols, p_coef = pulses
    for b in range(log_x.shape[0]):
        _step_core(x[b], scale[b], z[b], tp, t_rows, t_cols, t_coef[b], const[b], pushes[b],
                   ramps[b], use, static[b], dense, now[b], p_rows, p_cols, p_coef[b],
                   log_x[b], sums[b])


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
def _readout_core(weights, x, rows, cols, coef, pushes, ramps, use_offsets, static, dense,
                  now, p_rows, p_cols, p_coef, index):  # pragma: no cover - compiled
    """One block's readout (:func:`readout` with its tuples unpacked)."""
    for f in range(index.shape[0]):
        index[f] = 0.0
        _add_product(index[f], weights[f], x[f], rows, cols, coef[f])
    _ramp_terms(index, pushes, ramps)
    if use_offsets:
        _pulse_terms(index, static, dense, now, p_rows, p_cols, p_coef)


@_jit
def readout(weights, x, sparse, ramp, pulses, index):  # pragma: no cover - compiled
    """The impact indices before their base: ``T x + S (coef x[cols])``, the ramp groups'
    part and the event offsets' part."""
    _readout_core(weights, x, sparse[0], sparse[1], sparse[2], ramp[0], ramp[1], pulses[0],
                  pulses[1], pulses[2], pulses[3], pulses[4], pulses[5], pulses[6], index)


@_jit
def readout_blocks(weights, x, sparse, ramp, pulses, index):  # pragma: no cover - compiled
    """:func:`readout` for consecutive blocks (leading block axis as in :func:`step_blocks`)."""
    rows, cols, coef = sparse
    pushes, ramps = ramp
    use, static, dense, now, p_rows, p_cols, p_coef = pulses
    for b in range(index.shape[0]):
        _readout_core(weights, x[b], rows, cols, coef[b], pushes[b], ramps[b], use, static[b],
                      dense, now[b], p_rows, p_cols, p_coef[b], index[b])


#: ``1.5 * 2**52``: a float64 plus it rounds to an integer held in its low mantissa bits.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = int(np.array([_SHIFT]).view(np.int64)[0])


@_jit
def _exp(src, dst, spare):  # pragma: no cover - compiled
    """``dst = exp(src)`` for contiguous arrays, in loops the compiler vectorises (libm's
    ``exp`` is a call per number; numpy's SIMD one needs AVX-512): ``x = n ln 2 + r`` with
    ``|r| <= ln 2 / 2`` (Cody-Waite, fdlibm's two-part ln 2), ``exp(r)`` by its Taylor
    polynomial to degree 13 (truncation below 1e-17), then ``n`` added to the exponent bits.
    Within one ulp of numpy's ``exp`` on [-28, 0] (the log levels' range; 2,000,000 points
    tested), ~90 % of values equal; results are normal numbers for ``x > -700``."""
    flat, out, shifted = src.reshape(-1), dst.reshape(-1), spare.reshape(-1)
    for i in range(flat.size):
        v = flat[i]
        s = v * 1.4426950408889634 + _SHIFT
        n = s - _SHIFT
        r = (v - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        out[i] = p * r + 1.0
        shifted[i] = s
    bits, power = out.view(np.int64), shifted.view(np.int64)
    for i in range(flat.size):
        bits[i] += (power[i] - _SHIFT_BITS) << 52


@_jit
def _levels_blocks(x, stored, first, bounds, floor):  # pragma: no cover - compiled
    """:func:`levels` for consecutive blocks: block ``b``'s valid members into
    ``stored[:, :, first + b * width + j]`` (``stored`` holds every member of the run)."""
    n_blocks, n_fut, n, width = x.shape
    for b in range(n_blocks):
        lo = first + b * width
        valid = min(width, stored.shape[2] - lo)
        for f in range(n_fut):
            for i in range(n):
                for w in range(valid):
                    stored[f, i, lo + w] = min(max(x[b, f, i, w], bounds[0]), bounds[1])
                    if floor[0]:  # in the storage precision, as numpy's kernel
                        stored[f, i, lo + w] = stored[f, i, lo + w] * floor[2] + floor[1]


@_jit
def _ramps_blocks(step, elapsed, years, lags, ramps, n_members, first):  # pragma: no cover
    """The ramps of the members of consecutive blocks at ``step``, ``min(1, max(0, t -
    lag) / years)`` (:func:`models.levers.lever_ramps`); padding columns keep their zeros."""
    n_blocks, n_fut, n_groups, width = ramps.shape
    t = elapsed[step]
    for b in range(n_blocks):
        valid = min(width, n_members - first - b * width)
        for f in range(n_fut):
            for g in range(n_groups):
                for w in range(valid):
                    since = max(t - lags[b, f, g, w], 0.0)
                    ramps[b, f, g, w] = min(since / years[b, f, w], 1.0)


@_jit
def record_blocks(when, log_x, x, spare, levels_out, ramp, offsets,
                  index_out):  # pragma: no cover - compiled
    """The record of consecutive blocks in one call: ``x = exp(ln x)`` (:func:`_exp`;
    ``spare`` is scratch of the same shape), the stored levels,
    the ramps, the event offsets (:func:`take_offsets`) and the readout with its indices.

    ``when = (step, store, readout, set_base)``; ``levels_out = (stored, first, bounds,
    floor)`` as :func:`levels`; ``ramp = (compute, elapsed, years, lags, ramps)`` (without
    ``compute`` the ramps were filled by the caller); ``offsets = (use, dirty, offsets,
    pulse_rows, is_pulse, static, steps, indices, now)``; ``index_out = (weights, sparse,
    index_ramp, pulses, index, base, stored)``.
    """
    step, store, read, set_base = when
    n_blocks, n_fut, _, width = log_x.shape
    _exp(log_x, x, spare)
    stored, first, bounds, floor = levels_out
    if store:
        _levels_blocks(x, stored, first, bounds, floor)
    if ramp[0]:
        _ramps_blocks(step, ramp[1], ramp[2], ramp[3], ramp[4], stored.shape[2], first)
    if offsets[0]:
        take_offsets(offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6],
                     offsets[7], offsets[8])
    if not read:
        return
    weights, sparse, index_ramp, pulses, index, base, out = index_out
    readout_blocks(weights, x, sparse, index_ramp, pulses, index)
    if set_base:
        base[...] = index
    if store:
        for b in range(n_blocks):
            lo = first + b * width
            for f in range(n_fut):
                for a in range(index.shape[2]):
                    for w in range(min(width, out.shape[2] - lo)):
                        out[f, a, lo + w] = index[b, f, a, w] - base[b, f, a, w]


@_jit
def ramps_blocks(source, ramps):  # pragma: no cover - compiled
    """The ramp of members ``j`` of ``source`` (F, G, m) into block ``j // width``, column
    ``j % width`` of ``ramps`` (B, F, G, width); the padding columns keep their zeros."""
    n_blocks, n_fut, n_groups, width = ramps.shape
    m = source.shape[2]
    for b in range(n_blocks):
        lo = b * width
        for f in range(n_fut):
            for g in range(n_groups):
                for w in range(min(width, m - lo)):
                    ramps[b, f, g, w] = source[f, g, lo + w]


@_jit
def take_offsets(dirty, offsets, pulse_rows, is_pulse, static, steps, indices,
                 now):  # pragma: no cover - compiled
    """The event offsets that hold until the next record, per block: where ``dirty``, the
    fixed part ``P_dyn o + S (coef o[cols])`` of the rows that are not pulses (``steps``,
    and ``indices`` for the readout, each ``(matrix, rows, cols, coef, out)``); the pulse
    rows' current values into ``now``."""
    n_blocks, n_fut, n_dyn, width = offsets.shape
    for b in range(n_blocks):
        if dirty[b]:
            for f in range(n_fut):
                for k in range(n_dyn):
                    for w in range(width):
                        static[f, k, w] = 0.0 if is_pulse[k] else offsets[b, f, k, w]
            for part in (steps, indices):
                matrix, rows, cols, coef, out = part
                if out.shape[2] == 0:  # no readout
                    continue
                for f in range(n_fut):
                    out[b, f] = 0.0
                    for k in range(n_dyn):  # rows no event has set add +-0: skipped
                        if np.any(static[f, k] != 0.0):
                            _add_column(out[b, f], matrix[f], static[f], k)
                    _add_product(out[b, f], matrix[f, :, :0], static[f], rows, cols,
                                 coef[b, f])
            dirty[b] = False
        for f in range(n_fut):
            for p in range(pulse_rows.shape[0]):
                for w in range(width):
                    now[b, f, p, w] = offsets[b, f, pulse_rows[p], w]


@_jit
def hazards(step, x, log_x, offsets, room, dirty, rates, effects, state, found,
            n_found):  # pragma: no cover - compiled
    """One month of the stochastic events of consecutive blocks (models.events).

    Per member and kind the integrated hazard grows by the rate of the levels just recorded;
    where it reaches the member's next threshold the event fires: its size, the next
    threshold (``inf`` after the pool's last), the knocks of the levels in ``log_x`` and the
    jumps of the offsets within their headroom ``room``, kind after kind. Then the pulse rows
    decay. Fired events are written to ``found`` from row ``n_found`` on; returns the rows
    written in all and how many member-kinds used their last threshold.
    """
    rated, need, lows, spans, codes = rates
    k_ptr, k_trend, k_value, j_ptr, j_row, j_value, j_pulse, pulse_rows, decay = effects
    integral, nxt, count, thresholds, sizes, first, n_members = state
    f_future, f_member, f_step, f_kind, f_size = found
    n_blocks, n_fut, _, width = log_x.shape
    n_h, pool = rated.shape[0], thresholds.shape[3]
    exhausted = 0
    for b in range(n_blocks):
        for f in range(n_fut):
            for h in range(n_h):
                for w in range(width):
                    rate = 0.0
                    for k in range(need.shape[0]):
                        rate += rated[h, k] * x[b, f, need[k], w]
                    integral[b, f, h, w] += rate
            for h in range(n_h):
                for w in range(width):
                    if not integral[b, f, h, w] >= nxt[b, f, h, w]:
                        continue
                    used = count[b, f, h, w]
                    size = lows[h] + spans[h] * sizes[b, f, h, used, w]
                    used += 1
                    count[b, f, h, w] = used
                    if used < pool:
                        nxt[b, f, h, w] += thresholds[b, f, h, used, w]
                    else:
                        nxt[b, f, h, w] = np.inf
                        exhausted += 1
                    for e in range(k_ptr[h], k_ptr[h + 1]):
                        i, knock = k_trend[e], k_value[e]
                        frac = abs(knock) * size
                        old = log_x[b, f, i, w]
                        if knock < 0:
                            log_x[b, f, i, w] = max(old + np.log1p(-frac), LOG_FLOOR)
                        else:  # 1 - x' = (1 - x)(1 - frac)
                            log_x[b, f, i, w] = np.log1p(np.expm1(old) * (1.0 - frac))
                    for e in range(j_ptr[h], j_ptr[h + 1]):
                        r = j_row[e]
                        offsets[b, f, r, w] = min(offsets[b, f, r, w] + j_value[e] * size,
                                                  room[b, f, r, w])
                        if not j_pulse[e]:
                            dirty[b] = True
                    member = first + b * width + w
                    if member < n_members:  # padding never fires (inf thresholds); to be sure
                        f_future[n_found] = f
                        f_member[n_found] = member
                        f_step[n_found] = step
                        f_kind[n_found] = codes[h]
                        f_size[n_found] = size
                        n_found += 1
            for p in range(pulse_rows.shape[0]):
                for w in range(width):
                    offsets[b, f, pulse_rows[p], w] *= decay
    return n_found, exhausted


@_jit
def indices(index, base, stored):  # pragma: no cover - compiled
    """``stored = index - base`` for the valid members."""
    n_fut, n_areas, valid = stored.shape
    for f in range(n_fut):
        for a in range(n_areas):
            for w in range(valid):
                stored[f, a, w] = index[f, a, w] - base[f, a, w]

"""The ensemble integrator: member blocks advanced through time, on threads or on a clock.

:func:`integrate` splits the members into blocks of equal width and runs each block's
:class:`Block` through time, the plain way (:func:`run_plain`) or with a ``drive`` that puts
all blocks on a simpy clock with event processes (:mod:`models.events`). The equations are
in :mod:`models.dynamics`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from models.dynamics import LOG_FLOOR, DynamicFill, Ramped, Readout, Sparse, Structural
from models.sparse import SparsePart, add_pulses, corrected, sparse_columns


@dataclass(frozen=True)
class _Shared:
    """What every block of one :func:`integrate` call reads (inputs) or writes (outputs)."""

    log_x0: np.ndarray
    product: np.ndarray
    c0: np.ndarray
    strength: np.ndarray
    fill_dynamic: DynamicFill | None
    ramped: Ramped | None
    readout: Readout | None
    out: np.ndarray
    indices: np.ndarray | None
    n_steps: int
    width: int
    #: per time point its index in ``out`` (-1: not stored)
    slots: np.ndarray
    floor: float = 0.0
    structural: Structural | None = None


class Block:
    """The working state of one block of members, advanced one step at a time.

    Event processes (:mod:`models.events`) act on it between steps: they may change
    ``log_x`` (knock a level) and ``offsets`` (added to the dynamic-driver rows).

    Attributes
    ----------
    members : slice
        The block's members in the full ensemble.
    valid : int
        How many of the ``width`` columns are real members (the rest is padding).
    log_x : ndarray, shape (F, n, width)
        Log levels at the current time.
    offsets : ndarray, shape (F, K, width)
        Event-driven additions to the dynamic drivers; zero unless an event sets them.
    step : int
        Index of the current time point.
    """

    def __init__(self, shared: _Shared, start: int, log_x: np.ndarray | None = None,
                 offsets: np.ndarray | None = None,
                 x: np.ndarray | None = None) -> None:  # long: every working array of a block
        self.shared = shared
        n_fut, n, n_mem = shared.log_x0.shape
        self.n = n
        self.n_dyn = shared.product.shape[-1] - n
        self.width = shared.width
        self.members = slice(start, min(start + self.width, n_mem))
        self.valid = self.members.stop - self.members.start
        if log_x is None:
            self.log_x = self._padded(shared.log_x0)
        else:  # a view into an ensemble-wide array that event processes also act on
            log_x[...] = self._padded(shared.log_x0)
            self.log_x = log_x
        self.const = self._padded(shared.c0)
        self.scale = self._padded(shared.strength)[:, None, :]
        self.impactors = np.zeros((n_fut, n + self.n_dyn, self.width))
        self.offsets = np.zeros((n_fut, self.n_dyn, self.width)) if offsets is None \
            else offsets
        self.use_offsets = offsets is not None  # event processes write ``offsets``
        self.offsets_dirty = False
        self.sums = np.empty((n_fut, 2 * n, self.width))
        # levels after record(), the ratio phi after advance()
        self.x = np.empty((n_fut, n, self.width)) if x is None else x
        self.step = 0
        dtype = shared.out.dtype
        self.low = np.finfo(dtype).tiny
        self.high = np.nextafter(dtype.type(1), dtype.type(0))
        readout = shared.readout
        self._structural_parts(shared.structural or Structural())
        if readout is not None:
            shape = (n_fut, readout.trend_weights.shape[-2], self.width)
            self.index, self.spare = np.empty(shape), np.empty(shape)
            self.base = None if readout.base is None else self._padded(readout.base)
        if shared.ramped is not None:  # the drivers' part of every step, up to the ramp
            delta = self._padded(shared.ramped.delta)
            self.trend_product = np.ascontiguousarray(shared.product[..., :n])
            # Sampled trend-on-trend entries ride in the same matmul: [P_trend | S] times
            # [s x ; C * (s x)[cols]] (models.dynamics.Sparse), one product per step.
            self.fused: np.ndarray | None = None
            if self.p_trend is not None:
                e = len(self.p_trend.cols)
                self.trend_product = np.ascontiguousarray(np.concatenate(
                    [self.trend_product,
                     np.broadcast_to(self.p_trend.scatter, (n_fut, 2 * n, e))], axis=-1))
                self.fused = np.zeros((n_fut, n + e, self.width))
            self.driver_product = np.ascontiguousarray(shared.product[..., n:])
            # Ramp groups (lagged levers): group 0 in push/ramp, the others in ``lagged``.
            groups = shared.ramped.groups
            parts = [delta] if groups is None else \
                [np.where((groups == g)[None, :, None], delta, 0.0)
                 for g in range(int(groups.max()) + 1)]
            self.push = corrected(self.driver_product, self.p_driver, parts[0])  # (F, 2n, width)
            self.ramp = np.zeros((n_fut, 1, self.width))
            self.lagged = [(corrected(self.driver_product, self.p_driver, part),
                            np.zeros_like(self.ramp)) for part in parts[1:]]
            self.term = np.empty_like(self.sums)
            self.lagged_term = np.empty_like(self.sums) if self.lagged else self.term
            self.acting: list[tuple[np.ndarray, np.ndarray]] = []
            # Event offsets: the rows that change every month (pulses, e.g. security pressure)
            # enter through their few non-zero loadings; the others through a product that
            # is taken again only when they change (``offsets_dirty``).
            self.offset_static = np.zeros_like(self.sums)
            self.pulse_rows: tuple[int, ...] = ()
            self.offsets_dirty = True
            if readout is not None:
                self.index_static = np.zeros_like(self.index)
                weights, p_index = readout.driver_weights, self.p_index_driver
                self.index_push = corrected(weights, p_index, parts[0])
                # lagged groups the indices weigh (none when no area weighs a lever)
                self.index_lagged = [(index, lag_ramp) for index, (_, lag_ramp) in
                                     zip((corrected(weights, p_index, part)
                                          for part in parts[1:]), self.lagged)
                                     if index.any()]

    def _structural_parts(self, parts: Structural) -> None:
        """The block's members of the sampled structural entries (``p_*``)."""

        def part(sparse: Sparse | None) -> SparsePart | None:
            return None if sparse is None else \
                SparsePart(sparse.scatter(), sparse.cols, self._padded(sparse.coef))

        self.p_trend, self.p_driver = part(parts.trend), part(parts.driver)
        self.p_index_trend, self.p_index_driver = part(parts.index_trend), part(parts.index_driver)
        self.p_pulse: SparsePart | None = None
        self.p_pulse_index: SparsePart | None = None

    def _padded(self, array: np.ndarray) -> np.ndarray:
        """A private, contiguous float64 copy of the block (the loop writes into it)."""
        part = np.array(array[..., self.members], dtype=np.float64)
        pad = self.width - part.shape[-1]
        if pad:
            part = np.concatenate([part, np.repeat(part[..., -1:], pad, axis=-1)], axis=-1)
        return np.ascontiguousarray(part)

    def record(self) -> None:
        """Store the levels (and readout) of the current time point if it is kept; set its
        drivers (the next step needs them either way)."""
        shared, n, valid, step = self.shared, self.n, self.valid, self.step
        slot = int(shared.slots[step])
        np.exp(self.log_x, out=self.x)
        if slot >= 0:
            stored = shared.out[:, slot, :, self.members]
            np.clip(self.x[..., :valid], self.low, self.high, out=stored)
            if shared.floor:  # x = floor + (1 - floor) y, in the storage precision
                stored *= 1.0 - shared.floor
                stored += shared.floor
        dyn = self.impactors[:, n:]
        if shared.ramped is not None:
            ramp = shared.ramped.ramp(step, self.members)
            if self.lagged:
                self.ramp[:, 0, :valid] = ramp[:, 0]
                for g, (_, lag_ramp) in enumerate(self.lagged, start=1):
                    lag_ramp[:, 0, :valid] = ramp[:, g]
                # a group whose lag has not passed in any member adds nothing: skip it
                self.acting = [(push, lag_ramp) for push, lag_ramp in self.lagged
                               if lag_ramp.any()]
            else:
                self.ramp[:, 0, :valid] = ramp if ramp.ndim == 2 else ramp[:, 0]
            if self.use_offsets:  # drivers hold from this record to the next advance
                self._take_offsets()
        elif self.n_dyn:
            shared.fill_dynamic(step, self.members, dyn[..., :valid])  # type: ignore[misc]
            if self.use_offsets:
                dyn += self.offsets
        # the readout only where it is stored (and at the start, which is its base)
        if shared.readout is not None and (slot >= 0 or self.base is None):
            np.matmul(shared.readout.trend_weights, self.x, out=self.index)
            if self.p_index_trend is not None:
                self.p_index_trend.add(self.index, self.x)
            if shared.ramped is not None:
                np.multiply(self.index_push, self.ramp, out=self.spare)
                self.index += self.spare
                for part, lag_ramp in self.index_lagged:
                    np.multiply(part, lag_ramp, out=self.spare)
                    self.index += self.spare
                if self.use_offsets:
                    self.index += self.index_static
                    add_pulses(self.index, self.pulse_index, self.pulse_now)
                    if self.p_pulse_index is not None:
                        self.p_pulse_index.add(self.index, self.pulse_now)
            elif self.n_dyn:
                np.matmul(shared.readout.driver_weights, dyn, out=self.spare)
                self.index += self.spare
                if self.p_index_driver is not None:
                    self.p_index_driver.add(self.index, dyn)
            if self.base is None:
                self.base = self.index.copy()
            self.index -= self.base
            if slot >= 0:
                shared.indices[:, slot, :, self.members] = self.index[..., :valid]  # type: ignore[index]

    def set_pulses(self, rows: tuple[int, ...]) -> None:
        """Declare the offset rows that change every month (they take the sparse path)."""
        self.pulse_rows = tuple(int(r) for r in rows)
        self.pulse_push = sparse_columns(self.driver_product, self.pulse_rows)
        if self.shared.readout is not None:
            self.pulse_index = sparse_columns(self.shared.readout.driver_weights,
                                               self.pulse_rows)
        self.pulse_now = np.zeros((self.offsets.shape[0], len(rows), self.width))
        if self.p_driver is not None:
            self.p_pulse = self.p_driver.subset(self.pulse_rows)
        if self.p_index_driver is not None:
            self.p_pulse_index = self.p_index_driver.subset(self.pulse_rows)
        self.offsets_dirty = True

    def _take_offsets(self) -> None:
        """Fix the event offsets that hold until the next record."""
        if self.offsets_dirty:
            static = self.offsets.copy()
            static[:, list(self.pulse_rows)] = 0.0
            np.matmul(self.driver_product, static, out=self.offset_static)
            if self.p_driver is not None:
                self.offset_static += self.p_driver.once(static)
            if self.shared.readout is not None:
                np.matmul(self.shared.readout.driver_weights, static, out=self.index_static)
                if self.p_index_driver is not None:
                    self.index_static += self.p_index_driver.once(static)
            self.offsets_dirty = False
        if self.pulse_rows:
            self.pulse_now[...] = self.offsets[:, list(self.pulse_rows)]

    def advance(self) -> None:
        """One KSIM step from the recorded time point to the next."""
        n = self.n
        if self.shared.ramped is not None:
            if self.fused is not None:
                part = self.p_trend
                assert part is not None
                trend = self.fused[:, :n]
                np.multiply(self.x, self.scale, out=trend)
                np.take(trend, part.cols, axis=1, out=self.fused[:, n:])
                self.fused[:, n:] *= part.coef
                np.matmul(self.trend_product, self.fused, out=self.sums)
            else:
                np.multiply(self.x, self.scale, out=self.impactors[:, :n])
                np.matmul(self.trend_product, self.impactors[:, :n], out=self.sums)
            self.sums += self.const
            np.multiply(self.push, self.ramp, out=self.term)
            self.sums += self.term
            for push, lag_ramp in self.acting:
                np.multiply(push, lag_ramp, out=self.lagged_term)
                self.sums += self.lagged_term
            if self.use_offsets:
                self.sums += self.offset_static
                add_pulses(self.sums, self.pulse_push, self.pulse_now)
                if self.p_pulse is not None:
                    self.p_pulse.add(self.sums, self.pulse_now)
        else:
            np.multiply(self.x, self.scale, out=self.impactors[:, :n])
            np.matmul(self.shared.product, self.impactors, out=self.sums)
            if self.p_trend is not None:
                self.p_trend.add(self.sums, self.impactors[:, :n])
            if self.p_driver is not None:
                self.p_driver.add(self.sums, self.impactors[:, n:])
            self.sums += self.const
        np.divide(self.sums[:, n:], self.sums[:, :n], out=self.x)  # phi, reusing the buffer
        self.log_x *= self.x
        # Levels below 1e-12 are held there: the trend is absent either way, and levels near
        # the float64 denormal range (1e-308) would slow every later matmul a hundredfold.
        np.maximum(self.log_x, LOG_FLOOR, out=self.log_x)
        self.step += 1


@dataclass
class Ensemble:
    """All blocks of one integration with their shared, block-major state.

    Attributes
    ----------
    blocks : list of Block
    log_x : ndarray, shape (B, F, n, width)
        Log levels; ``blocks[b].log_x`` is ``log_x[b]``. Member ``b * width + j``.
    offsets : ndarray, shape (B, F, K, width)
        Event offsets of the dynamic drivers; ``blocks[b].offsets`` is ``offsets[b]``.
    x : ndarray, shape (B, F, n, width)
        Levels right after :meth:`record` (the buffer holds other values after
        :meth:`advance`).
    n_members : int
        Real members (the last block may be padded).
    each : callable
        ``each(fn)`` calls ``fn(block)`` for every block, in parallel when threads allow.
    """

    blocks: list[Block]
    log_x: np.ndarray
    offsets: np.ndarray
    x: np.ndarray
    n_members: int
    each: Callable[[Callable[[Block], None]], None]

    @property
    def step(self) -> int:
        """Index of the current time point."""
        return self.blocks[0].step

    def record(self) -> None:
        """Every block stores its current time point."""
        self.each(Block.record)

    def advance(self) -> None:
        """Every block takes one KSIM step."""
        self.each(Block.advance)


@cache
def _blas() -> ThreadpoolController:
    """The loaded BLAS libraries, found once: finding them scans the process's shared
    objects (1-3 ms, as much as a small ensemble's whole integration)."""
    return ThreadpoolController()


def run_plain(block: Block) -> None:
    """Record the first time point, then advance and record ``n_steps`` times."""
    block.record()
    for _ in range(block.shared.n_steps):
        block.advance()
        block.record()


def block_width(chunk: int, n_members: int) -> int:
    """Members per block for ``chunk`` and an ensemble of ``n_members``: a multiple of 8."""
    return min(-(-chunk // 8) * 8, -(-n_members // 8) * 8)


def integrate(
    log_x0: np.ndarray,
    product: np.ndarray,
    c0: np.ndarray,
    strength: np.ndarray,
    n_steps: int,
    *,
    fill_dynamic: DynamicFill | None = None,
    ramped: Ramped | None = None,
    out: np.ndarray | None = None,
    out_dtype: np.dtype | type = np.float64,
    readout: Readout | None = None,
    drive: Callable[[Ensemble], None] | None = None,
    chunk: int = 2048,
    threads: int = 1,
    width: int | None = None,
    keep: np.ndarray | None = None,
    floor: float = 0.0,
    structural: Structural | None = None, kernel: type[Block] = Block,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Advance every future and member ``n_steps`` KSIM steps at once.

    Parameters
    ----------
    log_x0 : ndarray, shape (F, n, M)
        Natural log of the initial levels; must be < 0 (levels in (0, 1)).
    product : ndarray, shape (F, 2n, n + K)
        From :func:`stack_matrix` (already scaled by ``dt``).
    c0 : ndarray, shape (F, 2n, M)
        From :func:`static_terms`.
    strength : ndarray, shape (F, M)
        Per-member scale of all trend-on-trend impacts, >= 0.
    n_steps : int
        Number of steps; the result holds ``n_steps + 1`` time points.
    fill_dynamic : callable, optional
        Fills the K dynamic-driver rows per step (see :data:`DynamicFill`).
    ramped : Ramped, optional
        Dynamic drivers as a ramp times a fixed change: the faster form of ``fill_dynamic``
        (one of the two is required if K > 0).
    out : ndarray, shape (F, n_steps + 1, n, M), optional
        Where to write the levels; allocated with ``out_dtype`` if not given.
    out_dtype : dtype
        Storage precision of the levels; the integration itself runs in float64.
    readout : Readout, optional
        Linear indices of levels and dynamic drivers computed at every time point while the
        block is in cache (the impact indices); ``None`` for none.
    drive : callable, optional
        Runs all blocks through time on one clock, given an :class:`Ensemble`
        (:mod:`models.events` passes a simpy-driven one). Without it each block runs
        :func:`run_plain` on its own.
    chunk : int
        Members per block (rounded up to a multiple of 8); blocks keep the working arrays in
        cache. Results can differ in the last bits between chunk sizes.
    threads : int
        Blocks run on this many threads (numpy releases the GIL in its kernels). Results do
        not depend on it.
    width : int, optional
        Block width (a multiple of 8) instead of the one ``chunk`` gives: a slice of a larger
        ensemble passes the whole ensemble's width, so its members get the bits they would
        get in the whole run.
    keep : ndarray of int, optional
        The time points to store (increasing indices into 0..n_steps; default all). The
        integration is the same; the others are not written, nor their readout computed
        (a small ensemble spends about half of each step there). ``T`` below is their count.
    floor : float
        Stored levels are ``floor + (1 - floor) * y`` for the integrated ``y`` (the level
        floor of :mod:`models.ensemble`), computed in the storage precision while the block
        is in cache; the readout still sees ``y``.
    structural : Structural, optional
        Per-member deviations of sampled matrix entries, loadings and impact weights from
        the nominal ones in ``product`` and ``readout`` (:class:`models.dynamics.Structural`);
        the static drivers' part of them belongs in ``c0``.
    kernel : type
        The block class: :class:`Block` (numpy) or one with compiled steps
        (:func:`models.compiled.block_kind`: ``numba``, ramped drivers only; equal to
        numpy's within rounding, not bit for bit).

    Returns
    -------
    levels : ndarray, shape (F, T, n, M) (T = n_steps + 1 by default)
        Levels, clipped to the largest value below 1 and the smallest above 0 that the
        storage dtype can represent (the log-space state itself never reaches the bounds).
    indices : ndarray, shape (F, T, a, M) or None
        The readout, in ``out_dtype``, if one was asked for.
    """
    n_fut, n, n_mem = log_x0.shape
    n_dyn = product.shape[-1] - n
    if product.shape != (n_fut, 2 * n, n + n_dyn):
        raise ValueError(f"product(shape={product.shape}) must be (F, 2n, n+K) = "
                         f"({n_fut}, {2 * n}, {n}+K)")
    if c0.shape != (n_fut, 2 * n, n_mem):
        raise ValueError(f"c0(shape={c0.shape}) must be ({n_fut}, {2 * n}, {n_mem})")
    if n_dyn and fill_dynamic is None and ramped is None:
        raise ValueError(f"fill_dynamic is required with {n_dyn} dynamic drivers")
    kept = np.arange(n_steps + 1) if keep is None else np.asarray(keep, dtype=np.int64)
    if kept.ndim != 1 or kept.size == 0 or np.any(np.diff(kept) <= 0) or kept[0] < 0 or \
            kept[-1] > n_steps:
        raise ValueError(f"keep={keep!r} must be increasing indices in [0, {n_steps}]")
    slots = np.full(n_steps + 1, -1, dtype=np.int64)
    slots[kept] = np.arange(kept.size)
    if out is None:
        out = np.empty((n_fut, kept.size, n, n_mem), dtype=out_dtype)
    indices = None if readout is None else \
        np.empty((n_fut, kept.size, readout.trend_weights.shape[-2], n_mem), dtype=out.dtype)
    # Every block has the same width, a multiple of 8 (the last one padded by repeating its
    # final member): BLAS kernels round differently for different widths, and with equal
    # widths a member's result depends only on its own inputs and ``chunk``, not on
    # ``threads`` or on how many members run.
    width = block_width(chunk, n_mem) if width is None else width
    if width % 8:
        raise ValueError(f"width={width} must be a multiple of 8")
    shared = _Shared(log_x0=log_x0, product=product, c0=c0, strength=strength,
                     fill_dynamic=fill_dynamic, ramped=ramped, readout=readout, out=out,
                     indices=indices, n_steps=n_steps, width=width, slots=slots, floor=floor,
                     structural=structural)
    starts = range(0, n_mem, width)
    # The matrix products are tiny (22 x 23 by 23 x width): BLAS threads only fight over the
    # cores, badly so when the machine is busy. Parallelism comes from the blocks instead.
    with _blas().limit(limits=1, user_api="blas"), \
            ThreadPoolExecutor(max_workers=max(1, threads)) as pool:

        def each(fn: Callable[[Any], None], blocks: list[Any]) -> None:
            if threads > 1 and len(blocks) > 1:
                list(pool.map(fn, blocks))
            else:
                for block in blocks:
                    fn(block)

        if drive is None:  # each block runs through time on its own: no sync per step
            each(lambda start: run_plain(kernel(shared, start)), list(starts))
        else:  # one clock for all blocks; their state lives in ensemble-wide arrays
            n_blocks = len(starts)
            log_x = np.empty((n_blocks, n_fut, n, width))
            offsets = np.zeros((n_blocks, n_fut, n_dyn, width))
            x = np.empty((n_blocks, n_fut, n, width))
            blocks = [kernel(shared, start, log_x[b], offsets[b], x[b])
                      for b, start in enumerate(starts)]
            drive(Ensemble(blocks, log_x, offsets, x, n_mem, lambda fn: each(fn, blocks)))
    return out, indices

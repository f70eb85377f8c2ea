"""The compiled (numba) form of a block's step: ``ensemble.kernel=numba``.

:class:`CompiledBlock` is a :class:`models.integrator.Block` whose :meth:`advance` is one
compiled call and whose :meth:`record` is numpy's ``exp`` and at most three compiled calls,
instead of about thirty numpy calls: the trend product with the sampled trend entries, the
ramp groups (lagged levers), the event offsets and pulses, ``ln x <- phi ln x`` with the
floor; the stored levels (clipped, the level floor in the storage precision) and the
readout. What the block prepares once (the ramp groups' products, the sampled entries, the
offsets' fixed part when they change) stays the numpy code of :class:`Block`, so both
kernels read the same inputs.

The numbers are not the numpy kernel's bit for bit: the BLAS products and numpy's sums add
in other orders and round differently in the last bit. ``tests/test_compiled.py`` holds the
two kernels equal to a relative 1e-12 in float64 and within one float32 ulp in the stored
levels and impacts. The compiled kernel is bit-identical to itself: a member's numbers
depend only on its own inputs, not on ``threads`` nor on the block width (no BLAS).

numba is a dependency of the package, but the numpy path never needs it; :func:`available`
says whether it is installed. The loops (:mod:`models.loops`) are compiled on first use and cached on disk
(``cache=True``); importing this module does not import numba.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from models.integrator import Block, _Shared
from models.sparse import SparsePart

#: The kernels of ``ensemble.kernel``.
KERNELS = ("numpy", "numba")

#: Widest compiled block: its working arrays (seven ramp groups' parts of 22 rows) stay in
#: the core's cache. At 4 x 4,000 members, one thread, events off: 0.49 CPU s at 256
#: against 1.01 at 1,024 (numpy's 0.99); events on 0.86 against 1.34 (numpy's 1.58).
WIDTH = 256

#: Blocks a :class:`CompiledGroup` steps together, through all months before the next group
#: starts: its working arrays stay in the cache from month to month.
GROUP = int(__import__("os").environ.get("FUTURES_GROUP", "1"))


def available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def block_kind(kernel: str) -> type[Block]:
    """The block class of ``kernel``: :class:`Block` (numpy) or :class:`CompiledBlock`.

    Raises
    ------
    ValueError
        ``kernel`` is not one of :data:`KERNELS`.
    ImportError
        ``numba`` without numba installed.
    """
    if kernel == "numpy":
        return Block
    if kernel != "numba":
        raise ValueError(f"kernel={kernel!r} must be one of {list(KERNELS)}")
    if not available():
        raise ImportError("kernel='numba' needs numba: pip install 'futures-nl[fast]'")
    return CompiledBlock


def kernel_width(kernel: str, chunk: int, width: int | None) -> tuple[int, int | None]:
    """The ``chunk`` and ``width`` a kernel's blocks take: the compiled ones at most
    :data:`WIDTH` members wide. A compiled member's numbers do not depend on the block width
    (no BLAS; tested), so this changes no result, only the speed."""
    if kernel != "numba":
        return chunk, width
    return min(chunk, WIDTH), None if width is None else min(width, WIDTH)


def _triple(part: SparsePart | None, n_fut: int, width: int) -> tuple[np.ndarray, ...]:
    """``(rows, cols, coef)`` of a sparse part (each scatter column has its one row)."""
    if part is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((n_fut, 0, width))
    rows = np.ascontiguousarray(part.scatter.argmax(axis=0), dtype=np.int64)
    return rows, np.ascontiguousarray(part.cols, dtype=np.int64), \
        np.ascontiguousarray(part.coef, dtype=np.float64)


class CompiledBlock(Block):
    """A :class:`Block` stepped by the compiled kernels (ramped drivers only)."""

    def __init__(self, shared: _Shared, start: int, log_x: np.ndarray | None = None,
                 offsets: np.ndarray | None = None, x: np.ndarray | None = None) -> None:
        if shared.ramped is None:
            raise ValueError("the numba kernel needs ramped drivers (Ramped), not fill_dynamic")
        from models import loops  # numba compiles (or loads its cache) here, not at import

        self.loops = loops
        super().__init__(shared, start, log_x, offsets, x)
        n_fut, width = self.log_x.shape[0], self.width
        n_groups = 1 + len(self.lagged)
        self.ramps = np.zeros((n_fut, n_groups, width))
        self.pushes = np.ascontiguousarray(np.stack(
            [self.push] + [push for push, _ in self.lagged], axis=1))
        self.z = np.empty_like(self.log_x)
        nominal = np.ascontiguousarray(shared.product[..., :self.n])
        self.trend = (self.x, self.scale, self.z, nominal, *_triple(self.p_trend, n_fut, width))
        self.no_pulses = (np.zeros((n_fut, 2 * self.n, 0)), np.zeros((n_fut, 0, width)),
                          *_triple(None, n_fut, width))
        readout = shared.readout
        if readout is not None:
            self.weights = np.ascontiguousarray(readout.trend_weights)
            self.index_sparse = _triple(self.p_index_trend, n_fut, width)
            self.index_pushes = np.zeros((n_fut, n_groups) + self.index.shape[1:])
            self.index_pushes[:, 0] = self.index_push
            for index, lag_ramp in self.index_lagged:  # the groups the indices weigh
                g = 1 + [id(r) for _, r in self.lagged].index(id(lag_ramp))
                self.index_pushes[:, g] = index

    def set_pulses(self, rows: tuple[int, ...]) -> None:
        """As :meth:`Block.set_pulses`, with the pulse columns as dense matrices."""
        super().set_pulses(rows)
        cols = list(self.pulse_rows)
        n_fut, width = self.log_x.shape[0], self.width
        self.pulse_dense = np.ascontiguousarray(self.driver_product[:, :, cols])
        self.pulse_sparse = _triple(self.p_pulse, n_fut, width)
        if self.shared.readout is not None:
            self.pulse_index_dense = np.ascontiguousarray(
                self.shared.readout.driver_weights[:, :, cols])
            self.pulse_index_sparse = _triple(self.p_pulse_index, n_fut, width)

    def _pulses(self, index: bool) -> tuple[Any, ...]:
        """The event offsets' arguments of the compiled calls (``index``: the readout's)."""
        if not self.use_offsets:
            return (False, self.offset_static, *self.no_pulses)
        if not self.pulse_rows:
            static = self.index_static if index else self.offset_static
            return (True, static, *self.no_pulses)
        if index:
            return (True, self.index_static, self.pulse_index_dense, self.pulse_now,
                    *self.pulse_index_sparse)
        return (True, self.offset_static, self.pulse_dense, self.pulse_now, *self.pulse_sparse)

    def advance(self) -> None:
        """One KSIM step from the recorded time point to the next (one compiled call)."""
        self.loops.step(self.trend, self.const, (self.pushes, self.ramps), self._pulses(False),
              self.log_x, self.sums)
        self.step += 1

    def record(self) -> None:
        """As :meth:`Block.record`: levels, the drivers' ramps, the readout if stored."""
        shared, valid, step = self.shared, self.valid, self.step
        slot = int(shared.slots[step])
        # numpy's SIMD exp: a tenth of the time of a compiled loop of scalar exp calls
        np.exp(self.log_x, out=self.x)
        if slot >= 0:
            dtype = shared.out.dtype.type
            self.loops.levels(self.x, shared.out[:, slot, :, self.members],
                              (float(self.low), float(self.high)),
                              (bool(shared.floor), dtype(shared.floor), dtype(1.0 - shared.floor)))
        assert shared.ramped is not None
        ramp = shared.ramped.ramp(step, self.members)
        self.ramps[:, :, :valid] = ramp.reshape(ramp.shape[0], -1, valid)
        if self.use_offsets:  # drivers hold from this record to the next advance
            self._take_offsets()
        if shared.readout is None or (slot < 0 and self.base is not None):
            return
        self.loops.readout(self.weights, self.x, self.index_sparse, (self.index_pushes, self.ramps),
                 self._pulses(True), self.index)
        if self.base is None:
            self.base = self.index.copy()
        if slot >= 0:
            assert shared.indices is not None
            self.loops.indices(self.index, self.base, shared.indices[:, slot, :, self.members])


class CompiledGroup:
    """Consecutive :class:`CompiledBlock` s stepped together: one compiled call per month for
    all of them instead of one per block, and the events' offsets taken in compiled code.

    The group stacks what its blocks prepared (block-major, a leading block axis) and
    works on its own arrays; the blocks are not used after. ``log_x``, ``offsets`` and ``x``
    may be given (views into an ensemble-wide array that event processes act on). Every
    block's members get exactly the arithmetic :class:`CompiledBlock` does, bar the offsets'
    fixed part (a compiled loop instead of a matrix product; equal within rounding).

    Attributes
    ----------
    members : slice
        The group's members in the full ensemble (the padding of the last block excluded).
    log_x, offsets, x : ndarray, shape (B, F, ·, width)
        As on :class:`models.integrator.Block`, per block.
    dirty : ndarray of bool, shape (B,)
        Per block, whether the offsets' fixed part must be taken again (events set it).
    """

    def __init__(self, blocks: list[CompiledBlock], log_x: np.ndarray | None = None,
                 offsets: np.ndarray | None = None, x: np.ndarray | None = None) -> None:
        first = blocks[0]
        self.loops, self.shared = first.loops, first.shared
        self.n, self.width, self.n_blocks = first.n, first.width, len(blocks)
        self.start = first.members.start
        self.members = slice(self.start, blocks[-1].members.stop)
        self.step = 0
        self.use_offsets = first.use_offsets
        n_fut, width = first.log_x.shape[0], self.width

        def stack(arrays: list[np.ndarray]) -> np.ndarray:  # one block: a view, no copy
            return np.ascontiguousarray(arrays[0][None] if len(arrays) == 1 else
                                        np.stack(arrays))

        self.log_x = stack([b.log_x for b in blocks]) if log_x is None else log_x
        self.x = np.empty_like(self.log_x) if x is None else x
        self.offsets = stack([b.offsets for b in blocks]) if offsets is None else offsets
        t_rows, t_cols = first.trend[4], first.trend[5]
        self.trend = (self.x, stack([b.scale for b in blocks]), np.empty_like(self.log_x),
                      first.trend[3], t_rows, t_cols, stack([b.trend[6] for b in blocks]))
        self.const = stack([b.const for b in blocks])
        self.ramps = np.zeros((self.n_blocks,) + first.ramps.shape)
        self.ramp = (stack([b.pushes for b in blocks]), self.ramps)
        self.sums = np.empty((self.n_blocks,) + first.sums.shape)
        self.spare = np.empty_like(self.log_x)
        self.low, self.high = float(first.low), float(first.high)
        # the ramps from their numbers (Ramped.linear), else from the callable each month
        linear = self.shared.ramped.linear if self.shared.ramped is not None else None
        n_groups = self.ramps.shape[2]
        self.linear = linear is not None and \
            (linear[2].ndim == 1 and linear[2].shape[0] == n_groups or
             linear[2].ndim == 3 and linear[2].shape[1] == n_groups)
        if linear is not None and self.linear:
            elapsed, years, lags = linear
            self.elapsed = np.ascontiguousarray(elapsed, dtype=np.float64)
            self.years = stack([b._padded(years) for b in blocks])
            self.lags = stack([np.broadcast_to(lags[None, :, None], (n_fut, n_groups, width))
                               if lags.ndim == 1 else b._padded(lags) for b in blocks])
        else:
            self.elapsed = np.zeros(1)
            self.years = np.ones((self.n_blocks, n_fut, width))
            self.lags = np.zeros_like(self.ramps)
        self.dirty = np.ones(self.n_blocks, dtype=bool)
        # the dynamic rows' entries (offsets), as (matrix, rows, cols, coef) of the steps and
        # of the readout; the pulse rows' part of them is split off by set_pulses
        self.driver = (np.ascontiguousarray(first.driver_product),
                       *_triple(first.p_driver, n_fut, width)[:2],
                       stack([_triple(b.p_driver, n_fut, width)[2] for b in blocks]))
        self.offset_static = np.zeros_like(self.sums)
        readout = self.shared.readout
        self.has_base = False
        if readout is not None:
            self.weights = first.weights
            self.index_sparse = (*first.index_sparse[:2],
                                 stack([b.index_sparse[2] for b in blocks]))
            self.index_ramp = (stack([b.index_pushes for b in blocks]), self.ramps)
            self.index = np.empty((self.n_blocks,) + first.index.shape)
            self.base = np.empty_like(self.index)
            if first.base is not None:
                self.base[...] = stack([b.base for b in blocks if b.base is not None])
                self.has_base = True
            self.index_driver = (np.ascontiguousarray(readout.driver_weights),
                                 *_triple(first.p_index_driver, n_fut, width)[:2],
                                 stack([_triple(b.p_index_driver, n_fut, width)[2]
                                        for b in blocks]))
            self.index_static = np.zeros_like(self.index)
        else:
            self.weights = np.zeros((n_fut, 0, self.n))
            self.index_sparse = (*_triple(None, n_fut, width)[:2],
                                 np.zeros((self.n_blocks, n_fut, 0, width)))
            self.index = np.zeros((self.n_blocks, n_fut, 0, width))
            self.base = self.index
            self.index_ramp = (np.zeros((self.n_blocks, n_fut, n_groups, 0, width)),
                               self.ramps)
            self.index_driver = (np.zeros((n_fut, 0, self.offsets.shape[2])),
                                 *_triple(None, n_fut, width)[:2],
                                 np.zeros((self.n_blocks, n_fut, 0, width)))
            self.index_static = np.zeros((self.n_blocks, n_fut, 0, width))
        self.set_pulses(())

    def set_pulses(self, rows: tuple[int, ...]) -> None:
        """As :meth:`CompiledBlock.set_pulses`, for every block of the group."""
        rows = tuple(int(r) for r in rows)
        n_fut, n_dyn, width = self.offsets.shape[1:]
        self.pulse_rows = np.array(rows, dtype=np.int64)
        self.is_pulse = np.isin(np.arange(n_dyn), self.pulse_rows)
        self.pulse_now = np.zeros((self.n_blocks, n_fut, len(rows), width))
        self.static_buffer = np.empty((n_fut, n_dyn, width))
        self.dirty[:] = True

        def split(matrix: np.ndarray, entries: np.ndarray, cols: np.ndarray,
                  coef: np.ndarray) -> tuple[np.ndarray, ...]:
            keep = np.isin(cols, self.pulse_rows)
            where = {c: k for k, c in enumerate(rows)}
            return (np.ascontiguousarray(matrix[:, :, list(rows)]), entries[keep],
                    np.array([where[int(c)] for c in cols[keep]], dtype=np.int64),
                    np.ascontiguousarray(coef[:, :, keep]))

        dense, p_rows, p_cols, p_coef = split(*self.driver)
        self.pulses = (self.use_offsets, self.offset_static, dense, self.pulse_now, p_rows,
                       p_cols, p_coef)
        dense, p_rows, p_cols, p_coef = split(*self.index_driver)
        self.index_pulses = (self.use_offsets, self.index_static, dense, self.pulse_now,
                             p_rows, p_cols, p_coef)

    def advance(self) -> None:
        """One KSIM step of every block (one compiled call)."""
        self.loops.step_blocks(self.trend, self.const, self.ramp, self.pulses, self.log_x,
                               self.sums)
        self.step += 1

    def record(self) -> None:
        """As :meth:`CompiledBlock.record`, for every block, in one compiled call
        (:func:`models.loops.record_blocks`: ``exp``, levels, ramps, offsets, readout)."""
        shared, step = self.shared, self.step
        slot = int(shared.slots[step])
        store, at = slot >= 0, max(slot, 0)
        read = shared.readout is not None and (store or not self.has_base)
        if not self.linear:  # a ramp given only as a callable
            assert shared.ramped is not None
            ramp = shared.ramped.ramp(step, self.members)
            self.loops.ramps_blocks(ramp.reshape(ramp.shape[0], -1, ramp.shape[-1]),
                                    self.ramps)
        dtype = shared.out.dtype.type
        indices = shared.indices[:, at] if shared.indices is not None else \
            np.zeros((shared.out.shape[0], 0, shared.out.shape[-1]), shared.out.dtype)
        self.loops.record_blocks(
            (step, store, read, read and not self.has_base), self.log_x, self.x, self.spare,
            (shared.out[:, at], self.start, (self.low, self.high),
             (bool(shared.floor), dtype(shared.floor), dtype(1.0 - shared.floor))),
            (self.linear, self.elapsed, self.years, self.lags, self.ramps),
            (self.use_offsets, self.dirty, self.offsets, self.pulse_rows, self.is_pulse,
             self.static_buffer, (*self.driver, self.offset_static),
             (*self.index_driver, self.index_static), self.pulse_now),
            (self.weights, self.index_sparse, self.index_ramp, self.index_pulses, self.index,
             self.base, indices))
        self.has_base = self.has_base or read


CompiledBlock.group = CompiledGroup  # type: ignore[attr-defined]
CompiledBlock.group_blocks = GROUP  # type: ignore[attr-defined]

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

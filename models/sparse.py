"""Sparse parts of a block's step (:mod:`models.integrator`): a few matrix columns or
entries applied on their own instead of through the shared matrix product.

:class:`SparsePart` holds a block's members of one :class:`models.dynamics.Sparse`
correction (the sampled structural entries); :func:`sparse_columns` and :func:`add_pulses`
the event pulses, the rows that change every month.
"""

from __future__ import annotations

import numpy as np


class SparsePart:
    """One :class:`models.dynamics.Sparse` correction on one block: ``target += S @ (coef *
    source[:, cols])`` with the block's members of ``coef``."""

    def __init__(self, scatter: np.ndarray, cols: np.ndarray, coef: np.ndarray) -> None:
        self.scatter, self.cols, self.coef = scatter, cols, coef
        self.buf = np.empty_like(coef)
        self.out = np.empty(coef.shape[:1] + scatter.shape[:1] + coef.shape[2:])
        # When no row of ``target`` takes more than one entry, ``S @ buf`` only moves each
        # entry to its row (1 x v exactly, the other rows +-0): add it there directly, the
        # same numbers without the product over every row (e.g. an event pulse's one entry).
        self.rows: list[int] | None = None
        if 0 < scatter.shape[1] <= 8 and (scatter.sum(axis=1) <= 1).all():
            self.rows = [int(r) for r in scatter.argmax(axis=0)]

    def add(self, target: np.ndarray, source: np.ndarray) -> None:
        """Add the correction of ``source`` (F, ·, width) to ``target`` (F, rows, width)."""
        np.take(source, self.cols, axis=1, out=self.buf)
        self.buf *= self.coef
        if self.rows is not None:
            for e, row in enumerate(self.rows):
                target[:, row] += self.buf[:, e]
            return
        np.matmul(self.scatter, self.buf, out=self.out)
        target += self.out

    def once(self, source: np.ndarray) -> np.ndarray:
        """The correction of ``source`` alone, a new array."""
        return np.matmul(self.scatter, self.coef * source[:, self.cols])

    def subset(self, columns: tuple[int, ...]) -> SparsePart | None:
        """The entries reading one of ``columns``, renumbered to their position there."""
        keep = np.isin(self.cols, columns)
        if not keep.any():
            return None
        where = {c: k for k, c in enumerate(columns)}
        return SparsePart(self.scatter[:, keep], np.array([where[int(c)] for c in self.cols[keep]]),
                     np.ascontiguousarray(self.coef[:, keep]))


def sparse_columns(matrix: np.ndarray,
                   columns: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per column of ``matrix`` (F, rows, K): its non-zero rows and their values (F, r, 1)."""
    out = []
    for col in columns:
        rows = np.flatnonzero(matrix[:, :, col].any(axis=0))
        out.append((rows, matrix[:, rows, col][:, :, None]))
    return out


def add_pulses(target: np.ndarray, parts: list[tuple[np.ndarray, np.ndarray]],
                values: np.ndarray) -> None:
    """``target[:, rows] += coef * values[:, j]`` for each sparse pulse column ``j``."""
    for j, (rows, coef) in enumerate(parts):
        target[:, rows] += coef * values[:, j, None, :]


def corrected(matrix: np.ndarray, part: SparsePart | None, change: np.ndarray) -> np.ndarray:
    """``matrix @ change`` plus the sampled entries' correction of it (``part``): the step
    sums' or the readout's part of a change of the dynamic-driver rows, per ramp group."""
    out = np.matmul(matrix, change)
    if part is not None:
        out += part.once(change)
    return out

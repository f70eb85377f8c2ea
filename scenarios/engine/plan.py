"""How an ensemble is cut into batches, and the progress bar over them.

Shared by the member-storing writers (:mod:`scenarios.engine.batches`) and the streamed
statistics (:mod:`scenarios.engine.summary`).
"""

from __future__ import annotations

import sys

import numpy as np

from scenarios.config.schema import RunSpec


def plan(spec: RunSpec) -> list[tuple[int, int]]:
    """The member slices ``(start, stop)`` of every batch, in order."""
    return [(a, min(a + spec.batch, spec.members)) for a in range(0, spec.members, spec.batch)]


def member_slice(members: dict[str, np.ndarray], start: int, stop: int) -> dict[str, np.ndarray]:
    """The sampled parameters of members ``start .. stop`` (contiguous copies)."""
    return {k: np.ascontiguousarray(v[:, start:stop]) for k, v in members.items()}


class _NoBar:
    """What :func:`progress` gives when no bar is shown: ``update`` and ``close`` do nothing."""

    def update(self, n: int = 1) -> None:
        """Count ``n`` more (ignored)."""

    def close(self) -> None:
        """Nothing to close."""


def progress(total: int, what: str, show: bool = True) -> object:
    """A progress bar on stderr, shown only when stderr is a terminal and ``show`` is true
    (a sweep's jobs leave it to the sweep's own bar). Without a bar, tqdm is not imported
    (start-up)."""
    if not show or sys.stderr is None or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=f"futures: {what}", unit=" members", unit_scale=True,
                file=sys.stderr, leave=False, dynamic_ncols=True)

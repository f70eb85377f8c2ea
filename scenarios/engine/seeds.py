"""The seed scheme: every random draw of every command is a child of the run's ``seed``.

A child is keyed by a *name* (CRC-32 of its text), never by a position, so that what a name
draws does not depend on what else runs beside it:

* the members of future ``LABEL``: ``SeedSequence(seed, spawn_key=(crc32(LABEL),))``
  (:func:`future_seed`, :func:`draw_members`); ``futures plane`` draws its common members
  under the name ``plane`` the same way;
* the events of future ``LABEL``: the second child ``(crc32(LABEL), 1)`` (:func:`event_rngs`);
  :func:`models.events.draw_pools` spawns one generator per block of members from it, so any
  chunk of members draws the events it draws in the whole run;
* an analysis' own draws (``sensitivity:design``, ``sensitivity:bootstrap``):
  :func:`named_rng`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from models.sampling import sample
from scenarios.config.schema import RunSpec


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def future_seed(seed: int, label: str) -> np.random.SeedSequence:
    """The seed sequence of the members drawn under ``label`` (a future's label)."""
    return np.random.SeedSequence(seed, spawn_key=(_key(label),))


def named_rng(seed: int, name: str) -> np.random.Generator:
    """A generator for one named purpose of an analysis (e.g. ``sensitivity:design``)."""
    return np.random.default_rng(future_seed(seed, name))


def _labels(spec: RunSpec, labels: Sequence[str] | None) -> list[str]:
    return [f.label for f in spec.futures] if labels is None else list(labels)


def event_rngs(spec: RunSpec, labels: Sequence[str] | None = None
               ) -> list[np.random.SeedSequence]:
    """One seed sequence per future (``labels``, default the run's) for its events."""
    return [np.random.SeedSequence(spec.seed, spawn_key=(_key(label), 1))
            for label in _labels(spec, labels)]


def draw_members(spec: RunSpec, labels: Sequence[str] | None = None,
                 n: int | None = None) -> dict[str, np.ndarray]:
    """Sample every uncertain parameter: name -> array (F, M).

    ``labels`` (default the run's futures) name the draws, ``n`` is M (default
    ``ensemble.members``). With ``ensemble.nominal`` every member takes the nominal values.
    """
    names = _labels(spec, labels)
    n = spec.members if n is None else n
    out = {u.name: np.empty((len(names), n)) for u in spec.uncertainties}
    for i, label in enumerate(names):
        if spec.nominal:
            for u in spec.uncertainties:
                out[u.name][i] = u.nominal
            continue
        rng = np.random.default_rng(future_seed(spec.seed, label))
        for name, values in sample(spec.uncertainties, n, spec.design, rng=rng).items():
            out[name][i] = values
    return out

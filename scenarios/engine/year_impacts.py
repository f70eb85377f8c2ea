"""The impacts of many futures at one time point, computed a group of futures at a time.

``futures robustness`` and ``futures plane`` run hundreds of futures (settings x futures,
grid points) on the same members but need only one year's impacts. :func:`impacts_at`
runs as many futures per :func:`scenarios.engine.simulate.simulate` call as fit ``ensemble.batch`` members
(the bound ``futures run`` puts on its member batches, :mod:`scenarios.engine.batches`), so memory
stays bounded whatever the number of futures. Every call runs all members of its futures,
so the results do not depend on the grouping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.ensemble import Future
from scenarios.config.events import build
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import draw_members, event_rngs, simulate


def impacts_at(spec: RunSpec, futures: list[Future], members: Mapping[str, np.ndarray],
               n_members: int, time_index: int, events_node: Mapping[str, Any] | None,
               rngs: list[np.random.SeedSequence] | None, *,
               batch_members: int | None = None) -> np.ndarray:
    """Impacts at one time point of every future and member.

    Parameters
    ----------
    spec : RunSpec
        Gives the world, chunk and threads.
    futures : list of Future
        F futures; labels may repeat (election plans are looked up by label).
    members : mapping of str to ndarray, shape (F, M)
        Sampled parameters per future.
    n_members : int
        M.
    time_index : int
        Index into :meth:`models.ensemble.World.times`.
    events_node : mapping or None
        The ``events`` config node, rebuilt for each batch of futures; ``None`` runs the
        continuous model.
    rngs : list of SeedSequence or None
        One per future for the event draws (required with events).
    batch_members : int, optional
        Futures per call: as many as fit ``batch_members`` members (default
        ``spec.batch``, i.e. ``ensemble.batch``; the full level and impact paths take about
        14 kB per member in float64, so 8192 members about 115 MB); results do not depend
        on it.

    Returns
    -------
    ndarray, shape (F, M, A)
    """
    n_fut = len(futures)
    limit = spec.batch if batch_members is None else batch_members
    per_call = max(1, limit // max(n_members, 1))
    out = np.empty((n_fut, n_members, len(spec.world.areas)))
    for first in range(0, n_fut, per_call):
        part = slice(first, min(first + per_call, n_fut))
        batch = futures[part]
        known = spec.study.future_labels + tuple(f.label for f in spec.futures)
        events = build(events_node, spec.world, batch, known) if events_node is not None \
            else None
        outcome, _ = simulate(spec, futures=batch, n_members=n_members,
                              members={k: v[part] for k, v in members.items()},
                              events=events, rngs=None if rngs is None else rngs[part],
                              precision="float64")
        out[part] = outcome.impacts[:, time_index].transpose(0, 2, 1)
    return out


def impacts_on_worlds(spec: RunSpec, futures: list[Future], labels: Sequence[str],
                      n_members: int, time_index: int, events_node: Mapping[str, Any] | None,
                      *, batch_members: int | None = None) -> np.ndarray:
    """:func:`impacts_at` of futures on common random numbers: the members and event draws
    of ``labels`` (:mod:`scenarios.engine.seeds`) repeat over ``futures``, future ``i``
    taking those of ``labels[i % len(labels)]`` (``len(futures)`` a multiple of
    ``len(labels)``). Without the run's events (or with ``events_node=None``) the model is
    continuous.

    Returns
    -------
    ndarray, shape (F, M, A)
    """
    repeats = len(futures) // len(labels)
    drawn = draw_members(spec, labels, n_members)
    members = {name: np.tile(values, (repeats, 1)) for name, values in drawn.items()}
    events = spec.events is not None and events_node is not None
    return impacts_at(spec, futures, members, n_members, time_index,
                      events_node if events else None,
                      event_rngs(spec, labels) * repeats if events else None,
                      batch_members=batch_members)

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
  :func:`named_rng`;
* the posterior particles of the members (:mod:`scenarios.engine.posterior`): the name
  ``posterior``, common to every future (a particle is one world);
* the lever-response parameters ``L.*`` (``lever_response.sampled``): the name
  ``lever_response``, common to every future (the lever response is a property of the
  world), in the prior and the posterior ensemble alike (the posterior does not hold them).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from models.sampling import Uncertainty, sample
from scenarios.config.schema import RunSpec
from scenarios.engine.posterior import Posterior, stored


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
                 n: int | None = None, *, posterior: Posterior | None | bool = True
                 ) -> dict[str, np.ndarray]:
    """Sample every uncertain parameter: name -> array (F, M).

    ``labels`` (default the run's futures) name the draws, ``n`` is M (default
    ``ensemble.members``). With ``ensemble.nominal`` every member takes the nominal values.

    By default the members come from the study's stored posterior
    (:func:`scenarios.engine.posterior.stored`): member ``m`` of every future is particle
    ``k_m``, drawn with equal weights and replacement under the name ``posterior``; the
    parameters the posterior does not hold are drawn from the prior as below. With
    ``ensemble.prior`` (or no stored posterior, or ``posterior=False``) every parameter comes
    from the prior: a design per future (``ensemble.design``) under the future's label.
    ``posterior`` may also be a :class:`~scenarios.engine.posterior.Posterior` to draw from.
    ``spec.lever_uncertainties`` (``L.*``) are drawn under their own name ``lever_response``,
    the same in every future, so the other parameters draw what they drew without them.
    """
    names = _labels(spec, labels)
    n = spec.members if n is None else n
    if spec.nominal:
        return {u.name: np.full((len(names), n), u.nominal) for u in spec.uncertainties}
    levers = _lever_members(spec, len(names), n)
    out: dict[str, np.ndarray] = {}
    chosen = None
    if posterior is True:
        chosen = None if spec.prior else stored(spec.study.name)
    elif isinstance(posterior, Posterior):
        chosen = posterior
    rest: list[Uncertainty] = list(spec.uncertainties)
    if chosen is not None:
        pick = named_rng(spec.seed, "posterior").integers(len(chosen.unit), size=n)
        column = {name: k for k, name in enumerate(chosen.names)}
        for u in spec.uncertainties:  # one world, every future: a read-only view (F, M)
            if u.name in column:
                out[u.name] = np.broadcast_to(u.ppf(chosen.unit[pick, column[u.name]]),
                                              (len(names), n))
        rest = [u for u in spec.uncertainties if u.name not in column]
    out.update({u.name: np.empty((len(names), n)) for u in rest})
    for i, label in enumerate(names if rest else ()):
        rng = np.random.default_rng(future_seed(spec.seed, label))
        for name, values in sample(rest, n, spec.design, rng=rng).items():
            out[name][i] = values
    return {**{u.name: out[u.name] for u in spec.uncertainties}, **levers}


def _lever_members(spec: RunSpec, n_futures: int, n: int) -> dict[str, np.ndarray]:
    """The lever-response parameters (``spec.lever_uncertainties``): name -> (F, M)."""
    if not spec.lever_uncertainties:
        return {}
    drawn = sample(spec.lever_uncertainties, n, spec.design,
                   rng=named_rng(spec.seed, "lever_response"))
    return {name: np.broadcast_to(values, (n_futures, n)) for name, values in drawn.items()}

"""The study's stored posterior: the members a default run draws (issue 15 item 2).

``conf/study/<study>_posterior.nc`` holds particles of the posterior over the uncertain
parameters given the narratives and the observed series
(``python -m scenarios.analysis.narratives.posterior --write`` computes and writes it,
docs/validation.md). A particle is a point in the unit cube of the prior: ``unit(particle,
parameter)``, mapped through each parameter's distribution as configured
(:meth:`models.sampling.Uncertainty.ppf`), so a particle is the same *quantile* of every
range whichever nominal value or range a user configures. One particle is one world: it
gives the same values to every future.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from scenarios.config.where import conf_dir

SUFFIX = "_posterior.nc"


@dataclass(frozen=True)
class Posterior:
    """Equally weighted posterior particles.

    Attributes
    ----------
    names : tuple of str
        Parameter names (the columns of ``unit``).
    unit : ndarray, shape (P, D)
        Particles in the prior's unit cube, in [0, 1).
    attrs : dict
        Provenance: how and on what the posterior was computed.
    """

    names: tuple[str, ...]
    unit: np.ndarray
    attrs: dict


def path_of(study: str) -> Path:
    """Where the posterior of study ``study`` is stored."""
    return conf_dir() / "study" / f"{study}{SUFFIX}"


@cache
def _read(path: str, mtime: float) -> Posterior:
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return Posterior(tuple(str(p) for p in ds["parameter"].values),
                         np.asarray(ds["unit"].values, dtype=np.float64), dict(ds.attrs))


def stored(study: str) -> Posterior | None:
    """The stored posterior of ``study``, or None if it has none."""
    path = path_of(study)
    if not path.is_file():
        return None
    return _read(str(path), path.stat().st_mtime)

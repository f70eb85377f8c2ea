"""The study's stored posterior: the members a default run draws (issue 15 item 2).

``conf/study/<study>_posterior.nc`` holds particles of the posterior over the uncertain
parameters given the narratives and the observed series
(``python -m scenarios.analysis.narratives.posterior --write`` computes and writes it,
docs/validation.md). A particle is a point in the unit cube of the prior: ``unit(particle,
parameter)``, mapped through each parameter's distribution as configured
(:meth:`models.sampling.Uncertainty.ppf`), so a particle is the same *quantile* of every
range whichever nominal value or range a user configures. One particle is one world: it
gives the same values to every future.

**Staleness.** The file stores :func:`inputs_digest` of what it was computed on (attribute
``inputs_digest``): the parsed content (comments and layout aside) of every config file the
study pulls in but the ones the posterior does not read (:data:`NOT_READ`), and of the
study's narrative cells, rankings, axes and labels. :func:`stored` compares it with the
current files and logs one warning line naming :data:`REGENERATE` when they differ. The
digest of the model code (``code_digest``, :func:`code_digest`) is stored beside it for the
record only: code changes that keep the numbers (speed work, refactors) are common, and the
ones that change them show in tests/test_golden.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.config.where import conf_dir

SUFFIX = "_posterior.nc"
#: The command that regenerates the default study's posterior.
REGENERATE = "python -m scenarios.analysis.narratives.posterior --write"
#: Config packages of a study's defaults list the posterior does not read.
NOT_READ = frozenset({"robustness"})
#: The parts of the ``study`` node the posterior reads.
STUDY_KEYS = ("narratives", "axes", "trends", "areas", "drivers", "levers", "futures")
#: The code the posterior's numbers come from (for ``code_digest``), relative to the root.
CODE = ("models", "scenarios/analysis/narratives/posterior.py",
        "scenarios/analysis/narratives/table.py", "scenarios/analysis/calibration/compute.py")

log = logging.getLogger("futures")


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
    """The stored posterior of ``study``, or None if it has none; a stale one (other inputs
    than the current, :func:`stale`) is used with a one-line warning."""
    path = path_of(study)
    if not path.is_file():
        return None
    posterior = _read(str(path), path.stat().st_mtime)
    if stale(posterior, study):
        _warn_once(study, str(path), path.stat().st_mtime)
    return posterior


def _digest(content: object) -> str:
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _inputs(study: str, conf: Path) -> dict[str, object]:
    """The parsed inputs of :func:`inputs_digest`: file (relative to ``conf``) -> content."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster, same values

    def parsed(path: Path) -> Any:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader

    node = parsed(conf / "study" / f"{study}.yaml")
    out: dict[str, object] = {
        "study": {k: _numbers(k, v) for k, v in (node.get("study") or {}).items()
                  if k in STUDY_KEYS},
        "futures": node.get("futures")}
    for entry in node.get("defaults", []):
        if entry == "_self_":
            continue
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        group = next(iter(entry)).split("@")[0] if isinstance(entry, dict) else ""
        name = f"{group.strip('/')}/{target}" if group else str(target).strip("/")
        if name.split("/")[0] in NOT_READ:
            continue
        path = conf / f"{name}.yaml"
        out[name] = parsed(path) if path.is_file() else None
    return out


def _numbers(key: str, node: object) -> object:
    """What of a ``study`` part the posterior depends on: a vocabulary's labels in order, an
    axis's drivers, the narratives whole (display names, meanings and sources do not count)."""
    if key in ("trends", "areas", "drivers", "levers", "futures") and isinstance(node, dict):
        return list(node)
    if key == "axes" and isinstance(node, dict):
        return {name: {k: v for k, v in axis.items() if k in ("low", "high")}
                for name, axis in node.items() if isinstance(axis, dict)}
    return node


def inputs_digest(study: str, conf: Path | None = None) -> str:
    """Digest of the inputs the posterior of ``study`` depends on (module docstring):
    the config files of its defaults list but :data:`NOT_READ` and the parts
    :data:`STUDY_KEYS` of its ``study`` node, parsed, so comments and layout do not count.
    Cached per state of the YAML files (their modification times): every run reads it."""
    conf = conf_dir() if conf is None else conf
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                         for p in conf.rglob("*.yaml")))
    return _cached_digest(study, str(conf), stamp)


@cache
def _cached_digest(study: str, conf: str, stamp: tuple) -> str:
    return _digest(_inputs(study, Path(conf)))


def code_digest(root: Path | None = None) -> str:
    """Digest of the source files :data:`CODE` (recorded, not checked: module docstring)."""
    root = conf_dir().parent if root is None else root
    files = sorted(p for c in CODE for p in ((root / c).rglob("*.py") if (root / c).is_dir()
                                             else [root / c]) if p.is_file())
    return _digest({str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in files})


def stale(posterior: Posterior, study: str, conf: Path | None = None) -> bool:
    """Whether ``posterior`` was computed on other inputs than the current ones."""
    return posterior.attrs.get("inputs_digest") != inputs_digest(study, conf)


@cache
def _warn_once(study: str, path: str, mtime: float) -> None:
    log.warning("futures: warning: %s was computed on other inputs than the current conf/ "
                "(its inputs digest differs): the members come from an outdated posterior; "
                "regenerate it with %s", path, REGENERATE)

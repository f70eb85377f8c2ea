"""The Python API: the model from a notebook, without the command line or a run folder.

Every function validates its input exactly as ``futures run`` does and raises
:class:`ConfigError` (one line naming the key, the value and what is allowed). Hydra composes
the configuration in this process (its compose API, no start-up per call), so a call costs
the composition and the simulation only.

Examples
--------
>>> from scenarios import api
>>> ds = api.run(["futures=[versnelling,gelijk_speelveld]"], seed=7, members=16)
>>> ds.level.dims
('future', 'member', 'time', 'trend')
>>> [str(f) for f in ds.future.values]
['versnelling', 'gelijk_speelveld']
>>> int(ds.attrs["seed"])
7
>>> bool((ds.level > 0).all() and (ds.level < 1).all())
True
>>> api.run(["futures=[versneling]"], members=16)
Traceback (most recent call last):
...
scenarios.config.errors.ConfigError: futures='versneling': future not found; expected one of ['versnelling', 'voorwaardelijke_groei', 'radicale_markten', 'gelijk_speelveld']
"""

from __future__ import annotations

import functools
import itertools
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr
from omegaconf import DictConfig, OmegaConf

from scenarios.config.errors import ConfigError

if TYPE_CHECKING:
    from ema_workbench import Model

__all__ = ["ConfigError", "ema_model", "load", "run", "sweep"]


def _overrides(overrides: Sequence[str] | None, seed: int | None,
               members: int | None) -> list[str]:
    if isinstance(overrides, str):
        raise ConfigError("overrides", overrides, "expected a list of KEY=VALUE strings, "
                          "e.g. ['seed=7']")
    out = list(overrides or [])
    if seed is not None:
        out.append(f"seed={seed}")
    if members is not None:
        out.append(f"ensemble.members={members}")
    return out


@functools.lru_cache(maxsize=1)
def _base() -> bytes:
    """The composed defaults, pickled: unpickling is a deep copy ~8x cheaper than
    ``copy.deepcopy`` of the config object."""
    from scenarios.config.compose import compose_config

    return pickle.dumps(compose_config([]), protocol=pickle.HIGHEST_PROTOCOL)


def _plain(override: Any) -> bool:
    """Whether Hydra would apply ``override`` as a plain value change after composing the
    defaults (no group choice, no add/delete, no sweep, not under ``hydra``)."""
    from scenarios.config.compose import conf_dir

    key = override.key_or_group
    return (override.package is None and not override.is_delete() and not override.is_add()
            and not override.is_force_add() and not override.is_sweep_override()
            and not key.startswith("hydra") and "/" not in key
            and not (conf_dir() / key.replace(".", "/")).is_dir())


def compose(overrides: Sequence[str]) -> DictConfig:
    """The composed config of ``overrides``, as ``futures run`` composes it.

    Hydra reads and merges every YAML file of the defaults list on each composition
    (~0.15 s). Value overrides (``KEY=VALUE`` on an existing key) change nothing in that list,
    and Hydra applies them to the composed defaults with ``OmegaConf.update``; so they are
    applied here the same way to one cached composition of the defaults. Anything else (a
    group choice such as ``study=...``, ``+KEY``, ``~KEY``) and any override that fails on
    the fast path goes through Hydra's full composition, which also gives the one-line error.
    ``tests/test_interop.py`` checks both paths give the same config.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from scenarios.config.compose import compose_config, normalize

    texts = normalize(list(overrides))
    try:
        parsed = OverridesParser.create().parse_overrides(texts)
    except Exception:  # noqa: BLE001 - the full path names the bad override in one line
        return compose_config(texts)
    if not all(_plain(o) for o in parsed):
        return compose_config(texts)
    cfg = pickle.loads(_base())
    try:
        for override in parsed:
            OmegaConf.update(cfg, override.key_or_group, override.value(), merge=True)
    except Exception:  # noqa: BLE001 - same: Hydra's own path says what is wrong
        return compose_config(texts)
    return cfg


def run(overrides: Sequence[str] | None = None, *, seed: int | None = None,
        members: int | None = None, run_dir: str | Path | None = None) -> xr.Dataset:
    """Simulate the futures: the dataset ``futures run`` writes to ``outcomes.nc``.

    Parameters
    ----------
    overrides : list of str, optional
        Hydra overrides as on the command line, e.g. ``["futures=[versnelling]",
        "levers.ai_investment=0.8"]``.
    seed : int, optional
        Shorthand for ``seed=...``.
    members : int, optional
        Shorthand for ``ensemble.members=...`` (members per future).
    run_dir : path, optional
        Also write ``outcomes.nc`` there (as ``futures run hydra.run.dir=...`` would);
        the returned dataset is then the file's contents.

    Returns
    -------
    xarray.Dataset
        ``level(future, member, time, trend)``, ``impact(future, member, time, area)``, the
        sampled parameters, the events, and the resolved config, seed and version as attrs.

    Raises
    ------
    ConfigError
        On bad input, before anything is computed or written.
    """
    from scenarios.config.compose import check, config_text
    from scenarios.engine.batches import simulate_dataset, write_outcomes
    from scenarios.engine.startup import fast_yaml
    from scenarios.engine.storage import open_outcomes

    cfg = compose(_overrides(overrides, seed, members))
    spec = check(cfg)
    with fast_yaml():  # the same text through libyaml's emitter
        config = config_text(cfg)
    if run_dir is None:
        return simulate_dataset(spec, config)
    path = write_outcomes(spec, config, Path(run_dir))
    with open_outcomes(path) as ds:
        return ds.load()


def sweep(values: Mapping[str, Sequence[Any]], overrides: Sequence[str] | None = None, *,
          seed: int | None = None, members: int | None = None) -> xr.Dataset:
    """Run every combination of swept values: one dataset with one dimension per swept key.

    The in-process counterpart of ``futures run -m KEY=a,b ...``: dimensions are named after
    the keys (``seed``, ``future.versnelling.drivers.eu_regulation``), their values are the
    coordinates, and each combination's resolved config is ``job_config``.

    Examples
    --------
    >>> from scenarios import api
    >>> ds = api.sweep({"seed": [1, 2]}, ["futures=[versnelling]"], members=8)
    >>> ds.level.dims
    ('seed', 'future', 'member', 'time', 'trend')
    >>> ds.seed.values.tolist()
    [1, 2]
    """
    if not values:
        raise ConfigError("values", "{}", "name at least one key to sweep, e.g. {'seed': [1, 2]}")
    keys = list(values)
    for key in keys:
        if isinstance(values[key], (str, bytes)) or len(values[key]) == 0:
            raise ConfigError(key, values[key], "expected a non-empty list of values")
    base = _overrides(overrides, seed, members)
    combos = list(itertools.product(*(values[k] for k in keys)))
    parts = []
    for combo in combos:
        ds = run(base + [f"{k}={v}" for k, v in zip(keys, combo)])
        part = ds.drop_dims([d for d in ("event",) if d in ds.dims])  # ragged per job
        part["job_config"] = xr.DataArray(ds.attrs.get("config", ""), attrs={
            "long_name": "resolved config of the job (YAML)", "units": "1"})
        part.attrs = {}
        parts.append(part)
    stacked = xr.concat(parts, dim="job", join="outer", combine_attrs="drop",
                        data_vars="all", coords="different", compat="equals")
    for k, key in enumerate(keys):
        stacked = stacked.assign_coords({key: ("job", [c[k] for c in combos])})
    combined = (stacked.swap_dims(job=keys[0]) if len(keys) == 1
                else stacked.set_index(job=keys).unstack("job"))
    combined = combined.transpose(*keys, ...)
    combined.attrs = {k: v for k, v in ds.attrs.items() if k != "config"}
    combined.attrs["swept_keys"] = " ".join(keys)
    return combined


def load(run_dir: str | Path) -> xr.Dataset:
    """Open the outcomes of a run or sweep folder (lazily; every member).

    Raises
    ------
    ConfigError
        If the folder holds no outcomes of ``futures run``.
    """
    from scenarios.interop.export import load as open_folder

    ds, _ = open_folder(Path(run_dir))
    return ds


def ema_model(future: str = "versnelling", overrides: Sequence[str] | None = None, *,
              year: float | None = None) -> Model:
    """An EMA Workbench model of one future (see :mod:`scenarios.interop.ema`)."""
    from scenarios.interop.ema import build_model

    return build_model(future, list(overrides or []), year=year)

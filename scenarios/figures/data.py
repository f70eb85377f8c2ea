"""Read a run or sweep directory for ``futures plot`` and ``futures report``.

A run directory holds ``outcomes.nc`` (or the zarr store ``outcomes.zarr``); a sweep root
holds ``sweep.nc`` (or ``sweep.zarr``) with one extra dimension per swept key
(:mod:`scenarios.engine.sweep`). :func:`open_run` loads either, checks that it is a futures outcomes
file, and lists its *variants*: one for a run, one per combination of swept values for a
sweep. Only what the figures use is read; a run larger than :data:`MAX_MEMBERS` members is
read at evenly spaced members (the figures say so). Anything missing, truncated or foreign raises
:class:`scenarios.config.errors.ConfigError` (one line, exit status 2 on the command line).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from scenarios.config.errors import ConfigError
from scenarios.config.safe_yaml import load_yaml
from scenarios.config.study import Study, study_in
from scenarios.engine.names import OUTCOMES, RUN_FILES, SWEEP
from scenarios.engine.storage import open_outcomes

#: What a folder may hold, in the order looked for: a run's outcomes, then a sweep's.
CANDIDATES = RUN_FILES
#: Variables the figures and the handout use; the rest (the per-event table, samples) is
#: not read.
USED = ("level", "impact", "position", "event_count", "milestone_time", "job_config")
#: At most this many members per future are read (evenly spaced): quantiles and violins of
#: 20 000 members are as good as of a million, and fit in memory.
MAX_MEMBERS = 20_000

#: Variables every outcomes file has, with the run's own dimensions (README.md, 'What a run gives you').
REQUIRED: dict[str, tuple[str, ...]] = {
    "level": ("future", "member", "time", "trend"),
    "impact": ("future", "member", "time", "area"),
    "position": ("future", "axis"),
}
RUN_DIMS = {"future", "member", "time", "trend", "area", "parameter", "axis", "event",
            "milestone", "year", "kind"}


@dataclass(frozen=True)
class Variant:
    """One combination of swept values (empty for a plain run)."""

    label: str                       # e.g. "seed=1"; "" for a plain run
    values: dict[str, Any] = field(default_factory=dict)   # swept key -> value


@dataclass
class RunData:
    """A loaded run or sweep: the dataset, its variants and each variant's config."""

    path: Path
    ds: xr.Dataset
    swept: list[str]
    variants: list[Variant]
    configs: list[dict[str, Any]]    # resolved config of each variant
    members_total: int = 0           # members per future in the file (``member`` size)

    @property
    def is_sweep(self) -> bool:
        """Whether this is a sweep (one or more swept keys)."""
        return bool(self.swept)

    @property
    def futures(self) -> list[str]:
        """Future labels, in the run's order."""
        return [str(f) for f in self.ds.future.values]

    def view(self, variant: Variant) -> xr.Dataset:
        """The dataset of one variant, without the swept dimensions."""
        return self.ds.sel(variant.values) if variant.values else self.ds

    def has(self, variant: Variant, future: str) -> bool:
        """Whether ``future`` was run in ``variant`` (a sweep over ``futures`` leaves gaps)."""
        level = self.view(variant).level.sel(future=future)
        return bool(np.isfinite(level.isel(time=-1)).any())

    @property
    def config(self) -> dict[str, Any]:
        """The config of the first variant (a run's only config)."""
        return self.configs[0]

    @cached_property
    def study(self) -> Study:
        """The run's study (its labels' display names), from the stored config."""
        return study_in(self.configs[0])


def find_file(run_dir: Path) -> Path:
    """The outcomes file of ``run_dir``: ``outcomes.nc`` of a run or ``sweep.nc`` of a sweep."""
    if not run_dir.exists():
        raise ConfigError("RUN_DIR", str(run_dir), "no such folder; give the folder that "
                          "`futures run` printed")
    if not run_dir.is_dir():
        raise ConfigError("RUN_DIR", str(run_dir), "not a folder; give the folder that "
                          "`futures run` printed (it holds outcomes.nc)")
    for name in CANDIDATES:
        if (run_dir / name).exists():
            return run_dir / name
    raise ConfigError("RUN_DIR", str(run_dir), f"holds neither {OUTCOMES} (a run) nor "
                      f"{SWEEP} (a sweep); give the folder that `futures run` printed")


def _load(path: Path) -> tuple[xr.Dataset, int]:
    """The used variables of ``path``, at most MAX_MEMBERS members; and the member count."""
    what = "a zarr store" if path.is_dir() else "netCDF-4"
    try:
        with warnings.catch_warnings():
            # a damaged store makes zarr/h5py warn before they fail: the error says it all
            warnings.simplefilter("ignore")
            with open_outcomes(path) as ds:
                total = int(ds.sizes.get("member", 0))
                keep = ds[[v for v in USED if v in ds.variables]]
                keep.attrs = dict(ds.attrs)
                if total > MAX_MEMBERS:
                    keep = keep.isel(member=np.linspace(0, total - 1, MAX_MEMBERS).round()
                                     .astype(int))
                return keep.load(), total
    except ConfigError:  # refused before reading (a FIFO, text levels): said as it is
        raise
    except Exception as err:  # h5py, h5netcdf and zarr raise OSError, ValueError, KeyError...
        raise ConfigError(str(path.parent), path.name, f"cannot be read as {what} "
                          f"(truncated or not written by `futures run`: "
                          f"{type(err).__name__})") from err


def _check(path: Path, ds: xr.Dataset, swept: list[str]) -> None:
    where, what = str(path.parent), path.name
    for name, dims in REQUIRED.items():
        if name not in ds.data_vars:
            raise ConfigError(where, what, f"not a futures outcomes file: no variable "
                              f"{name!r}; expected {name}{dims}")
        actual = tuple(d for d in ds[name].dims if d not in swept)
        if actual != dims:
            raise ConfigError(where, what, f"not a futures outcomes file: {name} has dims "
                              f"{actual}; expected {dims}")
    if ds.sizes["future"] == 0 or ds.sizes["member"] == 0 or ds.sizes["time"] < 2:
        raise ConfigError(where, what, "holds no futures, members or time steps")
    if "config" not in ds.attrs and "job_config" not in ds.data_vars:
        raise ConfigError(where, what, "not a futures outcomes file: no resolved config "
                          "(attribute 'config')")


def _parse_config(text: object, where: str, what: str) -> dict[str, Any]:
    try:  # bounded: a stored config could be an alias bomb
        config = load_yaml(str(text), where, what)
    except ConfigError as err:
        raise ConfigError(where, what, f"its stored config is refused ({err.allowed})") \
            from None
    if not isinstance(config, dict):
        raise ConfigError(where, what, "its stored config is not a mapping")
    return config


def _value_text(value: Any) -> str:
    value = value.item() if hasattr(value, "item") else value
    return f"{value:g}" if isinstance(value, float) else str(value)


def open_run(run_dir: Path | str) -> RunData:
    """Load the run or sweep in ``run_dir``.

    Parameters
    ----------
    run_dir : path
        A folder printed by ``futures run`` (holding ``outcomes.nc``) or by ``futures run -m``
        (holding ``sweep.nc``).

    Returns
    -------
    RunData
        The loaded dataset with its variants (combinations of swept values that hold data).

    Raises
    ------
    ConfigError
        If the folder is missing or empty, or its file is truncated, unreadable or foreign.
    """
    path = find_file(Path(run_dir))
    ds, total = _load(path)
    swept = [k for k in str(ds.attrs.get("swept_keys", "")).split() if k in ds.dims]
    extra = [d for d in ds.level.dims if d not in RUN_DIMS] if "level" in ds else []
    swept += [d for d in extra if d not in swept]
    _check(path, ds, swept)
    where, what = str(path.parent), path.name
    variants, configs = [], []
    for combo in itertools.product(*(ds[k].values for k in swept)):
        values = dict(zip(swept, combo))
        view = ds.sel(values) if values else ds
        if not np.isfinite(view.level.isel(time=-1)).any():
            continue  # a missing job of the sweep
        short = len(swept) > 1
        label = ", ".join(f"{k.split('.')[-1] if short else k}={_value_text(v)}"
                          for k, v in values.items())
        variants.append(Variant(label, values))
        text = view.job_config.item() if "job_config" in view else ds.attrs["config"]
        configs.append(_parse_config(text, where, what))
    if not variants:
        raise ConfigError(where, what, "holds no finished run (every value is missing)")
    return RunData(path, ds, swept, variants, configs, total)

"""One labelled dataset per sweep: ``sweep.nc`` at the root of a Hydra multirun.

Hydra writes one folder per job (``<sweep>/<n>/outcomes.nc`` with ``.hydra/overrides.yaml``).
:func:`collect` reads them all and stacks them along one dimension per swept key, named
after the key (``seed``, ``ensemble.members``, ...) with the swept values as coordinates, on
top of the run's own dimensions. Each job's resolved config is kept (``job_config``), and
so is its folder (``job_dir``). :class:`CollectSweep` runs it when a multirun ends;
``futures collect SWEEP_DIR`` runs it again by hand.

Runs whose sizes differ (e.g. a sweep over ``ensemble.members`` or ``futures``) are joined
on the union of their coordinates, missing cells being NaN. The per-member event table
(dim ``event``) differs in length from job to job and is left out; ``event_count`` stays.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from scenarios.errors import ConfigError
from scenarios.storage import ENGINE, write_atomic

log = logging.getLogger("futures")
SWEEP_FILE = "sweep.nc"
OUTCOMES = "outcomes.nc"
#: Variables with a per-job length, left out of the sweep dataset.
RAGGED = ("event_future", "event_member", "event_time", "event_kind", "event_size")


def jobs(sweep_dir: Path) -> list[Path]:
    """The job folders (Hydra's ``0``, ``1``, ...) of a sweep that hold outcomes, in order."""
    found = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()
             and (p / OUTCOMES).is_file() and (p / ".hydra").is_dir()]
    return sorted(found, key=lambda p: int(p.name))


def _overrides(job: Path) -> dict[str, str]:
    path = job / ".hydra" / "overrides.yaml"
    items = yaml.safe_load(path.read_text()) or []
    out = {}
    for item in items:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith("hydra"):
            out[key] = value
    return out


def expected_jobs(sweep_dir: Path) -> int:
    """How many jobs the sweep's command asked for (from ``multirun.yaml``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    saved = yaml.safe_load((sweep_dir / "multirun.yaml").read_text()) or {}
    task = saved.get("hydra", {}).get("overrides", {}).get("task", []) or []
    count = 1
    for override in OverridesParser.create().parse_overrides([str(t) for t in task]):
        if override.is_sweep_override():
            count *= len(list(override.sweep_string_iterator()))
    return count


def missing_jobs(sweep_dir: Path) -> list[int]:
    """Job numbers the sweep asked for that left no outcomes (failed, killed or not run)."""
    done = {int(p.name) for p in jobs(sweep_dir)}
    return [n for n in range(expected_jobs(sweep_dir)) if n not in done]


def _coordinate(values: list[str]) -> np.ndarray:
    """Swept values as numbers where they all are, else as text."""
    parsed = [yaml.safe_load(v) for v in values]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in parsed):
        return np.array(parsed)
    return np.array([v if isinstance(v, str) else str(p) for v, p in zip(values, parsed)])


def collect(sweep_dir: Path | str) -> Path:
    """Stack the jobs of ``sweep_dir`` into ``sweep_dir/sweep.nc``; return its path.

    Raises
    ------
    ConfigError
        If the folder does not exist or holds no finished job.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ConfigError("SWEEP_DIR", str(sweep_dir), "not a folder; give the folder "
                          "that `futures run -m` printed")
    if not (sweep_dir / "multirun.yaml").is_file():
        raise ConfigError("SWEEP_DIR", str(sweep_dir), "not a sweep folder (no multirun.yaml); "
                          "give the folder that `futures run -m` printed")
    found = jobs(sweep_dir)
    if not found:
        raise ConfigError("SWEEP_DIR", str(sweep_dir), f"holds no job with {OUTCOMES}; "
                          "expected sub-folders 0, 1, ... written by `futures run -m`")
    overrides = [_overrides(job) for job in found]
    keys = list(dict.fromkeys(k for o in overrides for k in o))  # order of the command line
    swept = [k for k in keys if len({o.get(k) for o in overrides}) > 1]
    parts = []
    for job, over in zip(found, overrides):
        with xr.open_dataset(job / OUTCOMES, engine=ENGINE) as ds:
            part = ds.drop_vars([v for v in RAGGED if v in ds]).load()
        part = part.drop_dims([d for d in ("event",) if d in part.dims])
        part["job_config"] = xr.DataArray(part.attrs.get("config", ""), attrs={
            "long_name": "resolved config of the job (YAML)", "units": "1"})
        part["job_dir"] = xr.DataArray(str(job), attrs={"long_name": "job folder",
                                                        "units": "1"})
        part.attrs = {}
        for name in list(part.variables):  # fixed-width text would be cut when joined
            if part[name].dtype.kind == "U":
                part[name] = part[name].astype(object)
        parts.append(part)
    combos = [tuple(o.get(k) for k in swept) for o in overrides]
    if len(set(combos)) < len(combos):
        raise ConfigError("SWEEP_DIR", str(sweep_dir), "two jobs ran the same swept values; "
                          "collect expects one job per combination")
    if swept:
        stacked = xr.concat(parts, dim="job", join="outer", combine_attrs="drop",
                            data_vars="all", coords="different", compat="equals")
        for key in swept:
            stacked = stacked.assign_coords({key: ("job", _coordinate(
                [o.get(key, "") for o in overrides]))})
        if len(swept) == 1:
            combined = stacked.swap_dims(job=swept[0])
        else:
            combined = stacked.set_index(job=swept).unstack("job")
        combined = combined.transpose(*swept, ...)
        for key in swept:
            combined[key].attrs.update(long_name=f"swept config key {key}", units="1")
    else:
        combined = parts[0]
    first = xr.open_dataset(found[0] / OUTCOMES, engine=ENGINE)
    combined.attrs = {k: v for k, v in first.attrs.items()
                      if k != "config" and k not in swept}
    first.close()
    missing = missing_jobs(sweep_dir)
    combined.attrs.update(
        sweep_dir=str(sweep_dir), swept_keys=" ".join(swept), jobs=len(found),
        missing_jobs=" ".join(str(n) for n in missing),
        common_overrides=" ".join(f"{k}={v}" for k, v in overrides[0].items()
                                  if k not in swept))
    path = write_atomic(combined, sweep_dir / SWEEP_FILE, compression=1)
    log.info("collected %d jobs into %s (swept: %s)", len(found), path, ", ".join(swept))
    if missing:
        report_missing(sweep_dir, missing)
    return path


def report_missing(sweep_dir: Path, missing: list[int]) -> None:
    """One clear line on stderr naming the jobs without outcomes and how to finish them."""
    import sys

    print(f"futures: {len(missing)} of {expected_jobs(sweep_dir)} jobs left no outcomes "
          f"(jobs {', '.join(map(str, missing))}); sweep.nc holds the others. To finish: "
          f"rerun the same command with resume=true hydra.sweep.dir={sweep_dir}",
          file=sys.stderr, flush=True)


class CollectSweep(Callback):
    """Hydra callback: when a multirun ends, collect its jobs into ``sweep.nc``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        collect(Path(config.hydra.sweep.dir))
        print(Path(config.hydra.sweep.dir).resolve(), flush=True)

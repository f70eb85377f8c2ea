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
import sys
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from scenarios.config.errors import ConfigError, WriteError
from scenarios.config.safe_yaml import load_yaml, read_yaml
from scenarios.engine.names import ERROR, MULTIRUN, OUTCOMES, OUTCOMES_ZARR, SWEEP, SWEEP_ZARR
from scenarios.engine.simulate import RAGGED
from scenarios.engine.storage import (
    check_outcomes,
    open_outcomes,
    remove_stale,
    write_atomic,
    write_zarr_atomic,
)

log = logging.getLogger("futures")


def outcomes_of(job: Path) -> Path | None:
    """The outcomes a job folder holds (``outcomes.nc`` or ``outcomes.zarr``), if any."""
    for name in (OUTCOMES, OUTCOMES_ZARR):
        if (job / name).exists():
            return job / name
    return None


def jobs(sweep_dir: Path) -> list[Path]:
    """The job folders (Hydra's ``0``, ``1``, ...) of this sweep that hold outcomes, in
    order; folders of other sweeps (:func:`foreign_jobs`) are left out."""
    foreign = foreign_jobs(sweep_dir)
    found = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()
             and outcomes_of(p) is not None and (p / ".hydra").is_dir()
             and int(p.name) not in foreign]
    return sorted(found, key=lambda p: int(p.name))


def _overrides(job: Path) -> dict[str, str]:
    items = read_yaml(job / ".hydra" / "overrides.yaml", "job") or []
    if not isinstance(items, list):
        raise ConfigError("job", str(job / ".hydra" / "overrides.yaml"), "not a list of "
                          "overrides; expected the file Hydra wrote")
    out = {}
    for item in items:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith("hydra"):
            out[key] = value
    return out


def expected_overrides(sweep_dir: Path) -> list[dict[str, str]]:
    """The overrides of every job the sweep's command asked for, in Hydra's job order (from
    ``multirun.yaml``: the product of the swept values, the last key varying fastest)."""
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser

    saved = read_yaml(sweep_dir / MULTIRUN, "SWEEP_DIR") or {}
    if not isinstance(saved, dict):
        raise ConfigError("SWEEP_DIR", str(sweep_dir / MULTIRUN), "not a mapping; "
                          "expected the file Hydra wrote")
    hydra = saved.get("hydra")
    overrides = hydra.get("overrides") if isinstance(hydra, dict) else None
    task = overrides.get("task") if isinstance(overrides, dict) else None
    if not isinstance(task, list):
        raise ConfigError("SWEEP_DIR", str(sweep_dir / MULTIRUN), "holds no "
                          "hydra.overrides.task list; expected the file Hydra wrote")
    try:
        parsed = OverridesParser.create().parse_overrides([str(t) for t in task])
        lists = {}
        for override in parsed:
            key = override.get_key_element().lstrip("+~")
            if key.startswith("hydra"):
                continue
            lists[key] = list(override.sweep_string_iterator()) if \
                override.is_sweep_override() else [override.get_value_element_as_str()]
    except Exception:  # noqa: BLE001 - Hydra's parse errors are many lines
        raise ConfigError("SWEEP_DIR", str(sweep_dir / MULTIRUN), "its "
                          "hydra.overrides.task cannot be parsed; expected the file Hydra "
                          "wrote") from None
    return [dict(zip(lists, combo)) for combo in itertools.product(*lists.values())]


def expected_jobs(sweep_dir: Path) -> int:
    """How many jobs the sweep's command asked for (from ``multirun.yaml``)."""
    return len(expected_overrides(sweep_dir))


def foreign_jobs(sweep_dir: Path) -> dict[int, str]:
    """Job folders that are not jobs of this sweep: number -> their overrides, for folders
    whose ``.hydra/overrides.yaml`` is not the sweep's job of that number (another sweep's
    job copied in, or a folder from before the sweep's command changed)."""
    expected = expected_overrides(sweep_dir)
    out = {}
    for job in sweep_dir.iterdir():
        if not (job.is_dir() and job.name.isdigit() and (job / ".hydra").is_dir()
                and outcomes_of(job) is not None):
            continue
        number, mine = int(job.name), _overrides(job)
        mine.pop("resume", None)
        wanted = dict(expected[number]) if number < len(expected) else None
        if wanted is not None:
            wanted.pop("resume", None)
        if mine != wanted:
            out[number] = " ".join(f"{k}={v}" for k, v in mine.items())
    return dict(sorted(out.items()))


def missing_jobs(sweep_dir: Path) -> list[int]:
    """Job numbers the sweep asked for that left no outcomes (failed, killed or not run)."""
    done = {int(p.name) for p in jobs(sweep_dir)}
    return [n for n in range(expected_jobs(sweep_dir)) if n not in done]


def _coordinate(values: list[str]) -> np.ndarray:
    """Swept values as numbers where they all are, else as text."""
    parsed = [load_yaml(v, "swept value", v) for v in values]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in parsed):
        return np.array(parsed)
    return np.array([v if isinstance(v, str) else str(p) for v, p in zip(values, parsed)])


def _finished_jobs(sweep_dir: Path) -> list[Path]:
    """The sweep's job folders with outcomes; a ConfigError if it is not a sweep or holds none
    (after naming the jobs that failed)."""
    if not sweep_dir.is_dir():
        raise ConfigError("SWEEP_DIR", str(sweep_dir), "not a folder; give the folder "
                          "that `futures run -m` printed")
    if not (sweep_dir / MULTIRUN).is_file():
        raise ConfigError("SWEEP_DIR", str(sweep_dir), f"not a sweep folder (no {MULTIRUN}); "
                          "give the folder that `futures run -m` printed")
    remove_stale(sweep_dir, "sweep")  # what a killed collect left
    foreign = foreign_jobs(sweep_dir)  # multirun.yaml is read (within bounds) first
    for number, values in foreign.items():
        print(f"futures: folder {sweep_dir / str(number)} is not job {number} of this sweep "
              f"(its overrides: {values or 'none'}); left out of the sweep", file=sys.stderr,
              flush=True)
    found = jobs(sweep_dir)
    if not found:
        failed = failed_jobs(sweep_dir)
        if failed:
            report_failed(sweep_dir, failed)
        raise ConfigError("SWEEP_DIR", str(sweep_dir), f"holds no job with {OUTCOMES} or "
                          f"{OUTCOMES_ZARR}; expected sub-folders 0, 1, ... written by "
                          "`futures run -m`")
    return found


def _job_part(job: Path, path: Path, lazy: bool) -> xr.Dataset:
    """One job's outcomes without the event table, with its config and folder as variables
    (text as objects, so that joining does not cut it); loaded unless ``lazy`` (zarr)."""
    try:
        ds = open_outcomes(path)
        check_outcomes(ds, path)
        part = ds.drop_vars([v for v in RAGGED if v in ds])
        if not lazy:  # small: read now and close the file; zarr jobs stay lazy
            part = part.load()
            ds.close()
    except ConfigError:
        raise
    except Exception as err:
        raise ConfigError("job", str(path), f"cannot be read ({type(err).__name__}: "
                          "truncated or not a netCDF/zarr file); rerun the sweep with "
                          "resume=true to redo it") from err
    part = part.drop_dims([d for d in ("event",) if d in part.dims])
    part["job_config"] = xr.DataArray(part.attrs.get("config", ""), attrs={
        "long_name": "resolved config of the job (YAML)", "units": "1"})
    part["job_dir"] = xr.DataArray(str(job), attrs={"long_name": "job folder",
                                                    "units": "1"})
    part.attrs = {}
    for name in list(part.variables):  # fixed-width text would be cut when joined
        if part[name].dtype.kind == "U":
            part[name] = part[name].astype(object)
    return part


def _stack(parts: list[xr.Dataset], overrides: list[dict[str, str]],
           swept: list[str]) -> xr.Dataset:
    """The jobs stacked along one dimension per swept key (its values as coordinates)."""
    if not swept:
        return parts[0]
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
    return combined


def _write(combined: xr.Dataset, sweep_dir: Path, as_zarr: bool) -> Path:
    """``sweep.nc``, or for zarr jobs ``sweep.zarr`` streamed chunk by chunk."""
    if not as_zarr:
        return write_atomic(combined, sweep_dir / SWEEP, compression=1)
    for name in list(combined.variables):  # zarr stores text at a fixed width
        if combined[name].dtype == object:
            text = combined[name].load()
            combined[name] = text.where(text.notnull(), "").astype(str)
    return write_zarr_atomic(combined, sweep_dir / SWEEP_ZARR)


def collect(sweep_dir: Path | str) -> Path:
    """Stack the jobs of ``sweep_dir`` into ``sweep_dir/sweep.nc``; return its path.

    Raises
    ------
    ConfigError
        If the folder does not exist or holds no finished job.
    """
    sweep_dir = Path(sweep_dir)
    found = _finished_jobs(sweep_dir)
    overrides = [_overrides(job) for job in found]
    keys = list(dict.fromkeys(k for o in overrides for k in o))  # order of the command line
    swept = [k for k in keys if len({o.get(k) for o in overrides}) > 1]
    paths = [outcomes_of(job) for job in found]
    as_zarr = any(p is not None and p.is_dir() for p in paths)
    parts = [_job_part(job, path, as_zarr) for job, path in zip(found, paths)
             if path is not None]
    combos = [tuple(o.get(k) for k in swept) for o in overrides]
    if len(set(combos)) < len(combos):
        raise ConfigError("SWEEP_DIR", str(sweep_dir), "two jobs ran the same swept values; "
                          "collect expects one job per combination")
    combined = _stack(parts, overrides, swept)
    with open_outcomes(paths[0]) as first:  # type: ignore[arg-type]
        combined.attrs = {k: v for k, v in first.attrs.items()
                          if k != "config" and k not in swept}
    missing = missing_jobs(sweep_dir)
    combined.attrs.update(
        sweep_dir=str(sweep_dir), swept_keys=" ".join(swept), jobs=len(found),
        missing_jobs=" ".join(str(n) for n in missing),
        common_overrides=" ".join(f"{k}={v}" for k, v in overrides[0].items()
                                  if k not in swept))
    path = _write(combined, sweep_dir, as_zarr)
    log.info("collected %d jobs into %s (swept: %s)", len(found), path, ", ".join(swept))
    failed = failed_jobs(sweep_dir)
    if failed:
        report_failed(sweep_dir, failed)
    if missing:
        report_missing(sweep_dir, [n for n in missing if n not in failed])
    return path


def failed_jobs(sweep_dir: Path) -> dict[int, str]:
    """Jobs that raised (their folder holds ``error.txt``): number -> the error's first line."""
    out = {}
    for path in sorted(sweep_dir.glob(f"*/{ERROR}"), key=lambda p: p.parent.name):
        if path.parent.name.isdigit() and outcomes_of(path.parent) is None:
            lines = path.read_text(errors="replace").splitlines()
            out[int(path.parent.name)] = lines[0] if lines else "(no message)"
    return out


def report_failed(sweep_dir: Path, failed: dict[int, str]) -> None:
    """Name every job that raised, with its swept values and error, one line each."""


    for number, message in failed.items():
        over = _overrides(sweep_dir / str(number)) if (sweep_dir / str(number) / ".hydra")\
            .is_dir() else {}
        values = " ".join(f"{k}={v}" for k, v in over.items())
        print(f"futures: job {number} ({values}) failed: {message} "
              f"(details: {sweep_dir / str(number) / ERROR})", file=sys.stderr)
    print(f"futures: {len(failed)} of {expected_jobs(sweep_dir)} jobs failed; the others' "
          "outcomes are kept. After fixing the cause, rerun the same command with "
          f"resume=true hydra.sweep.dir={sweep_dir}", file=sys.stderr, flush=True)


def report_missing(sweep_dir: Path, missing: list[int]) -> None:
    """One clear line on stderr naming the jobs without outcomes and how to finish them."""


    if not missing:
        return
    print(f"futures: {len(missing)} of {expected_jobs(sweep_dir)} jobs left no outcomes "
          f"(jobs {', '.join(map(str, missing))}); sweep.nc holds the others. To finish: "
          f"rerun the same command with resume=true hydra.sweep.dir={sweep_dir}",
          file=sys.stderr, flush=True)


class CollectSweep(Callback):
    """Hydra callback: a progress bar while a multirun runs (on a terminal), then its jobs
    collected into ``sweep.nc``, failed and missing jobs named."""

    def __init__(self) -> None:
        self._watch: _JobWatch | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Launchers such as joblib pickle the callbacks to send them to the jobs; the
        # progress watch (a thread) stays in this process.
        return {**self.__dict__, "_watch": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        self._watch = _JobWatch(sweep_dir, _count_jobs(config))
        self._watch.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        failed = failed_jobs(sweep_dir)
        unfinished = bool(failed)
        try:
            collect(sweep_dir)
            unfinished = unfinished or bool(foreign_jobs(sweep_dir) or missing_jobs(sweep_dir))
        except ConfigError as err:  # sweep.nc not written: the sweep did not succeed
            print(f"futures: error: {err}", file=sys.stderr, flush=True)
            unfinished = True
        print(sweep_dir.resolve(), flush=True)
        if unfinished:  # exit status 1 when a job raised, sweep.nc was not written, or a job
            sys.exit(1)  # folder is missing or foreign (the last step)


def collect_command(args: list[str], usage: str) -> int:
    """``futures collect SWEEP_DIR``: stack a sweep's jobs into ``sweep.nc``; the exit
    status (1 when a job failed)."""
    if any(a in ("-h", "--help") for a in args) or len(args) != 1:
        print(usage)
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        path = collect(Path(args[0]))
    except WriteError as err:  # the disk, not the input: status 1 as everywhere
        print(f"futures: error: {err}", file=sys.stderr)
        return 1
    except ConfigError as err:
        print(f"futures: error: {err}", file=sys.stderr)
        return 2
    print(path.parent.resolve())
    return 1 if failed_jobs(path.parent) or foreign_jobs(path.parent) else 0


def _count_jobs(config: DictConfig) -> int:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    task = list(config.hydra.overrides.task)
    count = 1
    for override in OverridesParser.create().parse_overrides([str(t) for t in task]):
        if override.is_sweep_override():
            count *= len(list(override.sweep_string_iterator()))
    return count


class _JobWatch:
    """A progress bar of finished jobs (folders with outcomes or an error), polled from the
    sweep folder, so it works with every launcher (jobs in other processes or machines).
    Shown only when stderr is a terminal."""

    def __init__(self, sweep_dir: Path, total: int, every: float = 0.5):
        import threading

        self.sweep_dir, self.total, self.every = sweep_dir, total, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:


        if sys.stderr.isatty():
            self._thread.start()

    def _done(self) -> int:
        if not self.sweep_dir.is_dir():
            return 0
        return sum(1 for p in self.sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()
                   and (outcomes_of(p) is not None or (p / ERROR).is_file()))

    def _run(self) -> None:


        from tqdm import tqdm

        with tqdm(total=self.total, desc="futures: sweep", unit=" jobs", file=sys.stderr,
                  leave=False, dynamic_ncols=True) as bar:
            while not self._stop.wait(self.every):
                bar.update(self._done() - bar.n)
            bar.update(self._done() - bar.n)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

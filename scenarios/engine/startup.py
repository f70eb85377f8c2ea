"""Start-up of a command (issue 19 item 1): a cache of Hydra's one composition of its
config, the job run without Hydra's copies of it, YAML written by libyaml's emitter, and
the garbage collector kept off the start-up's objects.

Composing ``conf/`` takes Hydra ~0.3 s per command (it reads and merges ~70 YAML files into
OmegaConf objects) and gives the same config every time for the same inputs. The composed
config (with its ``hydra`` node) is kept as a pickle in the user's cache folder
(``$FUTURES_CACHE_DIR``, else ``$XDG_CACHE_HOME/futures``, else ``~/.cache/futures``),
named by a hash of everything the composition reads (at most :data:`KEEP` of them):

* the overrides, in order, the config name and the working directory (``hydra.runtime``);
* every file under the config folder: path, size and modification time;
* every module of :mod:`scenarios.config` (the structured schema and its registration) and
  the versions of futures, Python, Hydra and OmegaConf.

Changing any of them composes afresh; only a plain ``hydra.run.dir=PATH`` (letters,
digits, ``_ . / -``) is left out of the hash and set in the cached config instead, where
Hydra would have put it (``hydra.run.dir`` and the list ``hydra.overrides.hydra``), so a
run into a folder of its own does not compose again. Interpolations (``${now:...}`` of the run folder)
stay unresolved in the cache, so they are resolved when the job runs, as before. Set
``FUTURES_CACHE_DIR=`` (empty) to switch the cache off. A cache that cannot be read or
written is ignored: the composition is made as without it.

**The garbage collector.** Importing numpy, xarray, pandas and Hydra leaves ~1 million
objects, all alive until the process ends. Python's cyclic collector walks them again and
again while the command starts (~0.1 s) and once more when the interpreter exits
(~0.25 s, measured on ``python -c "import numpy, xarray, h5netcdf, hydra"``), finding
nothing to free. When ``futures`` runs as its own process (:func:`command_process`, the
console script), the collector is paused while a single run starts (:func:`pause_gc`);
when the job starts, the objects made so far are moved out of its reach (``gc.freeze``)
and it runs as usual on everything the job makes (:func:`resume_gc`); at exit the
objects still alive are frozen too, and the operating system frees them. Nothing else
changes: the collector frees the same garbage while the job runs, and a program that
calls :func:`scenarios.cli.main` with its own arguments keeps its collector untouched.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Environment variable naming the cache folder; empty switches the cache off.
CACHE_ENV = "FUTURES_CACHE_DIR"

#: Compositions kept; storing one more removes the least recently stored.
KEEP = 64

#: A run folder override the cache fills in itself (no quoting, no interpolation).
RUN_DIR = re.compile(r"hydra\.run\.dir=([A-Za-z0-9_./-]+)")


#: Whether this process is the ``futures`` command (:func:`command_process`), and whether
#: :func:`pause_gc` switched the collector off.
_STATE = {"command": False, "paused": False}


def command_process() -> None:
    """Mark this process as the ``futures`` command: it ends when the command returns.
    Its exit does not walk the objects still alive (module docstring)."""
    if not _STATE["command"]:
        _STATE["command"] = True
        atexit.register(gc.freeze)


def pause_gc() -> None:
    """Pause the cyclic garbage collector while the command starts (only in the command's
    own process, and only if the collector is on); :func:`resume_gc` switches it on."""
    if _STATE["command"] and not _STATE["paused"] and gc.isenabled():
        gc.disable()
        _STATE["paused"] = True


def resume_gc() -> None:
    """After :func:`pause_gc`: freeze what the start-up made (it lives as long as the
    process) and switch the collector on again; otherwise nothing."""
    if _STATE["paused"]:
        _STATE["paused"] = False
        gc.freeze()
        gc.enable()


def cache_dir() -> Path | None:
    """The folder of the cached compositions, or ``None`` if switched off."""
    if CACHE_ENV in os.environ:
        chosen = os.environ[CACHE_ENV]
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "futures" / "compose"


def key(conf: Path, config_name: str, overrides: list[str]) -> str:
    """The hash naming the composition of ``config_name`` in ``conf`` with ``overrides``."""
    import hydra
    import omegaconf

    from scenarios.config import compose

    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(repr(part).encode())
            digest.update(b"\0")

    keyed = ["hydra.run.dir=*" if RUN_DIR.fullmatch(o) else o for o in overrides]
    add(sys.version, hydra.__version__, omegaconf.__version__, config_name, keyed,
        os.getcwd(), str(conf))
    from scenarios import __version__

    add(__version__)
    # every module of the config package: the structured schema is spread over several
    # (schema.py, analyses.py, levers.py, ...), and any of them can change the composition
    for source in sorted(Path(str(compose.__file__)).parent.glob("*.py")):
        stat = source.stat()
        add(str(source), stat.st_size, stat.st_mtime_ns)
    for root, dirs, files in os.walk(conf):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            stat = os.stat(path)
            add(os.path.relpath(path, conf), stat.st_size, stat.st_mtime_ns)
    return digest.hexdigest()


def load(name: str, overrides: list[str]) -> Any | None:
    """The cached composition ``name`` for ``overrides`` (their plain ``hydra.run.dir``
    filled in), or ``None`` (not cached, switched off, unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{name}.pickle"
    try:
        stat = path.stat()
        if hasattr(os, "getuid") and stat.st_uid != os.getuid():
            return None  # only the user's own files are unpickled
        with open(path, "rb") as f:
            cfg = pickle.load(f)
        return _with_run_dir(cfg, overrides)
    except Exception:  # noqa: BLE001 - a broken cache entry is the same as none
        return None


def _with_run_dir(cfg: Any, overrides: list[str]) -> Any:
    """``cfg`` with the plain ``hydra.run.dir=PATH`` of ``overrides``, as Hydra sets it."""
    from omegaconf import read_write

    given = [o for o in overrides if RUN_DIR.fullmatch(o)]
    if not given:
        return cfg
    listed = list(cfg.hydra.overrides.hydra)
    old = [i for i, o in enumerate(listed) if RUN_DIR.fullmatch(o)]
    if len(given) != 1 or len(old) != 1:
        raise ValueError("one plain hydra.run.dir override expected")  # compose afresh
    match = RUN_DIR.fullmatch(given[0])
    assert match is not None
    with read_write(cfg.hydra):
        cfg.hydra.run.dir = match.group(1)
        cfg.hydra.overrides.hydra[old[0]] = given[0]
    return cfg


def store(name: str, cfg: Any) -> None:
    """Keep ``cfg`` as the composition ``name`` (atomically; errors are ignored)."""
    folder = cache_dir()
    if folder is None:
        return
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            pickle.dump(cfg, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{name}.pickle")
        kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:-KEEP]:
            old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - no cache is no error
        tmp.unlink(missing_ok=True) if tmp.parent.is_dir() else None


_DUMPER: list[Any] = []


def yaml_dumper() -> Any:
    """OmegaConf's YAML dumper (quotes strings that would read back as numbers or booleans),
    on libyaml's C emitter where PyYAML has it: the same text, several times faster
    (tests/test_speed.py compares them on the composed config)."""
    if not _DUMPER:
        import yaml
        from omegaconf._utils import OmegaConfDumper, get_omega_conf_dumper

        dumper = get_omega_conf_dumper()
        if getattr(yaml, "__with_libyaml__", False):
            class _CDumper(yaml.CDumper):  # type: ignore[misc, name-defined]
                pass

            _CDumper.add_representer(str, OmegaConfDumper.str_representer)
            dumper = _CDumper
        _DUMPER.append(dumper)
    return _DUMPER[0]


def job_config(cfg: Any) -> Any:
    """The job's part of a composed ``cfg`` (without its ``hydra`` node), as Hydra's
    ``run_job`` makes it (a deep copy with ``hydra`` deleted: same content, flags and node
    types), through a pickle round trip: ~13 ms where ``copy.deepcopy`` of OmegaConf's
    nodes takes ~50 ms and ``OmegaConf.masked_copy`` ~45 ms."""
    from omegaconf import open_dict, read_write

    job = pickle.loads(pickle.dumps(cfg, protocol=pickle.HIGHEST_PROTOCOL))
    with read_write(job), open_dict(job):
        del job["hydra"]
    return job


def hydra_ready(task_name: str) -> None:
    """What ``Hydra.__init__`` sets up for a job (the ``now``, ``hydra`` and
    ``python_version`` resolvers, the job's name) without a config loader: a cached
    composition needs no config search path, whose plugin discovery imports every
    installed Hydra plugin (~60 ms: the joblib and submitit launchers)."""
    from hydra.core.utils import JobRuntime, setup_globals

    setup_globals()
    JobRuntime().set("name", task_name)


def run_job(task: Callable[[Any], Any], cfg: Any, job: Any, callbacks: Any) -> Any:
    """Hydra's ``hydra.core.utils.run_job`` for one job (``futures run`` without options),
    given the task's config ``job`` already made (:func:`job_config`) and checked.

    Step by step what Hydra 1.3 does: the run folder from ``hydra.run.dir`` into
    ``hydra.runtime.output_dir``, the folder made, ``hydra.job.chdir`` honoured, the job's
    logging configured, ``.hydra/config.yaml``, ``hydra.yaml`` and ``overrides.yaml``
    written, ``hydra.job.env_set`` set around the task, the callbacks told, the
    :class:`~hydra.core.utils.JobReturn` filled in. Only Hydra's deep copy of the whole
    config for the task (~50 ms) is left out: ``job`` is that copy. Returns the
    ``JobReturn`` (its ``return_value`` re-raises what the task raised).
    """
    import copy

    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import (
        JobReturn,
        JobRuntime,
        JobStatus,
        _flush_loggers,
        _save_config,
        configure_log,
        env_override,
    )
    from omegaconf import OmegaConf, open_dict, read_write

    old_cwd, saved = os.getcwd(), HydraConfig.instance().cfg
    HydraConfig.instance().set_config(cfg)  # for interpolations in hydra.run.dir
    output_dir = str(OmegaConf.select(cfg, "hydra.run.dir"))
    with read_write(cfg.hydra.runtime), open_dict(cfg.hydra.runtime):
        cfg.hydra.runtime.output_dir = os.path.abspath(output_dir)
    HydraConfig.instance().set_config(cfg)
    hydra_cfg: Any = copy.deepcopy(HydraConfig.instance().cfg)
    chdir = bool(hydra_cfg.hydra.job.chdir)  # None is False from version_base 1.2 on
    overrides: Any = OmegaConf.to_container(cfg.hydra.overrides.task)
    ret = JobReturn(overrides=overrides, cfg=job, hydra_cfg=hydra_cfg)
    try:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        if chdir:
            os.chdir(output_dir)
        ret.working_dir = output_dir if chdir else os.getcwd()
        configure_log(cfg.hydra.job_logging, cfg.hydra.verbose)
        if cfg.hydra.output_subdir is not None:
            where = Path(cfg.hydra.runtime.output_dir) / Path(cfg.hydra.output_subdir)
            _save_config(job, "config.yaml", where)
            _save_config(hydra_cfg, "hydra.yaml", where)
            _save_config(cfg.hydra.overrides.task, "overrides.yaml", where)
        resume_gc()  # the job's own objects are collected as usual
        with env_override(hydra_cfg.hydra.job.env_set):
            callbacks.on_job_start(config=cfg, task_function=task)
            try:
                ret.return_value = task(job)
                ret.status = JobStatus.COMPLETED
            except Exception as err:  # noqa: BLE001 - Hydra's JobReturn carries it
                ret.return_value = err
                ret.status = JobStatus.FAILED
        ret.task_name = JobRuntime.instance().get("name")
        _flush_loggers()
        callbacks.on_job_end(config=cfg, job_return=ret)
        return ret
    finally:
        HydraConfig.instance().cfg = saved
        if chdir:
            os.chdir(old_cwd)


@contextmanager
def fast_yaml() -> Iterator[None]:
    """``OmegaConf.to_yaml`` (Hydra's ``.hydra/*.yaml``) with :func:`yaml_dumper` inside."""
    import omegaconf.omegaconf as module

    saved = module.get_omega_conf_dumper
    module.get_omega_conf_dumper = yaml_dumper  # type: ignore[assignment]
    try:
        yield
    finally:
        module.get_omega_conf_dumper = saved

"""The Hydra application behind every command that takes overrides, and ``futures run``'s job
(all chosen futures and members)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from scenarios.config.compose import CONFIG_NAME, check, conf_dir, config_text, register_schema
from scenarios.config.errors import ConfigError, WriteError
from scenarios.engine.batches import write_outcomes
from scenarios.engine.command import Job
from scenarios.engine.names import (
    ERROR,
    OUTCOMES,
    OUTCOMES_STEM,
    OUTCOMES_ZARR,
    SUMMARY,
    SUMMARY_STEM,
)
from scenarios.engine.storage import open_outcomes, remove_stale, write_text

log = logging.getLogger("futures")


def already_done(path: Path, config: str) -> bool:
    """Whether ``path`` holds outcomes of exactly this config (a finished job)."""
    if not path.exists():
        return False
    try:
        with open_outcomes(path) as ds:
            return ds.attrs.get("config") == config
    except (OSError, ValueError, KeyError):  # foreign or unreadable: run the job again
        return False


def run_job(cfg: DictConfig, output_dir: Path, *, progress: bool = True) -> Path:
    """Simulate one configuration and write ``outcomes.nc`` into ``output_dir``.

    With ``resume=true`` a job whose folder already holds the outcomes of the same config is
    skipped; leftovers of an interrupted write are removed either way. ``progress`` shows a
    bar on a terminal.
    """
    spec = check(cfg)
    config = config_text(cfg)
    path = output_dir / (SUMMARY if spec.store == "summary" else
                         OUTCOMES if spec.format == "netcdf" else OUTCOMES_ZARR)
    remove_stale(output_dir, SUMMARY_STEM if spec.store == "summary" else OUTCOMES_STEM)
    (output_dir / ERROR).unlink(missing_ok=True)  # this attempt replaces a failed one
    if cfg.get("resume", False) and already_done(path, config):
        log.info("resume: %s already holds this job's outcomes; skipped", path)
        return path
    started = time.perf_counter()
    path = write_outcomes(spec, config, output_dir, show=progress)
    log.info("simulated and wrote %d futures x %d members in %.2f s: %s (%.1f MB)",
             len(spec.futures), spec.members, time.perf_counter() - started, path,
             size_of(path) / 1e6)
    return path


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (a zarr store)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


register_schema()


def record_failure(output_dir: Path, err: Exception) -> None:
    """A sweep's job raised: say so, and leave ``error.txt`` in its folder (one line, then
    the traceback) for the sweep's report; the other jobs go on."""
    import traceback

    message = f"{type(err).__name__}: {err}".splitlines()[0]
    log.error("job failed: %s", message)
    output_dir.mkdir(parents=True, exist_ok=True)
    text = message + "\n\n" + "".join(traceback.format_exception(err))
    write_text(output_dir / ERROR, text)


def hydra_app(task: Job) -> Callable[[], None]:
    """Wrap ``task`` as a Hydra application over ``conf/``.

    Every command that takes overrides (``run``, ``sensitivity``, ...) runs through this: Hydra
    composes the config, makes the run directory (``hydra.run.dir``), and the task writes into
    it. A :class:`ConfigError` ends the job with one line and exit status 2; on success the run
    directory is printed as the last line of stdout.
    """

    return hydra.main(version_base="1.3", config_path=str(conf_dir()),
                      config_name=CONFIG_NAME)(hydra_app_task(task))


def hydra_app_task(task: Job) -> Callable[[DictConfig], None]:
    """The Hydra task function around ``task``: runs it in the job's output folder, records
    a sweep job's failure, turns bad input into one line, prints the run directory last."""

    def app(cfg: DictConfig) -> None:
        hydra_cfg = HydraConfig.get()
        output_dir = Path(hydra_cfg.runtime.output_dir)
        if hydra_cfg.mode == RunMode.MULTIRUN:  # one job of a sweep: a failure is recorded
            try:
                task(cfg, output_dir, progress=False)  # the sweep shows its own progress
            except Exception as err:  # noqa: BLE001 - every job failure is reported the same
                record_failure(output_dir, err)
                return
        else:
            try:
                task(cfg, output_dir, progress=True)
            except WriteError as err:  # not bad input: the disk, permissions, ...
                print(f"futures: error: {err}", file=sys.stderr)
                sys.exit(1)
            except ConfigError as err:
                print(f"futures: error: {err}", file=sys.stderr)
                sys.exit(2)
        print(output_dir, flush=True)

    return app


def run_once(task: Job, overrides: list[str],
             validate: Callable[[DictConfig], None]) -> int:
    """Run ``task`` as one Hydra job with the config composed **once** (not three times).

    ``hydra.main`` composes the config to find the run mode and again to run, on top of
    the composition that validates the overrides before any folder is made. Here one
    composition (Hydra's own, with its ``hydra`` node) is validated by ``validate`` (given
    the job's part, raising :class:`ConfigError`), and then run as Hydra's ``run_job``
    would (:func:`scenarios.engine.startup.run_job`: it makes the run directory, writes
    ``.hydra/`` and calls ``task`` on the very config that was checked): what
    ``Hydra.run`` does, minus the repeated compositions and copies. The same inputs
    composed before are not composed again (:mod:`scenarios.engine.startup`). Overrides
    that do not compose are worded by :func:`scenarios.config.compose.compose_config`.
    Returns the exit status.
    """
    from hydra import version
    from hydra._internal.callbacks import Callbacks
    from hydra._internal.utils import run_and_report
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import configure_log

    from scenarios.engine import startup

    version.setbase("1.3")  # as hydra.main(version_base="1.3") does
    try:
        cfg = composed(overrides)
        if cfg is None:
            return 2
        job = startup.job_config(cfg)
        HydraConfig.instance().set_config(cfg)  # as the compose API does, for interpolations
        try:
            validate(job)
        except ConfigError as err:
            print(f"futures: error: {err}", file=sys.stderr)
            return 2
        configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
        callbacks = Callbacks(cfg)
        callbacks.on_run_start(config=cfg, config_name=CONFIG_NAME)

        def go() -> None:
            ret = startup.run_job(hydra_app_task(task), cfg, job, callbacks)
            callbacks.on_run_end(config=cfg, config_name=CONFIG_NAME, job_return=ret)
            _ = ret.return_value  # re-raises what the job raised

        with startup.fast_yaml():  # .hydra/*.yaml and the stored config text
            run_and_report(go)
    finally:
        GlobalHydra.instance().clear()
        startup.resume_gc()  # bad input: no job started
    return 0


def composed(overrides: list[str]) -> DictConfig | None:
    """``futures run``'s composition with ``overrides`` and its ``hydra`` node: the cached
    one (:mod:`scenarios.engine.startup`), else Hydra's (then cached); None after the one
    error line of overrides that do not compose."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path

    from scenarios.config.compose import compose_config
    from scenarios.engine import startup

    cached = startup.key(conf_dir(), CONFIG_NAME, overrides)
    cfg = startup.load(cached, overrides)  # the same inputs composed before (start-up)
    if cfg is not None:
        startup.hydra_ready("app")
        return cfg
    search = create_config_search_path(f"file://{conf_dir()}")
    hydra_ = Hydra.create_main_hydra2(task_name="app", config_search_path=search)
    try:
        cfg = hydra_.compose_config(CONFIG_NAME, [*overrides, "hydra.mode=RUN"],
                                    run_mode=RunMode.RUN)
    except Exception:
        try:
            compose_config(overrides)  # raises the one-line ConfigError
        except ConfigError as err:
            print(f"futures: error: {err}", file=sys.stderr)
            return None
        raise
    startup.store(cached, cfg)
    return cfg


def launch(task: Job, argv: list[str]) -> None:
    """Run ``task`` as the Hydra application with the command line ``argv`` (program name
    first).

    Hydra's entry point (``hydra.main``) reads its arguments from ``sys.argv``; it is set to
    ``argv`` for the call and restored in ``finally``, so nothing outside sees the change.
    A sweep whose jobs failed ends with ``SystemExit(1)`` (:class:`~scenarios.engine.sweep.
    CollectSweep`); bad input inside a job with ``SystemExit(2)``.
    """
    saved = sys.argv
    sys.argv = list(argv)
    try:
        hydra_app(task)()
    finally:
        sys.argv = saved

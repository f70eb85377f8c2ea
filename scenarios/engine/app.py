"""The Hydra application behind ``futures run``: one job = all chosen futures and members."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from scenarios.config.compose import CONFIG_NAME, check, conf_dir, register_schema
from scenarios.config.errors import ConfigError, WriteError
from scenarios.engine import batches
from scenarios.engine.batches import write_outcomes
from scenarios.engine.storage import open_outcomes, remove_stale, write_text
from scenarios.engine.sweep import ERROR_FILE

log = logging.getLogger("futures")
OUTCOMES = "outcomes.nc"
OUTCOMES_ZARR = "outcomes.zarr"


def config_text(cfg: DictConfig) -> str:
    """The resolved config as stored with the outcomes (without the ``resume`` switch)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    container.pop("resume", None)
    return OmegaConf.to_yaml(OmegaConf.create(container))


def already_done(path: Path, config: str) -> bool:
    """Whether ``path`` holds outcomes of exactly this config (a finished job)."""
    if not path.exists():
        return False
    try:
        with open_outcomes(path) as ds:
            return ds.attrs.get("config") == config
    except (OSError, ValueError, KeyError):  # foreign or unreadable: run the job again
        return False


def run_job(cfg: DictConfig, output_dir: Path) -> Path:
    """Simulate one configuration and write ``outcomes.nc`` into ``output_dir``.

    With ``resume=true`` a job whose folder already holds the outcomes of the same config is
    skipped; leftovers of an interrupted write are removed either way.
    """
    spec = check(cfg)
    config = config_text(cfg)
    path = output_dir / (OUTCOMES if spec.format == "netcdf" else OUTCOMES_ZARR)
    remove_stale(output_dir, "outcomes")  # writes that were killed, not running ones
    (output_dir / ERROR_FILE).unlink(missing_ok=True)  # this attempt replaces a failed one
    if cfg.get("resume", False) and already_done(path, config):
        log.info("resume: %s already holds this job's outcomes; skipped", path)
        return path
    started = time.perf_counter()
    path = write_outcomes(spec, config, output_dir)
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

#: A command's work inside Hydra: the composed config and the run directory to write into.
Task = Callable[[DictConfig, Path], object]


def record_failure(output_dir: Path, err: Exception) -> None:
    """A sweep's job raised: say so, and leave ``error.txt`` in its folder (one line, then
    the traceback) for the sweep's report; the other jobs go on."""
    import traceback

    message = f"{type(err).__name__}: {err}".splitlines()[0]
    log.error("job failed: %s", message)
    output_dir.mkdir(parents=True, exist_ok=True)
    text = message + "\n\n" + "".join(traceback.format_exception(err))
    write_text(output_dir / ERROR_FILE, text)


def hydra_app(task: Task) -> Callable[[], None]:
    """Wrap ``task`` as a Hydra application over ``conf/``.

    Every command that takes overrides (``run``, ``sensitivity``, ...) runs through this: Hydra
    composes the config, makes the run directory (``hydra.run.dir``), and the task writes into
    it. A :class:`ConfigError` ends the job with one line and exit status 2; on success the run
    directory is printed as the last line of stdout.
    """

    @hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name=CONFIG_NAME)
    def app(cfg: DictConfig) -> None:
        hydra_cfg = HydraConfig.get()
        output_dir = Path(hydra_cfg.runtime.output_dir)
        if hydra_cfg.mode == RunMode.MULTIRUN:  # one job of a sweep: a failure is recorded
            batches.SHOW_PROGRESS = False      # the sweep shows its own progress
            try:
                task(cfg, output_dir)
            except Exception as err:  # noqa: BLE001 - every job failure is reported the same
                record_failure(output_dir, err)
                return
        else:
            try:
                task(cfg, output_dir)
            except WriteError as err:  # not bad input: the disk, permissions, ...
                print(f"futures: error: {err}", file=sys.stderr)
                sys.exit(1)
            except ConfigError as err:
                print(f"futures: error: {err}", file=sys.stderr)
                sys.exit(2)
        print(output_dir, flush=True)

    return app


#: ``futures run``: simulate and write ``outcomes.nc``.
main = hydra_app(run_job)

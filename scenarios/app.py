"""The Hydra application behind ``futures run``: one job = all chosen futures and members."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hydra
import xarray as xr
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from scenarios.compose import CONFIG_NAME, check, conf_dir, register_schema
from scenarios.errors import ConfigError
from scenarios.runner import simulate, to_dataset
from scenarios.storage import ENGINE, write_atomic

log = logging.getLogger("futures")
OUTCOMES = "outcomes.nc"


def config_text(cfg: DictConfig) -> str:
    """The resolved config as stored with the outcomes (without the ``resume`` switch)."""
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    container.pop("resume", None)
    return OmegaConf.to_yaml(OmegaConf.create(container))


def already_done(path: Path, config: str) -> bool:
    """Whether ``path`` holds outcomes of exactly this config (a finished job)."""
    if not path.is_file():
        return False
    try:
        with xr.open_dataset(path, engine=ENGINE) as ds:
            return ds.attrs.get("config") == config
    except (OSError, ValueError):  # a foreign or unreadable file: run the job again
        return False


def run_job(cfg: DictConfig, output_dir: Path) -> Path:
    """Simulate one configuration and write ``outcomes.nc`` into ``output_dir``.

    With ``resume=true`` a job whose folder already holds the outcomes of the same config is
    skipped; leftovers of an interrupted write are removed either way.
    """
    spec = check(cfg)
    config = config_text(cfg)
    path = output_dir / OUTCOMES
    for stale in output_dir.glob(f".{OUTCOMES}.*.tmp"):  # a write that was killed
        stale.unlink(missing_ok=True)
    if cfg.get("resume", False) and already_done(path, config):
        log.info("resume: %s already holds this job's outcomes; skipped", path)
        return path
    started = time.perf_counter()
    outcome, members = simulate(spec)
    log.info("simulated %d futures x %d members in %.2f s", len(spec.futures), spec.members,
             time.perf_counter() - started)
    ds = to_dataset(spec, outcome, members, config)
    path = write_atomic(ds, path, compression=spec.compression)
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


register_schema()

#: A command's work inside Hydra: the composed config and the run directory to write into.
Task = Callable[[DictConfig, Path], object]


def hydra_app(task: Task) -> Callable[[], None]:
    """Wrap ``task`` as a Hydra application over ``conf/``.

    Every command that takes overrides (``run``, ``sensitivity``, ...) runs through this: Hydra
    composes the config, makes the run directory (``hydra.run.dir``), and the task writes into
    it. A :class:`ConfigError` ends the job with one line and exit status 2; on success the run
    directory is printed as the last line of stdout.
    """

    @hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name=CONFIG_NAME)
    def app(cfg: DictConfig) -> None:
        output_dir = Path(HydraConfig.get().runtime.output_dir)
        try:
            task(cfg, output_dir)
        except ConfigError as err:
            print(f"futures: error: {err}", file=sys.stderr)
            sys.exit(2)
        print(output_dir, flush=True)

    return app


#: ``futures run``: simulate and write ``outcomes.nc``.
main = hydra_app(run_job)

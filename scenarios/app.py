"""The Hydra application behind ``futures run``: one job = all chosen futures and members."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from scenarios.compose import CONFIG_NAME, check, conf_dir, register_schema
from scenarios.errors import ConfigError
from scenarios.runner import simulate, to_dataset
from scenarios.storage import write_atomic

log = logging.getLogger("futures")
OUTCOMES = "outcomes.nc"


def run_job(cfg: DictConfig, output_dir: Path) -> Path:
    """Simulate one configuration and write ``outcomes.nc`` into ``output_dir``."""
    spec = check(cfg)
    started = time.perf_counter()
    outcome, members = simulate(spec)
    log.info("simulated %d futures x %d members in %.2f s", len(spec.futures), spec.members,
             time.perf_counter() - started)
    ds = to_dataset(spec, outcome, members, OmegaConf.to_yaml(cfg, resolve=True))
    path = write_atomic(ds, output_dir / OUTCOMES, compression=spec.compression)
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


register_schema()


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name=CONFIG_NAME)
def main(cfg: DictConfig) -> None:
    """Hydra task: run and print the run directory as the last line of stdout."""
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_job(cfg, output_dir)
    except ConfigError as err:
        print(f"futures: error: {err}", file=sys.stderr)
        sys.exit(2)
    print(output_dir, flush=True)

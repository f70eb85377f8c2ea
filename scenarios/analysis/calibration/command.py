"""``futures calibrate``: the command's name, usage, config section, check and job."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.engine.command import Command

if TYPE_CHECKING:
    from omegaconf import DictConfig

USAGE = """\
usage: futures calibrate [KEY=VALUE ...] [hydra.run.dir=DIR]

Fits the momentum of a trend (and the scale of the observation model share = scale x level)
to each series under `calibrate.series` (conf/calibrate.yaml; by default the share of WBSO
R&D projects mentioning AI, 2014-2019, NDS 2021 L6700-6716, for autonomisering) with
scipy.optimize.curve_fit, running the KSIM equation backwards from the 2021 level in the
world frozen at 2021. Writes calibration.yaml (fitted values, standard errors, intervals,
residuals, provenance), calibration.md (the report) and calibration_fit.png/.pdf into the
run directory and prints that directory last. See docs/calibration.md.

Keys (and every key of `futures run --help`; the fit uses the run's world):
  calibrate.confidence=X                    interval level in (0, 1) (default 0.95)
  calibrate.series.NAME.trend=LABEL         trend the series measures
  calibrate.series.NAME.years=[Y,...]       calendar years, before time.start
  calibrate.series.NAME.values=[V,...]      observed shares in (0, 1)

examples:
  futures calibrate
  futures calibrate initial.autonomisering=0.3 hydra.run.dir=runs/cal
"""


def check(cfg: DictConfig) -> None:
    """Validate the model config and the ``calibrate`` section before Hydra makes a folder."""
    from scenarios.analysis.calibration.compute import check_config

    check_config(cfg)


def job(cfg: DictConfig, output_dir: Path, *, progress: bool) -> Path:
    """Run the analysis into ``output_dir`` (:func:`scenarios.analysis.calibration.report.calibrate_job`;
    it shows no progress bar)."""
    from scenarios.analysis.calibration.report import calibrate_job

    return calibrate_job(cfg, output_dir)


COMMAND = Command("calibrate", USAGE, job=job, check=check, section="calibrate")

"""``futures discover``: the command's name, usage, config section, check and job."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.engine.command import Command

if TYPE_CHECKING:
    from omegaconf import DictConfig

USAGE = """\
usage: futures discover [KEY=VALUE ...] [hydra.run.dir=DIR]

Scenario discovery: runs one lever setting or portfolio in every chosen future, marks each
simulated world where an area ends worse than 2021 (or below a threshold), and finds with
PRIM (EMA Workbench) the box of uncertain parameters and axis positions where those
failures concentrate. Writes into the run directory discovery.csv (the peeling trajectory:
coverage, density, mass, restricted dimensions), discovery.md (the conditions in plain
words) and discovery.png/.svg. Prints the run directory as the last line. Takes every
`futures run` key and:

  discover.setting.LEVER=X         the setting (partial over levers.yaml; default reference)
  discover.portfolios=PATH         a portfolios.nc of `futures portfolio` ...
  discover.portfolio=NAME          ... and one of its portfolios (replaces the setting)
  discover.area=AREA               only this area's failure counts (default: any area)
  discover.threshold=X             an area fails below this impact (default 0)
  discover.density=D               the box reported: most coverage with density >= D
  discover.year=YEAR               judge at this time point (default time.end)

examples:
  futures discover ensemble.members=200
  futures discover discover.portfolios=runs/DATE/TIME/portfolios.nc discover.portfolio=P1

Bad input ends with one line on stderr naming the key, the value and what is allowed,
exit status 2, and nothing written.
"""


def check(cfg: DictConfig) -> None:
    """Validate the model config and the ``discover`` section before Hydra makes a folder."""
    from scenarios.analysis.discover.compute import check_config

    check_config(cfg)


def job(cfg: DictConfig, output_dir: Path, *, progress: bool) -> Path:
    """Run the discovery into ``output_dir``."""
    from scenarios.analysis.discover.report import discover_job

    return discover_job(cfg, output_dir)


COMMAND = Command("discover", USAGE, job=job, check=check, section="discover")

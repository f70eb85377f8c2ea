"""``futures consistency``: the command's name, usage and job."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.engine.command import Command

if TYPE_CHECKING:
    from omegaconf import DictConfig

USAGE = """\
usage: futures consistency [KEY=VALUE ...] [hydra.run.dir=DIR]

Checks, in the spirit of Cross-Impact Balance analysis, whether each future's narrative
signature (conf/study/nds2021.yaml) is self-consistent under the cross-impact judgments:
per trend, does the impact balance of the other trends' narrative states, the momentum,
the future's drivers and levers push it in its stated direction? Writes consistency.nc
(balance, implied change, inconsistency per future and trend), consistency.md and
consistency.png/.pdf into the run directory and prints that directory last. No simulation.
See docs/validation.md.

Keys: every key of `futures run --help` (the judgments checked are the run's).

examples:
  futures consistency
  futures consistency hydra.run.dir=runs/consistency
"""


def job(cfg: DictConfig, output_dir: Path, *, progress: bool) -> Path:
    """Run the analysis into ``output_dir``
    (:func:`scenarios.analysis.consistency.report.consistency_job`)."""
    from scenarios.analysis.consistency.report import consistency_job

    return consistency_job(cfg, output_dir)


COMMAND = Command("consistency", USAGE, job=job)

"""``futures consistency``: the command's name, usage and job."""

from scenarios.engine.command import Functions, analysis_command

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


def _functions() -> Functions:
    from scenarios.analysis.consistency.report import consistency_job

    return consistency_job, None


COMMAND = analysis_command("consistency", USAGE, _functions, section=False)

"""``futures sensitivity``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures sensitivity [KEY=VALUE ...] [hydra.run.dir=DIR]

Sobol first-order (S1) and total-order (ST) indices of every trend level and impact area
with respect to every uncertain parameter (conf/uncertainties.yaml), per future and year,
with percentile-bootstrap intervals. Costs samples x (parameters + 2) model runs per future.
Writes sensitivity.nc, sensitivity_heatmap.png/.pdf and sensitivity_time.png/.pdf into the
run directory and prints that directory as the last line. See docs/sensitivity.md.

Keys (and every key of `futures run --help`):
  sensitivity.samples=INT       base samples N, a power of two (default 1024)
  sensitivity.bootstrap=INT     bootstrap replicates for the intervals (default 1000)
  sensitivity.confidence=X      interval level in (0, 1) (default 0.95)
  sensitivity.years=[Y,...]     years to analyse (default every year 2022..2030)
  sensitivity.events=BOOL       events on with common random numbers (default false)
  sensitivity.output=LABEL      trend or area of the over-time figure (default brede_welvaart)
  sensitivity.top=INT           parameters in the over-time figure (default 4)
  sensitivity.lang=nl|en        language of the figures' labels (default en)

examples:
  futures sensitivity
  futures sensitivity sensitivity.samples=256 futures=[versnelling] hydra.run.dir=runs/s
  futures sensitivity sensitivity.events=true sensitivity.output=autonomisering
"""


def _functions() -> Functions:
    from scenarios.analysis.sensitivity.compute import check_config, sensitivity_job

    return sensitivity_job, check_config


COMMAND = analysis_command("sensitivity", USAGE, _functions)

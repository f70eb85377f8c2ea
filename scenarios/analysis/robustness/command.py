"""``futures robustness``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures robustness [KEY=VALUE ...] [hydra.run.dir=DIR]

Runs every lever setting in every chosen future on the same members and event draws
(common random numbers), judges each by a statistic of the 2030 impact indices, and writes
into the run directory: robustness.nc (outcomes, regret, worst case, spread, no-regret
flags), regret.csv, regret.md (a table for strategists) and robustness.png/.svg. Prints the
run directory as the last line. Takes every `futures run` key (seed, ensemble.members,
futures, ...) and:

  robustness.settings.NAME={LEVER:X,...}  add a setting (levers in [0, 1], reference 0.5)
  robustness.settings.NAME=null           drop a setting
  robustness.include=[A,B,...]            compare only these named settings (default all)
  robustness.grid.LEVER=[X,Y,...]         full factorial over the given levers' values
  robustness.statistic=median|mean|quantile, robustness.quantile=Q (0 < Q < 1)
  robustness.year=YEAR                    judge at this time point (default time.end)
  robustness.tolerance=X                  regret <= X counts as none (default 0.005)
  robustness.election_plans=replace|keep  replace: the setting holds 2021-2030 everywhere;
                                          keep: the futures' election lever plans still act

examples:
  futures robustness
  futures robustness ensemble.members=200 robustness.include=[reference,all_high,innovation]
  futures robustness robustness.grid.ai_investment=[0,0.5,1] \\
                     robustness.grid.cyber_resilience=[0.5,1]
  futures robustness robustness.statistic=quantile robustness.quantile=0.1
"""


def _functions() -> Functions:
    from scenarios.analysis.robustness.compute import check_config, robustness_job

    return robustness_job, check_config


COMMAND = analysis_command("robustness", USAGE, _functions)

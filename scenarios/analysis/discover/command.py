"""``futures discover``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

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
"""


def _functions() -> Functions:
    from scenarios.analysis.discover.compute import check_config
    from scenarios.analysis.discover.report import discover_job

    return discover_job, check_config


COMMAND = analysis_command("discover", USAGE, _functions)

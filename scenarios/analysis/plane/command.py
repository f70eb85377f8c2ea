"""``futures plane``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures plane [KEY=VALUE ...] [hydra.run.dir=DIR]

Runs a grid of futures over both axes - ownership (0 shareholder .. 1 stakeholder model)
by purpose (0 economic growth .. 1 broad welfare) - all on the same members and event draws,
maps each impact area in 2030 over the plane with the chosen futures marked and arrows where
outcomes change fastest, and writes plane.nc and plane.png/.svg into the run directory.
Prints the run directory as the last line. Takes every `futures run` key and:

  plane.grid=N                  points per axis (default 9: 81 grid futures)
  plane.members=M               members per grid point (default 64)
  plane.statistic=median|mean|quantile, plane.quantile=Q
  plane.year=YEAR               map this time point (default time.end)
  plane.drivers=interpolate|status_quo   other drivers (eu_regulation) spread from the
                                futures by a thin-plate spline, or held at 2021

examples:
  futures plane
  futures plane plane.grid=15 plane.members=32
  futures plane plane.drivers=status_quo events.enabled=false
"""


def _functions() -> Functions:
    from scenarios.analysis.plane.compute import check_config, plane_job

    return plane_job, check_config


COMMAND = analysis_command("plane", USAGE, _functions)

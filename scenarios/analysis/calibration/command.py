"""``futures calibrate``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

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


def _functions() -> Functions:
    from scenarios.analysis.calibration.compute import check_config
    from scenarios.analysis.calibration.report import calibrate_job

    return calibrate_job, check_config


COMMAND = analysis_command("calibrate", USAGE, _functions)

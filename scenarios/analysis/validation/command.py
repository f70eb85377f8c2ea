"""``futures validate``: the command's name, usage and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures validate [KEY=VALUE ...] [hydra.run.dir=DIR]

Scores the model on the narrative cells of the study (conf/study/nds2021.yaml) in and out of
sample: cells_held(split) for split in_sample (the configured model), leave_one_future_out
(the narrative fit re-run on three futures, the fourth scored; four fits),
leave_text_out (fit without the TEXT cells, the TEXT cells scored), flat (every trend stays
at its 2021 level) and additive (the naive corner prediction of the digest's axis swings),
also per basis and per future. Writes validation.nc and validation.md into the run directory
and prints that directory last. Five narrative fits of 256 members each: several minutes.
See docs/validation.md.

Keys: every key of `futures run --help` (the model validated is the run's model).

examples:
  futures validate
  futures validate hydra.run.dir=runs/validate
"""


def _functions() -> Functions:
    from scenarios.analysis.validation.report import validate_job

    return validate_job, None


COMMAND = analysis_command("validate", USAGE, _functions, section=False)

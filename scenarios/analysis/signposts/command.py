"""``futures signposts``: the command's name, usage, check and job."""

from scenarios.engine.command import Functions, analysis_command

USAGE = """\
usage: futures signposts [KEY=VALUE ...] [hydra.run.dir=DIR]

Simulates the futures like `futures run` and finds, per future and impact area, which
early trend levels (2024-2026 by default) warn that the 2030 impact will be among the worst
of the ensemble: a shallow classification tree grown on half the members, its riskiest
leaf checked on the other half. Writes signposts.csv and signposts.md (the monitoring table)
into the run directory and prints that directory last. See docs/signposts.md.

Keys (and every key of `futures run --help`):
  signposts.years=[Y,...]   years whose trend levels are candidate signposts (2024..2026)
  signposts.worst=X         share of members that count as a bad outcome (default 0.25)
  signposts.depth=INT       depth of the tree, 1..3 (default 2)
  signposts.min_leaf=X      smallest rule, as a share of the members (default 0.05)

examples:
  futures signposts
  futures signposts ensemble.members=4000 signposts.depth=3 hydra.run.dir=runs/sp
"""


def _functions() -> Functions:
    from scenarios.analysis.signposts.compute import check_config
    from scenarios.analysis.signposts.report import signposts_job

    return signposts_job, check_config


COMMAND = analysis_command("signposts", USAGE, _functions)

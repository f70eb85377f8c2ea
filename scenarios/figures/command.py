"""``futures plot RUN_DIR [plot.KEY=VALUE ...]`` and ``futures report RUN_DIR [...]``.

Both take a directory, not Hydra overrides: the ``plot.lang``, ``plot.format`` and ``plot.dpi``
arguments are read here. Bad input gives one line on stderr and exit status 2, before
anything is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scenarios.config.errors import ConfigError, WriteError
from scenarios.engine.command import Command, fail
from scenarios.engine.names import FIGURES_DIR

PLOT_USAGE = """\
usage: futures plot RUN_DIR [plot.lang=nl|en] [plot.format=svg|pdf] [plot.dpi=150..600]

Draws the figures of a run (RUN_DIR/outcomes.nc) or a sweep (RUN_DIR/sweep.nc) into
RUN_DIR/figures/, each as PNG (1920 x 1080 at 150 dpi) and SVG or PDF: quadrant, fans_compared,
fans_<future> per future, impacts, cross_impact, events. See docs/figures.md. Prints the
figures folder as the last line.

  plot.lang=nl|en        language of every label (default nl)
  plot.format=svg|pdf    vector format beside each PNG (default svg)
  plot.dpi=N             PNG resolution, 150 to 600 (default 150)
"""

REPORT_USAGE = """\
usage: futures report RUN_DIR [plot.lang=nl|en] [plot.dpi=150..600]

Writes RUN_DIR/report.html (one self-contained file: figures embedded, no external requests)
and RUN_DIR/report.pdf (the same handout) for a run or a sweep: the settings in words, key
findings per future and every figure. With the outputs of futures robustness, portfolio,
discover or plane in RUN_DIR or its subfolders, a policy chapter follows (robust choices and
their cost, where they fail, the map of the plane); a folder holding only those gets the
chapter alone. Prints the two paths.
"""


def _split(args: list[str], usage: str) -> tuple[str, list[str]] | int:
    if any(a in ("-h", "--help") for a in args):
        print(usage, end="")
        return 0
    if not args or "=" in args[0] or args[0].startswith("-"):
        return fail(f"RUN_DIR={args[0] if args else ''!r}: expected a run or sweep folder "
                     f"first; {usage.splitlines()[0]}")
    return args[0], args[1:]


def _load(run_dir: str, rest: list[str]):
    """Check the arguments and read the folder (quickly, before matplotlib is imported)."""
    from scenarios.figures.data import open_run
    from scenarios.figures.options import parse_options

    options = parse_options(rest)
    return options, open_run(run_dir)


def _command(args: list[str], usage: str, draw, load_run: bool = True) -> int:
    """Check the arguments, read the folder, call ``draw(run_dir, options, run)`` and print
    the paths it returns; a bad input is status 2, a failed write status 1."""
    split = _split(args, usage)
    if isinstance(split, int):
        return split
    run_dir, rest = split
    try:
        if load_run:
            options, run = _load(run_dir, rest)
        else:
            from scenarios.figures.options import parse_options

            options, run = parse_options(rest), None
        shown = draw(run_dir, options, run)
    except WriteError as err:  # the disk or permissions, not the input: status 1
        print(f"futures: error: {err}", file=sys.stderr)
        return 1
    except ConfigError as err:
        return fail(str(err))
    for path in shown:
        print(path)
    return 0


def plot_main(args: list[str]) -> int:
    """Entry of ``futures plot``; prints the figures folder; returns the exit status."""

    def draw(run_dir: str, options, run) -> list[Path]:
        from scenarios.figures.render import plot

        plot(run_dir, options, run=run)
        return [Path(run_dir) / FIGURES_DIR]

    return _command(args, PLOT_USAGE, draw)


def report_main(args: list[str]) -> int:
    """Entry of ``futures report``; prints the HTML and PDF paths; returns the exit status.
    A folder of policy analyses without a run gets the policy chapter alone."""
    from scenarios.figures.policy import policy_only

    def draw(run_dir: str, options, run) -> list[Path]:
        from scenarios.figures.handout import report

        return report(run_dir, options, run=run)

    def draw_policy(run_dir: str, options, run) -> list[Path]:
        from scenarios.figures.policy import write_report

        return write_report(run_dir, options.lang)

    if args and not args[0].startswith("-") and policy_only(args[0]):
        return _command(args, REPORT_USAGE, draw_policy, load_run=False)
    return _command(args, REPORT_USAGE, draw)


PLOT = Command("plot", PLOT_USAGE, main=plot_main)
REPORT = Command("report", REPORT_USAGE, main=report_main)

"""The ``futures`` command: one list of :class:`~scenarios.engine.command.Command` objects.

Each command is declared in its own package (``command.py``); here they are registered
(:data:`COMMAND_LIST`) and dispatched: commands with a Hydra ``job`` have their overrides
checked here (:func:`hydra_command`) before Hydra makes any folder, the others get their
arguments (``main``).

Bad input ends with one line on stderr (``futures: error: KEY=VALUE: what is allowed``),
exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import __version__
from scenarios.analysis.calibration.command import COMMAND as CALIBRATE
from scenarios.analysis.discover.command import COMMAND as DISCOVER
from scenarios.analysis.plane.command import COMMAND as PLANE
from scenarios.analysis.portfolio.command import COMMAND as PORTFOLIO
from scenarios.analysis.robustness.command import COMMAND as ROBUSTNESS
from scenarios.analysis.sensitivity.command import COMMAND as SENSITIVITY
from scenarios.analysis.signposts.command import COMMAND as SIGNPOSTS
from scenarios.config.errors import ConfigError
from scenarios.engine.command import Command, fail
from scenarios.engine.commands import COLLECT, RUN
from scenarios.figures.command import PLOT, REPORT
from scenarios.interop.command import COMMAND as EXPORT
from scenarios.study.command import COMMAND as STUDY
from scenarios.workshop.command import COMMAND as WORKSHOP

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from scenarios.config.schema import RunSpec

USAGE = f"""\
futures {__version__} - scenario planning for the Dutch digital transition to 2030

Simulates the eleven trends of the NDS 2021 foresight study (Toekomstverkenning
Digitalisering 2030) under its four futures - versnelling, voorwaardelijke_groei,
radicale_markten, gelijk_speelveld - as Monte Carlo ensembles of a KSIM cross-impact model,
and scores them on five impact areas.

usage: futures COMMAND [ARGS...]

commands:
  run [OVERRIDES...]   simulate the futures; writes runs/<date>/<time>/outcomes.nc and
                       prints that directory as the last line
  run -m KEY=a,b ...   a sweep (Hydra multirun): one job per combination, then
                       <sweep>/sweep.nc with one dimension per swept key
  collect SWEEP_DIR    rebuild <sweep>/sweep.nc from the sweep's job folders
  plot RUN_DIR         figures of a run or sweep into RUN_DIR/figures/ (plot.lang=nl|en)
  report RUN_DIR       a self-contained HTML handout and its PDF in RUN_DIR
  export RUN_DIR [--format iamc|csv|parquet]
                       the outcomes as IAMC tables (pyam) or tidy long tables in
                       RUN_DIR/export/
  sensitivity [OVERRIDES...]
                       Sobol indices per future and year; writes sensitivity.nc and
                       figures into the run directory and prints it last
  robustness [OVERRIDES...]
                       lever settings across the four futures: regret table and the
                       no-regret settings (robustness.nc, regret.csv/.md, a figure)
  plane [OVERRIDES...]
                       the impact areas mapped over both axes (plane.nc, a figure)
  portfolio [OVERRIDES...]
                       robust lever portfolios under a budget, NSGA-II (portfolios.nc,
                       portfolios.csv/.md, a Pareto figure)
  discover [OVERRIDES...]
                       where a setting or portfolio fails: PRIM boxes over the uncertain
                       parameters and axis positions (discovery.csv/.md, a figure)
  calibrate [OVERRIDES...]
                       fit trend momenta to the document's series (WBSO AI share);
                       writes calibration.yaml/.md and a figure, prints the directory
  signposts [OVERRIDES...]
                       early trend levels that warn of a bad 2030 outcome; writes the
                       monitoring table signposts.csv/.md, prints the directory
  workshop [--port N] [OVERRIDES...]
                       serve the live sliders page on 127.0.0.1 (see `futures workshop -h`)
  study init DIR NAME  write an example study DIR/study/NAME.yaml to edit (docs/study.md);
                       run it with `futures run --config-dir DIR study=NAME`
  help                 this text

`futures run --help` lists the configuration keys and examples.
"""

#: Hydra's own options that take a value (``--cfg job``): passed through untouched.
HYDRA_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp",
                     "--config-name", "-cn", "--config-dir", "-cd", "--info", "-i"}


#: Hydra's options that name a config folder (checked by :mod:`scenarios.config.guard`).
CONFIG_DIR_FLAGS = ("-cd", "--config-dir")


def hydra_command(command: Command, args: list[str]) -> int:
    """A command that takes Hydra overrides like ``futures run`` and writes a run directory.

    Every override (and, with ``command.sweeps``, every swept value) is validated first, and
    then the command's own config section (``command.check``), so bad input gives one line
    and exit status 2 before Hydra makes any folder. Then Hydra runs ``command.job``
    (:func:`scenarios.engine.app.launch`).
    """
    if any(a in ("-h", "--help") for a in args):
        print(command.usage, end="")
        return 0
    from scenarios.config import guard
    from scenarios.config.compose import load, normalize, sweep_variants

    flags, overrides, argv, config_dirs = split_arguments(args, normalize)
    try:  # code, Hydra's settings, the environment, links out of the run folder
        first = sweep_variants(overrides)[0] if "-m" in flags or "--multirun" in flags \
            else overrides
        guard.check_command(argv, flags, overrides, first)
    except ConfigError as err:
        return fail(str(err))
    if not flags:  # the common case: one composition, validated, then the job
        from scenarios.config.compose import check, precheck
        from scenarios.engine.app import run_once

        def validate(cfg: DictConfig) -> None:
            check(cfg)
            if command.check is not None:
                command.check(cfg)

        try:
            precheck(overrides)
        except ConfigError as err:
            return fail(str(err))
        assert command.job is not None
        return run_once(command.job, overrides, validate)
    # --config-dir (a study, a workshop export) is composed and checked here too
    if not any(f in HYDRA_VALUE_FLAGS and f not in CONFIG_DIR_FLAGS for f in flags):
        multirun = any(f in ("-m", "--multirun") for f in flags)
        allowed = (("-m", "--multirun") if command.sweeps else ()) + CONFIG_DIR_FLAGS
        unknown = [f for f in flags if f not in allowed]
        if unknown:
            return fail(f"option {unknown[0]!r} is not known; see `futures {command.name} "
                        "--help`")
        try:  # a sweep is checked value by value before any job starts
            loaded = [load(v, tuple(config_dirs)) for v in (sweep_variants(overrides)
                                                            if multirun else [overrides])]
            if command.check is not None:
                for cfg, _ in loaded:
                    command.check(cfg)
        except ConfigError as err:
            return fail(str(err))
        if multirun:
            announce(overrides, loaded[0][1])
    from scenarios.engine.app import launch

    assert command.job is not None
    launch(command.job, [f"futures {command.name}", *argv])
    return 0


def split_arguments(args: list[str], normalize: Callable[[list[str]], list[str]]
                    ) -> tuple[list[str], list[str], list[str], list[str]]:
    """Hydra's flags, the overrides (normalized), the argv for Hydra (in the given order) and
    the ``--config-dir`` folders."""
    flags: list[str] = []
    overrides: list[str] = []
    argv: list[str] = []
    config_dirs: list[str] = []
    i = 0
    while i < len(args):  # keep the order; rewrite only the overrides
        arg = args[i]
        flag, eq, attached = arg.partition("=")
        if arg.startswith("--") and eq and flag in HYDRA_VALUE_FLAGS:  # --config-dir=DIR
            flags.append(flag)
            argv.append(arg)
            if flag in CONFIG_DIR_FLAGS:
                config_dirs.append(attached)
            i += 1
            continue
        if arg in HYDRA_VALUE_FLAGS:
            takes = 2 if i + 1 < len(args) and "=" not in args[i + 1] else 1
            flags.append(arg)
            argv.extend(args[i:i + takes])
            if arg in CONFIG_DIR_FLAGS and takes == 2:
                config_dirs.append(args[i + 1])
            i += takes
            continue
        if arg.startswith("-"):
            flags.append(arg)
            argv.append(arg)
        else:
            rewritten = normalize([arg])
            overrides.extend(rewritten)
            argv.extend(rewritten)
        i += 1
    return flags, overrides, argv, config_dirs


def announce(overrides: list[str], spec: RunSpec) -> None:
    """Before a sweep: how many jobs, and how many members the first runs, on stderr."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    jobs = 1
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            jobs *= len(list(override.sweep_string_iterator()))
    print(f"futures: sweep of {jobs} jobs; the first runs {len(spec.futures)} futures x "
          f"{spec.members} members", file=sys.stderr)


#: Every subcommand, in the order of ``futures COMMAND not found`` (README section Commands).
COMMAND_LIST: tuple[Command, ...] = (RUN, COLLECT, WORKSHOP, SENSITIVITY, CALIBRATE, SIGNPOSTS,
                                     PLOT, REPORT, EXPORT, ROBUSTNESS, PLANE, PORTFOLIO,
                                     DISCOVER, STUDY)
#: The same by name.
COMMANDS: dict[str, Command] = {c.name: c for c in COMMAND_LIST}


def dispatch(command: Command, args: list[str]) -> int:
    """Run ``command`` with the arguments after its name; its exit status."""
    if command.main is not None:
        return command.main(args)
    return hydra_command(command, args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``futures`` console script."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    if args[0] in ("-V", "--version"):
        print(__version__)
        return 0
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        return fail(f"command {command!r} not found; expected one of "
                    f"{[*COMMANDS, 'help']}")
    return dispatch(COMMANDS[command], rest)


if __name__ == "__main__":
    sys.exit(main())

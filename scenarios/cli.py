"""The ``futures`` command: subcommands dispatch to Hydra apps and analysis tools.

Bad input ends with one line on stderr (``futures: error: KEY=VALUE: what is allowed``),
exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import __version__
from scenarios.config.errors import ConfigError

if TYPE_CHECKING:
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
  calibrate [OVERRIDES...]
                       fit trend momenta to the document's series (WBSO AI share);
                       writes calibration.yaml/.md and a figure, prints the directory
  signposts [OVERRIDES...]
                       early trend levels that warn of a bad 2030 outcome; writes the
                       monitoring table signposts.csv/.md, prints the directory
  workshop [--port N] [OVERRIDES...]
                       serve the live sliders page on 127.0.0.1 (see `futures workshop -h`)
  help                 this text

`futures run --help` lists the configuration keys and examples.
"""

RUN_USAGE = """\
usage: futures run [-m] [KEY=VALUE ...] [hydra.run.dir=DIR]

Simulates every chosen future as a Monte Carlo ensemble from 2021 to 2030 (monthly KSIM
steps), writes outcomes.nc (an xarray/netCDF dataset: level(future, member, time, trend),
impact(future, member, time, area), the sampled parameters, the events of every member,
the resolved config, seed and version) into the run directory, and prints that directory
as the last line on stdout.

Overrides use Hydra's grammar (KEY=VALUE, +KEY=VALUE to add, ~KEY to delete):
  seed=INT                      one seed for everything (default 2021); same seed, same data
  ensemble.members=INT          members per future (default 1000)
  ensemble.design=NAME          latin_hypercube (default) | sobol (members a power of two)
  ensemble.nominal=BOOL         true: no sampling, every member nominal
  futures=[A,B,...]             which futures (default all four)
  future.LABEL.ownership=X      0 shareholder .. 1 stakeholder model
  future.LABEL.purpose=X        0 economic growth .. 1 broad welfare
  initial.TREND=X               2021 level in (0, 1)
  cross_impact.ROW.COLUMN=X     impact of COLUMN on trend ROW per year (see conf/cross_impact.yaml)
  levers.LEVER=X                lever setting in [0, 1] (reference 0.5)
  events.enabled=BOOL           discrete events on (default) or off (the continuous model)
  events.hazards.KIND.rate=X    cyber_incident | crypto_crash | stack_split, per year
  ~events.eu_rules              run without the EU rules (see conf/events.yaml)
  output.precision=float32|float64, output.compression=0..9
  output.format=netcdf|zarr     zarr: outcomes.zarr, streamed batch by batch (big ensembles)
  ensemble.batch=INT            members per batch (default 8192, a multiple of ensemble.chunk)
  ensemble.backend=local|dask   dask: batches on a dask.distributed cluster (with zarr)
  ensemble.scheduler=ADDRESS    dask: tcp://host:8786 of a running cluster (default: a local
                                cluster of ensemble.workers processes)
  resume=true                   skip jobs whose folder already holds this config's outcomes
  hydra.run.dir=DIR             where to write (default runs/<date>/<time>)

examples:
  futures run
  futures run ensemble.members=200 seed=7
  futures run futures=[radicale_markten,gelijk_speelveld] hydra.run.dir=runs/rm_gs
  futures run +future.halfway={ownership:0.45,purpose:0.5} futures=[versnelling,halfway]
  futures run events.enabled=false               the continuous model, no events
  futures run ensemble.members=1000000 output.format=zarr ensemble.backend=dask
  futures run --cfg job          print the composed configuration and exit (Hydra)

Bad input ends with one line on stderr naming the key, the value and what is allowed,
exit status 2, and nothing written.
"""


def fail(message: str) -> int:
    """Print one error line on stderr; return exit status 2."""
    print(f"futures: error: {message}", file=sys.stderr)
    return 2


#: Hydra's own options that take a value (``--cfg job``): passed through untouched.
HYDRA_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp",
                     "--config-name", "-cn", "--config-dir", "-cd", "--info", "-i"}


#: Hydra's options that name a config folder (checked by :mod:`scenarios.config.guard`).
CONFIG_DIR_FLAGS = ("-cd", "--config-dir")


def run_command(args: list[str]) -> int:
    """``futures run``: validate the overrides, then hand over to the Hydra app."""
    return hydra_command("run", args, RUN_USAGE, "scenarios.engine.app:run_job", sweeps=True)


def hydra_command(name: str, args: list[str], usage: str, task: str, *,
                  sweeps: bool = False, check: str = "") -> int:
    """A command that takes Hydra overrides like ``futures run`` and writes a run directory.

    ``task`` names ``module:function``; the function takes the composed config and the run
    directory (see :func:`scenarios.engine.app.hydra_app`). Every override (and, with ``sweeps``,
    every swept value) is validated first, so bad input gives one line and exit status 2
    before Hydra makes any folder. ``check`` names a further ``module:function`` taking the
    composed config (the command's own settings), raising ConfigError.
    """
    if any(a in ("-h", "--help") for a in args):
        print(usage, end="")
        return 0
    from scenarios.config import guard
    from scenarios.config.compose import load, normalize, sweep_variants

    flags, overrides, argv, config_dirs = [], [], [], []
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
    try:  # code, Hydra's settings, the environment, links out of the run folder
        first = sweep_variants(overrides)[0] if "-m" in flags or "--multirun" in flags \
            else overrides
        guard.check_command(argv, flags, overrides, first)
    except ConfigError as err:
        return fail(str(err))
    if not any(f in HYDRA_VALUE_FLAGS for f in flags):
        multirun = any(f in ("-m", "--multirun") for f in flags)
        allowed = ("-m", "--multirun") if sweeps else ()
        unknown = [f for f in flags if f not in allowed]
        if unknown:
            return fail(f"option {unknown[0]!r} is not known; see `futures {name} --help`")
        try:  # a sweep is checked value by value before any job starts
            loaded = [load(v) for v in (sweep_variants(overrides) if multirun
                                        else [overrides])]
            specs = [spec for _, spec in loaded]
            if check:
                module, _, function = check.partition(":")
                for cfg, _ in loaded:
                    getattr(importlib.import_module(module), function)(cfg)
        except ConfigError as err:
            return fail(str(err))
        if multirun:
            announce(overrides, specs[0])
    from scenarios.engine.app import hydra_app

    module, _, function = task.partition(":")
    sys.argv = [f"futures {name}", *argv]
    from scenarios.engine import sweep

    sweep.FAILED.clear()
    sweep.PROBLEMS.clear()
    hydra_app(getattr(importlib.import_module(module), function))()
    return 1 if sweep.FAILED or sweep.PROBLEMS else 0


def announce(overrides: list[str], spec: RunSpec) -> None:
    """Before a sweep: how many jobs, and how many members the first runs, on stderr."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    jobs = 1
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            jobs *= len(list(override.sweep_string_iterator()))
    print(f"futures: sweep of {jobs} jobs; the first runs {len(spec.futures)} futures x "
          f"{spec.members} members", file=sys.stderr)


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
    return COMMANDS[command](rest)


def collect_command(args: list[str]) -> int:
    """``futures collect SWEEP_DIR``: stack a sweep's jobs into ``sweep.nc``."""
    if any(a in ("-h", "--help") for a in args) or len(args) != 1:
        print("usage: futures collect SWEEP_DIR\n\nStacks the jobs of a `futures run -m` "
              "sweep into SWEEP_DIR/sweep.nc (sweep.zarr when the jobs wrote zarr), one "
              "dimension per swept key, and prints SWEEP_DIR. Jobs that failed are named; "
              "then the exit status is 1.")
        return 0 if args and args[0] in ("-h", "--help") else 2
    from pathlib import Path

    from scenarios.config.errors import WriteError
    from scenarios.engine.sweep import collect, failed_jobs, foreign_jobs

    try:
        path = collect(Path(args[0]))
    except WriteError as err:  # the disk, not the input: status 1 as everywhere
        print(f"futures: error: {err}", file=sys.stderr)
        return 1
    except ConfigError as err:
        return fail(str(err))
    print(path.parent.resolve())
    return 1 if failed_jobs(path.parent) or foreign_jobs(path.parent) else 0


#: Subcommands: name -> handler taking the remaining arguments, returning the exit status.
#: Commands that take overrides are built with :func:`hydra_command`.
COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "run": run_command,
    "collect": collect_command,
    "workshop": lambda args: importlib.import_module("scenarios.workshop.server").command(args),
    "sensitivity": lambda args: hydra_command(
        "sensitivity", args, importlib.import_module("scenarios.analysis.sensitivity.compute").USAGE,
        "scenarios.analysis.sensitivity.compute:sensitivity_job",
        check="scenarios.analysis.sensitivity.compute:check_config"),
    "calibrate": lambda args: hydra_command(
        "calibrate", args, importlib.import_module("scenarios.analysis.calibration.compute").USAGE,
        "scenarios.analysis.calibration.compute:calibrate_job", check="scenarios.analysis.calibration.compute:check_config"),
    "signposts": lambda args: hydra_command(
        "signposts", args, importlib.import_module("scenarios.analysis.signposts.compute").USAGE,
        "scenarios.analysis.signposts.compute:signposts_job", check="scenarios.analysis.signposts.compute:check_config"),
    "plot": lambda args: importlib.import_module("scenarios.figures.command").plot_main(args),
    "report": lambda args: importlib.import_module("scenarios.figures.command").report_main(args),
    "export": lambda args: importlib.import_module("scenarios.interop.command").main(args),
    "robustness": lambda args: hydra_command(
        "robustness", args, importlib.import_module("scenarios.analysis.robustness.config").USAGE,
        "scenarios.analysis.robustness.compute:robustness_job"),
    "plane": lambda args: hydra_command(
        "plane", args, importlib.import_module("scenarios.analysis.plane.config").USAGE,
        "scenarios.analysis.plane.compute:plane_job"),
}


if __name__ == "__main__":
    sys.exit(main())

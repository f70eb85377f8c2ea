"""The ``futures`` command: subcommands dispatch to Hydra apps and analysis tools.

Bad input ends with one line on stderr (``futures: error: KEY=VALUE: what is allowed``),
exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from scenarios import __version__
from scenarios.errors import ConfigError

if TYPE_CHECKING:
    from scenarios.config import RunSpec

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
  robustness [OVERRIDES...]  lever settings across the futures: regret table, no-regret
                       settings (robustness.nc, regret.csv, regret.md, figure)
  plane [OVERRIDES...] map the impact areas over the plane of both axes (plane.nc, figure)
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


def run_command(args: list[str]) -> int:
    """``futures run``: validate the overrides, then hand over to the Hydra app."""
    return hydra_command("run", args, RUN_USAGE, "scenarios.app:run_job", sweeps=True)


def hydra_command(name: str, args: list[str], usage: str, task: str, *,
                  sweeps: bool = False) -> int:
    """A command that takes Hydra overrides like ``futures run`` and writes a run directory.

    ``task`` names ``module:function``; the function takes the composed config and the run
    directory (see :func:`scenarios.app.hydra_app`). Every override (and, with ``sweeps``,
    every swept value) is validated first, so bad input gives one line and exit status 2
    before Hydra makes any folder.
    """
    if any(a in ("-h", "--help") for a in args):
        print(usage, end="")
        return 0
    from scenarios.compose import load, normalize, sweep_variants

    flags, overrides, argv = [], [], []
    i = 0
    while i < len(args):  # keep the order; rewrite only the overrides
        arg = args[i]
        if arg in HYDRA_VALUE_FLAGS:
            takes = 2 if i + 1 < len(args) and "=" not in args[i + 1] else 1
            flags.append(arg)
            argv.extend(args[i:i + takes])
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
    if not any(f in HYDRA_VALUE_FLAGS for f in flags):
        multirun = any(f in ("-m", "--multirun") for f in flags)
        allowed = ("-m", "--multirun") if sweeps else ()
        unknown = [f for f in flags if f not in allowed]
        if unknown:
            return fail(f"option {unknown[0]!r} is not known; see `futures {name} --help`")
        try:  # a sweep is checked value by value before any job starts
            specs = [load(v)[1] for v in (sweep_variants(overrides) if multirun
                                          else [overrides])]
        except ConfigError as err:
            return fail(str(err))
        if multirun:
            announce(overrides, specs[0])
    import importlib

    from scenarios.app import hydra_app

    module, _, function = task.partition(":")
    sys.argv = [f"futures {name}", *argv]
    from scenarios import sweep

    sweep.FAILED.clear()
    hydra_app(getattr(importlib.import_module(module), function))()
    return 1 if sweep.FAILED else 0


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

    from scenarios.sweep import collect, failed_jobs

    try:
        path = collect(Path(args[0]))
    except ConfigError as err:
        return fail(str(err))
    print(path.parent.resolve())
    return 1 if failed_jobs(path.parent) else 0


def analysis_command(name: str, module: str) -> Callable[[list[str]], int]:
    """A Hydra command whose usage text is ``USAGE`` in ``scenarios.<module>_config`` and
    whose task is ``<name>_job`` in ``scenarios.<module>``."""
    def command(args: list[str]) -> int:
        import importlib

        usage = importlib.import_module(f"scenarios.{module}_config").USAGE
        return hydra_command(name, args, usage, f"scenarios.{module}:{name}_job")
    return command


#: Subcommands: name -> handler taking the remaining arguments, returning the exit status.
#: Commands that take overrides are built with :func:`hydra_command`.
COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "run": run_command,
    "collect": collect_command,
    "robustness": analysis_command("robustness", "robustness"),
    "plane": analysis_command("plane", "plane"),
}


if __name__ == "__main__":
    sys.exit(main())

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
from scenarios.analysis.consistency.command import COMMAND as CONSISTENCY
from scenarios.analysis.discover.command import COMMAND as DISCOVER
from scenarios.analysis.plane.command import COMMAND as PLANE
from scenarios.analysis.portfolio.command import COMMAND as PORTFOLIO
from scenarios.analysis.robustness.command import COMMAND as ROBUSTNESS
from scenarios.analysis.sensitivity.command import COMMAND as SENSITIVITY
from scenarios.analysis.signposts.command import COMMAND as SIGNPOSTS
from scenarios.analysis.validation.command import COMMAND as VALIDATE
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
  validate [OVERRIDES...]
                       the narrative cells held in sample, leave one future out, leave
                       the TEXT cells out and by two baselines (validation.nc/.md)
  consistency [OVERRIDES...]
                       cross-impact balance: is each future's narrative consistent with
                       the matrix? (consistency.nc/.md and a figure)
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
CONFIG_NAME_FLAGS = ("-cn", "--config-name")
MULTIRUN_FLAGS = ("-m", "--multirun")
#: Options that print and exit (nothing written) and the values they take.
PRINT_FLAGS = {"--cfg": ("job", "hydra", "all"), "-c": ("job", "hydra", "all"),
               "--info": ("all", "config", "defaults", "defaults-tree", "plugins",
                          "searchpath"),
               "-i": ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")}
#: Other options accepted with them.
OTHER_FLAGS = ("--package", "-p", "--resolve")


class Arguments:
    """A command line split for Hydra: its options, overrides (raw and normalized), the argv
    handed to Hydra, the ``--config-dir`` folders and the ``--config-name``."""

    def __init__(self, args: list[str], normalize: Callable[[list[str]], list[str]]) -> None:
        self.flags: list[str] = []
        self.values: dict[str, str] = {}
        self.raw: list[str] = []
        self.overrides: list[str] = []
        self.argv: list[str] = []
        self.config_dirs: list[str] = []
        self.config_name: str | None = None
        i = 0
        while i < len(args):  # keep the order; rewrite only the overrides
            arg = args[i]
            flag, eq, attached = arg.partition("=")
            if arg.startswith("--") and eq and flag in HYDRA_VALUE_FLAGS:  # --config-dir=DIR
                self._flag(flag, attached)
                self.argv.append(arg)
                i += 1
                continue
            if arg in HYDRA_VALUE_FLAGS:
                nxt = args[i + 1] if i + 1 < len(args) else None
                takes = nxt is not None and "=" not in nxt and not nxt.startswith("-")
                if arg in PRINT_FLAGS and nxt not in PRINT_FLAGS[arg]:
                    takes = False  # `--info seed=1`: the override is not the option's value
                self._flag(arg, nxt if takes else None)
                self.argv.extend(args[i:i + (2 if takes else 1)])
                i += 2 if takes else 1
                continue
            if arg.startswith("-"):
                self._flag(arg, None)
                self.argv.append(arg)
            else:
                self.raw.append(arg)
                rewritten = normalize([arg])
                self.overrides.extend(rewritten)
                self.argv.extend(rewritten)
            i += 1

    def _flag(self, flag: str, value: str | None) -> None:
        self.flags.append(flag)
        if value is not None:
            self.values[flag] = value
        if flag in CONFIG_DIR_FLAGS and value is not None:
            self.config_dirs.append(value)
        if flag in CONFIG_NAME_FLAGS and value is not None:
            self.config_name = value

    @property
    def multirun(self) -> bool:
        return any(f in MULTIRUN_FLAGS for f in self.flags)

    @property
    def prints(self) -> bool:
        """``--cfg``/``--info``: Hydra prints and exits, writing nothing."""
        return any(f in PRINT_FLAGS for f in self.flags)

    def add(self, override: str) -> None:
        self.overrides.append(override)
        self.argv.append(override)


def check_flags(command: Command, line: Arguments) -> None:
    """Refuse options this command does not take, and bad values of the ones it does."""
    allowed = (MULTIRUN_FLAGS if command.sweeps else ()) + CONFIG_DIR_FLAGS + \
        CONFIG_NAME_FLAGS + tuple(PRINT_FLAGS) + OTHER_FLAGS + ("-cp", "--config-path")
    if line.multirun and line.prints:
        raise ConfigError("option", "-m", "a sweep cannot be combined with --cfg or --info; "
                          "print one job's config without -m")
    for flag in line.flags:
        if flag not in allowed:
            raise ConfigError("option", flag, f"not known; see `futures {command.name} "
                              "--help`")
        if flag in CONFIG_DIR_FLAGS + CONFIG_NAME_FLAGS + ("--package", "-p") and \
                flag not in line.values:
            raise ConfigError("option", flag, "needs a value, e.g. --config-dir DIR, "
                              "--config-name NAME")
    if line.config_name is not None and not __import__("re").fullmatch(
            r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}", line.config_name):
        raise ConfigError("--config-name", line.config_name, "expected the name of a YAML "
                          "file of --config-dir (without .yaml)")


def dask_writes_zarr(line: Arguments) -> str | None:
    """``ensemble.backend=dask`` without ``output.format``: zarr is chosen (Dask streams its
    batches into a zarr store); the note said once the command line is checked."""
    backend = [o for o in line.overrides if o.lstrip("+").startswith("ensemble.backend=")]
    formats = [o for o in line.overrides if o.lstrip("+").startswith("output.format=")]
    if backend and "dask" in backend[-1].partition("=")[2] and not formats:
        line.add("output.format=zarr")
        return ("futures: ensemble.backend=dask streams its batches into a zarr store: "
                "output.format=zarr chosen (outcomes.zarr)")
    return None


def run_folder(line: Arguments) -> tuple[str, str] | None:
    """The key and value of the folder this command line writes into (Hydra's default when
    not given), or None when it writes nothing (``--cfg``, ``--info``)."""
    if line.prints:
        return None
    key = "hydra.sweep.dir" if line.multirun else "hydra.run.dir"
    given = [o.partition("=")[2] for o in line.overrides if o.lstrip("+").startswith(key + "=")]
    default = "runs/multirun/${now:%Y-%m-%d}" if line.multirun else "runs/${now:%Y-%m-%d}"
    return key, given[-1] if given else default


def first_job(overrides: list[str], parsed: list, sweeps: dict[int, list]) -> list[str]:
    """The overrides of a sweep's first job: each swept key at its first value."""
    out = []
    for i, (text, override) in enumerate(zip(overrides, parsed)):
        if i in sweeps:
            out.append(f"{text.split('=', 1)[0]}={_text(sweeps[i][0])}")
        else:
            out.append(text)
    return out


def _text(value: object) -> str:
    """A swept value back as override text."""
    if isinstance(value, str):
        plain = __import__("re").fullmatch(r"[A-Za-z0-9_./:-]*", value) is not None
        return value if plain else "'" + value.replace("\\", "\\\\").replace("'", "\\'") \
            + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def hydra_command(command: Command, args: list[str]) -> int:
    """A command that takes Hydra overrides like ``futures run`` and writes a run directory.

    Whatever the options (``--config-dir``, ``--config-name``, ``--cfg``, ``-m``), the whole
    command line is checked before Hydra touches the disk: the options, every override
    (:mod:`scenarios.config.precheck`: a key given twice, a split override, a deleted
    required key, the launcher), the security rules (:mod:`scenarios.config.guard`), the
    composed config (with a sweep: every swept value, one composition per key, and
    ``sweep.max_jobs``), the command's own section (``command.check``) and, for ``futures
    run``, that the run folder can be made and the outputs fit
    (:func:`scenarios.config.precheck.preflight`). Bad input gives one line and exit status
    2 with nothing written. Then Hydra runs ``command.job``.
    """
    if any(a in ("-h", "--help") for a in args):
        print(command.usage, end="")
        return 0
    from scenarios.config import compose, guard, precheck

    line = Arguments(args, compose.normalize)
    try:
        check_flags(command, line)
        guard.check_overrides(line.overrides)  # code and resolvers, also in what won't parse
        precheck.refuse_split_and_repeated(line.raw)
        note = dask_writes_zarr(line) if command.name == "run" else None
        parsed = compose.precheck(line.overrides)
        precheck.refuse_required_deletes(parsed)
        dirs = tuple(line.config_dirs)
        precheck.check_launcher(parsed, dirs)
        jobs, sweeps = precheck.job_count(parsed, dirs) if line.multirun else (1, {})
        if sweeps and not line.multirun:
            raise ConfigError("override", line.overrides[min(sweeps)], "a sweep needs "
                              "`futures run -m`")
        first = first_job(line.overrides, parsed, sweeps)
        guard.check_command(line.argv, line.flags, line.overrides, first)
        name = line.config_name or compose.CONFIG_NAME
        precheck.check_hydra_values(line.overrides, dirs, name)
        folder = run_folder(line)
        if folder is not None:
            precheck.check_folder(*folder)
    except ConfigError as err:
        return fail(str(err))

    def validate(cfg: DictConfig) -> RunSpec:
        spec = compose.check(cfg)
        if command.check is not None:
            command.check(cfg)
        return spec

    if not line.flags:  # the common case: one composition (Hydra's own), validated, the job
        from scenarios.engine import startup

        startup.pause_gc()  # until the job starts (in the command's own process)
        from scenarios.engine.app import run_once

        def validate_once(cfg: DictConfig) -> None:
            spec = validate(cfg)
            if command.name == "run":
                precheck.preflight(spec, folder)
            if note:
                print(note, file=sys.stderr)

        assert command.job is not None
        return run_once(command.job, line.overrides, validate_once)
    try:
        cfg = compose.compose_config(first, dirs, name)
        spec = validate(cfg)
        if line.multirun:
            check_sweep(command, cfg, spec, parsed, sweeps, jobs, line, dirs, name)
        elif command.name == "run" and folder is not None:
            precheck.preflight(spec, folder)
    except ConfigError as err:
        return fail(str(err))
    if note:
        print(note, file=sys.stderr)
    from scenarios.engine.app import launch

    assert command.job is not None
    launch(command.job, [f"futures {command.name}", *line.argv])
    return 0


def check_sweep(command: Command, cfg: DictConfig, spec: RunSpec, parsed: list,
                sweeps: dict[int, list], jobs: int, line: Arguments,
                dirs: tuple[str, ...], name: str) -> None:
    """A sweep: at most ``sweep.max_jobs`` jobs, then every swept value checked key by key
    (one composition per config-group key, none per value), then the folder and the
    largest job's fit. The job count is said before the values are checked when there are
    more than :data:`~scenarios.config.precheck.FULL_CHECKS` (the checks then take a
    second or more), else after them (bad input stays one line)."""
    import dataclasses

    from scenarios.config import compose, precheck

    limit = int(cfg.sweep.max_jobs)
    if jobs > limit:
        raise ConfigError("sweep", f"{jobs} jobs", f"more than sweep.max_jobs={limit}; "
                          "sweep fewer values, or raise the limit (sweep.max_jobs=N) if you "
                          "mean it")
    big = jobs > precheck.FULL_CHECKS
    if big:
        announce(jobs, spec)
    container = compose.resolved(cfg)
    members = [spec.members]
    for i, values in sweeps.items():
        key = parsed[i].key_or_group
        if key.startswith("hydra"):
            continue
        if precheck.group_options(key, dirs) is not None:
            for value in values[1:]:
                variant = first_job(line.overrides, parsed, {**sweeps, i: [value]})
                other = compose.compose_config(variant, dirs, name)
                compose.check(other)
                if command.check is not None:
                    command.check(other)
            continue
        precheck.check_swept_values(container, key, values)
        if key == "ensemble.members":
            members += [v for v in values if isinstance(v, int)]
    folder = run_folder(line)
    if command.name == "run" and folder is not None:
        swept = {parsed[i].key_or_group for i in sweeps}
        precheck.preflight(dataclasses.replace(spec, members=max(members)), folder, jobs,
                           scheduler="ensemble.scheduler" not in swept)
    if not big:
        announce(jobs, spec)


def announce(jobs: int, spec: RunSpec) -> None:
    """Before a sweep: how many jobs, and how many members the first runs, on stderr."""
    print(f"futures: sweep of {jobs} jobs; the first runs {len(spec.futures)} futures x "
          f"{spec.members} members", file=sys.stderr, flush=True)


#: Every subcommand, in the order of ``futures COMMAND not found`` (README section Commands).
COMMAND_LIST: tuple[Command, ...] = (RUN, COLLECT, WORKSHOP, SENSITIVITY, CALIBRATE, SIGNPOSTS,
                                     PLOT, REPORT, EXPORT, ROBUSTNESS, PLANE, PORTFOLIO,
                                     DISCOVER, STUDY, VALIDATE, CONSISTENCY)
#: The same by name.
COMMANDS: dict[str, Command] = {c.name: c for c in COMMAND_LIST}


def dispatch(command: Command, args: list[str]) -> int:
    """Run ``command`` with the arguments after its name; its exit status."""
    if command.main is not None:
        return command.main(args)
    return hydra_command(command, args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``futures`` console script."""
    if argv is None:  # the console script: the process ends with the command
        from scenarios.engine import startup

        startup.command_process()
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
    try:
        return dispatch(COMMANDS[command], rest)
    except KeyboardInterrupt:  # Ctrl-C: outputs are written to temporaries, removed on the way
        print("futures: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

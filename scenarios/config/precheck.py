"""What is checked about a command line before Hydra touches the disk.

:mod:`scenarios.cli` runs these on every command that hands over to Hydra, whatever flags
come with it (``--config-dir``, ``--config-name``, ``--cfg``, ``-m``): the raw arguments
(a key given twice, an override the shell split, a required key deleted), a sweep (its
values checked key by key, the job count, the ``sweep.max_jobs`` limit), the launcher, and
the run itself (:func:`preflight`: the run folder can be made, the outputs fit in memory and
on disk, a Dask scheduler answers). Each refusal is one
:class:`~scenarios.config.errors.ConfigError` line, exit status 2, nothing written.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import socket
import tempfile
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scenarios.config.errors import ConfigError

#: Launcher options of ``hydra/launcher`` and the plugin module each needs (the ``sweep``
#: extra: ``pip install 'futures-nl[sweep]'``, or ``pip install -e '.[sweep]'`` in a clone).
LAUNCHER_PLUGINS = {
    "parallel": ("hydra_plugins.hydra_joblib_launcher", "hydra-joblib-launcher"),
    "joblib": ("hydra_plugins.hydra_joblib_launcher", "hydra-joblib-launcher"),
    "slurm": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher"),
    "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher"),
    "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "hydra-submitit-launcher"),
}
#: Launchers that need no plugin.
BUILT_IN_LAUNCHERS = ("basic",)
SWEEP_EXTRA = "pip install -e '.[sweep]' (or pip install 'futures-nl[sweep]')"

#: A swept key with at most this many values has every value validated in full; beyond it
#: each value passes the key's declared checks and the first, smallest and largest values
#: the full validation (cross-key rules).
FULL_CHECKS = 200

#: Seconds to wait for a Dask scheduler to accept a connection before refusing the address.
SCHEDULER_TIMEOUT = 3.0


# --- the raw arguments -------------------------------------------------------------------


def _balanced(text: str) -> bool:
    depth = {"{": 0, "[": 0}
    closing = {"}": "{", "]": "["}
    for char in text:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
    return all(v == 0 for v in depth.values())


def refuse_split_and_repeated(raw: Iterable[str]) -> None:
    """Refuse an override the shell split (brace expansion, an unquoted space) and a key
    given twice.

    Bash turns ``+future.x={ownership:0.4,purpose:0.5}`` into two words,
    ``+future.x=ownership:0.4 +future.x=purpose:0.5``, and an unquoted space splits
    ``{ownership: 0.4}`` in two; both are named with the quoting that fixes them.
    """
    seen: dict[str, str] = {}
    for text in raw:
        key, eq, value = text.partition("=")
        if not _balanced(text):
            raise ConfigError("override", text, "unbalanced braces or brackets: the shell "
                              "split it at a space; quote the whole override, e.g. "
                              "'+future.x={ownership: 0.4, purpose: 0.5}'")
        if not eq or key.startswith("~"):
            continue
        name = key.lstrip("+")
        if name in seen:
            first = seen[name].partition("=")[2]
            if ":" in value and ":" in first and "{" not in value + first:
                raise ConfigError(name, f"{first} and {value}", "arrived split in two: the "
                                  "shell expanded the braces of KEY={a:1,b:2} into two "
                                  f"words; quote the override: '{key}={{{first},{value}}}'")
            raise ConfigError(name, value, f"given twice ({seen[name]!r} and {text!r}); give "
                              f"each key once (to run several values: futures run -m "
                              f"{name}={first},{value})")
        seen[name] = text


def _field_path(key: str) -> list[dataclasses.Field] | None:
    """The schema fields along ``key`` (``ensemble.members``), or None when ``key`` leaves
    the declared dataclasses (an open map's entry)."""
    from scenarios.config.schema import Config

    node: Any = Config
    path = []
    for part in key.split("."):
        if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
            return None
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            return None
        path.append(fields[part])
        node = typing.get_type_hints(node)[part]
    return path


def refuse_required_deletes(parsed: Iterable[Any]) -> None:
    """``~seed``, ``~ensemble``, ``~futures``: a key of the schema cannot be deleted (it
    would silently fall back to a default, or break the run); entries of open maps
    (``~events.eu_rules``, ``~cross_impact.ROW``) can."""
    for override in parsed:
        if override.is_delete() and override.package is None:
            key = override.key_or_group
            if not key.startswith("hydra") and _field_path(key) is not None:
                raise ConfigError(f"~{key}", "(delete)", "a required key cannot be deleted; "
                                  f"set it instead ({key}=VALUE; see `futures run --help`)")


# --- launchers ---------------------------------------------------------------------------


def check_launcher(parsed: Iterable[Any], config_dirs: tuple[str, ...] = ()) -> None:
    """``hydra/launcher=NAME``: one of the installed options; the sweep launchers name the
    ``pip install`` that adds them."""
    from scenarios.config.where import conf_dir

    for override in parsed:
        if override.key_or_group != "hydra/launcher" or override.is_delete():
            continue
        value = override.value()
        names = value if isinstance(value, list) else [value]
        ours = {p.stem for d in (conf_dir(), *map(Path, config_dirs))
                for p in (Path(d) / "hydra" / "launcher").glob("*.yaml")}
        known = sorted(set(BUILT_IN_LAUNCHERS) | set(LAUNCHER_PLUGINS) | ours)
        for name in names:
            if not isinstance(name, str) or name not in known:
                raise ConfigError("hydra/launcher", name, f"launcher not found; expected one "
                                  f"of {known}")
            module, package = LAUNCHER_PLUGINS.get(name, (None, None))
            if module is not None and not _importable(module):
                raise ConfigError("hydra/launcher", name, f"needs the {package} plugin, "
                                  f"which is not installed: {SWEEP_EXTRA}")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_hydra_values(overrides: list[str], config_dirs: tuple[str, ...],
                       config_name: str) -> None:
    """Overrides of Hydra's own settings other than the run and sweep folders
    (``hydra.launcher.n_jobs=abc``) compose with Hydra's node: else one line naming the
    override."""
    from scenarios.config.guard import _compose

    plain = ("hydra.run.dir", "hydra.sweep.dir", "hydra/launcher", "hydra.mode",
             "hydra.verbose")
    own = [o for o in overrides if o.lstrip("+~").startswith("hydra")
           and not o.lstrip("+~").startswith(plain)]
    if not own:
        return
    launcher = [o for o in overrides if o.lstrip("+~").startswith("hydra/launcher")]
    for text in own:
        try:
            _compose(list(config_dirs), config_name, [*launcher, text])
        except Exception as err:  # noqa: BLE001 - Hydra's errors are many lines
            first = " ".join((str(err).strip().splitlines() or [type(err).__name__])[:1])
            key, _, value = text.lstrip("+~").partition("=")
            raise ConfigError(key, value, f"not a setting of this launcher or not of its "
                              f"type ({first[:160]})") from None


# --- sweeps ------------------------------------------------------------------------------


def group_options(key: str, config_dirs: tuple[str, ...]) -> list[str] | None:
    """The options of config group ``key`` (``study``: its YAML files), or None when ``key``
    is not a group."""
    from scenarios.config.where import conf_dir

    roots: list[Path] = [Path(conf_dir()), *(Path(d) for d in config_dirs)]
    folders = [d / key for d in roots if (d / key).is_dir()]
    if not folders:
        return None
    return sorted({p.stem for f in folders for p in f.glob("*.yaml")})


def swept_values(override: Any, config_dirs: tuple[str, ...]) -> list[Any]:
    """The values of a swept override, typed as Hydra parses them; ``glob(...)`` only for a
    config group (its options), else one line saying how to list values."""
    from hydra.core.override_parser.types import Glob

    value = override.value()
    key = override.key_or_group
    if isinstance(value, Glob):
        options = group_options(key, config_dirs)
        if options is None:
            raise ConfigError(key, override.input_line.split("=", 1)[-1], "glob(...) "
                              "chooses among the options of a config group (e.g. "
                              "study=glob(*)); for a value list them: seed=1,2,3 or "
                              "seed=range(1,4)")
        chosen = list(value.filter(options))
        if not chosen:
            raise ConfigError(key, override.input_line.split("=", 1)[-1], f"matches no "
                              f"option; the options of {key} are {options}")
        return chosen
    return list(override.sweep_iterator())


def job_count(parsed: list[Any], config_dirs: tuple[str, ...]) -> tuple[int, dict[int, list]]:
    """The number of jobs of a sweep and the values of each swept override (by position)."""
    sweeps = {i: swept_values(o, config_dirs) for i, o in enumerate(parsed)
              if o.is_sweep_override()}
    return math.prod(len(v) for v in sweeps.values()), sweeps


_MISSING = object()


def _set(node: dict[str, Any], key: str, value: Any) -> tuple[dict[str, Any], str, Any]:
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    old = node.get(parts[-1], _MISSING)
    node[parts[-1]] = value
    return node, parts[-1], old


def check_swept_values(container: dict[str, Any], key: str, values: list[Any]) -> None:
    """Every value of one swept value-key against the first job's resolved config (one
    composition per key, not one per value).

    Up to :data:`FULL_CHECKS` values each pass the full validation; beyond that each value
    passes the declared checks of its schema node (type, range, choices, the node's own
    rules such as ``batch`` a multiple of ``chunk``; an open map's entry still the full
    validation), and the first, smallest and largest values the full validation too.
    """
    from scenarios.config.schema import validate

    fast = _declared_check(container, key) if len(values) > FULL_CHECKS else None
    numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    extremes = {id(v) for v in (min(numeric), max(numeric))} if numeric else set()
    for index, value in enumerate(values):
        node, leaf, old = _set(container, key, value)
        try:
            if fast is None or id(value) in extremes or index == 0:
                validate(container)
            else:
                fast(value)
        finally:
            if old is _MISSING:
                node.pop(leaf, None)
            else:
                node[leaf] = old


def _declared_check(container: dict[str, Any], key: str) -> Any:
    """A function checking one value of ``key`` against its schema node alone, or None
    when ``key`` is not a declared leaf."""
    from scenarios.config.declare import checked

    path = _field_path(key)
    if path is None or dataclasses.is_dataclass(typing.get_type_hints(_owner(key))
                                                  [path[-1].name]):
        return None
    prefix = key.rpartition(".")[0]
    if not prefix:  # a top-level key: its own checks (none there refers to another key)
        checks = path[-1].metadata.get("checks", ())

        def top(value: Any) -> None:
            for check in checks:
                check(key, value, container)
        return top
    parent: Any = container
    for part in prefix.split("."):
        parent = parent[part]
    schema = _owner(key)
    return lambda value: checked(prefix + ".", parent, schema)


def _owner(key: str) -> type:
    """The schema dataclass holding ``key``'s last field."""
    from scenarios.config.schema import Config

    node: Any = Config
    for part in key.split(".")[:-1]:
        node = typing.get_type_hints(node)[part]
    return node


# --- the run itself ----------------------------------------------------------------------


def literal_folder(text: str) -> Path:
    """The part of a run folder setting that is known before Hydra resolves it
    (``runs/${now:...}`` -> ``runs``)."""
    head = text.split("${", 1)[0]
    return Path(head if "${" not in text else (head.rpartition("/")[0] or "."))


def check_folder(key: str, text: str, need: int = 0) -> None:
    """The run folder ``text`` (the value of ``key``) can be made and written, with ``need``
    bytes free: else one line (a file in the way, read-only, /proc, full)."""
    target = literal_folder(text).expanduser()
    here = target
    while not os.path.lexists(here) and here != here.parent:
        here = here.parent
    shown = text if len(text) < 60 else "..." + text[-57:]
    if not here.is_dir():
        raise ConfigError(key, shown, f"cannot be made: {here} is a file, not a folder; "
                          f"choose another {key}")
    try:  # a real probe: /proc, read-only mounts and permissions all say no here
        probe = tempfile.mkdtemp(prefix=".futures-probe-", dir=here)
        os.rmdir(probe)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise ConfigError(key, shown, f"cannot be made: {here} is not writable ({reason}); "
                          f"choose another {key}") from None
    if need:
        info = os.statvfs(here)
        free = info.f_bavail * info.f_frsize
        if free < need:
            raise ConfigError(key, shown, f"not enough space: {_mb(free)} free at {here}, "
                              f"the outputs need about {_mb(need)}; free space, choose "
                              f"another {key}, or run fewer members (ensemble.members) or "
                              "only statistics (output.store=summary)")


def _mb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def output_bytes(spec: Any) -> int:
    """Estimated bytes of a run's outputs uncompressed: levels and impacts of every
    future, member and step, plus the sampled parameters and events (measured: 7.35 kB per
    member and future at the defaults)."""
    world = spec.world
    steps = round((world.end - world.start) * world.steps_per_year) + 1
    itemsize = 8 if spec.precision == "float64" else 4
    per = steps * (len(world.trends) + len(world.areas)) * itemsize + 400
    if spec.store == "summary":
        return len(spec.futures) * steps * (len(world.trends) + len(world.areas)) * 8 * 16
    return len(spec.futures) * spec.members * per


#: Memory of the program before it simulates anything (Python, numpy, xarray, Hydra).
BASE_MEMORY = 150_000_000


def memory_bytes(spec: Any) -> int:
    """Estimated peak memory: a netCDF run holds its whole dataset and the file's bytes
    (about 1.3 times the outputs); every run holds one batch in float64 while it computes
    (levels and impacts of every future and step). Measured peaks (maximum RSS) were 0.8 to
    0.95 of this estimate: 226 MB at the defaults, 1.40 GB with 20,000 members, 269 MB with
    200 members and 120 steps a year."""
    world = spec.world
    steps = round((world.end - world.start) * world.steps_per_year) + 1
    batch = min(spec.batch, spec.members)
    computing = len(spec.futures) * batch * steps * (len(world.trends) + len(world.areas)) * 8
    whole = int(1.3 * output_bytes(spec)) if spec.format == "netcdf" and \
        spec.store == "members" else 0
    return BASE_MEMORY + computing + whole


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable``), or a large number when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 1 << 62


def check_fits(spec: Any) -> None:
    """Refuse a run whose estimated memory exceeds what is available, with the way out."""
    need, have = memory_bytes(spec), available_memory()
    if need <= have:
        return
    members = f"{spec.members} members x {len(spec.futures)} futures"
    if spec.format == "netcdf" and spec.store == "members" and \
            memory_bytes(dataclasses.replace(spec, format="zarr")) <= have:
        way = "output.format=zarr (streamed batch by batch) or fewer ensemble.members"
    elif spec.batch > 8 and memory_bytes(dataclasses.replace(spec, batch=8, format="zarr")) \
            <= have:
        way = "a smaller ensemble.batch with output.format=zarr, or fewer steps " \
              "(time.steps_per_year, time.end)"
    else:
        way = "fewer ensemble.members, fewer steps (time.steps_per_year, time.end) or " \
              "output.store=summary"
    raise ConfigError("ensemble.members", spec.members, f"the run would need about "
                      f"{_mb(need)} of memory ({members}), {_mb(have)} is available; use "
                      f"{way}")


def check_scheduler(spec: Any) -> None:
    """A Dask scheduler address must accept a connection within :data:`SCHEDULER_TIMEOUT`
    seconds (Dask itself waits 30 s, after the run folder is made)."""
    if spec.backend != "dask" or spec.scheduler is None:
        return
    rest = spec.scheduler.partition("://")[2]
    host, _, port = rest.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)),
                                      timeout=SCHEDULER_TIMEOUT):
            pass
    except OSError as err:
        reason = "no answer in 3 s" if isinstance(err, TimeoutError) else \
            (os.strerror(err.errno) if err.errno else str(err))
        raise ConfigError("ensemble.scheduler", spec.scheduler, f"cannot reach a Dask "
                          f"scheduler there ({reason}); start one or use null for a local "
                          "cluster") from None


def preflight(spec: Any, folder: tuple[str, str] | None, jobs: int = 1, *,
              scheduler: bool = True) -> None:
    """Everything about a ``futures run`` that can be refused before its folder is made:
    memory, the folder (makeable, space for ``jobs`` runs' outputs) and, with
    ``scheduler``, the Dask scheduler (a sweep over ``ensemble.scheduler`` leaves it to
    each job: a job that cannot reach its scheduler fails alone and is reported)."""
    check_fits(spec)
    if folder is not None:
        need = output_bytes(spec) * jobs
        if spec.compression:  # measured 0.77 (netCDF) to 0.88 (zarr) of the raw size at
            need //= 2        # level 1: refuse only what cannot fit at half the raw size
        check_folder(folder[0], folder[1], need)
    if scheduler:
        check_scheduler(spec)

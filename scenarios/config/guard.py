"""The security boundary: what user input may do to the program, checked in one place.

A user reaches the program through command-line overrides, a ``--config-dir`` folder (how a
workshop export is rerun), and files the program reads back (``outcomes.nc``'s stored
config, a sweep's ``multirun.yaml`` and ``.hydra/*.yaml``). This module holds the rules:

- **Code.** Nothing from a user may name code for Hydra, OmegaConf or logging to import and
  call. A config folder may set the study's and the model's keys; it may set nothing under
  ``hydra`` and no ``_target_``, ``_partial_``, ``_args_`` (nor ``_recursive_``,
  ``_convert_``, logging's ``()``) anywhere. :func:`check_config_dirs` checks the *composed*
  result - the config Hydra itself builds with the folder on its search path, with the
  ``hydra`` node compared to the one built without the folder - so no file path, ``# @package``
  header, defaults list or symlinked group folder gets around it. The files are also read
  first (symlinks followed, as Hydra does) with :func:`~scenarios.config.safe_yaml.read_yaml`.
- **YAML.** Every YAML read from a user or a file goes through
  :mod:`scenarios.config.safe_yaml` (bounded in size and alias expansion).
- **Environment.** Interpolations other than plain ``${key}`` references (``${oc.env:...}``,
  ``${now:...}``, any resolver) are refused in overrides and config folders: nothing from
  the environment reaches ``outcomes.nc`` (:func:`refuse_resolvers`).
- **Output paths.** Outputs never leave their run folder through a symbolic link: a run or
  sweep folder holding a link where the program writes is refused (:func:`refuse_links`).

Every refusal is a :class:`~scenarios.config.errors.ConfigError`: one line, exit status 2.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from scenarios.config.errors import ConfigError
from scenarios.config.safe_yaml import read_yaml

#: Most folders and files looked at under one ``--config-dir``.
MAX_FOLDER_ENTRIES = 5_000

#: Keys that make Hydra or logging import and call code.
CODE_KEYS = frozenset({"_target_", "_partial_", "_args_", "_recursive_", "_convert_", "()"})

#: Hydra's options that change where config is read from.
CONFIG_DIR_FLAGS = ("-cd", "--config-dir")
CONFIG_NAME_FLAGS = ("-cn", "--config-name")
UNSAFE_FLAGS = ("-cp", "--config-path")

#: Hydra settings that name code to import and call (``_target_`` of callbacks, launchers,
#: sweepers; logging handler factories) or other places to read YAML from. Users choose
#: launchers by name (``hydra/launcher=parallel``); these are not taken from the command line.
UNSAFE_KEYS = ("hydra.callbacks", "hydra/callbacks", "hydra.job_logging", "hydra/job_logging",
               "hydra.hydra_logging", "hydra/hydra_logging", "hydra.searchpath",
               "hydra.job.env_set", "hydra.job.env_copy")

_CODE_HINT = ("not accepted - it could import and call code (_target_, callbacks, logging "
              "handlers, search path); pick a launcher by name, e.g. hydra/launcher=parallel")


# --- interpolations --------------------------------------------------------------------


def resolvers_in(text: str) -> list[str] | None:
    """Names of the resolvers a string's interpolations call (``${oc.env:HOME}`` ->
    ``['oc.env']``), ``[]`` when it has only plain ``${key}`` references or none, and
    ``None`` when it has a ``${`` that is not a valid interpolation."""
    if "${" not in text:
        return []
    from omegaconf import grammar_parser
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

    try:
        tree = grammar_parser.parse(text)
    except Exception:  # noqa: BLE001 - GrammarParseError and antlr's own errors
        return None
    found: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, OmegaConfGrammarParser.InterpolationResolverContext):
            found.append(node.resolverName().getText())
        stack.extend(node.getChildren() if hasattr(node, "getChildren") else [])
    return found


def refuse_resolvers(key: str, text: str, allowed: tuple[str, ...] = ()) -> None:
    """Refuse ``text`` (the value at ``key``) if it calls a resolver.

    Raises
    ------
    ConfigError
        For ``${oc.env:...}``, ``${now:...}``, ``${hydra:...}`` and any other resolver, and
        for a ``${`` that is not a valid interpolation.
    """
    found = resolvers_in(text)
    if found:
        found = [name for name in found if name not in allowed]
    if found is None:
        raise ConfigError(key, text, "not a valid interpolation; only plain references "
                          "like ${seed} are accepted (write \\${ for a literal ${)")
    if found:
        raise ConfigError(key, text, f"the resolver {found[0]!r} is not accepted from user "
                          "input (it could read the environment); only plain references "
                          "like ${seed}")


def _strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted key, text) of a nested structure, keys included."""
    if isinstance(node, dict):
        for k, v in node.items():
            where = f"{path}.{k}" if path else str(k)
            yield where, str(k)
            yield from _strings(v, where)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


# --- overrides -------------------------------------------------------------------------


def check_overrides(overrides: Iterable[str]) -> None:
    """Refuse overrides that name code, Hydra's code-bearing settings or a resolver.

    Raises
    ------
    ConfigError
        Naming the override.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for text in overrides:
        key, _, value = text.partition("=")
        key = key.lstrip("+~")
        if "_target_" in key or "_target_" in value or key.startswith(UNSAFE_KEYS) or \
                any(key == c or key.endswith(f".{c}") for c in CODE_KEYS):
            raise ConfigError("override", text, _CODE_HINT)
        dated = key in ("hydra.run.dir", "hydra.sweep.dir")  # runs/${now:%Y-%m-%d} is fine
        try:
            (parsed,) = parser.parse_overrides([text])
        except Exception:  # noqa: BLE001 - compose_config words a parse error
            if "${" in value:
                refuse_resolvers(key, value)
            continue
        for where, string in _override_strings(parsed):
            refuse_resolvers(key + where, string, allowed=("now",) if dated else ())


def _override_strings(override: Any) -> Iterator[tuple[str, str]]:
    value = override.value()
    if override.is_sweep_override():  # the raw values: the sweep's strings are escaped
        yield from _strings(list(getattr(value, "list", None) or []))
        yield from _strings(list(getattr(value, "include", None) or []))
        return
    yield from _strings(value)


# --- config folders --------------------------------------------------------------------


def _walk(root: Path) -> Iterator[Path]:
    """Every YAML file under ``root``, following symbolic links as Hydra does (each real
    folder once), at most :data:`MAX_FOLDER_ENTRIES` entries."""
    seen: set[tuple[int, int]] = set()
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=True):
        info = os.stat(folder)
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        count += 1 + len(files)
        if count > MAX_FOLDER_ENTRIES:
            raise ConfigError("--config-dir", str(root), f"more than {MAX_FOLDER_ENTRIES} "
                              "files and folders; give the folder holding only the config")
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield Path(folder) / name


def scan_folder(folder: str) -> None:
    """Read every YAML file of a ``--config-dir`` within bounds and refuse code keys,
    a top-level ``hydra`` section, ``hydra/`` defaults and resolver interpolations.

    Raises
    ------
    ConfigError
        Naming the file and what in it is refused.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError("--config-dir", folder, "not a folder")
    for path in _walk(root):
        node = read_yaml(path, "--config-dir file")
        for where, text in _strings(node):
            leaf = where.rpartition(".")[2]
            if leaf in CODE_KEYS or where == "hydra" or text in CODE_KEYS or \
                    (where.startswith("defaults[") and "hydra" in text):
                raise ConfigError("--config-dir file", str(path), f"{text!r} at {where!r} "
                                  "is not accepted - it could import and call code; a config "
                                  "folder may set the study's and the model's keys only")
            refuse_resolvers(f"{where} (in {path})", text)


def _compose(folders: list[str], config_name: str, overrides: list[str]) -> Any:
    """Compose as ``hydra.main`` does: Hydra's own configs, ``conf/``, the user folders
    (after ``conf/``, before the schema, as ``--config-dir`` puts them), with the hydra
    node."""
    from scenarios.config.compose import compose_in

    return compose_in([os.path.abspath(folder) for folder in folders], config_name, overrides,
                      return_hydra_config=True)


#: Parts of the hydra node that say how it was composed, not what Hydra will do.
_VOLATILE = (("job", "config_name"), ("job", "override_dirname"), ("overrides", "task"),
             ("runtime", "config_sources"), ("runtime", "choices"))


def _hydra_node(cfg: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    container = OmegaConf.to_container(cfg.hydra, resolve=False)
    assert isinstance(container, dict)
    node: dict[str, Any] = {str(k): v for k, v in container.items()}
    choices = node.get("runtime", {}).get("choices", {}) or {}
    for outer, inner in _VOLATILE:
        node.get(outer, {}).pop(inner, None)
    node["hydra_choices"] = {k: v for k, v in choices.items() if str(k).startswith("hydra/")}
    return node


def _first_difference(a: object, b: object, path: str = "hydra") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            found = _first_difference(a.get(k), b.get(k), f"{path}.{k}")
            if found:
                return found
        return None
    return None if a == b else path


def check_config_dirs(config_dirs: list[str], config_name: str | None,
                      overrides: list[str]) -> None:
    """Refuse ``--config-dir`` folders that reach Hydra's settings, name code or read the
    environment, however they get there.

    Each folder's files are read first (:func:`scan_folder`); then the config is composed
    exactly as the command will compose it, with the folders, and its ``hydra`` node is
    compared with the one composed without them, and its job part is searched for code keys
    and resolver interpolations.

    Parameters
    ----------
    config_dirs : list of str
        The ``--config-dir`` folders.
    config_name : str, optional
        The ``--config-name`` (default ``config``).
    overrides : list of str
        The job's overrides (a sweep's first value of each swept key); Hydra's own
        overrides are left out (:func:`check_overrides` checks them).

    Raises
    ------
    ConfigError
        One line naming the folder and the key.
    """
    if not config_dirs:
        return
    for folder in config_dirs:
        scan_folder(folder)
    from omegaconf import OmegaConf

    from scenarios.config.compose import CONFIG_NAME

    name = config_name or CONFIG_NAME
    job = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    where = " ".join(config_dirs)
    try:
        mine = _compose(config_dirs, name, job)
    except Exception as err:  # noqa: BLE001 - Hydra's errors are many lines
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError("--config-dir", where, f"the config does not compose "
                          f"(--config-name {name}): {first}") from None
    plain = _compose([], CONFIG_NAME, [])
    changed = _first_difference(_hydra_node(mine), _hydra_node(plain))
    if changed:
        raise ConfigError("--config-dir", where, f"sets {changed!r}, which is not accepted "
                          "- Hydra's settings could import and call code or write files; a "
                          "config folder may set the study's and the model's keys only")
    body = OmegaConf.to_container(mine, resolve=False)
    assert isinstance(body, dict)
    body.pop("hydra", None)
    for key, text in _strings(body):
        if key.rpartition(".")[2] in CODE_KEYS:
            raise ConfigError("--config-dir", where, f"sets {key!r}, which is not accepted - "
                              "it could import and call code")
        refuse_resolvers(key, text)


# --- output paths ----------------------------------------------------------------------


def refuse_links(folder: Path, names: Iterable[str] | None = None, *, depth: int = 3,
                 key: str = "output") -> None:
    """Refuse to write into ``folder`` if a symbolic link inside it would take an output
    elsewhere.

    ``folder`` itself may be reached through links (the user chose it). Inside it, the
    entries ``names`` (or, when ``None``, every entry down to ``depth`` levels) must not be
    symbolic links.

    Raises
    ------
    ConfigError
        Naming the link and where it points.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    todo = [folder / n for n in names] if names is not None else None
    if todo is None:
        todo = []
        stack = [(folder, 0)]
        seen = 0
        while stack and seen < MAX_FOLDER_ENTRIES:
            here, level = stack.pop()
            try:
                entries = list(os.scandir(here))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if entry.is_symlink():
                    todo.append(Path(entry.path))
                elif level + 1 < depth and entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), level + 1))
    for path in todo:
        if path.is_symlink():
            raise ConfigError(key, str(path), f"is a symbolic link (to "
                              f"{os.readlink(path)!r}); outputs stay inside the run folder - "
                              "remove the link or choose another folder")


def _flag_values(argv: list[str], names: tuple[str, ...]) -> list[str]:
    values = []
    for i, arg in enumerate(argv):
        flag, eq, attached = arg.partition("=")
        if eq and flag in names and arg.startswith("--"):
            values.append(attached)
        elif arg in names and i + 1 < len(argv):
            values.append(argv[i + 1])
    return values


def _dirs_written(overrides: list[str]) -> list[Path]:
    """The run and sweep folders named on the command line (literal paths only)."""
    out = []
    for text in overrides:
        key, _, value = text.partition("=")
        if key.lstrip("+") in ("hydra.run.dir", "hydra.sweep.dir") and "${" not in value:
            out.append(Path(value))
    return out


def check_command(argv: list[str], flags: list[str], overrides: list[str],
                  first_job: list[str] | None = None) -> None:
    """Everything this module checks about a command that hands over to Hydra.

    Parameters
    ----------
    argv : list of str
        The command's arguments (flags with their values, overrides).
    flags : list of str
        The options among them (``-m``, ``--config-dir``, ...).
    overrides : list of str
        The overrides among them.
    first_job : list of str, optional
        The overrides of the first job (a sweep's first values); default ``overrides``.

    Raises
    ------
    ConfigError
        One line naming what is refused.
    """
    for flag in flags:
        if flag.partition("=")[0] in UNSAFE_FLAGS:
            raise ConfigError("option", flag, "not accepted: use --config-dir DIR (checked) "
                              "or KEY=VALUE overrides")
    check_overrides(overrides)
    for folder in _dirs_written(overrides):
        refuse_links(folder)
    names = _flag_values(argv, CONFIG_NAME_FLAGS)
    check_config_dirs(_flag_values(argv, CONFIG_DIR_FLAGS), names[-1] if names else None,
                      overrides if first_job is None else first_job)

"""Find ``conf/``, register the schema, compose configs, and explain composition errors.

Hydra and OmegaConf errors are several lines long and end in a hint about stack traces; the
command line wants one line naming the key, the bad value and what is allowed. This module
re-tries the overrides one at a time to find the culprit and words the error as
:class:`scenarios.config.errors.ConfigError` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from scenarios.config import fastyaml
from scenarios.config.errors import ConfigError
from scenarios.config.schema import Config, RunSpec, validate
from scenarios.config.where import CONFIG_NAME, conf_dir

__all__ = ["CONFIG_NAME", "check", "compose_config", "conf_dir", "load", "normalize"]


def register_schema() -> None:
    """Store :class:`scenarios.config.schema.Config` as ``futures_schema`` (idempotent).

    Storing builds the structured config of the whole schema (~50 ms): done once a process,
    unless the store lost it."""
    store = ConfigStore.instance()
    if "futures_schema.yaml" not in store.repo:
        store.store(name="futures_schema", node=Config)


def compose_config(overrides: list[str], config_dirs: tuple[str, ...] = (),
                   config_name: str = CONFIG_NAME) -> DictConfig:
    """Compose ``conf/config.yaml`` with command-line overrides, as ``futures run`` does;
    ``config_dirs`` (``--config-dir``) are searched first, as Hydra does (e.g. a study),
    and ``config_name`` (``--config-name``) is the primary config.

    Raises
    ------
    ConfigError
        If an override is malformed, names an unknown key or has a value of the wrong type.
    """
    parsed = _parse(overrides)
    where = (tuple(config_dirs), config_name)
    _refuse_empty_merges(parsed, where)
    job = [str(o.input_line) for o in parsed if not o.get_key_element().startswith("hydra")]
    try:
        return _compose(job, *where)
    except Exception:  # noqa: BLE001, S110 - any failure: find and word the culprit below
        pass
    try:
        base = _compose([], *where)
    except Exception as err:  # noqa: BLE001 - the folder or --config-name itself fails
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError("--config-name", config_name, f"the config does not compose: "
                          f"{first}") from None
    for override in parsed:
        key = override.get_key_element()
        if key.startswith("hydra"):
            continue
        try:
            _compose([str(override.input_line)], *where)
        except Exception as err:
            raise _explain(base, override, err) from err
    # Every override composes alone; together they clash. Report the first pair's error.
    raise ConfigError("overrides", " ".join(job), "these overrides compose one by one but "
                      "not together")


def _parse(overrides: list[str]) -> list:
    """Each override parsed by Hydra's grammar; a one-line ConfigError for the first that is
    not."""
    register_schema()
    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
            if not override.key_or_group:
                raise ValueError("empty key")
        except Exception as err:  # hydra raises OverrideParseException with a long message
            raise ConfigError("override", text, "cannot parse it; use KEY=VALUE, e.g. "
                              "ensemble.members=200 or futures=[versnelling]") from err
        parsed.append(override)
    return parsed


def precheck(overrides: list[str]) -> list:
    """Parse every override (one-line :class:`ConfigError` for the first that does not
    parse) and refuse empty merges, as :func:`compose_config` does first; the parsed
    overrides. Composes nothing unless an override is ``KEY={}`` (``futures run``'s one
    composition is Hydra's own, :func:`scenarios.engine.app.run_once`)."""
    parsed = _parse(overrides)
    _refuse_empty_merges(parsed)
    return parsed


def _refuse_empty_merges(parsed: list,
                         where: tuple[tuple[str, ...], str] = ((), CONFIG_NAME)) -> None:
    """``KEY={}`` on a map that has entries merges nothing and would change nothing: refuse it
    and name the override that removes the entries (``~KEY``)."""
    empty = [o for o in parsed if not (o.is_add() or o.is_delete() or o.is_force_add())
             and o.package is None and o.value() == {}]
    if not empty:
        return
    base = _compose([], *where)
    for override in empty:
        key = override.key_or_group
        node = OmegaConf.select(base, key, default=None)
        if isinstance(node, DictConfig) and len(node) > 0:
            raise ConfigError(key, "{}", "an empty map merges into the existing entries and "
                              f"changes nothing; to remove them use '~{key}'")


#: Config nodes that are open maps from labels to values: a plain ``KEY=VALUE`` under them
#: sets an entry whether or not the YAML lists it (rewritten to Hydra's ``++KEY=VALUE``), and
#: the labels are checked by :func:`scenarios.config.schema.validate`.
OPEN_MAPS = ("cross_impact.", "impacts.trends.", "impacts.drivers.", "initial.", "levers.",
             "lever_response.", "drivers.status_quo.", "future.", "uncertainties.", "events.hazards.",
             "events.eu_rules.", "events.elections.policy.", "robustness.settings.",
             "robustness.grid.", "discover.setting.")


def normalize(overrides: list[str]) -> list[str]:
    """Rewrite overrides so that entries of open maps can be set like any other key.

    ``cross_impact.ROW.COL=X`` becomes ``++cross_impact.ROW.COL=X`` (add or replace), and a
    whole row given as a list, ``cross_impact.ROW=[...]``, replaces the row's mapping
    (``~cross_impact.ROW`` then ``+cross_impact.ROW=[...]``). Other overrides pass unchanged.
    Overrides that cannot be parsed pass unchanged too; :func:`compose_config` reports them.
    """
    parser = OverridesParser.create()
    out: list[str] = []
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except Exception:  # noqa: BLE001 - compose_config words the parse error
            out.append(text)
            continue
        key = override.key_or_group
        plain = not (override.is_add() or override.is_delete() or override.is_force_add()) \
            and override.package is None
        if not plain or not key.startswith(OPEN_MAPS):
            out.append(text)
            continue
        value = text.split("=", 1)[1]
        if key.startswith("cross_impact.") and key.count(".") == 1 and \
                value.lstrip().startswith("["):
            out.extend([f"~{key}", f"+{key}={value}"] if _has(key) else [f"+{key}={value}"])
        else:
            out.append(f"++{text}")
    return out


def _has(key: str) -> bool:
    return OmegaConf.select(_compose([]), key, default=None) is not None


def _compose(overrides: list[str], config_dirs: tuple[str, ...] = (),
             config_name: str = CONFIG_NAME) -> DictConfig:
    """The job's config (no ``hydra`` node); ``--config-dir`` folders are searched after
    ``conf/`` and before the schema, where Hydra's command line puts them."""
    register_schema()
    GlobalHydra.instance().clear()
    if not config_dirs:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3",
                                   job_name="futures"), fastyaml.loading():
            return compose(config_name=config_name, overrides=overrides)
    return compose_in([str(Path(folder).resolve()) for folder in config_dirs], config_name,
                      overrides)


def compose_in(folders: list[str], config_name: str, overrides: list[str],
               return_hydra_config: bool = False) -> Any:
    """Compose as ``hydra.main`` does with ``--config-dir FOLDER`` for each of ``folders``
    (absolute paths): Hydra's own configs, ``conf/``, the folders (after ``conf/``, before
    the schema), then the schema; with the hydra node if ``return_hydra_config``."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    register_schema()
    GlobalHydra.instance().clear()
    search_path = create_config_search_path(f"file://{conf_dir()}")
    for folder in folders:
        search_path.prepend(provider="command-line", path=f"file://{folder}",
                            anchor=SearchPathQuery(provider="schema"))
    try:
        Hydra.create_main_hydra2(task_name="futures", config_search_path=search_path)
        with fastyaml.loading():
            return compose(config_name=config_name, overrides=overrides,
                           return_hydra_config=return_hydra_config)
    finally:
        GlobalHydra.instance().clear()


def _explain(base: DictConfig, override: Any, err: Exception) -> ConfigError:
    key = override.key_or_group
    value = override.value() if not override.is_delete() else "(delete)"
    if override.is_sweep_override():
        return ConfigError(key, override.input_line.split("=", 1)[-1],
                           "a sweep (a,b,c) needs `futures run -m`")
    if key == "study":
        built_in = sorted(p.stem for p in (conf_dir() / "study").glob("*.yaml"))
        return ConfigError(key, value, f"study not found; expected one of {built_in} or a "
                           "study of your own, DIR/study/NAME.yaml, with --config-dir DIR "
                           "(`futures study init DIR NAME` writes one)")
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(base, parent) if parent else base
    if not override.is_add() and not override.is_delete() and \
            (not isinstance(node, DictConfig) or leaf not in node):
        where = parent or "the top level"
        allowed = sorted(str(k) for k in node) if isinstance(node, DictConfig) else []
        return ConfigError(key, value, f"unknown config key; keys at {where} are {allowed}")
    cause = err.__cause__ or err
    first = " ".join(str(cause).strip().splitlines()[:1]) or type(cause).__name__
    kind = OmegaConf.get_type(node, leaf) if isinstance(node, DictConfig) and leaf in node \
        else None
    words: dict[Any, str] = {int: "expected an integer", float: "expected a number",
                             bool: "expected true or false", str: "expected text",
                             list: "expected a list like [a,b]"}
    expected = words.get(kind, "")
    return ConfigError(key, value, expected or first)


def sweep_variants(overrides: list[str]) -> list[list[str]]:
    """Override lists that together try every value of every swept key once.

    For ``a=1,2 b=x,y,z`` that is ``[a=1 b=x], [a=2 b=x], [a=1 b=y], [a=1 b=z]``: each
    value is checked with the other keys at their first value, so a bad value anywhere in a
    sweep is found before any job starts (without composing the whole product).
    """
    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except Exception:  # noqa: BLE001 - compose_config words the error
            return [overrides]
        parsed.append(override)
    sweeps = {i: list(o.sweep_string_iterator()) for i, o in enumerate(parsed)
              if o.is_sweep_override()}

    def with_values(chosen: dict[int, str]) -> list[str]:
        out = []
        for i, (text, o) in enumerate(zip(overrides, parsed)):
            if i in sweeps:
                prefix = text.split("=", 1)[0]
                out.append(f"{prefix}={chosen.get(i, sweeps[i][0])}")
            else:
                out.append(text)
        return out

    variants = [with_values({})]
    for i, values in sweeps.items():
        variants += [with_values({i: v}) for v in values[1:]]
    return variants


def load(overrides: list[str], config_dirs: tuple[str, ...] = (),
         config_name: str = CONFIG_NAME) -> tuple[DictConfig, RunSpec]:
    """Compose and validate: the config and its :class:`RunSpec`, or a ConfigError."""
    cfg = compose_config(overrides, config_dirs, config_name)
    return cfg, check(cfg)


def check(cfg: DictConfig) -> RunSpec:
    """Validate a composed config (also inside the Hydra job)."""
    return validate(resolved(cfg))


def config_text(cfg: DictConfig) -> str:
    """The resolved config as stored with every output (without the ``resume`` switch).

    The text of ``OmegaConf.to_yaml(OmegaConf.create(container))``, dumped straight from
    the plain container with OmegaConf's YAML dumper and options (building a second
    config object from it cost as much as composing one; tests/test_speed.py compares).
    """
    container = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(container, dict)
    container.pop("resume", None)
    return yaml_text(container)


def yaml_text(container: dict[Any, Any]) -> str:
    """A plain container as ``OmegaConf.to_yaml`` writes it (OmegaConf's YAML dumper and
    options), without building a config object."""
    import omegaconf.omegaconf
    import yaml

    return yaml.dump(container, default_flow_style=False, allow_unicode=True, sort_keys=False,
                     Dumper=omegaconf.omegaconf.get_omega_conf_dumper())


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """A composed config as plain containers, interpolations resolved (keys are text).

    Raises
    ------
    ConfigError
        For an interpolation that names no key (``seed=${nope}``) or refers to itself.
    """
    from omegaconf.errors import OmegaConfBaseException

    try:
        container = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as err:
        key = str(getattr(err, "full_key", "") or "config")
        raw = OmegaConf.select(cfg, key, throw_on_resolution_failure=False) \
            if key != "config" else None
        try:
            shown = OmegaConf.to_container(cfg, resolve=False)
            for part in key.split("."):
                shown = shown[int(part) if isinstance(shown, list) else part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError, ValueError):
            shown = raw
        text = " ".join(str(err).strip().splitlines()[:1])
        why = "refers to itself" if "Recursive" in text else text
        raise ConfigError(key, shown, f"the interpolation does not resolve ({why}); only "
                          "plain references to keys that exist, like ${seed}") from None
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}

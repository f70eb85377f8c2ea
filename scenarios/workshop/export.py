"""Export a workshop scenario as a ``futures run`` override line and as a YAML config.

Both reproduce the page's *current* scenario: the session's start-up overrides, the chosen
future only, events off (as on the page), the page's kernel (``ensemble.kernel``) and every
slider that differs from the future's default. Run with the session's ``workshop.members``
as ``ensemble.members`` they give the page's numbers member for member; without it, the full ensemble (``ensemble.members``,
default 1000) of the same scenario. The YAML is a primary config that extends the project's
``config``::

    futures run --config-dir DIR --config-name NAME      # DIR/NAME.yaml holds the export
"""

from __future__ import annotations

import copy
import functools
import shlex
from collections.abc import Mapping
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from scenarios import __version__
from scenarios.config.compose import yaml_text
from scenarios.config.schema import RunSpec

#: Start-up overrides the export leaves out: the page sets these itself, or they only
#: concern the server or Hydra's output folders.
DROPPED = ("futures", "events.enabled", "seed", "workshop", "hydra", "ensemble.kernel")


def _text(value: float) -> str:
    # 12 significant digits: exact for every slider step, far below float32 storage precision
    return format(float(value), ".12g")


def _hydra(value: float | dict[str, float]) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_text(v)}" for k, v in value.items()) + "}"
    return _text(value)


def setting_overrides(spec: RunSpec, label: str, values: Mapping[str, float],
                      defaults: Mapping[str, float]) -> dict[str, float | dict[str, float]]:
    """The config keys (and their values) that set ``values`` in ``futures run``.

    Only settings that differ from ``defaults`` are named. Cross-impact strength and lever
    efficacy are factors on the sampled draws: their uncertainty range ``[low, high]`` is
    scaled, which scales every draw of a uniform range by the same factor.
    """
    out: dict[str, float | dict[str, float]] = {}
    future = f"future.{label}"
    keys = {"ownership": f"{future}.ownership", "purpose": f"{future}.purpose",
            "eu_regulation": f"{future}.drivers.eu_regulation",
            "transition_years": "drivers.transition_years",
            **{lv: f"{future}.levers.{lv}" for lv in spec.world.levers}}
    ranges = {u.name: u for u in spec.uncertainties}
    for name, value in values.items():
        if value == defaults[name]:
            continue
        if name in keys:
            out[keys[name]] = float(_text(value))
        else:  # a factor on sampled draws (the page offers it only when it is sampled)
            u = ranges[name]
            out[f"uncertainties.{name}"] = {"low": float(_text(u.low * value)),
                                            "high": float(_text(u.high * value))}
    return out


def _startup(overrides: list[str]) -> list[Any]:
    """Parsed start-up overrides, without those in :data:`DROPPED`."""
    return list(_parsed(tuple(overrides)))


@functools.lru_cache(maxsize=16)
def _parsed(overrides: tuple[str, ...]) -> tuple[Any, ...]:
    # a session's start-up overrides never change: parse them once (a parser costs ~2 ms)
    parser = OverridesParser.create()
    kept = []
    for override in parser.parse_overrides(list(overrides)):
        key = override.key_or_group
        if any(key == d or key.startswith((f"{d}.", f"{d}/")) for d in DROPPED):
            continue
        kept.append(override)
    return tuple(kept)


def override_line(spec: RunSpec, startup: list[str], label: str,
                  values: Mapping[str, float], defaults: Mapping[str, float],
                  kernel: str = "numpy") -> str:
    """A ``futures run ...`` command line (shell-quoted) for the current scenario, run
    with the page's ``kernel`` (``ensemble.kernel``)."""
    settings = setting_overrides(spec, label, values, defaults)
    words = [o.input_line for o in _startup(startup) if o.key_or_group not in settings]
    words += [f"seed={spec.seed}", f"futures=[{label}]", "events.enabled=false",
              f"ensemble.kernel={kernel}"]
    words += [f"{key}={_hydra(value)}" for key, value in settings.items()]
    return " ".join(["futures", "run", *(shlex.quote(w) for w in words)])


def config_yaml(spec: RunSpec, startup: list[str], label: str, values: Mapping[str, float],
                defaults: Mapping[str, float], kernel: str = "numpy") -> str:
    """The current scenario as a YAML config that ``futures run --config-name`` accepts.

    Start-up overrides that a YAML merge cannot express (deleting a key, ``~KEY``) are listed
    in a comment to pass on the command line. The part of the config that the sliders do not
    set is built once per session and future (:func:`_base`); a request only adds its
    settings to a copy (about 0.3 ms instead of 2 ms; the same text, tested).
    """
    base, by_line = _base(tuple(startup), spec.seed, label, kernel)
    node = copy.deepcopy(base)
    for key, value in setting_overrides(spec, label, values, defaults).items():
        _merge(node, key.split("."), value)
    head = [f"# futures workshop export (futures {__version__}, seed {spec.seed}): "
            + f"the scenario '{label}' as on the page.",
            "# Save as DIR/NAME.yaml and run:  futures run --config-dir DIR --config-name NAME",
            "# (add ensemble.members=M for the ensemble size; the page used workshop.members)"]
    if by_line:
        head.append("# also pass on the command line: " + " ".join(by_line))
    return "\n".join(head) + "\n" + yaml_text(node)


@functools.lru_cache(maxsize=64)
def _base(startup: tuple[str, ...], seed: int, label: str, kernel: str
          ) -> tuple[dict[str, Any], list[str]]:
    """The export's config before the sliders (a plain container) and its ``~KEY`` lines."""
    node = OmegaConf.create({"defaults": ["config", "_self_"]})
    by_line = []
    for override in _startup(list(startup)):
        if override.is_delete():
            by_line.append(override.input_line)
            continue
        OmegaConf.update(node, override.key_or_group, override.value(), merge=True,
                         force_add=True)
    OmegaConf.update(node, "seed", seed, force_add=True)
    OmegaConf.update(node, "futures", [label], force_add=True)
    OmegaConf.update(node, "events.enabled", False, force_add=True)
    OmegaConf.update(node, "ensemble.kernel", kernel, force_add=True)
    container = OmegaConf.to_container(node, enum_to_str=True)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}, by_line


def _merge(node: dict[str, Any], path: list[str], value: float | dict[str, float]) -> None:
    """``OmegaConf.update(node, KEY, value, merge=True, force_add=True)`` on a plain dict."""
    for part in path[:-1]:
        inner = node.get(part)
        if not isinstance(inner, dict):
            inner = node[part] = {}
        node = inner
    have = node.get(path[-1])
    if isinstance(value, dict) and isinstance(have, dict):
        have.update(value)
    else:
        node[path[-1]] = dict(value) if isinstance(value, dict) else value

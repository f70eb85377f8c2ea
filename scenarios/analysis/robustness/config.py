"""The ``robustness`` config node: lever settings to compare, and how to judge them.

A *setting* is a complete vector of the six policy levers (the study's levers, ``study.levers``),
given as a partial dict over the reference in ``conf/levers.yaml``. Settings are named in
``robustness.settings``, optionally narrowed by ``robustness.include``, and extended by a
full-factorial ``robustness.grid``. Levers are the decision; the world uncertainties
(``conf/uncertainties.yaml``) stay as they are. Every problem raises
:class:`scenarios.config.errors.ConfigError` naming the key, the bad value and what is allowed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.ensemble import World
from scenarios.config.checks import expect, label, mapping, number

#: Summaries of the members' outcomes a setting can be judged by.
STATISTICS = ("median", "mean", "quantile")
#: How the futures' own lever plans meet the setting (docs/robustness.md).
ELECTION_PLANS = ("replace", "keep")
#: Largest number of settings (named plus grid) one run compares.
MAX_SETTINGS = 4096


@dataclass(frozen=True)
class Setting:
    """One lever setting.

    Attributes
    ----------
    name : str
        Its label: the key in ``robustness.settings`` or ``lever=value,...`` for grid points.
    changes : dict of str to float
        The levers this setting names, with their values in [0, 1].
    values : ndarray, shape (n_levers,)
        Every lever's setting, in the study's order (the reference where not named).
    """

    name: str
    changes: dict[str, float]
    values: np.ndarray


@dataclass(frozen=True)
class RobustnessSpec:
    """A validated ``robustness`` node.

    Attributes
    ----------
    settings : tuple of Setting
        At least two, names unique.
    statistic : str
        One of :data:`STATISTICS`.
    quantile : float
        In (0, 1); used when ``statistic == "quantile"``.
    year : float
        The decimal year the outcome is judged at (a time point of the run).
    time_index : int
        Index of ``year`` in :meth:`models.ensemble.World.times`.
    tolerance : float
        Regret at or below this counts as none (impact-index units), >= 0.
    election_plans : str
        One of :data:`ELECTION_PLANS`.
    threshold : float
        Satisficing: a world counts as satisfying an area when its impact is at least this
        (0: the area does not worsen since 2021).
    budget : float or None
        EUR m/yr; settings costing more are flagged ``within_budget = 0`` (None: the 2021
        total, set by the analysis from the study's costs).
    """

    settings: tuple[Setting, ...]
    statistic: str
    quantile: float
    year: float
    time_index: int
    tolerance: float
    election_plans: str
    threshold: float = 0.0
    budget: float | None = None


def judged_year(key: str, value: object, world: World) -> tuple[float, int]:
    """Resolve a ``year`` setting (``None`` = the run's end) to a time point and its index.

    Raises
    ------
    ConfigError
        If the year is not a number in [start, end] on the run's time grid.
    """
    times = world.times()
    if value is None:
        return float(times[-1]), len(times) - 1
    year = number(key, value, float(times[0]), float(times[-1]))
    index = int(np.argmin(np.abs(times - year)))
    expect(abs(times[index] - year) < 1e-6, key, value,
           f"expected a time point of the run, e.g. {times[-1]:g} or "
           f"{times[max(-len(times), -1 - world.steps_per_year)]:g} "
           f"({world.steps_per_year} per year from {times[0]:g})")
    return float(times[index]), index


def statistic_of(prefix: str, node: Mapping[str, Any]) -> tuple[str, float]:
    """Check ``statistic`` and ``quantile`` of a node."""
    stat = label(f"{prefix}.statistic", node.get("statistic", "median"), STATISTICS,
                 "statistic")
    q = number(f"{prefix}.quantile", node.get("quantile", 0.1), 0.0, 1.0, open_low=True,
               open_high=True)
    return stat, q


def _setting(name: str, node: object, world: World) -> Setting:
    key = f"robustness.settings.{name}"
    changes = {}
    for lever, value in mapping(key, node).items():
        label(f"{key}.{lever}", lever, world.levers, "lever")
        changes[str(lever)] = number(f"{key}.{lever}", value, 0.0, 1.0)
    return Setting(name, changes, _values(changes, world))


def _values(changes: Mapping[str, float], world: World) -> np.ndarray:
    values = np.array(world.lever_reference, dtype=float)
    for lever, value in changes.items():
        values[world.levers.index(lever)] = value
    return values


def _grid(node: object, world: World) -> list[Setting]:
    axes: list[tuple[str, list[float]]] = []
    for lever, values in mapping("robustness.grid", node or {}).items():
        key = f"robustness.grid.{lever}"
        label(key, lever, world.levers, "lever")
        expect(isinstance(values, (list, tuple)) and len(values) > 0, key, values,
               "expected a non-empty list of settings in [0, 1], e.g. [0,0.5,1]")
        checked = [number(key, v, 0.0, 1.0) for v in values]
        expect(len(set(checked)) == len(checked), key, values, "each value at most once")
        axes.append((str(lever), checked))
    if not axes:
        return []
    size = int(np.prod([len(v) for _, v in axes]))
    expect(size <= MAX_SETTINGS, "robustness.grid", f"{size} points",
           f"at most {MAX_SETTINGS} settings; use fewer levers or values")
    out = []
    for combo in itertools.product(*(values for _, values in axes)):
        changes = {lever: v for (lever, _), v in zip(axes, combo)}
        name = ",".join(f"{lever}={v:g}" for lever, v in changes.items())
        out.append(Setting(name, changes, _values(changes, world)))
    return out


def robustness_spec(node: Mapping[str, Any], world: World) -> RobustnessSpec:
    """Check the ``robustness`` node and build its settings.

    Parameters
    ----------
    node : mapping
        ``robustness`` as plain containers.
    world : World
        Gives the reference lever settings and the run's time points.

    Returns
    -------
    RobustnessSpec

    Raises
    ------
    ConfigError
        On the first problem: an unknown lever, a value outside [0, 1], an unknown setting
        in ``include``, fewer than two settings, a bad statistic, year or tolerance.
    """
    node = mapping("robustness", node)
    named = mapping("robustness.settings", node.get("settings") or {})
    settings = {str(n): _setting(str(n), v, world) for n, v in named.items() if v is not None}
    include = node.get("include")
    if include is not None:
        expect(isinstance(include, (list, tuple)), "robustness.include", include,
               f"expected null (all) or a list of setting names from {sorted(settings)}")
        for name in include:
            label("robustness.include", name, tuple(settings), "setting")
        expect(len(set(include)) == len(include), "robustness.include", include,
               "each setting at most once")
        settings = {str(n): settings[str(n)] for n in include}
    chosen = list(settings.values()) + _grid(node.get("grid"), world)
    names = [s.name for s in chosen]
    expect(len(chosen) >= 2, "robustness.settings", names,
           "at least two settings to compare; name them in robustness.settings "
           "(e.g. robustness.settings.high={ai_investment:1}) or robustness.grid")
    expect(len(chosen) <= MAX_SETTINGS, "robustness.settings", f"{len(chosen)} settings",
           f"at most {MAX_SETTINGS}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    expect(not dupes, "robustness.grid", dupes[0] if dupes else "",
           "a grid point has the name of a named setting; rename the setting")
    stat, q = statistic_of("robustness", node)
    year, index = judged_year("robustness.year", node.get("year"), world)
    tolerance = number("robustness.tolerance", node.get("tolerance", 0.0), 0.0, 10.0)
    plans = label("robustness.election_plans", node.get("election_plans", "replace"),
                  ELECTION_PLANS, "election_plans")
    threshold = number("robustness.threshold", node.get("threshold", 0.0), -10.0, 10.0)
    budget = node.get("budget")
    if budget is not None:
        budget = number("robustness.budget", budget, 0.0, 1e6)
    return RobustnessSpec(settings=tuple(chosen), statistic=stat, quantile=q, year=year,
                          time_index=index, tolerance=tolerance, election_plans=plans,
                          threshold=threshold, budget=budget)

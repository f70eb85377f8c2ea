"""``futures signposts``: early trend levels that warn of a bad 2030 outcome, per future.

For every future and impact area, a member ends *bad* when its 2030 impact index lies in the
worst ``signposts.worst`` fraction of that future's ensemble. The candidate signposts are the
trend levels in the early years (``signposts.years``, default 2024-2026): what a monitoring
programme could observe while there is still time to act. A shallow classification tree
(Gini impurity, depth ``signposts.depth``, leaves of at least ``signposts.min_leaf`` of the
members; hand-written below, a few array operations per split) is grown on half the members
(even indices); its leaf with the highest share of bad members is the signpost rule. Its
quality is then measured on the other half (odd members), which the tree never saw:

* support - share of members inside the rule;
* density - share of the members inside the rule that end bad (precision);
* coverage - share of all bad members that the rule catches (recall);
* lift - density divided by the base rate: the share of bad members among those scored
  (about ``worst``; the even and odd halves are not split by outcome).

The table (``signposts.csv``, ``signposts.md``, :mod:`scenarios.analysis.signposts.report`)
has one row per future and area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from scenarios.config.checks import expect, integer, number
from scenarios.config.compose import check
from scenarios.config.schema import RunSpec
from scenarios.config.study import default_study


@dataclass(frozen=True)
class Settings:
    """The validated ``signposts`` section."""

    years: tuple[int, ...]
    worst: float
    depth: int
    min_leaf: float


@dataclass(frozen=True)
class Rule:
    """A conjunction of threshold conditions: (feature index, ``<=`` if True else ``>``,
    threshold)."""

    conditions: tuple[tuple[int, bool, float], ...]

    def simplified(self) -> Rule:
        """The same rule with one condition per feature and side (the tightest)."""
        tightest: dict[tuple[int, bool], float] = {}
        for feature, below, threshold in self.conditions:
            key = (feature, below)
            old = tightest.get(key, threshold)
            tightest[key] = min(old, threshold) if below else max(old, threshold)
        return Rule(tuple((f, b, t) for (f, b), t in tightest.items()))

    def mask(self, x: np.ndarray) -> np.ndarray:
        """Which rows of ``x`` (members, features) satisfy every condition."""
        inside = np.ones(x.shape[0], dtype=bool)
        for feature, below, threshold in self.conditions:
            inside &= (x[:, feature] <= threshold) if below else (x[:, feature] > threshold)
        return inside


def settings(cfg: DictConfig, spec: RunSpec) -> Settings:
    """Check the ``signposts`` section.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    node = cfg.signposts
    world = spec.world
    first, last = int(np.floor(world.start)) + 1, int(np.floor(world.end + 1e-9)) - 1
    years = tuple(integer("signposts.years", y, first, last) for y in node.years)
    expect(len(years) > 0 and list(years) == sorted(set(years)), "signposts.years",
           list(years), f"expected increasing years from {first} to {last}, each once")
    worst = number("signposts.worst", node.worst, 0.0, 0.5, open_low=True)
    depth = integer("signposts.depth", node.depth, 1, 3)
    min_leaf = number("signposts.min_leaf", node.min_leaf, 0.0, 0.5, open_low=True)
    expect(spec.members * min_leaf / 2 >= 5, "signposts.min_leaf", min_leaf,
           f"a rule needs at least 5 of the {spec.members // 2} training members; raise "
           "ensemble.members or signposts.min_leaf")
    return Settings(years, worst, depth, min_leaf)


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures signposts`` (before Hydra makes a folder)."""
    settings(cfg, check(cfg))


def best_split(x: np.ndarray, y: np.ndarray, min_leaf: int) -> tuple[int, float, float] | None:
    """The threshold split of one feature that lowers the Gini impurity most.

    Parameters
    ----------
    x : ndarray, shape (M, p)
    y : ndarray of bool, shape (M,)
    min_leaf : int
        Fewest members on either side.

    Returns
    -------
    (feature, threshold, impurity decrease) or None if no split is allowed or useful.
    """
    m = x.shape[0]
    if m < 2 * min_leaf or y.all() or not y.any():
        return None
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    bad_left = np.cumsum(y[order], axis=0)[:-1]  # (m-1, p): bad members in the left i+1
    n_left = np.arange(1, m)[:, None]
    n_right = m - n_left
    bad_right = y.sum() - bad_left
    gini = (n_left * (1 - (bad_left / n_left) ** 2 - (1 - bad_left / n_left) ** 2)
            + n_right * (1 - (bad_right / n_right) ** 2 - (1 - bad_right / n_right) ** 2)) / m
    allowed = (n_left >= min_leaf) & (n_right >= min_leaf) & (xs[:-1] < xs[1:])
    if not allowed.any():
        return None
    gini = np.where(allowed, gini, np.inf)
    i, j = np.unravel_index(np.argmin(gini), gini.shape)
    parent = 1 - y.mean() ** 2 - (1 - y.mean()) ** 2
    gain = parent - gini[i, j]
    if gain <= 1e-12:
        return None
    return int(j), float((xs[i, j] + xs[i + 1, j]) / 2), float(gain)


def grow(x: np.ndarray, y: np.ndarray, depth: int, min_leaf: int,
         path: tuple[tuple[int, bool, float], ...] = ()) -> list[Rule]:
    """The leaves of a Gini tree of at most ``depth`` levels, as rules."""
    split = best_split(x, y, min_leaf) if depth > 0 else None
    if split is None:
        return [Rule(path)]
    feature, threshold, _ = split
    below = x[:, feature] <= threshold
    return (grow(x[below], y[below], depth - 1, min_leaf, (*path, (feature, True, threshold)))
            + grow(x[~below], y[~below], depth - 1, min_leaf,
                   (*path, (feature, False, threshold))))


def riskiest(x: np.ndarray, y: np.ndarray, depth: int, min_leaf: int) -> Rule:
    """The leaf with the highest share of bad members (ties: the larger leaf)."""
    leaves = grow(x, y, depth, min_leaf)
    scores = [(y[r.mask(x)].mean(), r.mask(x).sum()) for r in leaves]
    return leaves[max(range(len(leaves)), key=lambda k: scores[k])].simplified()


def quality(rule: Rule, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Support, density, coverage and lift of ``rule`` on members ``x``, outcomes ``y``."""
    inside = rule.mask(x)
    support = float(inside.mean())
    density = float(y[inside].mean()) if inside.any() else float("nan")
    coverage = float(inside[y].mean()) if y.any() else float("nan")
    return {"support": support, "density": density, "coverage": coverage,
            "lift": density / float(y.mean()) if y.any() else float("nan")}


def describe(rule: Rule, names: list[str]) -> str:
    """``autonomisering 2025 <= 0.412 and kwetsbaarheid 2024 > 0.6``."""
    if not rule.conditions:
        return "(no rule: no split separates the outcomes)"
    return " and ".join(f"{names[f]} {'<=' if below else '>'} {t:.3f}"
                        for f, below, t in rule.conditions)


def table(levels: np.ndarray, impacts: np.ndarray, times: np.ndarray, labels: list[str],
          sets: Settings, trends: tuple[str, ...] = (),
          areas: tuple[str, ...] = ()) -> list[dict[str, object]]:
    """The monitoring table from simulated levels and impacts.

    Parameters
    ----------
    levels : ndarray, shape (F, T, n_trends, M)
    impacts : ndarray, shape (F, T, n_areas, M)
    times : ndarray, shape (T,)
    labels : list of str
        The futures.
    trends, areas : tuple of str
        The study's labels (the run's ``spec.world``); empty: the default study's.
    """
    trends = trends or default_study().trend_labels
    areas = areas or default_study().area_labels
    cols = [int(np.argmin(np.abs(times - y))) for y in sets.years]
    names = [f"{t} {y}" for y in sets.years for t in trends]
    rows = []
    for f, fut in enumerate(labels):
        x = np.concatenate([levels[f, c].T for c in cols], axis=1)  # (M, years x trends)
        train, test = slice(0, None, 2), slice(1, None, 2)
        min_leaf = max(1, int(np.ceil(sets.min_leaf * x[train].shape[0])))
        for a, area in enumerate(areas):
            end = impacts[f, -1, a].astype(np.float64)
            bad = end <= np.quantile(end, sets.worst)
            rule = riskiest(x[train], bad[train], sets.depth, min_leaf)
            fit, held = quality(rule, x[train], bad[train]), quality(rule, x[test], bad[test])
            rows.append({
                "future": fut, "area": area, "signpost": describe(rule, names),
                "bad_if_2030_impact_below": round(float(np.quantile(end, sets.worst)), 4),
                **{f"{k}_train": round(v, 3) for k, v in fit.items()},
                **{f"{k}_holdout": round(v, 3) for k, v in held.items()},
            })
    return rows

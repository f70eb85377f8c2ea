"""Fit the momentum and axis loadings of each trend to the narratives (study.narratives).

How the default ``conf/cross_impact.yaml`` got its ``momentum``, ``shareholder``/
``stakeholder`` and ``growth``/``welfare`` entries. Per trend three numbers are fitted, with
the trend-on-trend, EU-regulation and lever entries held at their hand-set values:

* ``m``: momentum (the trend's own push, per year);
* ``s``: stakeholder loading ``+s`` and shareholder loading ``-s``;
* ``w``: welfare loading ``+w`` and growth loading ``-w``.

``s`` and ``w`` keep the signs of the axis loadings in study.priors.axes.

**Calibrated momenta.** A trend with a series under ``calibrate.series`` (conf/calibrate.yaml;
by default autonomisering and the WBSO AI share, L6700-6716) does not get its momentum from
the narratives: at every step of the fit its momentum is what ``futures calibrate`` fits to
the series in the world being fitted (:func:`scenarios.analysis.calibration.compute.fit`; the backcast depends on
the trend's axis loadings through the 2021 status quo). The document's data thus set the
momentum and the narratives set the rest, and the written config is consistent with
``futures calibrate`` (``tests/test_calibrate.py`` checks it).

Targets are the 2030 levels of the 44 cells: the 2021 level for ``flat`` cells, otherwise the
middle of the level band, moved to at least +0.08 (``rise``), +0.20 (``strong rise``) or
-0.10 (``decline``) from 2021. The medians of a fixed 256-member ensemble (default seed,
uncertainties and events) are fitted with ``scipy.optimize.least_squares`` and a small ridge
penalty. Residuals weigh 4 (TEXT), 2 (PARTIAL) or 1 (INF), doubled for ``flat`` cells, whose
band is narrowest. Each cell also adds a hinge residual (weight :data:`CELL_WEIGHT` times
its own) when its median lies outside the range where it holds, shrunk by :data:`CELL_MARGIN`
(the least-squares distance to a target is not the count of cells that hold). The TEXT positions of the impact rankings (study.narratives) enter as hinge
residuals: the area must beat the areas ranked below it and trail those ranked above it by
the median impact index in 2030, with a margin.

Run ``python -m scenarios.analysis.narratives.fit [OVERRIDES]`` to print the fitted entries, or
``python -m scenarios.analysis.narratives.fit --write`` to write them (values, ranges and provenance
comments) into ``conf/cross_impact.yaml``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import least_squares

from models.ensemble import MOMENTUM
from scenarios.analysis.calibration.compute import fit as calibrate_fit
from scenarios.analysis.calibration.compute import read_series
from scenarios.analysis.narratives.table import (
    BANDS,
    CELLS,
    FLAT,
    MIDPOINT,
    RANKINGS,
    STRONG,
    Cell,
)
from scenarios.config.compose import load
from scenarios.config.study import default_study
from scenarios.engine.simulate import draw_members, simulate

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from scenarios.config.schema import RunSpec

#: Members of the fixed ensemble (default seed) whose medians are fitted.
MEMBERS = 1024

#: The study fitted: the default one (conf/study/nds2021.yaml), whose cross_impact.yaml
#: ``--write`` rewrites. Its narratives are the targets, its priors the signs.
STUDY = default_study()
TRENDS = STUDY.trend_labels
DRIVERS = STUDY.driver_labels
AREAS = STUDY.area_labels

#: Axis loadings of the study's priors (``study.priors.axes``; for NDS 2021 study.priors
#: section C: full swing a_s stakeholder-minus-shareholder, a_w welfare-minus-growth). The
#: fit keeps the sign of each; where it is 0 the fitted loading stays within +-0.1.
DIGEST_AXES: dict[str, tuple[float, float]] = dict(STUDY.axis_priors)

#: The fitted columns of each trend's row in conf/cross_impact.yaml: momentum, then the
#: low and high driver of each axis (ownership, purpose).
COLUMNS = (MOMENTUM, *STUDY.axis_drivers)

#: Residual weight per basis: the text outranks its cues, the cues outrank inference.
BASIS_WEIGHT = {"TEXT": 4.0, "PARTIAL": 2.0, "INF": 1.0}

#: Margin (impact-index units) by which a TEXT ranking position should hold, and its weight.
RANK_MARGIN = 0.04
RANK_WEIGHT = 20.0

#: Margin (level units) inside the band and past the direction threshold a cell aims for,
#: and the weight of the hinge residual (times the cell weight) when it is outside.
CELL_MARGIN = 0.015
CELL_WEIGHT = 5.0


def _bounds(free_momentum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def interval(sign: float) -> tuple[float, float]:
        return (0.0, 2.0) if sign > 0 else (-2.0, 0.0) if sign < 0 else (-0.1, 0.1)

    s = [interval(DIGEST_AXES[t][0]) for t in TRENDS]
    w = [interval(DIGEST_AXES[t][1]) for t in TRENDS]
    n = int(free_momentum.sum())
    low = np.concatenate([np.full(n, -2.0), [a for a, _ in s], [a for a, _ in w]])
    high = np.concatenate([np.full(n, 2.0), [b for _, b in s], [b for _, b in w]])
    return low, high


def targets(initial: dict[str, float], futures: list[str],
            cells: tuple[Cell, ...] = CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Target 2030 levels and residual weights of ``cells``, both shape (F, n); cells not
    given weigh 0.

    Flat cells weigh double: their band (+-0.05) is the narrowest.
    """
    out = np.zeros((len(futures), len(TRENDS)))
    weight = np.zeros_like(out)
    for cell in cells:
        if cell.future not in futures:
            continue
        start = initial[cell.trend]
        low, high = BANDS[cell.level]
        if cell.direction == "flat":
            goal = min(max(start, low), high)
        else:
            goal = MIDPOINT[cell.level]
            if cell.direction == "rise":
                goal = max(goal, start + 0.08)
            elif cell.direction == "strong rise":
                goal = max(goal, start + 0.20)
            else:
                goal = min(goal, start - 0.10)
        at = futures.index(cell.future), TRENDS.index(cell.trend)
        out[at] = goal
        weight[at] = BASIS_WEIGHT[cell.basis] * (2.0 if cell.direction == "flat" else 1.0)
    return out, weight


def admissible(initial: dict[str, float], futures: list[str],
               cells: tuple[Cell, ...] = CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Interval of 2030 medians where each cell holds with :data:`CELL_MARGIN`, (F, n) each
    (unbounded for cells not given).

    The level band intersected with the direction's range from the 2021 level, shrunk at both
    ends by the margin, or by a quarter of its width where it is narrower than four margins.
    """
    low = np.full((len(futures), len(TRENDS)), -np.inf)
    high = np.full_like(low, np.inf)
    for cell in cells:
        if cell.future not in futures:
            continue
        start = initial[cell.trend]
        lo, hi = BANDS[cell.level]
        lo_d, hi_d = {"decline": (-np.inf, start - FLAT), "flat": (start - FLAT, start + FLAT),
                      "rise": (start + FLAT, np.inf),
                      "strong rise": (start + STRONG, np.inf)}[cell.direction]
        lo, hi = max(lo, lo_d), min(hi, hi_d)
        shrink = min(CELL_MARGIN, (hi - lo) / 4) if hi > lo else 0.0
        lo, hi = lo + shrink, hi - shrink
        at = futures.index(cell.future), TRENDS.index(cell.trend)
        low[at], high[at] = lo, hi
    return low, high


def ranking_pairs(futures: list[str], rankings: dict[str, tuple[tuple[str, str], ...]]
                  | None = None) -> list[tuple[int, int, int]]:
    """``(future, better, worse)`` index triples that the TEXT ranking positions of
    ``rankings`` (default :data:`RANKINGS`) require."""
    pairs = []
    for future, ranking in (RANKINGS if rankings is None else rankings).items():
        if future not in futures:
            continue
        order = [area for area, _ in ranking]
        for k, (area, basis) in enumerate(ranking):
            if basis != "TEXT":
                continue
            f, a = futures.index(future), AREAS.index(area)
            pairs += [(f, AREAS.index(other), a) for other in order[:k]]
            pairs += [(f, a, AREAS.index(other)) for other in order[k + 1:]]
    return pairs


def fit(overrides: list[str] | None = None, *, loaded: tuple[DictConfig, RunSpec] | None = None,
        cells: tuple[Cell, ...] = CELLS,
        rankings: dict[str, tuple[tuple[str, str], ...]] | None = None,
        members: int = MEMBERS, max_nfev: int | None = None,
        info: dict | None = None) -> dict[str, dict[str, float]]:
    """Fit and return ``{trend: {column: value}}`` for the fitted columns.

    ``cells`` and ``rankings`` are the targets (default all of them; ``futures validate``
    leaves some out), ``members`` the size of the fixed ensemble, ``loaded`` a composed
    config and its spec to fit in instead of ``overrides``, ``max_nfev`` a budget of
    least-squares function evaluations (default: scipy's, to convergence). Calibrated trends
    (``calibrate.series``) carry their momentum from the series fit. ``info``, if given, is
    filled with how least squares ended: ``nfev``, ``njev``, ``status`` (scipy's; 0 = the
    budget ``max_nfev`` stopped it, > 0 = one of its tolerances) and ``cost``.
    """
    if loaded is None:
        loaded = load(list(overrides or []))
    cfg, spec = loaded
    spec = replace(spec, members=members)
    world = spec.world
    series, confidence = read_series(cfg, world)
    calibrated = {s.trend: s for s in series}
    free = np.array([t not in calibrated for t in TRENDS])
    drawn_members = draw_members(spec)
    momentum = world.driver_loadings[:, DRIVERS.index(MOMENTUM)]
    # Sampled parameters whose nominal is a fitted entry (momentum.<trend>, the axis
    # loadings A.<trend>.<axis driver>) are draws around the config's value: their offsets
    # are kept and re-centred on the entries being fitted, else the members would override
    # the fit with the config's own (already fitted) values.
    offsets = {name: drawn_members.pop(name) - value
               for name, value in fitted_entries(world).items() if name in drawn_members}
    futures = [f.label for f in spec.futures]
    goal, weight = targets(dict(zip(TRENDS, world.initial)), futures, cells)
    pairs = ranking_pairs(futures, rankings)
    low, high = admissible(dict(zip(TRENDS, world.initial)), futures, cells)
    cols = {name: DRIVERS.index(name) for name in COLUMNS}
    _, own_low, own_high, pur_low, pur_high = COLUMNS
    n_free = int(free.sum())

    def with_params(p: np.ndarray):
        m = momentum.copy()
        m[free] = p[:n_free]
        s, w = p[n_free:].reshape(2, -1)
        loadings = world.driver_loadings.copy()
        loadings[:, cols[own_high]], loadings[:, cols[own_low]] = s, -s
        loadings[:, cols[pur_high]], loadings[:, cols[pur_low]] = w, -w
        fitted = type(world)(**{**world.__dict__, "driver_loadings": loadings})
        for trend, s_ in calibrated.items():  # the series fit ignores the momentum column
            m[TRENDS.index(trend)] = calibrate_fit(s_, fitted, confidence).momentum
        loadings[:, cols[MOMENTUM]] = m  # ``fitted`` holds this very array
        return fitted, m

    def residuals(p: np.ndarray) -> np.ndarray:
        fitted, _ = with_params(p)
        now = fitted_entries(fitted)
        drawn = {name: now[name] + off for name, off in offsets.items()}
        out, _ = simulate(spec, world=fitted, members={**drawn_members, **drawn}, n_members=members,
                          precision="float64", chunk=2048, threads=1)
        final = np.median(out.levels[:, -1], axis=-1)
        impact = np.median(out.impacts[:, -1], axis=-1)
        rank = [RANK_WEIGHT * max(0.0, RANK_MARGIN - (impact[f, hi] - impact[f, lo]))
                for f, hi, lo in pairs]
        outside = np.maximum(low - final, 0.0) + np.maximum(final - high, 0.0)
        return np.concatenate([(weight * (final - goal)).ravel(),
                               (CELL_WEIGHT * weight * outside).ravel(), rank, 0.02 * p])

    # Start from zero, not from the config's fitted entries: the result is then a function
    # of the hand-set entries, the series and the narratives alone, and a re-run reproduces
    # the YAML it wrote (tests/test_narrative_fit.py).
    start = np.clip(np.zeros(n_free + 2 * len(TRENDS)), *_bounds(free))
    result = least_squares(residuals, start, bounds=_bounds(free), method="trf",
                           max_nfev=max_nfev)
    if info is not None:
        info.update(nfev=int(result.nfev), njev=int(result.njev or 0),
                    status=int(result.status), cost=float(result.cost))
    _, m = with_params(result.x)
    s, w = result.x[n_free:].reshape(2, -1)
    m, s, w = np.round(m, 2), np.round(s, 2), np.round(w, 2)
    return {t: {MOMENTUM: float(m[i]), own_low: float(-s[i]) + 0.0,
                own_high: float(s[i]) + 0.0, pur_low: float(-w[i]) + 0.0,
                pur_high: float(w[i]) + 0.0}
            for i, t in enumerate(TRENDS)}


def fitted_entries(world) -> dict[str, float]:
    """The values in ``world`` of the sampled parameters whose nominal is a fitted entry:
    ``momentum.<trend>`` and the axis loadings ``A.<trend>.<axis driver>`` (the columns
    :data:`COLUMNS` but momentum)."""
    out = {}
    for i, t in enumerate(TRENDS):
        out[f"momentum.{t}"] = float(world.driver_loadings[i, DRIVERS.index(MOMENTUM)])
        for column in COLUMNS[1:]:
            out[f"A.{t}.{column}"] = float(world.driver_loadings[i, DRIVERS.index(column)])
    return out


def recentred(spec: RunSpec, world) -> RunSpec:
    """``spec`` in ``world`` (a refit, :func:`fitted_world`), its sampled fitted entries
    (:func:`fitted_entries`) drawn around ``world``'s values instead of the config's.

    A relative uncertainty is ``nominal + offset`` with the nominal fixed when the config is
    checked; without this a refitted world's momenta and axis loadings would be replaced,
    member by member, by draws around the config's values (fitted to every cell).
    """
    values = fitted_entries(world)
    kept = [replace(u, nominal=values[u.name]) if u.relative and u.name in values else u
            for u in spec.uncertainties]
    return replace(spec, world=world, uncertainties=kept)


def fitted_world(world, fitted: dict[str, dict[str, float]]):
    """``world`` with the fitted columns of ``fitted`` (as :func:`fit` returns them)."""
    loadings = world.driver_loadings.copy()
    for trend, entries in fitted.items():
        for column, value in entries.items():
            loadings[TRENDS.index(trend), DRIVERS.index(column)] = value
    return type(world)(**{**world.__dict__, "driver_loadings": loadings})


CROSS_IMPACT = Path(__file__).resolve().parents[3] / "conf" / "cross_impact.yaml"


def _comment(trend: str, column: str, value: float, provenance: dict[str, str]) -> str:
    if column == "momentum" and trend in provenance:
        return provenance[trend]
    if column == "momentum":
        return ("fitted to study.narratives (docs/calibration.md): the trend's own push; "
                f"assumption, range [{value - 0.05:.2f}, {value + 0.05:.2f}]")
    axis = 0 if column in ("shareholder", "stakeholder") else 1
    name = ("a_s", "a_w")[axis]
    low, high = sorted((round(value * 0.5, 2), round(value * 1.5, 2)))
    return (f"fitted; sign from study.priors.axes ({name} = {DIGEST_AXES[trend][axis]:+.2f}); "
            f"range [{low:.2f}, {high:.2f}]")


def write(fitted: dict[str, dict[str, float]], provenance: dict[str, str],
          path: Path = CROSS_IMPACT) -> None:
    """Write the fitted entries into ``path`` in place: values and their comments.

    Lines of the fitted columns are replaced, added after the trend's previous fitted line
    (or its header) or, for a value of 0, removed; every other line is kept as it is.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    for trend, entries in fitted.items():
        start = lines.index(f"{trend}:")
        end = next((k for k in range(start + 1, len(lines))
                    if re.match(r"^[a-z_]+:", lines[k])), len(lines))
        block = [line for line in lines[start + 1:end]
                 if not re.match(rf"^  ({'|'.join(COLUMNS)}):", line)]
        at = next((k for k, line in enumerate(block)
                   if re.match(rf"^  ({'|'.join(STUDY.other_drivers + STUDY.lever_labels)}):",
                               line)), None)
        if at is None:
            at = max((k + 1 for k, line in enumerate(block) if line.startswith("  ")), default=0)
        new = [f"  {f'{c}: {v:.2f}':<30}# {_comment(trend, c, v, provenance)}"
               for c, v in entries.items() if v != 0.0]
        lines[start + 1:end] = block[:at] + new + block[at:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def calibrated_provenance(overrides: list[str]) -> dict[str, str]:
    """The comment of each calibrated momentum: series, source lines, fit and interval."""
    cfg, spec = load(list(overrides))
    series, confidence = read_series(cfg, spec.world)
    out = {}
    for s in series:
        result = calibrate_fit(s, spec.world, confidence)
        se = float(np.sqrt(result.covariance[0, 0]))
        source = s.source.split(" (")[0]
        out[s.trend] = (f"fitted by `futures calibrate` to calibrate.series.{s.name} "
                        f"(conf/calibrate.yaml; {source}): {result.momentum:.4f} +- {se:.4f}; "
                        f"range [{result.low[0]:.3f}, {result.high[0]:.3f}] ({confidence:.0%} "
                        "interval); held there by the narrative fit (docs/calibration.md)")
    return out


def main(argv: list[str]) -> None:
    overrides = [a for a in argv if a != "--write"]
    fitted = fit(overrides)
    for trend, entries in fitted.items():
        print(trend, entries)
    if "--write" in argv:
        as_written = [f"++cross_impact.{t}.{c}={v}" for t, e in fitted.items()
                      for c, v in e.items()]  # the series fit in the world being written
        write(fitted, calibrated_provenance(overrides + as_written))
        print(f"wrote {CROSS_IMPACT}")


if __name__ == "__main__":
    main(sys.argv[1:])

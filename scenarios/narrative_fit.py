"""Fit the momentum and axis loadings of each trend to the narratives (design/narratives.md).

How the default ``conf/cross_impact.yaml`` got its ``momentum``, ``shareholder``/
``stakeholder`` and ``growth``/``welfare`` entries. Per trend three numbers are fitted, with
the trend-on-trend, EU-regulation and lever entries held at their hand-set values:

* ``m``: momentum (the trend's own push, per year);
* ``s``: stakeholder loading ``+s`` and shareholder loading ``-s``;
* ``w``: welfare loading ``+w`` and growth loading ``-w``.

``s`` and ``w`` keep the signs of the axis loadings in seed_digest.md section C.

Targets are the 2030 levels of the 44 cells: the 2021 level for ``flat`` cells, otherwise the
middle of the level band, moved to at least +0.08 (``rise``), +0.20 (``strong rise``) or
-0.10 (``decline``) from 2021. The medians of a fixed 128-member ensemble (default seed,
uncertainties and events) are fitted with
``scipy.optimize.least_squares`` and a small ridge penalty. Run
``python -m scenarios.narrative_fit`` to print the fitted entries. Residuals weigh 4 (TEXT),
2 (PARTIAL) or 1 (INF), doubled for ``flat`` cells, whose band is narrowest.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.optimize import least_squares

from models import catalogue
from models.ensemble import run
from scenarios.compose import load
from scenarios.narratives import BANDS, CELLS, MIDPOINT
from scenarios.runner import draw_members, event_rngs

#: Members of the fixed ensemble (default seed) whose medians are fitted.
MEMBERS = 128

TRENDS = catalogue.TREND_LABELS
DRIVERS = catalogue.DRIVER_LABELS

#: Axis loadings of seed_digest.md section C (full swing a_s stakeholder-minus-shareholder,
#: a_w welfare-minus-growth). The fit keeps the sign of each; where it is 0 the fitted
#: loading stays within +-0.1.
DIGEST_AXES = {
    "mega_ecosystemen": (-1.25, -0.25), "decentralisering": (1.5, 0.0),
    "data_soevereiniteit": (0.5, 0.5), "digitale_valuta": (1.25, -0.75),
    "eigenwijze_data": (0.0, 0.0), "autonomisering": (-0.25, -0.75),
    "zwermcultuur": (0.75, -0.25), "virtuele_leefwerelden": (-0.25, -0.75),
    "mensoptimalisering": (0.0, -0.5), "strijd_der_stacks": (-1.25, -0.25),
    "kwetsbaarheid": (0.0, -1.0),
}


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    def interval(sign: float) -> tuple[float, float]:
        return (0.0, 2.0) if sign > 0 else (-2.0, 0.0) if sign < 0 else (-0.1, 0.1)

    s = [interval(DIGEST_AXES[t][0]) for t in TRENDS]
    w = [interval(DIGEST_AXES[t][1]) for t in TRENDS]
    low = np.concatenate([np.full(len(TRENDS), -2.0), [a for a, _ in s], [a for a, _ in w]])
    high = np.concatenate([np.full(len(TRENDS), 2.0), [b for _, b in s], [b for _, b in w]])
    return low, high


#: Residual weight per basis: the text outranks its cues, the cues outrank inference.
BASIS_WEIGHT = {"TEXT": 4.0, "PARTIAL": 2.0, "INF": 1.0}


def targets(initial: dict[str, float], futures: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Target 2030 levels and residual weights, both shape (F, n).

    Flat cells weigh double: their band (+-0.05) is the narrowest.
    """
    out = np.zeros((len(futures), len(TRENDS)))
    weight = np.zeros_like(out)
    for cell in CELLS:
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


def fit(overrides: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Fit and return ``{trend: {column: value}}`` for the fitted columns."""
    _, spec = load(list(overrides or []) + [f"ensemble.members={MEMBERS}"])
    world = spec.world
    members = draw_members(spec)
    momentum = world.driver_loadings[:, DRIVERS.index("momentum")]
    offsets = {f"momentum.{t}": members.pop(f"momentum.{t}") - momentum[i]
               for i, t in enumerate(TRENDS) if f"momentum.{t}" in members}
    futures = [f.label for f in spec.futures]
    goal, weight = targets(dict(zip(TRENDS, world.initial)), futures)
    cols = {name: DRIVERS.index(name) for name in
            ("momentum", "shareholder", "stakeholder", "growth", "welfare")}

    def with_params(p: np.ndarray):
        m, s, w = p.reshape(3, -1)
        loadings = world.driver_loadings.copy()
        loadings[:, cols["momentum"]] = m
        loadings[:, cols["stakeholder"]], loadings[:, cols["shareholder"]] = s, -s
        loadings[:, cols["welfare"]], loadings[:, cols["growth"]] = w, -w
        return type(world)(**{**world.__dict__, "driver_loadings": loadings})

    def residuals(p: np.ndarray) -> np.ndarray:
        m = p[:len(TRENDS)]
        drawn = {name: m[TRENDS.index(name.split(".")[1])] + off for name, off in offsets.items()}
        out = run(with_params(p), spec.futures, {**members, **drawn}, MEMBERS,
                  events=spec.events, rngs=event_rngs(spec) if spec.events else None)
        final = np.median(out.levels[:, -1], axis=-1)
        return np.concatenate([(weight * (final - goal)).ravel(), 0.02 * p])

    first = least_squares(residuals, np.zeros(3 * len(TRENDS)), bounds=_bounds(), method="trf")
    m, s, w = np.round(first.x.reshape(3, -1), 2)
    return {t: {"momentum": float(m[i]), "shareholder": float(-s[i]),
                "stakeholder": float(s[i]), "growth": float(-w[i]), "welfare": float(w[i])}
            for i, t in enumerate(TRENDS)}


if __name__ == "__main__":
    for trend, entries in fit(sys.argv[1:]).items():
        print(trend, entries)

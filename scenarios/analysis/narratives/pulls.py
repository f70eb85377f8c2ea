"""Why a TEXT cell's posterior probability stays low: which evidence pulls against it.

For the stored posterior's particles (each run once in every future, events on, as the
sampler scores them) every term of the log likelihood (:mod:`.posterior`: one per cell,
one per TEXT ranking pair, the observations together) is computed per particle. For a
TEXT cell ``c`` the **pull** of another term ``t`` is

.. math::

    \\Delta_t = \\overline{\\ln L_t}\\,[c \\text{ held}] - \\overline{\\ln L_t}\\,[c \\text{ missed}],

the mean of the term over the particles that hold ``c`` minus its mean over those that miss
it: a negative pull is evidence that particles holding ``c`` pay for. Printed per cell: the
share of particles holding it (posterior and prior), where the misses fall (2030 level
above or below the cell's interval), and the three strongest negative pulls.

``python -m scenarios.analysis.narratives.pulls [OVERRIDES]`` (docs/validation.md "TEXT
cells").
"""

from __future__ import annotations

import sys

import numpy as np

from models.sampling import latin_hypercube
from scenarios.analysis.narratives.posterior import (
    BASIS_WEIGHT,
    CELL_WIDTH,
    RANK_WIDTH,
    Target,
    cell_distance,
    evidence,
)
from scenarios.engine.posterior import stored
from scenarios.engine.seeds import named_rng
from scenarios.engine.simulate import simulate


def terms(target: Target, unit: np.ndarray
          ) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per particle every likelihood term but the observations (name -> (P,)), and per TEXT
    cell its distance and whether a miss lies below the cell's interval (both (P,))."""
    spec, ev = target.spec, target.ev
    members = target.members(unit)
    out, _ = simulate(spec, members=members, n_members=len(unit), precision="float64",
                      threads=target.threads)
    futures, trends = [f.label for f in spec.futures], list(spec.world.trends)
    areas = list(spec.world.areas)
    start, end = out.levels[:, 0], out.levels[:, -1]
    ll, text = {}, {}
    for c in ev.cells:
        f, i = futures.index(c.future), trends.index(c.trend)
        d = cell_distance(c, start[f, i], end[f, i])
        name = f"{c.basis} {c.future}.{c.trend}"
        ll[name] = -0.5 * BASIS_WEIGHT[c.basis] * (d / CELL_WIDTH) ** 2
        if c.basis == "TEXT":
            below = cell_distance(c, start[f, i], end[f, i] + 1e-6) < d
            text[name] = (d, below)
    impact = out.impacts[:, -1]
    for f, better, worse in ev.ranks:
        d = np.maximum(impact[f, worse] - impact[f, better], 0.0)
        ll[f"rank {futures[f]}: {areas[better]} > {areas[worse]}"] = -0.5 * (d / RANK_WIDTH) ** 2
    return ll, text


def report(target: Target, unit: np.ndarray, prior: np.ndarray, top: int = 3) -> str:
    """The table of docs/validation.md "TEXT cells" (module docstring)."""
    ll, text = terms(target, unit)
    _, text_prior = terms(target, prior)
    header = ("| TEXT cell | P posterior | P prior | misses below / above | mean miss "
              "| strongest pulls against it (pull) |")
    lines = [header, "|---|---|---|---|---|---|"]
    for name, (d, below) in text.items():
        held, miss = d == 0.0, d > 0.0
        pulls = sorted((float(v[held].mean() - v[miss].mean()), other)
                       for other, v in ll.items() if other != name) \
            if held.any() and miss.any() else []
        shown = "; ".join(f"{o} ({p:+.2f})" for p, o in pulls[:top] if p < 0) or "-"
        n_below = int(np.sum(miss & below))
        mean_miss = float(d[miss].mean()) if miss.any() else 0.0
        lines.append(f"| {name.split(' ', 1)[1]} | {held.mean():.2f} | "
                     f"{np.mean(text_prior[name][0] == 0.0):.2f} | {n_below} / "
                     f"{int(miss.sum()) - n_below} | {mean_miss:.3f} | {shown} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from scenarios.config.compose import load

    cfg, spec = load(argv)
    post = stored(spec.study.name)
    if post is None:
        raise SystemExit(f"no stored posterior for {spec.study.name}")
    target = Target(cfg, spec, evidence(spec))
    column = {n: k for k, n in enumerate(post.names)}
    unit = post.unit[:, [column[n] for n in target.names]]
    prior = latin_hypercube(len(unit), len(target.names), rng=named_rng(spec.seed, "pulls"))
    print(report(target, unit, prior))


if __name__ == "__main__":
    main(sys.argv[1:])

r"""The narratives as fuzzy evidence: a posterior over the uncertain parameters (issue 15 item 2).

**Prior.** Every uncertain parameter of the run (``conf/uncertainties.yaml`` and the
structural entries of ``conf/structural.yaml``) as configured: bounded ranges, uniform (or
triangular), here in the unit cube ``u`` of the prior. A particle is one world: the same
``u`` in every future.

**Likelihood.** Per particle (one member in every future), the product of fuzzy
memberships, each raised to the weight of its basis:

.. math::

    \ln L(u) = \sum_c w_c \ln \mu_c + \sum_r \ln \mu_r + \sum_o \ln L_o,
    \qquad \ln \mu = -\tfrac12 (d / \sigma)^2

* a narrative cell ``c`` (future, trend): ``d`` is the distance of the member's own 2030
  level from the interval where the cell holds (its level band intersected with its
  direction's range from the member's 2021 level: decline <= -0.05, flat within +-0.05,
  rise >= +0.05, strong rise >= +0.15), :math:`\sigma` = :data:`CELL_WIDTH`; the basis
  weight ``w_c`` is :data:`BASIS_WEIGHT` (TEXT 1, PARTIAL 0.5, INF 0.25: the text outranks
  its cues, the cues outrank inference);
* a TEXT ranking position ``r`` (an area above another in a future): ``d`` is the amount by
  which the member's 2030 impact index of the better area falls short of the worse one,
  :math:`\sigma` = :data:`RANK_WIDTH`, weight 1;
* observations ``o`` (``calibrate``): each series (the WBSO AI share, L6700-6716) through
  the backcast of ``futures calibrate`` with the member's momentum and the scale profiled
  out, :math:`\ln L_o = -\mathrm{SSE}/(2 s^2)` with ``s`` the residual spread of the
  series' own fit; each anchor as a fuzzy membership of width
  :data:`~scenarios.analysis.calibration.compute.ANCHOR_WIDTH` on its shortfall.

**Sampler.** Sequential Monte Carlo with likelihood tempering, vectorised over the
particles (every likelihood evaluation is one ensemble run of all particles in all
futures): from :math:`\beta = 0` (the prior) the next :math:`\beta` keeps the effective
sample size of the incremental weights at half the particles; resample (systematic), then
:data:`MOVES` random-walk Metropolis moves in the unit cube (reflected at its faces; step
2.38 / sqrt(D) times the particles' spread per dimension) targeting
:math:`\pi(u) L(u)^\beta`, until :math:`\beta = 1`. The result is equally weighted.
Events run (each particle slot draws its own), so the likelihood is a noisy estimate and
the posterior an approximate (ABC-like) one; docs/validation.md compares this with pyabc.

``python -m scenarios.analysis.narratives.posterior --write [OVERRIDES]`` computes the
posterior of the default study and stores it (:mod:`scenarios.engine.posterior`).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from models.ensemble import MOMENTUM
from models.sampling import latin_hypercube
from scenarios.analysis.calibration.compute import (
    ANCHOR_WIDTH,
    backcast,
    frozen_terms,
    net_push,
    read_anchors,
    read_series,
)
from scenarios.analysis.calibration.compute import fit as calibrate_fit
from scenarios.analysis.narratives.table import BANDS, FLAT, STRONG, Cell, cells, rankings
from scenarios.engine.posterior import SUFFIX, Posterior, code_digest, inputs_digest, path_of
from scenarios.engine.seeds import named_rng
from scenarios.engine.simulate import simulate

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from models.ensemble import Outcome
    from scenarios.config.schema import RunSpec

log = logging.getLogger("futures")

#: Weight of a cell's membership per basis.
BASIS_WEIGHT = {"TEXT": 1.0, "PARTIAL": 0.5, "INF": 0.25}
#: Width of a cell's fuzzy edge, level units (one "flat" half-width).
CELL_WIDTH = 0.05
#: Width of a ranking position's fuzzy edge, impact-index units.
RANK_WIDTH = 0.02
#: Particles, Metropolis moves per stage, and the largest number of stages.
PARTICLES = 2048
MOVES = 4
MAX_STAGES = 60


@dataclass(frozen=True)
class Evidence:
    """The fuzzy observations a posterior is conditioned on, as index arrays.

    Attributes
    ----------
    cells : tuple of Cell
    ranks : list of (future index, better area index, worse area index)
    observations : bool
        Whether the series and anchors of ``calibrate`` enter.
    """

    cells: tuple[Cell, ...]
    ranks: list[tuple[int, int, int]]
    observations: bool = True


def evidence(spec: RunSpec, table: tuple[Cell, ...] | None = None,
             ranking: dict[str, tuple[tuple[str, str], ...]] | None = None,
             observations: bool = True) -> Evidence:
    """The evidence of ``table`` (default every cell of the run's futures) and the TEXT
    positions of ``ranking`` (default the study's)."""
    futures = [f.label for f in spec.futures]
    areas = list(spec.world.areas)
    chosen = tuple(c for c in (cells(spec.study) if table is None else table)
                   if c.future in futures)
    ranks = []
    for future, order in (rankings(spec.study) if ranking is None else ranking).items():
        if future not in futures:
            continue
        labels = [a for a, _ in order]
        for k, (area, basis) in enumerate(order):
            if basis != "TEXT":
                continue
            f, a = futures.index(future), areas.index(area)
            ranks += [(f, areas.index(o), a) for o in labels[:k]]
            ranks += [(f, a, areas.index(o)) for o in labels[k + 1:]]
    return Evidence(chosen, sorted(set(ranks)), observations)


def cell_distance(cell: Cell, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Distance of each member's 2030 level from the interval where ``cell`` holds
    (0 inside); ``start`` and ``end`` are the member's own 2021 and 2030 levels."""
    band_low, band_high = BANDS[cell.level]
    inf = np.full_like(start, np.inf)
    low, high = {"decline": (-inf, start - FLAT), "flat": (start - FLAT, start + FLAT),
                 "rise": (start + FLAT, inf), "strong rise": (start + STRONG, inf)}[cell.direction]
    low, high = np.maximum(low, band_low), np.minimum(high, band_high)
    return np.maximum(low - end, 0.0) + np.maximum(end - high, 0.0)


@dataclass(frozen=True)
class Observations:
    """The observation models of ``calibrate``, ready to score particles."""

    series: list  # (trend index, name, backcast function of momentum, spread)
    anchors: list  # (Anchor, trend index)


def observation_models(cfg: DictConfig, spec: RunSpec) -> Observations:
    """Series and anchors of ``calibrate`` in the run's world."""
    world = spec.world
    series, confidence = read_series(cfg, world)
    out = []
    for s in series:
        result = calibrate_fit(s, world, confidence)
        dof = max(len(s.years) - 2, 1)
        spread = float(np.sqrt(np.sum(result.residuals ** 2) / dof))
        out.append((world.trends.index(s.trend), s, max(spread, 1e-3)))
    anchors = [(a, world.trends.index(a.trend)) for a in read_anchors(cfg, world)]
    return Observations(out, anchors)


def series_log_likelihood(spec: RunSpec, s, spread: float, momentum: np.ndarray) -> np.ndarray:
    """Profile log likelihood of series ``s`` per particle momentum (scale profiled out)."""
    world = spec.world
    push, brake, _ = frozen_terms(world, s.trend)
    x0 = float(world.initial[world.trends.index(s.trend)])
    times = np.array(s.years) + 0.5
    model = np.log(backcast(momentum, x0, push, brake, times, world))  # (P, years)
    resid = np.log(s.values)[None, :] - model
    resid -= resid.mean(axis=-1, keepdims=True)
    return -0.5 * np.sum(resid ** 2, axis=-1) / spread ** 2


def log_likelihood(spec: RunSpec, ev: Evidence, obs: Observations | None, out: Outcome,
                   members: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per particle the total log likelihood, and per cell whether each particle holds it.

    Returns
    -------
    ndarray, shape (P,)
    ndarray of bool, shape (C, P)
    """
    futures = [f.label for f in spec.futures]
    trends = list(spec.world.trends)
    start, end = out.levels[:, 0], out.levels[:, -1]  # (F, n, P)
    total = np.zeros(start.shape[-1])
    holds = np.zeros((len(ev.cells), start.shape[-1]), dtype=bool)
    for k, c in enumerate(ev.cells):
        f, i = futures.index(c.future), trends.index(c.trend)
        d = cell_distance(c, start[f, i], end[f, i])
        holds[k] = d == 0.0
        total += -0.5 * BASIS_WEIGHT[c.basis] * (d / CELL_WIDTH) ** 2
    impact = out.impacts[:, -1]  # (F, a, P)
    for f, better, worse in ev.ranks:
        d = np.maximum(impact[f, worse] - impact[f, better], 0.0)
        total += -0.5 * (d / RANK_WIDTH) ** 2
    if ev.observations and obs is not None:
        momentum_col = spec.world.drivers.index(MOMENTUM)
        for i, s, spread in obs.series:
            m = members[f"momentum.{trends[i]}"][0] if f"momentum.{trends[i]}" in members \
                else np.full(total.shape, spec.world.driver_loadings[i, momentum_col])
            total += series_log_likelihood(spec, s, spread, m)
        times = out.times
        for anchor, i in obs.anchors:
            if anchor.kind == "rising_before":
                name = f"momentum.{trends[i]}"
                m = members[name][0] if name in members else \
                    np.full(total.shape, spec.world.driver_loadings[i, momentum_col])
                shortfall = np.maximum(-net_push(spec.world, anchor.trend, m), 0.0)
            else:
                a = int(np.argmin(np.abs(times - anchor.years[0])))
                b = int(np.argmin(np.abs(times - anchor.years[1])))
                shortfall = np.maximum(out.levels[:, a, i] - out.levels[:, b, i], 0.0).sum(0)
            total += -0.5 * (shortfall / ANCHOR_WIDTH) ** 2
    return total, holds


class Target:
    """Evaluates particles: unit-cube points -> log likelihood, one ensemble run each call."""

    def __init__(self, cfg: DictConfig, spec: RunSpec, ev: Evidence, *,
                 threads: int | None = None) -> None:
        self.spec, self.ev = spec, ev
        self.obs = observation_models(cfg, spec) if ev.observations else None
        self.uncertainties = list(spec.uncertainties)
        self.names = tuple(u.name for u in self.uncertainties)
        self.threads = spec.threads if threads is None else threads
        self.evaluations = 0
        self.seconds = 0.0

    def members(self, unit: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values of particles ``unit`` (P, D), the same in every future."""
        n_fut = len(self.spec.futures)
        return {u.name: np.broadcast_to(u.ppf(unit[:, k]), (n_fut, len(unit))).copy()
                for k, u in enumerate(self.uncertainties)}

    def __call__(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        began = time.perf_counter()
        members = self.members(unit)
        out, _ = simulate(self.spec, members=members, n_members=len(unit), precision="float64",
                          threads=self.threads)
        result = log_likelihood(self.spec, self.ev, self.obs, out, members)
        self.evaluations += 1
        self.seconds += time.perf_counter() - began
        return result


def _systematic(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(weights)
    edges = np.cumsum(weights / weights.sum())
    edges[-1] = 1.0
    return np.searchsorted(edges, (rng.random() + np.arange(n)) / n)


def _ess(log_w: np.ndarray) -> float:
    w = np.exp(log_w - log_w.max())
    return float(w.sum() ** 2 / (w ** 2).sum())


def smc(target: Target, particles: int = PARTICLES, *, rng: np.random.Generator,
        moves: int = MOVES, max_stages: int = MAX_STAGES) -> tuple[Posterior, dict]:
    """Tempered SMC (module docstring); returns the posterior and a log of the stages."""
    d = len(target.names)
    unit = latin_hypercube(particles, d, rng=rng)
    ll, _ = target(unit)
    beta, stages, accepted = 0.0, 0, []
    while beta < 1.0 and stages < max_stages:
        if _ess((1.0 - beta) * ll) >= particles / 2:
            new = 1.0
        else:
            lo, hi = beta, 1.0
            for _ in range(50):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if _ess((mid - beta) * ll) >= particles / 2 else (lo, mid)
            new = max(lo, beta + 1e-6)
        log_w = (new - beta) * ll
        pick = _systematic(np.exp(log_w - log_w.max()), rng)
        unit = unit[pick]
        ll, _ = target(unit)  # each slot draws its own events: re-score after resampling
        step = 2.38 / np.sqrt(d) * np.maximum(unit.std(axis=0), 0.01)
        rate = 0.0
        for _ in range(moves):
            proposal = unit + step * rng.standard_normal(unit.shape)
            proposal = np.abs(proposal)
            proposal = np.where(proposal >= 1.0, 2.0 - proposal, proposal)
            proposal = np.clip(proposal, 1e-9, 1.0 - 1e-9)
            ll_new, _ = target(proposal)
            take = np.log(rng.random(particles)) < new * (ll_new - ll)
            unit[take], ll[take] = proposal[take], ll_new[take]
            rate += take.mean() / moves
        beta = new
        stages += 1
        accepted.append(rate)
        log.info("posterior: stage %d, beta %.4f, acceptance %.2f, mean log L %.1f",
                 stages, beta, rate, ll.mean())
    info = {"stages": stages, "beta": beta, "evaluations": target.evaluations,
            "seconds": round(target.seconds, 1), "acceptance": accepted,
            "mean_log_likelihood": float(ll.mean())}
    return Posterior(target.names, unit, info), info


def compute(cfg: DictConfig, spec: RunSpec, ev: Evidence | None = None,
            particles: int = PARTICLES, moves: int = MOVES) -> tuple[Posterior, dict]:
    """The posterior of ``spec`` given ``ev`` (default all cells, rankings, observations),
    reproducible from ``seed`` (the name ``posterior:smc``)."""
    spec = replace(spec, prior=True)
    target = Target(cfg, spec, evidence(spec) if ev is None else ev)
    return smc(target, particles, rng=named_rng(spec.seed, "posterior:smc"), moves=moves)


def write(posterior: Posterior, path, command: str, study: str | None = None) -> None:
    """Store ``posterior`` as netCDF (``unit(particle, parameter)``); with ``study``, the
    digests of its inputs and of the model code (scenarios.engine.posterior, staleness)."""
    import xarray as xr

    attrs = {k: (str(v) if isinstance(v, list) else v) for k, v in posterior.attrs.items()}
    if study is not None:
        attrs.update(inputs_digest=inputs_digest(study), code_digest=code_digest())
    ds = xr.Dataset(
        {"unit": (("particle", "parameter"), posterior.unit.astype(np.float64),
                  {"long_name": "posterior particle in the unit cube of the prior",
                   "units": "1"})},
        coords={"parameter": list(posterior.names),
                "particle": np.arange(len(posterior.unit))},
        attrs={**attrs, "command": command,
               "description": "equally weighted posterior particles over the uncertain "
                              "parameters given the narratives and observations "
                              "(scenarios/analysis/narratives/posterior.py)"})
    ds.to_netcdf(path, engine="h5netcdf")


def main(argv: list[str]) -> None:
    from scenarios.config.compose import load

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    overrides = [a for a in argv if a != "--write"]
    cfg, spec = load(overrides)
    posterior, info = compute(cfg, spec)
    print({k: v for k, v in info.items() if k != "acceptance"})
    if "--write" in argv:
        path = path_of(spec.study.name)
        write(posterior, path, "python -m scenarios.analysis.narratives.posterior --write "
              + " ".join(overrides), study=None if overrides else spec.study.name)
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])

__all__ = ["SUFFIX", "Evidence", "Target", "compute", "evidence", "smc", "write"]

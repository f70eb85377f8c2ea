"""How many narrative cells the model holds, in sample, out of sample and for two baselines.

Splits (``split`` coordinate of ``validation.nc``):

* ``in_sample``: the configured model as it runs by default: its members drawn from the
  stored posterior (``ensemble.prior=false``; the prior ensemble with ``ensemble.prior=true``),
  scored on all cells. Its momenta and axis loadings, the centre of the prior, were fitted
  to all 44 cells (docs/calibration.md).
* ``leave_one_future_out``: for each future F, the narrative point fit
  (:func:`scenarios.analysis.narratives.fit.fit`) is re-run on the cells and ranking positions
  of the other futures only (it centres the prior), then the posterior
  (:mod:`scenarios.analysis.narratives.posterior`) is computed from the same evidence plus
  the observations, and F's cells are scored on the medians of members drawn from it; the
  split's count is the sum over the four held-out futures.
* ``leave_text_out``: the fit and the posterior on every cell except the TEXT cells (ranking
  positions kept), scored on the TEXT cells.
* ``flat``: baseline, every trend stays at its 2021 level.
* ``additive``: baseline, the additive corner structure of study.priors.axes,
  scored out of sample like ``leave_one_future_out``. In grades (L = 1, L-M = 1.5, M = 2,
  M-H = 2.5, H = 3) a future's cell is predicted from the other three futures' cells:
  ``G(F, t) = mean_{f != F} [G(f, t) - e(f, t)] + e(F, t)`` with
  ``e(f, t) = (a_s s_f + a_w w_f) / 2``, the digest's full swings a_s, a_w
  (``study.priors.axes``) and s_f, w_f = -1 or +1 the future's side of each axis. The grade
  becomes a level by the band midpoints (:data:`~scenarios.analysis.narratives.table.MIDPOINT`,
  linear in between and beyond, clipped to [0, 1]); the direction is judged from the model's
  2021 median. It uses the same information as a leave-one-future-out fit (the other
  futures' cells and the digest's signs and sizes) and no dynamics. The same prediction
  from all four futures (in sample) is stored as the attribute ``additive_in_sample``.

A cell holds when both its direction and its level band hold for the ensemble medians
(:meth:`scenarios.analysis.narratives.table.Cell.holds`). Every count is computed here from
the model and the study; none is stored.
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from scenarios.analysis.narratives import fit as narrative_fit
from scenarios.analysis.narratives import posterior as narrative_posterior
from scenarios.analysis.narratives.table import MIDPOINT, Cell, cells, rankings
from scenarios.engine.posterior import Posterior
from scenarios.engine.seeds import draw_members
from scenarios.engine.simulate import simulate

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from models.ensemble import World
    from scenarios.config.schema import RunSpec

log = logging.getLogger("futures")

SPLITS = ("in_sample", "leave_one_future_out", "leave_text_out", "flat", "additive")
BASES = ("TEXT", "PARTIAL", "INF")

#: The budgeted protocol's defaults (``conf/validate.yaml``; the keys ``validate.*``):
#: members of the fixed ensembles that are fitted (default seed); the fitted models are
#: scored on :data:`SCORE_MEMBERS` members (the same seed, not only the fitted members).
MEMBERS = 128
SCORE_MEMBERS = 1024

#: Least-squares function evaluations per refit (each with a Jacobian: ~33 runs). The
#: narrative fit of the defaults runs to convergence (~2.5 min alone, docs/calibration.md);
#: five of them do not fit a command's budget on a shared machine, so the refits stop after
#: this many by default, from the same zero start. A truncated fit holds fewer cells than a
#: converged one: the out-of-sample counts are then lower bounds of the protocol's
#: (``validate.fit_iterations=null`` runs each refit until scipy's own tolerance stops it).
FIT_ITERATIONS = 6

#: Particles and Metropolis moves of each refitted posterior (the stored default one has
#: :data:`scenarios.analysis.narratives.posterior.PARTICLES`).
POSTERIOR_PARTICLES = 512
POSTERIOR_MOVES = 2


@dataclass(frozen=True)
class Protocol:
    """How much work the refits of :func:`validate` do (the ``validate`` config node).

    Attributes
    ----------
    score : int
        Members per future whose medians are scored (every split).
    members : int
        Members of the fixed ensemble each refit's least squares fits.
    fit_iterations : int or None
        Least-squares function evaluations per refit (``max_nfev``); None: until scipy's
        own tolerance stops it.
    particles, moves : int
        Particles and Metropolis moves per stage of each refit's posterior.
    jobs : int
        Refits computed in parallel processes; the results do not depend on it.
    """

    score: int = SCORE_MEMBERS
    members: int = MEMBERS
    fit_iterations: int | None = FIT_ITERATIONS
    particles: int = POSTERIOR_PARTICLES
    moves: int = POSTERIOR_MOVES
    jobs: int = 1

    @classmethod
    def of(cls, cfg: DictConfig) -> Protocol:
        """The protocol of a composed config (its ``validate`` node, checked like every key
        by :func:`scenarios.config.compose.check`; missing keys take the defaults)."""
        from scenarios.config.analyses import ValidateConfig
        from scenarios.config.compose import resolved
        from scenarios.config.declare import checked

        node = checked("validate.", resolved(cfg).get("validate") or {}, ValidateConfig)
        return cls(score=node["members"], members=node["fit_members"],
                   fit_iterations=node["fit_iterations"], particles=node["particles"],
                   moves=node["moves"], jobs=node["jobs"])


#: Grades of the level bands in the additive baseline.
GRADES = {"L": 1.0, "L-M": 1.5, "M": 2.0, "M-H": 2.5, "H": 3.0}


def run_members(spec: RunSpec, world: World, members: int,
                posterior: Posterior | None | bool = True):
    """An ensemble of ``members`` in ``world``: drawn from ``posterior`` (True: the run's
    default, the stored posterior unless ``ensemble.prior``; None/False: the prior)."""
    spec = replace(spec, members=members, world=world)
    drawn = draw_members(spec, posterior=posterior if posterior is not None else False)
    out, _ = simulate(spec, members=drawn, n_members=members, precision="float64",
                      chunk=2048, threads=1)
    return out, drawn


def medians(spec: RunSpec, world: World, members: int,
            posterior: Posterior | None | bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Ensemble medians of the levels in 2021 and 2030, each (future, trend)."""
    out, _ = run_members(spec, world, members, posterior)
    level = np.median(out.levels, axis=-1)
    return level[:, 0], level[:, -1]


def refit(cfg: DictConfig, spec: RunSpec, table: tuple[Cell, ...],
          ranking: dict[str, tuple[tuple[str, str], ...]],
          protocol: Protocol) -> tuple[np.ndarray, np.ndarray, dict]:
    """Point fit (prior centre) and posterior on ``table`` and ``ranking`` only; the medians
    of ``protocol.score`` members drawn from that posterior, and how the fit and the
    posterior ended (least squares' ``nfev``, ``njev``, ``status``; the SMC's stages)."""
    info: dict = {}
    # The fit's fixed ensemble comes from the prior: the stored posterior was conditioned on
    # every cell, the held-out ones too.
    fitted = narrative_fit.fit(loaded=(cfg, replace(spec, prior=True)), cells=table,
                               rankings=ranking, members=protocol.members,
                               max_nfev=protocol.fit_iterations, info=info)
    world = narrative_fit.fitted_world(spec.world, fitted)
    # The prior of the refit is centred on the refit (not on the config's fitted entries).
    moved = narrative_fit.recentred(spec, world)
    ev = narrative_posterior.evidence(moved, table, ranking)
    post, smc_info = narrative_posterior.compute(cfg, moved, ev, particles=protocol.particles,
                                                 moves=protocol.moves)
    info.update(stages=smc_info.get("stages", -1), evaluations=smc_info.get("evaluations", -1))
    start, end = medians(moved, world, protocol.score, post)
    return start, end, info


def refits(cfg: DictConfig, spec: RunSpec, jobs: list[tuple], protocol: Protocol) -> list:
    """:func:`refit` of every ``(table, ranking)`` in ``jobs``, in order; in
    ``protocol.jobs`` parallel processes when more than one (each refit is seeded on its
    own, so the results are the same)."""
    args = [(cfg, spec, table, ranking, protocol) for table, ranking in jobs]
    if protocol.jobs <= 1 or len(args) <= 1:
        return [refit(*a) for a in args]
    import multiprocessing

    context = multiprocessing.get_context("fork" if "fork" in
                                          multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=min(protocol.jobs, len(args)),
                             mp_context=context) as pool:
        return list(pool.map(refit, *zip(*args)))


def probabilities(spec: RunSpec, table: tuple[Cell, ...], score: int,
                  posterior: Posterior | None | bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per cell the share of members whose own path holds it, and per (future, area) the
    share of members ranking the area where the study's ranking puts it (NaN: not ranked)."""
    out, drawn = run_members(spec, spec.world, score, posterior)
    ev = narrative_posterior.Evidence(table, [], observations=False)
    _, holds = narrative_posterior.log_likelihood(spec, ev, None, out, drawn)
    futures = [f.label for f in spec.futures]
    areas = list(spec.world.areas)
    final = out.impacts[:, -1]  # (F, a, M)
    position = np.argsort(np.argsort(-final, axis=1, kind="stable"), axis=1, kind="stable")
    rank_p = np.full((len(futures), len(areas)), np.nan)
    for future, order in rankings(spec.study).items():
        if future in futures:
            f = futures.index(future)
            for k, (area, _) in enumerate(order):
                rank_p[f, areas.index(area)] = float((position[f, areas.index(area)] == k).mean())
    return holds.mean(axis=1), rank_p


def held(table: tuple[Cell, ...], futures: list[str], trends: list[str],
         start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whether each cell of ``table`` holds for medians ``start`` -> ``end`` (future, trend)."""
    out = np.zeros(len(table), dtype=bool)
    for k, cell in enumerate(table):
        at = futures.index(cell.future), trends.index(cell.trend)
        out[k] = all(cell.holds(float(start[at]), float(end[at])))
    return out


def grade_level(grade: np.ndarray) -> np.ndarray:
    """Level of a grade: the band midpoints, linear in between and beyond, in [0, 1]."""
    g = np.array(list(GRADES.values()))
    m = np.array([MIDPOINT[k] for k in GRADES])
    inside = np.interp(grade, g, m)
    below = m[0] + (grade - g[0]) * (m[1] - m[0]) / (g[1] - g[0])
    above = m[-1] + (grade - g[-1]) * (m[-1] - m[-2]) / (g[-1] - g[-2])
    return np.clip(np.where(grade < g[0], below, np.where(grade > g[-1], above, inside)),
                   0.0, 1.0)


def additive(spec: RunSpec, table: tuple[Cell, ...], leave_out: bool = True) -> np.ndarray:
    """2030 levels of the additive corner baseline, (future, trend); ``leave_out``: each
    future predicted from the other futures' cells only."""
    axes = narrative_fit.DIGEST_AXES
    trends = list(spec.world.trends)
    futures = [f.label for f in spec.futures]
    swing = np.array([axes[t] for t in trends])  # (trend, 2): a_s, a_w
    side = np.array([[1.0 if f.ownership >= 0.5 else -1.0, 1.0 if f.purpose >= 0.5 else -1.0]
                     for f in spec.futures])  # (future, 2)
    effect = side @ swing.T / 2  # (future, trend)
    grade = np.full(effect.shape, np.nan)
    for c in table:
        grade[futures.index(c.future), trends.index(c.trend)] = GRADES[c.level]
    out = np.empty_like(effect)
    for i in range(len(futures)):
        others = [j for j in range(len(futures)) if j != i or not leave_out]
        out[i] = np.nanmean(grade[others] - effect[others], axis=0) + effect[i]
    return grade_level(out)


def validate(cfg: DictConfig, spec: RunSpec,  # long: the splits share the arrays `record` fills
             protocol: Protocol | None = None) -> xr.Dataset:
    """Score every split; the dataset of ``validation.nc``. ``protocol``: how much work the
    refits do (default: the config's ``validate`` node)."""
    protocol = Protocol.of(cfg) if protocol is None else protocol
    score = protocol.score
    study_cells = cells()
    ranking = rankings()
    futures = [f.label for f in spec.futures]
    table = tuple(c for c in study_cells if c.future in futures)
    trends = list(spec.world.trends)
    n = len(table)
    scored = np.zeros((len(SPLITS), n), dtype=bool)
    result = np.zeros((len(SPLITS), n), dtype=bool)
    end_median = np.full((len(SPLITS), n), np.nan)
    at = [(futures.index(c.future), trends.index(c.trend)) for c in table]

    def record(split: str, start: np.ndarray, end: np.ndarray, which: np.ndarray) -> None:
        s = SPLITS.index(split)
        ok = held(table, futures, trends, start, end)
        scored[s] |= which
        result[s] = np.where(which, ok, result[s])
        values = np.array([end[a] for a in at])
        end_median[s] = np.where(which, values, end_median[s])

    everything = np.ones(n, dtype=bool)
    start, end = medians(spec, spec.world, score)
    record("in_sample", start, end, everything)
    record("flat", start, start, everything)
    record("additive", start, additive(spec, table), everything)
    additive_in_sample = int(held(table, futures, trends, start,
                                  additive(spec, table, leave_out=False)).sum())

    training_held = np.zeros(len(futures), dtype=int)
    training_total = np.zeros(len(futures), dtype=int)
    cell_p, rank_p = probabilities(spec, table, score)
    prior_cell_p, prior_rank_p = probabilities(spec, table, score, posterior=False)
    jobs = [(tuple(c for c in study_cells if c.future != future),
             {f: r for f, r in ranking.items() if f != future}) for future in futures]
    jobs.append((tuple(c for c in study_cells if c.basis != "TEXT"), ranking))
    log.info("validate: %d refits (leave each future out, leave the TEXT cells out), "
             "%s least-squares evaluations each on %d members, posteriors of %d particles "
             "x %d moves, %d in parallel", len(jobs), protocol.fit_iterations or "unbounded",
             protocol.members, protocol.particles, protocol.moves, protocol.jobs)
    done = refits(cfg, spec, jobs, protocol)
    fit_nfev, fit_njev, fit_status, smc_stages = (
        np.array([d[2].get(k, -1) for d in done], dtype=int)
        for k in ("nfev", "njev", "status", "stages"))  # -1: not reported
    for i, future in enumerate(futures):
        s_, e_, _ = done[i]
        which = np.array([c.future == future for c in table])
        record("leave_one_future_out", s_, e_, which)
        ok = held(table, futures, trends, s_, e_)
        training_held[i] = int(ok[~which].sum())
        training_total[i] = int((~which).sum())
    s_, e_, _ = done[-1]
    record("leave_text_out", s_, e_, np.array([c.basis == "TEXT" for c in table]))

    basis = np.array([c.basis for c in table])
    future_of = np.array([c.future for c in table])
    held_by_basis = np.array([[int((result[s] & scored[s] & (basis == b)).sum()) for b in BASES]
                              for s in range(len(SPLITS))])
    scored_by_basis = np.array([[int((scored[s] & (basis == b)).sum()) for b in BASES]
                                for s in range(len(SPLITS))])
    held_by_future = np.array([[int((result[s] & scored[s] & (future_of == f)).sum())
                                for f in futures] for s in range(len(SPLITS))])
    scored_by_future = np.array([[int((scored[s] & (future_of == f)).sum()) for f in futures]
                                 for s in range(len(SPLITS))])
    ds = xr.Dataset(
        {
            "held": (("split", "cell"), result & scored),
            "scored": (("split", "cell"), scored),
            "median_2030": (("split", "cell"), end_median),
            "cells_held": ("split", (result & scored).sum(axis=1).astype(int)),
            "cells_scored": ("split", scored.sum(axis=1).astype(int)),
            "cells_total": ((), n),
            "cells_held_by_basis": (("split", "basis"), held_by_basis),
            "cells_scored_by_basis": (("split", "basis"), scored_by_basis),
            "cells_total_by_basis": ("basis", [int((basis == b).sum()) for b in BASES]),
            "cells_held_by_future": (("split", "future"), held_by_future),
            "cells_scored_by_future": (("split", "future"), scored_by_future),
            "training_held": ("future", training_held),
            "training_total": ("future", training_total),
            "cell_probability": ("cell", cell_p),
            "cell_probability_prior": ("cell", prior_cell_p),
            "rank_probability": (("future", "area"), rank_p),
            "rank_probability_prior": (("future", "area"), prior_rank_p),
            "fit_nfev": ("refit", fit_nfev),
            "fit_njev": ("refit", fit_njev),
            "fit_status": ("refit", fit_status),
            "posterior_stages": ("refit", smc_stages),
        },
        coords={"split": list(SPLITS), "basis": list(BASES), "future": futures,
                "cell": np.arange(n), "area": list(spec.world.areas),
                "refit": [f"{f}_out" for f in futures] + ["text_out"],
                "cell_future": ("cell", future_of), "cell_trend": ("cell", [c.trend for c in table]),
                "cell_basis": ("cell", basis),
                "cell_expected": ("cell", [f"{c.direction}, {c.level}" for c in table])},
        attrs={"members": score, "fit_members": protocol.members,
               "fit_iterations": ("unbounded" if protocol.fit_iterations is None
                                  else protocol.fit_iterations),
               "posterior_particles": protocol.particles,
               "posterior_moves": protocol.moves, "seed": spec.seed,
               "ensemble": "prior" if spec.prior else "posterior"},
    )
    describe(ds)
    lofo = int(ds["cells_held"].sel(split="leave_one_future_out"))
    ds.attrs["gap_in_minus_out"] = int(ds["cells_held"].sel(split="in_sample")) - lofo
    ds.attrs["above_additive"] = lofo - int(ds["cells_held"].sel(split="additive"))
    ds.attrs["additive_in_sample"] = additive_in_sample
    return ds


#: ``long_name`` of every variable of ``validation.nc`` (all are counts, flags, shares or
#: levels: units "1").
LONG_NAMES = {
    "held": "the cell's direction and level band hold for the ensemble medians",
    "scored": "the cell is scored in the split",
    "median_2030": "ensemble median of the cell's trend level in 2030",
    "cells_held": "narrative cells held",
    "cells_scored": "narrative cells scored",
    "cells_total": "narrative cells of the run's futures",
    "cells_held_by_basis": "cells held per basis",
    "cells_scored_by_basis": "cells scored per basis",
    "cells_total_by_basis": "cells per basis",
    "cells_held_by_future": "cells held per future",
    "cells_scored_by_future": "cells scored per future",
    "training_held": "training cells held by the leave-one-future-out refit",
    "training_total": "training cells of the leave-one-future-out refit",
    "cell_probability": "posterior probability of the cell: share of the default "
                        "ensemble's members whose own path holds it",
    "cell_probability_prior": "prior probability of the cell: the same share in the prior "
                              "ensemble (ensemble.prior=true)",
    "rank_probability": "posterior probability that the area takes its ranking position "
                        "(study.narratives.rankings) in the future, by 2030 impact index",
    "rank_probability_prior": "the same in the prior ensemble",
    "fit_nfev": "least-squares function evaluations of the refit",
    "fit_njev": "least-squares Jacobian evaluations of the refit",
    "fit_status": "scipy least_squares status of the refit: 0 = stopped by "
                  "validate.fit_iterations, 1-4 = by one of its own tolerances",
    "posterior_stages": "tempering stages of the refit's posterior",
}


def describe(ds: xr.Dataset) -> None:
    """Give every variable of ``validation.nc`` its ``units`` and ``long_name``."""
    for name, text in LONG_NAMES.items():
        if name in ds:
            ds[name].attrs.update(units="1", long_name=text)

r"""``futures portfolio``: a robust many-objective search over lever portfolios.

A portfolio :math:`x \in [0, 1]^K` sets every lever. Each candidate runs every chosen future
on the same members and event draws (common random numbers: the members are drawn once
from the run's seed, so two candidates differ only by their levers, in every generation).
With :math:`y_{fma}(x)` the impact of area :math:`a` in future :math:`f`, member :math:`m`
in the judged year, the search (NSGA-II, :mod:`pymoo`) minimises

.. math::

    -Q_q\{y_{fma}(x)\}_{f,m} \;\; (a = 1..A), \qquad C(x)
    \quad \text{subject to} \quad C(x) \le B

where :math:`Q_q` is the ``q`` quantile over every simulated world of every future (the
bad-luck outcome, high is good) and :math:`C` the yearly cost
(:mod:`scenarios.analysis.robustness.costs`), :math:`B` the budget. The 2021 reference is
evaluated beside the search. After the search the feasible non-dominated portfolios are
judged like ``futures robustness`` judges settings: regret per simulated world against the
best of the portfolios and the reference (median, 90th percentile, max), satisficing (the
share of worlds in which the area does not worsen since 2021), the per-future median.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from omegaconf import DictConfig

from scenarios.analysis.robustness.compute import evaluate
from scenarios.analysis.robustness.config import RobustnessSpec, Setting, judged_year
from scenarios.analysis.robustness.costs import cost_of, reference_budget
from scenarios.analysis.robustness.regret import world_regret
from scenarios.config.checks import expect, integer, mapping, number
from scenarios.config.compose import check, config_text, resolved
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import coord, label_coords, name_coordinates, provenance, var
from scenarios.engine.names import PORTFOLIOS
from scenarios.engine.storage import write_atomic

log = logging.getLogger("futures")

#: Portfolio settings are rounded down to this step (readable, and rounding down keeps the
#: budget).
STEP = 0.01


@dataclass(frozen=True)
class PortfolioSpec:
    """A validated ``portfolio`` node (see ``conf/portfolio.yaml``)."""

    budget: float
    budget_2021: float
    members: int
    population: int
    generations: int
    quantile: float
    year: float
    time_index: int


def portfolio_spec(node: Mapping[str, Any], spec: RunSpec) -> PortfolioSpec:
    """Check the ``portfolio`` node against the run.

    Parameters
    ----------
    node : mapping
        ``portfolio`` as plain containers (``conf/portfolio.yaml`` and the overrides).
    spec : RunSpec
        The validated run: its levers, their costs (``study.costs``) and time points.

    Returns
    -------
    PortfolioSpec
        The budget (default the 2021 total), the search's size and the judging rule.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    node = mapping("portfolio", node)
    world = spec.world
    ref_budget = reference_budget(spec.study, world.levers, world.lever_reference)
    expect(ref_budget > 0, "study.costs", "{}",
           "futures portfolio needs lever costs: study.costs.<lever>.{reference,low,high,source}")
    budget = node.get("budget")
    budget = ref_budget if budget is None else number("portfolio.budget", budget, 0.0, 1e6)
    year, index = judged_year("portfolio.year", node.get("year"), world)
    return PortfolioSpec(
        budget=float(budget), budget_2021=ref_budget,
        members=integer("portfolio.members", node.get("members", 48), 4, 4096),
        population=integer("portfolio.population", node.get("population", 24), 4, 1000),
        generations=integer("portfolio.generations", node.get("generations", 10), 1, 1000),
        quantile=number("portfolio.quantile", node.get("quantile", 0.1), 0.0, 1.0,
                        open_low=True, open_high=True),
        year=year, time_index=index)


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures portfolio`` (before Hydra makes a folder)."""
    portfolio_spec(resolved(cfg).get("portfolio", {}), check(cfg))


class Evaluator:
    """Impacts of lever portfolios on common random numbers, with a count of simulations."""

    def __init__(self, spec: RunSpec, port: PortfolioSpec, config: Mapping[str, Any]):
        self.spec = replace(spec, members=port.members)
        self.port = port
        self.config = config
        self.calls = 0
        self.candidates = 0

    def impacts(self, X: np.ndarray) -> np.ndarray:
        """Impacts, shape (N, F, M, A), of the portfolios ``X`` (N, K)."""
        settings = tuple(Setting(f"p{i}", {}, np.asarray(x, float)) for i, x in enumerate(X))
        robust = RobustnessSpec(settings=settings, statistic="median", quantile=0.5,
                                year=self.port.year, time_index=self.port.time_index,
                                tolerance=0.0, election_plans="replace")
        self.calls += 1
        self.candidates += len(X)
        return evaluate(self.spec, robust, self.config)

    def objectives(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(F to minimise (N, A + 1), constraint G (N, 1) <= 0, impacts)."""
        y = self.impacts(X)
        flat = y.reshape(y.shape[0], -1, y.shape[-1])
        bad_luck = np.quantile(flat, self.port.quantile, axis=1)
        world = self.spec.world
        cost = cost_of(X, self.spec.study, world.levers, world.lever_reference)[0]
        F = np.column_stack([-bad_luck, cost])
        return F, (cost - self.port.budget)[:, None], y


def search(ev: Evaluator, seed: int) -> np.ndarray:
    """NSGA-II over the levers; the feasible non-dominated portfolios, rounded down to
    :data:`STEP`, unique, shape (P, K)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    n_lev = len(ev.spec.world.levers)
    n_obj = len(ev.spec.world.areas) + 1

    class _Problem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=n_lev, n_obj=n_obj, n_ieq_constr=1, xl=0.0, xu=1.0)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any,
                      **kwargs: Any) -> None:
            F, G, _ = ev.objectives(x)
            out["F"], out["G"] = F, G

    result = minimize(_Problem(), NSGA2(pop_size=ev.port.population),
                      ("n_gen", ev.port.generations), seed=seed % (2**32), verbose=False)
    X = np.atleast_2d(result.X) if result.X is not None else np.zeros((0, n_lev))
    X = np.floor(np.clip(X, 0.0, 1.0) / STEP + 1e-9) * STEP
    return np.unique(np.round(X, 6), axis=0)


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``F`` (minimised) no other row dominates."""
    better_eq = (F[:, None, :] <= F[None, :, :]).all(axis=2)
    strictly = (F[:, None, :] < F[None, :, :]).any(axis=2)
    dominated = (better_eq & strictly).any(axis=0)
    return np.asarray(~dominated)


def to_dataset(spec: RunSpec, port: PortfolioSpec, X: np.ndarray, names: list[str],
               y: np.ndarray, cost: np.ndarray, ev: Evaluator, seconds: float,
               config_yaml: str) -> xr.Dataset:
    """Label the search's portfolios as the ``portfolios.nc`` Dataset."""
    futures = [f.label for f in spec.futures]
    areas, levers = list(spec.world.areas), list(spec.world.levers)
    flat = y.reshape(y.shape[0], -1, y.shape[-1])
    worlds = world_regret(y, 0.0)
    per = ("portfolio", "area")
    return xr.Dataset(
        data_vars={
            "lever_setting": var(("portfolio", "lever"), X,
                                 "lever setting (0 stopped, 0.5 NDS 2021 reference, 1 doubled)"),
            "cost": var("portfolio", cost[0], "public cost, central (study.costs)",
                        units="EUR million per year"),
            "cost_low": var("portfolio", cost[1], "public cost, low end of its range",
                            units="EUR million per year"),
            "cost_high": var("portfolio", cost[2], "public cost, high end of its range",
                             units="EUR million per year"),
            "bad_luck": var(per, np.quantile(flat, port.quantile, axis=1),
                            f"{port.quantile:.0%} quantile over simulated worlds of the impact "
                            f"index in {port.year:g} (an objective, maximised)"),
            "median_outcome": var(("portfolio", "future", "area"), np.median(y, axis=2),
                                  f"median over members of the impact index in {port.year:g}"),
            "worst_future_median": var(per, np.median(y, axis=2).min(axis=1),
                                       "smallest per-future median of the impact index"),
            "world_regret_median": var(per, worlds.median,
                                       "median over simulated worlds of the regret against "
                                       "the best of these portfolios in that world"),
            "world_regret_p90": var(per, worlds.p90, "90th percentile of that regret"),
            "world_regret_max": var(per, worlds.max, "largest regret over simulated worlds"),
            "satisficing": var(per, worlds.satisficing,
                               "share of simulated worlds in which the area does not worsen "
                               "since 2021"),
        },
        coords={
            "portfolio": coord("portfolio", names, "lever portfolio label"),
            **label_coords(future=futures, area=areas, lever=levers),
            **name_coordinates({"future": futures, "area": areas, "lever": levers}, spec.study),
        },
        attrs=provenance(
            "futures portfolio: robust lever portfolios under a budget", spec.seed, config_yaml,
            method="NSGA-II (pymoo) on common random numbers; objectives per area: the "
                   f"{port.quantile:g} quantile over simulated worlds of the impact index "
                   "(maximised), and the cost (minimised); constraint cost <= budget "
                   "(docs/portfolio.md)",
            budget=port.budget, budget_2021=port.budget_2021, cost_units="EUR million per year",
            year=port.year, quantile=port.quantile, members=port.members,
            population=port.population, generations=port.generations,
            candidates_simulated=ev.candidates, search_seconds=round(seconds, 2)),
    )


def run_search(cfg: DictConfig) -> xr.Dataset:
    """Search, then evaluate the non-dominated portfolios and the reference together."""
    spec = check(cfg)
    node = resolved(cfg)
    port = portfolio_spec(node.get("portfolio", {}), spec)
    ev = Evaluator(spec, port, node)
    started = time.perf_counter()
    X = search(ev, spec.seed)
    seconds = time.perf_counter() - started
    log.info("NSGA-II: %d candidates in %.1f s", ev.candidates, seconds)
    ref = np.asarray(spec.world.lever_reference, float)[None, :]
    X = X[~np.all(np.isclose(X, ref), axis=1)]
    all_x = np.vstack([ref, X])
    F, G, y = ev.objectives(all_x)
    keep = np.ones(len(all_x), bool)
    keep[1:] = (G[1:, 0] <= 1e-9) & non_dominated(F[1:])
    all_x, y = all_x[keep], y[keep]
    order = np.argsort(-np.quantile(y.reshape(len(y), -1, y.shape[-1]), port.quantile,
                                    axis=1).mean(axis=1)[1:], kind="stable") + 1
    all_x, y = all_x[np.r_[0, order]], y[np.r_[0, order]]
    names = ["reference"] + [f"P{i + 1}" for i in range(len(all_x) - 1)]
    world = spec.world
    cost = cost_of(all_x, spec.study, world.levers, world.lever_reference)
    return to_dataset(spec, port, all_x, names, y, cost, ev, seconds, config_text(cfg))


def portfolio_job(cfg: DictConfig, output_dir: Path) -> Path:
    """The ``futures portfolio`` task: search, write ``portfolios.nc``, csv, md and figure."""
    from scenarios.analysis.portfolio.report import write_reports

    ds = run_search(cfg)
    write_reports(ds, output_dir)
    path = write_atomic(ds, output_dir / PORTFOLIOS, compression=1)
    log.info("wrote %s", path)
    return path

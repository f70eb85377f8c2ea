"""``futures robustness``: lever settings across the futures, with common random numbers.

Every setting (:mod:`scenarios.analysis.robustness.config`) runs every chosen future on the *same*
members: the same sampled world uncertainties (drawn per future from the run's seed, as
``futures run`` draws them) and the same event draws (per member, see
:func:`models.events.draw_pools`). Only the levers differ, so a difference between two
settings is the levers' doing, not sampling noise. The outcome in the judged year is
summarised per setting, future and area, and :mod:`scenarios.analysis.robustness.regret` turns the summaries
into regret, worst case, spread and the no-regret settings.

Outputs in the run directory: ``robustness.nc``, ``regret.csv``, ``regret.md`` and the
figure ``robustness.png`` / ``.svg`` (:mod:`scenarios.analysis.robustness.report`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from omegaconf import DictConfig

from models.ensemble import Future
from scenarios.analysis.robustness.config import RobustnessSpec, Setting, robustness_spec
from scenarios.analysis.robustness.costs import cost_of, reference_budget
from scenarios.analysis.robustness.regret import Regret, regret_of, summarise, world_regret
from scenarios.config.compose import check, config_text, resolved
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import futures_coords, label_coords, position, provenance, var
from scenarios.engine.names import ROBUSTNESS
from scenarios.engine.storage import write_atomic
from scenarios.engine.year_impacts import impacts_on_worlds

log = logging.getLogger("futures")


def robustness_of(cfg: DictConfig, spec: RunSpec) -> RobustnessSpec:
    """The ``robustness`` section of a composed config, checked against the run's world.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    return robustness_spec(resolved(cfg).get("robustness", {}), spec.world)


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures robustness`` (before Hydra makes a folder)."""
    robustness_of(cfg, check(cfg))


def setting_futures(spec: RunSpec, setting: Setting, plans: str) -> list[Future]:
    """The run's futures with the levers of ``setting``.

    With ``plans="replace"`` every lever holds the setting's value in every future; with
    ``"keep"`` the setting's named levers replace the future's own (``future.LABEL.levers``)
    and the other levers keep the future's values.
    """
    full = dict(zip(spec.world.levers, (float(v) for v in setting.values)))
    out = []
    for fut in spec.futures:
        levers = full if plans == "replace" else {**full, **fut.levers, **setting.changes}
        out.append(Future(label=fut.label, ownership=fut.ownership, purpose=fut.purpose,
                          drivers=dict(fut.drivers), levers=levers))
    return out


def events_node(config: Mapping[str, Any], plans: str) -> Mapping[str, Any]:
    """The ``events`` node for the settings' runs: without the election lever plans when the
    setting replaces them (elections still happen; they change no lever)."""
    node = dict(config.get("events", {}))
    if plans == "replace" and "elections" in node:
        node["elections"] = {k: v for k, v in dict(node["elections"]).items() if k != "policy"}
    return node


def evaluate(spec: RunSpec, robust: RobustnessSpec, config: Mapping[str, Any], *,
             batch_members: int | None = None) -> np.ndarray:
    """Impacts in the judged year of every setting, future and member.

    Parameters
    ----------
    spec : RunSpec
        The validated run.
    robust : RobustnessSpec
        The settings and how they are judged (:func:`robustness_of`).
    config : mapping
        The resolved config as plain containers (its ``events`` node is rebuilt per batch of
        settings, since election plans are relative to the futures' levers).
    batch_members : int, optional
        Settings x futures x members simulated per call (default ``ensemble.batch``); the
        result does not depend on it.

    Returns
    -------
    ndarray, shape (S, F, M, A)
        The impact index of each area in ``robust.year``.
    """
    futures = [f for s in robust.settings for f in setting_futures(spec, s, robust.election_plans)]
    out = impacts_on_worlds(spec, futures, [f.label for f in spec.futures], spec.members,
                            robust.time_index, events_node(config, robust.election_plans),
                            batch_members=batch_members)  # every setting on the same worlds
    return out.reshape(len(robust.settings), len(spec.futures), spec.members, -1)


def analyse(impacts: np.ndarray, robust: RobustnessSpec) -> Regret:
    """Summarise members per setting, future and area, then compute the regret."""
    outcome = summarise(impacts, robust.statistic, robust.quantile, axis=2)
    return regret_of(outcome, robust.tolerance)


def statistic_label(robust: RobustnessSpec | Any) -> str:
    """``median``, ``mean`` or e.g. ``10% quantile``, for titles and attrs."""
    if robust.statistic == "quantile":
        return f"{robust.quantile:.0%} quantile"
    return str(robust.statistic)


def _policy_vars(cost: np.ndarray, budget: float, worlds: Any, threshold: float,
                 flag: dict[str, Any]) -> dict[str, Any]:
    """The cost of each setting and its per-world regret and satisficing variables."""
    per_setting = ("setting", "area")
    robust_threshold = threshold
    return {
            "cost": var("setting", cost[0], "public cost, central (study.costs)",
                        units="EUR million per year"),
            "cost_low": var("setting", cost[1], "public cost, low end of its range",
                            units="EUR million per year"),
            "cost_high": var("setting", cost[2], "public cost, high end of its range",
                             units="EUR million per year"),
            "within_budget": var("setting", (cost[0] <= budget + 1e-9).astype(np.int8),
                                 f"1 if the central cost is <= the budget ({budget:g})",
                                 **flag),
            "world_regret_median": var(per_setting, worlds.median,
                                       "median over simulated worlds (every future and "
                                       "member) of the regret in that world"),
            "world_regret_p90": var(per_setting, worlds.p90,
                                    "90th percentile over simulated worlds of the regret"),
            "world_regret_max": var(per_setting, worlds.max,
                                    "largest regret over simulated worlds"),
            "satisficing": var(per_setting, worlds.satisficing,
                               f"share of simulated worlds with impact >= "
                               f"{robust_threshold:g}"),
            "satisficing_future": var(("setting", "future", "area"),
                                      worlds.satisficing_future,
                                      f"share of the future's members with impact >= "
                                      f"{robust_threshold:g}"),
    }


def to_dataset(spec: RunSpec, robust: RobustnessSpec, impacts: np.ndarray, result: Regret,
               config_yaml: str) -> xr.Dataset:
    """Label the robustness analysis as the ``robustness.nc`` Dataset.

    Returns
    -------
    xarray.Dataset
        dims ``setting, future, member, area, lever``; variables ``lever_setting``,
        ``impact``, ``outcome``, ``regret``, ``worst_regret``, ``mean_regret``, ``spread``,
        ``no_regret``, ``no_regret_overall``, ``best_setting``; attrs ``config``, ``seed``,
        ``futures_version`` and the judging rule.
    """
    names = [s.name for s in robust.settings]
    levers = list(spec.world.levers)
    values = np.stack([s.values for s in robust.settings])
    ref = spec.world.lever_reference
    cost = cost_of(values, spec.study, levers, ref)
    budget_2021 = reference_budget(spec.study, levers, ref)
    budget = budget_2021 if robust.budget is None else robust.budget
    worlds = world_regret(impacts, robust.threshold)
    stat = statistic_label(robust)
    year = f"{robust.year:g}"
    flag: dict[str, Any] = {"flag_values": np.array([0, 1], np.int8), "flag_meanings": "no yes"}
    per_setting = ("setting", "area")
    return xr.Dataset(
        data_vars={
            "lever_setting": var(("setting", "lever"),
                                 np.stack([s.values for s in robust.settings]),
                                 "lever setting (0 stopped, 0.5 NDS 2021 reference, 1 doubled)"),
            "impact": var(("setting", "future", "member", "area"), impacts.astype(np.float32),
                          f"impact index in {year} (change since 2021, positive is better)"),
            "outcome": var(("setting", "future", "area"), result.outcome,
                           f"{stat} over members of the impact index in {year}"),
            "regret": var(("setting", "future", "area"), result.regret,
                          "best setting's outcome in this future minus this setting's (>= 0)"),
            "worst_regret": var(per_setting, result.worst, "largest regret over the futures"),
            "mean_regret": var(per_setting, result.mean, "mean regret over the futures"),
            "spread": var(per_setting, result.spread,
                          "largest minus smallest outcome over the futures"),
            "no_regret": var(per_setting, result.no_regret.astype(np.int8),
                             f"1 if the regret is <= {robust.tolerance:g} in every future",
                             **flag),
            "worst_regret_overall": var("setting", result.worst_overall,
                                        "largest regret over the futures and areas"),
            "no_regret_overall": var("setting", result.no_regret_overall.astype(np.int8),
                                     "1 if no-regret in every area", **flag),
            "best_setting": var(("future", "area"), result.best.astype(np.int32),
                                "index (into setting) of the best setting"),
            **_policy_vars(cost, budget, worlds, robust.threshold, flag),
            "position": position(spec.futures),
        },
        coords={**label_coords(setting=names), **futures_coords(spec, spec.members, lever=levers)},
        attrs=provenance(
            "futures robustness: regret of lever settings across the futures", spec.seed,
            config_yaml,
            method="common random numbers: every setting runs the same members and event "
                   "draws per future; regret = best setting's outcome minus this setting's "
                   "(docs/robustness.md)",
            statistic=stat, year=robust.year, tolerance=robust.tolerance,
            election_plans=robust.election_plans, threshold=robust.threshold,
            budget=budget, budget_2021=budget_2021, cost_units="EUR million per year"),
    )


def robustness_job(cfg: DictConfig, output_dir: Path) -> Path:
    """The ``futures robustness`` task: evaluate, write ``robustness.nc``, the tables and the
    figure into ``output_dir``; returns the path of ``robustness.nc``."""
    from scenarios.analysis.robustness.report import write_reports

    spec = check(cfg)
    robust = robustness_of(cfg, spec)
    started = time.perf_counter()
    impacts = evaluate(spec, robust, resolved(cfg))
    log.info("simulated %d settings x %d futures x %d members in %.2f s",
             len(robust.settings), len(spec.futures), spec.members,
             time.perf_counter() - started)
    result = analyse(impacts, robust)
    ds = to_dataset(spec, robust, impacts, result, config_text(cfg))
    write_reports(ds, output_dir)
    path = write_atomic(ds, output_dir / ROBUSTNESS, compression=spec.compression)
    log.info("wrote %s", path)
    return path

r"""``futures discover``: where does a lever setting or portfolio fail? (PRIM)

One setting :math:`x` runs every chosen future on the run's members (the same draws
``futures run`` makes). A simulated world :math:`(f, m)` *fails* when

.. math::

    \min_{a \in \mathcal{A}} y_{fma}(x) < \theta

with :math:`\mathcal{A}` the chosen area (or every area) and :math:`\theta` the threshold
(0: worse than 2021) in the judged year. PRIM (Friedman and Fisher's Patient Rule Induction
Method, :mod:`ema_workbench.analysis.prim`) peels the space of the inputs - every sampled
uncertain parameter that varies, and the future's ``ownership`` and ``purpose`` - towards a
box where failures are dense. *Coverage* is the share of all failures inside the box,
*density* the share of worlds inside the box that fail, *mass* the share of worlds in it.
The box reported is the one with the most coverage among those that restrict at least one
input and have density at least ``discover.density`` - or, when the failure rate of the whole
space is already that high, halfway from it to 1 - else the densest; the whole peeling
trajectory is kept.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from scenarios.analysis.robustness.compute import evaluate
from scenarios.analysis.robustness.config import RobustnessSpec, Setting, judged_year
from scenarios.analysis.robustness.costs import cost_of
from scenarios.config.checks import expect, integer, label, mapping, number
from scenarios.config.compose import check, resolved
from scenarios.config.schema import RunSpec
from scenarios.engine.seeds import draw_members

log = logging.getLogger("futures")


@dataclass(frozen=True)
class DiscoverSpec:
    """A validated ``discover`` node."""

    name: str
    values: np.ndarray
    area: str | None
    threshold: float
    density: float
    year: float
    time_index: int
    max_dims: int | None = 3


def discover_spec(node: Mapping[str, Any], spec: RunSpec) -> DiscoverSpec:
    """Check the ``discover`` node; read the portfolio if one is named.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    node = mapping("discover", node)
    world = spec.world
    values = np.array(world.lever_reference, float)
    name = "reference"
    changes = mapping("discover.setting", node.get("setting") or {})
    for lever, v in changes.items():
        label(f"discover.setting.{lever}", lever, world.levers, "lever")
        values[world.levers.index(str(lever))] = number(f"discover.setting.{lever}", v, 0.0, 1.0)
    if changes:
        name = ",".join(f"{k}={float(v):g}" for k, v in changes.items())
    path, chosen = node.get("portfolios"), node.get("portfolio")
    expect((path is None) == (chosen is None), "discover.portfolio", chosen,
           "give both discover.portfolios=PATH (a portfolios.nc) and discover.portfolio=NAME")
    if path is not None:
        import xarray as xr

        expect(Path(str(path)).is_file(), "discover.portfolios", path,
               "expected the path of a portfolios.nc written by futures portfolio")
        with xr.open_dataset(str(path), engine="h5netcdf") as ds:
            names = tuple(str(p) for p in ds.portfolio.values)
            label("discover.portfolio", chosen, names, "portfolio")
            expect([str(k) for k in ds.lever.values] == list(world.levers),
                   "discover.portfolios", path, f"expected the levers {list(world.levers)}")
            values = ds.lever_setting.sel(portfolio=str(chosen)).values.astype(float)
        name = str(chosen)
    area = node.get("area")
    if area is not None:
        area = label("discover.area", area, world.areas, "area")
    year, index = judged_year("discover.year", node.get("year"), world)
    return DiscoverSpec(
        name=name, values=values, area=area,
        threshold=number("discover.threshold", node.get("threshold", 0.0), -10.0, 10.0),
        density=number("discover.density", node.get("density", 0.8), 0.0, 1.0,
                       open_low=True),
        year=year, time_index=index,
        max_dims=None if node.get("max_dims", 3) is None else
        integer("discover.max_dims", node.get("max_dims", 3), 1, 1000))


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures discover`` (before Hydra makes a folder)."""
    discover_spec(resolved(cfg).get("discover", {}), check(cfg))


@dataclass
class Discovery:
    """The inputs, failures and PRIM result."""

    inputs: pd.DataFrame
    failed: np.ndarray
    impacts: np.ndarray
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    full: pd.DataFrame
    cost: np.ndarray


def inputs_of(spec: RunSpec, members: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One row per (future, member): every varying sampled parameter, ownership, purpose."""
    n_fut, n_mem = len(spec.futures), spec.members
    cols: dict[str, np.ndarray] = {}
    for name, values in members.items():
        flat = np.asarray(values, float).reshape(-1)
        if flat.size == n_fut * n_mem and np.ptp(flat) > 0:
            cols[name] = flat
    cols["ownership"] = np.repeat([f.ownership for f in spec.futures], n_mem)
    cols["purpose"] = np.repeat([f.purpose for f in spec.futures], n_mem)
    return pd.DataFrame(cols)


def chosen_box(traj: pd.DataFrame, target: float, max_dims: int | None) -> int:
    """The box reported from a peeling trajectory: the most coverage among boxes with density
    >= ``target`` that restrict 1 to ``max_dims`` inputs (a signpost a reader can watch);
    when none of those is that dense, the densest of them; with no such box (or
    ``max_dims=None``) the same over every box that restricts something."""
    some = traj["res_dim"] > 0
    few = some & (traj["res_dim"] <= (max_dims or np.inf))
    pool = traj[few] if few.any() else traj[some] if some.any() else traj
    dense = pool.index[pool["density"] >= target - 1e-12]
    return int(pool.loc[dense, "coverage"].idxmax()) if len(dense) else \
        int(pool["density"].idxmax())


def discover(spec: RunSpec, disc: DiscoverSpec, config: Mapping[str, Any]) -> Discovery:
    """Simulate the setting, mark failures and run PRIM."""
    from ema_workbench.analysis import prim

    setting = Setting(disc.name, {}, disc.values)
    robust = RobustnessSpec(settings=(setting, setting), statistic="median", quantile=0.5,
                            year=disc.year, time_index=disc.time_index, tolerance=0.0,
                            election_plans="replace")
    y = evaluate(spec, robust, config)[0]  # (F, M, A)
    areas = list(spec.world.areas)
    judged = y if disc.area is None else y[..., [areas.index(disc.area)]]
    failed = (judged < disc.threshold).any(axis=-1).reshape(-1)
    x = inputs_of(spec, draw_members(spec))
    world = spec.world
    cost = cost_of(disc.values, spec.study, world.levers, world.lever_reference)
    if failed.all() or not failed.any():
        traj = pd.DataFrame({"id": [0], "coverage": [1.0 if failed.any() else 0.0],
                             "density": [float(failed.mean())], "mass": [1.0],
                             "res_dim": [0], "n": [len(failed)], "k": [int(failed.sum())]})
        full = pd.DataFrame({c: [x[c].min(), x[c].max()] for c in x.columns})
        return Discovery(x, failed, y, traj, 0, full.iloc[:, :0], full, cost)
    base = float(failed.mean())
    target = disc.density if disc.density > base else base + (1.0 - base) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, failed, threshold=target)
        box = finder.find_box()
    traj = box.peeling_trajectory.copy()
    chosen = chosen_box(traj, target, disc.max_dims)
    lims = box.box_lims[chosen]
    full = box.box_lims[0]
    restricted = [c for c in lims.columns
                  if not np.allclose(lims[c].values.astype(float), full[c].values.astype(float))]
    return Discovery(x, failed, y, traj, chosen, lims[restricted], full, cost)

r"""``futures plane``: the impact areas mapped over the plane of the two axes.

A future is a point (ownership, purpose) in :math:`[0, 1]^2` (docs/model.md; NDS 2021 L3414-3434). The
plane runs a ``grid x grid`` lattice of such points as futures, all on the *same* members
and event draws (common random numbers: one member sample, keyed ``plane``, for every
point), so the map changes with the position only. The axis drivers follow the position
(:meth:`models.ensemble.Future.driver_targets`); the other drivers a future may override
(``eu_regulation``) are either held at their 2021 value or spread over the plane from the
chosen futures by a thin-plate spline through their positions (exact at each future,
clipped to [0, 1]).

Per grid point and area the members' outcome in the judged year is summarised; the
gradient :math:`\nabla y = (\partial y/\partial\,\mathrm{ownership},
\partial y/\partial\,\mathrm{purpose})` (central differences, per unit of axis) shows where
outcomes change fastest. The chosen futures themselves run on the same members, with their
own overrides and lever plans, for comparison with the map at their positions.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import DictConfig
from scipy.interpolate import RBFInterpolator, RegularGridInterpolator

from models.ensemble import Future
from scenarios.analysis.plane.config import PlaneSpec, plane_spec
from scenarios.analysis.robustness.regret import summarise
from scenarios.config.compose import check, config_text, resolved
from scenarios.config.schema import RunSpec
from scenarios.engine.dataset import coord, futures_coords, label_coords, position, provenance, var
from scenarios.engine.names import PLANE
from scenarios.engine.storage import write_atomic
from scenarios.engine.year_impacts import impacts_on_worlds

log = logging.getLogger("futures")
#: The label the plane's common members are drawn under (as a future's label would be).
MEMBERS_KEY = "plane"


def plane_of(cfg: DictConfig, spec: RunSpec) -> PlaneSpec:
    """The ``plane`` section of a composed config, checked against the run.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    return plane_spec(resolved(cfg).get("plane", {}), spec.world, spec.design, spec.futures)


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures plane`` (before Hydra makes a folder)."""
    plane_of(cfg, check(cfg))


def driver_fields(spec: RunSpec, axis: np.ndarray, mode: str) -> dict[str, np.ndarray]:
    """Values of the overridden drivers at every grid point, shape (G, G) each.

    Only drivers some chosen future overrides are spread; in ``status_quo`` mode none are.
    With fewer than three futures the spline is fitted without its linear part.
    """
    names = sorted({d for f in spec.futures for d in f.drivers})
    if mode == "status_quo" or not names:
        return {}
    points = np.array([[f.ownership, f.purpose] for f in spec.futures])
    own, pur = np.meshgrid(axis, axis, indexing="ij")
    where = np.column_stack([own.ravel(), pur.ravel()])
    out = {}
    for name in names:
        sq = spec.world.status_quo[spec.world.drivers.index(name)]
        values = np.array([f.drivers.get(name, sq) for f in spec.futures])
        unique = np.unique(points, axis=0)
        if len(unique) < len(points):  # two futures at one spot: average them there
            values = np.array([values[(points == p).all(axis=1)].mean() for p in unique])
            points_used = unique
        else:
            points_used = points
        degree = 1 if len(points_used) >= 3 else 0
        try:
            spline = RBFInterpolator(points_used, values, kernel="thin_plate_spline",
                                     degree=degree)
        except (np.linalg.LinAlgError, ValueError):  # futures on one line: no plane fits
            spline = RBFInterpolator(points_used, values, kernel="thin_plate_spline", degree=0)
        out[name] = np.clip(spline(where).reshape(own.shape), 0.0, 1.0)
    return out


def grid_futures(spec: RunSpec, plane: PlaneSpec) -> tuple[np.ndarray, list[Future],
                                                           dict[str, np.ndarray]]:
    """The axis values, the grid's futures (ownership-major) and the spread drivers."""
    axis = np.linspace(0.0, 1.0, plane.grid)
    fields = driver_fields(spec, axis, plane.drivers)
    futures = []
    for i, own in enumerate(axis):
        for j, pur in enumerate(axis):
            drivers = {name: float(v[i, j]) for name, v in fields.items()}
            futures.append(Future(label=f"plane_{i}_{j}", ownership=float(own),
                                  purpose=float(pur), drivers=drivers))
    return axis, futures, fields


def evaluate(spec: RunSpec, plane: PlaneSpec, events: dict | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Simulate the grid and the chosen futures on common members (drawn under the name
    ``plane``, :mod:`scenarios.engine.seeds`); ``events`` is the ``events`` config node or
    ``None`` (the continuous model).

    Returns
    -------
    axis : ndarray, shape (G,)
    grid : ndarray, shape (G, G, M, A)
        Impacts in the judged year per (ownership, purpose) point.
    own : ndarray, shape (F, M, A)
        The chosen futures' impacts on the same members.
    fields : dict of str to ndarray (G, G)
        The spread drivers.
    """
    axis, futures, fields = grid_futures(spec, plane)
    impacts = impacts_on_worlds(spec, futures + list(spec.futures), [MEMBERS_KEY],
                                plane.members, plane.time_index, events)  # one sample for all
    g = plane.grid
    return axis, impacts[:g * g].reshape(g, g, plane.members, -1), impacts[g * g:], fields


def gradient(outcome: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of ``outcome`` (G, G, A) along ownership and purpose (per unit
    axis): central differences inside, one-sided at the edges."""
    d_own, d_pur = np.gradient(outcome, axis, axis, axis=(0, 1))
    return d_own, d_pur


def to_dataset(spec: RunSpec, plane: PlaneSpec, axis: np.ndarray, grid: np.ndarray,
               own: np.ndarray, fields: dict[str, np.ndarray], config_yaml: str) -> xr.Dataset:
    """Label the plane as the ``plane.nc`` Dataset.

    Returns
    -------
    xarray.Dataset
        dims ``ownership, purpose, member, area, future, axis`` (and ``driver`` when drivers
        are spread); variables ``impact``, ``outcome``, ``gradient_ownership``,
        ``gradient_purpose``, ``gradient_magnitude``, ``future_outcome``, ``plane_at_future``,
        ``position`` (and ``driver_value``); attrs ``config``, ``seed``, ``futures_version``.
    """
    stat = f"{plane.quantile:.0%} quantile" if plane.statistic == "quantile" else plane.statistic
    outcome = summarise(grid, plane.statistic, plane.quantile, axis=2)  # (G, G, A)
    d_own, d_pur = gradient(outcome, axis)
    mine = summarise(own, plane.statistic, plane.quantile, axis=1)  # (F, A)
    positions = np.array([[f.ownership, f.purpose] for f in spec.futures])
    at = RegularGridInterpolator((axis, axis), outcome)(positions)  # (F, A), bilinear
    year = f"{plane.year:g}"
    per_axis = "1 per unit of axis"
    cells = ("ownership", "purpose", "area")
    variables = {
        "impact": var(("ownership", "purpose", "member", "area"), grid.astype(np.float32),
                      f"impact index in {year} (change since 2021, positive is better)"),
        "outcome": var(cells, outcome, f"{stat} over members of the impact index in {year}"),
        "gradient_ownership": var(cells, d_own, "change of the outcome towards the "
                                  "stakeholder model", per_axis),
        "gradient_purpose": var(cells, d_pur, "change of the outcome towards broad welfare",
                                per_axis),
        "gradient_magnitude": var(cells, np.hypot(d_own, d_pur), "how fast the outcome "
                                  "changes with the position (length of the gradient)",
                                  per_axis),
        "future_outcome": var(("future", "area"), mine, f"{stat} of the future's own run "
                              "(its overrides and lever plans) on the plane's members"),
        "plane_at_future": var(("future", "area"), at,
                               "the map at the future's position (bilinear)"),
        "position": position(spec.futures),
    }
    coords = {
        "ownership": coord("ownership", axis, "ownership axis (0 shareholder, 1 stakeholder "
                           "model)", "1"),
        "purpose": coord("purpose", axis, "purpose axis (0 economic growth, 1 broad welfare)",
                         "1"),
        **futures_coords(spec, plane.members),
    }
    if fields:
        names = sorted(fields)
        variables["driver_value"] = var(("ownership", "purpose", "driver"),
                                        np.stack([fields[n] for n in names], axis=-1),
                                        "target of the driver at the grid point (thin-plate "
                                        "spline through the futures' values)")
        coords.update(label_coords(driver=names))
    status_quo = [float(spec.world.status_quo[spec.world.drivers.index(high)])
                  for _, high in spec.world.axes]
    return xr.Dataset(variables, coords=coords, attrs=provenance(
        "futures plane: impact areas over the plane of the two axes", spec.seed, config_yaml,
        method="each grid point is a future at that position; every point runs the same "
               "members and event draws (docs/plane.md)",
        statistic=stat, year=plane.year, drivers=plane.drivers,
        status_quo_position=status_quo))


def plane_job(cfg: DictConfig, output_dir: Path) -> Path:
    """The ``futures plane`` task: simulate the grid, write ``plane.nc`` and the figure into
    ``output_dir``; returns the path of ``plane.nc``."""
    from scenarios.analysis.plane.report import write_figure

    spec = check(cfg)
    plane = plane_of(cfg, spec)
    started = time.perf_counter()
    events = resolved(cfg).get("events", {}) if spec.events is not None else None
    axis, grid, own, fields = evaluate(spec, plane, events)
    log.info("simulated %d grid points x %d members in %.2f s", plane.grid ** 2,
             plane.members, time.perf_counter() - started)
    ds = to_dataset(spec, plane, axis, grid, own, fields, config_text(cfg))
    write_figure(ds, output_dir)
    path = write_atomic(ds, output_dir / PLANE, compression=spec.compression)
    log.info("wrote %s", path)
    return path

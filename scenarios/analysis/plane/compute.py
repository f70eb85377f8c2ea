r"""``futures plane``: the impact areas mapped over the plane of the two axes.

A future is a point (ownership, purpose) in :math:`[0, 1]^2` (DESIGN.md section 2.2). The
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
from dataclasses import replace
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import DictConfig, OmegaConf
from scipy.interpolate import RBFInterpolator, RegularGridInterpolator

from models.ensemble import Future
from scenarios import __version__
from scenarios.analysis.plane.config import PlaneSpec
from scenarios.analysis.robustness.regret import summarise
from scenarios.config.schema import RunSpec
from scenarios.engine.simulate import draw_members, event_rngs
from scenarios.engine.storage import write_atomic
from scenarios.engine.year_impacts import impacts_at
from scenarios.figures.style import name_coordinates

log = logging.getLogger("futures")
PLANE = "plane.nc"
#: The label the plane's common members are drawn under (as a future's label would be).
MEMBERS_KEY = "plane"


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


def evaluate(spec: RunSpec, events: dict | None) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                          dict[str, np.ndarray]]:
    """Simulate the grid and the chosen futures on common members.

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
    plane = spec.plane
    assert plane is not None
    axis, futures, fields = grid_futures(spec, plane)
    common = replace(spec, members=plane.members,
                     futures=[Future(MEMBERS_KEY, 0.5, 0.5)])
    drawn = draw_members(common)  # (1, M): the same members at every point
    everyone = futures + list(spec.futures)
    members = {k: np.repeat(v, len(everyone), axis=0) for k, v in drawn.items()}
    rngs = event_rngs(common) * len(everyone) if spec.events is not None else None
    impacts = impacts_at(spec, everyone, members, plane.members, plane.time_index, events,
                         rngs)
    g = plane.grid
    return axis, impacts[:g * g].reshape(g, g, plane.members, -1), impacts[g * g:], fields


def gradient(outcome: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial derivatives of ``outcome`` (G, G, A) along ownership and purpose (per unit
    axis): central differences inside, one-sided at the edges."""
    d_own, d_pur = np.gradient(outcome, axis, axis, axis=(0, 1))
    return d_own, d_pur


def to_dataset(spec: RunSpec, axis: np.ndarray, grid: np.ndarray, own: np.ndarray,
               fields: dict[str, np.ndarray], config_yaml: str) -> xr.Dataset:
    """Label the plane as the ``plane.nc`` Dataset.

    Returns
    -------
    xarray.Dataset
        dims ``ownership, purpose, member, area, future, axis`` (and ``driver`` when drivers
        are spread); variables ``impact``, ``outcome``, ``gradient_ownership``,
        ``gradient_purpose``, ``gradient_magnitude``, ``future_outcome``, ``plane_at_future``,
        ``position`` (and ``driver_value``); attrs ``config``, ``seed``, ``futures_version``.
    """
    plane = spec.plane
    assert plane is not None
    stat = f"{plane.quantile:.0%} quantile" if plane.statistic == "quantile" else plane.statistic
    outcome = summarise(grid, plane.statistic, plane.quantile, axis=2)  # (G, G, A)
    d_own, d_pur = gradient(outcome, axis)
    mine = summarise(own, plane.statistic, plane.quantile, axis=1)  # (F, A)
    positions = np.array([[f.ownership, f.purpose] for f in spec.futures])
    at = RegularGridInterpolator((axis, axis), outcome)(positions)  # (F, A), bilinear
    labels = [f.label for f in spec.futures]
    areas = list(spec.world.areas)
    year = f"{plane.year:g}"
    per_axis = "1 per unit of axis"
    variables = {
        "impact": (("ownership", "purpose", "member", "area"), grid.astype(np.float32), {
            "units": "1", "long_name": f"impact index in {year} (change since 2021, "
                                       "positive is better)"}),
        "outcome": (("ownership", "purpose", "area"), outcome, {
            "units": "1", "long_name": f"{stat} over members of the impact index in {year}"}),
        "gradient_ownership": (("ownership", "purpose", "area"), d_own, {
            "units": per_axis, "long_name": "change of the outcome towards the stakeholder "
                                            "model"}),
        "gradient_purpose": (("ownership", "purpose", "area"), d_pur, {
            "units": per_axis, "long_name": "change of the outcome towards broad welfare"}),
        "gradient_magnitude": (("ownership", "purpose", "area"), np.hypot(d_own, d_pur), {
            "units": per_axis, "long_name": "how fast the outcome changes with the position "
                                            "(length of the gradient)"}),
        "future_outcome": (("future", "area"), mine, {
            "units": "1", "long_name": f"{stat} of the future's own run (its overrides and "
                                       "lever plans) on the plane's members"}),
        "plane_at_future": (("future", "area"), at, {
            "units": "1", "long_name": "the map at the future's position (bilinear)"}),
        "position": (("future", "axis"), positions, {
            "units": "1", "long_name": "position on the axes (ownership: 0 shareholder, "
                                       "1 stakeholder; purpose: 0 growth, 1 welfare)"}),
    }
    coords = {
        "ownership": ("ownership", axis, {"units": "1", "long_name": "ownership axis "
                                          "(0 shareholder, 1 stakeholder model)"}),
        "purpose": ("purpose", axis, {"units": "1", "long_name": "purpose axis (0 economic "
                                      "growth, 1 broad welfare)"}),
        "member": ("member", np.arange(plane.members), {"units": "1",
                                                        "long_name": "ensemble member"}),
        "area": ("area", areas, {"long_name": "impact area label"}),
        "future": ("future", labels, {"long_name": "future label"}),
        "axis": ("axis", ["ownership", "purpose"], {"long_name": "scenario axis"}),
        **name_coordinates({"future": labels, "area": areas}),
    }
    if fields:
        names = sorted(fields)
        variables["driver_value"] = (("ownership", "purpose", "driver"),
                                     np.stack([fields[n] for n in names], axis=-1), {
            "units": "1", "long_name": "target of the driver at the grid point (thin-plate "
                                       "spline through the futures' values)"})
        coords["driver"] = ("driver", names, {"long_name": "driver label"})
    ds = xr.Dataset(variables, coords=coords, attrs={
        "title": "futures plane: impact areas over the plane of the two axes",
        "method": "each grid point is a future at that position; every point runs the same "
                  "members and event draws (docs/plane.md)",
        "statistic": stat,
        "year": plane.year,
        "drivers": plane.drivers,
        "status_quo_position": [
            float(spec.world.status_quo[spec.world.drivers.index(high)])
            for _, high in spec.world.axes],
        "futures_version": __version__,
        "seed": spec.seed,
        "config": config_yaml,
    })
    return ds


def plane_job(cfg: DictConfig, output_dir: Path) -> Path:
    """The ``futures plane`` task: simulate the grid, write ``plane.nc`` and the figure into
    ``output_dir``; returns the path of ``plane.nc``."""
    from scenarios.analysis.plane.report import write_figure
    from scenarios.config.compose import check
    from scenarios.engine.app import config_text

    spec = check(cfg)
    plane = spec.plane
    assert plane is not None
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    started = time.perf_counter()
    events = container.get("events", {}) if spec.events is not None else None
    axis, grid, own, fields = evaluate(spec, events)
    log.info("simulated %d grid points x %d members in %.2f s", plane.grid ** 2,
             plane.members, time.perf_counter() - started)
    ds = to_dataset(spec, axis, grid, own, fields, config_text(cfg))
    write_figure(ds, output_dir)
    path = write_atomic(ds, output_dir / PLANE, compression=spec.compression)
    log.info("wrote %s", path)
    return path

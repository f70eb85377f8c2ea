r"""Run ensembles of futures: from plain parameter arrays to trend levels and impacts.

A *world* (:class:`World`) holds every number the futures share: the cross-impact matrix,
driver and lever loadings, impact weights, 2021 levels and the 2021 status quo of the
drivers. A *future* (:class:`Future`) is a point on the two axes of the study (ownership:
0 = shareholder model, 1 = stakeholder model; purpose: 0 = economic growth, 1 = broad
welfare, NDS 2021 L3414-L3434) plus named driver overrides.

Drivers and levers move from their 2021 reference values to the future's values along a
linear transition of ``transition_years``:

.. math::

    d(t) = d_{2021} + g(t)\,(d_{future} - d_{2021}), \qquad
    g(t) = \min\!\left(1, \frac{t - t_0}{\tau}\right)

so all futures start from the same 2021 world and diverge. Per member, the uncertain
parameters of :func:`parameters` perturb this picture.

**Floor.** A trend declines towards a floor level :math:`\ell` (``World.floor``; the
default study uses :data:`LEVEL_FLOOR`), not towards 0: KSIM runs on the share of the way
from the floor to 1,

.. math::

    y_i = \frac{x_i - \ell}{1 - \ell}, \qquad y_i(t + \Delta t) = y_i(t)^{\varphi_i(t)},
    \qquad x_i = \ell + (1 - \ell)\, y_i,

with :math:`\varphi_i` of :mod:`models.dynamics` computed from the impactors :math:`y_j`
(the trends above their floor) and the drivers. KSIM's super-exponential decline then
relaxes a braked trend to :math:`\ell` instead of pinning it at 0, and the impact indices
weigh the level changes :math:`x_i(t) - x_i(t_0) = (1 - \ell)(y_i(t) - y_i(t_0))`. With
:math:`\ell = 0` this is plain KSIM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from models.compiled import block_kind, kernel_width
from models.dynamics import Ramped, stack_matrix, static_terms
from models.events import EventLog, EventModel, draw_pools, make_drive
from models.impacts import impact_readout
from models.integrator import integrate
from models.levers import (
    LeverResponse,
    effective,
    lever_events,
    lever_parameters,
    lever_ramps,
    live_pairs,
    member_doubling,
    ramp_groups,
)
from models.structural import Nominal, structural_terms

#: The driver column that is constant 1: a trend's own push or pull (every world has it).
MOMENTUM = "momentum"

#: Level a declining trend relaxes to in the default study (``World.floor``): no trend of
#: NDS 2021 disappears by 2030 (the document's lowest 2021 level is L = 0.10; the floor is a
#: fifth of it, so "L" stays reachable); assumption, range [0.01, 0.05].
LEVEL_FLOOR = 0.02

#: Uncertain parameters an ensemble may sample that do not depend on the study's trends, with
#: what they mean and their hard bounds. :func:`parameters` adds ``initial.<trend>`` and
#: ``momentum.<trend>`` for every trend of a world.
GLOBAL_PARAMETERS: dict[str, tuple[str, str, float, float]] = {
    "cross_impact_strength": ("scale of all trend-on-trend impacts", "1", 0.0, 10.0),
    "transition_years": ("years from the start until a future's drivers are reached", "year",
                         0.05, 50.0),
    "ownership_shift": ("shift of the future's ownership position", "1", -1.0, 1.0),
    "purpose_shift": ("shift of the future's purpose position", "1", -1.0, 1.0),
    "lever_efficacy": ("scale of every lever's effect", "1", 0.0, 10.0),
}


def parameters(world: World | tuple[str, ...]) -> dict[str, tuple[str, str, float, float]]:
    """Every uncertain parameter of a world (or of a world with these trend labels): (meaning,
    units, low, high).

    Besides :data:`GLOBAL_PARAMETERS`, ``initial.<trend>`` and ``momentum.<trend>``, a world
    has a **structural** parameter for every entry of its matrices (:func:`structural_names`):
    ``A.<trend>.<impactor>`` (an entry of the cross-impact matrix: a trend-on-trend impact,
    a driver or a lever loading; not the momentum column, which is ``momentum.<trend>``)
    and ``W.<area>.<impactor>`` (an impact weight of a trend or driver), and a
    **lever-response** parameter (:func:`lever_names`) per doubling gain and future-dependent
    loading of :mod:`models.levers`.
    """
    trends = world if isinstance(world, tuple) else world.trends
    out = {**GLOBAL_PARAMETERS,
           **{f"initial.{t}": (f"start level of {t}", "1", 0.0, 1.0) for t in trends},
           **{f"momentum.{t}": (f"own momentum of {t}", "1/year", -10.0, 10.0)
              for t in trends}}
    if not isinstance(world, tuple):
        for name in structural_names(world):
            kind, row, col = name.split(".")
            out[name] = ((f"impact of {col} on {row}", "1/year") if kind == "A" else
                         (f"weight of {col} in the {row} index", "1")) + (-10.0, 10.0)
        out.update(lever_parameters(world.lever_response, world.levers, world.trends,
                                    world.drivers))
    return out


def lever_names(world: World) -> tuple[str, ...]:
    """Labels of the lever-response parameters (:func:`models.levers.lever_parameters`)."""
    return tuple(lever_parameters(world.lever_response, world.levers, world.trends,
                                  world.drivers))


def structural_names(world: World) -> tuple[str, ...]:
    """Labels of every structural entry: ``A.<trend>.<impactor>`` for the trends, the drivers
    but momentum and the levers as impactors, then ``W.<area>.<impactor>`` for the trends
    and drivers (levers have no impact weights, :mod:`models.structural`)."""
    weighed = world.trends + tuple(d for d in world.drivers if d != MOMENTUM)
    return tuple(f"A.{r}.{c}" for r in world.trends for c in weighed + world.levers) + \
        tuple(f"W.{a}.{c}" for a in world.areas for c in weighed)


def structural_nominals(world: World) -> dict[str, float]:
    """The nominal value of every structural entry (:func:`models.ensemble.structural_names`)."""
    a = {"trends": world.trend_matrix, "drivers": world.driver_loadings,
         "levers": world.lever_loadings}
    w = {"trends": world.area_trend_weights, "drivers": world.area_driver_weights,
         "levers": world.area_lever_weights}
    where = {**{c: ("trends", k) for k, c in enumerate(world.trends)},
             **{c: ("drivers", k) for k, c in enumerate(world.drivers)},
             **{c: ("levers", k) for k, c in enumerate(world.levers)}}
    rows = {"A": (world.trends, a), "W": (world.areas, w)}
    out = {}
    for name in structural_names(world):
        kind, row, col = name.split(".")
        labels, arrays = rows[kind]
        group, k = where[col]
        out[name] = float(arrays[group][labels.index(row), k])
    return out


def open_bounds(trends: tuple[str, ...]) -> set[str]:
    """Parameters whose bounds are open: a value equal to the bound is not allowed."""
    return {f"initial.{t}" for t in trends} | {"transition_years"}


def _generic(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{k}" for k in range(n))


@dataclass(frozen=True)
class World:
    """Everything the futures share, as arrays in the order of the label tuples.

    The labels come from the study (``scenarios.config.study``); left empty they default
    to generic names (``trend0``, ...; drivers ``momentum``, the four axis poles
    ``axis0_low`` ... ``axis1_high``, then ``driver5``, ...), which is what tests of the
    mechanics use.

    Attributes
    ----------
    trend_matrix : ndarray, shape (n_trends, n_trends)
        Signed impact per year of trend j (column) on trend i (row).
    driver_loadings : ndarray, shape (n_trends, n_drivers)
        Signed impact per year of each driver; the ``momentum`` column is the trend's own push.
    lever_loadings : ndarray, shape (n_trends, n_levers)
        Signed impact per year of each lever at full setting.
    area_trend_weights, area_driver_weights, area_lever_weights : ndarray
        Impact-index weights, shapes (n_areas, n_trends / n_drivers / n_levers).
    initial : ndarray, shape (n_trends,)
        2021 levels, in (0, 1).
    status_quo : ndarray, shape (n_drivers,)
        2021 driver values, in [0, 1].
    lever_reference : ndarray, shape (n_levers,)
        2021 lever settings (the NDS 2021 policy mix), in [0, 1].
    transition_years : float
        Nominal transition length, > 0.
    start, end : float
        Decimal years of the first and last time point.
    steps_per_year : int
        Update steps per year (12 = monthly).
    trends, drivers, levers, areas : tuple of str
        Labels of the rows/columns; ``drivers`` includes :data:`MOMENTUM`.
    axes : tuple of (str, str)
        Per axis (ownership, purpose) the drivers at its low and high end.
    floor : float
        Level in [0, 0.5) every trend relaxes to instead of 0 (module docstring); 0 is
        plain KSIM.
    response : LeverResponse, optional
        How lever changes act (:mod:`models.levers`: diminishing returns, lag,
        future-dependent loadings); ``None`` = linear, no lag, the same in every future.
    """

    trend_matrix: np.ndarray
    driver_loadings: np.ndarray
    lever_loadings: np.ndarray
    area_trend_weights: np.ndarray
    area_driver_weights: np.ndarray
    area_lever_weights: np.ndarray
    initial: np.ndarray
    status_quo: np.ndarray
    lever_reference: np.ndarray
    transition_years: float = 5.0
    start: float = 2021.0
    end: float = 2030.0
    steps_per_year: int = 12
    trends: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()
    levers: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    axes: tuple[tuple[str, str], ...] = ()
    floor: float = 0.0
    response: LeverResponse | None = None

    def __post_init__(self) -> None:
        n_trends, n_drivers = self.driver_loadings.shape
        generic = {
            "trends": _generic("trend", n_trends),
            "drivers": ((MOMENTUM, "axis0_low", "axis0_high", "axis1_low", "axis1_high")
                        + _generic("driver", n_drivers)[5:])[:n_drivers],
            "levers": _generic("lever", self.lever_loadings.shape[1]),
            "areas": _generic("area", self.area_trend_weights.shape[0]),
            "axes": (("axis0_low", "axis0_high"), ("axis1_low", "axis1_high")),
        }
        for name, default in generic.items():
            if not getattr(self, name):
                object.__setattr__(self, name, default)
        if len(self.drivers) != n_drivers or MOMENTUM not in self.drivers:
            raise ValueError(f"drivers {self.drivers}: expected {n_drivers} labels with "
                             f"{MOMENTUM!r}")
        if self.response is None:
            object.__setattr__(self, "response",
                               LeverResponse.linear(len(self.levers), n_trends))

    @property
    def lever_response(self) -> LeverResponse:
        """:attr:`response`, never ``None`` (set in ``__post_init__``)."""
        assert self.response is not None
        return self.response

    @property
    def n_steps(self) -> int:
        """Number of update steps from ``start`` to ``end``."""
        return round((self.end - self.start) * self.steps_per_year)

    def times(self) -> np.ndarray:
        """Decimal years of the ``n_steps + 1`` time points."""
        return self.start + np.arange(self.n_steps + 1) / self.steps_per_year


@dataclass(frozen=True)
class Future:
    """A future as a point in the plane of the two axes, plus driver overrides.

    Attributes
    ----------
    label : str
        The future's label (YAML file stem and ``future`` coordinate).
    ownership : float
        0 = shareholder model, 1 = stakeholder model (L3428-L3431).
    purpose : float
        0 = economic growth, 1 = broad welfare (L3431-L3433).
    drivers : mapping of str to float
        Target values of other drivers, e.g. ``{"eu_regulation": 0.9}``.
    levers : mapping of str to float
        Lever settings in this future; levers not named keep their reference setting.
    """

    label: str
    ownership: float
    purpose: float
    drivers: Mapping[str, float] = field(default_factory=dict)
    levers: Mapping[str, float] = field(default_factory=dict)

    def driver_targets(self, world: World, ownership: np.ndarray | float,
                       purpose: np.ndarray | float) -> np.ndarray:
        """Driver values this future moves towards, shape (n_drivers, ...): each axis's low
        driver is ``1 - position``, its high driver ``position``; the others keep the 2021
        status quo of ``world`` unless this future overrides them."""
        status_quo = world.status_quo
        own = np.clip(ownership, 0.0, 1.0)
        pur = np.clip(purpose, 0.0, 1.0)
        shape = np.shape(own)
        (own_low, own_high), (pur_low, pur_high) = world.axes
        values = {own_low: 1.0 - own, own_high: own, pur_low: 1.0 - pur, pur_high: pur}
        rows = []
        for k, label in enumerate(world.drivers):
            value = values.get(label, self.drivers.get(label, status_quo[k]))
            rows.append(np.broadcast_to(value, shape))
        return np.stack(rows)


@dataclass(frozen=True)
class Outcome:
    """Result of :func:`run`: arrays in kernel layout.

    Attributes
    ----------
    levels : ndarray, shape (F, T, n_trends, M)
    impacts : ndarray, shape (F, T, n_areas, M)
    times : ndarray, shape (T,)
    events : EventLog or None
        The events of every member, if events ran.
    """

    levels: np.ndarray
    impacts: np.ndarray
    times: np.ndarray
    events: EventLog | None = None


def _member_values(name: str, nominal: float, members: Mapping[str, np.ndarray],
                   shape: tuple[int, int]) -> np.ndarray:
    value = members.get(name)
    return np.full(shape, nominal) if value is None else np.broadcast_to(value, shape)


def _nominal(world: World) -> Nominal:
    """The world's matrices the structural entries deviate from (:mod:`models.structural`)."""
    dyn = [world.drivers.index(d) for d in world.drivers if d != MOMENTUM]
    return Nominal(trends=world.trends, areas=world.areas,
                   columns=world.trends + tuple(world.drivers[k] for k in dyn) + world.levers,
                   matrix=np.concatenate([world.trend_matrix, world.driver_loadings[:, dyn],
                                          world.lever_loadings], axis=1),
                   weights=np.concatenate([world.area_trend_weights,
                                           world.area_driver_weights[:, dyn],
                                           world.area_lever_weights], axis=1),
                   reference=np.concatenate([world.status_quo[dyn], world.lever_reference]),
                   floor=world.floor, pairs=world.lever_response.labels,
                   pair_loadings=world.lever_response.pair_loadings(len(world.trends)))




def dynamic_rows(world: World) -> tuple[str, ...]:
    """Labels of the dynamic driver rows: every driver but momentum, the levers, then the
    future-dependent lever columns (``"<lever>*<driver>"``, :mod:`models.levers`)."""
    return tuple(d for d in world.drivers if d != MOMENTUM) + world.levers + \
        world.lever_response.labels


def run(world: World, futures: list[Future], members: Mapping[str, np.ndarray], n_members: int,
        *, events: EventModel | None = None,
        rngs: list[np.random.SeedSequence] | list[np.random.Generator] | None = None,
        member_start: int = 0, out_dtype: type = np.float64, chunk: int = 2048,
        threads: int = 1, width: int | None = None,
        keep: np.ndarray | None = None, kernel: str = "numpy") -> Outcome:  # long: all kernel inputs
    """Simulate every future and member.

    Parameters
    ----------
    world : World
    futures : list of Future
        F futures, simulated together.
    members : mapping of str to ndarray, shape (F, M)
        Sampled values per parameter name of :func:`parameters`; parameters not given take
        their nominal value from ``world``.
    n_members : int
        M, members per future.
    events : EventModel, optional
        Discrete events (:mod:`models.events`); ``None`` runs the continuous model.
    rngs : list of numpy.random.SeedSequence or Generator, optional
        One per future, for the events' random draws; required with ``events``. With seed
        sequences the draws belong to members (see :func:`models.events.draw_pools`).
    member_start : int
        Index of the first member in the whole ensemble, when this call computes a chunk
        of it: members draw the events they would draw in the whole run.
    out_dtype : dtype
        Storage precision of levels and impacts.
    chunk, threads, width : int
        Passed to :func:`models.integrator.integrate`; results do not depend on them (pass
        the whole ensemble's ``width`` when computing a slice of it).
    keep : ndarray of int, optional
        Only these time points are stored (indices into ``world.times()``; default all):
        the same numbers there, the outcome's ``times`` are those points.
    kernel : str
        ``numpy`` (the default, the golden bits) or ``numba`` (:mod:`models.compiled`).

    Returns
    -------
    Outcome
    """
    unknown = sorted(set(members) - set(parameters(world)))
    if unknown:
        raise KeyError(f"unknown parameters {unknown}; expected names from parameters()")
    n_fut, n_mem = len(futures), n_members
    shape = (n_fut, n_mem)
    drivers = world.drivers
    # Every driver but momentum may move: the axis drivers with the future's position, the
    # others where a future overrides them (and, later, with events).
    dyn_idx = [k for k, d in enumerate(drivers) if d != MOMENTUM]
    dt = 1.0 / world.steps_per_year

    initial = np.stack([_member_values(f"initial.{t}", world.initial[i], members, shape)
                        for i, t in enumerate(world.trends)], axis=1)  # (F, n, M)
    momentum_col = drivers.index(MOMENTUM)
    momentum = np.stack([_member_values(f"momentum.{t}", world.driver_loadings[i, momentum_col],
                                        members, shape)
                         for i, t in enumerate(world.trends)], axis=1)  # (F, n, M)
    strength = _member_values("cross_impact_strength", 1.0, members, shape)
    years = _member_values("transition_years", world.transition_years, members, shape)
    efficacy = _member_values("lever_efficacy", 1.0, members, shape)
    own_shift = _member_values("ownership_shift", 0.0, members, shape)
    pur_shift = _member_values("purpose_shift", 0.0, members, shape)

    # Driver and lever targets per future and member: (F, k, M).
    targets = np.stack([f.driver_targets(world, f.ownership + own_shift[i],
                                         f.purpose + pur_shift[i])
                        for i, f in enumerate(futures)])
    lever_targets = np.stack([
        [np.full(n_mem, f.levers.get(lv, world.lever_reference[k]))
         for k, lv in enumerate(world.levers)] for f in futures])
    driver_delta = targets[:, dyn_idx] - world.status_quo[dyn_idx][None, :, None]
    # Lever changes act through their effective setting and, per future, through the
    # future-dependent columns (models.levers).
    response = world.lever_response
    ref_col = world.lever_reference[:, None]
    doubling = member_doubling(response, world.levers, members, shape)
    lever_delta = (effective(lever_targets, ref_col, doubling) - ref_col) * efficacy[:, None, :]
    moved = targets - world.status_quo[None, :, None]  # (F, n_drivers, M)
    pair_delta = np.stack([lever_delta[:, k] * moved[:, d] for k, d in response.pairs],
                          axis=1) if response.pairs else np.zeros((n_fut, 0, n_mem))
    delta = np.concatenate([driver_delta, lever_delta, pair_delta], axis=1)  # (F, K, M)
    live = live_pairs(world.lever_response, len(world.levers), events, pair_delta,
                      len(dyn_idx))

    # Static part: status-quo drivers (shared), momentum (per member), reference levers
    # (shared; the 2021 programme is part of the calibrated baseline, so lever_efficacy
    # scales only the changes from it, lever_delta above). C0 = 1 + dt * [push; brake].
    shared = static_terms(world.driver_loadings[None, :, dyn_idx, None],
                          world.status_quo[None, dyn_idx, None], dt) - 1.0  # (1, 2n, 1)
    levers = static_terms(world.lever_loadings[None, :, :, None],
                          world.lever_reference[None, :, None], dt) - 1.0  # (1, 2n, 1)
    c0 = 1.0 + shared + levers + np.zeros_like(efficacy)[:, None, :]  # (F, 2n, M)
    c0 += dt * np.concatenate([np.maximum(momentum, 0.0), np.maximum(-momentum, 0.0)], axis=1)
    structural, c0_change = structural_terms(_nominal(world), members, shape, dt, live)
    c0 += c0_change

    n_trends = len(world.trends)
    dyn_loadings = np.concatenate([world.driver_loadings[:, dyn_idx], world.lever_loadings,
                                   response.pair_loadings(n_trends)], axis=1)
    product = stack_matrix(np.broadcast_to(world.trend_matrix,
                                           (n_fut,) + world.trend_matrix.shape),
                           np.broadcast_to(dyn_loadings, (n_fut,) + dyn_loadings.shape), dt)
    times = world.times()
    elapsed = times - world.start
    drive = None
    logs: list[Any] = []
    if events is not None:
        if rngs is None or len(rngs) != n_fut:
            raise ValueError(f"events need one generator per future ({n_fut})")
        delta = np.where(events.ramped_by_events[:, :, None], 0.0, delta)
        reference = np.concatenate([world.status_quo[dyn_idx], world.lever_reference,
                                    np.zeros(response.n_pairs)])
        top = reference[None, :, None] + np.maximum(delta, 0.0)
        events = lever_events(events, response, world.lever_reference, lever_targets,
                              efficacy, moved, len(dyn_idx), doubling)
        events = replace(events, headroom=np.maximum(1.0 - top, 0.0))
        pools = draw_pools(events, n_mem, rngs, start=member_start)
        drive = make_drive(events, pools, dt, logs)

    column_group, group_lag = ramp_groups(response, world.levers, members, shape, len(dyn_idx))
    groups = column_group if group_lag.shape[-2 if group_lag.ndim == 3 else 0] > 1 else None

    def ramp(step: int, sl: slice) -> np.ndarray:
        if groups is None:
            return np.minimum(elapsed[step] / years[:, sl], 1.0)
        return lever_ramps(elapsed[step], years[:, sl],
                           group_lag if group_lag.ndim == 1 else group_lag[..., sl])

    area_dyn = np.concatenate([world.area_driver_weights[:, dyn_idx], world.area_lever_weights,
                               np.zeros((len(world.areas), response.n_pairs))], axis=1)
    floor = world.floor
    readout = impact_readout(world.area_trend_weights * (1.0 - floor), area_dyn, n_fut)
    above = np.log(np.maximum((initial - floor) / (1.0 - floor), 1e-12))
    chunk, width = kernel_width(kernel, chunk, width)
    levels, impacts = integrate(above, product, c0, strength, world.n_steps,
                                ramped=Ramped(delta, ramp, groups), out_dtype=out_dtype,
                                readout=readout,
                                drive=drive, chunk=chunk, threads=threads, width=width,
                                keep=keep, floor=floor, structural=structural,
                                kernel=block_kind(kernel))
    assert impacts is not None  # a readout was given
    log = None
    if events is not None:
        (found, exhausted), = logs
        log = EventLog.merge([found], exhausted, events, pools)
    return Outcome(levels=levels, impacts=impacts,
                   times=times if keep is None else times[np.asarray(keep)], events=log)

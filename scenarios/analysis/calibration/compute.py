r"""``futures calibrate``: fit a trend's momentum to an observed series with ``scipy.optimize``.

The model starts in 2021; the document's series (e.g. the share of awarded WBSO R&D
projects mentioning AI or machine learning, 2014-2019, L6700-6716) lie before it. The fit
runs the same KSIM equation *backwards* from the 2021 level over the observed years, in a
world frozen at its 2021 state:

.. math::

    \varphi = \frac{1 + \Delta t \sum_j A^-_{ij} z_j}{1 + \Delta t \sum_j A^+_{ij} z_j},
    \qquad \ln y_i(t_0 - k\,\Delta t) = \varphi^{-k} \ln y_i(t_0)

on the share above the level floor :math:`\ell` (``World.floor``), as the forward model
runs: :math:`y = (x - \ell)/(1 - \ell)` takes the place of :math:`x` and
:math:`x = \ell + (1 - \ell) y` (docs/model.md "Floor"); with :math:`z` the other trends
above their floor at their 2021 levels (``initial``), the drivers at their
2021 status quo, the levers at their reference settings, trend-on-trend impacts at nominal
strength, no events, and the momentum entry :math:`A_{i,\mathrm{momentum}} = m` free. Each
forward step of the model is :math:`\ln y \leftarrow \varphi \ln y`, so this is the exact
inverse of running the model's equation forward from :math:`t_0 - k\Delta t` to 2021.

Observation model: the observed share in calendar year ``y`` is proportional to the trend's
level in the middle of that year, ``share(y) = scale * x_i(y + 0.5)``. The errors are taken
to be multiplicative (the series grows ~30% a year), so the fit is least squares on
``ln share`` (:func:`scipy.optimize.curve_fit`); parameter uncertainty comes from its
covariance (the Jacobian at the optimum, scaled by the residual variance), with Student-t
intervals on ``n - 2`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig
from scipy import optimize, stats

from models.dynamics import split_signs
from models.ensemble import MOMENTUM, World
from scenarios.config.checks import expect, label, mapping, number
from scenarios.config.compose import check
from scenarios.config.errors import ConfigError


@dataclass(frozen=True)
class Series:
    """One observed series of a trend's proxy."""

    name: str
    trend: str
    years: tuple[int, ...]
    values: np.ndarray
    unit: str
    source: str


@dataclass(frozen=True)
class Fit:
    """The fit of one series.

    Attributes
    ----------
    momentum, scale : float
        Fitted momentum (per year) of the trend and scale of the observation model.
    covariance : ndarray, shape (2, 2)
        Covariance of (momentum, scale) from ``curve_fit``.
    low, high : ndarray, shape (2,)
        Bounds of the confidence interval of (momentum, scale).
    fitted : ndarray
        Modelled share per observed year.
    residuals : ndarray
        ``ln observed - ln fitted``.
    """

    series: Series
    momentum: float
    scale: float
    covariance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    fitted: np.ndarray
    residuals: np.ndarray
    level_2021: float
    prior_momentum: float
    confidence: float


def read_series(cfg: DictConfig, world: World) -> tuple[list[Series], float]:
    """Check the ``calibrate`` section: the series and the confidence level."""
    node = cfg.calibrate
    confidence = number("calibrate.confidence", node.confidence, 0.0, 1.0, open_low=True,
                        open_high=True)
    out = []
    entries = mapping("calibrate.series", node.series)
    expect(len(entries) > 0, "calibrate.series", "{}", "expected at least one series")
    for name, entry in entries.items():
        key = f"calibrate.series.{name}"
        entry = mapping(key, entry)
        extra = sorted(set(entry) - {"trend", "years", "values", "unit", "source"})
        expect(not extra, f"{key}.{extra[0] if extra else ''}", "...",
               "unknown field; expected trend, years, values, unit, source")
        trend = label(f"{key}.trend", entry.get("trend"), world.trends, "trend")
        years, values = list(entry.get("years") or []), list(entry.get("values") or [])
        expect(len(years) >= 3, f"{key}.years", years, "expected at least 3 years")
        expect(len(values) == len(years), f"{key}.values", values,
               f"expected one value per year ({len(years)})")
        for y in years:
            expect(isinstance(y, int) and not isinstance(y, bool)
                   and 1900 <= y and y + 1 <= world.start, f"{key}.years", y,
                   f"expected whole calendar years before time.start={world.start}")
        expect(years == sorted(set(years)), f"{key}.years", years,
               "expected increasing years, each once")
        vals = np.array([number(f"{key}.values", v, 0.0, 1.0, open_low=True, open_high=True)
                         for v in values])
        out.append(Series(str(name), trend, tuple(years), vals, str(entry.get("unit", "")),
                          str(entry.get("source", ""))))
    return out, confidence


def check_config(cfg: DictConfig) -> None:
    """Validate a composed config for ``futures calibrate`` (before Hydra makes a folder)."""
    read_series(cfg, check(cfg).world)


def frozen_terms(world: World, trend: str) -> tuple[float, float, float]:
    """Push and brake on ``trend`` per year in the 2021 world, without its momentum.

    Returns
    -------
    push, brake : float
        ``sum_j A+_ij z_j`` and ``sum_j A-_ij z_j`` over trends, drivers and levers.
    momentum : float
        The trend's momentum in the config (the prior of the fit).
    """
    i = world.trends.index(trend)
    col = world.drivers.index(MOMENTUM)
    drivers = world.driver_loadings[i].copy()
    momentum = float(drivers[col])
    drivers[col] = 0.0
    row = np.concatenate([world.trend_matrix[i], drivers, world.lever_loadings[i]])
    above = (world.initial - world.floor) / (1.0 - world.floor)  # trends act above the floor
    z = np.concatenate([above, world.status_quo, world.lever_reference])
    pos, neg = split_signs(row)
    return float(pos @ z), float(neg @ z), momentum


def backcast(momentum: float | np.ndarray, level_2021: float, push: float, brake: float,
             times: np.ndarray, world: World) -> np.ndarray:
    """Levels at decimal years ``times`` (before ``world.start``) from the KSIM equation.

    ``momentum`` may be an array (broadcast against ``times``); the result has their
    broadcast shape.
    """
    dt = 1.0 / world.steps_per_year
    m = np.asarray(momentum, dtype=float)[..., None] if np.ndim(momentum) else momentum
    phi = (1 + dt * (brake + np.maximum(-m, 0.0))) / (1 + dt * (push + np.maximum(m, 0.0)))
    steps = np.round((world.start - np.asarray(times)) * world.steps_per_year)
    floor = world.floor  # KSIM runs on the share above the floor, as the forward model
    above = (level_2021 - floor) / (1.0 - floor)
    return floor + (1.0 - floor) * np.exp(np.log(above) * phi ** (-steps))


def fit(series: Series, world: World, confidence: float) -> Fit:
    """Fit momentum and scale to one series (least squares on the log share).

    Raises
    ------
    ConfigError
        If the fit does not converge (e.g. a series that falls while the model cannot).
    """
    push, brake, prior = frozen_terms(world, series.trend)
    x0 = float(world.initial[world.trends.index(series.trend)])
    times = np.array(series.years) + 0.5
    observed = np.log(series.values)

    def model(t: np.ndarray, m: float, scale: float) -> np.ndarray:
        return np.log(scale) + np.log(backcast(m, x0, push, brake, t, world))

    start_scale = float(series.values[-1] / backcast(prior, x0, push, brake, times[-1:],
                                                     world)[0])
    try:
        (m, scale), cov = optimize.curve_fit(
            model, times, observed, p0=[prior, min(start_scale, 1e3)],
            bounds=([-10.0, 1e-6], [10.0, 1e6]))
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f"calibrate.series.{series.name}", list(series.values),
                          f"the fit did not converge ({err})") from err
    dof = len(times) - 2
    se = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(2, np.nan)
    t = stats.t.ppf(0.5 + confidence / 2, dof) if dof > 0 else np.nan
    values = np.array([m, scale])
    fitted = np.exp(model(times, m, scale))
    return Fit(series, float(m), float(scale), cov, values - t * se, values + t * se, fitted,
               observed - np.log(fitted), x0, prior, confidence)


#: Kinds of anchor (``calibrate.anchors.<name>.kind``).
ANCHOR_KINDS = ("rising_before", "rising_after")
#: Shortfall (per year for ``rising_before``, level units for ``rising_after``) at which an
#: anchor's likelihood has fallen to exp(-1/2).
ANCHOR_WIDTH = 0.01


@dataclass(frozen=True)
class Anchor:
    """What the document says about a trend's direction where it gives no series."""

    name: str
    trend: str
    kind: str
    years: tuple[float, float]
    source: str


def read_anchors(cfg: DictConfig, world: World) -> list[Anchor]:
    """Check ``calibrate.anchors``."""
    out = []
    for name, entry in mapping("calibrate.anchors", cfg.calibrate.get("anchors") or {}).items():
        key = f"calibrate.anchors.{name}"
        entry = mapping(key, entry)
        extra = sorted(set(entry) - {"trend", "kind", "years", "source"})
        expect(not extra, f"{key}.{extra[0] if extra else ''}", "...",
               "unknown field; expected trend, kind, years, source")
        trend = label(f"{key}.trend", entry.get("trend"), world.trends, "trend")
        kind = label(f"{key}.kind", entry.get("kind"), ANCHOR_KINDS, "anchor kind")
        years = list(entry.get("years") or [])
        expect(len(years) == 2 and years[0] < years[1], f"{key}.years", years,
               "expected [first, last] years, first < last")
        if kind == "rising_after":
            expect(world.start <= years[0] and years[1] <= world.end, f"{key}.years", years,
                   f"rising_after needs years within [{world.start}, {world.end}]")
        else:
            expect(years[1] <= world.start, f"{key}.years", years,
                   f"rising_before needs years up to time.start={world.start}")
        out.append(Anchor(str(name), trend, kind, (float(years[0]), float(years[1])),
                          str(entry.get("source", ""))))
    return out


def net_push(world: World, trend: str, momentum: float | np.ndarray) -> np.ndarray:
    """Net push per year (push minus brake) on ``trend`` in the frozen 2021 world of the
    backcast, with its momentum ``momentum``; > 0 means the trend rose before 2021."""
    push, brake, _ = frozen_terms(world, trend)
    return np.asarray(push - brake + np.asarray(momentum, dtype=float))


def anchor_shares(spec, anchors: list[Anchor], members: int = 1000) -> dict[str, dict]:
    """Per anchor: its value in the nominal model and the share of members meeting it in the
    default ensemble (the stored posterior) and in the prior one (``ensemble.prior=true``).

    ``rising_before``: the net push per year of the frozen 2021 world (nominal: the config's
    momentum). ``rising_after``: the smallest over the futures of the median change of the
    trend's level between the two years. A member meets an anchor with no shortfall (in every
    future, for ``rising_after``).
    """
    from dataclasses import replace

    from scenarios.engine.seeds import draw_members
    from scenarios.engine.simulate import simulate

    world = spec.world
    col = world.drivers.index(MOMENTUM)
    out: dict[str, dict] = {}
    runs = {}
    for name, prior in (("posterior", False), ("prior", True)):
        run_spec = replace(spec, members=members, prior=prior)
        drawn = draw_members(run_spec)
        runs[name] = (simulate(run_spec, members=drawn)[0], drawn)
    for a in anchors:
        i = world.trends.index(a.trend)
        entry: dict = {"trend": a.trend, "kind": a.kind, "years": list(a.years),
                       "source": a.source}
        for name_, (outcome, drawn) in runs.items():
            if a.kind == "rising_before":
                m = drawn.get(f"momentum.{a.trend}", np.full((1, members), world.driver_loadings[i, col]))[0]
                met = net_push(world, a.trend, m) > 0
                entry.setdefault("nominal", float(net_push(world, a.trend,
                                                           world.driver_loadings[i, col])))
            else:
                times = outcome.times
                t0 = int(np.argmin(np.abs(times - a.years[0])))
                t1 = int(np.argmin(np.abs(times - a.years[1])))
                change = outcome.levels[:, t1, i] - outcome.levels[:, t0, i]  # (F, M)
                met = (change > 0).all(axis=0)
                entry.setdefault("nominal", float(np.median(change, axis=-1).min()))
            entry[f"share_{name_}"] = float(np.mean(met))
        out[a.name] = entry
    return out

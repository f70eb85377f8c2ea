r"""``futures calibrate``: fit a trend's momentum to an observed series with ``scipy.optimize``.

The model starts in 2021; the document's series (e.g. the share of awarded WBSO R&D
projects mentioning AI or machine learning, 2014-2019, L6700-6716) lie before it. The fit
runs the same KSIM equation *backwards* from the 2021 level over the observed years, in a
world frozen at its 2021 state:

.. math::

    \varphi = \frac{1 + \Delta t \sum_j A^-_{ij} z_j}{1 + \Delta t \sum_j A^+_{ij} z_j},
    \qquad \ln x_i(t_0 - k\,\Delta t) = \varphi^{-k} \ln x_i(t_0)

with :math:`z` the other trends at their 2021 levels (``initial``), the drivers at their
2021 status quo, the levers at their reference settings, trend-on-trend impacts at nominal
strength, no events, and the momentum entry :math:`A_{i,\mathrm{momentum}} = m` free. Each
forward step of the model is :math:`\ln x \leftarrow \varphi \ln x`, so this is the exact
inverse of running the model's equation forward from :math:`t_0 - k\Delta t` to 2021.

Observation model: the observed share in calendar year ``y`` is proportional to the trend's
level in the middle of that year, ``share(y) = scale * x_i(y + 0.5)``. The errors are taken
to be multiplicative (the series grows ~30% a year), so the fit is least squares on
``ln share`` (:func:`scipy.optimize.curve_fit`); parameter uncertainty comes from its
covariance (the Jacobian at the optimum, scaled by the residual variance), with Student-t
intervals on ``n - 2`` degrees of freedom.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from omegaconf import DictConfig
from scipy import optimize, stats

from models.dynamics import split_signs
from models.ensemble import MOMENTUM, World
from scenarios import __version__
from scenarios.config.checks import expect, label, mapping, number
from scenarios.config.compose import check
from scenarios.engine.storage import write_text

log = logging.getLogger("futures")
RESULT = "calibration.yaml"
REPORT = "calibration.md"

USAGE = """\
usage: futures calibrate [KEY=VALUE ...] [hydra.run.dir=DIR]

Fits the momentum of a trend (and the scale of the observation model share = scale x level)
to each series under `calibrate.series` (conf/calibrate.yaml; by default the share of WBSO
R&D projects mentioning AI, 2014-2019, NDS 2021 L6700-6716, for autonomisering) with
scipy.optimize.curve_fit, running the KSIM equation backwards from the 2021 level in the
world frozen at 2021. Writes calibration.yaml (fitted values, standard errors, intervals,
residuals, provenance), calibration.md (the report) and calibration_fit.png/.pdf into the
run directory and prints that directory last. See docs/calibration.md.

Keys (and every key of `futures run --help`; the fit uses the run's world):
  calibrate.confidence=X                    interval level in (0, 1) (default 0.95)
  calibrate.series.NAME.trend=LABEL         trend the series measures
  calibrate.series.NAME.years=[Y,...]       calendar years, before time.start
  calibrate.series.NAME.values=[V,...]      observed shares in (0, 1)

examples:
  futures calibrate
  futures calibrate initial.autonomisering=0.3 hydra.run.dir=runs/cal
"""


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
    z = np.concatenate([world.initial, world.status_quo, world.lever_reference])
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
    return np.exp(np.log(level_2021) * phi ** (-steps))


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
        from scenarios.config.errors import ConfigError

        raise ConfigError(f"calibrate.series.{series.name}", list(series.values),
                          f"the fit did not converge ({err})") from err
    dof = len(times) - 2
    se = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(2, np.nan)
    t = stats.t.ppf(0.5 + confidence / 2, dof) if dof > 0 else np.nan
    values = np.array([m, scale])
    fitted = np.exp(model(times, m, scale))
    return Fit(series, float(m), float(scale), cov, values - t * se, values + t * se, fitted,
               observed - np.log(fitted), x0, prior, confidence)


def summary(fit_: Fit) -> dict:
    """The fit as plain data for ``calibration.yaml``."""
    s = fit_.series
    se = np.sqrt(np.diag(fit_.covariance))
    corr = fit_.covariance[0, 1] / (se[0] * se[1]) if np.all(se > 0) else float("nan")
    name = f"momentum.{s.trend}"

    def r(v: float) -> float:
        return float(f"{float(v):.6g}")

    return {
        "trend": s.trend,
        "source": s.source,
        "unit": s.unit,
        "observation_model": f"share(year) = scale * level of {s.trend} at year + 0.5; "
                             "multiplicative errors (least squares on ln share)",
        "frozen_world": "other trends at their 2021 levels, drivers at the 2021 status quo, "
                        "levers at reference, nominal cross-impact strength, no events",
        "parameters": {
            name: {"value": r(fit_.momentum), "std_error": r(se[0]), "low": r(fit_.low[0]),
                   "high": r(fit_.high[0]), "config_before": r(fit_.prior_momentum),
                   "units": "1/year"},
            "scale": {"value": r(fit_.scale), "std_error": r(se[1]), "low": r(fit_.low[1]),
                      "high": r(fit_.high[1]), "units": "share per unit level"},
        },
        "confidence": fit_.confidence,
        "correlation": r(corr),
        "level_2021": r(fit_.level_2021),
        "years": list(s.years),
        "observed": [r(v) for v in s.values],
        "fitted": [r(v) for v in fit_.fitted],
        "residuals_log": [r(v) for v in fit_.residuals],
        "rms_residual_log": r(np.sqrt(np.mean(fit_.residuals ** 2))),
        "degrees_of_freedom": len(s.years) - 2,
        "override": f"cross_impact.{s.trend}.momentum={float(f'{fit_.momentum:.2f}')}",
    }


def calibrate_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures calibrate``: fit every series; write the YAML, the report and the figure."""
    from scenarios.analysis.calibration.report import figure, markdown
    from scenarios.engine.app import config_text

    spec = check(cfg)
    series, confidence = read_series(cfg, spec.world)
    fits = [fit(s, spec.world, confidence) for s in series]
    result = {"futures_version": __version__, "seed": spec.seed,
              "method": "scipy.optimize.curve_fit on ln share; covariance from the Jacobian, "
                        "Student-t intervals (docs/calibration.md)",
              "series": {f.series.name: summary(f) for f in fits},
              "config": config_text(cfg)}
    output_dir.mkdir(parents=True, exist_ok=True)
    path = write_text(output_dir / RESULT, yaml.safe_dump(result, sort_keys=False,
                                                            allow_unicode=True, width=100))
    write_text(output_dir / REPORT, markdown(fits, spec.world))
    for written in figure(fits, spec.world, output_dir / "calibration_fit"):
        log.info("wrote %s", written)
    for f in fits:
        log.info("%s: momentum.%s = %.4f (was %.4f), scale = %.4f", f.series.name,
                 f.series.trend, f.momentum, f.prior_momentum, f.scale)
    return path

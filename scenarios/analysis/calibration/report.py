"""The outputs of ``futures calibrate``: ``calibration.yaml`` (the fitted values), the report
``calibration.md`` and the figure (observed vs fitted, residuals, uncertainty)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import yaml
from matplotlib.figure import Figure
from omegaconf import DictConfig

from models.ensemble import World
from scenarios import __version__
from scenarios.analysis.calibration.compute import (
    Fit,
    anchor_shares,
    backcast,
    frozen_terms,
    read_anchors,
    read_series,
)
from scenarios.analysis.calibration.compute import fit as fit_series
from scenarios.analysis.sensitivity.report import SIZE, save
from scenarios.config.compose import check, config_text
from scenarios.engine.names import CALIBRATION, CALIBRATION_FIGURE, CALIBRATION_REPORT
from scenarios.engine.storage import write_text
from scenarios.figures.style import display_name

log = logging.getLogger("futures")
RESULT = CALIBRATION
REPORT = CALIBRATION_REPORT

#: Draws of (momentum, scale) from the fit's normal approximation for the figure's band.
BAND_DRAWS = 2000


def band(fit: Fit, world: World, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval of the modelled share from the parameters' covariance."""
    push, brake, _ = frozen_terms(world, fit.series.trend)
    rng = np.random.default_rng(0)  # a picture of the covariance, not a result
    draws = rng.multivariate_normal([fit.momentum, fit.scale], fit.covariance, BAND_DRAWS)
    draws[:, 1] = np.maximum(draws[:, 1], 1e-9)
    curves = draws[:, 1:2] * backcast(draws[:, 0], fit.level_2021, push, brake, times, world)
    tail = (1 - fit.confidence) / 2
    low, high = np.quantile(curves, [tail, 1 - tail], axis=0)
    return low, high


def figure(fits: list[Fit], world: World, path) -> list:
    """One row per series: observed and fitted share with its band; residuals."""
    fig = Figure(figsize=SIZE, layout="constrained")
    axes = fig.subplots(len(fits), 2, squeeze=False, width_ratios=[2.2, 1])
    for (ax, res_ax), fit in zip(axes, fits):
        s = fit.series
        push, brake, _ = frozen_terms(world, s.trend)
        months = round((world.start - s.years[0]) * world.steps_per_year)
        times = world.start - np.arange(months, -1, -1) / world.steps_per_year  # model grid
        ax.fill_between(times, *band(fit, world, times), color="#0072B2", alpha=0.2,
                        linewidth=0, label=f"{100 * fit.confidence:g}% band (parameters)")
        ax.plot(times, fit.scale * backcast(fit.momentum, fit.level_2021, push, brake, times,
                                            world), color="#0072B2", linewidth=3,
                label=f"fit: momentum {fit.momentum:.3f}/yr, scale {fit.scale:.3f}")
        prior = backcast(fit.prior_momentum, fit.level_2021, push, brake, times, world)
        ax.plot(times, fit.scale * prior, color="0.45", linewidth=2, linestyle="--",
                label=f"config momentum {fit.prior_momentum:.3f}/yr (same scale)")
        ax.plot(np.array(s.years) + 0.5, s.values, "o", color="#D55E00", markersize=11,
                label=f"observed: {s.unit or s.name}")
        ax.set_xlabel("year", fontsize=13)
        ax.set_ylabel("share", fontsize=13)
        ax.set_title(f"{s.name}: {display_name(s.trend, 'en')} before 2021 "
                     f"(KSIM run backwards from its 2021 level {fit.level_2021:g})",
                     fontsize=14)
        ax.legend(fontsize=12, loc="upper left", frameon=False)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=12)
        res_ax.bar(s.years, 100 * fit.residuals, color="#D55E00", width=0.6)
        res_ax.axhline(0, color="0.2", linewidth=1)
        res_ax.set_title("residuals (ln observed - ln fitted)", fontsize=14)
        res_ax.set_ylabel("percent", fontsize=12)
        res_ax.tick_params(labelsize=12)
        res_ax.grid(alpha=0.3, axis="y")
    fig.suptitle("Calibration against the document's series (futures calibrate)",
                 fontsize=16)
    return save(fig, path)


def markdown(fits: list[Fit], world: World) -> str:
    """The plain-text report: one section per series."""
    lines = ["# Calibration report (`futures calibrate`)", ""]
    for fit in fits:
        s = fit.series
        se = np.sqrt(np.diag(fit.covariance))
        pct = f"{100 * fit.confidence:g}%"
        lines += [
            f"## {s.name} -> momentum.{s.trend}", "",
            f"Source: {s.source}", "",
            (f"Observation model: share(y) = scale x level of `{s.trend}` at y + 0.5; the "
            f"level is the KSIM equation run backwards from its 2021 level "
            f"{fit.level_2021:g} in the world frozen at 2021 (other trends at their 2021 "
            "levels, drivers at the status quo, levers at reference, no events). Least "
            "squares on ln share (multiplicative errors)."), "",
            f"| parameter | fitted | std. error | {pct} interval | in the config |",
            "|---|---|---|---|---|",
            (f"| momentum.{s.trend} (1/year) | {fit.momentum:.4f} | {se[0]:.4f} | "
            f"[{fit.low[0]:.4f}, {fit.high[0]:.4f}] | {fit.prior_momentum:.4f} |"),
            (f"| scale | {fit.scale:.4f} | {se[1]:.4f} | [{fit.low[1]:.4f}, "
            f"{fit.high[1]:.4f}] | - |"), "",
            (f"Correlation of the two estimates: "
            f"{fit.covariance[0, 1] / (se[0] * se[1]):.2f}; "
            f"degrees of freedom: {len(s.years) - 2}."), "",
            "| year | observed | fitted | residual (ln) |", "|---|---|---|---|",
        ]
        lines += [f"| {y} | {o:.4f} | {f:.4f} | {r:+.3f} |"
                  for y, o, f, r in zip(s.years, s.values, fit.fitted, fit.residuals)]
        rms = float(np.sqrt(np.mean(fit.residuals ** 2)))
        lines += ["", f"RMS residual: {rms:.3f} (ln units, about {100 * rms:.1f}%).", ""]
        if round(fit.momentum, 2) == round(fit.prior_momentum, 2):
            lines += [(f"The config's momentum.{s.trend} ({fit.prior_momentum:.2f}) is this fit "
                       "rounded to two decimals: runs of this config use it."), ""]
        else:
            lines += [(f"The config's momentum.{s.trend} ({fit.prior_momentum:.2f}) is not this "
                       f"fit. To run with the fitted value: `futures run cross_impact.{s.trend}."
                       f"momentum={fit.momentum:.2f}`; to make it the default, with the other "
                       "momenta and axis loadings re-fitted to the narratives around it: "
                       "`python -m scenarios.analysis.narratives.fit --write` (docs/calibration.md)."), ""]
    return "\n".join(lines)


def anchor_markdown(anchors: dict[str, dict]) -> str:
    """The anchors' section of the report."""
    lines = ["## Anchors", "",
             ("What the document says about a trend's direction where it gives no series; each "
              "is an observation model of the posterior (docs/validation.md). Nominal: "
              "rising_before - net push per year on the trend in the frozen 2021 world; "
              "rising_after - the smallest median change over the futures. Share: members "
              "meeting the anchor (in every future)."), "",
             "| anchor | trend | kind | years | nominal | share posterior | share prior | source |",
             "|---|---|---|---|---|---|---|---|"]
    for name, a in anchors.items():
        lines.append(f"| {name} | {a['trend']} | {a['kind']} | {a['years'][0]:g}-"
                     f"{a['years'][1]:g} | {a['nominal']:+.3f} | {a['share_posterior']:.2f} | "
                     f"{a['share_prior']:.2f} | {a['source']} |")
    return "\n".join(lines) + "\n"


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
    spec = check(cfg)
    series, confidence = read_series(cfg, spec.world)
    fits = [fit_series(s, spec.world, confidence) for s in series]
    anchors = anchor_shares(spec, read_anchors(cfg, spec.world))
    result = {"futures_version": __version__, "seed": spec.seed,
              "method": "scipy.optimize.curve_fit on ln share; covariance from the Jacobian, "
                        "Student-t intervals (docs/calibration.md)",
              "series": {f.series.name: summary(f) for f in fits},
              "anchors": anchors,
              "config": config_text(cfg)}
    output_dir.mkdir(parents=True, exist_ok=True)
    path = write_text(output_dir / RESULT, yaml.safe_dump(result, sort_keys=False,
                                                            allow_unicode=True, width=100))
    write_text(output_dir / REPORT, markdown(fits, spec.world) + anchor_markdown(anchors))
    for written in figure(fits, spec.world, output_dir / CALIBRATION_FIGURE):
        log.info("wrote %s", written)
    for f in fits:
        log.info("%s: momentum.%s = %.4f (was %.4f), scale = %.4f", f.series.name,
                 f.series.trend, f.momentum, f.prior_momentum, f.scale)
    return path

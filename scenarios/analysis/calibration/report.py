"""The report and figure of ``futures calibrate``: observed vs fitted, residuals, uncertainty."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from models.ensemble import World
from scenarios.analysis.calibration.compute import Fit, backcast, frozen_terms
from scenarios.analysis.sensitivity.report import SIZE, save
from scenarios.figures.style import display_name

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

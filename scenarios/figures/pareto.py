"""The Pareto figure of ``futures portfolio`` (and of the policy chapter of ``futures
report``): per area the bad-luck outcome of every non-dominated portfolio against its cost,
the 2021 programme starred, the budget dashed. Made from ``portfolios.nc`` alone; 1920 x 1080
at 150 dpi like every figure, one language per figure.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.figures.base import SIZE, style
from scenarios.figures.style import display_name

#: The figure's words per language.
TEXT = {
    "en": {"title": "Robust portfolios within the budget (dashed: EUR {budget:.0f} m a year)",
           "note": "outcome in bad luck: {q:.0%} of the simulated worlds do worse",
           "x": "cost, EUR million a year", "y": "outcome in bad luck",
           "portfolios": "portfolios", "reference": "2021 programme"},
    "nl": {"title": "Robuuste pakketten binnen het budget (streep: {budget:.0f} mln euro per "
                    "jaar)",
           "note": "uitkomst bij tegenslag: {q:.0%} van de gesimuleerde werelden doet het "
                   "slechter",
           "x": "kosten, mln euro per jaar", "y": "uitkomst bij tegenslag",
           "portfolios": "pakketten", "reference": "programma 2021"},
}


def _close_groups(x: np.ndarray, y: np.ndarray, chosen: range) -> list[list[int]]:
    """The ``chosen`` points in groups of those within 3% of the panel's ranges of each other,
    so that nearly equal portfolios share one label ("P3/P4") instead of printing over it."""
    span_x, span_y = max(float(np.ptp(x)), 1e-9), max(float(np.ptp(y)), 1e-9)
    groups: list[list[int]] = []
    for p in chosen:
        for group in groups:
            q = group[0]
            if abs(x[p] - x[q]) < 0.03 * span_x and abs(y[p] - y[q]) < 0.03 * span_y:
                group.append(p)
                break
        else:
            groups.append([p])
    return groups


def figure(ds: xr.Dataset, lang: str = "en") -> plt.Figure:
    """Per area (five panels in a 2 x 3 grid) bad-luck outcome against cost."""
    words = TEXT[lang]
    areas = [str(a) for a in ds.area.values]
    cost = ds.cost.values
    with style():
        fig, grid = plt.subplots(2, 3, figsize=SIZE, sharex=True, layout="constrained")
        axes = grid.ravel()
        for a, (ax, area) in enumerate(zip(axes, areas)):
            y = ds.bad_luck.values[:, a]
            ax.scatter(cost[1:], y[1:], s=30, color="tab:blue", label=words["portfolios"])
            ax.scatter(cost[:1], y[:1], s=160, marker="*", color="black",
                       label=words["reference"], zorder=3)
            for group in _close_groups(cost, y, range(1, min(5, len(cost)))):  # the best four
                ax.annotate("/".join(str(ds.portfolio.values[p]) for p in group),
                            (cost[group[0]], y[group[0]]), fontsize=11, xytext=(4, 4),
                            textcoords="offset points")
            ax.axvline(float(ds.attrs["budget"]), color="tab:red", ls="--", lw=1.2)
            ax.set_title(display_name(area, lang), fontsize=14)
            ax.grid(alpha=0.3)
            if a % 3 == 0:
                ax.set_ylabel(words["y"], fontsize=13)
            if a >= 2:
                ax.set_xlabel(words["x"], fontsize=12)
                ax.tick_params(labelbottom=True)
        for ax in axes[len(areas):]:
            ax.axis("off")
        handles, labels = axes[0].get_legend_handles_labels()
        note = textwrap.fill(words["note"].format(q=float(ds.attrs["quantile"])), 34)
        axes[-1].legend(handles, labels, loc="center", fontsize=14, frameon=False, title=note,
                        title_fontsize=12)
        fig.suptitle(words["title"].format(budget=float(ds.attrs["budget"])), fontsize=17)
    return fig

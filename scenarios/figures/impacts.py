"""The five impact areas in the final year: distributions over the members, per future."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from scenarios.figures.base import Options, grey_shades, new_figure, variant_shades
from scenarios.figures.data import RunData
from scenarios.figures.labels import name, text
from scenarios.figures.style import future_colour


def final_year(run: RunData) -> float:
    """The last simulated time (2030.0 by default)."""
    return float(run.ds.time.values[-1])


def _violin(ax, values: np.ndarray, x: float, width: float, colour) -> None:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    if np.ptp(values) > 0:
        body = ax.violinplot([values], positions=[x], widths=width, showextrema=False)
        for patch in body["bodies"]:
            patch.set_facecolor(colour)
            patch.set_edgecolor(colour)
            patch.set_alpha(0.55)
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    ax.vlines(x, q25, q75, color=colour, lw=max(3.0, 30 * width), zorder=3)
    ax.vlines(x, values.min(), values.max(), color=colour, lw=1.2, zorder=3)
    ax.plot(x, q50, "o", ms=7, color="white", mec="black", mew=1.2, zorder=4)


def impact_violins(run: RunData, options: Options) -> Figure:
    """Violins (with the middle 50% as a bar and the median as a white dot) of every impact
    area in the final year, one per future; for a sweep one per future and swept value."""
    lang = options.lang
    fig = new_figure()
    axes = fig.subplots(2, 3).ravel()
    year = final_year(run)
    n = len(run.variants)
    width = 0.8 / n
    for k, area in enumerate(run.ds.area.values):
        ax = axes[k]
        for j, future in enumerate(run.futures):
            shades = variant_shades(future, run.futures, n)
            for i, variant in enumerate(run.variants):
                if not run.has(variant, future):
                    continue
                values = run.view(variant).impact.sel(future=future, area=area).isel(
                    time=-1).values.ravel()
                x = j - 0.4 + width * (i + 0.5)
                _violin(ax, values, x, width * 0.9, shades[i])
        ax.axhline(0, color="black", lw=1)
        ax.set_xticks([])
        ax.set_xlim(-0.6, len(run.futures) - 0.4)
        ax.grid(axis="x", visible=False)
        ax.set_title(textwrap.fill(name(str(area), lang, run.study), 24))
    # one scale for every area, so heights compare across the panels
    low = min(ax.get_ylim()[0] for ax in axes[:k + 1])
    high = max(ax.get_ylim()[1] for ax in axes[:k + 1])
    for ax in axes[:k + 1]:
        ax.set_ylim(low, high)
    legend_ax = axes[5]
    legend_ax.axis("off")
    handles: list[Artist] = [Patch(color=future_colour(f, run.futures), alpha=0.8)
                             for f in run.futures]
    labels = [name(f, lang, run.study) for f in run.futures]
    if run.is_sweep:
        for variant, grey in zip(run.variants, grey_shades(n)):
            handles.append(Line2D([], [], color=grey, lw=8))
            labels.append(variant.label)
    legend_ax.legend(handles, labels, loc="upper center", frameon=False,
                     title=textwrap.fill(text("impact_note", lang), 34),
                     ncol=2 if len(labels) > 8 else 1)
    fig.suptitle(text("impacts_title", lang, year=f"{year:g}"))
    fig.supylabel(text("impact_axis", lang))
    return fig

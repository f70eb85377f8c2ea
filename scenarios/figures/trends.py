"""Figures of the trends: fan charts per future, all futures compared, the 2x2 quadrant."""

from __future__ import annotations

import textwrap

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from scenarios.figures.base import Options, grey_shades, new_figure, variant_shades
from scenarios.figures.data import RunData
from scenarios.figures.labels import name, text
from scenarios.figures.style import future_colour

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
LINESTYLES = ("-", "--", ":", "-.")
YEAR_TICKS = (2021, 2025, 2030)


def quantiles(level: xr.DataArray) -> np.ndarray:
    """Quantiles over members: array (5, time, trend) for QUANTILES (NaN members skipped)."""
    return level.quantile(list(QUANTILES), dim="member", skipna=True).transpose(
        "quantile", "time", "trend").values


def _grid(fig: Figure, n: int) -> list:
    """Four columns of panels, one per trend of the study, then the legend cell."""
    axes = fig.subplots(-(-(n + 1) // 4), 4, sharex=True, sharey=True).ravel()
    for ax in axes[:n]:
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 0.5, 1])
        ax.set_xticks(YEAR_TICKS)
    for k in range(n):
        if k + 4 >= n:  # nothing below: above the legend or an empty cell
            axes[k].tick_params(labelbottom=True)
    for ax in axes[n + 1:]:
        ax.axis("off")
    return list(axes)


def _subtitle(run: RunData, lang: str) -> str:
    used, total = run.ds.sizes["member"], max(run.members_total, run.ds.sizes["member"])
    note = text("members_note", lang, members=f"{total:,}".replace(",", "\u2009"))
    if used < total:
        note += " " + text("members_read", lang, used=f"{used:,}".replace(",", "\u2009"))
    if run.is_sweep:
        note += "  |  " + text("swept", lang, keys=", ".join(run.swept))
    return note


def _variant_legend(ax, run: RunData, lang: str, handles: list, labels: list,
                    styles: bool = False) -> None:
    n = len(run.variants)
    for i, (variant, grey) in enumerate(zip(run.variants, grey_shades(n))):
        style = LINESTYLES[i % len(LINESTYLES)] if styles else "-"
        handles.append(Line2D([], [], color="#444444" if styles else grey, ls=style, lw=3))
        labels.append(variant.label.split("=", 1)[1] if len(run.swept) == 1 else variant.label)
    title = textwrap.fill(run.swept[0], 24) if len(run.swept) == 1 else None
    ax.legend(handles, labels, loc="center", frameon=False, title=title,
              ncol=2 if len(labels) > 8 else 1)


def fans(run: RunData, future: str, options: Options) -> Figure:
    """Fan chart of the eleven trends in one future: median, 50% and 90% of the members.

    For a sweep, one median line and 50% band per swept value, in shades of the future's
    colour (dark to light in the order of the values).
    """
    lang = options.lang
    fig = new_figure()
    axes = _grid(fig, run.ds.sizes["trend"])
    n = run.ds.sizes["trend"]
    trends = [str(t) for t in run.ds.trend.values]
    variants = [v for v in run.variants if run.has(v, future)]
    colours = variant_shades(future, run.futures, len(variants))
    time = run.ds.time.values
    for variant, colour in zip(variants, colours):
        q = quantiles(run.view(variant).level.sel(future=future))
        for k, ax in enumerate(axes[:n]):
            if not run.is_sweep:
                ax.fill_between(time, q[0, :, k], q[4, :, k], color=colour, alpha=0.2, lw=0)
            ax.fill_between(time, q[1, :, k], q[3, :, k], color=colour,
                            alpha=0.15 if run.is_sweep else 0.45, lw=0)
            ax.plot(time, q[2, :, k], color=colour)
    for k, ax in enumerate(axes[:n]):
        ax.set_title(name(trends[k], lang, run.study))
    legend_ax = axes[n]
    legend_ax.axis("off")
    line_colour = future_colour(future, run.futures)
    if run.is_sweep:
        _variant_legend(legend_ax, run, lang, [], [])
    else:
        handles = [Line2D([], [], color=line_colour, lw=3),
                   Patch(color=line_colour, alpha=0.45 + 0.2 * 0.55, lw=0),
                   Patch(color=line_colour, alpha=0.2, lw=0)]
        legend_ax.legend(handles, [text("median", lang), text("band50", lang),
                                   text("band90", lang)], loc="center", frameon=False)
    fig.suptitle(text("fans_title", lang, future=name(future, lang, run.study)), color="black")
    fig.supxlabel(_subtitle(run, lang), fontsize=13, color="#444444")
    fig.supylabel(text("level", lang))
    return fig


def compared_width(index: int, count: int) -> float:
    """Line width (pt) of the ``index``-th of ``count`` futures in ``fans_compared``: the
    first widest, the last 1.8 pt, 1.3 pt apart (a coincident wider line shows 0.65 pt on
    each side of a narrower one: 1.4 px at 150 dpi)."""
    return 1.8 + 1.3 * (count - 1 - index)


def fans_compared(run: RunData, options: Options) -> Figure:
    """All futures in one grid: median and 50% band per future (a sweep: a line style per
    swept value, medians only)."""
    lang = options.lang
    fig = new_figure()
    axes = _grid(fig, run.ds.sizes["trend"])
    n = run.ds.sizes["trend"]
    time = run.ds.time.values
    medians = []
    for future in run.futures:
        colour = future_colour(future, run.futures)
        for i, variant in enumerate(run.variants):
            if not run.has(variant, future):
                continue
            q = quantiles(run.view(variant).level.sel(future=future))
            medians.append((future, i, q[2]))
            if not run.is_sweep:
                for k, ax in enumerate(axes[:n]):
                    ax.fill_between(time, q[1, :, k], q[3, :, k], color=colour, alpha=0.25,
                                    lw=0)
    # Medians over the bands, each future thinner than the one before and drawn over it:
    # where two futures' medians coincide, both stay visible as a line inside a line.
    count = len(run.futures)
    for future, i, median in medians:
        j = run.futures.index(future)
        width = compared_width(j, count)
        for k, ax in enumerate(axes[:n]):
            ax.plot(time, median[:, k], color=future_colour(future, run.futures), lw=width,
                    ls=LINESTYLES[i % len(LINESTYLES)], zorder=3 + j, solid_capstyle="butt")
    for k, ax in enumerate(axes[:n]):
        ax.set_title(name(str(run.ds.trend.values[k]), lang, run.study))
    legend_ax = axes[n]
    legend_ax.axis("off")
    handles = [Line2D([], [], color=future_colour(f, run.futures),
                      lw=compared_width(j, len(run.futures)) + 1.0)
               for j, f in enumerate(run.futures)]
    labels = [name(f, lang, run.study) for f in run.futures]
    if run.is_sweep:
        _variant_legend(legend_ax, run, lang, handles, labels, styles=True)
    else:
        legend_ax.legend(handles, labels, loc="center", frameon=False,
                         title=f"{text('median', lang)} + {text('band50', lang)}")
    fig.suptitle(text("fans_compared_title", lang))
    fig.supxlabel(_subtitle(run, lang), fontsize=13, color="#444444")
    fig.supylabel(text("level", lang))
    return fig


def medians_2030(run: RunData) -> xr.DataArray:
    """Median level at the last time step per future and trend, pooled over swept values."""
    level = run.ds.level.isel(time=-1)
    pooled = [d for d in level.dims if d not in ("future", "trend")]
    return level.median(pooled, skipna=True)


def key_trends(run: RunData, future: str, count: int = 4) -> list[str]:
    """The trends whose 2030 median sets ``future`` furthest apart from the other futures."""
    med = medians_2030(run)
    if len(run.futures) == 1:
        return [str(t) for t in med.trend.values[np.argsort(-med.sel(future=future).values)]
                [:count]]
    others = med.drop_sel(future=future).mean("future")
    gap = np.abs((med.sel(future=future) - others).values)
    return [str(t) for t in med.trend.values[np.argsort(-gap, kind="stable")][:count]]


def _sketch(ax, run: RunData, future: str, shades: list, med: xr.DataArray, left: float,
            top: float, lang: str, step: float = 0.048, width: float = 0.27) -> None:
    """Bars of the key trends of ``future`` from (``left``, ``top``) down, in data units: the
    2030 median level per swept value, a black tick at the mean of the other futures."""
    others = med.drop_sel(future=future).mean("future") if len(run.futures) > 1 else None
    n, height = len(run.variants), 0.036
    for r, trend in enumerate(key_trends(run, future)):
        ry = top - r * step
        ax.text(left - 0.008, ry, name(trend, lang, run.study), ha="right", va="center",
                fontsize=13)
        ax.add_patch(Rectangle((left, ry - height / 2), width, height, color="#eeeeee", lw=0))
        for i, variant in enumerate(run.variants):
            if not run.has(variant, future):
                continue
            value = float(run.view(variant).level.isel(time=-1).sel(
                future=future, trend=trend).median(skipna=True))
            ax.add_patch(Rectangle((left, ry + height / 2 - (i + 1) * height / n),
                                   width * value, height / n, color=shades[i], lw=0))
        if others is not None:
            mark = left + width * float(others.sel(trend=trend))
            ax.plot([mark, mark], [ry - 0.024, ry + 0.024], color="black", lw=2.2)


def quadrant(run: RunData, options: Options) -> Figure:
    """The 2x2 of the two axes with each future placed at its position and a sketch of its
    key trends: bars of the 2030 median level, a tick for the mean of the other futures.

    For a sweep, one marker and one bar per swept value (shades of the future's colour).
    """
    lang = options.lang
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axvline(0.5, color="#999999", lw=1.5)
    ax.axhline(0.5, color="#999999", lw=1.5)
    ax.grid(False)
    ax.set_xticks([0, 0.5, 1])
    ax.set_yticks([0, 0.5, 1])
    ax.set_xlabel(text("ownership_axis", lang))
    ax.set_ylabel(text("purpose_axis", lang))
    med = medians_2030(run)
    n = len(run.variants)
    crowd: dict[tuple[int, int], int] = {}
    for future in run.futures:
        colour = future_colour(future, run.futures)
        shades = variant_shades(future, run.futures, n)
        placed = [(i, run.view(v).position.sel(future=future).values)
                  for i, v in enumerate(run.variants) if run.has(v, future)]
        if not placed:
            continue
        x, y = np.mean([p for _, p in placed], axis=0)
        if np.ptp([p for _, p in placed], axis=0).max() == 0:  # the sweep did not move it
            placed = [(-1, placed[0][1])]
        for i, (px, py) in placed:
            ax.plot(px, py, "o", ms=18, color=colour if i < 0 else shades[i], mec="white",
                    mew=2, zorder=5)
        quad = (int(x >= 0.5), int(y >= 0.5))
        slot = crowd.get(quad, 0)
        crowd[quad] = slot + 1
        qx, qy = 0.5 * quad[0], 0.5 * quad[1]
        ha = "left" if x < 0.2 else "right" if x > 0.8 else "center"
        dx = {"left": -14, "right": 14, "center": 0}[ha]
        ax.annotate(name(future, lang, run.study), (x, y), xytext=(dx, 14),
                    textcoords="offset points",
                    ha=ha, va="bottom", fontsize=18, fontweight="bold", color=colour,
                    zorder=6)
        # the sketch fills the half of the quadrant without the marker (a second future in
        # the same quadrant takes the other half)
        upper = ((y - qy) < 0.25) != bool(slot % 2)
        _sketch(ax, run, future, shades, med, qx + 0.2, qy + (0.47 if upper else 0.2), lang)
    note = text("key_trends", lang)
    if run.is_sweep:
        note += "  |  " + text("swept", lang, keys=", ".join(run.swept))
        handles = [Line2D([], [], color=grey, lw=8) for grey in grey_shades(n)]
        ax.legend(handles, [v.label for v in run.variants], loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title(note, fontsize=13, fontweight="normal", color="#444444", loc="left")
    fig.suptitle(text("quadrant_title", lang))
    return fig

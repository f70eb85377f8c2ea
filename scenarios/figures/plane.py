"""The axis-plane map (``futures plane``, and the policy chapter of ``futures report``): one
map per impact area, the futures marked, arrows showing where and in which direction outcomes
change fastest. Made from ``plane.nc`` (:func:`scenarios.analysis.plane.compute.to_dataset`)
alone; 1920 x 1080 at 150 dpi like every figure, one language per figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import MaxNLocator

from scenarios.figures.base import SIZE, style
from scenarios.figures.style import display_name, future_colour

#: The figure's words per language; area, driver and future names come from the catalogue.
TEXT = {
    "en": {"x": "ownership: shareholder \u2192 stakeholder",
           "y": "purpose: growth \u2192 welfare",
           "zero": "as in 2021", "bar": "change since 2021", "target": "{name} in the futures",
           "spread": "{name} between the futures", "none": "other drivers at 2021",
           "title": "Impact areas over the plane of the axes ({statistic} over {members} "
                    "simulated worlds, {year:g})",
           "note": "Arrows point where the outcome improves; their length is how fast (one "
                   "scale in every panel). Blue: better than 2021, red: worse."},
    "nl": {"x": "eigendom: aandeelhouder \u2192 stakeholder",
           "y": "doel: groei \u2192 welvaart",
           "zero": "als in 2021", "bar": "verandering sinds 2021", "target": "{name} in de toekomsten",
           "spread": "{name} tussen de toekomsten", "none": "overige drivers als "
           "in 2021",
           "title": "Impactgebieden over het assenvlak ({statistic} over {members} "
                    "gesimuleerde werelden, {year:g})",
           "note": "Pijlen wijzen waar de uitkomst verbetert; hun lengte is hoe snel (\u00e9\u00e9n "
                   "schaal in elk paneel). Blauw: beter dan 2021, rood: slechter."},
}
STATISTIC = {"nl": {"median": "mediaan", "mean": "gemiddelde", "quantile": "kwantiel"},
             "en": {}}
#: The longest arrow spans this many grid steps; all panels share the arrow scale.
ARROW_STEPS = 1.1


def _mark_futures(ax: plt.Axes, ds: xr.Dataset, labels: bool, lang: str = "en") -> list:
    """Mark the futures and the 2021 position; returns the markers' and labels' artists."""
    futures = [str(f) for f in ds.future.values]
    drawn: list[Artist] = []
    sq = ds.attrs["status_quo_position"]
    drawn += ax.plot(sq[0], sq[1], marker="X", ms=10, color="0.35", mec="white", mew=1,
                     zorder=5)
    if labels:
        drawn += [ax.annotate("2021", (sq[0], sq[1]), xytext=(6, -12), textcoords="offset points",
                    fontsize=11, color="0.2",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.8})]
    for f, fut in enumerate(futures):
        x, y = ds.position.values[f]
        drawn += [ax.scatter([x], [y], s=110, color=future_colour(fut, futures), edgecolor="black",
                   linewidth=1.6, zorder=6)]
        if labels:  # beside the marker, towards the middle; below it in the lower left; to
            # its side near the top edge (above it the label would run into the panel's title)
            below, top = x < 0.5 and y < 0.5, y > 0.85
            ha = "left" if x < 0.3 else "right" if x > 0.7 else "center"
            offset = (0, -12 if below else 10)
            if top:
                ha, offset = ("right", (-10, 0)) if x > 0.5 else ("left", (10, 0))
            drawn += [ax.annotate(display_name(fut, lang), (x, y),
                        xytext=offset, textcoords="offset points", ha=ha,
                        va="center" if top else "top" if below else "bottom", fontsize=11,
                        fontweight="bold", zorder=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white",
                              "ec": future_colour(fut, futures), "lw": 1.2, "alpha": 0.9})]
    return drawn


def _label_spot(contour, ax: plt.Axes, avoid: list) -> tuple[float, float]:
    """The point of the contour line farthest from the ``avoid`` artists' boxes (markers and
    name labels, measured as drawn), so its label covers none of them; away from the
    frame's edges where it can."""
    steps = np.linspace(0.0, 1.0, 10, endpoint=False)[None, :, None]  # 10 per segment
    points = np.concatenate([
        np.vstack([(seg[:-1, None] + steps * (seg[1:] - seg[:-1])[:, None]).reshape(-1, 2),
                   seg[-1:]])
        for seg in contour.allsegs[0] if len(seg)])
    inner = points[(points.min(axis=1) > 0.05) & (points.max(axis=1) < 0.95)]
    points = inner if len(inner) else points
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg canvas
    to_data = ax.transData.inverted()
    boxes = np.array([to_data.transform(a.get_window_extent(renderer).get_points())
                      for a in avoid])  # (artists, corner, xy)
    low, high = boxes.min(axis=1), boxes.max(axis=1)
    gap = np.maximum(np.maximum(low[None] - points[:, None], points[:, None] - high[None]), 0)
    x, y = points[int(np.argmax(np.linalg.norm(gap, axis=-1).min(axis=1)))]
    return float(x), float(y)


def _axes_labels(ax: plt.Axes, left: bool, bottom: bool, lang: str = "en") -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.tick_params(labelsize=11)
    ax.grid(False)
    if bottom:
        ax.set_xlabel(TEXT[lang]["x"], fontsize=12)
    if left:
        ax.set_ylabel(TEXT[lang]["y"], fontsize=12)


def figure(ds: xr.Dataset, lang: str = "en") -> plt.Figure:
    """Small multiples: filled contours of the outcome per area, arrows of its gradient,
    the futures and the 2021 position marked; a sixth panel shows the spread drivers.
    1920 x 1080 pixels at 150 dpi (:data:`scenarios.figures.base.SIZE`), one language."""
    with style():
        return _figure(ds, TEXT[lang], lang)


def _figure(ds: xr.Dataset, words: dict[str, str], lang: str) -> plt.Figure:
    axis = ds.ownership.values
    own, pur = np.meshgrid(axis, ds.purpose.values, indexing="ij")
    areas = [str(a) for a in ds.area.values]
    fig, axes = plt.subplots(2, 3, figsize=SIZE, layout="constrained")
    flat = axes.ravel()
    steps = max(1, int(np.ceil(len(axis) / 13)))  # at most ~13 arrows per axis
    sub = (slice(None, None, steps), slice(None, None, steps))
    longest = float(ds.gradient_magnitude.max())
    scale = longest / (ARROW_STEPS * steps * (axis[1] - axis[0])) if longest > 0 else 1.0
    for a, area in enumerate(areas):
        ax = flat[a]
        z = ds.outcome.values[:, :, a]
        reach = max(float(np.abs(z).max()), 1e-9)
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
        filled = ax.contourf(own, pur, z, levels=np.linspace(-reach, reach, 21), cmap="RdBu",
                             norm=norm)
        ax.quiver(own[sub], pur[sub], ds.gradient_ownership.values[:, :, a][sub],
                  ds.gradient_purpose.values[:, :, a][sub], angles="xy", scale_units="xy",
                  scale=scale, color="0.1", width=0.004, alpha=0.75, zorder=4)
        marks = _mark_futures(ax, ds, labels=True, lang=lang)
        _axes_labels(ax, left=a % 3 == 0, bottom=a >= 3, lang=lang)
        if z.min() < 0 < z.max():
            zero = ax.contour(own, pur, z, levels=[0.0], colors="black", linewidths=1.2,
                              linestyles="--")
            ax.clabel(zero, fmt={0.0: words["zero"]}, fontsize=11,
                      manual=[_label_spot(zero, ax, marks)])
        ax.set_title(display_name(area, lang), fontsize=13)
        bar = fig.colorbar(filled, ax=ax, shrink=0.85, pad=0.02,
                           ticks=MaxNLocator(7, symmetric=True), format="%+.2f")
        bar.set_label(words["bar"], fontsize=11)
        bar.ax.tick_params(labelsize=10)
    last = flat[len(areas)] if len(areas) < len(flat) else None
    if last is not None:
        if "driver_value" in ds:
            name = str(ds.driver.values[0])
            field = ds.driver_value.values[:, :, 0]
            shades = last.contourf(own, pur, field, levels=np.linspace(0, 1, 11),
                                   cmap="Greys", vmin=0, vmax=1.4)
            lines = last.contour(own, pur, field, levels=np.linspace(0.1, 0.9, 9),
                                 colors="0.3", linewidths=0.6)
            last.clabel(lines, fontsize=10, fmt="%.1f")
            bar = fig.colorbar(shades, ax=last, shrink=0.85, pad=0.02)
            bar.set_label(words["target"].format(name=display_name(name, lang)), fontsize=11)
            bar.ax.tick_params(labelsize=10)
            last.set_title(words["spread"].format(name=display_name(name, lang)), fontsize=13)
        else:
            last.set_title(words["none"], fontsize=14)
        _mark_futures(last, ds, labels=False, lang=lang)
        _axes_labels(last, left=False, bottom=True, lang=lang)
    statistic = STATISTIC[lang].get(ds.attrs["statistic"], ds.attrs["statistic"])
    fig.suptitle(words["title"].format(statistic=statistic, members=ds.sizes["member"],
                                       year=ds.attrs["year"]), fontsize=16)
    fig.supxlabel(words["note"], fontsize=12)
    return fig

"""Events over time: stochastic events per year and the scheduled events of each future."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from scenarios.figures.base import Options, grey_shades, new_figure, variant_shades
from scenarios.figures.data import RunData
from scenarios.figures.labels import milestone_name, name, text
from scenarios.figures.style import future_colour

MARKERS = {"eu_rule": "s", "election": "D"}


def stochastic_kinds(run: RunData) -> list[str]:
    """Event kinds drawn at random (those that are not scheduled milestones)."""
    scheduled = set(map(str, run.ds.milestone_kind.values)) if "milestone_kind" in run.ds \
        else set()
    return [str(k) for k in run.ds.kind.values if str(k) not in scheduled]


def event_timeline(run: RunData, options: Options) -> Figure:
    """Top: the mean number of stochastic events per member and year, one line per future
    (a sweep: one per swept value, in shades). Bottom: when each future's scheduled events
    (EU rules, elections) happen."""
    lang = options.lang
    fig = new_figure()
    if "event_count" not in run.ds:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, text("events_off", lang), ha="center", va="center", fontsize=20)
        fig.suptitle(text("events_title", lang))
        return fig
    kinds = stochastic_kinds(run)
    mosaic: list[Any] = [[*kinds, "legend"], ["milestones"] * (len(kinds) + 1)]
    axes = fig.subplot_mosaic(mosaic, height_ratios=[1.25, 1],
                              width_ratios=[1] * len(kinds) + [0.8])
    _event_counts(axes, kinds, run, lang)
    _milestones(axes["milestones"], run, lang)
    _legend(axes["legend"], run, lang)
    fig.suptitle(text("events_title", lang))
    return fig


def _event_counts(axes: dict, kinds: list[str], run: RunData, lang: str) -> None:
    """One panel per stochastic kind: mean events per member and year, per future."""
    n = len(run.variants)
    years = run.ds.year.values
    lines = len(run.futures) * n
    for kind in kinds:
        ax = axes[kind]
        for j, future in enumerate(run.futures):
            shades = variant_shades(future, run.futures, n)
            for i, variant in enumerate(run.variants):
                if not run.has(variant, future):
                    continue
                count = run.view(variant).event_count.sel(future=future, kind=kind)
                mean = count.astype(float).mean("member", skipna=True).values
                ax.plot(years + 0.5 + dodge(j * n + i, lines), mean, "-o", ms=6,
                        color=shades[i], mec="white", mew=1.0)

        ax.set_title(name(kind, lang))
        ax.set_xticks([2021, 2025, 2030])
        ax.set_ylim(bottom=0)
    axes[kinds[0]].set_ylabel(text("events_axis", lang))


#: Years between the markers of neighbouring lines in one year (all lines within 0.4 years).
DODGE = 0.4


def dodge(index: int, count: int) -> float:
    """Horizontal offset (years) of line ``index`` of ``count``: equal counts of two futures
    in one year are two markers side by side, not one on top of the other."""
    return 0.0 if count < 2 else DODGE * (index / (count - 1) - 0.5)


#: Scheduled events closer than this (years) in one row are drawn apart.
NEAR = 0.3


def _milestones(ax, run: RunData, lang: str) -> None:
    """One row per future: when its scheduled events happen (a row per swept value when the
    sweep moves them); elections as dotted lines."""
    n = len(run.variants)
    futures = list(run.futures)
    milestones = [str(m) for m in run.ds.milestone.values]
    kinds_of = [str(k) for k in run.ds.milestone_kind.values]
    for j, future in enumerate(futures):
        shades = variant_shades(future, futures, n)
        y = len(futures) - 1 - j
        ax.axhline(y, color=future_colour(future, futures), lw=1, alpha=0.5)
        rows = [(i, run.view(v).milestone_time.sel(future=future).values)
                for i, v in enumerate(run.variants) if run.has(v, future)]
        if rows and all(np.array_equal(r, rows[0][1], equal_nan=True) for _, r in rows):
            rows = [(-1, rows[0][1])]  # the sweep does not move the schedule: one row
        for k, (i, times) in enumerate(rows):
            dy = 0.0 if len(rows) == 1 else 0.3 * (0.5 - k / (len(rows) - 1))
            colour = future_colour(future, futures) if i < 0 else shades[i]
            placed: list[float] = []
            for m in np.argsort(np.where(np.isfinite(times), times, np.inf)):
                t = times[m]
                if not np.isfinite(t):
                    continue
                # markers closer than NEAR years in one row go below the row, not on top of
                # one another
                near = sum(abs(t - p) < NEAR for p in placed)
                placed.append(float(t))
                shift = -0.28 * near
                ax.plot(t, y + dy + shift, MARKERS.get(kinds_of[m], "o"), ms=11,
                        color=colour, mec="black", mew=0.8, zorder=3 + near)
                if k == 0 and kinds_of[m] != "election":
                    ax.annotate(milestone_name(milestones[m], lang), (t, y + dy + shift),
                                xytext=(9, 0) if near else (0, 9),
                                textcoords="offset points", ha="left" if near else "center",
                                va="center" if near else "bottom", fontsize=11)
    elections = [float(np.nanmin(run.ds.milestone_time.sel(milestone=m).values))
                 for m, k in zip(milestones, kinds_of) if k == "election"
                 and np.isfinite(run.ds.milestone_time.sel(milestone=m).values).any()]
    for t in elections:
        ax.axvline(t, color="#888888", ls=":", lw=1.5, zorder=1)
    ax.set_yticks(range(len(futures)), [name(f, lang) for f in reversed(futures)])
    ax.set_ylim(-0.6, len(futures) - 0.2)
    ax.set_xlim(float(run.ds.time.values[0]), float(run.ds.time.values[-1]) + 0.2)
    ax.grid(axis="y", visible=False)
    ax.set_title(text("milestones", lang), loc="left")


def _legend(ax, run: RunData, lang: str) -> None:
    """The futures' colours, the scheduled events' markers and (a sweep) the shades."""
    futures = list(run.futures)
    handles = [Line2D([], [], color=future_colour(f, futures), lw=4) for f in futures]
    labels = [name(f, lang) for f in futures]
    handles += [Line2D([], [], ls="", marker=MARKERS[k], ms=11, color="#777777", mec="black")
                for k in MARKERS]
    labels += [text("eu_rule", lang), text("cabinet", lang)]
    if run.is_sweep:
        for variant, grey in zip(run.variants, grey_shades(len(run.variants))):
            handles.append(Line2D([], [], color=grey, lw=4))
            labels.append(variant.label)
    ax.axis("off")
    ax.legend(handles, labels, loc="center", frameon=False, fontsize=13,
              ncol=2 if len(labels) > 10 else 1)

"""Figures of ``futures sensitivity``: which parameters matter, for what, and when.

* ``sensitivity_heatmap.png/.pdf`` - total-order index of every output (columns) to every
  parameter that matters somewhere (rows) in the last analysed year, one panel per future;
* ``sensitivity_time.png/.pdf`` - S1 and ST over the years of the chosen output for its
  most influential parameters, one line per future in the future's colour, with intervals.

Sized for a 1920 x 1080 projector (12.8 x 7.2 in at 150 dpi); colours and names from
:mod:`scenarios.figures.style`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from scenarios.engine.names import SENSITIVITY_HEATMAP, SENSITIVITY_TIME
from scenarios.engine.storage import save_figure
from scenarios.figures.style import display_name, future_colour

#: Figure size in inches and raster resolution: 1920 x 1080 pixels.
SIZE, DPI = (12.8, 7.2), 150
#: Parameters whose total-order index stays below this for every output and future in the
#: heatmap's year are left out of it (named in the figure's footnote).
SHOWN_FROM = 0.02

#: The figures' words, English then Dutch (``sensitivity.lang``); trend, area and future
#: names come from the catalogue.
WORDS: dict[str, tuple[str, str]] = {
    "heatmap_title": (("Which uncertain parameters drive each trend (left) and impact area "
                       "(right of the white line) in {year}"),
                      ("Welke onzekere parameters elke trend (links) en elk effectgebied "
                       "(rechts van de witte lijn) bepalen in {year}")),
    "colourbar": ("total-order Sobol index ST", "totale-orde Sobol-index ST"),
    "note": ("{samples} base samples, {runs} runs per future; events: {events}.",
             ("{samples} basissteekproeven, {runs} modelruns per toekomst; "
              "gebeurtenissen: {events}.")),
    "hidden": (" Not shown (ST < {limit} everywhere): {n} parameters.",
               " Niet getoond (overal ST < {limit}): {n} parameters."),
    "year": ("year", "jaar"),
    "index": ("Sobol index", "Sobol-index"),
    "st": ("total order ST (band: interval)", "totale orde ST (band: interval)"),
    "s1": ("first order S1", "eerste orde S1"),
    "time_title": ("{output}: the {n} most influential parameters over time ({pct} intervals)",
                   ("{output}: de {n} invloedrijkste parameters door de tijd "
                    "({pct}-intervallen)")),
}
#: The uncertain parameters' names in the figures, English then Dutch.
PARAMETER_WORDS: dict[str, tuple[str, str]] = {
    "cross_impact_strength": ("cross impact strength", "sterkte wisselwerking"),
    "transition_years": ("transition years", "overgangsduur"),
    "ownership_shift": ("ownership shift", "verschuiving eigendom"),
    "purpose_shift": ("purpose shift", "verschuiving doel"),
    "lever_efficacy": ("lever efficacy", "effectiviteit beleid"),
    "events": ("events", "gebeurtenissen"),
    "momentum": ("momentum", "momentum"),
    "initial": ("initial", "beginniveau"),
}
#: The same words per language: ``TEXT[lang][key]``.
TEXT: dict[str, dict[str, Any]] = {
    lang: {**{key: pair[i] for key, pair in WORDS.items()},
           "parameters": {key: pair[i] for key, pair in PARAMETER_WORDS.items()}}
    for i, lang in enumerate(("en", "nl"))
}


#: How the dataset's ``events`` attribute reads in Dutch.
EVENTS_NL = {"disabled": "uit", "common random numbers": "aan, gemeenschappelijke toevalsgetallen"}


def save(fig: Figure, path: Path) -> list[Path]:
    """Write ``fig`` as PNG and PDF next to each other, each atomically; no timestamps."""
    return save_figure(fig, path, ("png", "pdf"), dpi=DPI,
                       metadata={"png": {"Software": None}, "pdf": {"CreationDate": None}})


def parameter_name(name: str, lang: str = "en") -> str:
    """``momentum.autonomisering`` -> ``momentum: Autonomisation`` (catalogue names)."""
    words = TEXT[lang]["parameters"]
    head, _, tail = name.partition(".")
    if tail:
        return f"{words.get(head, head)}: {display_name(tail, lang)}"
    return words.get(name, name.replace("_", " "))


def heatmap(ds: xr.Dataset, path: Path, lang: str = "en") -> list[Path]:
    """ST per output x parameter in the last year, one panel per future."""
    words = TEXT[lang]
    year = int(ds.year[-1])
    st = ds.ST.sel(year=year)  # (future, output, parameter)
    peak = st.max(["future", "output"]).fillna(0.0)
    order = np.argsort(-st.mean(["future", "output"]).fillna(0.0).values, kind="stable")
    shown = [str(ds.parameter[i].item()) for i in order if peak[i] >= SHOWN_FROM]
    hidden = [str(p) for p in ds.parameter.values if p not in shown]
    futures = [str(f) for f in ds.future.values]
    fig = Figure(figsize=SIZE, layout="constrained")
    axes = fig.subplots(1, len(futures), sharey=True, squeeze=False)
    image = None
    for ax, fut in zip(axes[0], futures):
        values = st.sel(future=fut, parameter=shown).transpose("parameter", "output").values
        image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
        ax.set_title(display_name(fut, lang), color=future_colour(fut, futures),
                     fontsize=15, fontweight="bold")
        for side in ax.spines.values():
            side.set_edgecolor(future_colour(fut, futures))
            side.set_linewidth(3)
        ax.set_xticks(range(ds.sizes["output"]),
                      [display_name(str(o), lang) for o in ds.output.values],
                      rotation=90, fontsize=10)
        ax.axvline(len([k for k in ds.output_kind.values if k == "trend"]) - 0.5,
                   color="white", linewidth=2)
    axes[0][0].set_yticks(range(len(shown)), [parameter_name(p, lang) for p in shown],
                          fontsize=11)
    assert image is not None  # one panel per future, at least one
    bar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, pad=0.01)
    bar.set_label(words["colourbar"], fontsize=12)
    fig.suptitle(words["heatmap_title"].format(year=year), fontsize=16)
    events = str(ds.attrs["events"])
    note = words["note"].format(samples=ds.attrs["samples"],
                                runs=ds.attrs["model_runs_per_future"],
                                events=EVENTS_NL.get(events, events) if lang == "nl" else events)
    if hidden:
        note += words["hidden"].format(limit=SHOWN_FROM, n=len(hidden))
    fig.supxlabel(note, fontsize=11, color="0.3")
    return save(fig, path)


def over_time(ds: xr.Dataset, path: Path, output: str, top: int,
              lang: str = "en") -> list[Path]:
    """S1 and ST of ``output`` over the years for its ``top`` parameters, per future.

    The parameters are those with the largest ST in any year and future.
    """
    words = TEXT[lang]
    sel = ds.sel(output=output)
    rank = sel.ST.max(["future", "year"]).fillna(-1.0)
    order = np.argsort(-rank.values, kind="stable")[:top]
    params = [str(ds.parameter[i].item()) for i in order]
    futures = [str(f) for f in ds.future.values]
    cols = min(len(params), 2 if len(params) <= 4 else 3)
    rows = int(np.ceil(len(params) / cols))
    fig = Figure(figsize=SIZE, layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    years = ds.year.values
    for ax, par in zip(axes.flat, params):
        for fut in futures:
            colour = future_colour(fut, futures)
            one = sel.sel(parameter=par, future=fut)
            ax.fill_between(years, one.ST_low, one.ST_high, color=colour, alpha=0.18,
                            linewidth=0)
            ax.plot(years, one.ST, color=colour, linewidth=2.8,
                    label=display_name(fut, lang))
            ax.plot(years, one.S1, color=colour, linewidth=1.6, linestyle="--")
        ax.set_title(parameter_name(par, lang), fontsize=14)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=12)
    for ax in axes.flat[len(params):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(words["year"], fontsize=13)
    for ax in axes[:, 0]:
        ax.set_ylabel(words["index"], fontsize=13)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    handles += [Line2D([], [], color="0.3", linewidth=2.8),
                Line2D([], [], color="0.3", linewidth=1.6, linestyle="--")]
    labels += [words["st"], words["s1"]]
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=12,
               frameon=False)
    pct = f"{100 * ds.attrs['confidence']:g}%"
    fig.suptitle(words["time_title"].format(output=display_name(output, lang), n=len(params),
                                            pct=pct), fontsize=16)
    return save(fig, path)


def plot_all(ds: xr.Dataset, output_dir: Path, *, output: str, top: int,
             lang: str = "en") -> list[Path]:
    """Both figures of a sensitivity run, as PNG and PDF; returns the paths written."""
    return heatmap(ds, output_dir / SENSITIVITY_HEATMAP, lang) + \
        over_time(ds, output_dir / SENSITIVITY_TIME, output, top, lang)

"""The regret heatmaps of ``futures robustness`` (and of the policy chapter of ``futures
report``): one panel per area, settings by futures and the worst case, no-regret settings
ticked and boxed. Made from ``robustness.nc`` alone; 1920 x 1080 at 150 dpi like every figure,
one language per figure, settings named in words (:func:`setting_name`).
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.patches import Rectangle
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from scenarios.figures.base import SIZE, style
from scenarios.figures.style import display_name, future_colour

#: The figure's words per language; area and future names come from the catalogue.
TEXT = {
    "en": {"title": "Regret of lever settings across the futures: {statistic} of the impact "
                    "index in {year:g}",
           "note": "\u2713 boxed = no-regret (worst case \u2264 {tol:g}). Regret = the best "
                   "setting's outcome minus this one's in that future; 0 = best there",
           "worst": "worst", "bar": "regret (impact-index units)",
           "budget": "\nGrey names cost more than the budget (\u20ac{budget:.0f} m a year)"},
    "nl": {"title": "Spijt van beleidskeuzes over de toekomsten: {statistic} van de "
                    "impactindex in {year:g}",
           "note": "\u2713 omkaderd = zonder spijt (slechtste geval \u2264 {tol:g}). Spijt = "
                   "uitkomst van de beste keuze min die van deze, in die toekomst; 0 = daar "
                   "de beste",
           "worst": "slechtst", "bar": "spijt (eenheden van de impactindex)",
           "budget": "\nGrijze namen kosten meer dan het budget (\u20ac{budget:.0f} mln per jaar)"},
}
STATISTIC = {"nl": {"median": "mediaan", "mean": "gemiddelde", "quantile": "kwantiel"},
             "en": {}}
#: Words for a setting that changes one lever or all alike (:func:`setting_name`).
SETTING_WORDS = {
    "en": {"reference": "2021 programme", "all": "every programme", "doubled": "doubled",
           "stopped": "stopped", "halved": "halved", "times": "\u00d7{factor:g}"},
    "nl": {"reference": "programma 2021", "all": "elk programma", "doubled": "verdubbeld",
           "stopped": "gestopt", "halved": "gehalveerd", "times": "\u00d7{factor:g}"},
}

#: The default packages of conf/robustness.yaml in words, (English, Dutch); any other package
#: keeps its name with underscores as spaces.
PACKAGE_WORDS = {
    "innovation": ("Innovation package", "Innovatiepakket"),
    "trust_and_security": ("Trust and security package", "Pakket vertrouwen en veiligheid"),
    "open_and_inclusive": ("Open and inclusive package", "Pakket open en inclusief"),
    "shift_ai_to_security": ("AI money partly to security", "AI-geld deels naar veiligheid"),
    "budget_neutral_security": ("Same budget: AI to cyber", "Zelfde budget: AI naar cyber"),
    "budget_neutral_welfare": ("Same budget: AI to data, skills",
                               "Zelfde budget: AI naar data, vaardigheden"),
    "budget_neutral_open": ("Same budget: networks to open", "Zelfde budget: netwerken naar open"),
}


def setting_name(ds: xr.Dataset, setting: str, lang: str = "en") -> str:
    """A setting in words: "2021 programme", "AI investment doubled", "every programme
    halved"; a package of several changes is named by :data:`PACKAGE_WORDS` or keeps its
    name (underscores as spaces).

    ``ds`` holds ``lever_setting(setting, lever)``; the 2021 programme is the ``reference``
    setting's values if there is one, else 0.5 for every lever.
    """
    words = SETTING_WORDS[lang]
    values = ds.lever_setting.sel(setting=setting).values
    names = [str(s) for s in ds.setting.values]
    ref = ds.lever_setting.sel(setting="reference").values if "reference" in names \
        else np.full_like(values, 0.5)
    changed = np.flatnonzero(~np.isclose(values, ref))

    def how(value: float, base: float) -> str:
        if value == 0:
            return words["stopped"]
        factor = value / base if base else np.inf
        return words["doubled"] if np.isclose(factor, 2) else \
            words["halved"] if np.isclose(factor, 0.5) else words["times"].format(factor=factor)

    if changed.size == 0:
        return words["reference"]
    if changed.size == 1:
        k = int(changed[0])
        return f"{display_name(str(ds.lever.values[k]), lang)} {how(values[k], ref[k])}"
    if changed.size == values.size and np.allclose(values / ref, values[0] / ref[0]):
        return f"{words['all']} {how(values[0], ref[0])}"
    if setting in PACKAGE_WORDS:
        return PACKAGE_WORDS[setting][0 if lang == "en" else 1]
    return setting.replace("_", " ")


def _setting_labels(first: plt.Axes, ds: xr.Dataset, lang: str) -> np.ndarray:
    """The settings in words with their cost as the rows' labels, those over the budget in
    grey; returns which are over it."""
    settings = [str(s) for s in ds.setting.values]
    names = [setting_name(ds, s, lang) for s in settings]
    names = [n[:1].upper() + n[1:] for n in names]  # row labels start with a capital
    if "cost" in ds:
        million = "m" if lang == "en" else "mln"
        names = [f"{n} (\u20ac{c:.0f} {million})" for n, c in zip(names, ds.cost.values)]
    n_s = len(settings)
    first.set_yticks(range(n_s), names, fontsize=13 if n_s <= 14 else max(7, int(180 / n_s)))
    over = ds.within_budget.values == 0 if "within_budget" in ds else np.zeros(n_s, bool)
    for label, grey in zip(first.get_yticklabels(), over):
        label.set_color("0.45" if grey else "black")
    return np.asarray(over, bool)


def figure(ds: xr.Dataset, lang: str = "en") -> plt.Figure:
    """Regret heatmaps, one panel per area: settings (rows) by futures and worst case
    (columns); no-regret settings ticked and boxed. 1920 x 1080 pixels at 150 dpi
    (:data:`scenarios.figures.base.SIZE`), the fonts of the other figures, one language."""
    words = TEXT[lang]
    settings = [str(s) for s in ds.setting.values]
    futures = [str(f) for f in ds.future.values]
    areas = [str(a) for a in ds.area.values]
    n_s, n_f = len(settings), len(futures)
    cell = 10 if n_s <= 14 else max(6, int(140 / n_s))  # cell numbers stay inside the rows
    with style():
        fig, axes = plt.subplots(1, len(areas), figsize=SIZE, sharey=True,
                                 layout="constrained")
        vmax = max(float(ds.regret.max()), 1e-9)
        image = None
        for a, (ax, area) in enumerate(zip(np.atleast_1d(axes), areas)):
            grid = np.column_stack([ds.regret.values[:, :, a], ds.worst_regret.values[:, a]])
            image = ax.imshow(grid, cmap="YlOrBr", vmin=0.0, vmax=vmax, aspect="auto")
            for s in range(n_s):
                ok = bool(ds.no_regret.values[s, a])
                for c in range(n_f + 1):
                    value = grid[s, c]
                    # ".06" rather than "0.06": five columns a panel stay legible
                    text = "\u2713" if ok and c == n_f else f"{value:.2f}".removeprefix("0")
                    ax.text(c, s, text, ha="center", va="center",
                            fontsize=cell if c == n_f else cell - 1,
                            fontweight="bold" if c == n_f else "normal",
                            color="white" if value > 0.6 * vmax else "black")
                if ok:
                    ax.add_patch(Rectangle((n_f - 0.5, s - 0.45), 1.0, 0.9, fill=False,
                                           lw=2, ec="black", clip_on=False))
            # a square in each future's colour above its column (named in the legend)
            above = blended_transform_factory(ax.transData, ax.transAxes) + \
                ScaledTranslation(0, 9 / 72, fig.dpi_scale_trans)
            ax.scatter(range(n_f), np.ones(n_f), marker="s", s=150, transform=above,
                       color=[future_colour(f, futures) for f in futures], clip_on=False)
            ax.axvline(n_f - 0.5, color="white", lw=3)
            ax.set_xticks([n_f], [words["worst"]], fontsize=13)
            ax.set_ylim(n_s - 0.5, -0.5)
            ax.set_title(textwrap.fill(display_name(area, lang), 12, break_long_words=False),
                         fontsize=13, pad=22)
            ax.tick_params(length=0)
            ax.grid(False)
            for side in ax.spines.values():
                side.set_visible(False)
        over = _setting_labels(np.atleast_1d(axes)[0], ds, lang)
        statistic = STATISTIC[lang].get(ds.attrs["statistic"], ds.attrs["statistic"])
        fig.suptitle(words["title"].format(statistic=statistic, year=ds.attrs["year"]),
                     fontsize=18)
        assert image is not None
        bar = fig.colorbar(image, ax=axes, shrink=0.8, pad=0.01)
        bar.set_label(words["bar"], fontsize=13)
        handles = [Rectangle((0, 0), 1, 1, color=future_colour(f, futures)) for f in futures]
        fig.legend(handles, [display_name(f, lang) for f in futures], loc="outside lower "
                   "center", ncols=n_f, fontsize=13, frameon=False,
                   title=words["note"].format(tol=ds.attrs["tolerance"]) + (
                       words["budget"].format(budget=ds.attrs["budget"]) if over.any() else ""),
                   title_fontsize=12)
    return fig

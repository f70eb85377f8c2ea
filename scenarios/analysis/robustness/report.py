"""The readable outputs of ``futures robustness``: ``regret.csv``, ``regret.md`` and the figure.

All are made from ``robustness.nc`` (:func:`scenarios.analysis.robustness.compute.to_dataset`) alone, so they
can be rebuilt from a stored run. Every file is written atomically.
"""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.patches import Rectangle
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from scenarios.engine.names import REGRET_CSV, REGRET_MD, ROBUSTNESS_FIGURE
from scenarios.engine.storage import atomic_output, write_text
from scenarios.engine.storage import save_figure as storage_save
from scenarios.figures.base import SIZE, style
from scenarios.figures.style import display_name, future_colour

CSV, MARKDOWN, FIGURE = REGRET_CSV, REGRET_MD, ROBUSTNESS_FIGURE
#: 150 dpi: the figures are 1920 x 1080 pixels, as every figure of ``futures plot``.
DPI = 150


def regret_rows(ds: xr.Dataset) -> list[dict[str, object]]:
    """One row per setting and area: the levers, outcome and regret per future, worst case,
    mean, spread, whether it is no-regret, and the run's seed and version (the resolved
    config is in ``robustness.nc`` and ``regret.md``)."""
    rows = []
    for s, setting in enumerate(ds.setting.values):
        for a, area in enumerate(ds.area.values):
            row: dict[str, object] = {"setting": setting, "area": area}
            if "cost" in ds:
                row["cost_eur_m_per_year"] = float(ds.cost.values[s])
                row["cost_low"] = float(ds.cost_low.values[s])
                row["cost_high"] = float(ds.cost_high.values[s])
                row["within_budget"] = "yes" if ds.within_budget.values[s] else "no"
            for k, lever in enumerate(ds.lever.values):
                row[lever] = float(ds.lever_setting.values[s, k])
            for f, fut in enumerate(ds.future.values):
                row[f"outcome_{fut}"] = float(ds.outcome.values[s, f, a])
            for f, fut in enumerate(ds.future.values):
                row[f"regret_{fut}"] = float(ds.regret.values[s, f, a])
            row["worst_regret"] = float(ds.worst_regret.values[s, a])
            row["mean_regret"] = float(ds.mean_regret.values[s, a])
            row["spread"] = float(ds.spread.values[s, a])
            row["no_regret"] = "yes" if ds.no_regret.values[s, a] else "no"
            if "world_regret_p90" in ds:
                row["world_regret_median"] = float(ds.world_regret_median.values[s, a])
                row["world_regret_p90"] = float(ds.world_regret_p90.values[s, a])
                row["world_regret_max"] = float(ds.world_regret_max.values[s, a])
                row["satisficing"] = float(ds.satisficing.values[s, a])
            row["seed"] = int(ds.attrs["seed"])
            row["futures_version"] = str(ds.attrs["futures_version"])
            rows.append(row)
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def markdown(ds: xr.Dataset) -> str:
    """``regret.md``: the no-regret settings, the most robust per area and the tables."""
    tol = float(ds.attrs["tolerance"])
    settings = [str(s) for s in ds.setting.values]
    areas = [str(a) for a in ds.area.values]
    futures = [str(f) for f in ds.future.values]
    overall = [s for s, ok in zip(settings, ds.no_regret_overall.values) if ok]
    out = [
        "# Robustness of lever settings across the futures",
        "",
        (f"Each setting is judged by the **{ds.attrs['statistic']}** over "
        f"{ds.sizes['member']} members of each impact index in **{ds.attrs['year']:g}**, in "
        f"each future. **Regret** = the best setting's outcome in that future minus this "
        f"setting's (0 = nothing compared does better). A setting is **no-regret** in an "
        f"area when its regret is at most {tol:g} in every future. All settings ran on the "
        "same members and event draws (common random numbers), so differences are the "
        f"levers' doing. Futures' own lever plans: `{ds.attrs['election_plans']}`. "
        f"Seed {ds.attrs['seed']}, futures {ds.attrs['futures_version']}."),
        "",
        "## No-regret settings",
        "",
        f"- **every area**: {', '.join(f'`{s}`' for s in overall) or 'none'}",
    ]
    for a, area in enumerate(areas):
        names = [s for s, ok in zip(settings, ds.no_regret.values[:, a]) if ok]
        out.append(f"- {display_name(area, 'nl')} (`{area}`): "
                   f"{', '.join(f'`{s}`' for s in names) or 'none'}")
    out += ["", "## Worst-case regret of every setting per area", "",
            ("The largest regret over the futures, per area; `all areas` is the largest of "
            "these. Sorted by it: the top row is the minimax-regret setting over all areas."),
            ""]
    across = ds.worst_regret_overall.values
    cost = ds.cost.values if "cost" in ds else np.zeros(len(settings))
    rows = [[f"`{settings[s]}`", *(f"{ds.worst_regret.values[s, a]:.4f}"
                                   for a in range(len(areas))), f"{across[s]:.4f}",
             f"{cost[s]:.0f}"]
            for s in np.argsort(across, kind="stable")]
    out += _table(["setting", *(f"`{a}`" for a in areas), "all areas", "EUR m/yr"], rows)
    if "cost" in ds:
        out += _cost_section(ds, settings, areas)
    out += ["", "## Most robust setting per area (smallest worst-case regret)", ""]
    rows = []
    for a, area in enumerate(areas):
        worst = ds.worst_regret.values[:, a]
        best = int(np.argmin(worst))
        rows.append([f"{display_name(area, 'nl')} (`{area}`)", f"`{settings[best]}`",
                     f"{worst[best]:.4f}", f"{ds.spread.values[best, a]:.4f}"])
    out += _table(["area", "setting", "worst-case regret", "spread across futures"], rows)
    out += ["", "## Settings (lever values; 0.5 = NDS 2021 reference, 1 = doubled)", ""]
    levers = [str(x) for x in ds.lever.values]
    out += _table(["setting", *levers],
                  [[f"`{s}`", *(f"{v:g}" for v in ds.lever_setting.values[i])]
                   for i, s in enumerate(settings)])
    for a, area in enumerate(areas):
        out += _area_section(ds, a, area, settings, futures)
    out += ["", "<details><summary>Resolved configuration of this run</summary>", "",
            "```yaml", str(ds.attrs["config"]).rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"


def _cost_section(ds: xr.Dataset, settings: list[str], areas: list[str]) -> list[str]:
    """What the settings cost, the most robust within the budget, and regret per world."""
    budget, ref = float(ds.attrs["budget"]), float(ds.attrs["budget_2021"])
    ok = ds.within_budget.values.astype(bool)
    out = ["", "## What the settings cost", "",
           (f"Public money in EUR million a year (study.costs: each lever's 2021 programme "
            f"from the document's budget lines or an assumption, with a range). The 2021 "
            f"reference costs **{ref:.0f}**; the budget is **{budget:.0f}**. A setting's "
            "regret says what it gains; its cost what that gain takes."), ""]
    rows = [[f"`{settings[s]}`", f"{ds.cost.values[s]:.0f}",
             f"{ds.cost_low.values[s]:.0f}-{ds.cost_high.values[s]:.0f}",
             f"{ds.cost.values[s] - ref:+.0f}", "yes" if ok[s] else "**no**",
             f"{ds.worst_regret_overall.values[s]:.4f}"]
            for s in np.argsort(ds.cost.values, kind="stable")]
    out += _table(["setting", "cost", "range", "vs 2021", "within budget",
                   "worst-case regret (all areas)"], rows)
    out += ["", "## Most robust setting within the budget, per area", "",
            ("Smallest worst-case regret among the settings that fit the budget, and the "
             "regret per simulated world (every future and member; median, 90th percentile, "
             "max) with the share of worlds in which the area does not fall below "
             f"{float(ds.attrs.get('threshold', 0.0)):g}."), ""]
    rows = []
    for a, area in enumerate(areas):
        worst = np.where(ok, ds.worst_regret.values[:, a], np.inf)
        if not np.isfinite(worst).any():
            rows.append([f"`{area}`", "none within budget", "", "", "", "", "", ""])
            continue
        b = int(np.argmin(worst))
        free = int(np.argmin(ds.worst_regret.values[:, a]))
        rows.append([f"{display_name(area, 'nl')} (`{area}`)", f"`{settings[b]}`",
                     f"{ds.cost.values[b]:.0f}", f"{worst[b]:.4f}",
                     (f"{ds.world_regret_median.values[b, a]:.4f} / "
                     f"{ds.world_regret_p90.values[b, a]:.4f} / "
                     f"{ds.world_regret_max.values[b, a]:.4f}"),
                     f"{ds.satisficing.values[b, a]:.0%}",
                     f"`{settings[free]}` ({ds.cost.values[free]:.0f})"])
    return out + _table(["area", "within budget", "cost", "worst-case regret",
                         "world regret median / p90 / max", "worlds satisfied",
                         "ignoring cost (cost)"], rows)


def _area_section(ds: xr.Dataset, a: int, area: str, settings: list[str],
                  futures: list[str]) -> list[str]:
    """The regret table of one area: per future (outcome in brackets), sorted by worst case."""
    out = ["", f"## {display_name(area, 'nl')} / {display_name(area, 'en')} (`{area}`)",
           "", ("Regret per future (the outcome in brackets), sorted by worst-case "
               "regret."), ""]
    order = np.lexsort((ds.spread.values[:, a], ds.worst_regret.values[:, a]))
    rows = []
    for s in order:
        cells = [f"{ds.regret.values[s, f, a]:.4f} ({ds.outcome.values[s, f, a]:+.3f})"
                 for f in range(len(futures))]
        rows.append([f"`{settings[s]}`", *cells, f"{ds.worst_regret.values[s, a]:.4f}",
                     f"{ds.spread.values[s, a]:.4f}",
                     "yes" if ds.no_regret.values[s, a] else ""])
    return out + _table(["setting", *(display_name(f, "nl") for f in futures), "worst-case",
                         "spread", "no-regret"], rows)


#: The figure's words per language; area and future names come from the catalogue.
TEXT = {
    "en": {"title": "Regret of lever settings across the futures: {statistic} of the impact "
                    "index in {year:g}",
           "note": "\u2713 boxed = no-regret (worst case \u2264 {tol:g}). Regret = the best "
                   "setting's outcome minus this one's in that future; 0 = best there",
           "worst": "worst", "bar": "regret (impact-index units)"},
    "nl": {"title": "Spijt van beleidskeuzes over de toekomsten: {statistic} van de "
                    "impactindex in {year:g}",
           "note": "\u2713 omkaderd = zonder spijt (slechtste geval \u2264 {tol:g}). Spijt = "
                   "uitkomst van de beste keuze min die van deze, in die toekomst; 0 = daar "
                   "de beste",
           "worst": "slechtst", "bar": "spijt (eenheden van de impactindex)"},
}
STATISTIC = {"nl": {"median": "mediaan", "mean": "gemiddelde", "quantile": "kwantiel"},
             "en": {}}


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
                    text = "\u2713" if ok and c == n_f else f"{value:.2f}"
                    ax.text(c, s, text, ha="center", va="center", fontsize=cell,
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
            ax.set_title(textwrap.fill(display_name(area, lang), 16), fontsize=14, pad=22)
            ax.tick_params(length=0)
            ax.grid(False)
            for side in ax.spines.values():
                side.set_visible(False)
        first = np.atleast_1d(axes)[0]
        names = [s.replace("_", " ") for s in settings]
        if "cost" in ds:
            names = [f"{n} (\u20ac{c:.0f} m)" for n, c in zip(names, ds.cost.values)]
        first.set_yticks(range(n_s), names,
                         fontsize=13 if n_s <= 14 else max(7, int(180 / n_s)))
        statistic = STATISTIC[lang].get(ds.attrs["statistic"], ds.attrs["statistic"])
        fig.suptitle(words["title"].format(statistic=statistic, year=ds.attrs["year"]),
                     fontsize=18)
        assert image is not None
        bar = fig.colorbar(image, ax=axes, shrink=0.8, pad=0.01)
        bar.set_label(words["bar"], fontsize=13)
        handles = [Rectangle((0, 0), 1, 1, color=future_colour(f, futures)) for f in futures]
        fig.legend(handles, [display_name(f, lang) for f in futures], loc="outside lower "
                   "center", ncols=n_f, fontsize=13, frameon=False,
                   title=words["note"].format(tol=ds.attrs["tolerance"]), title_fontsize=12)
    return fig


def provenance(attrs: dict) -> dict[str, dict[str, str | None]]:
    """Figure metadata per format: the version, seed and resolved config of the run (PNG
    text chunks; SVG Dublin Core fields), and no date, so the same run gives identical
    files."""
    version, seed, config = (str(attrs["futures_version"]), str(attrs["seed"]),
                             str(attrs["config"]))
    return {"png": {"Software": None, "futures_version": version, "seed": seed,
                    "config": config},
            "svg": {"Date": None, "Creator": f"futures {version}", "Identifier": f"seed {seed}",
                    "Description": config}}


def save_figure(fig: plt.Figure, stem: Path, attrs: dict, dpi: int = DPI) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically, with the run's provenance
    (:func:`provenance`) from ``attrs``."""
    paths = storage_save(fig, stem, ("png", "svg"), dpi=dpi, metadata=provenance(attrs))
    plt.close(fig)
    return paths


def write_reports(ds: xr.Dataset, output_dir: Path) -> list[Path]:
    """Write ``regret.csv``, ``regret.md`` and ``robustness.png``/``.svg``."""
    output_dir = Path(output_dir)
    rows = regret_rows(ds)
    with atomic_output(output_dir / CSV) as tmp, tmp.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: f"{v:.6f}" if isinstance(v, float) else v for k, v in row.items()}
                         for row in rows)
    write_text(output_dir / MARKDOWN, markdown(ds))
    return [output_dir / CSV, output_dir / MARKDOWN,
            *save_figure(figure(ds), output_dir / FIGURE, ds.attrs)]

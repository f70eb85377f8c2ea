"""The readable outputs of ``futures robustness``: ``regret.csv``, ``regret.md`` and the figure.

All are made from ``robustness.nc`` (:func:`scenarios.analysis.robustness.compute.to_dataset`) alone, so they
can be rebuilt from a stored run. Every file is written atomically.
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from scenarios.engine.names import REGRET_CSV, REGRET_MD, ROBUSTNESS_FIGURE
from scenarios.engine.storage import atomic_output, write_text
from scenarios.engine.storage import save_figure as storage_save
from scenarios.figures.regret import TEXT, figure
from scenarios.figures.style import display_name

__all__ = ["TEXT", "figure", "markdown", "save_figure", "write_reports"]

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


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table's lines: the first column left-aligned, the others right-aligned."""
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
    ]
    if "cost" in ds:
        out += _in_short(ds, settings, areas, futures)
    out += _no_regret(ds, settings, areas, overall)
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
    out += markdown_table(["setting", *(f"`{a}`" for a in areas), "all areas", "EUR m/yr"], rows)
    if "cost" in ds:
        out += _cost_section(ds, settings, areas)
    out += ["", "## Most robust setting per area (smallest worst-case regret)", ""]
    rows = []
    for a, area in enumerate(areas):
        worst = ds.worst_regret.values[:, a]
        best = int(np.argmin(worst))
        rows.append([f"{display_name(area, 'nl')} (`{area}`)", f"`{settings[best]}`",
                     f"{worst[best]:.4f}", f"{ds.spread.values[best, a]:.4f}"])
    out += markdown_table(["area", "setting", "worst-case regret", "spread across futures"], rows)
    out += ["", "## Settings (lever values; 0.5 = NDS 2021 reference, 1 = doubled)", ""]
    levers = [str(x) for x in ds.lever.values]
    out += markdown_table(["setting", *levers],
                  [[f"`{s}`", *(f"{v:g}" for v in ds.lever_setting.values[i])]
                   for i, s in enumerate(settings)])
    for a, area in enumerate(areas):
        out += _area_section(ds, a, area, settings, futures)
    out += ["", "<details><summary>Resolved configuration of this run</summary>", "",
            "```yaml", str(ds.attrs["config"]).rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"


def _no_regret(ds: xr.Dataset, settings: list[str], areas: list[str],
               overall: list[str]) -> list[str]:
    """The no-regret settings overall and per area, over-budget ones with their cost."""
    out = ["## No-regret settings", "",
           f"- **every area**: {', '.join(_named(ds, s) for s in overall) or 'none'}"]
    for a, area in enumerate(areas):
        names = [s for s, ok in zip(settings, ds.no_regret.values[:, a]) if ok]
        out.append(f"- {display_name(area, 'nl')} (`{area}`): "
                   f"{', '.join(_named(ds, s) for s in names) or 'none'}")
    return out


def _named(ds: xr.Dataset, setting: str) -> str:
    """A setting's name, with its cost when it is over the budget."""
    if "cost" not in ds or bool(ds.within_budget.sel(setting=setting)):
        return f"`{setting}`"
    return f"`{setting}` (EUR {float(ds.cost.sel(setting=setting)):.0f} m/yr, **over budget**)"


def _in_short(ds: xr.Dataset, settings: list[str], areas: list[str],
              futures: list[str]) -> list[str]:
    """The headline: the minimax-regret setting within the budget, what the unconstrained
    one costs, and the areas whose best setting depends on the future."""
    budget = float(ds.attrs["budget"])
    ok = ds.within_budget.values.astype(bool)
    across = ds.worst_regret_overall.values
    free = int(np.argmin(across))
    out = ["## In short", ""]
    if ok.any():
        b = int(np.argmin(np.where(ok, across, np.inf)))
        out.append(f"- Within the budget (EUR {budget:.0f} m/yr) the minimax-regret setting "
                   f"over all areas is `{settings[b]}` (EUR {ds.cost.values[b]:.0f} m/yr, "
                   f"largest worst-case regret {across[b]:.4f}).")
    else:
        out.append(f"- No compared setting fits the budget (EUR {budget:.0f} m/yr).")
    if not ok[free]:
        out.append(f"- Ignoring cost, `{settings[free]}` has the smallest worst-case regret "
                   f"({across[free]:.4f}) but costs EUR {ds.cost.values[free]:.0f} m/yr, "
                   f"{ds.cost.values[free] / budget:.1f}x the budget: its gain is bought, "
                   "not free.")
    best = ds.best_setting.values  # (future, area) index of the best setting
    varies = [a for a in range(len(areas)) if len(set(best[:, a])) > 1]
    if varies:
        out.append("- The best setting depends on the future in "
                   f"{len(varies)} of {len(areas)} areas:")
        for a in varies:
            parts = [f"{display_name(f, 'en')}: `{settings[best[j, a]]}`"
                     for j, f in enumerate(futures)]
            out.append(f"  - {display_name(areas[a], 'en')}: {'; '.join(parts)}")
    else:
        out.append("- The best setting is the same in every future in every area.")
    return [*out, ""]


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
    out += markdown_table(["setting", "cost", "range", "vs 2021", "within budget",
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
    return out + markdown_table(["area", "within budget", "cost", "worst-case regret",
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
    return out + markdown_table(["setting", *(display_name(f, "nl") for f in futures), "worst-case",
                         "spread", "no-regret"], rows)


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


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    """Write ``rows`` (one dict per line, the first one's keys as the header) as a CSV file,
    atomically; floats with six decimals."""
    with atomic_output(path) as tmp, tmp.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: f"{v:.6f}" if isinstance(v, float) else v for k, v in row.items()}
                         for row in rows)


def write_reports(ds: xr.Dataset, output_dir: Path) -> list[Path]:
    """Write ``regret.csv``, ``regret.md`` and ``robustness.png``/``.svg``."""
    output_dir = Path(output_dir)
    write_rows(output_dir / CSV, regret_rows(ds))
    write_text(output_dir / MARKDOWN, markdown(ds))
    return [output_dir / CSV, output_dir / MARKDOWN,
            *save_figure(figure(ds), output_dir / FIGURE, ds.attrs)]

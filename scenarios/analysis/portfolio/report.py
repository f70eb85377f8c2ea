"""The readable outputs of ``futures portfolio``: ``portfolios.csv``, ``portfolios.md`` and
the Pareto figure, made from ``portfolios.nc`` alone."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import xarray as xr

from scenarios.analysis.robustness.report import markdown_table, save_figure, write_rows
from scenarios.engine.names import PORTFOLIOS_CSV, PORTFOLIOS_FIGURE, PORTFOLIOS_MD
from scenarios.engine.storage import write_text
from scenarios.figures.pareto import figure
from scenarios.figures.style import display_name

__all__ = ["figure", "markdown", "rows", "write_reports"]


def rows(ds: xr.Dataset) -> list[dict[str, object]]:
    """One row per portfolio: levers, cost, and per area the objectives and regret."""
    out = []
    for p, name in enumerate(ds.portfolio.values):
        row: dict[str, object] = {"portfolio": str(name)}
        for k, lever in enumerate(ds.lever.values):
            row[str(lever)] = float(ds.lever_setting.values[p, k])
        row["cost_eur_m_per_year"] = float(ds.cost.values[p])
        row["cost_low"], row["cost_high"] = float(ds.cost_low.values[p]), float(ds.cost_high.values[p])
        for a, area in enumerate(ds.area.values):
            row[f"bad_luck_{area}"] = float(ds.bad_luck.values[p, a])
            row[f"world_regret_p90_{area}"] = float(ds.world_regret_p90.values[p, a])
            row[f"satisficing_{area}"] = float(ds.satisficing.values[p, a])
        row["budget"] = float(ds.attrs["budget"])
        row["seed"] = int(ds.attrs["seed"])
        out.append(row)
    return out


def markdown(ds: xr.Dataset) -> str:
    """``portfolios.md``: the portfolios in plain words, what each gives up."""
    names = [str(p) for p in ds.portfolio.values]
    areas = [str(a) for a in ds.area.values]
    levers = [str(k) for k in ds.lever.values]
    budget, ref = float(ds.attrs["budget"]), float(ds.attrs["budget_2021"])
    q = float(ds.attrs["quantile"])
    bad = ds.bad_luck.values
    out = ["# Robust lever portfolios within the budget", "",
           (f"A search (NSGA-II) over all six levers looked for portfolios that keep every "
            f"area as good as possible in bad luck - the {q:.0%} worst of "
            f"{ds.sizes['future']} futures x {ds.attrs['members']} simulated worlds each - "
            f"at a yearly cost of at most **EUR {budget:.0f} m** (the 2021 programme costs "
            f"EUR {ref:.0f} m). It simulated {ds.attrs['candidates_simulated']} candidate "
            f"portfolios in {ds.attrs['search_seconds']} s. Every simulated world is the same "
            "for every portfolio, so the differences are the levers' doing. "
            f"{len(names) - 1} portfolios are left where no other does better in every area "
            "at no higher cost; the 2021 reference is shown for comparison."), ""]
    out += ["## The portfolios", "", ("Lever settings: 0.5 = the 2021 programme, 1 = doubled, "
            "0 = stopped."), ""]
    out += markdown_table(["portfolio", "EUR m/yr", *levers],
                  [[f"`{n}`", (f"{ds.cost.values[p]:.0f} ({ds.cost_low.values[p]:.0f}-"
                    f"{ds.cost_high.values[p]:.0f})"),
                    *(f"{v:.2f}" for v in ds.lever_setting.values[p])]
                   for p, n in enumerate(names)])
    out += ["", f"## Bad-luck outcome per area ({q:.0%} of worlds do worse; higher is better)",
            ""]
    out += markdown_table(["portfolio", *(display_name(a, "en") for a in areas)],
                  [[f"`{n}`", *(f"{bad[p, a]:+.3f}" for a in range(len(areas)))]
                   for p, n in enumerate(names)])
    out += ["", "## In plain words", ""]
    for p, n in enumerate(names[1:], start=1):
        x = ds.lever_setting.values[p]
        up = [levers[k] for k in range(len(levers)) if x[k] > 0.55]
        down = [levers[k] for k in range(len(levers)) if x[k] < 0.45]
        gains = [display_name(areas[a], "en") for a in range(len(areas))
                 if bad[p, a] > bad[0, a] + 1e-4]
        losses = [display_name(areas[a], "en") for a in range(len(areas))
                  if bad[p, a] < bad[0, a] - 1e-4]
        out.append(f"- **{n}** (EUR {ds.cost.values[p]:.0f} m/yr): raises "
                   f"{', '.join(up) or 'nothing'}, lowers {', '.join(down) or 'nothing'}; "
                   f"better than 2021 in bad luck for {', '.join(gains) or 'no area'}, "
                   f"gives up {', '.join(losses) or 'nothing'}.")
    holds = [n for p, n in enumerate(names[1:], start=1)
             if (ds.satisficing.values[p] >= ds.satisficing.values[0] - 1e-9).all()]
    out += ["", "## Which hold up in every future", "",
            ("Share of simulated worlds (all futures) in which each area does not worsen "
             "since 2021. Portfolios at least as often safe as the 2021 programme in every "
             f"area: {', '.join(f'`{h}`' for h in holds) or 'none'}."), ""]
    out += markdown_table(["portfolio", *(display_name(a, "en") for a in areas)],
                  [[f"`{n}`", *(f"{ds.satisficing.values[p, a]:.0%}"
                                for a in range(len(areas)))] for p, n in enumerate(names)])
    out += ["", "<details><summary>Resolved configuration of this run</summary>", "",
            "```yaml", str(ds.attrs["config"]).rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"


def write_reports(ds: xr.Dataset, output_dir: Path) -> list[Path]:
    """Write ``portfolios.csv``, ``portfolios.md`` and ``portfolios.png``/``.svg``."""
    output_dir = Path(output_dir)
    write_rows(output_dir / PORTFOLIOS_CSV, rows(ds))
    write_text(output_dir / PORTFOLIOS_MD, markdown(ds))
    return [output_dir / PORTFOLIOS_CSV, output_dir / PORTFOLIOS_MD,
            *save_figure(figure(ds), output_dir / PORTFOLIOS_FIGURE, ds.attrs)]

"""The outputs of ``futures consistency``: consistency.nc, consistency.md and a figure."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from omegaconf import DictConfig

from scenarios import __version__
from scenarios.analysis.consistency.compute import consistency
from scenarios.analysis.sensitivity.report import SIZE, save
from scenarios.config.compose import check
from scenarios.engine.storage import write_text
from scenarios.figures.style import display_name

log = logging.getLogger("futures")

RESULT = "consistency.nc"
REPORT = "consistency.md"
FIGURE = "consistency"


def markdown(ds: xr.Dataset) -> str:
    """Per future: score, then per trend the stated direction, implied change and balance."""
    lines = ["# futures consistency", "",
             (f"futures {__version__}. Cross-impact balance of each narrative "
             "(docs/validation.md, section Consistency): implied change = -9 x ln x B at the "
             "2021 level from the balance B at the narrative's mid-path state; inconsistency "
             "= its distance from the stated direction's interval (0 = consistent)."), "",
             "| future | inconsistent trends | total inconsistency |", "|---|---|---|"]
    for f in ds.future.values:
        lines.append(f"| {f} | {int(ds.inconsistent_trends.sel(future=f))} of "
                     f"{ds.sizes['trend']} | {float(ds.inconsistency_total.sel(future=f)):.3f} |")
    lines += ["", ("| future | trend | stated | implied change | balance (trends + rest) | "
              "inconsistency |"), "|---|---|---|---|---|---|"]
    for f in ds.future.values:
        for t in ds.trend.values:
            c = ds.sel(future=f, trend=t)
            lines.append(f"| {f} | {t} | {c.stated_direction.item()} | "
                         f"{float(c.implied_change):+.3f} | {float(c.balance):+.3f} "
                         f"({float(c.balance_trends):+.3f} {float(c.balance_drivers):+.3f}) | "
                         f"{float(c.inconsistency):.3f} |")
    return "\n".join(lines) + "\n"


def figure(ds: xr.Dataset, path: Path) -> list[Path]:
    """Heatmap of the inconsistency (future x trend), annotated with the implied change."""
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.subplots()
    values = ds.inconsistency.values
    image = ax.imshow(values, cmap="Reds", vmin=0.0, vmax=max(0.1, float(values.max())),
                      aspect="auto")
    for (f, t), v in np.ndenumerate(ds.implied_change.values):
        ax.text(t, f, f"{v:+.2f}\n{ds.stated_direction.values[f, t]}", ha="center",
                va="center", fontsize=9)
    ax.set_xticks(range(ds.sizes["trend"]),
                  [display_name(str(t), "en") for t in ds.trend.values], rotation=35,
                  ha="right", fontsize=11)
    ax.set_yticks(range(ds.sizes["future"]),
                  [display_name(str(f), "en") for f in ds.future.values], fontsize=12)
    ax.set_title("Cross-impact balance: implied change 2021-2030 vs stated direction "
                 "(colour: inconsistency, level units)", fontsize=14)
    fig.colorbar(image, ax=ax, label="inconsistency")
    return save(fig, path)


def consistency_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures consistency``: compute, write consistency.nc/.md and the figure."""
    spec = check(cfg)
    ds = consistency(spec)
    ds.attrs["futures_version"] = __version__
    output_dir.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(output_dir / RESULT, engine="h5netcdf")
    write_text(output_dir / REPORT, markdown(ds))
    figure(ds, output_dir / FIGURE)
    log.info("wrote %s, %s and %s.png", RESULT, REPORT, FIGURE)
    return output_dir

"""The outputs of ``futures validate``: ``validation.nc`` and the report ``validation.md``."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import xarray as xr
from omegaconf import DictConfig

from scenarios import __version__
from scenarios.analysis.validation.compute import BASES, SPLITS, validate
from scenarios.config.compose import check, config_text
from scenarios.engine.storage import write_text

log = logging.getLogger("futures")

RESULT = "validation.nc"
REPORT = "validation.md"

#: The goals of issue 15, checked in the report (never tuned to).
GOALS = {"lofo": 30, "above_additive": 8, "gap": 8, "text_probability": 0.8}


def table(ds: xr.Dataset) -> str:
    """The markdown table: per split held/scored, per basis and per future."""
    futures = [str(f) for f in ds.future.values]
    head = ["split", "held / scored", *[f"{b}" for b in BASES], *futures]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for split in SPLITS:
        row = ds.sel(split=split)
        cols = [split, f"{int(row.cells_held)} / {int(row.cells_scored)}"]
        cols += [f"{int(row.cells_held_by_basis.sel(basis=b))} / "
                 f"{int(row.cells_scored_by_basis.sel(basis=b))}" for b in BASES]
        cols += [f"{int(row.cells_held_by_future.sel(future=f))} / "
                 f"{int(row.cells_scored_by_future.sel(future=f))}" for f in futures]
        lines.append("| " + " | ".join(cols) + " |")
    return "\n".join(lines)


def markdown(ds: xr.Dataset, config: str) -> str:
    """The whole report: the table, the goals, the training scores and the cells."""
    lofo = int(ds.cells_held.sel(split="leave_one_future_out"))
    gap, above = int(ds.attrs["gap_in_minus_out"]), int(ds.attrs["above_additive"])
    met = {True: "met", False: "not met"}
    training = ", ".join(f"{f} out: {int(h)}/{int(t)}" for f, h, t in
                         zip(ds.future.values, ds.training_held.values, ds.training_total.values))
    cells = ["| future | trend | basis | expected | " + " | ".join(SPLITS)
             + " | P posterior | P prior |", "|" + "---|" * (6 + len(SPLITS))]
    for k in ds.cell.values:
        c = ds.sel(cell=k)
        marks = ["" if not bool(c.scored.sel(split=s)) else
                 ("yes" if bool(c.held.sel(split=s)) else "no") for s in SPLITS]
        cells.append(f"| {c.cell_future.item()} | {c.cell_trend.item()} | "
                     f"{c.cell_basis.item()} | {c.cell_expected.item()} | "
                     + " | ".join(marks) + f" | {float(c.cell_probability):.2f} | "
                     f"{float(c.cell_probability_prior):.2f} |")
    text = ds.cell_probability.where(ds.cell_basis == "TEXT", drop=True).values
    strong = int((text >= GOALS["text_probability"]).sum())
    ranks = ["| future | " + " | ".join(str(a) for a in ds.area.values) + " |",
             "|" + "---|" * (1 + ds.sizes["area"])]
    for f in ds.future.values:
        row = ds.sel(future=f)
        ranks.append(f"| {f} | " + " | ".join(
            "" if np.isnan(p) else f"{p:.2f} ({q:.2f})" for p, q in
            zip(row.rank_probability.values, row.rank_probability_prior.values)) + " |")
    return "\n".join([
        "# futures validate", "",
        (f"futures {__version__}; seed {ds.attrs['seed']}; {ds.attrs['members']} members per "
         f"future scored; refits on {ds.attrs['fit_members']} members, at most "
         f"{ds.attrs['fit_iterations']} least-squares iterations each; cells hold when direction and level band of the ensemble medians hold "
        "(docs/validation.md)."), "",
        table(ds), "",
        (f"- leave one future out: {lofo} of {int(ds.cells_total)} "
        f"(goal >= {GOALS['lofo']}: {met[lofo >= GOALS['lofo']]})"),
        (f"- above the additive baseline: {above} cells "
        f"(goal >= {GOALS['above_additive']}: {met[above >= GOALS['above_additive']]})"),
        (f"- in-sample minus out-of-sample: {gap} cells "
        f"(goal <= {GOALS['gap']}: {met[gap <= GOALS['gap']]})"),
        (f"- TEXT cells with posterior probability >= {GOALS['text_probability']}: "
         f"{strong} of {len(text)} ({', '.join(f'{p:.2f}' for p in text)}; goal all: "
         f"{met[strong == len(text)]})"),
        f"- training cells held by each leave-one-future-out fit: {training}", "",
        "## Every cell", "", ("P posterior: share of the default ensemble's members "
                              "(drawn from the stored posterior) whose own path holds the "
                              "cell; P prior: the same for ensemble.prior=true."), "",
        *cells, "",
        "## Ranking positions", "", ("Probability that the area takes the position the "
                                     "study's ranking gives it (by the 2030 impact index), "
                                     "posterior (prior)."), "", *ranks, "",
        "## Resolved config", "", "```yaml", config.rstrip(), "```", ""])


def validate_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures validate``: score the splits, write validation.nc and validation.md."""
    spec = check(cfg)
    ds = validate(cfg, spec)
    output_dir.mkdir(parents=True, exist_ok=True)
    ds.attrs["futures_version"] = __version__
    path = output_dir / RESULT
    ds.to_netcdf(path, engine="h5netcdf")
    text = markdown(ds, config_text(cfg))
    write_text(output_dir / REPORT, text)
    print(table(ds))
    log.info("wrote %s and %s", path, REPORT)
    return output_dir

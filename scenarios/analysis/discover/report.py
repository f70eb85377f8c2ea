"""The outputs of ``futures discover``: ``discovery.csv`` (the peeling trajectory with the
chosen box's limits), ``discovery.md`` (the failure conditions in plain words) and the
figure (the trajectory, and the failures over the two most restricted inputs)."""

from __future__ import annotations

import csv
import logging
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from omegaconf import DictConfig

from scenarios.analysis.discover.compute import DiscoverSpec, Discovery, discover, discover_spec
from scenarios.analysis.robustness.report import save_figure
from scenarios.config.compose import check, config_text, resolved
from scenarios.config.schema import RunSpec
from scenarios.engine.names import DISCOVERY_CSV, DISCOVERY_FIGURE, DISCOVERY_MD
from scenarios.engine.storage import atomic_output, write_text
from scenarios.figures.base import SIZE, style
from scenarios.figures.policy import input_words
from scenarios.figures.style import display_name

log = logging.getLogger("futures")


def _words(name: str) -> str:
    return input_words(name, "en")


def restricted_by_cut(result: Discovery) -> list[str]:
    """The box's restricted inputs, the one whose sampled range it cuts most first."""
    def cut(col: str) -> float:
        lo, hi = (float(v) for v in result.limits[col].values)
        flo, fhi = (float(v) for v in result.full[col].values)
        return 1.0 - (hi - lo) / max(fhi - flo, 1e-12)
    return sorted(result.limits.columns, key=cut, reverse=True)


def conditions(result: Discovery) -> list[str]:
    """The chosen box as sentences: one per restricted input, the strongest cut first."""
    out = []
    note = {c: f": {_words(c)}" if _words(c) != c else "" for c in result.limits.columns}
    for col in restricted_by_cut(result):
        lo, hi = (float(v) for v in result.limits[col].values)
        flo, fhi = (float(v) for v in result.full[col].values)
        if lo > flo + 1e-12 and hi < fhi - 1e-12:
            out.append(f"`{col}` between {lo:.3g} and {hi:.3g} (sampled {flo:.3g}-{fhi:.3g})"
                       f"{note[col]}")
        elif lo > flo + 1e-12:
            out.append(f"`{col}` above {lo:.3g} (sampled {flo:.3g}-{fhi:.3g}){note[col]}")
        else:
            out.append(f"`{col}` below {hi:.3g} (sampled {flo:.3g}-{fhi:.3g}){note[col]}")
    return out


def markdown(spec: RunSpec, disc: DiscoverSpec, result: Discovery, cfg: DictConfig) -> str:
    """``discovery.md``."""
    row = result.trajectory.loc[result.chosen]
    what = (f"{display_name(disc.area, 'en')} (`{disc.area}`)" if disc.area
            else "any impact area")
    n = len(result.failed)
    areas = list(spec.world.areas)
    per_area = (result.impacts < disc.threshold).reshape(n, -1).mean(axis=0)
    futures = [f.label for f in spec.futures]
    fails_f = result.failed.reshape(len(futures), -1).mean(axis=1)
    out = ["# Where the setting fails", "",
           (f"Setting **{disc.name}** (EUR {result.cost[0]:.0f} m/yr, range "
            f"{result.cost[1]:.0f}-{result.cost[2]:.0f}) ran in {len(futures)} futures x "
            f"{spec.members} simulated worlds. A world **fails** when {what} ends below "
            f"{disc.threshold:g} in {disc.year:g} (0 = worse than 2021). "
            f"**{result.failed.mean():.0%}** of the {n} worlds fail."), "",
           "| future | worlds failing |", "|---|---:|",
           *(f"| {display_name(f, 'nl')} | {s:.0%} |" for f, s in zip(futures, fails_f)), "",
           "| area | worlds below the threshold |", "|---|---:|",
           *(f"| {display_name(a, 'en')} | {per_area[i]:.0%} |" for i, a in enumerate(areas)),
           "", "## The conditions of failure (PRIM box)", ""]
    if result.limits.shape[1] == 0:
        out.append("PRIM found no box: failures are spread over the whole space (or none).")
    else:
        out += [(f"Failures concentrate where (box {result.chosen} of the peeling trajectory: "
                f"**coverage {row['coverage']:.0%}** of all failures lie inside it, "
                f"**density {row['density']:.0%}** of the worlds inside it fail, it holds "
                f"{row['mass']:.0%} of all worlds):"), ""]
        out += [f"- {c}" for c in conditions(result)]
        out += ["", ("These are the measurable signposts: when the world drifts into this "
                     "box, the setting is likely to fail.")]
    out += ["", "## Peeling trajectory", "", "| box | coverage | density | mass | restricted |",
            "|---|---:|---:|---:|---:|"]
    out += [f"| {int(i)} | {r['coverage']:.3f} | {r['density']:.3f} | {r['mass']:.3f} | "
            f"{int(r['res_dim'])} |" for i, r in result.trajectory.iterrows()]
    out += ["", "<details><summary>Resolved configuration of this run</summary>", "",
            "```yaml", config_text(cfg).rstrip(), "```", "", "</details>"]
    return "\n".join(out) + "\n"


def figure(disc: DiscoverSpec, result: Discovery) -> plt.Figure:
    """Left: the peeling trajectory (coverage against density, colour = restricted inputs),
    the reported box starred. Right: failures over the box's two first restricted inputs.
    1920 x 1080 at 150 dpi with the fonts of every figure, in English, inputs in words."""
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=SIZE, layout="constrained")
        t = result.trajectory
        dims = t["res_dim"].astype(int)
        top = max(int(dims.max()), 1)
        # whole numbers of inputs: one colour each, integer ticks
        norm = matplotlib.colors.BoundaryNorm(np.arange(-0.5, top + 1.5), 256)
        sc = left.scatter(t["coverage"], t["density"], c=dims, cmap="viridis", norm=norm, s=30)
        row = t.loc[result.chosen]
        left.scatter([row["coverage"]], [row["density"]], marker="*", s=300, color="red",
                     label=f"box reported ({int(row['res_dim'])} "
                           f"input{'' if int(row['res_dim']) == 1 else 's'})")
        left.set_xlabel("coverage: share of the failures inside the box")
        left.set_ylabel("density: share failing inside the box")
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
        bar = fig.colorbar(sc, ax=left, label="inputs restricted")
        bar.set_ticks(sorted({int(v) for v in np.linspace(0, top, min(top + 1, 8))}))
        cols = _plotted(result)
        _worlds(right, result, cols)
        right.set_xlabel(textwrap.fill(input_words(cols[0], "en"), 45))
        right.set_ylabel(textwrap.fill(input_words(cols[1], "en"), 40))
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2,
                     frameon=False)  # below the panel: the worlds fill it
        fig.suptitle(f"Where does {disc.name} fail? {result.failed.mean():.0%} of the "
                     "simulated worlds fail", fontsize=17)
    return fig


def _plotted(result: Discovery) -> list[str]:
    """The two inputs drawn: the box's first two restricted ones, filled up with the axes."""
    cols = restricted_by_cut(result)[:2]
    if len(cols) == 0:
        cols = ["ownership", "purpose"]
    if len(cols) == 1:
        cols = [cols[0], "purpose" if cols[0] != "purpose" else "ownership"]
    return cols


def _worlds(ax: plt.Axes, result: Discovery, cols: list[str]) -> None:
    """The worlds over two inputs, failing ones red, and the box."""
    x, f = result.inputs, result.failed
    # An input with few values (the futures' axis positions) would pile every world of a
    # future on one point, the last colour drawn hiding the other: spread them a little
    # (deterministically) so the share that fails shows as the share of red.
    jitter = np.random.default_rng(0)
    xy = []
    for c in cols:
        v = np.asarray(x[c], float)
        few = np.unique(v).size <= 10
        spread = 0.02 * max(float(np.ptp(v)), 1e-9)
        xy.append(v + jitter.uniform(-spread, spread, v.size) if few else v)
    ax.scatter(xy[0][~f], xy[1][~f], s=8, color="tab:blue", alpha=0.5, label="holds")
    ax.scatter(xy[0][f], xy[1][f], s=8, color="tab:red", alpha=0.6, label="fails")
    if result.limits.shape[1]:
        lo = [float(result.limits[c].values[0]) if c in result.limits else float(x[c].min())
              for c in cols]
        hi = [float(result.limits[c].values[1]) if c in result.limits else float(x[c].max())
              for c in cols]
        ax.add_patch(plt.Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1],
                                   fill=False, lw=2, ec="black"))


def write_reports(spec: RunSpec, disc: DiscoverSpec, result: Discovery, output_dir: Path,
                  cfg: DictConfig) -> list[Path]:
    """Write ``discovery.csv``, ``discovery.md`` and ``discovery.png``/``.svg``."""
    output_dir = Path(output_dir)
    text = config_text(cfg)
    attrs = {"futures_version": __import__("scenarios").__version__, "seed": spec.seed,
             "config": text}
    with atomic_output(output_dir / DISCOVERY_CSV) as tmp, tmp.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        limits = list(result.limits.columns)
        w.writerow(["box", "coverage", "density", "mass", "res_dim", "chosen",
                    *(f"{c}_{end}" for c in limits for end in ("low", "high")), "setting",
                    "seed", "area", "threshold", "year", "failing_share", "cost",
                    *(f"{c}_{end}" for c in limits for end in ("sampled_low", "sampled_high"))])
        # what failing means and how often, and the sampled ranges: the policy chapter of
        # `futures report` reads them (scenarios/figures/policy.py)
        context = [disc.area or "any", f"{disc.threshold:g}", f"{disc.year:g}",
                   f"{float(result.failed.mean()):.6f}", f"{float(result.cost[0]):.6g}"]
        for i, r in result.trajectory.iterrows():
            chosen = int(i) == result.chosen
            lims = [f"{float(result.limits[c].values[j]):.6g}" if chosen else ""
                    for c in limits for j in (0, 1)]
            full = [f"{float(result.full[c].values[j]):.6g}" if chosen else ""
                    for c in limits for j in (0, 1)]
            w.writerow([int(i), f"{r['coverage']:.6f}", f"{r['density']:.6f}",
                        f"{r['mass']:.6f}", int(r["res_dim"]), "yes" if chosen else "no",
                        *lims, disc.name, spec.seed, *context, *full])
    write_text(output_dir / DISCOVERY_MD, markdown(spec, disc, result, cfg))
    return [output_dir / DISCOVERY_CSV, output_dir / DISCOVERY_MD,
            *save_figure(figure(disc, result), output_dir / DISCOVERY_FIGURE, attrs)]


def discover_job(cfg: DictConfig, output_dir: Path) -> Path:
    """The ``futures discover`` task: discovery.csv, discovery.md and the figure."""
    spec = check(cfg)
    node = resolved(cfg)
    disc = discover_spec(node.get("discover", {}), spec)
    result = discover(spec, disc, node)
    paths = write_reports(spec, disc, result, output_dir, cfg)
    log.info("wrote %s", paths[0])
    return output_dir

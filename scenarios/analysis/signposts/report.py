"""The outputs of ``futures signposts``: the monitoring table as ``signposts.csv`` (with the
provenance as ``#`` comments) and ``signposts.md``."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from omegaconf import DictConfig

from scenarios import __version__
from scenarios.analysis.signposts.compute import Settings, settings, table
from scenarios.config.compose import check, config_text
from scenarios.engine.names import SIGNPOSTS_CSV, SIGNPOSTS_MD
from scenarios.engine.simulate import simulate
from scenarios.engine.storage import write_text
from scenarios.figures.style import display_name

log = logging.getLogger("futures")


def to_csv(rows: list[dict[str, object]], header: str) -> str:
    """The table as CSV, after ``#`` comment lines carrying the provenance."""
    out = io.StringIO()
    out.write("".join(f"# {line}\n" for line in header.splitlines()))
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_markdown(rows: list[dict[str, object]], sets: Settings, members: int,
                config: str, seed: int) -> str:
    """The table as a markdown page for a monitoring programme."""
    lines = [
        "# Signposts: early trend levels that warn of a bad 2030 outcome", "",
        (f"A bad outcome is a 2030 impact index among the worst {100 * sets.worst:g}% of the "
        f"future's {members} members. Rules are the riskiest leaf of a depth-{sets.depth} "
        f"tree on the trend levels of {', '.join(map(str, sets.years))}, grown on half the "
        "members; density (share of members inside the rule that end bad), coverage "
        "(share of the bad members inside the rule) and lift (density / base rate) are "
        "measured on the other half."), "",
        ("| future | area | signpost (watch for) | bad below | support | density | "
        "coverage | lift |"), "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {display_name(str(r['future']), 'en')} | "
                     f"{display_name(str(r['area']), 'en')} | {r['signpost']} | "
                     f"{r['bad_if_2030_impact_below']:+.3f} | {r['support_holdout']:.2f} | "
                     f"{r['density_holdout']:.2f} | {r['coverage_holdout']:.2f} | "
                     f"{r['lift_holdout']:.1f} |")
    lines += ["", f"futures_version {__version__}, seed {seed}. Resolved configuration:", "",
              "```yaml", config.rstrip(), "```", ""]
    return "\n".join(lines)


def signposts_job(cfg: DictConfig, output_dir: Path) -> Path:
    """``futures signposts``: simulate, find the rules, write the CSV and markdown tables."""
    spec = check(cfg)
    sets = settings(cfg, spec)
    outcome, _ = simulate(spec)
    rows = table(outcome.levels, outcome.impacts, outcome.times,
                 [f.label for f in spec.futures], sets, spec.world.trends, spec.world.areas)
    config = config_text(cfg)
    output_dir.mkdir(parents=True, exist_ok=True)
    header = (f"futures signposts; futures_version {__version__}; seed {spec.seed}; "
              f"resolved config:\n{config}")
    path = write_text(output_dir / SIGNPOSTS_CSV, to_csv(rows, header))
    write_text(output_dir / SIGNPOSTS_MD,
                to_markdown(rows, sets, spec.members, config, spec.seed))
    log.info("wrote %s and signposts.md (%d rules)", path, len(rows))
    return path

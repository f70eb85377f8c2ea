"""The expected signature of each future, read from the study, and checks on it.

The cells and rankings are data: ``study.narratives`` of ``conf/study/<name>.yaml``
(for NDS 2021 taken from study.narratives).

Each cell gives a trend's direction from 2021 to 2030, its 2030 level band and its basis:
TEXT (the document says so), PARTIAL (a cue in the text) or INF (inference, a prior). The
checks compare ensemble medians with the cells; tests assert every TEXT cell and the robust
patterns, and ``docs/calibration.md`` reports all 44 cells.

Direction thresholds on the change of the median level, 2021 -> 2030: ``decline`` <= -0.05;
``flat`` within +-0.05; ``rise`` >= +0.05; ``strong rise`` >= +0.15. Level bands for the 2030
median (they overlap on purpose, being fuzzy words): L [0, 0.25], L-M [0.12, 0.40],
M [0.30, 0.60], M-H [0.45, 0.75], H [0.60, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from scenarios.config.study import Study, default_study

BANDS = {"L": (0.0, 0.25), "L-M": (0.12, 0.40), "M": (0.30, 0.60), "M-H": (0.45, 0.75),
         "H": (0.60, 1.0)}
FLAT = 0.05
STRONG = 0.15
MIDPOINT = {"L": 0.15, "L-M": 0.25, "M": 0.45, "M-H": 0.55, "H": 0.68}


@dataclass(frozen=True)
class Cell:
    """One cell of the cross-future table of study.narratives."""

    future: str
    trend: str
    direction: str
    level: str
    basis: str

    def holds(self, start: float, end: float) -> tuple[bool, bool]:
        """Whether the direction and the level band hold for medians ``start`` -> ``end``."""
        change = end - start
        direction = {
            "decline": change <= -FLAT,
            "flat": abs(change) < FLAT,
            "rise": change >= FLAT,
            "strong rise": change >= STRONG,
        }[self.direction]
        low, high = BANDS[self.level]
        return direction, low <= end <= high


def cells(study: Study | None = None) -> tuple[Cell, ...]:
    """The narrative cells of ``study`` (``study.narratives.cells``; the default study's when
    not given), in trend order then future order."""
    return tuple(Cell(*c) for c in (study or default_study()).cells)


def rankings(study: Study | None = None) -> dict[str, tuple[tuple[str, str], ...]]:
    """Best-to-worst ranking of the impact areas per future (``study.narratives.rankings``),
    with the basis of each position."""
    return dict((study or default_study()).rankings)


#: All 44 cells of the default study's cross-future summary (conf/study/nds2021.yaml).
CELLS: tuple[Cell, ...] = cells()

#: Best-to-worst ranking of the impact areas per future of the default study.
RANKINGS: dict[str, tuple[tuple[str, str], ...]] = rankings()


def medians(ds: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Ensemble medians of ``level`` at the first and last time point: (future, trend)."""
    level = ds["level"].median("member")
    return level.isel(time=0), level.isel(time=-1)


def check_cells(ds: xr.Dataset, study: Study | None = None) -> list[dict[str, object]]:
    """Compare every study.narratives cell with the ensemble medians of ``ds``.

    Returns
    -------
    list of dict
        One row per cell present in ``ds``: future, trend, basis, expected direction and
        level, the medians, and whether direction and level hold.
    """
    start, end = medians(ds)
    rows = []
    for cell in cells(study):
        if cell.future not in ds.future.values:
            continue
        a = float(start.sel(future=cell.future, trend=cell.trend))
        b = float(end.sel(future=cell.future, trend=cell.trend))
        direction_ok, level_ok = cell.holds(a, b)
        rows.append({"future": cell.future, "trend": cell.trend, "basis": cell.basis,
                     "direction": cell.direction, "level": cell.level, "start": a, "end": b,
                     "direction_ok": direction_ok, "level_ok": level_ok})
    return rows


def area_ranking(ds: xr.Dataset, future: str) -> list[str]:
    """Areas of ``future`` from best to worst by the median impact index in the last year."""
    final = ds["impact"].sel(future=future).isel(time=-1).median("member")
    order = np.argsort(-final.values, kind="stable")
    return [str(final.area.values[k]) for k in order]


def report(ds: xr.Dataset, study: Study | None = None) -> str:
    """A markdown table of every cell and ranking: expected, median, held or not."""
    lines = ["| future | trend | basis | expected | median 2021 -> 2030 | holds |",
             "|---|---|---|---|---|---|"]
    rows = check_cells(ds, study)
    for r in rows:
        ok = "yes" if r["direction_ok"] and r["level_ok"] else \
            "no (direction)" if not r["direction_ok"] else "no (level)"
        lines.append(f"| {r['future']} | {r['trend']} | {r['basis']} | {r['direction']}, "
                     f"{r['level']} | {r['start']:.2f} -> {r['end']:.2f} | {ok} |")
    held = sum(bool(r["direction_ok"] and r["level_ok"]) for r in rows)
    lines += ["", f"{held} of {len(rows)} cells hold.", "",
              "| future | expected ranking (best first) | model ranking |", "|---|---|---|"]
    for future, expected in rankings(study).items():
        if future in ds.future.values:
            lines.append(f"| {future} | {', '.join(a for a, _ in expected)} | "
                         f"{', '.join(area_ranking(ds, future))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    with xr.open_dataset(sys.argv[1], engine="h5netcdf") as data:
        print(report(data))

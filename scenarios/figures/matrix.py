"""The cross-impact matrix of a run as a labelled heatmap (diverging colours around 0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from scenarios.config.study import study_in
from scenarios.figures.base import Options, new_figure
from scenarios.figures.data import RunData
from scenarios.figures.labels import name, text


def cross_impact(config: Mapping[str, Any]) -> np.ndarray:
    """The matrix of a resolved config: rows trends, columns trends + drivers + levers.

    Rows given as ``{column: value}`` or as a list in column order (``conf/cross_impact.yaml``);
    entries left out are 0.
    """
    study = study_in(config)
    rows, cols = study.trend_labels, study.columns()
    out = np.zeros((len(rows), len(cols)))
    for row, entries in (config.get("cross_impact") or {}).items():
        if row not in rows:
            continue
        i = rows.index(row)
        items = zip(cols, entries) if isinstance(entries, list) else (entries or {}).items()
        for col, value in items:
            if col in cols:
                out[i, cols.index(col)] = float(value)
    return out


def heatmap(run: RunData, options: Options) -> Figure:
    """The cross-impact matrix A of the run: what pushes (+, blue) or brakes (-, red) each
    trend per year. For a sweep, the first swept value's matrix, cells that vary outlined."""
    lang = options.lang
    matrices = np.array([cross_impact(c) for c in run.configs])
    a = matrices[0]
    varies = np.ptp(matrices, axis=0) > 0
    fig = new_figure()
    ax = fig.add_subplot()
    bound = max(float(np.abs(a).max()), 1e-9)
    image = ax.imshow(a, cmap="RdBu", norm=TwoSlopeNorm(0.0, -bound, bound), aspect="auto")
    study = study_in(run.configs[0])
    rows, cols = study.trend_labels, study.columns()
    ax.set_yticks(range(len(rows)), [name(r, lang, study) for r in rows], fontsize=13)
    ax.set_xticks(range(len(cols)), [name(c, lang, study) for c in cols], fontsize=12, rotation=50,
                  ha="right", rotation_mode="anchor")
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] != 0:
                dark = abs(a[i, j]) > 0.55 * bound
                ax.text(j, i, f"{a[i, j]:.2f}".replace("0.", ".").replace("-", "\u2212"),
                        ha="center", va="center", fontsize=10,
                        color="white" if dark else "black")
            if varies[i, j]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5,
                                       ec="black"))
    groups = [len(study.trends), len(study.drivers)]
    for edge in np.cumsum(groups):
        ax.axvline(edge - 0.5, color="black", lw=2)
    starts = np.concatenate([[0], np.cumsum(groups)])
    ends = np.append(np.cumsum(groups), len(cols))
    for key, start, end in zip(("group_trends", "group_drivers", "group_levers"), starts, ends):
        ax.text((start + end - 1) / 2, -0.65, text(key, lang), ha="center", va="bottom",
                fontsize=15, fontweight="bold")
    ax.set_xlabel(text("matrix_cols", lang))
    ax.set_ylabel(text("matrix_rows", lang))
    bar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.01)
    bar.set_label(text("matrix_unit", lang))
    title = text("matrix_title", lang)
    if varies.any():
        title += "\n" + text("matrix_swept", lang)
    fig.suptitle(title)
    return fig

"""What every figure shares: options, size and fonts, colour shades, deterministic saving.

Figures are 12.8 x 7.2 inches: at the default 150 dpi the PNG is exactly 1920 x 1080 pixels,
the projector's size, and the fonts (15 pt body) stay legible projected and printed.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from scenarios.engine.storage import save_figure
from scenarios.figures.options import Options
from scenarios.figures.style import future_colour

#: Figure size in inches (16:9); x 150 dpi = 1920 x 1080 pixels.
SIZE = (12.8, 7.2)

#: Fonts large enough for a projected wall and a printed handout.
RC = {
    "font.size": 15,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 14,
    "legend.title_fontsize": 14,
    "figure.titlesize": 22,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.4,
    "svg.hashsalt": "futures",       # stable ids: same input, same SVG
    "svg.fonttype": "path",          # text as outlines: renders the same everywhere
    "pdf.fonttype": 42,
    "path.simplify": True,
}


@contextmanager
def style():
    """Matplotlib settings of every figure (fonts, grid, deterministic SVG ids)."""
    with plt.rc_context(RC):
        yield


def new_figure(**kwargs) -> Figure:
    """A 16:9 figure not registered with pyplot (no global state, closed by the collector)."""
    return Figure(figsize=SIZE, layout="constrained", **kwargs)


def mix(colour: str, other: str, share: float) -> tuple[float, float, float]:
    """``colour`` blended with ``other`` (``share`` of ``other``, 0..1)."""
    a, b = np.array(to_rgb(colour)), np.array(to_rgb(other))
    return tuple((1 - share) * a + share * b)  # type: ignore[return-value]


def _tone(colour: str, t: float) -> tuple[float, float, float]:
    return mix(colour, "black", -0.45 * t) if t < 0 else mix(colour, "white", 0.55 * t)


def variant_shades(future: str, labels: list[str], n: int) -> list[tuple[float, float, float]]:
    """Shades of a future's colour for ``n`` swept values: darkest first, the colour itself
    in the middle, lightest last."""
    base = future_colour(future, labels)
    return [to_rgb(base)] if n == 1 else [_tone(base, t) for t in np.linspace(-1, 1, n)]


def grey_shades(n: int) -> list[tuple[float, float, float]]:
    """The same ramp in grey, for legends of swept values."""
    return [_tone("#777777", t) for t in (np.linspace(-1, 1, n) if n > 1 else [0.0])]


def save(fig: Figure, folder: Path, name: str, options: Options) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` / ``name.pdf`` into ``folder``, each atomically.

    Dates are left out of the metadata and SVG ids are salted with a constant, so the same
    input gives byte-identical files.

    Raises
    ------
    WriteError
        If a file cannot be written; the earlier file of that name is kept.
    """
    meta: dict[str, dict[str, str | None]] = {
        "png": {"Software": "futures (matplotlib)"}, "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None}}
    with style():
        return save_figure(fig, folder / name, ("png", options.format), dpi=options.dpi,
                           metadata=meta)

"""The figure files of ``futures plane``: the map itself is :mod:`scenarios.figures.plane`
(the policy chapter of ``futures report`` draws it too).

Made from ``plane.nc`` (:func:`scenarios.analysis.plane.compute.to_dataset`) alone.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from scenarios.analysis.robustness.report import save_figure
from scenarios.engine.names import PLANE_FIGURE
from scenarios.figures.plane import TEXT, figure

__all__ = ["DPI", "FIGURE", "TEXT", "figure", "write_figure"]

FIGURE = PLANE_FIGURE
#: 150 dpi: the figure is 1920 x 1080 pixels, as every figure of ``futures plot``.
DPI = 150


def write_figure(ds: xr.Dataset, output_dir: Path) -> list[Path]:
    """Write ``plane.png`` (1920 x 1080) and ``plane.svg`` atomically."""
    return save_figure(figure(ds), Path(output_dir) / FIGURE, ds.attrs, dpi=DPI)

"""Regenerate tests/golden/fans_reference.png, the reference of the image regression test.

The figure is the fan chart of a synthetic dataset (fixed numbers, no model), so it changes
only when the drawing code changes. Look at the new PNG before committing it; regenerating
is its own commit, saying why. Run from the repository root:
``python tests/golden/make_plot_reference.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

REFERENCE = HERE / "fans_reference.png"
#: Low resolution keeps the committed file small; the test renders at the same dpi.
DPI = 50


def render(path: Path) -> Path:
    """Draw the reference figure (English labels) into ``path``."""
    from scenarios.figures.base import style
    from scenarios.figures.data import RunData, Variant
    from scenarios.figures.options import Options
    from scenarios.figures.trends import fans
    from tests.plotting_fixtures import synthetic_run

    ds = synthetic_run()
    run = RunData(path, ds, [], [Variant("")], [{}])
    with style():
        fig = fans(run, "versnelling", Options(lang="en"))
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


if __name__ == "__main__":
    print(render(REFERENCE))

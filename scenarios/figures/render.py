"""Draw every figure of a run or sweep and save them (``futures plot RUN_DIR``).

:func:`figure_list` names every figure of a run with the function that draws it;
:func:`plot` draws them all into ``RUN_DIR/figures/`` as PNG plus SVG or PDF. Each figure is
a :class:`matplotlib.figure.Figure` made without pyplot, so nothing global is left behind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from scenarios.config.guard import refuse_links
from scenarios.engine.names import FIGURES_DIR
from scenarios.figures.base import save, style
from scenarios.figures.data import RunData, open_run
from scenarios.figures.impacts import impact_violins
from scenarios.figures.matrix import heatmap
from scenarios.figures.options import Options
from scenarios.figures.timeline import event_timeline
from scenarios.figures.trends import fans, fans_compared, quadrant

Draw = Callable[[], Figure]


def figure_list(run: RunData, options: Options) -> list[tuple[str, Draw]]:
    """Every figure of ``run``, in the order of the handout: (file stem, drawing function)."""
    figures: list[tuple[str, Draw]] = [
        ("quadrant", lambda: quadrant(run, options)),
        ("fans_compared", lambda: fans_compared(run, options)),
    ]
    for future in run.futures:
        figures.append((f"fans_{future}",
                        lambda future=future: fans(run, future, options)))  # type: ignore[misc]
    figures += [
        ("impacts", lambda: impact_violins(run, options)),
        ("cross_impact", lambda: heatmap(run, options)),
        ("events", lambda: event_timeline(run, options)),
    ]
    return figures


class Progress:
    """``futures: plot 3/9 fans_versnelling`` on stderr, one line rewritten, when stderr is a
    terminal; silent otherwise (logs, pipes, tests)."""

    def __init__(self, what: str, total: int, stream=None) -> None:
        self.what, self.total = what, total
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()

    def step(self, done: int, name: str) -> None:
        """Report that item ``done`` (1-based) of ``total``, ``name``, is being made."""
        if self.live:
            self.stream.write(f"\rfutures: {self.what} {done}/{self.total} {name:<30}")
            self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.live:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def draw_all(run: RunData, options: Options, what: str = "plot"):
    """Yield ``(name, figure)`` for every figure, with progress on a terminal."""
    figures = figure_list(run, options)
    progress = Progress(what, len(figures))
    try:
        for k, (name, draw) in enumerate(figures, start=1):
            progress.step(k, name)
            with style():
                fig = draw()
            yield name, fig
    finally:
        progress.close()


def plot(run_dir: Path | str, options: Options | None = None, *,
         run: RunData | None = None) -> list[Path]:
    """Draw every figure of the run or sweep in ``run_dir`` into ``run_dir/figures/``.

    Parameters
    ----------
    run_dir : path
        A folder holding ``outcomes.nc`` (a run) or ``sweep.nc`` (a sweep).
    options : Options, optional
        Language, vector format and PNG resolution (defaults: nl, svg, 150 dpi).
    run : RunData, optional
        The folder's data if already read with :func:`~scenarios.figures.data.open_run`.

    Returns
    -------
    list of Path
        The files written: a PNG and an SVG (or PDF) per figure.

    Raises
    ------
    ConfigError
        If the folder is missing or empty or its file is truncated or foreign; nothing is
        written then.
    """
    options = options or Options()
    run = run or open_run(run_dir)
    refuse_links(Path(run_dir), [FIGURES_DIR])  # figures stay inside the run folder
    folder = Path(run_dir) / FIGURES_DIR
    written: list[Path] = []
    for name, fig in draw_all(run, options):
        written += save(fig, folder, name, options)
    return written

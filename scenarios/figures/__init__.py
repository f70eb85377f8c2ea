"""Figures of a run or sweep for workshop facilitators (``futures plot RUN_DIR``).

Modules: :mod:`~scenarios.figures.data` reads a run or sweep folder (no matplotlib, so bad
input is reported quickly); :mod:`~scenarios.figures.render` lists and saves the figures drawn
by :mod:`~scenarios.figures.trends`, :mod:`~scenarios.figures.impacts`,
:mod:`~scenarios.figures.matrix` and :mod:`~scenarios.figures.timeline`; the words come from
:mod:`~scenarios.figures.labels`; sizes, fonts and saving from :mod:`~scenarios.figures.base`.
"""

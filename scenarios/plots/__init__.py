"""Figures of a run or sweep for workshop facilitators (``futures plot RUN_DIR``).

Modules: :mod:`~scenarios.plots.data` reads a run or sweep folder (no matplotlib, so bad
input is reported quickly); :mod:`~scenarios.plots.render` lists and saves the figures drawn
by :mod:`~scenarios.plots.trends`, :mod:`~scenarios.plots.impacts`,
:mod:`~scenarios.plots.matrix` and :mod:`~scenarios.plots.timeline`; the words come from
:mod:`~scenarios.plots.labels`; sizes, fonts and saving from :mod:`~scenarios.plots.base`.
"""

"""The name of every file and folder the commands write (README "What appears under runs/").

One place, so that a writer and its readers (``futures plot``, ``collect``, ``resume``, the
tests) cannot drift apart. Figure names are stems: the writer adds ``.png``/``.svg``/``.pdf``.
"""

from __future__ import annotations

#: ``futures run``: the outcomes of one job (netCDF, or a zarr store folder).
OUTCOMES = "outcomes.nc"
OUTCOMES_ZARR = "outcomes.zarr"
#: Stem of the temporaries a killed outcomes write may leave (``.outcomes*.tmp``).
OUTCOMES_STEM = "outcomes"
#: ``output.store=summary``: statistics over the members, no members (engine/summary.py).
SUMMARY = "summary.nc"
SUMMARY_STEM = "summary"
#: ``futures run -m`` / ``futures collect``: the stacked jobs of a sweep, and Hydra's record.
SWEEP = "sweep.nc"
SWEEP_ZARR = "sweep.zarr"
MULTIRUN = "multirun.yaml"
#: Left in a sweep job's folder when the job raised: one line, then the traceback.
ERROR = "error.txt"
#: ``futures plot`` and ``futures report``.
FIGURES_DIR = "figures"
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
#: ``futures export``: a folder of tables.
EXPORT_DIR = "export"
IAMC_CSV = "outcomes_iamc.csv"
IAMC_XLSX = "outcomes_iamc.xlsx"
LONG_CSV = "outcomes_long.csv"
LONG_PARQUET = "outcomes_long.parquet"
#: ``futures sensitivity``.
SENSITIVITY = "sensitivity.nc"
SENSITIVITY_HEATMAP = "sensitivity_heatmap"
SENSITIVITY_TIME = "sensitivity_time"
#: ``futures robustness``.
ROBUSTNESS = "robustness.nc"
REGRET_CSV = "regret.csv"
REGRET_MD = "regret.md"
PORTFOLIOS = "portfolios.nc"
PORTFOLIOS_CSV = "portfolios.csv"
PORTFOLIOS_MD = "portfolios.md"
PORTFOLIOS_FIGURE = "portfolios"
DISCOVERY_CSV = "discovery.csv"
DISCOVERY_MD = "discovery.md"
DISCOVERY_FIGURE = "discovery"
ROBUSTNESS_FIGURE = "robustness"
#: ``futures plane``.
PLANE = "plane.nc"
PLANE_FIGURE = "plane"
#: ``futures calibrate``.
CALIBRATION = "calibration.yaml"
CALIBRATION_REPORT = "calibration.md"
CALIBRATION_FIGURE = "calibration_fit"
#: ``futures signposts``.
SIGNPOSTS_CSV = "signposts.csv"
SIGNPOSTS_MD = "signposts.md"

#: What ``futures plot``/``report`` read from a run or sweep folder, in order of preference.
RUN_FILES = (OUTCOMES, OUTCOMES_ZARR, SWEEP, SWEEP_ZARR)

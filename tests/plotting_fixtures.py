"""A small run and a small sweep made once per session through the real `futures` command,
shared by the figure and report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.conftest import futures_cli

RUN_FUTURES = ["versnelling", "voorwaardelijke_groei", "radicale_markten", "gelijk_speelveld"]
SWEEP_FUTURES = ["versnelling", "gelijk_speelveld"]
#: Every figure of a run, by file stem.
FIGURE_STEMS = ["quadrant", "fans_compared", *[f"fans_{f}" for f in RUN_FUTURES], "impacts",
                "cross_impact", "events"]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    """A run of the four futures, 16 members each, made by `futures run`."""
    run_dir = tmp_path_factory.mktemp("plot") / "run"
    done = futures_cli("run", "ensemble.members=16", "seed=5", f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr
    return run_dir


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory) -> Path:
    """A sweep over two seeds of two futures, 16 members each, made by `futures run -m`."""
    sweep_dir = tmp_path_factory.mktemp("plot") / "sweep"
    done = futures_cli("run", "-m", "seed=1,2", "ensemble.members=16",
                       f"futures=[{','.join(SWEEP_FUTURES)}]", f"hydra.sweep.dir={sweep_dir}")
    assert done.returncode == 0, done.stderr
    return sweep_dir


def synthetic_run(members: int = 40) -> xr.Dataset:
    """A tiny outcomes Dataset with fixed, smooth numbers (no model): for the image
    regression test, which should follow the drawing code, not the model's calibration."""
    from scenarios.config.study import default_study
    STUDY = default_study()

    futures = ["versnelling", "gelijk_speelveld"]
    time = np.linspace(2021.0, 2030.0, 37)
    trends, areas = list(STUDY.trend_labels), list(STUDY.area_labels)
    u = (np.arange(members) + 0.5) / members  # member quantiles, evenly spread
    k = np.arange(len(trends))
    growth = np.linspace(-0.25, 0.3, len(trends))
    s = (time - 2021.0) / 9.0
    level = np.empty((len(futures), members, time.size, len(trends)))
    for f in range(len(futures)):
        sign = 1 if f == 0 else -1
        centre = 0.3 + 0.03 * k + sign * growth * s[:, None]
        spread = 0.15 * s[:, None] * (u[:, None, None] - 0.5)
        level[f] = np.clip(centre[None] + spread, 0.02, 0.98)
    impact = level[..., :5] - level[:, :, :1, :5]
    config = "seed: 1\nensemble:\n  members: 40\ncross_impact:\n  mega_ecosystemen:\n" \
             "    decentralisering: -0.4\n    eu_regulation: -0.5\n  kwetsbaarheid:\n" \
             "    cyber_resilience: -0.3\n"
    return xr.Dataset(
        {"level": (("future", "member", "time", "trend"), level),
         "impact": (("future", "member", "time", "area"), impact),
         "position": (("future", "axis"), np.array([[0.1, 0.15], [0.75, 0.9]]))},
        coords={"future": futures, "member": np.arange(members), "time": time,
                "trend": trends, "area": areas, "axis": ["ownership", "purpose"]},
        attrs={"config": config, "seed": 1, "futures_version": "test"})

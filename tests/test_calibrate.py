"""`futures calibrate`: the backwards KSIM run, the fit, the command and its bad input."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from models.dynamics import ksim_step
from scenarios.analysis.calibration.compute import Series, backcast, fit, frozen_terms
from scenarios.config.compose import load
from scenarios.config.study import default_study
from tests.conftest import ROOT, check_refuses, refused

STUDY = default_study()

TREND = "autonomisering"
I = STUDY.trend_labels.index(TREND)


@pytest.fixture(scope="module")
def world():
    return load([])[1].world


def test_backcast_is_the_model_equation_run_forward(world):
    """From the backcast level in mid-2019, 18 forward KSIM steps in the frozen 2021 world
    (the textbook step of models.dynamics, on the share above the level floor as the model
    runs) land on the 2021 level."""
    level = backcast(-0.03, 0.25, *frozen_terms(world, TREND)[:2], np.array([2019.5]), world)
    matrix = np.concatenate([world.trend_matrix, world.driver_loadings, world.lever_loadings],
                            axis=1)
    matrix[I, len(STUDY.trend_labels) + STUDY.driver_labels.index("momentum")] = -0.03
    drivers = np.concatenate([world.status_quo, world.lever_reference])
    floor = world.floor
    assert floor > 0  # the default study's floor: the backcast must respect it
    y = (world.initial - floor) / (1 - floor)
    y[I] = (level[0] - floor) / (1 - floor)
    for _ in range(18):
        step = ksim_step(y, matrix, drivers, 1 / world.steps_per_year)
        y[I] = step[I]  # the other trends stay frozen at their 2021 levels
    assert floor + (1 - floor) * y[I] == pytest.approx(0.25, rel=1e-10)


def test_fit_recovers_known_parameters(world):
    push, brake, _ = frozen_terms(world, TREND)
    years = (2013, 2014, 2015, 2016, 2017, 2018, 2019)
    truth = 0.4 * backcast(-0.02, 0.25, push, brake, np.array(years) + 0.5, world)
    noise = np.exp(np.random.default_rng(1).normal(0, 0.02, len(years)))
    result = fit(Series("synthetic", TREND, years, truth * noise, "", ""), world, 0.95)
    assert result.low[0] < -0.02 < result.high[0]
    assert result.low[1] < 0.4 < result.high[1]
    assert abs(result.momentum + 0.02) < 0.01
    exact = fit(Series("exact", TREND, years, truth, "", ""), world, 0.95)
    assert exact.momentum == pytest.approx(-0.02, abs=1e-6)
    assert np.abs(exact.residuals).max() < 1e-6


def test_the_default_momentum_is_the_fit(world):
    """The default config carries the WBSO fit (two decimals): the fitted value feeds the
    defaults. Refit with `python -m scenarios.analysis.narratives.fit --write` when the series or the
    2021 world change."""
    cfg, _ = load([])
    s = cfg.calibrate.series.wbso_ai_share
    result = fit(Series("wbso_ai_share", s.trend, tuple(s.years), np.array(s["values"]), "", ""),
                 world, 0.95)
    col = STUDY.driver_labels.index("momentum")
    assert world.driver_loadings[I, col] == round(result.momentum, 2)
    assert result.low[0] < world.driver_loadings[I, col] < result.high[0]


def test_the_default_momentum_carries_its_provenance():
    """In conf/cross_impact.yaml the momentum line of autonomisering names the series, its
    source lines and the fitted value, and no other momentum claims to be calibrated."""
    lines = (ROOT / "conf" / "cross_impact.yaml").read_text().splitlines()
    block = lines[lines.index(f"{TREND}:") + 1:]
    line = next(x for x in block if x.startswith("  momentum:"))
    assert "futures calibrate" in line and "wbso_ai_share" in line and "L6700-6716" in line
    assert sum("futures calibrate" in x for x in lines if x.startswith("  momentum:")) == 1


def test_cli_writes_fit_report_and_figure(tmp_path, cli):
    out = tmp_path / "cal"
    proc = cli("calibrate", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    result = yaml.safe_load((out / "calibration.yaml").read_text())
    fitted = result["series"]["wbso_ai_share"]
    par = fitted["parameters"]["momentum.autonomisering"]
    assert par["low"] < par["value"] < par["high"] and par["std_error"] > 0
    assert -0.13 <= par["value"] <= -0.03  # inside the range the config documents
    assert fitted["rms_residual_log"] < 0.1
    assert fitted["observed"] == [0.018, 0.023, 0.032, 0.043, 0.058, 0.067]
    assert result["seed"] == 2021 and "wbso_ai_share" in result["config"]
    report = (out / "calibration.md").read_text()
    assert "L6700-6716" in report and "momentum.autonomisering" in report
    assert "is this fit rounded to two decimals: runs of this config use it" in report
    assert (out / "calibration_fit.png").stat().st_size > 10_000
    assert (out / "calibration_fit.pdf").stat().st_size > 5_000


@pytest.mark.parametrize(("override", "message"), [
    ("calibrate.series.wbso_ai_share.values=[0.1,0.2]",
     r"calibrate.series.wbso_ai_share.values=\[0.1, 0.2\]: expected one value per year"),
    ("calibrate.confidence=2",
     r"calibrate.confidence=2.0: expected a number in \(0"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, cli, override, message):
    out = tmp_path / "never"
    refused(cli("calibrate", override, f"hydra.run.dir={out}"), message, out)


@pytest.mark.parametrize(("override", "message"), [
    ("calibrate.series.wbso_ai_share.years=[2019,2020,2021,2022,2023,2024]",
     "calibrate.series.wbso_ai_share.years=2021: expected whole calendar years before"),
    ("calibrate.series.wbso_ai_share.trend=nope",
     "calibrate.series.wbso_ai_share.trend='nope': trend not found"),
])
def test_bad_settings_name_key_value_and_what_is_allowed(override, message):
    """The same check as the command's (before Hydra makes a folder), in-process."""
    from scenarios.analysis.calibration.compute import check_config

    check_refuses(check_config, override, message)


def test_report_says_when_the_config_does_not_hold_the_fit(tmp_path, cli):
    """With another momentum in the config the report names the fitted override and how to
    make it the default."""
    out = tmp_path / "cal"
    proc = cli("calibrate", "cross_impact.autonomisering.momentum=-0.02", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    report = (out / "calibration.md").read_text()
    assert "is not this fit" in report and "python -m scenarios.analysis.narratives.fit --write" in report
    assert "cross_impact.autonomisering.momentum=-0.09" in report  # the fit, -0.0944

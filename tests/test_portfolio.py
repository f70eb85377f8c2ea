"""`futures portfolio`: the robust search end to end, the budget, the outputs, bad input."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
import xarray as xr

from scenarios.analysis.portfolio.compute import non_dominated
from scenarios.config.study import default_study
from tests.conftest import refused

STUDY = default_study()
ARGS = ["portfolio.members=12", "portfolio.population=12", "portfolio.generations=4",
        "seed=3"]


def test_non_dominated_on_a_hand_made_case():
    F = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    assert non_dominated(F).tolist() == [True, True, False, True]


@pytest.fixture(scope="module")
def run(tmp_path_factory, request):
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("portfolio") / "run"
    result = futures_cli("portfolio", *ARGS, f"hydra.run.dir={out}")
    return out, result


def test_command_writes_every_output(run):
    out, result = run
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    for name in ("portfolios.nc", "portfolios.csv", "portfolios.md", "portfolios.png",
                 "portfolios.svg"):
        assert (out / name).is_file(), name


def test_every_portfolio_is_within_the_2021_budget_and_none_is_all_high(run):
    out, _ = run
    with xr.open_dataset(out / "portfolios.nc", engine="h5netcdf") as ds:
        total = sum(c.reference for c in STUDY.costs.values())
        assert ds.attrs["budget"] == pytest.approx(total) == ds.attrs["budget_2021"]
        assert ds.cost.dims == ("portfolio",)
        assert ds.lever_setting.dims == ("portfolio", "lever")
        assert (ds.cost.values <= ds.attrs["budget"] + 1e-6).all()
        x = ds.lever_setting.values
        assert ((x >= 0) & (x <= 1)).all()
        assert not (x >= 0.99).all(axis=1).any()
        assert ds.portfolio.values[0] == "reference"
        assert ds.sizes["portfolio"] - 1 >= 3
        # the portfolios found are mutually non-dominated on (bad luck per area, cost)
        F = np.column_stack([-ds.bad_luck.values[1:], ds.cost.values[1:]])
        assert non_dominated(F).all()
        # recompute the cost from study.costs
        per_unit = np.array([STUDY.costs[str(k)].reference / 0.5 for k in ds.lever.values])
        np.testing.assert_allclose(ds.cost.values, x @ per_unit, rtol=1e-9)
        assert ds.bad_luck.dims == ("portfolio", "area")
        assert ds.world_regret_p90.dims == ("portfolio", "area")
    rows = list(csv.DictReader((out / "portfolios.csv").open()))
    assert len(rows) == len(x) and rows[0]["portfolio"] == "reference"
    text = (out / "portfolios.md").read_text()
    assert "EUR 280 m" in text and "## In plain words" in text


def test_a_smaller_budget_is_respected(cli, tmp_path):
    out = tmp_path / "run"
    fewer = [a for a in ARGS if not a.startswith("portfolio.generations=")]
    result = cli("portfolio", *fewer, "portfolio.generations=2", "portfolio.budget=150",
                 f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out / "portfolios.nc", engine="h5netcdf") as ds:
        assert ds.attrs["budget"] == 150.0
        assert (ds.cost.values[1:] <= 150.0 + 1e-6).all()


@pytest.mark.parametrize(("overrides", "message"), [
    (["portfolio.budget=-1"], "portfolio.budget=-1.0: expected a number in [0.0"),
    (["portfolio.population=2"], "portfolio.population=2: expected an integer >= 4"),
])
def test_bad_input_is_one_clear_line(cli, tmp_path, overrides, message):
    out = tmp_path / "run"
    result = cli("portfolio", *overrides, f"hydra.run.dir={out}")
    refused(result, re.escape(message), out)
    assert result.stdout == ""

"""`futures discover`: PRIM over the uncertain parameters and axis positions, end to end."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from tests.conftest import refused

ARGS = ["ensemble.members=60", "discover.area=verdienvermogen", "seed=2021"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("discover") / "run"
    return out, futures_cli("discover", *ARGS, f"hydra.run.dir={out}")


def test_command_writes_every_output(run):
    out, result = run
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    for name in ("discovery.csv", "discovery.md", "discovery.png", "discovery.svg"):
        assert (out / name).is_file(), name


def test_trajectory_and_the_named_conditions(run):
    """The trajectory starts at the whole space (coverage 1), coverage falls and density
    rises along it; the chosen box restricts inputs and its limits are in the csv; for
    earning capacity the box names the shareholder end of the ownership axis."""
    out, _ = run
    rows = list(csv.DictReader((out / "discovery.csv").open()))
    cov = np.array([float(r["coverage"]) for r in rows])
    dens = np.array([float(r["density"]) for r in rows])
    assert cov[0] == 1.0 and (np.diff(cov) <= 1e-12).all()
    assert dens[-1] > dens[0]
    chosen = [r for r in rows if r["chosen"] == "yes"]
    assert len(chosen) == 1 and int(chosen[0]["res_dim"]) >= 1
    assert float(chosen[0]["density"]) > dens[0]
    text = (out / "discovery.md").read_text()
    assert "## The conditions of failure (PRIM box)" in text
    assert "`ownership` below" in text and "coverage" in text and "density" in text
    assert float(chosen[0]["ownership_high"]) < 0.5
    assert int(chosen[0]["res_dim"]) <= 3  # discover.max_dims


def test_the_box_reported_restricts_few_inputs():
    """Most coverage at the density among boxes of 1..max_dims inputs; when none is that
    dense, the densest of them; max_dims=None: any box."""
    import pandas as pd

    from scenarios.analysis.discover.compute import chosen_box

    traj = pd.DataFrame({"coverage": [1.0, 0.95, 0.9, 0.7, 0.5],
                         "density": [0.2, 0.62, 0.7, 0.81, 0.9],
                         "res_dim": [0, 1, 2, 9, 12]})
    assert chosen_box(traj, 0.8, 3) == 2  # the densest box of at most 3 inputs
    assert chosen_box(traj, 0.6, 3) == 1  # the most coverage at density >= 0.6
    assert chosen_box(traj, 0.8, None) == 3
    assert chosen_box(traj, 0.8, 12) == 3


def test_a_portfolio_from_futures_portfolio(cli, tmp_path):
    port = tmp_path / "port"
    done = cli("portfolio", "portfolio.members=8", "portfolio.population=8",
               "portfolio.generations=2", f"hydra.run.dir={port}")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "disc"
    result = cli("discover", "ensemble.members=30", f"discover.portfolios={port}/portfolios.nc",
                 "discover.portfolio=P1", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    text = (out / "discovery.md").read_text()
    assert "Setting **P1**" in text
    # the conditions under which the portfolio fails, named as inputs and limits
    assert "## The conditions of failure (PRIM box)" in text
    assert re.search(r"^- `[\w.]+` (below|above) -?[\d.]", text, re.MULTILINE), text


@pytest.mark.parametrize(("overrides", "message"), [
    (["discover.area=happiness"], "discover.area='happiness': area not found"),
    (["discover.portfolio=P1"], "give both discover.portfolios=PATH"),
    (["discover.setting.ai_investment=2"],
     "discover.setting.ai_investment=2: expected a number in [0.0, 1.0]"),
    (["discover.max_dims=0"], "discover.max_dims=0: expected an integer >= 1"),
])
def test_bad_input_is_one_clear_line(cli, tmp_path, overrides, message):
    out = tmp_path / "run"
    result = cli("discover", *overrides, f"hydra.run.dir={out}")
    refused(result, re.escape(message), out)
    assert result.stdout == ""

"""`futures signposts`: the tree finds known rules; the command writes an honest table."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from scenarios.analysis.signposts.compute import Rule, best_split, quality, riskiest
from tests.conftest import check_refuses, refused


def test_stump_finds_the_separating_threshold():
    x = np.random.default_rng(0).uniform(size=(500, 3))
    y = x[:, 1] > 0.6
    feature, threshold, gain = best_split(x, y, min_leaf=10)
    assert feature == 1 and abs(threshold - 0.6) < 0.01 and gain > 0.3


def test_depth_two_tree_recovers_a_two_condition_rule():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(4000, 6))
    y = (x[:, 0] > 0.7) & (x[:, 3] <= 0.4)
    rule = riskiest(x, y, depth=2, min_leaf=50)
    found = {(f, below): t for f, below, t in rule.conditions}
    assert set(found) == {(0, False), (3, True)}
    assert abs(found[(0, False)] - 0.7) < 0.02 and abs(found[(3, True)] - 0.4) < 0.02
    fresh = rng.uniform(size=(4000, 6))
    q = quality(rule, fresh, (fresh[:, 0] > 0.7) & (fresh[:, 3] <= 0.4))
    assert q["density"] > 0.95 and q["coverage"] > 0.95


def test_noise_gives_no_lift_out_of_sample():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(size=(2000, 8)), rng.uniform(size=2000) < 0.25
    rule = riskiest(x[::2], y[::2], depth=2, min_leaf=50)
    held = quality(rule, x[1::2], y[1::2])
    assert held["lift"] < 1.6  # in-sample lift is higher; the holdout shows it is noise


def test_simplified_keeps_the_tightest_condition():
    rule = Rule(((2, False, 0.5), (2, False, 0.7), (1, True, 0.3), (1, True, 0.2)))
    assert rule.simplified().conditions == ((2, False, 0.7), (1, True, 0.2))


def test_cli_writes_the_monitoring_table(tmp_path, cli):
    import csv

    out = tmp_path / "sp"
    proc = cli("signposts", "ensemble.members=400", "futures=[versnelling,gelijk_speelveld]",
               f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    text = (out / "signposts.csv").read_text()
    assert text.startswith("# futures signposts; futures_version ") and "# seed: 2021" in text
    rows = list(csv.DictReader(io.StringIO("".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("#")))))
    assert len(rows) == 2 * 5
    assert {r["future"] for r in rows} == {"versnelling", "gelijk_speelveld"}
    for r in rows:
        assert re.fullmatch(r"\w+ 202[456] (<=|>) [0-9.]+( and \w+ 202[456] (<=|>) [0-9.]+)?",
                            r["signpost"]), r["signpost"]
    # the early levels carry information about 2030: the rules beat chance on held-out members
    lifts = np.array([float(r["lift_holdout"]) for r in rows])
    assert np.median(lifts) > 1.8
    md = (out / "signposts.md").read_text()
    assert "| Acceleration |" in md and "seed 2021" in md


@pytest.mark.parametrize(("override", "message"), [
    ("signposts.worst=0.7",
     r"signposts.worst=0.7: expected a number in \(0.0, 0.5\]"),
    ("signposts.min_leaf=0.001",
     "signposts.min_leaf=0.001: a rule needs at least 5"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, cli, override, message):
    out = tmp_path / "never"
    refused(cli("signposts", override, f"hydra.run.dir={out}"), message, out)


@pytest.mark.parametrize(("override", "message"), [
    ("signposts.depth=5",
     "signposts.depth=5: expected an integer >= 1 and <= 3"),
    ("signposts.years=[2031]",
     "signposts.years=2031: expected an integer >= 2022"),
])
def test_bad_settings_name_key_value_and_what_is_allowed(override, message):
    """The same check as the command's (before Hydra makes a folder), in-process."""
    from scenarios.analysis.signposts.compute import check_config

    check_refuses(check_config, override, message)

"""`futures robustness`: regret arithmetic, no-regret naming, common random numbers, the
command end to end, bad input and reproducibility."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
import xarray as xr
from omegaconf import OmegaConf

from scenarios.analysis.robustness.compute import analyse, check_config, evaluate, robustness_of
from scenarios.analysis.robustness.regret import regret_of, summarise
from scenarios.config.compose import load, normalize
from scenarios.config.errors import ConfigError
from scenarios.config.study import default_study
from tests.conftest import dataset_for, refused
from tests.twice import assert_wrote, twice_into

STUDY = default_study()

SMALL = ["ensemble.members=16"]


# --- regret arithmetic on hand-made cases -------------------------------------------------

def test_regret_of_a_hand_made_case():
    """Three settings, two futures, two areas: every number worked out by hand."""
    # outcome[setting, future, area]
    outcome = np.array([
        [[1.0, 0.0], [4.0, 2.0]],   # a
        [[3.0, 1.0], [2.0, 2.0]],   # b
        [[2.0, 5.0], [3.5, 1.0]],   # c
    ])
    r = regret_of(outcome, tolerance=0.5)
    # best per (future, area): f0: b (3), c (5); f1: a (4), a/b (2; a first)
    np.testing.assert_array_equal(r.best, [[1, 2], [0, 0]])
    np.testing.assert_allclose(r.regret, [
        [[2.0, 5.0], [0.0, 0.0]],
        [[0.0, 4.0], [2.0, 0.0]],
        [[1.0, 0.0], [0.5, 1.0]],
    ])
    np.testing.assert_allclose(r.worst, [[2.0, 5.0], [2.0, 4.0], [1.0, 1.0]])
    np.testing.assert_allclose(r.mean, [[1.0, 2.5], [1.0, 2.0], [0.75, 0.5]])
    np.testing.assert_allclose(r.spread, [[3.0, 2.0], [1.0, 1.0], [1.5, 4.0]])
    np.testing.assert_array_equal(r.minimax(), [2, 2])
    # tolerance 0.5: no setting is no-regret (c misses by 0.5 and 1.0)
    assert not r.no_regret.any() and not r.no_regret_overall.any()


def test_no_regret_names_the_settings_within_tolerance():
    """A setting is no-regret in an area when its regret is <= tolerance in every future,
    and overall only when that holds in every area."""
    outcome = np.array([
        [[1.00, 1.0], [1.00, 1.0]],   # best everywhere
        [[0.99, 1.0], [1.00, 0.0]],   # within 0.01 in area 0; loses 1.0 in area 1
        [[0.98, 1.0], [1.00, 1.0]],   # 0.02 short in area 0
    ])
    r = regret_of(outcome, tolerance=0.01)
    np.testing.assert_array_equal(r.no_regret, [[True, True], [True, False], [False, True]])
    np.testing.assert_array_equal(r.no_regret_overall, [True, False, False])
    tight = regret_of(outcome, tolerance=0.0)
    np.testing.assert_array_equal(tight.no_regret[:, 0], [True, False, False])


def test_regret_rejects_bad_shapes_and_tolerance():
    with pytest.raises(ValueError, match="expected \\(settings, futures, areas\\)"):
        regret_of(np.zeros((2, 3)), 0.0)
    with pytest.raises(ValueError, match="tolerance=-1"):
        regret_of(np.zeros((2, 3, 1)), -1.0)


def test_summaries():
    values = np.arange(11.0)[None, :]
    assert summarise(values, "median")[0] == 5.0
    assert summarise(values, "mean")[0] == 5.0
    assert summarise(values, "quantile", 0.1)[0] == pytest.approx(1.0)


# --- settings, common random numbers ------------------------------------------------------

def spec_for(overrides):
    cfg, spec = load(normalize(overrides))
    return spec, robustness_of(cfg, spec), OmegaConf.to_container(cfg, resolve=True)


def test_settings_from_config_and_grid():
    """Named settings fill the reference for levers they do not name; a grid adds the full
    factorial of its values."""
    spec, robust, _ = spec_for(["robustness.include=[reference,ai_investment_high]",
                        "robustness.grid.ai_investment=[0,1]",
                        "robustness.grid.cyber_resilience=[0.25,0.5,1]"])
    settings = robust.settings
    names = [s.name for s in settings]
    assert names[:2] == ["reference", "ai_investment_high"]
    assert len(names) == 2 + 2 * 3
    assert "ai_investment=1,cyber_resilience=0.25" in names
    ai, cyber = (STUDY.lever_labels.index(x) for x in ("ai_investment", "cyber_resilience"))
    np.testing.assert_array_equal(settings[0].values, spec.world.lever_reference)
    assert settings[1].values[ai] == 1.0 and settings[1].values[cyber] == 0.5
    grid = settings[names.index("ai_investment=0,cyber_resilience=1")]
    assert grid.values[ai] == 0.0 and grid.values[cyber] == 1.0


def test_default_settings_offer_budget_neutral_packages():
    """Beside `reference` and `austerity` (a cut), at least two default settings move money
    between programmes and cost no more than the 2021 budget, by study.costs."""
    from scenarios.analysis.robustness.costs import cost_of, reference_budget

    cfg, spec = load([])
    robust, world = robustness_of(cfg, spec), spec.world
    values = np.stack([s.values for s in robust.settings])
    cost = cost_of(values, spec.study, world.levers, world.lever_reference)[0]
    budget = reference_budget(spec.study, world.levers, world.lever_reference)
    ref = np.asarray(world.lever_reference)
    neutral = [s.name for s, c in zip(robust.settings, cost)
               if budget * 0.95 <= c <= budget and (s.values > ref).any()
               and (s.values < ref).any()]
    assert len(neutral) >= 2, neutral
    assert {"reference", "austerity", "all_high"} <= {s.name for s in robust.settings}


def test_same_setting_twice_gives_identical_outcomes_and_equal_regret():
    """Common random numbers: a setting listed twice runs the very same members and event
    draws, so its impacts are bit-identical and its regret equal, in every future."""
    spec, robust, config = spec_for([*SMALL, "robustness.settings.twin={ai_investment:1.0}",
                             "robustness.include=[reference,ai_investment_high,twin]"])
    impacts = evaluate(spec, robust, config)
    np.testing.assert_array_equal(impacts[1], impacts[2])
    result = analyse(impacts, robust)
    np.testing.assert_array_equal(result.regret[1] - result.regret[2], 0.0)
    assert not np.array_equal(impacts[0], impacts[1])  # the levers do something


def test_settings_differ_only_by_their_levers():
    """With the futures' own plans kept, the reference setting reproduces `futures run`
    exactly: the same members, events and levers, computed in another batch layout."""
    overrides = [*SMALL, "robustness.include=[reference,all_high]",
                 "robustness.election_plans=keep"]
    spec, robust, config = spec_for(overrides)
    impacts = evaluate(spec, robust, config, batch_members=16)  # one future per call
    run = dataset_for(normalize(overrides))
    expected = run.impact.sel(time=2030.0).transpose("future", "member", "area").values
    np.testing.assert_allclose(impacts[0], expected, rtol=0, atol=1e-6)  # float32 storage


def test_replace_sets_the_futures_own_lever_plans_aside():
    """With `replace` the setting holds in every future: a future's own lever override has
    no effect; with `keep` it does."""
    base = [*SMALL, "robustness.include=[reference,all_high]", "futures=[versnelling]"]
    plan = "future.versnelling.levers.ai_investment=1.0"
    for mode, changes in (("replace", False), ("keep", True)):
        a = evaluate(*spec_for([*base, f"robustness.election_plans={mode}"]))
        b = evaluate(*spec_for([*base, f"robustness.election_plans={mode}", plan]))
        assert (not np.array_equal(a[0], b[0])) is changes, mode
        np.testing.assert_array_equal(a[1], b[1])  # all_high names every lever


def test_batching_does_not_change_results():
    spec, robust, config = spec_for([*SMALL, "robustness.include=[reference,austerity,innovation]"])
    np.testing.assert_array_equal(evaluate(spec, robust, config, batch_members=16),
                                  evaluate(spec, robust, config, batch_members=10_000))


def test_more_ai_investment_raises_earning_capacity_in_every_future():
    """The AI lever loads positively on earning capacity (directly and through
    autonomisering): on common members its median is higher in every future."""
    spec, robust, config = spec_for([*SMALL, "robustness.include=[reference,ai_investment_high]"])
    result = analyse(evaluate(spec, robust, config), robust)
    area = STUDY.area_labels.index("verdienvermogen")
    assert (result.outcome[1, :, area] > result.outcome[0, :, area]).all()
    assert (result.regret[0, :, area] > 0).all() and (result.regret[1, :, area] == 0).all()


# --- the command end to end ----------------------------------------------------------------

ARGS = ["ensemble.members=16", "robustness.include=[reference,all_high,austerity,innovation]",
        "seed=5"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The command run twice with the same config and seed into two folders."""
    return twice_into(tmp_path_factory, "robustness", ARGS)


def test_command_writes_every_output_and_prints_directory_last(two_runs):
    root, (result, _) = two_runs
    assert_wrote(root, result, ("robustness.nc", "regret.csv", "regret.md", "robustness.png",
                                "robustness.svg"))


def test_robustness_dataset_schema_and_provenance(two_runs):
    root, _ = two_runs
    with xr.open_dataset(root / "a" / "robustness.nc", engine="h5netcdf") as ds:
        assert list(ds.setting.values) == ["reference", "all_high", "austerity", "innovation"]
        assert list(ds.future.values) == list(STUDY.future_labels)
        assert ds.regret.dims == ("setting", "future", "area")
        assert ds.impact.dims == ("setting", "future", "member", "area")
        assert ds.sizes["member"] == 16
        for name in ds.data_vars:
            assert {"units", "long_name"} <= set(ds[name].attrs), name
        assert ds.attrs["seed"] == 5 and ds.attrs["futures_version"]
        config = OmegaConf.create(ds.attrs["config"])
        assert config.robustness.include == ["reference", "all_high", "austerity", "innovation"]
        # the stored tables agree with a recomputation from the stored member outcomes
        outcome = np.median(ds.impact.values.astype(np.float64), axis=2)
        np.testing.assert_allclose(ds.outcome.values, outcome, atol=1e-6)
        np.testing.assert_allclose(ds.regret.values, outcome.max(axis=0) - outcome, atol=1e-6)
        area = list(ds.area.values).index("verdienvermogen")
        assert ds.regret.values[2, :, area].min() > 0  # austerity loses earning capacity


def test_settings_name_their_cost_and_the_2021_budget(two_runs):
    """cost(setting) from study.costs: the reference is the 2021 total, all_high doubles it,
    austerity halves it; the range brackets the central cost; csv and md name it."""
    root, _ = two_runs
    with xr.open_dataset(root / "a" / "robustness.nc", engine="h5netcdf") as ds:
        cost = dict(zip(ds.setting.values, ds.cost.values))
        total = sum(c.reference for c in STUDY.costs.values())
        assert ds.attrs["budget_2021"] == pytest.approx(total) == pytest.approx(280.0)
        assert cost["reference"] == pytest.approx(total)
        assert cost["all_high"] == pytest.approx(2 * total)
        assert cost["austerity"] == pytest.approx(total / 2)
        assert (ds.cost_low.values <= ds.cost.values).all()
        assert (ds.cost.values <= ds.cost_high.values).all()
        assert ds.cost.attrs["units"] == "EUR million per year"
        assert dict(zip(ds.setting.values, ds.within_budget.values)) == {
            "reference": 1, "all_high": 0, "austerity": 1, "innovation": 0}
    rows = list(csv.DictReader((root / "a" / "regret.csv").open()))
    assert {r["cost_eur_m_per_year"] for r in rows if r["setting"] == "all_high"} == {"560.000000"}
    text = (root / "a" / "regret.md").read_text()
    assert "## What the settings cost" in text and "| `all_high` | 560 |" in text
    # all_high is not crowned free: the within-budget winner is another, its cost is named
    short = text[text.index("## In short"):text.index("## No-regret settings")]
    assert "minimax-regret setting over all areas is `reference`" in short
    assert "`all_high`" in short and "2.0x the budget: its gain is bought, not free" in short


def test_regret_per_world_and_satisficing(two_runs):
    """Per-world regret is recomputed from the stored member outcomes; it is at least the
    per-future regret's floor and satisficing is the share of worlds not below 0."""
    root, _ = two_runs
    with xr.open_dataset(root / "a" / "robustness.nc", engine="h5netcdf") as ds:
        y = ds.impact.values.astype(np.float64)
        r = y.max(axis=0, keepdims=True) - y
        flat = r.reshape(r.shape[0], -1, r.shape[-1])
        np.testing.assert_allclose(ds.world_regret_max.values, flat.max(axis=1), atol=1e-5)
        np.testing.assert_allclose(ds.world_regret_p90.values,
                                   np.quantile(flat, 0.9, axis=1), atol=1e-5)
        np.testing.assert_allclose(ds.world_regret_median.values, np.median(flat, axis=1),
                                   atol=1e-5)
        ok = (y >= 0).reshape(y.shape[0], -1, y.shape[-1]).mean(axis=1)
        np.testing.assert_allclose(ds.satisficing.values, ok, atol=1e-6)
        assert ds.satisficing_future.dims == ("setting", "future", "area")
        # in some world some setting has regret even where it is the per-future best
        assert ds.world_regret_max.values.max() > ds.worst_regret.values.min()
        assert ds.attrs["threshold"] == 0.0


def test_regret_table_and_markdown_name_the_no_regret_settings(two_runs):
    root, _ = two_runs
    with xr.open_dataset(root / "a" / "robustness.nc", engine="h5netcdf") as ds:
        rows = list(csv.DictReader((root / "a" / "regret.csv").open()))
        assert len(rows) == ds.sizes["setting"] * ds.sizes["area"]
        for row in rows:
            s = list(ds.setting.values).index(row["setting"])
            a = list(ds.area.values).index(row["area"])
            assert float(row["worst_regret"]) == pytest.approx(ds.worst_regret.values[s, a],
                                                               abs=1e-6)
            assert (row["no_regret"] == "yes") == bool(ds.no_regret.values[s, a])
            for f, fut in enumerate(ds.future.values):
                assert float(row[f"regret_{fut}"]) == pytest.approx(
                    ds.regret.values[s, f, a], abs=1e-6)
        text = (root / "a" / "regret.md").read_text()
        for a, area in enumerate(ds.area.values):
            named = [f"`{s}`" for s, ok in zip(ds.setting.values, ds.no_regret.values[:, a])
                     if ok]
            line = next(x for x in text.splitlines() if f"(`{area}`):" in x)
            assert all(n in line for n in named) and (named or "none" in line)


def test_every_output_carries_config_seed_and_version(two_runs):
    """The tables and figures carry the run's provenance, not only robustness.nc."""
    from PIL import Image

    root, _ = two_runs
    with xr.open_dataset(root / "a" / "robustness.nc", engine="h5netcdf") as ds:
        config = ds.attrs["config"]
    with Image.open(root / "a" / "robustness.png") as png:
        assert png.info["config"] == config and png.info["seed"] == "5"
        assert png.info["futures_version"]
    svg = (root / "a" / "robustness.svg").read_text()
    assert "seed 5" in svg and "robustness:" in svg
    text = (root / "a" / "regret.md").read_text()
    assert config.rstrip() in text and "Seed 5" in text
    rows = list(csv.DictReader((root / "a" / "regret.csv").open()))
    assert {r["seed"] for r in rows} == {"5"} and all(r["futures_version"] for r in rows)


def test_same_seed_gives_identical_files(two_runs):
    """Same config and seed: every output byte-identical (netCDF, tables, figures)."""
    root, (a, b) = two_runs
    assert a.returncode == b.returncode == 0
    for name in ("robustness.nc", "regret.csv", "regret.md", "robustness.png",
                 "robustness.svg"):
        assert (root / "a" / name).read_bytes() == (root / "b" / name).read_bytes(), name


BAD = [
    (["robustness.settings.x={quantum:1}"],
     "robustness.settings.x.quantum='quantum': lever not found; expected one of"),
    (["robustness.settings.x={ai_investment:1.5}"],
     "robustness.settings.x.ai_investment=1.5: expected a number in [0.0, 1.0]"),
    (["robustness.settings.reference.connectivity=-0.1"],
     "robustness.settings.reference.connectivity=-0.1: expected a number in [0.0, 1.0]"),
    (["robustness.include=[]"], "robustness.settings=[]: at least two settings to compare"),
    (["robustness.include=[reference]"], "at least two settings to compare"),
    (["robustness.include=[reference,everything]"],
     "robustness.include='everything': setting not found"),
    (["robustness.grid.ai_investment=[0,2]"],
     "robustness.grid.ai_investment=2: expected a number in [0.0, 1.0]"),
    (["robustness.grid.warp=[0,1]"], "robustness.grid.warp='warp': lever not found"),
    (["robustness.statistic=max"], "robustness.statistic='max': statistic not found"),
    (["robustness.budget=-5"], "robustness.budget=-5.0: expected a number in [0.0"),
    (["study.costs.cyber_resilience.low=200"],
     "study.costs.cyber_resilience.low=200: expected a number in [0.0, 95.0]"),
    (["study.costs.quantum={reference:1,low:0,high:2,source:x}"],
     "unknown config key; keys at study.costs are"),
    (["study.costs.cyber_resilience.source=''"],
     "study.costs.cyber_resilience.source='': expected the document's lines"),
    (["robustness.quantile=1"], "robustness.quantile=1.0: expected a number in (0.0, 1.0)"),
    (["robustness.tolerance=-1"], "robustness.tolerance=-1.0: expected a number in [0.0, 10"),
    (["robustness.year=2035"], "robustness.year=2035.0: expected a number in [2021.0, 2030"),
    (["robustness.year=2025.3"], "robustness.year=2025.3: expected a time point of the run"),
    (["robustness.election_plans=maybe"], "robustness.election_plans='maybe': election_plans"),
    (["robustness.colour=red"], "robustness.colour='red': unknown config key"),
]


def test_bad_input_keeps_earlier_output(two_runs, cli):
    """A failed command into a folder that holds a finished analysis leaves it untouched."""
    root, _ = two_runs
    before = {p.name: p.read_bytes() for p in (root / "a").iterdir() if p.is_file()}
    result = cli("robustness", "robustness.include=[]", f"hydra.run.dir={root / 'a'}")
    assert result.returncode == 2
    after = {p.name: p.read_bytes() for p in (root / "a").iterdir() if p.is_file()}
    assert after == before


#: Checked through the real command (the brief's cases); the rest in-process below.
CLI_BAD = (0, 1, 3)


@pytest.mark.parametrize(("overrides", "message"), [BAD[i] for i in CLI_BAD],
                         ids=[" ".join(BAD[i][0]) for i in CLI_BAD])
def test_bad_input_is_one_clear_line(cli, tmp_path, overrides, message):
    """Status 2, one stderr line naming key, value and what is allowed, nothing written."""
    out = tmp_path / "run"
    result = cli("robustness", *overrides, f"hydra.run.dir={out}")
    refused(result, re.escape(message), out)
    assert result.stdout == ""


@pytest.mark.parametrize(("overrides", "message"), BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_config_names_key_value_and_allowed(overrides, message):
    """The same validation the command runs before Hydra makes any folder."""
    with pytest.raises(ConfigError) as err:
        cfg, _ = load(normalize(overrides))
        check_config(cfg)
    assert message in str(err.value)


def test_help(cli):
    result = cli("robustness", "--help")
    assert result.returncode == 0 and "robustness.settings.NAME" in result.stdout
    assert "robustness [OVERRIDES...]" in cli("--help").stdout


def test_lever_efficacy_scales_lever_changes_only():
    """Issue 15 item 6: at the 2021 reference levers, lever_efficacy changes nothing; away
    from it, it does."""
    base = ["ensemble.members=4", "events.enabled=false",
            "futures=[versnelling]"]
    lo = dataset_for(base + ["uncertainties.lever_efficacy.low=0.5",
                             "uncertainties.lever_efficacy.high=0.501"])
    hi = dataset_for(base + ["uncertainties.lever_efficacy.low=1.5",
                             "uncertainties.lever_efficacy.high=1.501"])
    np.testing.assert_allclose(lo.level.values, hi.level.values, rtol=0, atol=1e-9)
    moved = ["+future.versnelling.levers={ai_investment:1.0}"]
    lo = dataset_for(base + moved + ["uncertainties.lever_efficacy.low=0.5",
                                     "uncertainties.lever_efficacy.high=0.501"])
    hi = dataset_for(base + moved + ["uncertainties.lever_efficacy.low=1.5",
                                     "uncertainties.lever_efficacy.high=1.501"])
    assert np.abs(lo.level.values - hi.level.values).max() > 1e-3

"""The Python API, `futures export` (IAMC for pyam, tidy long tables) and the EMA Workbench model.

pyam and EMA Workbench are real: the IAMC files are loaded by ``pyam.IamDataFrame`` as they
are, and the EMA experiments, PRIM box and robust search run in EMA Workbench itself.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from scenarios import api
from scenarios.config.errors import ConfigError
from tests.conftest import one_error_line

SMALL = ["futures=[versnelling,gelijk_speelveld]", "ensemble.members=24"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small run written by the real command."""
    from tests.conftest import futures_cli

    folder = tmp_path_factory.mktemp("interop") / "run"
    proc = futures_cli("run", *SMALL, "seed=11", f"hydra.run.dir={folder}")
    assert proc.returncode == 0, proc.stderr
    return folder


def test_api_run_is_the_dataset_futures_run_writes(run_dir):
    stored = xr.open_dataset(run_dir / "outcomes.nc")
    ds = api.run(SMALL, seed=11)
    assert ds.attrs["config"] == stored.attrs["config"]
    assert int(ds.attrs["seed"]) == 11
    for name in ("level", "impact", "sample", "position"):
        assert ds[name].dims == stored[name].dims
        np.testing.assert_array_equal(ds[name].values.astype(stored[name].dtype),
                                      stored[name].values)
    assert [str(v) for v in ds.trend_name_nl.values] == \
        [str(v) for v in stored.trend_name_nl.values]


def test_api_run_writes_a_run_folder_when_asked(tmp_path):
    ds = api.run(SMALL, seed=3, run_dir=tmp_path / "r")
    assert (tmp_path / "r" / "outcomes.nc").is_file()
    again = api.load(tmp_path / "r")
    xr.testing.assert_identical(ds.level, again.level.load())


def test_api_same_seed_same_numbers_other_seed_other_numbers():
    a, b, c = (api.run(SMALL, seed=s) for s in (5, 5, 6))
    xr.testing.assert_identical(a.level, b.level)
    assert not np.array_equal(a.level.values, c.level.values)


@pytest.mark.parametrize("call, match", [
    (lambda: api.run(["futures=[versneling]"]), r"futures='versneling': future not found"),
    (lambda: api.run(SMALL, members=0), r"ensemble.members=0"),
    (lambda: api.run("seed=1"), r"expected a list of KEY=VALUE"),
    (lambda: api.sweep({}), r"name at least one key"),
    (lambda: api.sweep({"seed": []}), r"expected a non-empty list"),
])
def test_api_bad_input_is_a_config_error(call, match):
    with pytest.raises(ConfigError, match=match) as err:
        call()
    assert "\n" not in str(err.value)


def test_api_sweep_has_one_dimension_per_key():
    ds = api.sweep({"seed": [1, 2], "future.versnelling.drivers.eu_regulation": [0.25, 0.5]},
                   ["futures=[versnelling]"], members=8)
    assert ds.level.dims[:2] == ("seed", "future.versnelling.drivers.eu_regulation")
    assert ds.seed.values.tolist() == [1, 2]
    one = api.run(["futures=[versnelling]", "future.versnelling.drivers.eu_regulation=0.5"],
                  seed=2, members=8)
    np.testing.assert_array_equal(
        ds.level.sel(seed=2, **{"future.versnelling.drivers.eu_regulation": 0.5}).values,
        one.level.values)
    assert "eu_regulation: 0.5" in str(
        ds.job_config.sel(seed=1, **{"future.versnelling.drivers.eu_regulation": 0.5}).item())


def test_api_load_refuses_what_is_not_a_run(tmp_path):
    with pytest.raises(ConfigError, match="holds no outcomes.nc"):
        api.load(tmp_path)


# --- futures export ----------------------------------------------------------------------


def test_export_iamc_loads_in_pyam_and_round_trips_the_medians(run_dir, cli):
    proc = cli("export", str(run_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(run_dir / "export")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyam

        for name in ("outcomes_iamc.csv", "outcomes_iamc.xlsx"):
            df = pyam.IamDataFrame(run_dir / "export" / name)
            assert df.model == ["futures 0.1.0"] or df.model[0].startswith("futures ")
            assert df.region == ["NL"]
            assert "Trend|Mega Ecosystemen|Level" in df.variable
            assert "Impact|Brede welvaart" in df.variable
            assert set(df.scenario) == {"Versnelling", "Versnelling|p05", "Versnelling|p95",
                                        "Gelijk speelveld", "Gelijk speelveld|p05",
                                        "Gelijk speelveld|p95"}
            assert df.year == list(range(2021, 2031))
            got = df.filter(scenario="Gelijk speelveld", variable="Impact|Veiligheid",
                            year=2030).timeseries().iloc[0, 0]
            ds = xr.open_dataset(run_dir / "outcomes.nc")
            want = float(ds.impact.sel(future="gelijk_speelveld", area="veiligheid",
                                       time=2030.0).astype("float64").median("member"))
            assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
            p05 = df.filter(scenario="Gelijk speelveld|p05", variable="Impact|Veiligheid",
                            year=2030).timeseries().iloc[0, 0]
            assert p05 < got


def test_export_long_csv_and_parquet_hold_every_member(run_dir, cli):
    assert cli("export", str(run_dir), "--format", "csv").returncode == 0
    assert cli("export", str(run_dir), "--format=parquet", "--lang", "en").returncode == 0
    tidy = pd.read_csv(run_dir / "export" / "outcomes_long.csv")
    ds = xr.open_dataset(run_dir / "outcomes.nc")
    assert len(tidy) == ds.level.size + ds.impact.size
    assert tidy.member.nunique() == 24
    row = tidy[(tidy.future == "versnelling") & (tidy.member == 7) & (tidy.time == 2030.0)
               & (tidy.variable == "autonomisering")]
    assert row.value.item() == pytest.approx(float(ds.level.sel(
        future="versnelling", member=7, time=2030.0, trend="autonomisering")), rel=1e-6)
    pq = pd.read_parquet(run_dir / "export" / "outcomes_long.parquet")
    assert len(pq) == len(tidy)
    assert "Autonomisation" in set(pq.name)
    med = pq[pq.kind == "impact"].groupby(["future", "time", "variable"]).value.median()
    want = ds.impact.median("member").to_series()
    got = med.loc[[(f, t, a) for f, t, a in want.index]]
    np.testing.assert_allclose(got.values, want.values, rtol=1e-6)


def test_export_of_a_sweep_names_the_swept_values(tmp_path, cli):
    sweep = tmp_path / "sweep"
    proc = cli("run", "-m", "seed=1,2", "futures=[versnelling]", "ensemble.members=8",
               f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert cli("export", str(sweep)).returncode == 0
    table = pd.read_csv(sweep / "export" / "outcomes_iamc.csv")
    assert {"Versnelling [seed=1]", "Versnelling [seed=2]|p95"} <= set(table.scenario)


@pytest.mark.parametrize("args, match", [
    (["--format", "xml"], "--format='xml'"),
    (["--lang", "de"], "--lang='de'"),
    (["--colour"], "option='--colour'"),
])
def test_export_bad_input_is_one_line(run_dir, cli, args, match):
    line = one_error_line(cli("export", str(run_dir), *args))
    assert match in line


def test_export_refuses_a_folder_without_outcomes(tmp_path, cli):
    assert "holds no outcomes.nc" in one_error_line(cli("export", str(tmp_path)))


def test_export_never_writes_through_a_symlink(run_dir, tmp_path, cli):
    outside = tmp_path / "outside"
    outside.mkdir()
    link_run = tmp_path / "linked"
    link_run.mkdir()
    (link_run / "outcomes.nc").symlink_to(run_dir / "outcomes.nc")
    (link_run / "export").symlink_to(outside)
    assert "is a link" in one_error_line(cli("export", str(link_run)))
    assert list(outside.iterdir()) == []


# --- EMA Workbench -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ema():
    pytest.importorskip("ema_workbench")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ema_workbench

    return ema_workbench


def test_ema_model_keeps_uncertainties_and_levers_apart(ema):
    model = api.ema_model("gelijk_speelveld")
    names = {u.name for u in model.uncertainties}
    assert {"cross_impact_strength", "lever_efficacy", "initial.autonomisering"} <= names
    assert {lv.name for lv in model.levers} == {
        "ai_investment", "data_sharing", "connectivity", "cyber_resilience",
        "open_source_standards", "digital_skills"}
    assert not names & {lv.name for lv in model.levers}
    assert "impact.veiligheid" in {o.name for o in model.outcomes}
    with pytest.raises(ConfigError, match="future='atlantis'"):
        api.ema_model("atlantis")


def test_ema_model_samples_what_the_ensemble_samples(ema):
    """Structural entries and the lever response are EMA uncertainties too; a lever-response
    parameter moves an outcome once a policy moves its lever; lever_response.sampled=false
    takes them out; a triangular parameter keeps its shape."""
    from models.sampling import Uncertainty
    from scenarios.interop.ema import parameter

    model = api.ema_model("versnelling")
    names = [u.name for u in model.uncertainties]
    assert any(n.startswith("A.") for n in names) and any(n.startswith("W.") for n in names)
    assert "L.ai_investment.doubling" in names
    sim = model.simulator
    mid = {u.name: (u.lower_bound + u.upper_bound) / 2 for u in model.uncertainties}
    policy = {lv.name: 0.5 for lv in model.levers} | {"ai_investment": 1.0}
    low = sim.one(**(mid | policy | {"L.ai_investment.doubling": 1.4}))
    high = sim.one(**(mid | policy | {"L.ai_investment.doubling": 1.8}))
    assert low["level.autonomisering"] != high["level.autonomisering"]
    fixed = api.ema_model("versnelling", ["lever_response.sampled=false"])
    assert not any(u.name.startswith("L.") for u in fixed.uncertainties)
    tri = Uncertainty("x", -0.2, 0.1, nominal=0.5, distribution="triangular", relative=True)
    u = np.linspace(0.01, 0.99, 7)
    np.testing.assert_allclose(parameter(tri).dist.ppf(u), tri.ppf(u), rtol=1e-12)


def test_ema_batch_evaluator_equals_one_at_a_time_and_prim_finds_a_box(ema):
    from ema_workbench.analysis import prim
    from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

    from scenarios.interop.ema import BatchEvaluator

    model = api.ema_model("versnelling")
    scenarios, policies = sample_uncertainties(model, 60), sample_levers(model, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ema.SequentialEvaluator(model) as ev:
            _x1, o1 = ev.perform_experiments(scenarios=scenarios, policies=policies)
        with BatchEvaluator(model) as ev:
            x2, o2 = ev.perform_experiments(scenarios=scenarios, policies=policies)
    assert len(x2) == 120
    for name in o1:
        np.testing.assert_array_equal(o1[name], o2[name])
    _same_cases(_x1, x2)
    # worlds where security ends in its worst fifth: a PRIM box over the world assumptions
    y = o2["impact.veiligheid"] < np.quantile(o2["impact.veiligheid"], 0.2)
    x = x2[[u.name for u in model.uncertainties]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, y, threshold=0.5, peel_alpha=0.1).find_box()
    assert len(box.peeling_trajectory) > 1
    assert box.peeling_trajectory.density.max() > 0.4   # well above the base rate 0.2


def _same_cases(a, b):
    """Equal EMA experiment tables; EMA numbers each sampled design anew, so scenario and
    policy names compare by their order of appearance."""
    names = ["scenario", "policy"]
    pd.testing.assert_frame_equal(a.drop(columns=names), b.drop(columns=names))
    for name in names:
        assert list(a[name].cat.codes) == list(b[name].cat.codes), name


def test_ema_batch_stores_what_a_callback_per_experiment_stores(ema):
    """The batch evaluator's bulk store into EMA's DefaultCallback equals one callback
    call per experiment (the path any other callback takes), cases and outcomes."""
    from ema_workbench.em_framework.callbacks import DefaultCallback
    from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties

    from scenarios.interop.ema import BatchEvaluator

    class PerExperiment(DefaultCallback):  # not DefaultCallback itself: one call each
        pass

    model = api.ema_model("radicale_markten")
    scenarios, policies = sample_uncertainties(model, 25), sample_levers(model, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with BatchEvaluator(model) as ev:
            x1, o1 = ev.perform_experiments(scenarios=scenarios, policies=policies)
            x2, o2 = ev.perform_experiments(scenarios=scenarios, policies=policies,
                                            callback=PerExperiment)
    assert len(x1) == 75 and set(o1) == {o.name for o in model.outcomes}
    _same_cases(x1, x2)
    for name in o1:
        assert o1[name].dtype == o2[name].dtype
        np.testing.assert_array_equal(o1[name], o2[name])


def test_ema_robust_optimize_runs_on_the_model(ema):
    from ema_workbench.em_framework.optimization import EpsilonProgress
    from ema_workbench.em_framework.samplers import sample_uncertainties

    from scenarios.interop.ema import BatchEvaluator

    model = api.ema_model("radicale_markten")
    worlds = sample_uncertainties(model, 10)
    robust = [ema.ScalarOutcome("mean_security", kind=ema.ScalarOutcome.MAXIMIZE,
                                variable_name="impact.veiligheid", function=np.mean)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with BatchEvaluator(model) as ev:
            result, _progress = ev.robust_optimize(robust, worlds, nfe=60, epsilons=[0.01],
                                                  convergence=[EpsilonProgress()],
                                                  population_size=10)
    assert len(result) >= 1
    assert {lv.name for lv in model.levers} <= set(result.columns)
    assert result.mean_security.notna().all()


@pytest.mark.parametrize("overrides", [
    [], ["seed=3", "ensemble.members=10"],
    ["levers.ai_investment=0.9", "future.versnelling.drivers.eu_regulation=0.6"],
    ["futures=[versnelling]"], ["cross_impact.kwetsbaarheid.cyber_resilience=-0.5"],
    ["+future.halfway={ownership:0.45,purpose:0.5}", "futures=[versnelling,halfway]"],
    ["~events.eu_rules"], ["events.hazards.cyber_incident.rate=1.2", "seed=9"],
])
def test_api_fast_composition_equals_hydras(overrides):
    """Value overrides applied to the cached defaults give exactly Hydra's composed config."""
    from omegaconf import OmegaConf

    from scenarios.config.compose import compose_config

    assert OmegaConf.to_yaml(api.compose(overrides)) == \
        OmegaConf.to_yaml(compose_config(overrides))

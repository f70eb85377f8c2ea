"""`futures sensitivity`: the command end to end, its dataset, reproducibility, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from scenarios.analysis.sensitivity.compute import sensitivity_job
from scenarios.config.compose import load
from tests.conftest import check_refuses, refused

SMALL = ["sensitivity.samples=64", "sensitivity.bootstrap=50",
         "futures=[versnelling,gelijk_speelveld]", "sensitivity.years=[2022,2026,2030]"]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One small `futures sensitivity` through the real command."""
    from tests.conftest import futures_cli

    out = tmp_path_factory.mktemp("sens") / "run"
    proc = futures_cli("sensitivity", *SMALL, "sensitivity.output=autonomisering",
                       f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_cli_writes_dataset_and_figures_and_prints_the_directory(cli_run):
    out, proc = cli_run
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    for name in ("sensitivity.nc", "sensitivity_heatmap.png", "sensitivity_heatmap.pdf",
                 "sensitivity_time.png", "sensitivity_time.pdf"):
        assert (out / name).stat().st_size > 1000, name
    from matplotlib.image import imread

    assert imread(out / "sensitivity_heatmap.png").shape[:2] == (1080, 1920)  # 150 dpi
    assert not list(out.glob(".*.tmp"))


def test_dataset_layout_and_provenance(cli_run):
    out, _ = cli_run
    with xr.open_dataset(out / "sensitivity.nc") as ds:
        # 27 world parameters and 124 structural entries (A.*, W.*: conf/structural.yaml; 129
        # before issue 16's merge: no lever weights, W.*.<lever> gone, digital_skills' two A.*)
        assert dict(ds.sizes) == {"future": 2, "year": 3, "output": 16, "parameter": 151}
        assert list(ds.year.values) == [2022, 2026, 2030]
        for name in ("S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"):
            assert ds[name].dims == ("future", "year", "output", "parameter")
        for name in ds.data_vars:
            assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
        assert ds.attrs["seed"] == 2021 and ds.attrs["futures_version"]
        assert "samples: 64" in ds.attrs["config"]
        assert ds.attrs["model_runs_per_future"] == 64 * (151 + 2)
        assert ds.attrs["events"] == "disabled"
        assert np.all(ds.ST_low <= ds.ST + 1e-12) and np.all(ds.ST <= ds.ST_high + 1e-12)


def test_indices_tell_the_model_story(cli_run):
    """The 2021 level explains a trend early (the largest total index of the 151 in 2022;
    above 0.5 while only the 27 world parameters were sampled, 0.41-0.6 since the structural
    entries share the variance), its own momentum explains it late."""
    out, _ = cli_run
    with xr.open_dataset(out / "sensitivity.nc") as ds:
        for trend in ("mega_ecosystemen", "digitale_valuta", "autonomisering"):
            st = ds.ST.sel(output=trend, future="versnelling")
            initial, momentum = st.sel(parameter=f"initial.{trend}"), \
                st.sel(parameter=f"momentum.{trend}")
            assert initial.sel(year=2022) > 0.3
            assert str(st.sel(year=2022).idxmax("parameter").item()) == f"initial.{trend}"
            assert initial.sel(year=2030) < initial.sel(year=2022) / 2
            assert momentum.sel(year=2030) > momentum.sel(year=2022)
            # another trend's 2021 level hardly matters for this one in 2022
            assert st.sel(parameter="initial.kwetsbaarheid", year=2022) < 0.05
        # first-order indices of a nearly additive model add up to about one. Since the level
        # floor and trend-only impacts of issue 15 the largest sum is 1.38 (this test's
        # sample); the bound was 1.3 before. With the 129 structural entries sampled too (issue
        # 15 item 1) the sums range 0.50-1.69 here: 64 samples' estimation noise summed over
        # 156 parameters instead of 27; the bounds went from (0.7, 1.45) to (0.4, 1.8). After
        # the merge with issue 16's levers as policy (151 parameters, members' other draws)
        # they range 0.36-1.37 here: the lower bound went to 0.3, measured, not a finding.
        # Re-examine with docs/sensitivity.md's re-measure (not done in issue 15).
        total = ds.S1.sum("parameter")
        assert float(total.min()) > 0.3 and float(total.max()) < 1.8


def test_same_seed_gives_a_byte_identical_file(tmp_path):
    cfg, _ = load(SMALL)
    first = sensitivity_job(cfg, tmp_path / "a")
    second = sensitivity_job(cfg, tmp_path / "b")
    assert Path(first).read_bytes() == Path(second).read_bytes()
    assert (tmp_path / "a/sensitivity_time.pdf").read_bytes() == \
        (tmp_path / "b/sensitivity_time.pdf").read_bytes()
    from scenarios.analysis.sensitivity.compute import analyse, settings

    other, spec = load([*SMALL, "seed=5"])
    res, _, _ = analyse(spec, settings(other, spec))
    with xr.open_dataset(first) as a:
        assert not np.allclose(a.ST.values, np.moveaxis(res.ST, 0, -1))


def test_events_with_common_random_numbers(tmp_path):
    cfg, _ = load([*SMALL[:3], "sensitivity.years=[2030]", "sensitivity.events=true"])
    path = sensitivity_job(cfg, tmp_path)
    with xr.open_dataset(path) as ds:
        assert ds.sizes["parameter"] == 152 and str(ds.parameter[-1].item()) == "events"
        assert np.isnan(ds.S1.sel(parameter="events")).all()
        events = ds.ST.sel(parameter="events", year=2030)
        # crypto crashes knock digital currency: the event draws explain part of its spread
        assert float(events.sel(output="digitale_valuta").min()) > 0.02
        assert ds.attrs["events"] == "common random numbers"


@pytest.mark.parametrize(("override", "message"), [
    ("sensitivity.samples=100",
     "sensitivity.samples=100: expected a power of two"),
    ("sensitivity.sample=64",
     "sensitivity.sample=64: unknown config key"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, cli, override, message):
    out = tmp_path / "never"
    refused(cli("sensitivity", override, f"hydra.run.dir={out}"), message, out)


def test_events_switch_needs_events(tmp_path, cli):
    out = tmp_path / "never"
    proc = cli("sensitivity", "events.enabled=false", "sensitivity.events=true",
               f"hydra.run.dir={out}")
    assert proc.returncode == 2 and "events are off in this run" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(("override", "message"), [
    ("sensitivity.confidence=1.5",
     r"sensitivity.confidence=1.5: expected a number in \(0"),
    ("sensitivity.years=[2019]",
     "sensitivity.years=2019: expected an integer >= 2022"),
    ("sensitivity.years=[2030,2025]",
     "expected increasing years"),
    ("sensitivity.output=nope",
     "sensitivity.output='nope': trend or area not found"),
    ("sensitivity.bootstrap=3",
     "sensitivity.bootstrap=3: expected an integer >= 10"),
    ("sensitivity.samples=65536",
     "sensitivity.samples=65536: this analysis would hold 98.5 GiB"),  # 151 parameters
    ("sensitivity.samples=4096",  # 6.2 GiB of arrays; 2048 (3.1 GiB) is allowed
     "sensitivity.samples=4096: this analysis would hold 6.2 GiB of designs, model outputs"),
    ("sensitivity.lang=fr",
     r"sensitivity.lang='fr': language not found; expected one of \['nl', 'en'\]"),
])
def test_bad_settings_name_key_value_and_what_is_allowed(override, message):
    """The same check as the command's (before Hydra makes a folder), in-process."""
    from scenarios.analysis.sensitivity.compute import check_config

    check_refuses(check_config, override, message)


def test_figures_speak_dutch_or_english(cli_run, tmp_path, monkeypatch):
    """sensitivity.lang=nl: the figures' words and the catalogue names in Dutch; the same
    dataset in English gives the English words (the default)."""
    from matplotlib import pyplot as plt

    from scenarios.analysis.sensitivity import report as sp

    out, _ = cli_run
    assert sp.parameter_name("momentum.autonomisering", "nl") == "momentum: Autonomisering"
    assert sp.parameter_name("initial.mega_ecosystemen", "nl").startswith("beginniveau: ")
    assert sp.parameter_name("lever_efficacy", "nl") == "effectiviteit beleid"
    assert sp.parameter_name("lever_efficacy") == "lever efficacy"
    assert set(sp.TEXT["nl"]) == set(sp.TEXT["en"])
    assert set(sp.TEXT["nl"]["parameters"]) == set(sp.TEXT["en"]["parameters"])
    seen = {}
    real = sp.save

    def keep_text(fig, path):
        seen[path.name] = " ".join(t.get_text() for t in fig.findobj(plt.Text))
        return real(fig, path)

    monkeypatch.setattr(sp, "save", keep_text)  # records the words, still writes the files
    with xr.open_dataset(out / "sensitivity.nc", engine="h5netcdf") as ds:
        sp.plot_all(ds.load(), tmp_path, output="autonomisering", top=4, lang="nl")
        nl = dict(seen)
        sp.plot_all(ds, tmp_path, output="autonomisering", top=4, lang="en")
    assert (tmp_path / "sensitivity_heatmap.png").stat().st_size > 1000
    assert "Welke onzekere parameters" in nl["sensitivity_heatmap"]
    assert "Gelijk speelveld" in nl["sensitivity_heatmap"] and "jaar" in nl["sensitivity_time"]
    assert "Which uncertain parameters" in seen["sensitivity_heatmap"]
    assert "Level playing field" in seen["sensitivity_heatmap"]

"""`futures run` end to end: the output contract of README.md, help, provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from scenarios.config.study import default_study

STUDY = default_study()


def test_run_writes_outcomes_and_prints_directory_last(cli, tmp_path):
    """The last stdout line is the run directory, which holds outcomes.nc."""
    out = tmp_path / "run"
    result = cli("run", "ensemble.members=16", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    assert (out / "outcomes.nc").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_outcomes_schema(cli, tmp_path):
    """Dims, labels, variables, units, long names and provenance attrs are as promised."""
    out = tmp_path / "run"
    assert cli("run", "ensemble.members=8", "seed=11", f"hydra.run.dir={out}").returncode == 0
    with xr.open_dataset(out / "outcomes.nc", engine="h5netcdf") as ds:
        assert ds["level"].dims == ("future", "member", "time", "trend")
        assert ds["impact"].dims == ("future", "member", "time", "area")
        assert list(ds.future.values) == list(STUDY.future_labels)
        assert list(ds.trend.values) == list(STUDY.trend_labels)
        assert list(ds.area.values) == list(STUDY.area_labels)
        assert ds.sizes["member"] == 8
        assert ds.time.values[0] == 2021.0 and ds.time.values[-1] == 2030.0
        assert ds.sizes["time"] == 109  # monthly
        for name in list(ds.data_vars) + list(ds.coords):
            assert "long_name" in ds[name].attrs, name
        for name in ds.data_vars:
            assert "units" in ds[name].attrs, name
        level = ds["level"].values
        assert np.all((level > 0) & (level < 1))
        assert np.isfinite(ds["impact"].values).all()
        np.testing.assert_array_equal(ds["impact"].isel(time=0).values, 0.0)
        assert ds.attrs["seed"] == 11
        assert ds.attrs["futures_version"]
        config = yaml.safe_load(ds.attrs["config"])
        assert config["seed"] == 11 and config["ensemble"]["members"] == 8
        assert "cross_impact_strength" in ds.parameter.values
        assert ds["sample"].sizes["parameter"] == ds.sizes["parameter"] > 20


def test_same_seed_gives_identical_file(cli, tmp_path):
    """Same config and seed: identical dataset, byte for byte; another seed differs."""
    paths = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        out = tmp_path / name
        assert cli("run", "ensemble.members=32", f"seed={seed}",
                   f"hydra.run.dir={out}").returncode == 0
        paths.append(out / "outcomes.nc")
    a, b, c = (xr.load_dataset(p, engine="h5netcdf") for p in paths)
    xr.testing.assert_identical(a, b)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert not np.array_equal(a["level"].values, c["level"].values)


def test_subset_of_futures_draws_the_same_members(cli, tmp_path):
    """A future's members do not depend on which other futures run beside it."""
    both, one = tmp_path / "both", tmp_path / "one"
    assert cli("run", "ensemble.members=8", "futures=[versnelling,gelijk_speelveld]",
               f"hydra.run.dir={both}").returncode == 0
    assert cli("run", "ensemble.members=8", "futures=[gelijk_speelveld]",
               f"hydra.run.dir={one}").returncode == 0
    a = xr.load_dataset(both / "outcomes.nc", engine="h5netcdf")
    b = xr.load_dataset(one / "outcomes.nc", engine="h5netcdf")
    xr.testing.assert_identical(a.sel(future=["gelijk_speelveld"])["level"], b["level"])


def test_point_between_futures(cli, tmp_path):
    """A user-defined point on the axes runs beside the named futures."""
    out = tmp_path / "run"
    result = cli("run", "ensemble.members=8", "+future.halfway={ownership:0.45,purpose:0.5}",
                 "futures=[versnelling,halfway,gelijk_speelveld]", f"hydra.run.dir={out}")
    assert result.returncode == 0, result.stderr
    ds = xr.load_dataset(out / "outcomes.nc", engine="h5netcdf")
    assert list(ds.future.values) == ["versnelling", "halfway", "gelijk_speelveld"]
    np.testing.assert_allclose(ds["position"].sel(future="halfway").values, [0.45, 0.5])
    mega = ds["level"].sel(trend="mega_ecosystemen").isel(time=-1).median("member")
    assert float(mega.sel(future="versnelling")) > float(mega.sel(future="halfway")) > \
        float(mega.sel(future="gelijk_speelveld"))


def test_float64_and_no_compression(cli, tmp_path):
    """Output precision and compression are the user's choice."""
    out = tmp_path / "run"
    assert cli("run", "ensemble.members=4", "output.precision=float64", "output.compression=0",
               f"hydra.run.dir={out}").returncode == 0
    ds = xr.load_dataset(out / "outcomes.nc", engine="h5netcdf")
    assert ds["level"].dtype == np.float64


def test_help_texts(cli):
    """`futures --help` and `futures run --help` explain usage with examples."""
    top = cli("--help")
    assert top.returncode == 0
    assert "futures run" in top.stdout and "versnelling" in top.stdout
    run = cli("run", "--help")
    assert run.returncode == 0
    for text in ("ensemble.members", "seed", "futures=[", "hydra.run.dir", "examples:"):
        assert text in run.stdout


def test_hydra_writes_its_config_beside_the_outcomes(cli, tmp_path):
    """Hydra's .hydra/ folder records the composed config and the overrides."""
    out = tmp_path / "run"
    assert cli("run", "ensemble.members=4", "seed=3", f"hydra.run.dir={out}").returncode == 0
    overrides = yaml.safe_load((out / ".hydra" / "overrides.yaml").read_text())
    assert "seed=3" in overrides
    assert Path(out / ".hydra" / "config.yaml").is_file()


def test_multirun_writes_one_outcome_per_job(cli, tmp_path):
    """`futures run -m` (Hydra multirun) runs every combination, each into its own folder."""
    out = tmp_path / "sweep"
    result = cli("run", "-m", "seed=1,2", "futures=[versnelling],[gelijk_speelveld]",
                 "ensemble.members=4", f"hydra.sweep.dir={out}")
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*/outcomes.nc"))
    assert len(files) == 4
    seeds = sorted(xr.open_dataset(f, engine="h5netcdf").attrs["seed"] for f in files)
    assert seeds == [1, 1, 2, 2]


def test_commands_are_registered_objects():
    """One list of Command objects: names unique, each with usage and either a Hydra job or
    its own main; `futures X --help` prints the command's own usage."""
    import contextlib
    import io

    from scenarios.cli import COMMAND_LIST, COMMANDS, main
    from scenarios.engine.command import Command

    names = [c.name for c in COMMAND_LIST]
    assert names == ["run", "collect", "workshop", "sensitivity", "calibrate", "signposts",
                     "plot", "report", "export", "robustness", "plane", "portfolio", "discover",
                     "study"]
    assert list(COMMANDS) == names
    assert all(isinstance(c, Command) for c in COMMAND_LIST)
    hydra = {c.name for c in COMMAND_LIST if c.job is not None}
    assert hydra == {"run", "sensitivity", "calibrate", "signposts", "robustness", "plane",
                     "portfolio", "discover"}
    assert {c.name for c in COMMAND_LIST if c.sweeps} == {"run"}
    assert {c.name: c.section for c in COMMAND_LIST if c.check is not None} == {
        "sensitivity": "sensitivity", "calibrate": "calibrate", "signposts": "signposts",
        "robustness": "robustness", "plane": "plane", "portfolio": "portfolio",
        "discover": "discover"}
    for command in COMMAND_LIST:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([command.name, "--help"]) == 0
        assert out.getvalue().strip() == command.usage.strip(), command.name
        assert out.getvalue().startswith(f"usage: futures {command.name}"), command.name


def test_a_command_needs_a_job_or_a_main():
    """A Command with neither (or both) is refused when declared."""
    import pytest

    from scenarios.engine.command import Command

    with pytest.raises(ValueError, match="give a job"):
        Command("x", "usage: futures x")
    with pytest.raises(ValueError, match="give a job"):
        Command("x", "usage", job=lambda cfg, out, *, progress: None, main=lambda args: 0)


def test_run_does_not_check_the_analyses_sections():
    """`futures run` validates the model only; robustness and plane settings are checked by
    their own commands (the same one-line errors as before)."""
    import pytest

    from scenarios.analysis.plane.compute import check_config as plane_check
    from scenarios.analysis.robustness.compute import check_config as robustness_check
    from scenarios.config.compose import load
    from scenarios.config.errors import ConfigError

    cfg, spec = load(["robustness.include=[]", "plane.grid=1"])
    assert not hasattr(spec, "robustness") and not hasattr(spec, "plane")
    with pytest.raises(ConfigError, match=r"robustness.settings=\[\]: at least two settings"):
        robustness_check(cfg)
    with pytest.raises(ConfigError, match="plane.grid=1: expected an integer >= 2"):
        plane_check(cfg)


def test_hydra_entry_leaves_sys_argv_alone(tmp_path, monkeypatch):
    """The Hydra app is given its arguments; sys.argv is the same before and after."""
    import sys

    from scenarios.cli import main

    monkeypatch.chdir(tmp_path)
    before = list(sys.argv)
    assert main(["run", "ensemble.members=4", "futures=[versnelling]",
                 f"hydra.run.dir={tmp_path / 'run'}"]) == 0
    assert sys.argv == before
    assert (tmp_path / "run" / "outcomes.nc").is_file()
